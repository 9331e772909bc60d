"""Copy a job's runs from a partner site into this repository host. ``python3 -m ikzops_agent.reseed``.

On the repository host of a rebuilt (or newly joining) site, as root; settings as one JSON
line on stdin: ``url`` of the partner's read-only restore server for the job's repository,
its throwaway ``user`` and ``password`` (or the ``url`` of a bucket and its owner's keys,
``from_s3``), ``cacert``, the local ``repository`` path and the
``password_file`` (the job's repository password, which retention keeps here). restic runs
as the rest-server's user with local access, like retention: an empty place gets a
repository with the partner's chunker parameters (so that the copies deduplicate), then
``restic copy`` brings every run the partner holds that this one lacks, with its tags and
host. Interrupted, it simply runs again: restic skips the runs and blobs already here.
A bucket of an S3 gateway as the target: ``repository`` is its URL, with ``s3_key_file`` and
``s3_secret_file`` (its owner's keys on this host, the one that maintains the bucket).
Prints one JSON line: runs before and after, whether the repository was created.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from . import restic

USER = "restic-rest-server"
CACHE = "/var/cache/ikzops/restic"


def _as_user(argv: tuple[str, ...], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", USER, "--", *argv], env=env, capture_output=True, text=True, check=False)


def environment(settings: dict) -> dict[str, str]:
    if settings.get("from_s3"):  # a bucket, read as its owner with the keys given on stdin
        source = {"RESTIC_FROM_REPOSITORY": settings["url"], "AWS_ACCESS_KEY_ID": settings["from_s3"]["access"],
                  "AWS_SECRET_ACCESS_KEY": settings["from_s3"]["secret"]}
    else:
        scheme, _, rest = settings["url"].partition("://")
        source = {"RESTIC_FROM_REPOSITORY": f"{scheme}://{settings['user']}:{settings['password']}@{rest}"}
    return restic.environment(
        RESTIC_REPOSITORY=settings["repository"], RESTIC_PASSWORD_FILE=settings["password_file"],
        RESTIC_FROM_PASSWORD_FILE=settings["password_file"], RESTIC_CACHE_DIR=CACHE,
        **restic.access_environment(settings), **source)


def exists(settings: dict, env: dict[str, str]) -> bool:
    if not settings["repository"].startswith("s3:"):
        return os.path.exists(os.path.join(settings["repository"], "config"))
    done = _as_user(("restic", "--no-lock", "cat", "config"), env)
    if done.returncode not in (0, 10):
        raise OSError(f"restic cat config: {restic.error_text(done.stderr)}")
    return done.returncode == 0


def count(env: dict[str, str]) -> int:
    done = _as_user(("restic", "--json", "--no-lock", "snapshots"), env)
    if done.returncode != 0:
        raise OSError(f"restic snapshots: {restic.error_text(done.stderr)}")
    return len(json.loads(done.stdout or "[]"))


def reseed(settings: dict) -> dict:
    env = environment(settings)
    created = not exists(settings, env)
    if created:
        done = _as_user(("restic", "init", "--copy-chunker-params"), env)
        if done.returncode != 0:
            return {"error": f"restic init: {restic.error_text(done.stderr)}"}
    before = count(env)
    done = _as_user(("restic", "copy", "--retry-lock", restic.RETRY_LOCK["copy"]), env)
    if done.returncode != 0:
        return {"error": f"restic copy: {restic.error_text(done.stderr)}", "before": before, "created": created}
    return {"before": before, "after": count(env), "created": created}


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        result = reseed(json.loads(sys.stdin.readline()))
    except KeyboardInterrupt:
        result = {"error": "interrupted: run the same reseed again, it goes on where it stopped"}
    except (OSError, ValueError, KeyError) as exc:
        result = {"error": str(exc)}
    print(json.dumps(result), flush=True)
    return 1 if result.get("error") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
