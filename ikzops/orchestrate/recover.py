"""``ikzops recover plan|run --lost SITE``: the jobs of a lost site, restored in RTO order.

The plan reads only what survives the site: the partners' repository hosts (their runs and
the verify state kept beside the repositories) and the drill and restore records of the
control host, if it still has them. Per job: the surviving site with the newest usable run,
its age against the RPO, the last verify and drill, its size, an estimate of the restore
time from the measured throughput of earlier drills and restores, the host to restore onto
(``--map CLIENT=HOST``, else the client's ``ikz_standby``) and the exact ``ikzops restore``
commands. Order: RTO (shortest first), then the job's ``priority`` (lower first), then name.

The run carries the plan out with the restore machinery (files, then each database), job by
job, past a failed one, and writes a recovery record for the auditor.
"""

from __future__ import annotations

import getpass
import json
import posixpath
import secrets
import shlex
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ikzops import execute, layout, records
from ikzops.agent import restic
from ikzops.errors import ConfigError, ExitCode, IkzopsError, UnreachableError, worst
from ikzops.model import loader
from ikzops.model.partnership import Job, Partnership, restore_rank
from ikzops.progress import Progress
from ikzops.runners import restic as runner
from ikzops.runners.ssh import connect
from ikzops.san import failover

#: below this directory a standby gets a partner's job whose paths its own jobs use
RECOVERED_DIR = "/srv/ikzops-recovered"


@dataclass
class PlannedJob:
    job: str
    client: str
    home_site: str
    rto_seconds: float
    rpo_seconds: float
    priority: int
    databases: list[str]
    #: a LUN job: its LUNs, each restored onto ``target_host`` and served there (restore --lun)
    luns: list[str] = field(default_factory=list)
    target_host: str | None = None
    #: "" restores to the original paths; else below this directory
    target_dir: str = ""
    target_reason: str = ""
    database_names: dict[str, str] = field(default_factory=dict)
    from_site: str | None = None
    repository_host: str | None = None
    run: str | None = None
    snapshot: str | None = None
    taken: str | None = None
    age_seconds: float | None = None
    within_rpo: bool | None = None
    size_bytes: int | None = None
    last_verify: str | None = None
    last_check_ok: bool | None = None
    last_drill: dict | None = None
    estimate_seconds: float | None = None
    sites: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.run is not None

    @property
    def ready(self) -> bool:
        return self.usable and self.target_host is not None


@dataclass
class RecoveryPlan:
    partnership: str
    lost: str
    made: str
    jobs: list[PlannedJob]

    @property
    def exit_code(self) -> ExitCode:
        codes = [ExitCode.FINDING if not j.usable else ExitCode.CONFIG if j.target_host is None else ExitCode.OK
                 for j in self.jobs]
        return worst(codes)


