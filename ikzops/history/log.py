"""The control host's copy of a partnership's history: ``<state>/history/<partnership>/<stream>.jsonl``.

Streams written here: ``verify``, ``drill``, ``restore``, ``recovery``; collected here: every
client's ``backup-<job>`` stream, as ``backup-<job>-<chain>`` (a rebuilt client starts a new
chain, which becomes a stream of its own beside the old one).
"""

from __future__ import annotations

import json
from pathlib import Path

from ikzops.agent import history
from ikzops.agent.fileio import write_atomic
from ikzops.state import state_root

#: the streams the control host writes itself
CONTROL_STREAMS = ("verify", "drill", "restore", "recovery")


def folder(partnership: str) -> Path:
    return state_root() / "history" / partnership


def append(partnership: str, stream: str, record: dict) -> dict:
    """Append ``record`` to one of the control host's own streams."""

    assert stream in CONTROL_STREAMS, stream
    return history.append(str(folder(partnership) / f"{stream}{history.SUFFIX}"), record)


def streams(partnership: str) -> dict[str, list[str]]:
    """``{stream: lines}`` of the control host's copy."""

    return {name: part["lines"] for name, part in history.dump(str(folder(partnership))).items()}


def save(partnership: str, stream: str, lines: list[str]) -> None:
    """Replace the control host's copy of ``stream`` (the caller proved it only grows)."""

    where = folder(partnership)
    where.mkdir(parents=True, exist_ok=True)
    write_atomic(str(where / f"{stream}{history.SUFFIX}"), "".join(line + "\n" for line in lines), 0o640)


def records(partnership: str) -> list[dict]:
    """Every record of every stream the control host holds, each with its ``stream``, oldest first."""

    found = []
    for stream, lines in streams(partnership).items():
        for line in lines:
            try:
                found.append({**json.loads(line), "stream": stream})
            except ValueError:
                continue
    return sorted(found, key=lambda r: r.get("started") or r.get("finished") or "")
