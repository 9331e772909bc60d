"""One run of a backup job on its client: ``python3 -m ikzops_agent.backup_job JOB``.

Started by the job's systemd service (its timer, or ``ikzops backup``). In order:

1. take the job's lock; run the ``before`` hooks; dump PostgreSQL databases (hooks.py);
   a LUN job instead takes a point-in-time image of each LUN (lun_image.py);
2. write the manifest into the backup itself (manifest.py; a LUN image's sha256 is the
   one computed while it was taken);
3. back up to **every destination at once** (own site and partner sites, each
   independently: one site down does not stop the others; destinations.py);
4. catch up: runs that a destination missed are copied into it (catch_up.py);
5. run the ``after`` hooks; write ``last-run.json``, the run's record in the history
   (history.py) and Prometheus textfile metrics.

Exit 0: every destination got the snapshot; 1: some did not (the others did);
2: the job could not run (config, lock, hook, all destinations failed).
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime

from . import history, lun_image
from .catch_up import catch_up, expect_catch_up, settle_catch_up
from .destinations import DestinationResult, backup_to
from .execute import log
from .fileio import write_atomic
from .hooks import dump_postgresql, run_hooks
from .job_config import JobConfig
from .manifest import write_entries, write_manifest
from .metrics import write_textfile
from .watchdog import STOP


class Stopped(RuntimeError):
    """The job was stopped (``systemctl stop``, shutdown) while it ran."""


def _stopped(signum, frame) -> None:
    STOP.set()
    raise Stopped(f"the job was stopped ({signal.Signals(signum).name}) before it ended")


def new_run_id(started: datetime) -> str:
    return started.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def back_up(config: JobConfig, run_id: str, report: dict) -> dict[str, DestinationResult]:
    """Hooks (or LUN images), manifest, every destination at once, catch-up: the run itself."""

    if not config.luns:
        return _back_up(config, run_id, report, _prepare_files(config, report))
    try:
        images = lun_image.take(config.luns, config.paths[0])
        report["luns"] = [asdict(image) for image in images]
        report["manifest_files"] = write_entries([(i.path, i.sha256) for i in images], config.manifest)
        return _back_up(config, run_id, report, [*config.paths, config.manifest])
    finally:
        lun_image.clear(config.paths[0])


def _prepare_files(config: JobConfig, report: dict) -> list[str]:
    """The before hooks, the database dumps and the manifest: the paths to back up."""

    run_hooks(config.hooks.get("before", []), "before")
    paths = list(config.paths)
    if config.hooks.get("postgresql"):
        report["hooks"] += dump_postgresql(config.hooks["postgresql"], config.dump_dir)
        paths.append(config.dump_dir)
    missing = [p for p in config.paths if not os.path.exists(p)]
    if missing:
        raise RuntimeError(f"path(s) to back up do not exist: {', '.join(missing)}")
    report["manifest_files"] = write_manifest(paths, config.manifest)
    return [*paths, config.manifest]


def _back_up(config: JobConfig, run_id: str, report: dict, paths: list[str]) -> dict[str, DestinationResult]:
    tags = [f"ikz-job={config.job}", f"ikz-run={run_id}", f"ikz-partnership={config.partnership}"]
    was_pending = expect_catch_up(config.state_dir)
    with ThreadPoolExecutor(max_workers=len(config.destinations)) as pool:
        futures = {d.site: pool.submit(backup_to, config, d, paths, tags) for d in config.destinations}
        results = {site: future.result() for site, future in futures.items()}
    settle_catch_up(config.state_dir, results, was_pending)
    catch_up(config, results)
    return results


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _stopped)
    signal.signal(signal.SIGINT, _stopped)
    if len(argv) != 1:
        log("usage: python3 -m ikzops_agent.backup_job JOB")
        return 2
    job = argv[0]
    config = JobConfig.load(job)
    os.makedirs(config.state_dir, mode=0o700, exist_ok=True)
    lock = open(os.path.join(config.state_dir, "lock"), "w")  # noqa: SIM115 - held until the process ends
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log(f"another run of {job} is in progress")
        return 2

    started = datetime.now(UTC)
    run_id = new_run_id(started)
    report = {"job": job, "client": config.client, "run": run_id, "started": started.isoformat(),
              "destinations": {}, "error": "", "hooks": []}
    status = 2
    try:
        results = back_up(config, run_id, report)
        report["destinations"] = {site: asdict(r) for site, r in results.items()}
        good = [r for r in results.values() if r.ok]
        status = 0 if len(good) == len(results) else 1 if good else 2
        if not good:
            report["error"] = "no destination got the backup"
    except (RuntimeError, OSError, KeyError, ValueError) as exc:
        report["error"] = str(exc)
        log(f"{job}: {exc}")
    finally:
        try:
            run_hooks(config.hooks.get("after", []), "after")
        except RuntimeError as exc:
            report["error"] = (report["error"] + "; " if report["error"] else "") + str(exc)
            status = 2
    # what is left is writing the report (atomically): a late signal need not interrupt it
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    report["finished"] = datetime.now(UTC).isoformat()
    report["status"] = status
    save_report(config.state_dir, report)
    record_run(config, report)
    write_textfile(config, report)
    return status


#: what a backup run's history record keeps of each destination's result
RECORDED = ("ok", "snapshot_id", "files_new", "files_changed", "files_unmodified", "bytes_added",
            "bytes_processed", "seconds", "error")


def run_record(config: JobConfig, report: dict) -> dict:
    """The history record of one run (pure): when, how it ended, and per destination."""

    return {
        "kind": "backup", "job": config.job, "client": config.client, "site": config.site,
        "partnership": config.partnership, "run": report["run"], "started": report["started"],
        "finished": report["finished"], "status": report["status"], "error": report["error"],
        "destinations": {site: {key: result.get(key) for key in RECORDED}
                         for site, result in report["destinations"].items()},
    }


def record_run(config: JobConfig, report: dict) -> None:
    """Append the run to the job's history stream; a failure to do so is logged, and the run
    stands (the report will show the run as missing from the history)."""

    try:
        history.append(f"{history.RUNS_DIR}/backup-{config.job}{history.SUFFIX}", run_record(config, report))
    except (OSError, ValueError, KeyError) as exc:
        log(f"{config.job}: the run could not be written to the history: {exc}")


def destination_history(history: dict, report: dict) -> dict:
    """Per destination: the last run, its status, and the last success (pure)."""

    for site, result in report["destinations"].items():
        entry = history.setdefault(site, {})
        entry["last_run"] = report["finished"]
        entry["last_status"] = "ok" if result["ok"] else "failed"
        if result["ok"]:
            entry["last_success"] = report["finished"]
            entry["last_snapshot"] = result["snapshot_id"]
            entry["bytes_added"] = result["bytes_added"]
            entry["seconds"] = result["seconds"]
    return history


def save_report(state_dir: str, report: dict) -> None:
    history_path = os.path.join(state_dir, "destinations.json")
    history = {}
    if os.path.exists(history_path):
        with open(history_path, encoding="utf-8") as handle:
            history = json.load(handle)
    report["history"] = destination_history(history, report)
    for path, content in ((history_path, report["history"]), (os.path.join(state_dir, "last-run.json"), report)):
        write_atomic(path, json.dumps(content, indent=2, sort_keys=True))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
