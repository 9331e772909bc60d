"""Load restored PostgreSQL dumps into a throwaway server and query them.

``python3 -m ikzops_agent.pg_scratch DUMP_DIR WORK_DIR`` (as root) creates a private
cluster in WORK_DIR (owned by ``postgres``, socket only, no TCP), loads every
``<db>.sql`` of DUMP_DIR into a database of that name, counts the rows of every table,
stops the server and prints JSON. No existing database is touched.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import sys

from .postgres import COUNT_ROWS, compare_counts, parse_counts, psql, recorded_counts


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL server binaries are not installed on this host")
    return found[-1]


def _as_postgres(*argv: str, stdin=None) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *argv], stdin=stdin, capture_output=True, text=True, check=False)


def stop_server(data: str) -> None:
    """Stop the scratch server of ``data`` if one runs (fast: its data is thrown away)."""

    if os.path.exists(os.path.join(data, "postmaster.pid")):
        _as_postgres(_bin("pg_ctl"), "-D", data, "-m", "immediate", "stop")


class Interrupted(Exception):
    pass


def _interrupted(signum, frame) -> None:
    raise Interrupted(signal.Signals(signum).name)


def load(dump_dir: str, work: str) -> dict:
    data, sock = os.path.join(work, "data"), os.path.join(work, "socket")
    os.makedirs(sock, exist_ok=True)
    shutil.chown(work, "postgres")
    shutil.chown(sock, "postgres")
    result: dict = {"databases": {}}
    init = _as_postgres(_bin("initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-sync")
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed: {init.stderr.strip()}")
    start = _as_postgres(_bin("pg_ctl"), "-D", data, "-w", "-l", os.path.join(work, "log"),
                         "-o", f"-k {sock} -c listen_addresses='' -c fsync=off", "start")
    if start.returncode != 0:
        raise RuntimeError(f"scratch PostgreSQL did not start: {start.stderr.strip()}")
    try:
        for dump in sorted(glob.glob(os.path.join(dump_dir, "*.sql"))):
            name = os.path.basename(dump)[:-4]
            entry = result["databases"][name] = {"loaded": False, "tables": {}}
            created = _as_postgres("createdb", "-h", sock, name)
            if created.returncode != 0:
                entry["error"] = created.stderr.strip()
                continue
            with open(dump, "rb") as handle:
                loaded = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-h", sock, "-q", "-v",
                                         "ON_ERROR_STOP=1", "-d", name], stdin=handle, capture_output=True, check=False)
            if loaded.returncode != 0:
                entry["error"] = loaded.stderr.decode(errors="replace").strip()[-500:]
                continue
            entry["loaded"] = True
            counted = subprocess.run(psql("postgres", name, "-h", sock), input=COUNT_ROWS, capture_output=True,
                                     text=True, check=False)
            entry["tables"] = parse_counts(counted.stdout)
            expected = recorded_counts(dump)
            if expected is not None:
                entry["count_mismatches"] = compare_counts(expected, entry["tables"])
    finally:
        stop_server(data)
    return result


def main(argv: list[str]) -> int:
    # a lost connection (SIGHUP) or a stop must not leave the scratch server running
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _interrupted)
    try:
        result = load(argv[0], argv[1])
    except Interrupted as exc:
        result = {"databases": {}, "error": f"interrupted ({exc})"}
    except (OSError, RuntimeError) as exc:
        result = {"databases": {}, "error": str(exc)}
    print(json.dumps(result))
    ok = not result.get("error") and all(d["loaded"] for d in result["databases"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
