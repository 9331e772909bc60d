"""Where everything of a partnership lives on its hosts (pure: no host, no secret store).

On a repository host each partner whose jobs land there has its own rest-server
(:class:`RestInstance`): it serves ``<volume>/<partner>/`` on the partner's port, with the
partner's quota as its ``--max-size``, and only the clients of that partner's jobs log in;
with ``--private-repos`` a client's REST user (its host name) reaches only
``/<client>/``, so a job's repository is ``<volume>/<owner>/<client>/<job>``.
On a client everything of a job is under ``/etc/ikzops/jobs/<job>/`` (config, 0600) and
``/var/lib/ikzops/jobs/<job>/`` (state, lock, last run).
"""

from __future__ import annotations

from dataclasses import dataclass

from ikzops.agent.job_config import CONFIG_DIR as JOB_CONFIG_DIR
from ikzops.agent.job_config import Destination as JobDestination
from ikzops.agent.job_config import JobConfig
from ikzops.agent.restic import Repository
from ikzops.model.access import maintainer
from ikzops.model.buckets import bucket, partner_user, s3_of
from ikzops.model.partnership import Host, Job, Partnership
from ikzops.model.quotas import quotas
from ikzops.model.schema import RepositorySpec
from ikzops.san.targets import lun_device, target_iqn

#: the first partner's rest-server port; each partner listens on ``REST_PORT + its place``
#: among the partners (the order of ``ikz_partners``, or of ``ikz_sites`` without it), the
#: same port on every repository host: add new partners at the end to keep the ports
REST_PORT = 8000
#: Debian's unit of the single rest-server, which per-partner servers replace
DEBIAN_REST_UNIT = "restic-rest-server"
REST_SETTINGS_DIR = "/etc/restic-rest-server/partners"
#: the ports of the daemons ikzops deploys besides the rest-server (Debian's defaults)
NODE_EXPORTER_PORT = 9100
PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
ISCSI_PORT = 3260
#: the Unix account Debian's restic-rest-server unit runs as; retention, verify and drills
#: use the repositories with local access as this account
REST_SERVER_USER = "restic-rest-server"
AGENT_DIR = "/usr/local/lib/ikzops"
CONFIG_DIR = "/etc/ikzops"
STATE_DIR = "/var/lib/ikzops/jobs"
DUMP_DIR = "/var/lib/ikzops/dumps"
MANIFEST_DIR = "/var/lib/ikzops/manifests"
CA_FILE = "/etc/ikzops/ca.crt"
REST_PASSWORD_FILE = "/etc/ikzops/rest.password"
METRICS_DIR = "/var/lib/prometheus/node-exporter"
RETENTION_DIR = "/etc/ikzops/retention"
RETENTION_STATE = "/var/lib/ikzops/retention"
CAPACITY_FILE = "/etc/ikzops/capacity.json"
#: S3 keys: on a client its own per gateway (``client/<repository host>.key-id|.secret``,
#: root's); on a host maintaining buckets each owner's (``owners/<gateway>/<partner>.*``, the
#: maintenance account's); the folders above them only traversable
S3_KEYS_DIR = "/etc/ikzops/s3"
RESTIC_CACHE = "/var/cache/ikzops/restic"
VERIFY_STATE = "/var/lib/ikzops/verify"
DRILL_SCRATCH = "/var/tmp"
#: on monitors: Prometheus' ikzops files (config candidates, rules, CA, the monitoring password)
MONITORING_DIR = "/etc/prometheus/ikzops"
MONITOR_PASSWORD = f"{MONITORING_DIR}/monitor.password"
#: on every host: the TLS certificate, key and web config of node_exporter (and on monitors
#: Prometheus and Alertmanager), readable by Debian's ``prometheus`` user all three run as
MONITORING_WEB_DIR = "/etc/prometheus/ikzops-web"


