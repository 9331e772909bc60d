"""The validated partnership: sites, hosts with roles, backup jobs and LUNs.

Built only by :mod:`ikzops.model.loader` after every check passed; everything else in
ikzops reads this, never raw inventory data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ikzops.errors import ConfigError
from ikzops.model.schema import (
    IQN_BASE,
    CostsSpec,
    FirewallRule,
    FirewallSpec,
    JobSpec,
    LunSpec,
    MonitoringSpec,
    PoolSpec,
    RepositorySpec,
    SiteSpec,
)


@dataclass(frozen=True)
class Partner:
    """An organisation. Without ``ikz_partners`` each site's operator is one, keyed by the
    site's name, and the partners trust each other (the layout of two partners under one
    contract, as before partners were modelled)."""

    key: str
    name: str
    contact: str = ""
    #: partners whose administrators may hold this partner's keys
    trust: frozenset[str] = frozenset()
    #: written in ``ikz_partners`` (False: implied by a site)
    declared: bool = True
    #: the host it administers that maintains its buckets at untrusted sites (or None)
    maintenance: str | None = None

    def trusts(self, other: str) -> bool:
        return other == self.key or other in self.trust


@dataclass(frozen=True)
class Host:
    name: str
    address: str
    port: int
    site: str
    roles: frozenset[str]
    groups: tuple[str, ...]
    pools: dict[str, PoolSpec] = field(default_factory=dict)
    repository: RepositorySpec | None = None
    #: how ikzops itself reaches the host (pyinfra's ssh_* data)
    ssh_user: str | None = None
    ssh_key: str | None = None
    ssh_known_hosts_file: str | None = None
    #: the host at another site that takes this client's jobs when its site is lost
    standby: str | None = None
    #: ports of its own services this host accepts besides what its roles need
    firewall_allow: tuple[FirewallRule, ...] = ()
    #: the partner whose administrators run it (default: its site's operator)
    admin: str = ""

    def has(self, role: str) -> bool:
        return role in self.roles


#: where a LUN job's images are taken on the storage host (``<folder>/<job>/<lun>.img``):
#: the job's ``paths``, what its snapshots hold
LUN_IMAGE_DIR = "/var/lib/ikzops/lun-images"


@dataclass(frozen=True)
class Job:
    name: str
    site: str
    spec: JobSpec
    #: a LUN job: the LUNs it images (its client is their storage host)
    luns: tuple[str, ...] = ()
    #: the partner whose data it holds (default: its site's operator)
    owner: str = ""

    @property
    def client(self) -> str:
        return self.spec.client

    @property
    def destinations(self) -> tuple[str, ...]:
        """Every site that holds this job's backups: its own site first, then the partners."""

        others = [s for s in self.spec.destinations if s != self.site]
        return (self.site, *dict.fromkeys(others))

    @property
    def offsite(self) -> tuple[str, ...]:
        return self.destinations[1:]

    def image(self, lun: str) -> str:
        """Where a LUN job holds ``lun``'s image, on its host and in its snapshots."""

        return f"{LUN_IMAGE_DIR}/{self.name}/{lun}.img"


def operator_key(site: str, spec: SiteSpec, partners: dict[str, Partner]) -> str:
    """The key of the partner operating ``site`` (the one home of that rule): the partner its
    ``partner`` names, or, without ikz_partners, the partner implied by the site itself."""

    declared = partners.get(spec.partner)
    return spec.partner if declared is not None and declared.declared else site


def restore_rank(job: Job) -> tuple:
    """Where ``job`` stands in its site's restore order (the one home of that rule)."""

    return (job.spec.rto.total_seconds(), job.spec.priority, job.name)


