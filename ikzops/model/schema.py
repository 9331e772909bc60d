"""The schema of every ``ikz_*`` key an inventory may hold: one place, checked before anything runs.

Partnership-wide keys (the same for every host; put them in ``group_data/<inventory>.py``
or ``group_data/all.py``):

* ``ikz_partnership`` - the name of the partnership (used in IQNs, CA names)
* ``ikz_sites``       - ``{site: SiteSpec}``; each site is one partner's data centre
* ``ikz_jobs``        - ``{job: JobSpec}``; what is backed up (files, or LUNs), how often, to where
* ``ikz_luns``        - ``{lun: LunSpec}``; the shared SAN's per-partner LUNs
* ``ikz_iqn_base``    - the naming authority of the SAN's target IQNs (default ``IQN_BASE``)
* ``ikz_firewall``    - :class:`FirewallSpec`; when set, every host gets an nftables ruleset
  that admits only what its roles need (off when absent)

Host keys (in the host's tuple in the inventory file):

* ``ssh_hostname``, ``ssh_port`` - pyinfra's own; the address ikzops checks for duplicates
* ``ikz_pools``      - on ``storage`` hosts: ``{pool: PoolSpec}``
* ``ikz_repository`` - on ``repository`` hosts: :class:`RepositorySpec`
* ``ikz_firewall_allow`` - more ports this host accepts (its own services): ``[FirewallRule]``
"""

from __future__ import annotations

import posixpath
import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from ikzops.model import networks
from ikzops.model.schedule import ScheduleError, fire_seconds
from ikzops.model.units import parse_duration, parse_size

NAME_PATTERN = r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$"
IQN_PATTERN = r"^iqn\.\d{4}-\d{2}\.[a-z0-9][a-z0-9.-]*(:[A-Za-z0-9._:-]+)?$"
#: the naming authority of the SAN's targets (``ikz_iqn_base``): ``iqn.YYYY-MM.reversed.domain``
IQN_BASE_PATTERN = r"^iqn\.\d{4}-\d{2}\.[a-z0-9][a-z0-9.-]*[a-z0-9]$"
IQN_BASE = "iqn.2026-11.org.ikzops"

PARTNERSHIP_KEYS = ("ikz_partnership", "ikz_partners", "ikz_sites", "ikz_jobs", "ikz_luns", "ikz_monitoring",
                    "ikz_iqn_base", "ikz_firewall", "ikz_costs")
HOST_KEYS = ("ikz_pools", "ikz_repository", "ikz_standby", "ikz_firewall_allow", "ikz_admin")
#: set for one run by the CLI (``ikzops deploy --allow-destroy`` passes ``--data ikz_allow_destroy=true``,
#: ``--dry`` passes ``--data ikz_dry=true``)
RUN_KEYS = ("ikz_allow_destroy", "ikz_dry")
ROLES = ("storage", "repository", "client", "monitor")


def _absolute_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"{value!r} is not an absolute path")
    if "\x00" in value or "\n" in value:
        raise ValueError("a path may not contain NUL or newline characters")
    if ".." in value.split("/"):
        raise ValueError(f"{value!r} contains '..' (path traversal)")
    normal = posixpath.normpath(value)
    return "/" + normal.lstrip("/")


def _schedule(value: str) -> str:
    try:
        fire_seconds(value)
    except ScheduleError as exc:
        raise ValueError(str(exc)) from None
    return value


def _positive(value: timedelta) -> timedelta:
    if value.total_seconds() <= 0:
        raise ValueError("must be longer than zero")
    return value


def _positive_size(value: int) -> int:
    if value <= 0:
        raise ValueError("must be larger than zero")
    if value > 1 << 60:
        raise ValueError("is absurdly large (over one exbibyte)")
    return value


def _network(value: str) -> str:
    """An IPv4/IPv6 address or network, written as nftables takes it (``10.0.0.0/24``)."""

    found = networks.network(str(value))
    if found is None:
        raise ValueError(f"{value!r} is not an IP address or network (like 10.1.2.3 or 10.1.0.0/16)")
    return found