@dataclass(frozen=True)
class Destination:
    site: str
    host: str
    address: str
    url: str
    #: the repository's directory on its host (for retention and checks with local access);
    #: "" for a bucket on an S3 gateway
    path: str
    #: the job's owner (an S3 destination is opened on the repository host with its keys)
    owner: str = ""
    #: an S3 destination: the repository host whose gateway holds the bucket (``host`` is
    #: the host that maintains it: this one, or the owner's maintenance host)
    gateway: str = ""

    @property
    def s3(self) -> bool:
        return self.url.startswith("s3:")


def volume(p: Partnership, host: str) -> RepositorySpec:
    return p.hosts[host].repository or RepositorySpec()


def rest_port(p: Partnership, partner: str) -> int:
    return REST_PORT + _places(p)[partner]


def _places(p: Partnership) -> dict[str, int]:
    return {key: place for place, key in enumerate(p.partners)}


def partner_path(p: Partnership, repository_host: str, partner: str) -> str:
    return f"{volume(p, repository_host).path}/{partner}"


def repository_path(p: Partnership, repository_host: str, job: Job) -> str:
    return f"{partner_path(p, repository_host, job.owner)}/{job.client}/{job.name}"


def repository_places(p: Partnership, repository_host: str) -> dict[str, tuple[str, ...]]:
    """``{place: earlier places}`` of every repository on ``repository_host``, relative to its
    volume: a job's repository is at ``owner/client/job``; it was at ``client/job`` with one
    rest-server per host, or at ``partner/client/job`` under an earlier owner."""

    return {f"{job.owner}/{job.client}/{job.name}": (f"{job.client}/{job.name}",
                                                     *(f"{o}/{job.client}/{job.name}" for o in p.partners if o != job.owner))
            for job in p.jobs_landing_on(repository_host)}


@dataclass(frozen=True)
class RestInstance:
    """One partner's rest-server on a repository host."""

    partner: str
    port: int
    #: what it serves: ``<volume>/<partner>``
    path: str
    #: the REST users that log in: the clients of the partner's jobs landing here, sorted
    clients: tuple[str, ...]
    #: its ``--max-size`` (the partner's quota here), None: no limit but the filesystem's
    max_size: int | None

    @property
    def unit(self) -> str:
        return rest_unit(self.partner)

    @property
    def settings(self) -> str:
        return rest_settings(self.partner)

    @property
    def htpasswd(self) -> str:
        return rest_htpasswd(self.partner)


def rest_unit(partner: str) -> str:
    return f"ikzops-rest-server@{partner}"


def rest_settings(partner: str) -> str:
    """The settings of ``partner``'s rest-server (port, path, ``--max-size``): no secret."""
    return f"{REST_SETTINGS_DIR}/{partner}.env"


def rest_htpasswd(partner: str) -> str:
    """The credentials of ``partner``'s clients (and the monitors') for its rest-server."""
    return f"{REST_SETTINGS_DIR}/{partner}.htpasswd"


def rest_instances(p: Partnership, repository_host: str) -> list[RestInstance]:
    """The rest-servers of ``repository_host``: one per partner whose jobs land there (none
    where the site keeps its repositories on an S3 gateway)."""

    if s3_of(p.hosts[repository_host]) is not None:
        return []
    clients: dict[str, set[str]] = {}
    for job in p.jobs_landing_on(repository_host):
        clients.setdefault(job.owner, set()).add(job.client)
    places = _places(p)
    return [RestInstance(partner, REST_PORT + places[partner], partner_path(p, repository_host, partner),
                         tuple(sorted(clients[partner])), quota)
            for partner, quota in quotas(p, repository_host).items()]


def destinations(p: Partnership, job: Job) -> list[Destination]:
    found = []
    port = rest_port(p, job.owner)
    for site in job.destinations:
        repo_host = p.repository_host(site)
        s3 = s3_of(repo_host)
        if s3 is not None:
            keeper = maintainer(p, job, site)
            found.append(Destination(site, keeper.name, keeper.address, f"s3:{s3.endpoint}/{bucket(p, job)}", "",
                                     job.owner, gateway=repo_host.name))
            continue
        url = f"rest:https://{repo_host.address}:{port}/{job.client}/{job.name}"
        found.append(Destination(site, repo_host.name, repo_host.address, url, repository_path(p, repo_host.name, job),
                                 job.owner))
    return found


