"""Tables for people: how the CLI shows a partnership."""

from __future__ import annotations

from collections.abc import Iterator

from rich.table import Table

from ikzops.model import access
from ikzops.model.partnership import Partnership
from ikzops.model.schema import ROLES
from ikzops.model.units import format_duration, format_size


def partnership_overview(p: Partnership) -> Iterator[Table]:
    sites = Table(title=f"Partnership {p.name!r}: sites and hosts", title_justify="left")
    for column in ("site", "partner", "host", "address", "roles"):
        sites.add_column(column)
    for site in p.sites:
        for index, host in enumerate(p.hosts_in(site)):
            sites.add_row(
                site if index == 0 else "", p.operator(site).name if index == 0 else "",
                host.name, f"{host.address}:{host.port}" if host.port != 22 else host.address,
                "+".join(r for r in ROLES if host.has(r)),
            )
    yield sites

    matrix = Table(title="Backup matrix: which site's data lands where", title_justify="left")
    matrix.add_column("job", no_wrap=True)
    for column in ("client", "schedule", "RPO", "RTO"):
        matrix.add_column(column)
    for site in p.sites:
        matrix.add_column(site, justify="center")
    cells = {"own": "[green]own[/]", "copy": "[cyan]copy[/]", "": "·"}
    for name, row in p.backup_matrix().items():
        job = p.jobs[name]
        matrix.add_row(
            name, f"{job.client} ({job.site})", job.spec.schedule,
            format_duration(job.spec.rpo), format_duration(job.spec.rto),
            *(cells[row[s]] for s in p.sites),
        )
    yield matrix
    yield readers(p)

    if p.luns:
        luns = Table(title="Shared SAN: LUNs per partner", title_justify="left")
        luns.add_column("LUN", no_wrap=True)
        for column in ("partner", "served by", "pool", "backing", "size", "initiators"):
            luns.add_column(column)
        for name, lun in sorted(p.luns.items(), key=lambda item: (item[1].partner, item[0])):
            backing = p.hosts[lun.host].pools[lun.pool].backing
            luns.add_row(
                name, lun.partner, lun.host, lun.pool, backing, format_size(lun.size),
                "\n".join(lun.initiators),
            )
        yield luns


def readers(p: Partnership) -> Table:
    """Whose data can be decrypted by which partner's administrators, on which hosts."""

    table = Table(title="Who can read whose data: where each partner's repository keys are",
                  title_justify="left")
    for column in ("data of", "readable by", "on hosts", "jobs", ""):
        table.add_column(column)
    grouped: dict[tuple[str, str], list] = {}
    for holder in access.matrix(p):
        grouped.setdefault((holder.owner, holder.admin), []).append(holder)
    for (owner, admin), found in sorted(grouped.items()):
        # the model refuses a key with administrators its owner does not trust
        how = "own" if owner == admin else "[cyan]trusted[/]"
        table.add_row(p.partners[owner].name, p.partners[admin].name, ", ".join(sorted({h.host for h in found})),
                      ", ".join(sorted({h.job for h in found})), how)
    return table