Name = Annotated[str, Field(pattern=NAME_PATTERN)]
Network = Annotated[str, AfterValidator(_network)]
AbsolutePath = Annotated[str, AfterValidator(_absolute_path)]
Duration = Annotated[timedelta, BeforeValidator(parse_duration), AfterValidator(_positive)]
Size = Annotated[int, BeforeValidator(parse_size), AfterValidator(_positive_size)]
Schedule = Annotated[str, AfterValidator(_schedule)]
Iqn = Annotated[str, Field(pattern=IQN_PATTERN)]
Command = Annotated[str, Field(min_length=1)]


class Spec(BaseModel):
    """Every spec: unknown fields refused, and defaults validated and converted exactly like
    written values (``give_up_after = "10m"`` becomes a timedelta whether written or not)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, validate_default=True)


class PartnerSpec(Spec):
    """An organisation (``ikz_partners``): it operates sites, administers hosts, owns jobs."""

    name: str = Field(min_length=1, description="the organisation, e.g. 'Landeshauptstadt Saarbrücken'")
    #: who answers for this partner's backups (the backup concept names them)
    contact: str = ""
    #: the partners whose administrators may hold this partner's repository keys (and so can
    #: decrypt its backups): a key on a host administered by anyone else is refused
    trust: list[Name] = []
    #: a host this partner administers that maintains its repositories kept in buckets of a
    #: gateway whose host it does not trust (retention, verify and drills run there, with
    #: its keys; the gateway's host then holds no key of it)
    maintenance: Annotated[str, Field(min_length=1)] | None = None


class SiteSpec(Spec):
    partner: str = Field(min_length=1, description="who runs this site: with ikz_partners a partner's key, "
                                                   "without it the organisation's name")
    description: str = ""
    #: who answers for this partner's backups (the backup concept names them; CON.3 asks for it)
    contact: str = ""


class PostgresHook(Spec):
    databases: list[Name] = Field(min_length=1)
    user: str = "postgres"


class Hooks(Spec):
    before: list[Command] = []
    after: list[Command] = []
    postgresql: PostgresHook | None = None


class Retention(Spec):
    keep_last: int = Field(default=0, ge=0, le=10000)
    keep_daily: int = Field(default=7, ge=0, le=10000)
    keep_weekly: int = Field(default=4, ge=0, le=10000)
    keep_monthly: int = Field(default=6, ge=0, le=10000)
    #: never forget a snapshot that arrived within this window before the newest one: a
    #: client that floods a repository with new snapshots then costs only space (and an
    #: alert), never a good run (restic's advice against forged snapshots, by arrival time)
    keep_within: Duration = "7d"

    @model_validator(mode="after")
    def _keeps_something(self) -> Retention:
        if not (self.keep_last or self.keep_daily or self.keep_weekly or self.keep_monthly):
            raise ValueError("retention keeps nothing: set at least one keep_* above zero")
        return self

    def policy(self) -> dict[str, int]:
        """The policy as the agent's ``policy.kept`` takes it (JSON: the window in seconds)."""

        return {"keep_last": self.keep_last, "keep_daily": self.keep_daily, "keep_weekly": self.keep_weekly,
                "keep_monthly": self.keep_monthly, "keep_within_seconds": int(self.keep_within.total_seconds())}


