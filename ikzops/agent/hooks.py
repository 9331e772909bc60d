"""A job's hooks on its client: shell commands before and after, PostgreSQL dumps."""

from __future__ import annotations

import json
import os
import subprocess

from .execute import log
from .fileio import write_atomic
from .postgres import SnapshotSession, counts_path


def run_hooks(commands: list[str], stage: str) -> None:
    for command in commands:
        log(f"hook {stage}: {command}")
        result = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{stage} hook failed ({result.returncode}): {command}\n{result.stderr.strip()}")


def pg_dump(database: str, user: str, snapshot: str | None = None) -> list[str]:
    """The argv of one database's dump: plain SQL that recreates it in an empty database,
    taken from ``snapshot`` (exported by a transaction held open) when given."""

    argv = ["runuser", "-u", user, "--", "pg_dump", "--format=plain", "--no-owner", "--clean", "--if-exists"]
    return [*argv, *((f"--snapshot={snapshot}",) if snapshot else ()), database]




def dump_postgresql(hook: dict, dump_dir: str) -> list[str]:
    target = os.path.join(dump_dir, "postgresql")
    os.makedirs(target, mode=0o700, exist_ok=True)
    written = []
    for database in hook["databases"]:
        path = os.path.join(target, f"{database}.sql")
        tmp = path + ".tmp"
        user = hook.get("user", "postgres")
        with SnapshotSession(database, user) as session, \
                open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
            result = subprocess.run(pg_dump(database, user, session.export()), stdout=out, stderr=subprocess.PIPE,
                                    check=False)
            counts = session.counts() if result.returncode == 0 else {}
        if result.returncode != 0:
            os.unlink(tmp)
            raise RuntimeError(f"pg_dump of {database} failed: {result.stderr.decode(errors='replace').strip()}")
        os.replace(tmp, path)
        write_atomic(counts_path(path), json.dumps({"database": database, "tables": counts}, indent=1), mode=0o600)
        written.append(path)
        log(f"dumped PostgreSQL database {database} to {path}")
    return written
