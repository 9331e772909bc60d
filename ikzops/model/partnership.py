"""The validated partnership: sites, hosts with roles, backup jobs and LUNs.

Built only by :mod:`ikzops.model.loader` after every check passed; everything else in
ikzops reads this, never raw inventory data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ikzops.model.schema import JobSpec, LunSpec, MonitoringSpec, PoolSpec, RepositorySpec, SiteSpec


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

    def has(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Job:
    name: str
    site: str
    spec: JobSpec

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


@dataclass(frozen=True)
class Partnership:
    name: str
    source: str
    sites: dict[str, SiteSpec]
    hosts: dict[str, Host]
    jobs: dict[str, Job]
    luns: dict[str, LunSpec]
    monitoring: MonitoringSpec = field(default_factory=MonitoringSpec)

    def hosts_with(self, role: str, site: str | None = None) -> list[Host]:
        return [
            h for h in self.hosts.values()
            if h.has(role) and (site is None or h.site == site)
        ]

    def hosts_in(self, site: str) -> list[Host]:
        return [h for h in self.hosts.values() if h.site == site]

    def repository_host(self, site: str) -> Host:
        """The repository host of ``site`` (validation guarantees one exists where needed)."""

        return self.hosts_with("repository", site)[0]

    def backup_matrix(self) -> dict[str, dict[str, str]]:
        """``{job: {site: "own" | "copy" | ""}}``: which site's data lands where."""

        return {
            name: {
                site: ("own" if site == job.site else "copy" if site in job.offsite else "")
                for site in self.sites
            }
            for name, job in self.jobs.items()
        }
