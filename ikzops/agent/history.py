"""The history: tamper-evident logs of every run (the one home of their format).

A stream is a file of JSON records, one a line. Each record carries its place (``seq``),
the stream's random ``chain`` id (a rebuilt host starts a new chain, never a forged
continuation of the old one) and ``prev``, the sha256 of the line before it; the first
record's ``prev`` is :data:`GENESIS`. Removing, inserting or altering a record breaks the
link of the record after it; the last record is proven by the copies kept elsewhere
(the control host and every site's repository host hold the whole history).

Written on clients (a backup run appends to ``RUNS_DIR/backup-<job>.jsonl``) and on the control
host (verify, drills, restores, recoveries); the control host collects every stream and
keeps a copy of all of them on every repository host. On a host::

    python3 -m ikzops_agent.history dump DIR < JSON   # DIR's streams, from what the reader holds on
    python3 -m ikzops_agent.history store DIR < JSON  # extend the copies in DIR, never rewrite them

Both send only what is new: ``dump`` the lines after those the reader holds (proven by the
digest of the last one and the chain), ``store`` the lines after those the copy holds. A
copy that differs is sent whole (``dump``) or kept as evidence and named (``store``, exit 1).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import sys
from dataclasses import dataclass

from .fileio import write_atomic

GENESIS = "0" * 64
SUFFIX = ".jsonl"
#: on clients: the streams of their backup jobs (``backup-<job>.jsonl``)
RUNS_DIR = "/var/lib/ikzops/history/runs"
#: on repository hosts: the copy of a partnership's whole history (``<folder>/<partnership>/``)
COPIES_DIR = "/var/lib/ikzops/history/partnership"
#: the tail read to find the last record when appending (a record is far smaller)
TAIL = 1 << 16


def digest(line: str) -> str:
    return hashlib.sha256(line.encode()).hexdigest()


def encode(record: dict) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def _last_line(handle) -> str:
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(max(0, size - TAIL))
    lines = handle.read().decode().splitlines()
    return lines[-1] if lines else ""


def append(path: str, record: dict) -> dict:
    """Append ``record`` to the stream at ``path`` (created 0640 with its folder), linked to the
    record before it; the record as written. Safe against concurrent writers (a lock)."""

    os.makedirs(os.path.dirname(path), mode=0o750, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
    with os.fdopen(fd, "r+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        last = _last_line(handle)
        if last:
            before = json.loads(last)
            linked = {"seq": before["seq"] + 1, "chain": before["chain"], "prev": digest(last)}
        else:
            linked = {"seq": 0, "chain": secrets.token_hex(4), "prev": GENESIS}
        written = {**record, **linked}
        handle.write((encode(written) + "\n").encode())
        handle.flush()
        os.fsync(handle.fileno())
    return written


@dataclass(frozen=True)
class Break:
    """Where a chain is broken: the record's place (1-based line) and what is wrong."""

    line: int
    problem: str


def _parsed(line: str) -> dict | None:
    """A history record, or None when ``line`` is none (unreadable, or without seq, prev or chain)."""

    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) and {"seq", "prev", "chain"} <= record.keys() else None


def check(lines: list[str], start: int = 0) -> list[Break]:
    """Every broken link of a stream's ``lines`` (empty: the chain holds); from record
    ``start + 1`` on, when the first ``start`` are known already (each link depends only on a
    record and the one before it, and the chain's id on its first readable record)."""

    breaks = []
    chain = next((r["chain"] for r in map(_parsed, lines[:start]) if r is not None), None)
    for number, line in enumerate(lines[start:], start + 1):
        record = _parsed(line)
        if record is None:
            breaks.append(Break(number, "not a history record (unreadable JSON or no seq/chain/prev)"))
            continue
        seq, prev, this_chain = record["seq"], record["prev"], record["chain"]
        expected = digest(lines[number - 2]) if number > 1 else GENESIS
        if prev != expected:
            breaks.append(Break(number, "does not follow the record before it (removed, inserted or altered)"
                                if number > 1 else "is not the start of a chain"))
        if seq != number - 1:
            breaks.append(Break(number, f"is numbered {seq}, expected {number - 1}"))
        if chain is not None and this_chain != chain:
            breaks.append(Break(number, f"belongs to chain {this_chain}, the stream is chain {chain}"))
        chain = chain or this_chain
    return breaks


def read(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().splitlines()
    except FileNotFoundError:
        return []


def dump(folder: str, known: dict[str, list] | None = None) -> dict[str, dict]:
    """Every stream of ``folder``: ``{stream: {"from": n, "lines": [...], "total": t}}``.

    ``known`` (``{stream: [n, sha256 of its line n]}``) is what the reader already holds:
    a stream whose chain holds and whose line n has that digest is sent from line n on
    (its first n lines are then those the reader holds, by the chain); any other is sent
    whole, for the reader to find where it differs.
    """

    known = known or {}
    if not os.path.isdir(folder):
        return {}
    streams = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(SUFFIX):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)  # a record being appended is read whole or not at all
            lines = handle.read().splitlines()
        stream = name[: -len(SUFFIX)]
        held, held_digest = (known.get(stream) or [0, ""])[:2]
        start = 0
        if 0 < held <= len(lines) and digest(lines[held - 1]) == held_digest and not check(lines):
            start = held
        streams[stream] = {"from": start, "lines": lines[start:], "total": len(lines)}
    return streams


def store(folder: str, streams: dict[str, dict]) -> list[str]:
    """Extend the copies in ``folder``: ``{stream: {"from": n, "after": sha256 of line n, "lines": [...]}}``
    appends ``lines`` to a copy of exactly n lines whose last one has that digest (n = 0: a new
    copy); the streams whose copy is anything else (kept as it is, as evidence)."""

    os.makedirs(folder, mode=0o750, exist_ok=True)
    differing = []
    for stream, part in sorted(streams.items()):
        if "/" in stream or stream.startswith("."):
            differing.append(stream)
            continue
        path = os.path.join(folder, stream + SUFFIX)
        held = read(path)
        if len(held) != part["from"] or (held and digest(held[-1]) != part.get("after")):
            differing.append(stream)
            continue
        if part["lines"]:
            write_atomic(path, "".join(line + "\n" for line in held + part["lines"]), 0o640)
    return differing


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("dump", "store"):
        print("usage: python3 -m ikzops_agent.history dump|store DIR  (a JSON object on standard input)",
              file=sys.stderr)
        return 2
    given = json.loads(sys.stdin.read() or "{}")
    if argv[0] == "dump":
        json.dump(dump(argv[1], given), sys.stdout)
        return 0
    differing = store(argv[1], given)
    json.dump({"differing": differing}, sys.stdout)
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
