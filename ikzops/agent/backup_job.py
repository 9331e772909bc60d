"""One run of a backup job on its client: ``python3 -m ikzops_agent.backup_job JOB``.

Started by the job's systemd service (its timer, or ``ikzops backup``). In order:

1. take the job's lock; run the ``before`` hooks; dump PostgreSQL databases;
2. write the manifest (path, size, sha256, mode of every file; hashes reused for
   files whose size, mtime and inode did not change) into the backup itself;
3. back up to **every destination at once** (own site and partner sites, each
   independently: one site down does not stop the others);
4. catch up: runs that a destination missed (it was down) are copied into it from a
   destination that has them (``restic copy``);
5. run the ``after`` hooks; write ``last-run.json`` and Prometheus textfile metrics.

Exit 0: every destination got the snapshot; 1: some did not (the others did);
2: the job could not run (config, lock, hook, all destinations failed).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from . import restic
from .metrics import write_textfile
from .watchdog import STOP, run_watched

CONFIG_DIR = "/etc/ikzops/jobs"
PROBE_TIMEOUT = 30
CONNECT_TIMEOUT = 5
DESTINATION_TIMEOUT = 3 * 3600
#: how long a destination may stay unreachable or keep failing during one run (the model's give_up_after)
GIVE_UP_AFTER = 600


class Stopped(RuntimeError):
    """The job was stopped (``systemctl stop``, shutdown) while it ran."""


def reachable(url: str, cacert: str | None) -> None:
    """Fail fast, with a clear message, when a destination's server does not answer
    or does not present a certificate of the partnership's CA.

    restic itself retries an unreachable server for many minutes.
    """

    location = url.split("://", 1)[1].split("/", 1)[0]
    host, _, port = location.rpartition(":")
    host = host.strip("[]")
    context = ssl.create_default_context(cafile=cacert) if cacert else ssl.create_default_context()
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT) as raw:
            with context.wrap_socket(raw, server_hostname=host):
                pass
    except ssl.SSLCertVerificationError as exc:
        raise RuntimeError(f"the TLS certificate of {location} is not trusted: {exc.verify_message}") from None
    except (OSError, ssl.SSLError) as exc:
        raise RuntimeError(
            f"cannot reach {location} ({getattr(exc, 'strerror', None) or exc}): the site is down or cut off"
        ) from None


@dataclass
class DestinationResult:
    site: str
    ok: bool = False
    snapshot_id: str = ""
    files_new: int = 0
    files_changed: int = 0
    files_unmodified: int = 0
    bytes_added: int = 0
    bytes_processed: int = 0
    seconds: float = 0.0
    caught_up: list[str] = field(default_factory=list)
    error: str = ""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_config(job: str) -> dict:
    with open(os.path.join(CONFIG_DIR, job, "job.json"), encoding="utf-8") as handle:
        return json.load(handle)


def repository(config: dict, destination: dict) -> restic.Repository:
    return restic.Repository(
        url=destination["url"],
        password_file=config["password_file"],
        cacert=config.get("cacert"),
        rest_user=config.get("rest_user"),
        rest_password_file=config.get("rest_password_file"),
        cache_dir=os.path.join(config["state_dir"], "cache"),
    )


def environment(invocation: restic.Invocation) -> dict[str, str]:
    env = dict(os.environ)
    env.update(invocation.env)
    for name, path in invocation.env_from_files.items():
        with open(path, encoding="utf-8") as handle:
            env[name] = handle.read().strip()
    return env


def run(invocation: restic.Invocation, timeout: float | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(invocation.argv), env=environment(invocation), capture_output=True, text=True, timeout=timeout,
        check=False,
    )


def run_against(config: dict, destination: dict, invocation: restic.Invocation, timeout: float):
    """Run restic against ``destination``, abandoning it when it is gone for good (see watchdog)."""

    done = run_watched(
        list(invocation.argv), environment(invocation),
        probe=lambda: reachable(destination["url"], config.get("cacert")),
        give_up_after=config.get("give_up_after", GIVE_UP_AFTER), timeout=timeout,
    )
    if done.abandoned:
        raise RuntimeError(f"gave up on {destination['site']}: {done.abandoned}")
    return done


def run_hooks(commands: list[str], stage: str) -> None:
    for command in commands:
        log(f"hook {stage}: {command}")
        result = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{stage} hook failed ({result.returncode}): {command}\n{result.stderr.strip()}")


def dump_postgresql(hook: dict, dump_dir: str) -> list[str]:
    target = os.path.join(dump_dir, "postgresql")
    os.makedirs(target, mode=0o700, exist_ok=True)
    written = []
    for database in hook["databases"]:
        path = os.path.join(target, f"{database}.sql")
        tmp = path + ".tmp"
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
            result = subprocess.run(
                ["runuser", "-u", hook.get("user", "postgres"), "--", "pg_dump", "--format=plain",
                 "--no-owner", "--clean", "--if-exists", database],
                stdout=out, stderr=subprocess.PIPE, check=False,
            )
        if result.returncode != 0:
            os.unlink(tmp)
            raise RuntimeError(f"pg_dump of {database} failed: {result.stderr.decode(errors='replace').strip()}")
        os.replace(tmp, path)
        written.append(path)
        log(f"dumped PostgreSQL database {database} to {path}")
    return written


def _walk(paths: list[str]):
    for top in paths:
        if os.path.isfile(top) or os.path.islink(top):
            yield top
            continue
        for root, dirs, files in os.walk(top):
            dirs.sort()
            for name in sorted(files):
                yield os.path.join(root, name)


def write_manifest(paths: list[str], manifest_path: str) -> int:
    """``sha256 size mode path`` per regular file, hashes reused for unchanged files."""

    previous: dict[str, tuple[str, str]] = {}
    cache_path = manifest_path + ".cache"
    if os.path.exists(cache_path):
        with open(cache_path, encoding="utf-8") as handle:
            for line in handle:
                key, _, digest = line.rstrip("\n").rpartition("\t")
                previous[key] = digest
    lines, cache_lines = [], []
    for path in _walk(paths):
        if path == manifest_path:
            continue
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        key = f"{path}\t{info.st_size}\t{info.st_mtime_ns}\t{info.st_ino}"
        digest = previous.get(key)
        if digest is None:
            sha = hashlib.sha256()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    sha.update(block)
            digest = sha.hexdigest()
        cache_lines.append(f"{key}\t{digest}")
        lines.append(f"{digest}\t{info.st_size}\t{stat.S_IMODE(info.st_mode):04o}\t{path}")
    os.makedirs(os.path.dirname(manifest_path), mode=0o700, exist_ok=True)
    for target, content in ((manifest_path, lines), (cache_path, cache_lines)):
        with open(target + ".tmp", "w", encoding="utf-8") as handle:
            handle.write("\n".join(content) + ("\n" if content else ""))
        os.replace(target + ".tmp", target)
    return len(lines)


def backup_to(config: dict, destination: dict, paths: list[str], tags: list[str]) -> DestinationResult:
    result = DestinationResult(site=destination["site"])
    repo = repository(config, destination)
    started = time.monotonic()
    try:
        reachable(destination["url"], config.get("cacert"))
        invocation = restic.backup(repo, paths, tags=tags, host=config["client"], exclude=config.get("exclude", []))
        timeout = config.get("destination_timeout", DESTINATION_TIMEOUT)
        done = run_against(config, destination, invocation, timeout)
        if done.returncode == 10:  # a new job: create its repository once, then back up
            created = run_against(config, destination, restic.init(repo), PROBE_TIMEOUT * 2)
            if created.returncode != 0:
                raise RuntimeError(f"cannot create the repository: {restic.explain(restic.error_text(created.stderr))}")
            log(f"{destination['site']}: created repository {destination['url']}")
            done = run_against(config, destination, invocation, timeout)
        summary = restic.parse_backup(done.stdout)
        if done.returncode not in (0, 3) or summary is None:
            raise RuntimeError(f"{restic.meaning(done.returncode)}: {restic.explain(restic.error_text(done.stderr))}")
        result.ok = True
        result.snapshot_id = summary.snapshot_id
        result.files_new, result.files_changed = summary.files_new, summary.files_changed
        result.files_unmodified = summary.files_unmodified
        result.bytes_added, result.bytes_processed = summary.data_added, summary.total_bytes_processed
        if done.returncode == 3:
            result.error = "some files could not be read: " + restic.error_text(done.stderr)
    except (RuntimeError, OSError) as exc:
        result.error = str(exc)
    result.seconds = round(time.monotonic() - started, 3)
    status = f"snapshot {result.snapshot_id[:8]}" if result.ok else f"FAILED: {result.error}"
    log(f"{destination['site']}: {status}")
    return result


def _pending(state_dir: str) -> str:
    return os.path.join(state_dir, "catch-up-pending")


def expect_catch_up(state_dir: str) -> bool:
    """Mark the run as possibly missed until its results are in; return whether one already was.

    A run that is stopped, crashes or loses a destination leaves the mark, so later
    runs copy what a destination is missing (see :func:`catch_up`).
    """

    pending = os.path.exists(_pending(state_dir))
    open(_pending(state_dir), "w").close()
    return pending


def settle_catch_up(state_dir: str, results: dict[str, DestinationResult], was_pending: bool) -> None:
    if not was_pending and all(r.ok for r in results.values()):
        os.unlink(_pending(state_dir))


def catch_up(config: dict, results: dict[str, DestinationResult], job: str) -> None:
    """Copy runs a reachable destination is missing from one that has them."""

    reachable = [d for d in config["destinations"] if results[d["site"]].ok]
    if len(reachable) < 2 or not os.path.exists(_pending(config["state_dir"])):
        return
    complete = len(reachable) == len(config["destinations"])
    runs: dict[str, dict[str, str]] = {}
    for destination in reachable:
        # a run that lost this destination midway could not remove its lock there; its
        # process is gone, so restic (on this same host) knows the lock is stale and
        # removes it: otherwise retention on the repository host waits 30 minutes for it
        run(restic.unlock(repository(config, destination)), timeout=300)
        listed = run(restic.snapshots(repository(config, destination), tags=[f"ikz-job={job}"]), timeout=300)
        if listed.returncode != 0:
            return
        runs[destination["site"]] = {
            restic.tag_value(s, "ikz-run"): s["id"] for s in restic.parse_snapshots(listed.stdout)
            if restic.tag_value(s, "ikz-run")
        }
    window = sorted(set().union(*(r.keys() for r in runs.values())))[-int(config.get("catch_up_runs", 10)):]
    for target in reachable:
        missing = [run_id for run_id in window if run_id not in runs[target["site"]]]
        for source in reachable:
            ids = [runs[source["site"]][r] for r in missing if r in runs[source["site"]]]
            if not ids:
                continue
            try:
                copied = run_against(config, target, restic.copy(repository(config, source),
                                                                 repository(config, target), ids), 3600)
            except RuntimeError as exc:
                log(f"{target['site']}: catch-up from {source['site']} stopped: {exc}")
                complete = False
                continue
            if copied.returncode == 0:
                done = [r for r in missing if r in runs[source["site"]]]
                results[target["site"]].caught_up.extend(done)
                missing = [r for r in missing if r not in done]
                log(f"{target['site']}: caught up {len(done)} missed run(s) from {source['site']}")
            else:
                log(f"{target['site']}: catch-up from {source['site']} failed: {restic.error_text(copied.stderr)}")
                complete = False
        if missing:
            complete = False
    if complete:
        os.unlink(_pending(config["state_dir"]))


def _stopped(signum, frame) -> None:
    STOP.set()
    raise Stopped(f"the job was stopped ({signal.Signals(signum).name}) before it ended")


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _stopped)
    signal.signal(signal.SIGINT, _stopped)
    if len(argv) != 1:
        log("usage: python3 -m ikzops_agent.backup_job JOB")
        return 2
    job = argv[0]
    config = load_config(job)
    state_dir = config["state_dir"]
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    lock = open(os.path.join(state_dir, "lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log(f"another run of {job} is in progress")
        return 2

    started = datetime.now(timezone.utc)
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)
    report = {"job": job, "client": config["client"], "run": run_id, "started": started.isoformat(),
              "destinations": {}, "error": "", "hooks": []}
    status = 2
    try:
        run_hooks(config["hooks"].get("before", []), "before")
        paths = list(config["paths"])
        dump_dir = config["dump_dir"]
        if config["hooks"].get("postgresql"):
            report["hooks"] += dump_postgresql(config["hooks"]["postgresql"], dump_dir)
            paths.append(dump_dir)
        missing = [p for p in config["paths"] if not os.path.exists(p)]
        if missing:
            raise RuntimeError(f"path(s) to back up do not exist: {', '.join(missing)}")
        report["manifest_files"] = write_manifest(paths, config["manifest"])
        paths.append(config["manifest"])
        tags = [f"ikz-job={job}", f"ikz-run={run_id}", f"ikz-partnership={config['partnership']}"]
        was_pending = expect_catch_up(state_dir)
        with ThreadPoolExecutor(max_workers=len(config["destinations"])) as pool:
            futures = {d["site"]: pool.submit(backup_to, config, d, paths, tags) for d in config["destinations"]}
            results = {site: future.result() for site, future in futures.items()}
        settle_catch_up(state_dir, results, was_pending)
        catch_up(config, results, job)
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
            run_hooks(config["hooks"].get("after", []), "after")
        except RuntimeError as exc:
            report["error"] = (report["error"] + "; " if report["error"] else "") + str(exc)
            status = 2
    # what is left is writing the report (atomically): a late signal need not interrupt it
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    report["finished"] = datetime.now(timezone.utc).isoformat()
    report["status"] = status
    _save(state_dir, report)
    write_textfile(config, report)
    return status


def _save(state_dir: str, report: dict) -> None:
    history_path = os.path.join(state_dir, "destinations.json")
    history = {}
    if os.path.exists(history_path):
        with open(history_path, encoding="utf-8") as handle:
            history = json.load(handle)
    for site, result in report["destinations"].items():
        entry = history.setdefault(site, {})
        entry["last_run"] = report["finished"]
        entry["last_status"] = "ok" if result["ok"] else "failed"
        if result["ok"]:
            entry["last_success"] = report["finished"]
            entry["last_snapshot"] = result["snapshot_id"]
            entry["bytes_added"] = result["bytes_added"]
            entry["seconds"] = result["seconds"]
    report["history"] = history
    for path, content in ((history_path, history), (os.path.join(state_dir, "last-run.json"), report)):
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(content, handle, indent=2, sort_keys=True)
        os.replace(path + ".tmp", path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