def s3_client_keys(repo_host: str) -> tuple[str, str]:
    """On a client: the files with its access key id and secret key at ``repo_host``'s gateway."""

    return f"{S3_KEYS_DIR}/client/{repo_host}.key-id", f"{S3_KEYS_DIR}/client/{repo_host}.secret"


def s3_owner_keys(gateway: str, partner: str) -> tuple[str, str]:
    """On the host maintaining ``partner``'s buckets at ``gateway``'s S3 gateway: its keys."""

    return (f"{S3_KEYS_DIR}/owners/{gateway}/{partner}.key-id", f"{S3_KEYS_DIR}/owners/{gateway}/{partner}.secret")


def maintained_on(p: Partnership, host: str) -> list[tuple[Job, Destination]]:
    """Every repository ``host`` maintains (retention, verify, drills): those landing on it as
    a repository host, unless their owner maintains the bucket elsewhere, and the buckets it
    maintains for the partner that names it its maintenance host."""

    here = p.hosts[host]
    jobs = list(p.jobs_landing_on(host)) if here.has("repository") else []
    mine = {key for key, partner in p.partners.items() if partner.maintenance == host}
    if mine:
        jobs += [job for job in p.jobs.values() if job.owner in mine and job not in jobs]
    return [(job, d) for job in jobs for d in destinations(p, job) if d.host == host]


def destination(p: Partnership, job: Job, site: str) -> Destination:
    return next(d for d in destinations(p, job) if d.site == site)


def agent_argv(module: str, *args: str) -> tuple[str, ...]:
    """The argv running the agent's ``module`` on a managed host."""

    return ("env", f"PYTHONPATH={AGENT_DIR}", "python3", "-m", f"ikzops_agent.{module}", *args)


def unit_name(job: str) -> str:
    return f"ikzops-backup-{job}"


def server_names(host: Host) -> list[str]:
    """The names a repository host's TLS certificate is valid for."""

    return [host.name, host.address, host.name.split(".")[0]]


def manifest_path(job: str) -> str:
    return f"{MANIFEST_DIR}/{job}.tsv"


def job_config(p: Partnership, job: Job) -> JobConfig:
    """The job's config file on its client (no secrets: only paths to them)."""

    spec = job.spec
    return JobConfig(
        job=job.name,
        client=job.client,
        site=job.site,
        partnership=p.name,
        paths=list(spec.paths),
        exclude=list(spec.exclude),
        hooks=spec.hooks.model_dump(),
        destinations=[JobDestination(d.site, d.url, *(s3_client_keys(d.gateway) if d.s3 else (None, None)))
                      for d in destinations(p, job)],
        password_file=f"{JOB_CONFIG_DIR}/{job.name}/repository.password",
        rest_user=job.client,
        rest_password_file=REST_PASSWORD_FILE,
        cacert=CA_FILE,
        state_dir=f"{STATE_DIR}/{job.name}",
        dump_dir=f"{DUMP_DIR}/{job.name}",
        manifest=manifest_path(job.name),
        metrics_dir=METRICS_DIR,
        rpo_seconds=int(spec.rpo.total_seconds()),
        give_up_after=int(spec.give_up_after.total_seconds()),
        luns=[lun_source(p, name) for name in job.luns],
    )


def lun_source(p: Partnership, name: str) -> dict:
    """What the agent images of LUN ``name``: its backing store, and the target to pause."""

    lun = p.luns[name]
    backing, device, vg = lun_device(p.hosts[lun.host], name, lun.pool)
    return {"name": name, "backing": backing, "device": device, "vg": vg, "size": lun.size,
            "iqn": target_iqn(p, lun.partner, lun.host)}


def retention_password_file(job: str) -> str:
    return f"{RETENTION_DIR}/{job}.password"


