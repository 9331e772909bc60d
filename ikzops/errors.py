"""Exit codes and the errors that carry them.

Every command of ikzops ends with one of four exit codes (the CLI contract):

====  ==========================================================
0     all good
1     a finding: stale, missing, mismatch, failed drill
2     usage or configuration error, or the job could not run
3     could not reach something (a host, a site, a repository)
====  ==========================================================
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FINDING = 1
    CONFIG = 2
    UNREACHABLE = 3


class IkzopsError(Exception):
    """An error with a message meant for a person and an exit code."""

    exit_code: ExitCode = ExitCode.CONFIG

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(IkzopsError):
    exit_code = ExitCode.CONFIG


class UnreachableError(IkzopsError):
    exit_code = ExitCode.UNREACHABLE


class CommandError(IkzopsError):
    """An external program failed; the message is already masked."""

    exit_code = ExitCode.CONFIG

    def __init__(
        self,
        message: str,
        *,
        returncode: int,
        stderr: str = "",
        hint: str | None = None,
        exit_code: ExitCode | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.returncode = returncode
        self.stderr = stderr
        if exit_code is not None:
            self.exit_code = exit_code


#: when several outcomes meet in one command, the most serious decides its exit code:
#: could not run, then a finding, then something unreachable
SEVERITY = (ExitCode.CONFIG, ExitCode.FINDING, ExitCode.UNREACHABLE)


def worst(codes) -> ExitCode:
    """The exit code of a command whose parts ended with ``codes`` (:data:`SEVERITY`)."""

    present = set(codes)
    return next((code for code in SEVERITY if code in present), ExitCode.OK)
