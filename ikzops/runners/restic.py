"""Runs restic on a managed host from the control host.

The invocation (argv, environment, secrets by file) comes from
:mod:`ikzops.agent.restic`, the module the backup agent uses too. Here it becomes
``sh -c 'export ...; exec restic ...'``: secret values are read from their files
inside that shell (``$(cat FILE)``), so they are in no command line, only in the
environment of restic itself. Exit codes map through one table.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ikzops import execute, layout
from ikzops.agent import restic
from ikzops.errors import ExitCode
from ikzops.execute import Command, ExitMeaning, Result
from ikzops.model.partnership import Job, Partnership
from ikzops.runners.ssh import connect

EXIT_MEANINGS = {
    1: ExitMeaning(restic.EXIT_CODES[1], ExitCode.FINDING),
    3: ExitMeaning(restic.EXIT_CODES[3], ExitCode.FINDING),
    10: ExitMeaning(restic.EXIT_CODES[10], ExitCode.FINDING, hint="has the job ever run? `ikzops backup --job ...`"),
    11: ExitMeaning(restic.EXIT_CODES[11], ExitCode.FINDING, hint="a backup, check or prune is running; try again later"),
    12: ExitMeaning(restic.EXIT_CODES[12], ExitCode.CONFIG, hint="the password file on the host does not match the repository"),
    130: ExitMeaning(restic.EXIT_CODES[130], ExitCode.CONFIG),
}


def remote_command(invocation: restic.Invocation, purpose: str = "", as_user: str | None = None,
                   log: str | None = None) -> Command:
    """``sh -c`` running restic (as ``as_user`` through runuser, if given).

    With ``log``, restic's output goes to /dev/null and its errors to that file on the host,
    not through the SSH channel: a cut connection cannot block it, so it ends by itself.
    """

    lines = [f"export {name}={shlex.quote(value)}" for name, value in sorted(invocation.env.items())]
    lines += [f'export {name}="$(cat {shlex.quote(path)})"' for name, path in sorted(invocation.env_from_files.items())]
    redirect = f" >/dev/null 2>{shlex.quote(log)}" if log else ""
    lines.append(f"exec {shlex.join(invocation.argv)}{redirect}")
    prefix = ("runuser", "-u", as_user, "--") if as_user else ()
    verb = next((a for a in invocation.argv[1:] if not a.startswith("-")), "")
    return Command((*prefix, "sh", "-c", "; ".join(lines)), purpose=purpose or f"restic {verb}")


def run(machine, invocation: restic.Invocation, *, purpose: str = "", check: bool = True,
        timeout: float | None = None, as_user: str | None = None, log: str | None = None) -> Result:
    return execute.run_remote(
        machine, remote_command(invocation, purpose, as_user, log), check=check, timeout=timeout,
        exit_meanings=EXIT_MEANINGS,
    )


@dataclass
class Snapshots:
    """A job's snapshots in one repository, as its repository host lists them.

    Snapshots dated in the future (a client's wrong clock, or forged) are set apart: they
    are never "the newest" (see :data:`ikzops.agent.restic.CLOCK_TOLERANCE`).
    """

    all: list[dict] = field(default_factory=list)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: why they could not be listed ("" when they were)
    error: str = ""

    @property
    def future(self) -> list[dict]:
        return [s for s in self.all if restic.claims_after(s, self.now)]

    def newest(self) -> dict | None:
        return restic.newest(self.all, self.now)

    def matching(self, prefix: str) -> list[dict]:
        """The snapshots whose id starts with ``prefix`` (a short id or a full one)."""

        return restic.matching(self.all, prefix)

    def named(self, wanted: str) -> list[dict]:
        """The snapshots a user's word names: the run of that id (its ``ikz-run`` tag), else
        the snapshots whose id starts with it."""

        return [s for s in self.all if restic.tag_value(s, "ikz-run") == wanted] or self.matching(wanted)


def list_snapshots(machine, repo: restic.Repository, job: str, *, as_user: str | None = None,
                   now: datetime | None = None, lock: bool = True) -> Snapshots:
    listed = run(machine, restic.snapshots(repo, tags=[f"ikz-job={job}"], lock=lock), check=False, as_user=as_user)
    found = Snapshots(now=now or datetime.now(UTC))
    if listed.returncode != 0:
        found.error = f"{restic.meaning(listed.returncode)}: {restic.error_text(listed.stderr)}"
    else:
        found.all = restic.parse_snapshots(listed.stdout)
    return found


def snapshots_at(p: Partnership, job: Job, site: str) -> Snapshots:
    """``job``'s snapshots in its repository at ``site``, listed on that site's repository
    host with local access; :class:`~ikzops.errors.UnreachableError` if it does not answer."""

    destination = layout.destination(p, job, site)
    with connect(p.hosts[destination.host]) as machine:
        return list_snapshots(machine, layout.local_repository(job, destination), job.name, as_user=layout.REST_SERVER_USER)

