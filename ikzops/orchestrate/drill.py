"""``ikzops drill``: restore a job from a partner site, prove every byte, time it against the RTO.

The situation rehearsed is the loss of the job's home site: the restore runs on the
repository host of the partner site, from its copy, with local access (the home site
is not contacted at all). Every restored file is compared with the manifest recorded
at backup time; database dumps are loaded into a throwaway PostgreSQL server and
queried. The scratch directory is removed afterwards, also on failure or interrupt.
Each drill leaves a JSON and a Markdown report in the history.
"""

from __future__ import annotations

import getpass
import json
import secrets
import shlex
import socket
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ikzops import execute, layout, records
from ikzops.agent import restic
from ikzops.errors import ConfigError, ExitCode, IkzopsError, worst
from ikzops.execute import Command
from ikzops.model import loader
from ikzops.model.partnership import Job, Partnership
from ikzops.monitoring import textfile
from ikzops.monitoring.metrics import render_drill
from ikzops.progress import Progress
from ikzops.runners.ssh import connect


@dataclass
class DrillResult:
    id: str
    job: str
    client: str
    home_site: str
    from_site: str
    host: str
    operator: str
    started: str
    verdict: str = "failed"  # passed | failed | unreachable
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    snapshot: str = ""
    snapshot_time: str | None = None
    scratch: str = ""
    files: int = 0
    bytes: int = 0
    mismatched: int = 0
    mismatches: list[dict] = field(default_factory=list)
    databases: dict = field(default_factory=dict)
    restore_seconds: float = 0.0
    check_seconds: float = 0.0
    database_seconds: float = 0.0
    total_seconds: float = 0.0
    throughput_mb_s: float = 0.0
    rto_seconds: float = 0.0
    rpo_seconds: float = 0.0
    data_age_seconds: float | None = None
    cleaned: bool = False
    finished: str = ""

    def fail(self, reason: str) -> None:
        self.reasons.append(reason)


def _agent(module: str, *args: str) -> str:
    return shlex.join(layout.agent_argv(module, *args))


def drill_one(p: Partnership, job: Job, site: str, *, snapshot: str | None, progress: Progress) -> DrillResult:
    destination = layout.destination(p, job, site)
    now = datetime.now(UTC)
    result = DrillResult(
        id=f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(2)}", job=job.name, client=job.client,
        home_site=job.site, from_site=site, host=destination.host,
        operator=f"{getpass.getuser()}@{socket.gethostname()}", started=now.isoformat(timespec="seconds"),
        rto_seconds=job.spec.rto.total_seconds(), rpo_seconds=job.spec.rpo.total_seconds(),
    )
    with progress.step(f"drill {job.name} from {site} ({destination.host})") as step:
        try:
            with connect(p.hosts[destination.host]) as machine:
                try:
                    _restore_and_check(machine, result, job, destination, snapshot, progress)
                finally:
                    if result.scratch:
                        # an interrupted drill leaves its agent and restic running there: stop
                        # them (restic removes its lock on SIGTERM), then remove the scratch
                        # directory. "[/]var/..." matches the path but not this shell's own
                        # command line, which holds no plain path (that comes on stdin)
                        pattern = shlex.quote(f"[{result.scratch[0]}]{result.scratch[1:]}")
                        cleaned = execute.run_remote_shell(
                            machine, f"IFS= read -r d; pkill -TERM -f -- {pattern} ; for i in $(seq 50); do "
                                     f"pgrep -f -- {pattern} >/dev/null || break; sleep 0.2; done; rm -rf -- \"$d\"",
                            "stop the drill's processes and remove the scratch directory", stdin=result.scratch + "\n")
                        result.cleaned = cleaned.returncode == 0
                if result.reasons or result.snapshot:
                    result.verdict = "passed" if not result.reasons else "failed"
                    _publish(machine, result)
        except IkzopsError as exc:
            if not result.reasons and exc.exit_code == ExitCode.UNREACHABLE:
                result.verdict = "unreachable"
            result.fail(exc.message)
        if result.verdict != "unreachable":
            result.verdict = "passed" if not result.reasons else "failed"
        result.finished = datetime.now(UTC).isoformat(timespec="seconds")
        step.done(result.verdict, "; ".join(result.reasons))
    return result


