"""Every check of an inventory, all run before anything else, all problems collected.

First each piece is checked against the schema on its own (so one broken job does not
hide the problems of the next), then the pieces are checked against each other:
references, addresses, capacities, schedules against RPOs, offsite copies.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from ikzops.model import access, buckets, networks, partners, quotas
from ikzops.model.partnership import LUN_IMAGE_DIR, Host, Job, Partner, Partnership
from ikzops.model.problems import PathPart, Problem
from ikzops.model.schedule import longest_gap
from ikzops.model.schema import (
    HOST_KEYS,
    IQN_BASE,
    IQN_BASE_PATTERN,
    NAME_PATTERN,
    PARTNERSHIP_KEYS,
    ROLES,
    RUN_KEYS,
    CostsSpec,
    FirewallSpec,
    HostSpec,
    JobSpec,
    LunSpec,
    MonitoringSpec,
    SiteSpec,
    is_valid_name,
)
from ikzops.model.units import format_duration, format_size

if TYPE_CHECKING:
    from ikzops.model.loader import RawInventory


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: tuple[PathPart, ...], message: str) -> None:
        self.problems.append(Problem(path, message))

    def validate(self, model: type[BaseModel], value: Any, path: tuple[PathPart, ...]) -> Any:
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            for error in exc.errors():
                message = error["msg"].removeprefix("Value error, ")
                if error["type"] == "extra_forbidden":
                    message = "unknown field (typo?)"
                elif error["type"] == "string_pattern_mismatch":
                    message = f"{error.get('input')!r} does not match {error['ctx']['pattern']}"
                self.add(path + tuple(error["loc"]), message)
            return None

    def named_items(
        self, key: str, value: Any, model: type[BaseModel]
    ) -> dict[str, Any]:
        """Validate ``{name: spec}`` item by item; return the valid ones."""

        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add((key,), f"must be a dict of name -> settings, not {type(value).__name__}")
            return {}
        valid = {}
        for name, spec in value.items():
            if not isinstance(name, str) or not is_valid_name(name):
                self.add((key, str(name)), f"name {name!r} does not match {NAME_PATTERN}")
                continue
            parsed = self.validate(model, spec, (key, name))
            if parsed is not None:
                valid[name] = parsed
        return valid


def check(raw: RawInventory) -> tuple[list[Problem], Partnership | None]:
    out = _Collector()
    if not raw.hosts:
        out.add((), "the inventory defines no hosts")
        return out.problems, None

    shared = _partnership_data(raw, out)
    name = shared.get("ikz_partnership")
    if name is None:
        out.add(("ikz_partnership",), "missing: name the partnership, e.g. ikz_partnership = 'saar'")
    elif not isinstance(name, str) or not is_valid_name(name):
        out.add(("ikz_partnership",), f"{name!r} does not match {NAME_PATTERN}")
    if not shared.get("ikz_sites"):
        out.add(("ikz_sites",), "missing: define the sites, e.g. ikz_sites = {'city': {'partner': '...'}}")
    sites: dict[str, SiteSpec] = out.named_items("ikz_sites", shared.get("ikz_sites"), SiteSpec)
    known = partners.partners(shared.get("ikz_partners"), sites, out)
    jobs: dict[str, JobSpec] = out.named_items("ikz_jobs", shared.get("ikz_jobs"), JobSpec)
    luns: dict[str, LunSpec] = out.named_items("ikz_luns", shared.get("ikz_luns"), LunSpec)
    monitoring = out.validate(MonitoringSpec, shared.get("ikz_monitoring") or {}, ("ikz_monitoring",))
    iqn_base = shared.get("ikz_iqn_base") or IQN_BASE
    if not isinstance(iqn_base, str) or not re.match(IQN_BASE_PATTERN, iqn_base):
        out.add(("ikz_iqn_base",), f"{iqn_base!r} is not an IQN naming authority like {IQN_BASE!r}")
    costs = out.validate(CostsSpec, shared.get("ikz_costs") or {}, ("ikz_costs",))
    firewall = None
    if shared.get("ikz_firewall") is not None:
        firewall = out.validate(FirewallSpec, shared["ikz_firewall"], ("ikz_firewall",))

    hosts = _hosts(raw, sites, out)
    _check_addresses(hosts, out)
    _check_standbys(hosts, out)
    for site in sites:
        if site in ROLES:
            out.add(("ikz_sites", site), f"a site may not be named like the role {site!r}")
        elif not any(h.site == site for h in hosts.values()):
            out.add(("ikz_sites", site), f"site {site!r} has no hosts: put hosts in a group named {site!r}")
    _check_luns(luns, hosts, sites, out)
    with_repository = frozenset(h.site for h in hosts.values() if h.has("repository"))
    checked_jobs = {n: j for n, spec in jobs.items() if (j := _job(n, spec, hosts, sites, luns, out, with_repository))}
    _check_lun_jobs(checked_jobs, out)
    _check_repositories(hosts, known, out)
    _check_firewall(firewall, shared.get("ikz_firewall") is not None, hosts, set(raw.hosts), luns, out)
    hosts, checked_jobs = partners.assign(hosts, checked_jobs, sites, known, out)

    if out.problems:
        return out.problems, None
    partnership = Partnership(
        name=name, source=raw.file, sites=sites, hosts=hosts, jobs=checked_jobs, luns=luns, monitoring=monitoring,
        iqn_base=iqn_base, firewall=firewall, partners=known, costs=costs,
    )
    for where, message in (*quotas.problems(partnership), *buckets.problems(partnership)):
        out.add(where, message)
    for holder in access.untrusted(partnership):
        out.add(("ikz_jobs", holder.job), f"puts the repository key of {holder.owner} on {holder.host} "
                                          f"({holder.why}), administered by {holder.admin}, which {holder.owner} "
                                          f"does not trust: add {holder.admin!r} to ikz_partners.{holder.owner}.trust, "
                                          "send the job elsewhere, or keep it in a bucket of an S3 gateway there "
                                          f"maintained from a host of {holder.owner}'s own "
                                          f"(ikz_partners.{holder.owner}.maintenance)")
    if out.problems:
        return out.problems, None
    return [], partnership


def _partnership_data(raw: RawInventory, out: _Collector) -> dict[str, Any]:
    """The partnership keys, which every host must see the same."""

    first, *rest = raw.hosts.values()
    shared = {key: first.data.get(key) for key in PARTNERSHIP_KEYS}
    for host in rest:
        for key in PARTNERSHIP_KEYS:
            if host.data.get(key) != shared[key]:
                out.add(
                    ("hosts", host.name, key),
                    f"differs from what host {first.name!r} sees: define {key} once for the "
                    f"whole inventory (group_data/{raw.file_group}.py or group_data/all.py)",
                )
    for host in raw.hosts.values():
        for key in host.data:
            if key.startswith("ikz_") and key not in PARTNERSHIP_KEYS + HOST_KEYS + RUN_KEYS:
                out.add(("hosts", host.name, key), "unknown ikzops key (typo?)")
    return shared


def _hosts(raw: RawInventory, sites: dict[str, SiteSpec], out: _Collector) -> dict[str, Host]:
    hosts: dict[str, Host] = {}
    for raw_host in raw.hosts.values():
        path: tuple[PathPart, ...] = ("hosts", raw_host.name)
        spec: HostSpec | None = out.validate(HostSpec, raw_host.data, path)
        in_sites = [g for g in raw_host.groups if g in sites]
        roles = frozenset(g for g in raw_host.groups if g in ROLES)
        if len(in_sites) != 1:
            if not in_sites:
                message = f"is in no site group; add it to one of: {', '.join(sites) or '(no sites)'}"
            else:
                message = f"is in several site groups ({', '.join(in_sites)}); a host stands in one site"
            out.add(path, message)
        if spec is None or len(in_sites) != 1:
            continue
        if spec.ikz_pools and "storage" not in roles:
            out.add(path + ("ikz_pools",), "storage pools on a host without the 'storage' role")
        if spec.ikz_repository and "repository" not in roles:
            out.add(path + ("ikz_repository",), "a repository volume on a host without the 'repository' role")
        hosts[raw_host.name] = Host(
            name=raw_host.name,
            address=spec.ssh_hostname or raw_host.name,
            port=spec.ssh_port,
            site=in_sites[0],
            roles=roles,
            groups=raw_host.groups,
            pools=dict(spec.ikz_pools),
            repository=spec.ikz_repository,
            ssh_user=spec.ssh_user,
            ssh_key=spec.ssh_key,
            ssh_known_hosts_file=spec.ssh_known_hosts_file,
            standby=spec.ikz_standby,
            firewall_allow=tuple(spec.ikz_firewall_allow),
            admin=spec.ikz_admin or "",
        )
    return hosts


def _check_standbys(hosts: dict[str, Host], out: _Collector) -> None:
    for host in hosts.values():
        if host.standby is None:
            continue
        path = ("hosts", host.name, "ikz_standby")
        standby = hosts.get(host.standby)
        if standby is None:
            out.add(path, f"unknown host {host.standby!r}")
        elif standby.site == host.site:
            out.add(path, f"{host.standby} stands in the same site ({host.site}); a standby takes over when that "
                          "site is lost, so it must stand at another site")


def _check_addresses(hosts: dict[str, Host], out: _Collector) -> None:
    seen = Counter((h.address, h.port) for h in hosts.values())
    for host in hosts.values():
        if seen[(host.address, host.port)] > 1:
            others = [h.name for h in hosts.values() if (h.address, h.port) == (host.address, host.port) and h is not host]
            out.add(
                ("hosts", host.name, "ssh_hostname"),
                f"address {host.address}:{host.port} is also used by {', '.join(others)}",
            )


def _job(name: str, spec: JobSpec, hosts: dict[str, Host], sites: dict[str, SiteSpec], luns: dict[str, LunSpec],
         out: _Collector, with_repository: frozenset[str]) -> Job | None:
    path: tuple[PathPart, ...] = ("ikz_jobs", name)
    imaged: tuple[str, ...] = ()
    if spec.luns or spec.pool:
        imaged = _imaged_luns(path, spec, hosts, luns, out)
        if not imaged:
            return None
        # the storage host is the job's client; the images are what it backs up
        spec = spec.model_copy(update={"client": luns[imaged[0]].host,
                                       "paths": [f"{LUN_IMAGE_DIR}/{name}"]})
    client = hosts.get(spec.client)
    if client is None:
        out.add(path + ("client",), f"unknown host {spec.client!r}")
        return None
    if not imaged and not client.has("client"):
        out.add(path + ("client",), f"host {spec.client!r} does not have the 'client' role")
    job = Job(name=name, site=client.site, spec=spec, luns=imaged)
    for index, site in enumerate(spec.destinations):
        if site not in sites:
            out.add(path + ("destinations", index), f"unknown site {site!r} (sites: {', '.join(sites)})")
    offsite = [s for s in job.offsite if s in sites]
    if not offsite:
        out.add(
            path + ("destinations",),
            f"no offsite copy: the data of site {client.site!r} must also go to a partner site",
        )
    for site in job.destinations:
        if site in sites and site not in with_repository:
            out.add(
                path + ("destinations",),
                f"site {site!r} has no host with the 'repository' role to receive {spec.client}'s backups",
            )
    gap = longest_gap(spec.schedule)
    if gap > spec.rpo:
        out.add(
            path + ("rpo",),
            f"RPO {format_duration(spec.rpo)} cannot be met: schedule {spec.schedule!r} "
            f"leaves up to {format_duration(gap)} between backups",
        )
    return job


def _imaged_luns(path: tuple[PathPart, ...], spec: JobSpec, hosts: dict[str, Host], luns: dict[str, LunSpec],
                 out: _Collector) -> tuple[str, ...]:
    """The LUNs a LUN job images (``luns``, or every LUN of ``pool``), all on one storage host."""

    if spec.pool:
        host_name, _, pool = spec.pool.partition("/")
        host = hosts.get(host_name)
        if host is None or pool not in host.pools:
            out.add(path + ("pool",), f"no pool {spec.pool!r}: write HOST/POOL of a storage host's ikz_pools")
            return ()
        names = tuple(sorted(n for n, lun in luns.items() if (lun.host, lun.pool) == (host_name, pool)))
        if not names:
            out.add(path + ("pool",), f"pool {spec.pool} holds no LUN (ikz_luns) to back up")
        return names
    unknown = [n for n in spec.luns if n not in luns]
    for index, name in enumerate(spec.luns):
        if name in unknown:
            out.add(path + ("luns", index), f"unknown LUN {name!r} (ikz_luns: {', '.join(luns) or 'none'})")
    if unknown:
        return ()
    serving = sorted({luns[n].host for n in spec.luns})
    if len(serving) > 1:
        out.add(path + ("luns",), f"the LUNs stand on several storage hosts ({', '.join(serving)}): one job per host")
        return ()
    return tuple(dict.fromkeys(spec.luns))


def _check_lun_jobs(jobs: dict[str, Job], out: _Collector) -> None:
    """A LUN is imaged by one job only (two would pause its initiators twice per schedule)."""

    seen: dict[str, str] = {}
    for name, job in jobs.items():
        for lun in job.luns:
            if lun in seen:
                out.add(("ikz_jobs", name, "luns" if job.spec.luns else "pool"),
                        f"LUN {lun!r} is already backed up by job {seen[lun]!r}")
            seen.setdefault(lun, name)


def _check_luns(luns: dict[str, LunSpec], hosts: dict[str, Host], sites: dict[str, SiteSpec], out: _Collector) -> None:
    used: dict[tuple[str, str], int] = defaultdict(int)
    for name, lun in luns.items():
        path: tuple[PathPart, ...] = ("ikz_luns", name)
        if lun.partner not in sites:
            out.add(path + ("partner",), f"unknown site {lun.partner!r} (sites: {', '.join(sites)})")
        host = hosts.get(lun.host)
        if host is None:
            out.add(path + ("host",), f"unknown host {lun.host!r}")
            continue
        if not host.has("storage"):
            out.add(path + ("host",), f"host {lun.host!r} does not have the 'storage' role")
            continue
        pool = host.pools.get(lun.pool)
        if pool is None:
            out.add(path + ("pool",), f"host {lun.host!r} has no pool {lun.pool!r} (pools: {', '.join(host.pools) or 'none'})")
            continue
        used[(lun.host, lun.pool)] += lun.size
        if lun.size > pool.size:
            out.add(path + ("size",), f"{format_size(lun.size)} is larger than pool {lun.host}/{lun.pool} ({format_size(pool.size)})")
    for (host_name, pool_name), total in used.items():
        pool = hosts[host_name].pools[pool_name]
        if total > pool.size:
            members = [n for n, lun in luns.items() if (lun.host, lun.pool) == (host_name, pool_name)]
            if len(members) > 1:
                out.add(
                    ("hosts", host_name, "ikz_pools", pool_name, "size"),
                    f"LUNs {', '.join(members)} need {format_size(total)}, "
                    f"the pool has {format_size(pool.size)}",
                )


def _check_repositories(hosts: dict[str, Host], known: dict[str, Partner], out: _Collector) -> None:
    """Reservations are per partner (without ikz_partners a partner is keyed by its site)."""

    for host in hosts.values():
        repo = host.repository
        if repo is None:
            continue
        path: tuple[PathPart, ...] = ("hosts", host.name, "ikz_repository")
        for partner in repo.reserve:
            if partner not in known:
                out.add(path + ("reserve", partner), f"unknown partner {partner!r}; partners: {', '.join(known)}")
        if repo.size is not None and sum(repo.reserve.values()) > repo.size:
            out.add(
                path + ("reserve",),
                f"reservations add up to {format_size(sum(repo.reserve.values()))}, "
                f"more than the volume's {format_size(repo.size)}",
            )


def _check_firewall(firewall: FirewallSpec | None, written: bool, hosts: dict[str, Host], named: set[str],
                    luns: dict[str, LunSpec], out: _Collector) -> None:
    """With the firewall on, every source must resolve to addresses (hosts are written into
    each other's rules by address) and every LUN must say where its initiators connect from;
    with it off, what only the firewall would read is reported, not silently dropped."""

    if written and firewall is None:
        return  # ikz_firewall itself is broken; its problems are reported already
    on = firewall is not None and firewall.enabled
    broken = named - set(hosts)  # hosts whose own data is broken are reported already, not again here

    def unknown(entry: str) -> str | None:
        if entry in broken or networks.resolve(entry, hosts) is not None:
            return None
        return f"{entry!r} is no address, network, host of the inventory or 'any'"

    for host in hosts.values():
        path: tuple[PathPart, ...] = ("hosts", host.name)
        if on and networks.network(host.address) is None:
            out.add(path + ("ssh_hostname",), f"{host.address!r} is not an IP address: with ikz_firewall on, hosts "
                                              "admit each other by address (write the host's address here)")
        for index, rule in enumerate(host.firewall_allow):
            where = path + ("ikz_firewall_allow", index)
            if not on:
                out.add(where, "takes no effect: the firewall is off (set ikz_firewall to turn it on)")
                continue
            for message in filter(None, map(unknown, rule.sources)):
                out.add(where + ("from",), message)
    for name, lun in luns.items():
        path = ("ikz_luns", name, "initiator_addresses")
        if not on:
            if lun.initiator_addresses:
                out.add(path, "takes no effect: the firewall is off (set ikz_firewall to turn it on)")
            continue
        if not lun.initiator_addresses:
            out.add(path, "missing: with ikz_firewall on, storage hosts accept iSCSI only from the addresses "
                          "(or inventory hosts) written here")
        for message in filter(None, map(unknown, lun.initiator_addresses)):
            out.add(path, message)
