"""Runs restic on a managed host from the control host.

The invocation (argv, environment, secrets by file) comes from
:mod:`ikzops.agent.restic`, the module the backup agent uses too. Here it becomes
``sh -c 'export ...; exec restic ...'``: secret values are read from their files
inside that shell (``$(cat FILE)``), so they are in no command line, only in the
environment of restic itself. Exit codes map through one table.
"""

from __future__ import annotations

import shlex

from ikzops import execute
from ikzops.agent import restic
from ikzops.errors import ExitCode
from ikzops.execute import Command, ExitMeaning, Result

EXIT_MEANINGS = {
    1: ExitMeaning(restic.EXIT_CODES[1], ExitCode.FINDING),
    3: ExitMeaning(restic.EXIT_CODES[3], ExitCode.FINDING),
    10: ExitMeaning(restic.EXIT_CODES[10], ExitCode.FINDING, hint="has the job ever run? `ikzops backup --job ...`"),
    11: ExitMeaning(restic.EXIT_CODES[11], ExitCode.FINDING, hint="a backup, check or prune is running; try again later"),
    12: ExitMeaning(restic.EXIT_CODES[12], ExitCode.CONFIG, hint="the password file on the host does not match the repository"),
    130: ExitMeaning(restic.EXIT_CODES[130], ExitCode.CONFIG),
}


def remote_command(invocation: restic.Invocation, purpose: str = "", as_user: str | None = None) -> Command:
    """``sh -c`` running restic (as ``as_user`` through runuser, if given)."""

    lines = [f"export {name}={shlex.quote(value)}" for name, value in sorted(invocation.env.items())]
    lines += [f'export {name}="$(cat {shlex.quote(path)})"' for name, path in sorted(invocation.env_from_files.items())]
    lines.append(f"exec {shlex.join(invocation.argv)}")
    prefix = ("runuser", "-u", as_user, "--") if as_user else ()
    verb = next((a for a in invocation.argv[1:] if not a.startswith("-")), "")
    return Command((*prefix, "sh", "-c", "; ".join(lines)), purpose=purpose or f"restic {verb}")


def run(machine, invocation: restic.Invocation, *, purpose: str = "", check: bool = True,
        timeout: float | None = None, as_user: str | None = None) -> Result:
    return execute.run_remote(
        machine, remote_command(invocation, purpose, as_user), check=check, timeout=timeout,
        exit_meanings=EXIT_MEANINGS,
    )
