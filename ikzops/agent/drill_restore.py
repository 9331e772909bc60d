"""A drill's restore on the repository host: ``python3 -m ikzops_agent.drill_restore``.

Settings as one JSON line on stdin::

    {"repository": "/srv/.../client/job", "password_file": ..., "user": "restic-rest-server",
     "snapshot": ID, "target": SCRATCH/restore, "manifest": "/var/lib/ikzops/manifests/job.tsv"}

and, for a repository in a bucket, its URL as ``repository`` and ``cacert``, ``s3_key_file``,
``s3_secret_file`` (the owner's keys, read here as root).

``restic restore`` of the whole snapshot into ``target``, run as ``user`` (the repository's
owner, so that its lock is the rest-server's like every other access), with every file
hashed on every core as soon as restic reports it complete, while the rest is still
arriving (nothing is read a second time after the restore). Then every file of the
backup-time manifest (restored with the run) is compared with what was restored: sha256,
size and mode. Prints one JSON object: files, bytes, mismatched, mismatches, restic's
seconds and the hashing left after it; ``error`` (with ``restic_exit`` and restic's last
lines) if the restore failed. Exit 0 all equal, 1 mismatch, 2 error. A lost session
(SIGHUP) or SIGTERM stops restic; the drill removes the scratch directory.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from . import restic
from .restore_tree import HASHERS, HASHES, Fetch, Interrupted, _interrupted, staged, verify


def drill(settings: dict, active: list) -> dict:
    env = restic.environment(RESTIC_REPOSITORY=settings["repository"], RESTIC_PASSWORD_FILE=settings["password_file"],
                             **restic.access_environment(settings))
    target, manifest = settings["target"], settings["manifest"]
    timings = {}
    with ThreadPoolExecutor(max_workers=HASHERS) as pool:
        run = Fetch(target, env, pool, skip="", user=settings.get("user"))
        active.append(run)
        clock = time.monotonic()
        code = run.run(settings["snapshot"], [], lambda *progress: None)
        timings["restic_seconds"] = round(time.monotonic() - clock, 3)
        if code != 0:
            return {"error": "restic restore failed", "restic_exit": code, "stderr": "\n".join(run.errors)}
        clock = time.monotonic()
        with open(os.path.join(target, HASHES), "w", encoding="utf-8") as hashes:
            run.finish(hashes)
        timings["hash_after_seconds"] = round(time.monotonic() - clock, 3)
    if not os.path.isfile(staged(target, manifest)):
        return {"error": f"the run holds no manifest ({manifest})", **timings}
    verdict = verify([target], staged(target, manifest), ["/"])
    del verdict["absent"]  # a job that backed up no file at all has nothing to be absent
    return {**verdict, **timings}


def main(argv: list[str]) -> int:
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _interrupted)
    active: list[Fetch] = []
    try:
        result = drill(json.loads(sys.stdin.readline()), active)
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
