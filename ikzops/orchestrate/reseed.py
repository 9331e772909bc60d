"""``ikzops reseed --site SITE``: a rebuilt (or newly joining) site gets its partners' runs back.

For every job with a copy at SITE, the runs a surviving site holds (retention has already
kept there what the policy keeps) are copied into SITE's repository: the surviving site's
repository host serves that repository read-only for the copy (a throwaway credential that
ends with the SSH session, as for a restore), and SITE's repository host runs ``restic
copy`` with local access as the rest-server's user (``agent/reseed.py``). Run tags and hosts
are kept; an interrupted reseed runs again and goes on where it stopped. Afterwards
``ikzops verify`` finds no replication gap.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ikzops import execute, layout
from ikzops.errors import ConfigError, ExitCode, UnreachableError, worst
from ikzops.execute import Command
from ikzops.model import buckets, loader
from ikzops.model.partnership import Job, Partnership
from ikzops.progress import Progress
from ikzops.runners import restic as runner
from ikzops.runners import restore_server, ssh
from ikzops.secrets import s3 as s3_keys
from ikzops.secrets.store import SecretStore


@dataclass
class ReseedResult:
    job: str
    site: str
    from_site: str = ""
    #: runs in SITE's repository before and after
    before: int = 0
    after: int = 0
    created: bool = False
    seconds: float = 0.0
    error: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        if not self.error:
            return ExitCode.OK
        return ExitCode.UNREACHABLE if "no site" in self.error and "answers" in self.error else ExitCode.FINDING


def _source(p: Partnership, job: Job, site: str, result: ReseedResult) -> layout.Destination | None:
    """The other site holding the most runs of ``job`` that answers."""

    best, most = None, 0
    for other in job.destinations:
        if other == site:
            continue
        if layout.destination(p, job, other).s3 and layout.destination(p, job, site).s3:
            result.notes.append(f"{other}: from a bucket into a bucket is not supported yet")
            continue
        try:
            found = runner.snapshots_at(p, job, other)
        except UnreachableError as exc:
            result.notes.append(f"{other}: {exc.message}")
            continue
        if not found.error and len(found.all) > most:
            best, most = layout.destination(p, job, other), len(found.all)
    return best


def reseed_job(p: Partnership, job: Job, site: str) -> ReseedResult:
    result = ReseedResult(job=job.name, site=site)
    clock = time.monotonic()
    source = _source(p, job, site, result)
    if source is None:
        result.error = "no other site answers with runs of this job" + (f" ({'; '.join(result.notes)})" if result.notes else "")
        return result
    result.from_site = source.site
    target = layout.destination(p, job, site)
    repo = layout.local_repository(job, target)
    settings = {"cacert": layout.CA_FILE, "repository": repo.url, "password_file": repo.password_file,
                "s3_key_file": repo.s3_key_file, "s3_secret_file": repo.s3_secret_file}
    agent = Command(layout.agent_argv("reseed"), purpose=f"reseed {job.name} at {target.host}")

    def run_agent(secret: str):
        """The agent on the target's host, ``settings`` on its stdin (``secret`` masked in what is logged)."""
        return execute.feed(replace(ssh.command(p.hosts[target.host], agent), stdin=json.dumps(settings) + "\n",
                                    secrets=(secret,)))

    if source.s3:
        # the bucket is read as its owner, from the host that maintains the target (a holder
        # of the job's key already): the owner's keys travel on standard input, for this copy
        keys = s3_keys.needed(SecretStore(p.name), source.gateway, buckets.partner_user(p, job.owner))
        settings.update(url=source.url, from_s3={"access": keys.access, "secret": keys.secret})
        done = run_agent(keys.secret)
    else:
        served_id = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(2)}"
        with restore_server.serving(p.hosts[source.host], source.path, served_id) as served:
            if served.error:
                result.error = f"{source.host} could not serve the repository: {served.error}"
                return result
            settings.update(url=served.url, user=served.user, password=served.password)
            done = run_agent(served.password)
    try:
        outcome = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        outcome = {"error": done.stderr.strip()[-300:] or f"exit {done.returncode}"}
    result.before, result.after = outcome.get("before", 0), outcome.get("after", 0)
    result.created, result.error = outcome.get("created", False), outcome.get("error", "")
    result.seconds = round(time.monotonic() - clock, 1)
    return result


def reseed(inventory: str, *, site: str, jobs: tuple[str, ...] = (), progress: Progress) -> list[ReseedResult]:
    p = loader.load(inventory)
    if site not in p.sites:
        raise ConfigError(f"--site {site}: no site {site!r} (sites: {', '.join(p.sites)})")
    chosen = [j for j in (p.select_jobs(list(jobs)) if jobs else p.jobs.values()) if site in j.destinations]
    if not chosen:
        raise ConfigError(f"no job has a copy at {site}")
    results = []
    for job in chosen:
        with progress.step(f"reseed {job.name} at {site}") as step:
            result = reseed_job(p, job, site)
            step.done("failed" if result.error else f"{result.after - result.before} run(s) copied from {result.from_site}",
                      result.error)
        results.append(result)
    return results


def exit_code(results: list[ReseedResult]) -> ExitCode:
    return worst([r.exit_code for r in results])