def _restore_and_check(machine, result: DrillResult, job: Job, destination, snapshot: str | None, progress) -> None:
    repo = layout.local_repository(job, destination)
    # made on the repository host by the drill's agent (after it swept the scratch
    # directories of interrupted drills), removed by drill_one whatever happens
    result.scratch = f"{layout.DRILL_SCRATCH}/ikzops-drill-{secrets.token_hex(4)}"
    target = f"{result.scratch}/restore"
    if not _restore_and_compare(machine, result, repo, target, job, destination, snapshot, progress):
        return
    if job.spec.hooks.postgresql:
        _check_databases(machine, result, target, job, progress)
    result.total_seconds = round(result.restore_seconds + result.check_seconds + result.database_seconds, 3)
    if result.restore_seconds:
        result.throughput_mb_s = round(result.bytes / 1e6 / result.restore_seconds, 2)
    if result.total_seconds > result.rto_seconds:
        result.fail(f"RTO exceeded: restore and checks took {result.total_seconds:.0f} s, the RTO is {result.rto_seconds:.0f} s")


def _chosen(result: DrillResult, snapshot: dict) -> None:
    """The snapshot the drill restored (``snapshot``, or the newest not dated in the future,
    chosen on the repository host): its age against the RPO."""

    result.snapshot = snapshot["id"]
    taken = restic.snapshot_time(snapshot["time"])
    result.snapshot_time = taken.isoformat(timespec="seconds")
    result.data_age_seconds = round((datetime.fromisoformat(result.started) - taken).total_seconds(), 1)
    if result.data_age_seconds > result.rpo_seconds:
        result.warnings.append(f"the restored data is {result.data_age_seconds / 3600:.1f} h old, more than the RPO")


def _restore_and_compare(machine, result: DrillResult, repo, target: str, job: Job, destination,
                         snapshot: str | None, progress) -> bool:
    """``restic restore`` of ``snapshot`` (or the newest plausible one) into ``target`` with
    every file hashed as it completes, then compared with the manifest recorded at backup
    time (``agent/drill_restore.py``)."""

    clock = time.monotonic()
    progress.wait(f"restoring {job.name} {snapshot or 'newest'} from {destination.site}, hashing every file")
    settings = {"repository": repo.url, "password_file": repo.password_file, "user": layout.REST_SERVER_USER,
                "job": job.name, "snapshot": snapshot, "now": result.started,
                "sweep": f"{layout.DRILL_SCRATCH}/ikzops-drill-*", "manifest": layout.manifest_path(job.name),
                "cacert": repo.cacert, "s3_key_file": repo.s3_key_file, "s3_secret_file": repo.s3_secret_file}
    done = execute.run_remote(machine, Command(layout.agent_argv("drill_restore", result.scratch),
                                               stdin=json.dumps(settings) + "\n",
                                               purpose="restore and compare with the manifest"),
                              check=False, timeout=max(3600, 4 * result.rto_seconds))
    elapsed = time.monotonic() - clock
    try:
        verdict = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        result.fail(f"the restore did not run: {done.stderr.strip()[-300:] or f'exit {done.returncode}'}")
        return False
    if verdict.get("swept"):
        result.warnings.append(f"removed {len(verdict['swept'])} scratch director(ies) left by interrupted drills: "
                               f"{', '.join(verdict['swept'])}")
    if verdict.get("scratch_failed"):
        result.fail(f"{destination.host}: {verdict['error']}")
        return False
    if "list_exit" in verdict:
        result.fail(f"cannot list snapshots at {destination.site}: {restic.meaning(verdict['list_exit'])}: "
                    f"{restic.error_text(verdict['stderr'])}")
        return False
    if verdict.get("no_snapshot"):
        result.fail(f"no snapshot {snapshot or 'of this job'} at {destination.site}")
        return False
    if verdict.get("snapshot"):
        _chosen(result, verdict["snapshot"])
    if "restic_exit" in verdict:
        result.fail(f"restore failed: {restic.meaning(verdict['restic_exit'])}: {restic.error_text(verdict['stderr'])}")
        return False
    if verdict.get("error"):
        result.fail(f"the manifest comparison did not run: {verdict['error']}")
        return False
    # restic's own time; the rest (hashing left after it, the comparison) is the check's
    result.restore_seconds = verdict["restic_seconds"]
    result.check_seconds = round(max(0.0, elapsed - result.restore_seconds), 3)
    result.files, result.bytes = verdict["files"], verdict["bytes"]
    result.mismatched, result.mismatches = verdict.get("mismatched", 0), verdict["mismatches"]
    if result.mismatched:
        result.fail(f"{result.mismatched} file(s) differ from the manifest")
    return True