@dataclass(frozen=True)
class Partnership:
    name: str
    source: str
    sites: dict[str, SiteSpec]
    hosts: dict[str, Host]
    jobs: dict[str, Job]
    luns: dict[str, LunSpec]
    monitoring: MonitoringSpec = field(default_factory=MonitoringSpec)
    iqn_base: str = IQN_BASE
    #: the firewall every host gets (None: off)
    firewall: FirewallSpec | None = None
    #: the organisations (declared in ikz_partners, or one per site)
    partners: dict[str, Partner] = field(default_factory=dict)
    #: the rates of the cost shares (all zero unless ikz_costs gives them)
    costs: CostsSpec = field(default_factory=CostsSpec)

    @property
    def firewall_on(self) -> bool:
        return self.firewall is not None and self.firewall.enabled

    def hosts_with(self, role: str, site: str | None = None) -> list[Host]:
        return [
            h for h in self.hosts.values()
            if h.has(role) and (site is None or h.site == site)
        ]

    def hosts_in(self, site: str) -> list[Host]:
        return [h for h in self.hosts.values() if h.site == site]

    def repository_host(self, site: str) -> Host:
        """The repository host of ``site`` (validation guarantees one exists where needed)."""

        return self._repository_hosts[site]

    @cached_property
    def _repository_hosts(self) -> dict[str, Host]:
        """Each site's first repository host (asked per job and destination: looked up once)."""

        found: dict[str, Host] = {}
        for host in self.hosts.values():
            if host.has("repository"):
                found.setdefault(host.site, host)
        return found

    def select_jobs(self, names: tuple[str, ...] | list[str] = ()) -> list[Job]:
        """The jobs called ``names`` (all jobs when none is named); an unknown name is a usage error."""

        unknown = [n for n in names if n not in self.jobs]
        if unknown:
            raise ConfigError(f"unknown job(s) {', '.join(unknown)}; jobs: {', '.join(self.jobs)}")
        return [self.jobs[n] for n in names] if names else list(self.jobs.values())

    def check_sites(self, names: tuple[str, ...] | list[str]) -> None:
        unknown = [s for s in names if s not in self.sites]
        if unknown:
            raise ConfigError(f"unknown site(s) {', '.join(unknown)}; sites: {', '.join(self.sites)}")

    def lun_job(self, lun: str) -> Job | None:
        """The job that images ``lun``, if one does."""

        return next((job for job in self.jobs.values() if lun in job.luns), None)

    def jobs_of_client(self, client: str) -> list[Job]:
        """The jobs whose data is on ``client``."""

        return list(self._jobs_by["client"].get(client, ()))

    def jobs_landing_on(self, repository_host: str) -> list[Job]:
        """The jobs with a copy on ``repository_host`` (its site's repository host)."""

        site = self.hosts[repository_host].site
        if self.repository_host(site).name != repository_host:
            return []
        return list(self._jobs_by["destination"].get(site, ()))

    @cached_property
    def _jobs_by(self) -> dict[str, dict[str, list[Job]]]:
        """The jobs by client and by destination site (asked per host: indexed once)."""

        index: dict[str, dict[str, list[Job]]] = {"client": {}, "destination": {}}
        for job in self.jobs.values():
            index["client"].setdefault(job.client, []).append(job)
            for site in job.destinations:
                index["destination"].setdefault(site, []).append(job)
        return index

    def operator(self, site: str) -> Partner:
        """The partner that operates ``site``."""

        return self.partners[operator_key(site, self.sites[site], self.partners)]

    def lun_owner(self, lun: str) -> str:
        """The partner a LUN belongs to (its ``partner`` names a site: that site's operator)."""

        return self.operator(self.luns[lun].partner).key

    def restore_order(self, site: str) -> list[Job]:
        """The jobs of ``site`` in the order a recovery restores them: shortest RTO first, then
        the job's ``priority`` (lower first), then its name."""

        return sorted((j for j in self.jobs.values() if j.site == site), key=restore_rank)

    def backup_matrix(self) -> dict[str, dict[str, str]]:
        """``{job: {site: "own" | "copy" | ""}}``: which site's data lands where."""

        return {
            name: {
                site: ("own" if site == job.site else "copy" if site in job.offsite else "")
                for site in self.sites
            }
            for name, job in self.jobs.items()
        }
