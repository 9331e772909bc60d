"""Tables for people: how the CLI shows a partnership."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from rich.table import Table

from ikzops import layout
from ikzops.model import access, buckets
from ikzops.model.partnership import Partnership
from ikzops.model.quotas import quotas
from ikzops.model.schema import ROLES
from ikzops.model.units import format_duration, format_size

#: more sites than this, and the backup matrix names the copies' sites instead of a column each
MATRIX_SITE_COLUMNS = 8
#: more hosts (jobs) than this, and the tables summarise per site (per kind of job) unless full
DETAIL_ROWS = 100


def partnership_overview(p: Partnership, full: bool = False) -> Iterator[Table]:
    yield hosts_table(p) if full or len(p.hosts) <= DETAIL_ROWS else sites_table(p)
    yield matrix_table(p) if full or len(p.jobs) <= DETAIL_ROWS else matrix_summary(p)
    yield readers(p)
    servers = [(host.name, instance) for host in p.hosts_with("repository")
               for instance in layout.rest_instances(p, host.name)]
    if full or len(servers) <= DETAIL_ROWS:
        yield quotas_table(servers)
    if any(buckets.s3_of(host) for host in p.hosts_with("repository")):
        yield gateways_table(p)

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


def quotas_table(servers: list[tuple[str, layout.RestInstance]]) -> Table:
    """Each partner's rest-server on each repository host: its port, its quota, its clients."""

    table = Table(title="Repository hosts: one rest-server per partner, its quota enforced", title_justify="left")
    for column in ("host", "partner", "port", "quota", "clients"):
        table.add_column(column)
    for host, instance in servers:
        quota = format_size(instance.max_size) if instance.max_size else "[yellow]none[/] (the filesystem)"
        table.add_row(host, instance.partner, str(instance.port), quota, ", ".join(instance.clients))
    return table


def gateways_table(p: Partnership) -> Table:
    """Each partner's user on each S3 gateway: its quota, its buckets (one per job)."""

    table = Table(title="S3 gateways: one user per partner owns its buckets, its quota enforced", title_justify="left")
    for column in ("host", "gateway", "partner", "user", "quota", "buckets"):
        table.add_column(column)
    for host in p.hosts_with("repository"):
        spec = buckets.s3_of(host)
        if spec is None:
            continue
        landing = p.jobs_landing_on(host.name)
        for partner, quota in quotas(p, host.name).items():
            table.add_row(host.name, spec.endpoint, partner, buckets.partner_user(p, partner),
                          format_size(quota) if quota else "[yellow]none[/]",
                          ", ".join(buckets.bucket(p, job) for job in landing if job.owner == partner))
    return table


def _roles(host) -> str:
    return "+".join(r for r in ROLES if host.has(r))


def hosts_table(p: Partnership) -> Table:
    table = Table(title=f"Partnership {p.name!r}: sites and hosts", title_justify="left")
    for column in ("site", "partner", "host", "address", "roles"):
        table.add_column(column)
    for site in p.sites:
        for index, host in enumerate(p.hosts_in(site)):
            table.add_row(
                site if index == 0 else "", p.operator(site).name if index == 0 else "",
                host.name, f"{host.address}:{host.port}" if host.port != 22 else host.address, _roles(host),
            )
    return table


def sites_table(p: Partnership) -> Table:
    table = Table(title=f"Partnership {p.name!r}: {len(p.sites)} sites, {len(p.hosts)} hosts "
                        "(every host: inventory check --full)", title_justify="left")
    for column in ("site", "partner", "hosts", "roles"):
        table.add_column(column)
    for site in p.sites:
        roles = Counter(_roles(h) for h in p.hosts_in(site))
        table.add_row(site, p.operator(site).name, str(sum(roles.values())),
                      ", ".join(f"{count} {role}" for role, count in sorted(roles.items())))
    return table


def matrix_table(p: Partnership) -> Table:
    table = Table(title="Backup matrix: which site's data lands where", title_justify="left")
    table.add_column("job", no_wrap=True)
    for column in ("client", "schedule", "RPO", "RTO"):
        table.add_column(column)
    # a column per site while they fit a screen; beyond, one column naming where the copies are
    wide = len(p.sites) <= MATRIX_SITE_COLUMNS
    for site in p.sites if wide else ["copies at"]:
        table.add_column(site, justify="center" if wide else "left")
    cells = {"own": "[green]own[/]", "copy": "[cyan]copy[/]", "": "·"}
    for name, row in p.backup_matrix().items():
        job = p.jobs[name]
        where = [cells[row[s]] for s in p.sites] if wide else [", ".join(job.offsite)]
        table.add_row(name, f"{job.client} ({job.site})", job.spec.schedule,
                      format_duration(job.spec.rpo), format_duration(job.spec.rto), *where)
    return table


def matrix_summary(p: Partnership) -> Table:
    """The backup matrix with the jobs of one kind (home, copies, schedule, RPO, RTO) in a row."""

    table = Table(title=f"Backup matrix: {len(p.jobs)} jobs by where their data lands "
                        "(every job: inventory check --full)", title_justify="left")
    for column in ("home", "copies at", "schedule", "RPO", "RTO", "jobs"):
        table.add_column(column)
    kinds: dict[tuple, list[str]] = {}
    for job in p.jobs.values():
        key = (job.site, ", ".join(job.offsite), job.spec.schedule, format_duration(job.spec.rpo),
               format_duration(job.spec.rto))
        kinds.setdefault(key, []).append(job.name)
    for key, names in kinds.items():
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        table.add_row(*key, f"{len(names)}: {shown}")
    return table
