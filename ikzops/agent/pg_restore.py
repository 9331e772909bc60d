"""Load a restored dump into the live PostgreSQL server of this host, as a new database.

``python3 -m ikzops_agent.pg_restore check NAME [--overwrite]``
    is the server there, does NAME exist (exit 3 when it does and --overwrite is not given)
``python3 -m ikzops_agent.pg_restore load NAME SHA256 SIZE COUNTS_JSON [--overwrite --aside OLD]``
    the dump on standard input (``restic dump`` of the file, relayed through SSH) goes
    straight into ``psql --single-transaction`` of a new database NAME, hashed on the way
    and compared with the backup-time manifest (SHA256, SIZE); then the rows of every
    table are compared with the counts recorded at dump time (COUNTS_JSON).

An existing database is never dropped: with --overwrite it is renamed aside to OLD
first, and renamed back when the load fails or is interrupted. A load that fails leaves
no half-loaded NAME behind.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys

from .fileio import BLOCK
from .postgres import COUNT_ROWS, compare_counts, parse_counts, psql

USER = "postgres"


class Interrupted(Exception):
    pass


def _interrupted(signum, frame) -> None:
    raise Interrupted(signal.Signals(signum).name)


def _sql(statement: str, database: str = "postgres") -> subprocess.CompletedProcess:
    return subprocess.run(psql(USER, database), input=statement, capture_output=True, text=True, check=False)


def _literal(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def exists(name: str) -> bool:
    done = _sql(f"SELECT 1 FROM pg_database WHERE datname = {_literal(name)};\n")
    if done.returncode != 0:
        raise RuntimeError(f"the PostgreSQL server on this host does not answer: {done.stderr.strip()}")
    return done.stdout.strip() == "1"


def rename(old: str, new: str) -> None:
    done = _sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {_literal(old)};\n"
                f"ALTER DATABASE {_ident(old)} RENAME TO {_ident(new)};\n")
    if done.returncode != 0:
        raise RuntimeError(f"cannot rename database {old} to {new}: {done.stderr.strip()}")


def drop(name: str) -> None:
    _sql(f"DROP DATABASE IF EXISTS {_ident(name)} WITH (FORCE);\n")


def load(name: str, digest: str, size: int, expected: dict[str, int] | None, aside: str | None, stream) -> dict:
    result: dict = {"database": name, "aside": None, "loaded": False, "bytes": 0, "tables": {}}
    if exists(name):
        if not aside:
            return {**result, "error": f"database {name} exists (give --overwrite to rename it aside)", "conflict": True}
        rename(name, aside)
        result["aside"] = aside
    created = False
    try:
        done = _sql(f"CREATE DATABASE {_ident(name)};\n")
        if done.returncode != 0:
            raise RuntimeError(f"cannot create database {name}: {done.stderr.strip()}")
        created = True
        sha = hashlib.sha256()
        loader = subprocess.Popen([*psql(USER, name), "--single-transaction"], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for block in iter(lambda: stream.read(BLOCK), b""):
                sha.update(block)
                result["bytes"] += len(block)
                loader.stdin.write(block)
            loader.stdin.close()
        except BrokenPipeError:
            pass
        error = loader.stderr.read().decode(errors="replace").strip()
        if loader.wait() != 0:
            raise RuntimeError(f"the dump did not load: {error[-500:]}")
        if result["bytes"] != size or sha.hexdigest() != digest:
            raise RuntimeError(f"the dump differs from the manifest ({result['bytes']} bytes, sha256 {sha.hexdigest()[:12]})")
        result["tables"] = parse_counts(_sql(COUNT_ROWS, name).stdout)
        if expected is not None:
            result["count_mismatches"] = compare_counts(expected, result["tables"])
        result["loaded"] = True
        return result
    except (RuntimeError, OSError, Interrupted) as exc:
        if created:
            drop(name)
        if result["aside"]:
            rename(result["aside"], name)
            result["aside"] = None
        return {**result, "error": str(exc) if not isinstance(exc, Interrupted) else f"interrupted ({exc})"}


def main(argv: list[str]) -> int:
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _interrupted)
    command, name, *rest = argv
    overwrite = "--overwrite" in rest
    try:
        if command == "check":
            found = exists(name)
            result = {"database": name, "exists": found}
            print(json.dumps(result))
            return 3 if found and not overwrite else 0
        digest, size, counts = rest[0], int(rest[1]), json.loads(rest[2]) if rest[2] != "-" else None
        aside = rest[rest.index("--aside") + 1] if overwrite and "--aside" in rest else None
        result = load(name, digest, size, counts, aside, sys.stdin.buffer)
    except (RuntimeError, OSError, ValueError, Interrupted) as exc:
        result = {"database": name, "error": str(exc)}
    print(json.dumps(result))
    if result.get("conflict"):
        return 3
    return 0 if result.get("loaded") and not result.get("count_mismatches") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