class JobSpec(Spec):
    """A backup job: files of a ``client`` (``paths``), or the SAN's LUNs (``luns``, or every
    LUN of a ``pool`` written ``HOST/POOL``) imaged on the storage host serving them."""

    client: Annotated[str, Field(min_length=1)] | None = None
    paths: list[AbsolutePath] = []
    luns: list[Name] = []
    pool: Annotated[str, Field(pattern=r"^[^/\s]+/[a-z][a-z0-9-]*$")] | None = None
    exclude: list[str] = []
    schedule: Schedule = "hourly"
    rpo: Duration
    rto: Duration
    retention: Retention = Retention()
    destinations: list[str] = Field(min_length=1)
    hooks: Hooks = Hooks()
    #: how long a destination may stay unreachable, or keep failing (a full disk), during
    #: one run before the run stops trying it; the next run catches up
    give_up_after: Duration = "10m"
    #: the partner whose data this job holds (with ikz_partners; default: its site's operator)
    owner: Name | None = None
    #: in a recovery, jobs with the same RTO are restored in this order (lower first)
    priority: int = Field(default=100, ge=0, le=1000)
    #: each verify hashes every pack that arrived since the last one, plus older packs up to
    #: this many bytes per repository (longest unproven first): a repository this small is
    #: proven whole every run, a larger one within size / budget runs
    scrub_budget: Size = "8G"

    @model_validator(mode="after")
    def _files_or_luns(self) -> JobSpec:
        if self.luns or self.pool:
            if self.luns and self.pool:
                raise ValueError("name 'luns' or a 'pool', not both")
            written = [key for key in ("client", "paths", "exclude") if getattr(self, key)]
            if written or self.hooks != Hooks():
                raise ValueError(f"a LUN job images whole LUNs on their storage host: it takes no "
                                 f"{', '.join(written + (['hooks'] if self.hooks != Hooks() else []))}")
        elif not self.client or not self.paths:
            raise ValueError("name the 'client' and its 'paths' to back up (or 'luns' / a 'pool' of the SAN)")
        return self


class PoolSpec(Spec):
    backing: Literal["file", "lvm"]
    size: Size
    #: file pools: the directory holding the backing files
    path: AbsolutePath | None = None
    #: lvm pools: the volume group
    vg: Annotated[str, Field(pattern=r"^[A-Za-z0-9+_.-]+$")] | None = None

    @model_validator(mode="after")
    def _where(self) -> PoolSpec:
        if self.backing == "file" and not self.path:
            raise ValueError("a file pool needs 'path' (the directory for the backing files)")
        if self.backing == "lvm" and not self.vg:
            raise ValueError("an lvm pool needs 'vg' (the volume group)")
        return self


class LunSpec(Spec):
    partner: str = Field(min_length=1, description="the site (partner) that owns this LUN")
    host: str = Field(min_length=1, description="the storage host serving it")
    pool: Name
    size: Size
    initiators: list[Iqn] = Field(min_length=1)
    #: where the initiators connect from (addresses, networks or inventory host names): with
    #: the firewall on, storage hosts accept iSCSI from these only
    initiator_addresses: list[Annotated[str, Field(min_length=1)]] = []