def _check_databases(machine, result: DrillResult, target: str, job: Job, progress) -> None:
    """Load the restored dumps into a scratch PostgreSQL and count every table's rows."""

    clock = time.monotonic()
    progress.wait("loading the database dumps into a scratch PostgreSQL")
    loaded = execute.run_remote_shell(
        machine, _agent("pg_scratch", f"{target}{layout.DUMP_DIR}/{job.name}/postgresql", f"{result.scratch}/pg"),
        "load the dumps into a scratch database")
    result.database_seconds = round(time.monotonic() - clock, 3)
    try:
        result.databases = json.loads(loaded.stdout)
    except ValueError:
        result.fail(f"the database check did not run: {loaded.stderr.strip()[-300:]}")
        return
    if result.databases.get("error"):
        result.fail(f"database check: {result.databases['error']}")
    for name in job.spec.hooks.postgresql.databases:
        entry = result.databases.get("databases", {}).get(name)
        if not entry or not entry.get("loaded"):
            result.fail(f"database {name} did not load: {(entry or {}).get('error', 'no dump restored')}")
        elif entry.get("count_mismatches"):
            result.fail(f"database {name}: rows differ from the counts recorded at dump time: "
                        + "; ".join(entry["count_mismatches"][:5]))
        elif not entry["tables"]:
            result.warnings.append(f"database {name} loaded but has no tables")


def _publish(machine, result: DrillResult) -> None:
    """The drill's metrics for the repository host's node_exporter (same connection)."""

    textfile.publish(machine, f"ikzops_drill_{result.job}_{result.from_site}.prom", render_drill(asdict(result), time.time()))


def plan(p: Partnership, jobs: tuple[str, ...], from_site: str | None, every_site: bool) -> list[tuple[Job, str]]:
    if from_site and from_site not in p.sites:
        raise ConfigError(f"unknown site {from_site!r}; sites: {', '.join(p.sites)}")
    pairs = []
    for job in p.select_jobs(jobs):
        if from_site:
            if from_site not in job.destinations:
                if jobs:
                    raise ConfigError(f"job {job.name} has no copy at {from_site} (its sites: {', '.join(job.destinations)})")
                continue
            pairs.append((job, from_site))
        elif every_site:
            pairs += [(job, site) for site in job.offsite]
        else:
            pairs.append((job, job.offsite[0]))
    if not pairs:
        raise ConfigError("nothing to drill: no selected job has a copy at that site")
    return pairs


def drill(inventory: str, *, jobs: tuple[str, ...] = (), from_site: str | None = None, every_site: bool = False,
          snapshot: str | None = None, report: str | None = None, progress: Progress) -> tuple[list[DrillResult], list[Path]]:
    p = loader.load(inventory)
    pairs = plan(p, jobs, from_site, every_site)
    if snapshot and len(pairs) != 1:
        raise ConfigError("--snapshot needs exactly one job and one site (--job J --from S)")
    results, paths = [], []
    for job, site in pairs:
        result = drill_one(p, job, site, snapshot=snapshot, progress=progress)
        results.append(result)
        paths.append(records.write(result, "drills", f"{result.id}-{result.job}-from-{result.from_site}", p.name, report))
    return results, paths


def history(inventory: str, report: str | None = None) -> list[dict]:
    """Past drills and restores (auditors count real restores as restore tests)."""

    return records.history(loader.load(inventory).name, override=report)


VERDICT_CODES = {"passed": ExitCode.OK, "failed": ExitCode.FINDING, "unreachable": ExitCode.UNREACHABLE}


def exit_code(results: list[DrillResult]) -> ExitCode:
    return worst(VERDICT_CODES[r.verdict] for r in results)
