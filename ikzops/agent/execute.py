"""How the agent runs restic and says what it does (its journal is stderr).

Secrets reach restic only through its environment, read from their files here; never
through argv.
"""

from __future__ import annotations

import os
import subprocess
import sys

from . import restic


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
