"""Scratch directories that an interrupted drill left, swept by the next drill's agent
(``drill_restore``) before it makes its own.

A drill whose connection was cut cannot clean up after itself, and what it had started
may outlive it: a scratch PostgreSQL server is a daemon of its own. A directory is an
orphan when no process but such a server refers to it, looked at twice, two seconds
apart (a drill between two steps keeps its own). Orphans' servers are stopped, then the
directories are removed; :func:`sweep` returns their paths.
"""

from __future__ import annotations

import glob
import os
import shutil
import time

from .pg_scratch import stop_server


def users(directory: str) -> list[int]:
    """Processes whose command line names ``directory``, scratch PostgreSQL servers left out."""

    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/comm", encoding="utf-8") as handle:
                name = handle.read().strip()
        except OSError:
            continue
        if directory in command and name != "postgres":
            found.append(int(entry))
    return found


def sweep(pattern: str) -> list[str]:
    candidates = [d for d in glob.glob(pattern) if os.path.isdir(d) and not users(d)]
    if candidates:
        time.sleep(2)
    removed = []
    for directory in candidates:
        if users(directory):
            continue
        stop_server(os.path.join(directory, "pg", "data"))
        shutil.rmtree(directory, ignore_errors=True)
        removed.append(directory)
    return removed

