"""``ikzops snapshots`` and ``ikzops find``: what was backed up, when, and where it is now.

A backup run writes one snapshot to every site, each with its own snapshot id but the
same run id (tag ``ikz-run``); runs are what a person restores, so runs are listed, with
the sites holding each. Both read the repositories where verify and drills do (on their
repository hosts with local access, a bucket from the host that maintains it), so they work
with the home site gone.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ikzops import execute, layout
from ikzops.agent import restic
from ikzops.errors import ConfigError, ExitCode, IkzopsError, UnreachableError
from ikzops.execute import Command
from ikzops.model import loader
from ikzops.model.partnership import Job, Partnership
from ikzops.runners import restic as runner
from ikzops.runners.ssh import connect

JSON_VERSION = 1


@dataclass
class SiteCopy:
    """One site's view of one job: its snapshots by run, when each arrived, its last check."""

    site: str
    host: str
    reachable: bool = True
    error: str = ""
    snapshots: dict[str, dict] = field(default_factory=dict)
    arrived: dict[str, str] = field(default_factory=dict)
    #: the last verify's integrity check of this repository failed
    damaged: bool = False


def read_site(p: Partnership, job: Job, destination: layout.Destination, now: datetime) -> SiteCopy:
    copy = SiteCopy(destination.site, destination.host)
    try:
        with connect(p.hosts[destination.host]) as machine:
            repo = layout.local_repository(job, destination)
            found = runner.list_snapshots(machine, repo, job.name,
                                          as_user=layout.REST_SERVER_USER, now=now)
            if found.error:
                copy.error = found.error
                return copy
            copy.snapshots = {restic.tag_value(s, "ikz-run") or s["id"]: s for s in found.all}
            times = _arrivals(machine, repo, destination)
            copy.arrived = {run: times[s["id"]] for run, s in copy.snapshots.items() if s["id"] in times}
            state = execute.run_remote_shell(machine, f"cat {layout.VERIFY_STATE}/{job.name}.json 2>/dev/null",
                                             "the last check").stdout
            copy.damaged = bool(state.strip()) and json.loads(state).get("last_check", {}).get("ok") is False
    except IkzopsError as exc:
        copy.reachable, copy.error = False, exc.message
    return copy


def _arrivals(machine, repo: restic.Repository, destination: layout.Destination) -> dict[str, str]:
    """``{snapshot id: when it arrived}``: its file's mtime on a rest-server's disk, or when
    the gateway stored it in a bucket (asked as the owner, from the host maintaining it).
    Where that cannot be read, the runs show no arrival and the listing stands."""

    if destination.s3:
        asked = execute.run_remote(machine, Command(layout.agent_argv(
            "bucket", "arrivals", destination.url, repo.cacert or "", repo.s3_key_file, repo.s3_secret_file),
            purpose="arrival times from the gateway"), check=False)
        try:
            return json.loads(asked.stdout.strip().splitlines()[-1]).get("arrived", {})
        except (ValueError, IndexError):
            return {}
    stat = execute.run_remote_shell(
        machine, f"cd {destination.path}/snapshots 2>/dev/null && stat -c '%Y %n' * 2>/dev/null", "arrival times")
    times = dict(reversed(line.split(" ", 1)) for line in stat.stdout.splitlines() if " " in line)
    return {key: datetime.fromtimestamp(int(mtime), UTC).isoformat(timespec="seconds") for key, mtime in times.items()}


@dataclass
class Run:
    run: str
    taken: str
    arrived: str | None
    files: int | None
    bytes: int | None
    future: bool
    #: site -> held | missing | damaged | unreachable
    sites: dict[str, str]
    snapshots: dict[str, str]


def runs_of(job: Job, copies: list[SiteCopy], now: datetime) -> list[Run]:
    """Every run any site holds, newest first, with each site's state of it (pure)."""

    ids = sorted({run for c in copies for run in c.snapshots}, key=lambda r: max(
        restic.snapshot_time(c.snapshots[r]["time"]) for c in copies if r in c.snapshots), reverse=True)
    runs = []
    for run_id in ids:
        holders = [c for c in copies if run_id in c.snapshots]
        snapshot = holders[0].snapshots[run_id]
        summary = snapshot.get("summary") or {}
        sites = {}
        for c in copies:
            if not c.reachable or c.error:
                sites[c.site] = "unreachable"
            elif run_id not in c.snapshots:
                sites[c.site] = "missing"
            else:
                sites[c.site] = "damaged" if c.damaged else "held"
        arrivals = [c.arrived[run_id] for c in holders if run_id in c.arrived]
        runs.append(Run(
            run=run_id, taken=restic.snapshot_time(snapshot["time"]).isoformat(timespec="seconds"),
            arrived=min(arrivals) if arrivals else None, files=summary.get("total_files_processed"),
            bytes=summary.get("total_bytes_processed"), future=restic.claims_after(snapshot, now), sites=sites,
            snapshots={c.site: c.snapshots[run_id]["id"] for c in holders},
        ))
    return runs