def parse_map(p: Partnership, pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        client, sep, host = pair.partition("=")
        if not sep or client not in p.hosts or host not in p.hosts:
            raise ConfigError(f"--map {pair}: give CLIENT=HOST, both hosts of the inventory")
        mapping[client] = host
    return mapping


def choose_storage(p: Partnership, job: Job, lost: str, mapping: dict[str, str], entry: PlannedJob) -> None:
    """The storage host a lost LUN job's LUNs are served from: ``--map``, else one at the site of
    the LUNs' partner, else any surviving one with a file pool."""

    if job.client in mapping:
        host = p.hosts[mapping[job.client]]
        if host.site == lost or not failover.file_pools(host):
            entry.problems.append(f"--map {job.client}={host.name}: name a storage host with a file pool outside {lost}")
            return
        entry.target_host, entry.target_reason = host.name, "--map"
        return
    partners = {p.luns[lun].partner for lun in job.luns}
    candidates = [h for h in p.hosts_with("storage") if h.site != lost and failover.file_pools(h)]
    candidates.sort(key=lambda h: (h.site not in partners, h.name))
    if not candidates:
        entry.problems.append(f"no storage host with a file pool outside {lost} to serve {', '.join(job.luns)}: "
                              f"give --map {job.client}=HOST")
        return
    entry.target_host = candidates[0].name
    entry.target_reason = ("storage host of the LUNs' partner site" if candidates[0].site in partners
                           else "a surviving storage host")


def choose_target(p: Partnership, job: Job, lost: str, mapping: dict[str, str], entry: PlannedJob) -> None:
    """The host (and directory, and database names) a lost job is restored onto."""

    if job.luns:
        choose_storage(p, job, lost, mapping, entry)
        return
    host = mapping.get(job.client) or p.hosts[job.client].standby
    if host is None:
        entry.problems.append(f"no host to restore onto: name `ikz_standby` for {job.client} in the inventory, "
                              f"or give --map {job.client}=HOST")
        return
    if p.hosts[host].site == lost:
        entry.problems.append(f"{host} stands in the lost site {lost}: --map {job.client}=HOST at another site")
        return
    entry.target_host = host
    entry.target_reason = "--map" if job.client in mapping else f"standby of {job.client}"
    own = list(p.jobs_of_client(host))
    own_paths = [path for j in own for path in j.spec.paths]
    existing, postgres = _look(p, host, job.spec.paths)
    if existing is None:
        entry.warnings.append(f"{host} did not answer: its paths and PostgreSQL are unchecked")
        existing = []
    if any(_overlap(a, b) for a in job.spec.paths for b in own_paths) or existing:
        # never mix a partner's data with what the host holds (for its own jobs or otherwise)
        entry.target_dir = f"{RECOVERED_DIR}/{job.name}"
        why = f"{host}'s own jobs use these paths" if not existing else f"{', '.join(existing)} exist(s) on {host}"
        entry.target_reason += f"; below {entry.target_dir}: {why}"
    if entry.databases and postgres is False:
        entry.warnings.append(f"{host} runs no PostgreSQL: its databases ({', '.join(entry.databases)}) cannot be "
                              f"loaded there until one runs (install and start postgresql on {host})")
    own_databases = {db for j in own if j.spec.hooks.postgresql for db in j.spec.hooks.postgresql.databases}
    for db in entry.databases:
        entry.database_names[db] = f"{db}_{job.site}" if db in own_databases else db


def _look(p: Partnership, host: str, paths: list[str]) -> tuple[list[str] | None, bool | None]:
    """Which of ``paths`` exist on ``host``, and whether a PostgreSQL server runs there."""

    tests = " ".join(f"[ -e {shlex.quote(path)} ] && echo {shlex.quote(path)};" for path in paths)
    try:
        with connect(p.hosts[host]) as machine:
            out = execute.run_remote_shell(machine, f"{tests} pgrep -x postgres >/dev/null && echo '#postgres'; true",
                                           "look at the standby").stdout.split("\n")
    except UnreachableError:
        return None, None
    return [line for line in out if line and line != "#postgres"], "#postgres" in out


def _overlap(a: str, b: str) -> bool:
    a, b = posixpath.normpath(a), posixpath.normpath(b)
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")


def _sources(p: Partnership, job: Job, lost: str, entry: PlannedJob) -> None:
    """The newest usable run at a surviving site (a site whose last check failed comes last)."""

    candidates = []
    for site in job.destinations:
        if site == lost:
            entry.sites[site] = "lost"
            continue
        destination = layout.destination(p, job, site)
        try:
            with connect(p.hosts[destination.host]) as machine:
                found = runner.list_snapshots(machine, layout.local_repository(job, destination), job.name,
                                              as_user=layout.REST_SERVER_USER)
                state = execute.run_remote_shell(machine, f"cat {layout.VERIFY_STATE}/{job.name}.json 2>/dev/null || echo '{{}}'",
                                                 "read the verify state").stdout
        except UnreachableError as exc:
            entry.sites[site] = f"unreachable ({exc.message})"
            continue
        try:
            verified = json.loads(state or "{}")
        except ValueError:
            verified = {}
        newest = None if found.error else found.newest()
        if newest is None:
            entry.sites[site] = f"no usable run ({found.error or 'none'})"
            continue
        check_ok = (verified.get("last_check") or {}).get("ok")
        entry.sites[site] = f"holds {len(found.all)} run(s)" + ("" if check_ok is not False else "; its last check FAILED")
        candidates.append((check_ok is not False, restic.snapshot_time(newest["time"]), site, destination, newest, verified))
    if not candidates:
        entry.problems.append("no usable copy at any surviving site")
        return
    _, taken, site, destination, newest, verified = max(candidates, key=lambda c: (c[0], c[1]))
    entry.from_site, entry.repository_host = site, destination.host
    entry.snapshot, entry.run = newest["id"], restic.tag_value(newest, "ikz-run") or newest["id"][:8]
    entry.taken = taken.isoformat(timespec="seconds")
    entry.age_seconds = round((datetime.now(UTC) - taken).total_seconds(), 1)
    entry.within_rpo = entry.age_seconds <= entry.rpo_seconds
    entry.size_bytes = (newest.get("summary") or {}).get("total_bytes_processed")
    entry.last_verify = verified.get("last_verify")
    entry.last_check_ok = (verified.get("last_check") or {}).get("ok")


def _estimate(history: list[dict], entry: PlannedJob) -> None:
    """The last drill, and the restore time from the newest measured throughput of this job."""

    mine = [r for r in history if r.get("job") == entry.job]
    drills = [r for r in mine if r.get("kind") == "drill"]
    if drills:
        last = drills[-1]
        entry.last_drill = {"when": last.get("started"), "verdict": last.get("verdict"), "from_site": last.get("from_site")}
    measured = [r for r in mine if r.get("bytes") and r.get("total_seconds") and r.get("verdict") in ("passed", "restored")]
    if measured and entry.size_bytes:
        last = measured[-1]
        entry.estimate_seconds = round(entry.size_bytes / (last["bytes"] / last["total_seconds"]), 1)


def _commands(inventory: str, entry: PlannedJob) -> None:
    if not entry.ready:
        return
    if entry.luns:
        entry.commands += [f"ikzops restore -i {inventory} --lun {lun} --from {entry.from_site} --snapshot {entry.run} "
                           f"--to {entry.target_host}" for lun in entry.luns]
        return
    base = f"ikzops restore -i {inventory} --job {entry.job} --from {entry.from_site} --snapshot {entry.run}"
    to = f"{entry.target_host}:{entry.target_dir}" if entry.target_dir else entry.target_host
    entry.commands.append(f"{base} --to {to}")
    for db, name in entry.database_names.items():
        entry.commands.append(f"{base} --database {db}" + (f" --as {name}" if name != db else "") + f" --to {entry.target_host}")


def plan(inventory: str, *, lost: str, mapping: tuple[str, ...] = (), jobs: tuple[str, ...] = (),
         progress: Progress) -> RecoveryPlan:
    p = loader.load(inventory)
    if lost not in p.sites:
        raise ConfigError(f"--lost {lost}: no site {lost!r} (sites: {', '.join(p.sites)})")
    targets = parse_map(p, mapping)
    chosen = [j for j in (p.select_jobs(list(jobs)) if jobs else p.jobs.values()) if j.site == lost]
    history = records.history(p.name)
    entries = []
    for job in chosen:
        hook = job.spec.hooks.postgresql
        entry = PlannedJob(job=job.name, client=job.client, home_site=job.site, rto_seconds=job.spec.rto.total_seconds(),
                           rpo_seconds=job.spec.rpo.total_seconds(), priority=job.spec.priority,
                           databases=list(hook.databases) if hook else [], luns=list(job.luns))
        with progress.step(f"plan {job.name}") as step:
            _sources(p, job, lost, entry)
            choose_target(p, job, lost, targets, entry)
            _estimate(history, entry)
            _commands(inventory, entry)
            step.done("ready" if entry.ready else "; ".join(entry.problems))
        entries.append(entry)
    entries.sort(key=lambda e: restore_rank(p.jobs[e.job]))
    return RecoveryPlan(p.name, lost, datetime.now(UTC).isoformat(timespec="seconds"), entries)


@dataclass
class RecoveredJob:
    job: str
    target_host: str | None
    verdict: str
    seconds: float = 0.0
    rto_seconds: float = 0.0
    within_rto: bool = False
    #: how much was lost: from the run restored to the moment of the recovery, against the RPO
    data_loss_window_seconds: float | None = None
    rpo_seconds: float = 0.0
    files: int = 0
    bytes: int = 0
    restores: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class RecoveryRecord:
    id: str
    partnership: str
    lost: str
    operator: str
    started: str
    finished: str = ""
    total_seconds: float = 0.0
    verdict: str = "failed"
    jobs: list[RecoveredJob] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.verdict == "recovered" else ExitCode.FINDING


def run(inventory: str, the_plan: RecoveryPlan, *, restore, restore_lun, progress: Progress) -> tuple[RecoveryRecord, Path]:
    """Every ready job of ``the_plan`` in its order through ``restore`` (``restore_lun`` for
    each LUN of a LUN job: the restore orchestrator's functions), past failures; the
    recovery record."""

    now = datetime.now(UTC)
    record = RecoveryRecord(id=f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(2)}", partnership=the_plan.partnership,
                            lost=the_plan.lost, operator=f"{getpass.getuser()}@{socket.gethostname()}",
                            started=now.isoformat(timespec="seconds"))
    clock = time.monotonic()
    for entry in the_plan.jobs:
        done = RecoveredJob(job=entry.job, target_host=entry.target_host, verdict="skipped", rto_seconds=entry.rto_seconds,
                            rpo_seconds=entry.rpo_seconds)
        record.jobs.append(done)
        if not entry.ready:
            done.reasons = entry.problems
            continue
        started = time.monotonic()
        to = f"{entry.target_host}:{entry.target_dir}" if entry.target_dir else entry.target_host
        steps = [{}] + [{"database": db, "as_name": name} for db, name in entry.database_names.items()]
        if entry.luns:
            steps = [{"lun": lun} for lun in entry.luns]
        verdicts = []
        for step in steps:
            try:
                if "lun" in step:
                    result, _ = restore_lun(inventory, lun=step["lun"], to=entry.target_host, from_site=entry.from_site,
                                            snapshot=entry.snapshot, progress=progress)
                else:
                    result, _ = restore(inventory, job=entry.job, to=to if not step else entry.target_host,
                                        from_site=entry.from_site, snapshot=entry.snapshot, progress=progress, **step)
            except IkzopsError as exc:
                verdicts.append("failed")
                done.reasons.append(exc.message)
                continue
            verdicts.append(result.verdict)
            done.restores.append(result.id)
            done.files += result.files
            done.bytes += result.bytes
            done.reasons += result.reasons
        done.seconds = round(time.monotonic() - started, 1)
        done.verdict = "recovered" if all(v == "restored" for v in verdicts) else "failed"
        done.within_rto = done.verdict == "recovered" and done.seconds <= entry.rto_seconds
        done.data_loss_window_seconds = round((datetime.now(UTC) - datetime.fromisoformat(entry.taken)).total_seconds(), 1)
    record.total_seconds = round(time.monotonic() - clock, 1)
    record.finished = datetime.now(UTC).isoformat(timespec="seconds")
    record.verdict = "recovered" if record.jobs and all(j.verdict == "recovered" for j in record.jobs) else "incomplete"
    path = records.write(record, "recoveries", f"{record.id}-{record.lost}", the_plan.partnership)
    return record, path
