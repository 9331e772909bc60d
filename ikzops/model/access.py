"""Who can read whose data (pure): a job's repository key is on its client (it backs up)
and on the host that maintains each destination (retention, verify and drills run there):
the destination's repository host, with local access, or - for a bucket of an S3 gateway
whose host's administrators the owner does not trust - the owner's maintenance host, with
the owner's keys. The administrators of those hosts can decrypt its backups."""

from __future__ import annotations

from dataclasses import dataclass

from ikzops.model.buckets import s3_of
from ikzops.model.partnership import Host, Job, Partnership


@dataclass(frozen=True)
class KeyHolder:
    job: str
    #: the partner whose data it is
    owner: str
    host: str
    #: the partner whose administrators run the host
    admin: str
    why: str

    @property
    def foreign(self) -> bool:
        return self.admin != self.owner


def maintainer(p: Partnership, job: Job, site: str) -> Host:
    """The host that maintains ``job``'s repository at ``site`` (the one home of the rule):
    the site's repository host, unless the repository is a bucket of an S3 gateway whose
    host the owner does not trust and the owner names a maintenance host of its own."""

    repository = p.repository_host(site)
    owner = p.partners[job.owner]
    if owner.maintenance and s3_of(repository) is not None and not owner.trusts(repository.admin):
        return p.hosts[owner.maintenance]
    return repository


def holders(p: Partnership, job: Job) -> list[KeyHolder]:
    found = [KeyHolder(job.name, job.owner, job.client, p.hosts[job.client].admin, "client: backs up")]
    for site in job.destinations:
        host = maintainer(p, job, site)
        why = (f"repository host at {site}" if host.name == p.repository_host(site).name
               else f"maintains its bucket at {site}")
        found.append(KeyHolder(job.name, job.owner, host.name, host.admin, f"{why}: retention, verify, drills"))
    return found


def matrix(p: Partnership) -> list[KeyHolder]:
    """Every place a repository key is, for every job."""

    return [holder for job in p.jobs.values() for holder in holders(p, job)]


def untrusted(p: Partnership) -> list[KeyHolder]:
    """The places where a key is with administrators its owner has not declared it trusts."""

    return [h for h in matrix(p) if not p.partners[h.owner].trusts(h.admin)]
