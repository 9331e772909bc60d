"""Who can read whose data (pure): a job's repository key is on its client (it backs up)
and on the repository host of every destination (retention, verify and drills run there
with local access), so the administrators of those hosts can decrypt its backups."""

from __future__ import annotations

from dataclasses import dataclass

from ikzops.model.partnership import Job, Partnership


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


def holders(p: Partnership, job: Job) -> list[KeyHolder]:
    found = [KeyHolder(job.name, job.owner, job.client, p.hosts[job.client].admin, "client: backs up")]
    for site in job.destinations:
        host = p.repository_host(site)
        found.append(KeyHolder(job.name, job.owner, host.name, host.admin, f"repository host at {site}: "
                                                                           "retention, verify, drills"))
    return found


def matrix(p: Partnership) -> list[KeyHolder]:
    """Every place a repository key is, for every job."""

    return [holder for job in p.jobs.values() for holder in holders(p, job)]


def untrusted(p: Partnership) -> list[KeyHolder]:
    """The places where a key is with administrators its owner has not declared it trusts."""

    return [h for h in matrix(p) if not p.partners[h.owner].trusts(h.admin)]