def retention_config(p: Partnership, repo_host: str) -> dict:
    """What retention on ``repo_host`` works on: per repository its path (local access) or,
    on an S3 gateway, its bucket's URL and the owner's keys."""

    repositories = []
    for job, where in maintained_on(p, repo_host):
        entry = {
            "job": job.name,
            "client": job.client,
            "path": where.path,
            "password_file": retention_password_file(job.name),
            "keep": job.spec.retention.policy(),
        }
        if where.s3:
            repo = local_repository(job, where)
            entry.update(url=repo.url, cacert=repo.cacert, s3_key_file=repo.s3_key_file,
                         s3_secret_file=repo.s3_secret_file)
        repositories.append(entry)
    return {"repositories": repositories, "state_dir": RETENTION_STATE}


def capacity_plan(p: Partnership, repo_host: str) -> dict:
    """The repository volume of ``repo_host``: its size, and per partner its reservation, its
    quota (what its rest-server admits), where its repositories are, and its clients."""

    spec = volume(p, repo_host)
    if spec.s3 is not None:
        return gateway_plan(p, repo_host)
    landing = {instance.partner: instance for instance in rest_instances(p, repo_host)}
    partners = {}
    for key in dict.fromkeys([*spec.reserve, *landing]):
        instance = landing.get(key)
        partners[key] = {"reserved_bytes": spec.reserve.get(key, 0),
                         "quota_bytes": instance.max_size if instance else spec.reserve.get(key),
                         "path": partner_path(p, repo_host, key), "port": rest_port(p, key),
                         "clients": list(instance.clients) if instance else []}
    return {"partnership": p.name, "host": repo_host, "path": spec.path, "size_bytes": spec.size, "partners": partners}


def s3_usage_keys() -> tuple[str, str]:
    """On an S3 site's repository host: the keys of the gateway's usage reader (quota sampling)."""

    return f"{S3_KEYS_DIR}/usage/reader.key-id", f"{S3_KEYS_DIR}/usage/reader.secret"


def gateway_plan(p: Partnership, repo_host: str) -> dict:
    """The capacity plan of an S3 site: per partner its gateway user and quota, and how the
    quota sampler asks the gateway (its endpoint, region, the usage reader's keys)."""

    spec = volume(p, repo_host)
    clients: dict[str, set[str]] = {}
    for job in p.jobs_landing_on(repo_host):
        clients.setdefault(job.owner, set()).add(job.client)
    partners = {partner: {"reserved_bytes": spec.reserve.get(partner, 0), "quota_bytes": quota,
                          "s3_user": partner_user(p, partner), "clients": sorted(clients.get(partner, ()))}
                for partner, quota in quotas(p, repo_host).items()}
    key_id, secret = s3_usage_keys()
    return {"partnership": p.name, "host": repo_host, "size_bytes": spec.size, "partners": partners,
            "gateway": {"endpoint": spec.s3.endpoint, "region": spec.s3.region, "cacert": CA_FILE,
                        "key_file": key_id, "secret_file": secret}}


def client_repository(job: Job, destination: Destination) -> Repository:
    """The job's repository at ``destination``, opened from the job's client."""

    password_file, cache_dir = f"{JOB_CONFIG_DIR}/{job.name}/repository.password", f"{STATE_DIR}/{job.name}/cache"
    if destination.s3:
        key_id, secret = s3_client_keys(destination.gateway)
        return Repository(url=destination.url, password_file=password_file, cacert=CA_FILE, cache_dir=cache_dir,
                          s3_key_file=key_id, s3_secret_file=secret)
    return Repository(
        url=destination.url,
        password_file=password_file,
        cacert=CA_FILE,
        rest_user=job.client,
        rest_password_file=REST_PASSWORD_FILE,
        cache_dir=cache_dir,
    )


def local_repository(job: Job, destination: Destination) -> Repository:
    """The job's repository at ``destination``, opened on its repository host: local access,
    or, for a bucket, the gateway with its owner's keys."""

    if destination.s3:
        key_id, secret = s3_owner_keys(destination.gateway, destination.owner)
        return Repository(url=destination.url, password_file=retention_password_file(job.name), cacert=CA_FILE,
                          cache_dir=RESTIC_CACHE, s3_key_file=key_id, s3_secret_file=secret)
    return Repository(url=destination.path, password_file=retention_password_file(job.name), cache_dir=RESTIC_CACHE)
