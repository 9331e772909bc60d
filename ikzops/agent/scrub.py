"""Prove a repository's pack files intact by hashing them: ``python3 -m ikzops_agent.scrub``.

    python3 -m ikzops_agent.scrub REPOSITORY STATE_FILE BUDGET_BYTES
    python3 -m ikzops_agent.scrub s3:https://HOST:PORT/BUCKET STATE_FILE BUDGET_BYTES CACERT KEY_FILE SECRET_FILE

restic names every pack file by the sha256 of its content, so a pack is proven intact
by hashing the file alone: at disk speed, without the repository's key and without
decrypting anything. Each run hashes **every pack that arrived since the last run**
(so damage to new data is found the day it arrives) plus, oldest proof first, older
packs up to BUDGET_BYTES (so every pack is re-read within a bounded number of runs;
a repository no larger than the budget is read whole every run). Packs are hashed on
every core with large reads. STATE_FILE keeps when each pack was last proven; a
damaged pack is never marked proven, so it is hashed again (and named) every run
until it is repaired or gone.

A repository in a bucket is hashed the same way, each pack read from the gateway as the
bucket's owner (the key files' paths are arguments, never the keys): its arrival is the
gateway's ``LastModified``, and what is proven is what the gateway serves - damage in the
storage below it (a bit flipped in a RADOS object) included.

Prints one JSON object: ``packs``/``bytes`` (the repository's), ``hashed`` (packs,
bytes, new packs), ``damaged`` (pack, size, arrival, problem), ``proven_7d_bytes``
(bytes of current packs proven in the last 7 days), ``last_complete_pass`` (the time
since which every current pack has been proven, or null), ``seconds``. Exit 0 all
intact, 1 damage found, 2 error.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from .bucket import gateway_errors, objects, open_bucket
from .fileio import write_atomic

READ = 4 << 20
WEEK = 7 * 86400
WORKERS = os.cpu_count() or 2


class Files:
    """A repository on this host's disk (the rest-server's directory)."""

    #: packs hashed at once: one a core
    workers = WORKERS

    def __init__(self, repository: str) -> None:
        self.repository = repository

    def packs(self) -> dict[str, tuple[int, float]]:
        """pack name -> (size, arrival mtime) for every pack file of the repository."""

        found = {}
        data = os.path.join(self.repository, "data")
        for folder in sorted(os.listdir(data)):
            with os.scandir(os.path.join(data, folder)) as entries:
                for entry in entries:
                    if entry.is_file(follow_symlinks=False) and len(entry.name) == 64:
                        info = entry.stat(follow_symlinks=False)
                        found[entry.name] = (info.st_size, info.st_mtime)
        return found

    def digest(self, pack: str) -> str:
        hasher, buffer = hashlib.sha256(), bytearray(READ)
        view = memoryview(buffer)
        with open(os.path.join(self.repository, "data", pack[:2], pack), "rb", buffering=0) as handle:
            while count := handle.readinto(buffer):
                hasher.update(view[:count])
        return hasher.hexdigest()


class Bucket:
    """A repository in a bucket of an S3 gateway, read as the bucket's owner."""

    #: packs hashed at once: they come over the network, so more reads in flight than cores
    workers = 4 * WORKERS

    def __init__(self, url: str, cacert: str, key_file: str, secret_file: str) -> None:
        self.client, self.name = open_bucket(url, cacert, key_file, secret_file, connections=self.workers)

    def packs(self) -> dict[str, tuple[int, float]]:
        return {name: (item["Size"], item["LastModified"].timestamp())
                for name, item in objects(self.client, self.name, "data/", "list the packs") if len(name) == 64}

    def digest(self, pack: str) -> str:
        hasher = hashlib.sha256()
        with gateway_errors("read it"):
            body = self.client.get_object(Bucket=self.name, Key=f"data/{pack[:2]}/{pack}")["Body"]
            for chunk in body.iter_chunks(READ):
                hasher.update(chunk)
        return hasher.hexdigest()


def select(current: dict[str, tuple[int, float]], proven: dict[str, float], budget: int) -> tuple[list[str], list[str]]:
    """(new packs, older packs due): every pack never proven, then the longest-unproven
    older ones while they fit the budget (at least one, so that a pack larger than the
    budget is not skipped for ever)."""

    new = sorted((p for p in current if p not in proven), key=lambda p: current[p][1])
    due, spent = [], 0
    for pack in sorted((p for p in current if p in proven), key=lambda p: proven[p]):
        size = current[pack][0]
        if due and spent + size > budget:
            break
        due.append(pack)
        spent += size
    return new, due


def coverage(current: dict[str, tuple[int, float]], proven: dict[str, float], now: float) -> tuple[int, str | None]:
    recent = sum(size for pack, (size, _) in current.items() if proven.get(pack, 0) >= now - WEEK)
    complete = None
    if current and all(pack in proven for pack in current):
        complete = datetime.fromtimestamp(min(proven[p] for p in current), UTC).isoformat(timespec="seconds")
    return recent, complete


def scrub(repository: str | Files | Bucket, state_file: str, budget: int, now: float | None = None) -> dict:
    store = Files(repository) if isinstance(repository, str) else repository
    started = time.monotonic()
    now = time.time() if now is None else now
    try:
        with open(state_file, encoding="utf-8") as handle:
            state = json.load(handle)
    except FileNotFoundError:
        state = {}
    current = store.packs()
    proven = {p: t for p, t in state.get("proven", {}).items() if p in current}  # pruned ones are gone
    new, due = select(current, proven, budget)
    damaged = []

    def check(pack: str) -> tuple[str, str | None]:
        try:
            return pack, None if store.digest(pack) == pack else "sha256 of its content differs from its name"
        except OSError as exc:
            return pack, f"unreadable: {exc.strerror or exc}"

    with ThreadPoolExecutor(max_workers=store.workers) as pool:
        for pack, problem in pool.map(check, [*new, *due]):
            if problem:
                size, arrived = current[pack]
                damaged.append({"pack": pack, "size": size, "problem": problem,
                                "arrived": datetime.fromtimestamp(arrived, UTC).isoformat(timespec="seconds")})
                proven.pop(pack, None)
            else:
                proven[pack] = now
    os.makedirs(os.path.dirname(state_file), mode=0o700, exist_ok=True)
    write_atomic(state_file, json.dumps({"proven": proven}), mode=0o600)
    recent, complete = coverage(current, proven, now)
    return {
        "packs": len(current), "bytes": sum(size for size, _ in current.values()),
        "hashed": {"packs": len(new) + len(due), "bytes": sum(current[p][0] for p in [*new, *due]), "new": len(new)},
        "damaged": damaged, "proven_7d_bytes": recent, "last_complete_pass": complete,
        "seconds": round(time.monotonic() - started, 3),
    }


def main(argv: list[str]) -> int:
    bucket = bool(argv) and argv[0].startswith("s3:")
    if len(argv) != (6 if bucket else 3):
        print("usage: scrub REPOSITORY STATE_FILE BUDGET_BYTES\n"
              "       scrub s3:URL STATE_FILE BUDGET_BYTES CACERT KEY_FILE SECRET_FILE", file=sys.stderr)
        return 2
    try:
        result = scrub(Bucket(argv[0], *argv[3:]) if bucket else Files(argv[0]), argv[1], int(argv[2]))
    except (OSError, ValueError) as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    print(json.dumps(result))
    return 1 if result["damaged"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
