"""A drill's restore on the repository host: ``python3 -m ikzops_agent.drill_restore SCRATCH``.

SCRATCH is the drill's scratch directory, new (on the command line, so that this process
refers to it for as long as it runs: no other drill's sweep takes it for an orphan).
Settings as one JSON line on stdin::

    {"repository": "/srv/.../client/job", "password_file": ..., "user": "restic-rest-server",
     "job": NAME, "snapshot": ID or null, "now": ISO TIME, "sweep": "/var/tmp/ikzops-drill-*",
     "manifest": "/var/lib/ikzops/manifests/job.tsv"}

and, for a repository in a bucket, its URL as ``repository`` and ``cacert``, ``s3_key_file``,
``s3_secret_file`` (the owner's keys, read here as root).

The snapshot drilled is ``snapshot`` (an id or its prefix), or without it the job's newest
that is not dated in the future (after ``now``, the control host's time), as restic lists
them. Every restic process pays the repository's key derivation first (scrypt, about half a
second), so the listing does not come before the restore: both start at once, the restore of
a guess (``snapshot`` itself, or the snapshot file that arrived last in a directory
repository, which needs no key), and the listing's choice then confirms it. A wrong guess (a
future-dated snapshot arrived last, or a snapshot arrived since) is stopped, its files
removed, and the chosen one restored.

First the scratch directories of interrupted drills (``sweep``) are removed (``swept`` in
the result), then SCRATCH is made (traversable: the restore runs as ``user``, a scratch
database as postgres) with ``SCRATCH/restore``, the restore's target, ``user``'s alone.

``restic restore`` of the whole snapshot into the target, run as ``user`` (the repository's
owner, so that its lock is the rest-server's like every other access), with every file
hashed on every core as soon as restic reports it complete, while the rest is still
arriving (nothing is read a second time after the restore). Then every file of the
backup-time manifest (restored with the run) is compared with what was restored: sha256,
size and mode. Prints one JSON object: the snapshot (id and time), files, bytes, mismatched,
mismatches, restic's seconds and the hashing left after it; ``error`` (with ``restic_exit``
or ``list_exit`` and restic's last lines) if the listing or the restore failed. Exit 0 all
equal, 1 mismatch, 2 error. A lost session (SIGHUP) or SIGTERM stops restic; the drill
removes the scratch directory.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

from . import restic
from .restore_tree import (
    HASHERS,
    HASHES,
    Fetch,
    Interrupted,
    _die_with_parent,
    _interrupted,
    identity,
    staged,
    verify,
)
from .scratch import sweep


def newest_arrival(repository: str) -> str | None:
    """The id of the snapshot file written last into a directory repository (its name; no
    key needed), or None (a bucket, or nothing readable)."""

    try:
        with os.scandir(os.path.join(repository, "snapshots")) as entries:
            files = [(entry.stat().st_mtime_ns, entry.name) for entry in entries if entry.is_file()]
    except OSError:
        return None
    return max(files)[1] if files else None


def choose(listed: list[dict], wanted: str | None, now: datetime) -> dict | None:
    """``wanted`` (the newest of the snapshots its prefix names), or the newest plausible
    snapshot; if every candidate is dated in the future, the newest of them."""

    candidates = restic.matching(listed, wanted) if wanted else listed
    if not candidates:
        return None
    return restic.newest(candidates, now) or max(candidates, key=lambda s: restic.snapshot_time(s["time"]))


class Restore:
    """One ``restic restore`` of one snapshot into the target, in a thread of its own."""

    def __init__(self, target: str, env: dict, pool: ThreadPoolExecutor, user: str | None, snapshot: str,
                 active: list) -> None:
        self.snapshot, self.fetch = snapshot, Fetch(target, env, pool, skip="", user=user)
        active.append(self.fetch)
        self.result: Future = Future()
        self.started = time.monotonic()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            self.result.set_result(self.fetch.run(self.snapshot, [], lambda *progress: None))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            self.result.set_exception(exc)

    def abandon(self, target: str) -> None:
        """Stop restic, let the hashing of its files end, and remove what it restored."""

        self.fetch.stop()
        self.result.exception()
        for future in self.fetch.futures.values():
            future.cancel()
        for future in self.fetch.futures.values():
            if not future.cancelled():
                future.exception()
        for name in os.listdir(target):
            path = os.path.join(target, name)
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)


def _list(env: dict, settings: dict) -> subprocess.CompletedProcess:
    """The job's snapshots, as restic lists them (as the repository's owner)."""

    return subprocess.run(restic.snapshots_from_environment([f"ikz-job={settings['job']}"]), env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
                          preexec_fn=_die_with_parent, **identity(settings.get("user")))


def make_scratch(scratch: str, user: str | None) -> str:
    """SCRATCH (0711) and its ``restore`` directory (0700, ``user``'s): the target."""

    os.mkdir(scratch, 0o700)
    os.chmod(scratch, 0o711)
    target = os.path.join(scratch, "restore")
    os.mkdir(target, 0o700)
    if user:
        entry = pwd.getpwnam(user)
        os.chown(target, entry.pw_uid, entry.pw_gid)
    return target


def drill(scratch: str, settings: dict, active: list) -> dict:
    swept = sweep(settings["sweep"]) if settings.get("sweep") else []
    try:
        target = make_scratch(scratch, settings.get("user"))
    except (OSError, KeyError) as exc:  # KeyError: no such user
        return {"swept": swept, "error": f"cannot make the scratch directory {scratch}: {exc}", "scratch_failed": True}
    return {"swept": swept, **_drill(target, settings, active)}


def _drill(target: str, settings: dict, active: list) -> dict:
    env = restic.environment(RESTIC_REPOSITORY=settings["repository"], RESTIC_PASSWORD_FILE=settings["password_file"],
                             **restic.access_environment(settings))
    manifest, wanted = settings["manifest"], settings.get("snapshot")
    # only an id (hexadecimal) goes to restic's command line as it was given
    guess = (wanted if re.fullmatch(r"[0-9a-f]{1,64}", wanted) else None) if wanted else newest_arrival(
        settings["repository"])
    with ThreadPoolExecutor(max_workers=HASHERS) as pool:
        run = Restore(target, env, pool, settings.get("user"), guess, active) if guess else None
        listed = _list(env, settings)
        chosen = None if listed.returncode else choose(restic.parse_snapshots(listed.stdout), wanted,
                                                       datetime.fromisoformat(settings["now"]))
        if chosen is None:
            if run is not None:
                run.abandon(target)
            if listed.returncode:
                return {"error": "restic snapshots failed", "list_exit": listed.returncode,
                        "stderr": listed.stderr[-2000:]}
            return {"error": f"no snapshot {wanted or 'of this job'}", "no_snapshot": True}
        snapshot = {"id": chosen["id"], "time": chosen["time"]}
        # a wrong guess, or a prefix restic could not resolve alone: the chosen one, by its id
        if run is not None and (not chosen["id"].startswith(guess)
                                or (guess != chosen["id"] and run.result.result() != 0)):
            run.abandon(target)
            run = None
        if run is None:
            run = Restore(target, env, pool, settings.get("user"), chosen["id"], active)
        code = run.result.result()
        timings = {"restic_seconds": round(time.monotonic() - run.started, 3)}
        if code != 0:
            return {"snapshot": snapshot, "error": "restic restore failed", "restic_exit": code,
                    "stderr": "\n".join(run.fetch.errors)}
        clock = time.monotonic()
        with open(os.path.join(target, HASHES), "w", encoding="utf-8") as hashes:
            run.fetch.finish(hashes)
        timings["hash_after_seconds"] = round(time.monotonic() - clock, 3)
    if not os.path.isfile(staged(target, manifest)):
        return {"snapshot": snapshot, "error": f"the run holds no manifest ({manifest})", **timings}
    verdict = verify([target], staged(target, manifest), ["/"])
    del verdict["absent"]  # a job that backed up no file at all has nothing to be absent
    return {"snapshot": snapshot, **verdict, **timings}


def main(argv: list[str]) -> int:
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _interrupted)
    if len(argv) != 1:
        print(json.dumps({"error": "usage: python3 -m ikzops_agent.drill_restore SCRATCH"}))
        return 2
    active: list[Fetch] = []
    try:
        result = drill(argv[0], json.loads(sys.stdin.readline()), active)
    except Interrupted as exc:
        result = {"error": f"interrupted ({exc})"}
    except (OSError, ValueError, KeyError) as exc:
        result = {"error": str(exc)}
    finally:
        for run in active:
            run.stop()
    print(json.dumps(result))
    return 2 if result.get("error") else 1 if result.get("mismatched") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