class S3Spec(Spec):
    """``ikz_repository.s3``: the site keeps its repositories as buckets of an S3 gateway
    (Ceph's RGW) instead of on this host's disk. ikzops consumes the cluster, it does not
    build it: it makes per partner an RGW user with its quota (the bucket owner), per job a
    bucket with Object Lock, per client a user that may add data but not delete or overwrite
    it (bucket policy; restic's lock files are the exception), through RGW's admin API with
    the admin credentials in the secret store (``s3/<host>/admin.access`` and ``.secret``).
    This host runs retention, verify and drills against the buckets, as the owners."""

    #: the gateway, TLS only: ``https://NAME[:PORT]``; its certificate must be one of the
    #: partnership's CA (as every server's is: clients trust that CA alone)
    endpoint: Annotated[str, Field(pattern=r"^https://[A-Za-z0-9.-]+(:\d{1,5})?$")]
    #: every object written is locked this long (S3 Object Lock, the second guard beside
    #: the bucket policy): not even the owner deletes it earlier
    object_lock: Duration = "14d"
    #: GOVERNANCE: an RGW admin may lift a lock; COMPLIANCE: nobody can
    object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = "GOVERNANCE"
    region: Annotated[str, Field(min_length=1, max_length=40)] = "default"

    @model_validator(mode="after")
    def _whole_days(self) -> S3Spec:
        if self.object_lock.total_seconds() % 86400:
            raise ValueError("object_lock is counted in whole days (S3 Object Lock): write e.g. '14d'")
        return self

    @property
    def lock_days(self) -> int:
        return int(self.object_lock.total_seconds() // 86400)


class RepositorySpec(Spec):
    path: AbsolutePath = "/srv/ikzops/repositories"
    size: Size | None = None
    #: each partner's quota inside ``path`` (keyed by partner; without ikz_partners a site's
    #: operator is keyed by the site): its own rest-server refuses more (507); a partner
    #: without a reservation shares what nobody reserved
    reserve: dict[str, Size] = {}
    #: the site's repositories are buckets on this S3 gateway (then ``path`` is unused and
    #: each partner's quota is its RGW user quota)
    s3: S3Spec | None = None


class EmailReceiver(Spec):
    to: list[str] = Field(min_length=1)
    smarthost: str = Field(pattern=r"^[A-Za-z0-9.-]+:\d+$")
    sender: str = Field(alias="from", min_length=3)


class Receivers(Spec):
    webhooks: list[Annotated[str, Field(pattern=r"^https?://")]] = []
    email: EmailReceiver | None = None


class CostsSpec(Spec):
    """Rates for the cost shares (``ikz_costs``): what a TB kept for a month costs; a month is 30 days."""

    currency: str = Field(default="EUR", min_length=1, max_length=8)
    #: repository storage as on disk (after deduplication and compression), per TB-month
    repository_per_tb_month: float = Field(default=0.0, ge=0)
    #: LUN capacity allocated on the SAN, per TB-month
    lun_per_tb_month: float = Field(default=0.0, ge=0)


class MonitoringSpec(Spec):
    scrape_interval: Duration = "30s"
    evaluation_interval: Duration = "30s"
    #: how long a condition must hold before its alert fires (host/site down, stale ...)
    alert_for: Duration = "10m"
    #: a job without a passed drill for this long is overdue
    drill_max_age: Duration = "30d"
    #: the availability target of the partnership's IT (error budget alerts)
    availability_target: float = Field(default=0.9998, gt=0.9, lt=1)
    receivers: Receivers = Receivers()


class FirewallSpec(Spec):
    """``ikz_firewall``: an nftables table ``inet ikzops`` on every host, rendered from the model.

    Each host accepts only what its roles need from the hosts that need it (see
    :mod:`ikzops.firewall.rules`); everything else is refused. A new ruleset is checked
    (``nft -c``) before it is loaded and rolled back after ``rollback_after`` unless the
    deploy reaches the host again over a new SSH connection.
    """

    enabled: bool = True
    #: where ikzops runs from (the control hosts): SSH, and every port ikzops serves
    control: list[Network] = Field(min_length=1)
    rollback_after: Duration = "2m"


class FirewallRule(Spec):
    """One more port a host accepts (``ikz_firewall_allow``): a service of its own."""

    port: Annotated[int, Field(ge=1, le=65535)] | Annotated[str, Field(pattern=r"^\d{1,5}-\d{1,5}$")]
    proto: Literal["tcp", "udp"] = "tcp"
    #: addresses, networks, inventory host names, or "any"
    sources: list[Annotated[str, Field(min_length=1)]] = Field(alias="from", min_length=1)
    #: why the port is open (the rule's comment in the ruleset)
    comment: Annotated[str, Field(max_length=60, pattern=r'^[^"\n\\]*$')] = ""

    @model_validator(mode="after")
    def _range(self) -> FirewallRule:
        if isinstance(self.port, str):
            low, high = (int(part) for part in self.port.split("-"))
            if not 1 <= low < high <= 65535:
                raise ValueError(f"port range {self.port!r} must go up, within 1-65535")
        return self


class PartnershipSpec(Spec):
    ikz_partnership: Name
    ikz_sites: dict[Name, SiteSpec] = Field(min_length=1)
    ikz_jobs: dict[Name, JobSpec] = {}
    ikz_luns: dict[Name, LunSpec] = {}


class HostSpec(Spec):
    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=True)

    ssh_hostname: str | None = None
    ssh_port: int = Field(default=22, ge=1, le=65535)
    ssh_user: str | None = None
    ssh_key: str | None = None
    ssh_known_hosts_file: str | None = None
    ikz_pools: dict[Name, PoolSpec] = {}
    ikz_repository: RepositorySpec | None = None
    #: the host at another site that takes this client's jobs when its site is lost
    ikz_standby: str | None = None
    ikz_firewall_allow: list[FirewallRule] = []
    #: the partner whose administrators run this host (with ikz_partners; default: its site's operator)
    ikz_admin: str | None = None


def is_valid_name(value: str) -> bool:
    return bool(re.match(NAME_PATTERN, value))