@dataclass
class JobRuns:
    job: str
    client: str
    sites: list[str]
    runs: list[Run]
    unreachable: list[str]


def snapshots(inventory: str, *, jobs: tuple[str, ...] = (), sites: tuple[str, ...] = ()) -> tuple[str, list[JobRuns]]:
    """(the partnership's name, per job its runs)."""

    p = loader.load(inventory)
    selected = p.select_jobs(jobs)
    p.check_sites(sites)
    now = datetime.now(UTC)
    tasks = [(job, d) for job in selected for d in layout.destinations(p, job) if not sites or d.site in sites]
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(tasks)))) as pool:
        copies = list(pool.map(lambda t: read_site(p, t[0], t[1], now), tasks))
    listed = []
    for job in selected:
        mine = [c for (j, _), c in zip(tasks, copies, strict=True) if j is job]
        listed.append(JobRuns(job.name, job.client, [c.site for c in mine], runs_of(job, mine, now),
                              [f"{c.site}: {c.error}" for c in mine if not c.reachable or c.error]))
    return p.name, listed


def snapshots_exit_code(listed: list[JobRuns]) -> ExitCode:
    """3 when a site could not be read (the others are listed), else 0."""

    return ExitCode.UNREACHABLE if any(j.unreachable for j in listed) else ExitCode.OK


def as_json(listed: list[JobRuns], partnership: str) -> dict:
    return {"version": JSON_VERSION, "partnership": partnership, "jobs": [
        {"job": j.job, "client": j.client, "sites": j.sites, "unreachable": j.unreachable,
         "runs": [r.__dict__ for r in j.runs]} for j in listed]}


@dataclass
class Hit:
    path: str
    type: str
    size: int | None
    mtime: str
    run: str
    taken: str
    snapshot: str
    site: str


def find(inventory: str, *, job: str, patterns: tuple[str, ...], site: str | None = None,
         snapshot: str | None = None) -> tuple[list[Hit], str]:
    """Where files matching ``patterns`` were seen, across the runs a site holds; (hits, site)."""

    p = loader.load(inventory)
    chosen = p.select_jobs([job])[0]
    if not patterns:
        raise ConfigError("name at least one pattern, e.g. 'report-*.pdf' or /srv/data/finance")
    if site and site not in chosen.destinations:
        raise ConfigError(f"job {job} has no copy at {site!r} (its sites: {', '.join(chosen.destinations)})")
    unreachable, problems = [], []
    for candidate in [site] if site else list(chosen.destinations):
        destination = layout.destination(p, chosen, candidate)
        repo = layout.local_repository(chosen, destination)
        try:
            with connect(p.hosts[destination.host]) as machine:
                found = runner.list_snapshots(machine, repo, chosen.name, as_user=layout.REST_SERVER_USER)
                if found.error:
                    problems.append(f"{candidate}: {found.error}")
                    continue
                wanted = None
                if snapshot:
                    matches = found.named(snapshot)
                    if len(matches) != 1:
                        raise ConfigError(f"no run or snapshot {snapshot!r} of {job} at {candidate}")
                    wanted = matches[0]["id"]
                done = runner.run(machine, restic.find(repo, list(patterns), snapshot=wanted), check=False,
                                  as_user=layout.REST_SERVER_USER, purpose="restic find")
        except IkzopsError as exc:
            if exc.exit_code != ExitCode.UNREACHABLE:
                raise
            unreachable.append(f"{candidate}: {exc.message}")
            continue
        if done.returncode != 0:
            problems.append(f"{candidate}: {restic.meaning(done.returncode)}: {restic.error_text(done.stderr)}")
            continue
        by_id = {s["id"]: s for s in found.all}
        hits = []
        for group in json.loads(done.stdout or "[]") or []:
            snap = by_id.get(group.get("snapshot", ""), {})
            for match in group.get("matches") or []:
                hits.append(Hit(match["path"], match.get("type", ""), match.get("size"), match.get("mtime", "")[:19],
                                restic.tag_value(snap, "ikz-run") or group.get("snapshot", "")[:8],
                                restic.snapshot_time(snap["time"]).isoformat(timespec="seconds") if snap else "",
                                group.get("snapshot", ""), candidate))
        hits.sort(key=lambda h: (h.path, h.taken), reverse=False)
        return hits, candidate
    if unreachable and not problems:
        raise UnreachableError("no site holding the job answers: " + "; ".join(unreachable))
    raise ConfigError(f"cannot search {job}: " + "; ".join(unreachable + problems))
