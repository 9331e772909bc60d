"""Partners (organisations) apart from sites (buildings): who operates each site, who
administers each host, whose data each job holds (checked with the rest of the model).

Without ``ikz_partners`` every site's operator is a partner of its own, keyed by the site's
name, and all of them trust each other: inventories written before partners were modelled
keep their meaning. With ``ikz_partners``, a site's ``partner`` names one of them, and
trust is only what each partner declares.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ikzops.model.partnership import Host, Job, Partner, operator_key
from ikzops.model.schema import PartnerSpec, SiteSpec

if TYPE_CHECKING:
    from ikzops.model.checks import _Collector


def partners(value: Any, sites: dict[str, SiteSpec], out: _Collector) -> dict[str, Partner]:
    if value is None:
        every = frozenset(sites)
        return {site: Partner(site, spec.partner, spec.contact, every, declared=False) for site, spec in sites.items()}
    specs: dict[str, PartnerSpec] = out.named_items("ikz_partners", value, PartnerSpec)
    for key, spec in specs.items():
        for index, other in enumerate(spec.trust):
            if other not in specs:
                out.add(("ikz_partners", key, "trust", index), f"unknown partner {other!r}; partners: {', '.join(specs)}")
    for site, spec in sites.items():
        if spec.partner not in specs:
            out.add(("ikz_sites", site, "partner"), f"{spec.partner!r} is not a partner of ikz_partners "
                                                    f"({', '.join(specs) or 'none'}): name the site's operator by its key")
    return {key: Partner(key, spec.name, spec.contact, frozenset(spec.trust), maintenance=spec.maintenance)
            for key, spec in specs.items()}


def assign(hosts: dict[str, Host], jobs: dict[str, Job], sites: dict[str, SiteSpec], known: dict[str, Partner],
           out: _Collector) -> tuple[dict[str, Host], dict[str, Job]]:
    """Hosts with their administering partner, jobs with their owner (unknown ones reported)."""

    def resolve(written: str, default: str, path: tuple) -> str:
        if not written:
            return default
        if written not in known:
            out.add(path, f"unknown partner {written!r}; partners: {', '.join(known)}")
        return written

    placed = {name: replace(host, admin=resolve(host.admin, operator_key(host.site, sites[host.site], known),
                                                ("hosts", name, "ikz_admin")))
              for name, host in hosts.items()}
    owned = {name: replace(job, owner=resolve(job.spec.owner or "", operator_key(job.site, sites[job.site], known),
                                              ("ikz_jobs", name, "owner")))
             for name, job in jobs.items()}
    for key, partner in known.items():
        where = ("ikz_partners", key, "maintenance")
        if partner.maintenance is None:
            continue
        if partner.maintenance not in placed:
            out.add(where, f"unknown host {partner.maintenance!r}: name a host of the inventory that {key} administers")
        elif placed[partner.maintenance].admin != key:
            out.add(where, f"{partner.maintenance} is administered by {placed[partner.maintenance].admin}, not by "
                           f"{key}: the host that maintains {key}'s buckets must be its own")
    return placed, owned
