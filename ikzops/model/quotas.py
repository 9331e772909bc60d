"""Each partner's quota on a repository host (the one home of the rule).

A partner whose jobs land on a repository host may store there what ``ikz_repository.reserve``
reserves for it; a partner without a reservation shares what nobody reserved (the volume's
``size`` less every reservation; without a ``size``, no limit but the filesystem's). Each
partner's rest-server enforces its quota (``--max-size``), so one partner at its limit
leaves the others writing.
"""

from __future__ import annotations

from collections.abc import Iterator

from ikzops.model.partnership import Partnership
from ikzops.model.schema import RepositorySpec
from ikzops.model.units import format_size


def owners_on(p: Partnership, repo_host: str) -> list[str]:
    """The partners whose jobs land on ``repo_host``, in the order of the partners."""

    landing = {job.owner for job in p.jobs_landing_on(repo_host)}
    return [key for key in p.partners if key in landing]


def quotas(p: Partnership, repo_host: str) -> dict[str, int | None]:
    """``{partner: bytes or None (no limit)}`` for every partner whose jobs land on ``repo_host``."""

    spec = p.hosts[repo_host].repository or RepositorySpec()
    unreserved = None if spec.size is None else spec.size - sum(spec.reserve.values())
    return {partner: spec.reserve.get(partner, unreserved) for partner in owners_on(p, repo_host)}


def problems(p: Partnership) -> Iterator[tuple[tuple, str]]:
    """(path, message) for every partner that would have no room on a repository host."""

    for key in p.partners:
        if key in p.hosts:
            yield (("ikz_partners" if p.partners[key].declared else "ikz_sites", key),
                   f"partner {key!r} is named like a host: repositories are kept under <partner>/<client>/, "
                   "so the two must differ")
    for host in p.hosts_with("repository"):
        spec = host.repository or RepositorySpec()
        for partner, quota in quotas(p, host.name).items():
            if quota is not None and quota <= 0:
                yield (("hosts", host.name, "ikz_repository", "reserve"),
                       f"jobs of partner {partner!r} land here, but it has no reservation and the others reserve the "
                       f"whole volume ({format_size(spec.size or 0)}): reserve space for {partner!r} or grow 'size'")
