"""Comparing and merging the copies of a history stream (pure).

Every stream has an origin (a client for a backup stream, the control host for the rest)
and copies (the control host's, each repository host's). Copies only ever grow: a copy
that is not a prefix of the longest intact one has been altered, and a copy shorter than
what it was once given has lost records. Either is a :class:`Finding` that names the
stream, the place and the record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ikzops.agent import history

CONTROL = "control host"


@dataclass(frozen=True)
class Finding:
    stream: str
    where: str
    #: the record concerned (1-based place in the stream), if one is
    line: int | None
    problem: str

    def text(self) -> str:
        record = f" record {self.line}" if self.line else ""
        return f"{self.stream}{record} on {self.where}: {self.problem}"


def identify(lines: list[str], line: int) -> str:
    """What a reader knows record ``line`` by: its run or id, and when it started."""

    try:
        record = json.loads(lines[line - 1])
    except (ValueError, IndexError):
        return ""
    if not isinstance(record, dict):
        return ""
    name = record.get("run") or record.get("id") or ""
    return f" ({' '.join(str(part) for part in (record.get('kind'), name, record.get('started')) if part)})"


def broken(stream: str, where: str, lines: list[str], known: tuple[list[str], list[history.Break]] = ([], [])) -> list[Finding]:
    """Every broken link of ``lines``; ``known``: lines already checked and their breaks, so that
    only what ``lines`` do not share with them is hashed again."""

    checked, breaks = known
    shared = _diverges(checked, lines)
    shared = min(len(checked), len(lines)) if shared is None else shared - 1
    found = [b for b in breaks if b.line <= shared] + history.check(lines, shared)
    return [Finding(stream, where, b.line, b.problem + identify(lines, b.line)) for b in found]


def _diverges(reference: list[str], copy: list[str]) -> int | None:
    """The first place (1-based) where ``copy`` differs from ``reference``, if it does."""

    return next((i for i, (a, b) in enumerate(zip(reference, copy, strict=False), 1) if a != b), None)


@dataclass
class Merged:
    lines: list[str]
    findings: list[Finding]
    #: records the control host did not hold before
    new: int = 0


def merge(stream: str, control: list[str], origin: tuple[str, list[str]] | None,
          copies: dict[str, list[str]], given: dict[str, int]) -> Merged:
    """The longest intact version of ``stream`` and every finding about its copies.

    ``origin``: (host, lines) where the stream is written, if not on the control host;
    ``copies``: {repository host: lines}; ``given``: how many records each was last given.
    """

    control_breaks = history.check(control)
    findings = broken(stream, CONTROL, control, (control, control_breaks))
    chosen = control
    candidates = ([(origin[0], origin[1], True)] if origin else []) + [(h, lines, False) for h, lines in sorted(copies.items())]
    for where, lines, is_origin in candidates:
        problems = broken(stream, where, lines, (control, control_breaks))
        findings += problems
        at = _diverges(chosen, lines)
        if at is not None:
            findings.append(Finding(stream, where, at, "differs from the control host's copy (altered or replaced)"
                                    + identify(lines, at)))
        elif problems:
            continue
        elif len(lines) > len(chosen):
            if not is_origin and chosen is control and control:
                findings.append(Finding(stream, CONTROL, len(control) + 1,
                                        f"{len(lines) - len(control)} record(s) that {where} holds are missing here"))
            chosen = lines
        elif is_origin and len(lines) < len(chosen):
            findings.append(Finding(stream, where, len(lines) + 1, f"{len(chosen) - len(lines)} record(s) that the "
                                    "control host collected from here are gone (removed on the client)"))
        if not is_origin and len(lines) < given.get(where, 0):
            findings.append(Finding(stream, where, len(lines) + 1, f"{given[where] - len(lines)} record(s) stored "
                                    "here before are gone (removed on the repository host)"))
    return Merged(chosen, findings, max(0, len(chosen) - len(control)))


def stream_of_origin(job_stream: str, lines: list[str]) -> str | None:
    """The control host's name of a client's stream (``backup-<job>`` of chain c: ``backup-<job>-<c>``)."""

    try:
        return f"{job_stream}-{json.loads(lines[0])['chain']}"
    except (ValueError, KeyError, IndexError, TypeError):
        return None
