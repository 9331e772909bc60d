"""Where each job's backups live (pure): repository hosts, URLs, paths on the hosts.

On a repository host the rest-server serves ``<volume>/<client>/<job>``; with
``--private-repos`` the client's REST user (its host name) reaches only
``/<client>/``. On the client everything of a job is under ``/etc/ikzops/jobs/<job>/``
(config, 0600) and ``/var/lib/ikzops/jobs/<job>/`` (state, lock, last run).
"""

from __future__ import annotations

from dataclasses import dataclass

from ikzops.agent.restic import Repository
from ikzops.model.partnership import Job, Partnership
from ikzops.model.schema import RepositorySpec

REST_PORT = 8000
AGENT_DIR = "/usr/local/lib/ikzops"
CONFIG_DIR = "/etc/ikzops"
JOB_CONFIG_DIR = "/etc/ikzops/jobs"
STATE_DIR = "/var/lib/ikzops/jobs"
DUMP_DIR = "/var/lib/ikzops/dumps"
MANIFEST_DIR = "/var/lib/ikzops/manifests"
CA_FILE = "/etc/ikzops/ca.crt"
REST_PASSWORD_FILE = "/etc/ikzops/rest.password"
METRICS_DIR = "/var/lib/prometheus/node-exporter"
RETENTION_DIR = "/etc/ikzops/retention"
RESTIC_CACHE = "/var/cache/ikzops/restic"
VERIFY_STATE = "/var/lib/ikzops/verify"
DRILL_SCRATCH = "/var/tmp"
REPOSITORY_USER = "restic-rest-server"


@dataclass(frozen=True)
class Destination:
    site: str
    host: str
    address: str
    url: str
    #: the repository's directory on its host (for retention and checks with local access)
    path: str


def volume(p: Partnership, host: str) -> RepositorySpec:
    return p.hosts[host].repository or RepositorySpec()


def destinations(p: Partnership, job: Job) -> list[Destination]:
    found = []
    for site in job.destinations:
        repo_host = p.repository_host(site)
        path = f"{volume(p, repo_host.name).path}/{job.client}/{job.name}"
        url = f"rest:https://{repo_host.address}:{REST_PORT}/{job.client}/{job.name}"
        found.append(Destination(site, repo_host.name, repo_host.address, url, path))
    return found


def jobs_on_client(p: Partnership, client: str) -> list[Job]:
    return [job for job in p.jobs.values() if job.client == client]


def jobs_landing_on(p: Partnership, repo_host: str) -> list[Job]:
    site = p.hosts[repo_host].site
    return [job for job in p.jobs.values() if site in job.destinations and p.repository_host(site).name == repo_host]


def unit_name(job: str) -> str:
    return f"ikzops-backup-{job}"


def job_config(p: Partnership, job: Job) -> dict:
    """The job's config file on its client (no secrets: only paths to them)."""

    spec = job.spec
    return {
        "job": job.name,
        "client": job.client,
        "site": job.site,
        "partnership": p.name,
        "paths": list(spec.paths),
        "exclude": list(spec.exclude),
        "hooks": spec.hooks.model_dump(),
        "destinations": [{"site": d.site, "url": d.url} for d in destinations(p, job)],
        "password_file": f"{JOB_CONFIG_DIR}/{job.name}/repository.password",
        "rest_user": job.client,
        "rest_password_file": REST_PASSWORD_FILE,
        "cacert": CA_FILE,
        "state_dir": f"{STATE_DIR}/{job.name}",
        "dump_dir": f"{DUMP_DIR}/{job.name}",
        "manifest": f"{MANIFEST_DIR}/{job.name}.tsv",
        "metrics_dir": METRICS_DIR,
        "catch_up_runs": 10,
        "rpo_seconds": int(spec.rpo.total_seconds()),
        "give_up_after": int(spec.give_up_after.total_seconds()),
    }


def retention_config(p: Partnership, repo_host: str) -> dict:
    repositories = []
    for job in jobs_landing_on(p, repo_host):
        keep = job.spec.retention
        repositories.append({
            "job": job.name,
            "client": job.client,
            "path": f"{volume(p, repo_host).path}/{job.client}/{job.name}",
            "password_file": f"{RETENTION_DIR}/{job.name}.password",
            "keep": {"keep_last": keep.keep_last, "keep_daily": keep.keep_daily,
                     "keep_weekly": keep.keep_weekly, "keep_monthly": keep.keep_monthly},
        })
    return {"repositories": repositories, "state_dir": "/var/lib/ikzops/retention"}


def client_repository(job: Job, destination: Destination) -> Repository:
    """The job's repository at ``destination``, opened from the job's client."""

    return Repository(
        url=destination.url,
        password_file=f"{JOB_CONFIG_DIR}/{job.name}/repository.password",
        cacert=CA_FILE,
        rest_user=job.client,
        rest_password_file=REST_PASSWORD_FILE,
        cache_dir=f"{STATE_DIR}/{job.name}/cache",
    )


def local_repository(job: Job, destination: Destination) -> Repository:
    """The job's repository at ``destination``, opened on its repository host (local access)."""

    return Repository(url=destination.path, password_file=f"{RETENTION_DIR}/{job.name}.password", cache_dir=RESTIC_CACHE)
