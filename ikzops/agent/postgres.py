"""What the agent knows about PostgreSQL: psql as the database's user, and row counts.

Row counts are taken at dump time in the very snapshot the dump is made from (the dump
imports the snapshot a held-open transaction exported), so the counts recorded beside a
dump are exactly what that dump loads; restores and drills compare the tables they load
with them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time

#: one ``SELECT '<schema.table>', count(*)`` per user table, run by psql's \\gexec
COUNT_ROWS = ("SELECT format('SELECT %L, count(*) FROM %I.%I', schemaname || '.' || tablename, schemaname, tablename) "
              "FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1 \\gexec\n")
PSQL_OPTIONS = ("-X", "-q", "-t", "-A", "-F", "\t", "-v", "ON_ERROR_STOP=1")


def psql(user: str, database: str, *extra: str) -> list[str]:
    return ["runuser", "-u", user, "--", "psql", *PSQL_OPTIONS, *extra, "-d", database]


def parse_counts(output: str) -> dict[str, int]:
    counts = {}
    for line in output.splitlines():
        table, _, count = line.partition("\t")
        if count.strip().isdigit():
            counts[table] = int(count)
    return counts


def counts_path(dump: str) -> str:
    """Beside ``<db>.sql``: ``<db>.counts.json``, the rows per table the dump holds."""

    return dump[: -len(".sql")] + ".counts.json"


def recorded_counts(dump: str) -> dict[str, int] | None:
    """The rows per table recorded when ``dump`` was made (None for dumps older than that)."""

    try:
        with open(counts_path(dump), encoding="utf-8") as handle:
            return json.load(handle)["tables"]
    except FileNotFoundError:
        return None


def compare_counts(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    """Tables whose rows differ from the counts recorded at dump time, in words."""

    problems = [f"{table}: {found.get(table, 'missing')} rows, {count} at dump time"
                for table, count in sorted(expected.items()) if found.get(table) != count]
    problems += [f"{table}: not in the dump's counts" for table in sorted(set(found) - set(expected))]
    return problems


class SnapshotSession:
    """A transaction held open in psql whose snapshot a pg_dump imports; counts in it.

    psql reads its commands from a pipe; each answer goes to a file (``\\o``), and a
    ``\\! touch`` after it says the answer is complete.
    """

    def __init__(self, database: str, user: str = "postgres", timeout: float = 120) -> None:
        self.folder = tempfile.mkdtemp(prefix="ikzops-pg-")
        shutil.chown(self.folder, user)
        self.timeout = timeout
        self.process = subprocess.Popen(psql(user, database), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        self.asked = 0
        self.send("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n")

    def send(self, text: str) -> None:
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def ask(self, query: str) -> str:
        self.asked += 1
        answer = os.path.join(self.folder, f"answer-{self.asked}")
        self.send(f"\\o {answer}\n{query}\\o\n\\! touch {answer}.done\n")
        deadline = time.monotonic() + self.timeout
        while not os.path.exists(answer + ".done"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"psql gave no answer: {self.process.stderr.read().strip() if self.process.poll() is not None else 'timeout'}")
            time.sleep(0.02)
        with open(answer, encoding="utf-8") as handle:
            return handle.read()

    def export(self) -> str:
        return self.ask("SELECT pg_export_snapshot();\n").strip()

    def counts(self) -> dict[str, int]:
        return parse_counts(self.ask(COUNT_ROWS))

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                self.send("COMMIT;\n\\q\n")
                self.process.stdin.close()
                self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
        finally:
            # back to root first: the job may not write into a folder of the database's user
            # (it keeps only CAP_DAC_READ_SEARCH of root's powers over others' files)
            try:
                os.chown(self.folder, 0, 0)
            except OSError:
                pass
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> SnapshotSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
