"""Point-in-time images of a LUN job's LUNs, taken on their storage host before the backup.

Each LUN is copied into the job's image folder (``<lun>.img``, hashed while it is
copied) and the copy is what restic backs up, like any file; the folder is emptied when
the run ends. Where the copy comes from:

* **file** pools: tgt serves the backing file. The LUN's target is set *offline* (tgt
  answers its initiators "not ready", they retry) for exactly the copy and set *ready*
  again in every case; no write lands between the first and the last block copied.
  A target tgt does not serve has no writer: its file is copied as it is.
* **lvm** pools: an LVM snapshot of the LUN's logical volume is created, copied and
  removed (also when the copy fails); the LUN stays online throughout.

Zero blocks are not written (the copy is sparse, like a fresh LUN); restic stores a zero
chunk once however often it occurs.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass

from .execute import log

BLOCK = 4 << 20
ZERO = bytes(BLOCK)
TGTADM = ("tgtadm", "--lld", "iscsi")
#: how much of the origin may change while an LVM snapshot exists, per LUN size
LVM_SNAPSHOT_SHARE = 0.2


@dataclass(frozen=True)
class Image:
    name: str
    path: str
    sha256: str
    size: int
    #: how long the LUN's initiators waited for the copy (file pools), else 0
    paused_seconds: float


def _run(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:5])} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def target_id(show: str, iqn: str) -> int | None:
    """The tid of ``iqn`` in ``tgtadm --mode target --op show`` output (pure)."""

    found = re.search(rf"^Target (\d+): {re.escape(iqn)}$", show, re.MULTILINE)
    return int(found.group(1)) if found else None


@contextmanager
def paused(iqn: str):
    """The target ``iqn`` offline for the block; ready again whatever happens."""

    try:
        tid = target_id(_run(*TGTADM, "--mode", "target", "--op", "show"), iqn)
    except (RuntimeError, OSError) as exc:
        log(f"tgt does not answer ({exc}); nothing can write to the LUN, copying it as it is")
        tid = None
    if tid is None:
        yield
        return
    state = (*TGTADM, "--mode", "target", "--op", "update", "--tid", str(tid), "--name", "state", "--value")
    _run(*state, "offline")
    try:
        yield
    finally:
        _run(*state, "ready")


@contextmanager
def lvm_snapshot(vg: str, lv: str, size: int):
    """A snapshot of ``vg/lv`` for the block (its device path), removed whatever happens."""

    name = f"{lv}-ikzsnap"
    if os.path.exists(f"/dev/{vg}/{name}"):  # left by a run that was killed
        _run("lvremove", "-f", f"{vg}/{name}")
    _run("lvcreate", "--snapshot", "--name", name, "--size", f"{max(4 << 20, int(size * LVM_SNAPSHOT_SHARE))}b", f"{vg}/{lv}")
    try:
        yield f"/dev/{vg}/{name}"
    finally:
        _run("lvremove", "-f", f"{vg}/{name}")


def copy(source: str, target: str) -> tuple[str, int]:
    """Copy ``source`` to ``target`` (0600, sparse), hashing it; (sha256, size)."""

    digest = hashlib.sha256()
    size = 0
    buffer = bytearray(BLOCK)
    view = memoryview(buffer)
    with open(source, "rb", buffering=0) as reader, \
            open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb", buffering=0) as writer:
        while True:
            count = reader.readinto(buffer)
            if not count:
                break
            chunk = view[:count]
            digest.update(chunk)
            if count == BLOCK and buffer == ZERO:
                writer.seek(count, os.SEEK_CUR)
            else:
                while chunk:
                    chunk = chunk[writer.write(chunk):]
            size += count
        writer.truncate(size)
    return digest.hexdigest(), size


def take(luns: list[dict], folder: str) -> list[Image]:
    """An image of every LUN of the job in ``folder``."""

    os.makedirs(folder, mode=0o700, exist_ok=True)
    images = []
    for lun in luns:
        path = os.path.join(folder, f"{lun['name']}.img")
        started = time.monotonic()
        if lun["backing"] == "file":
            with paused(lun["iqn"]):
                digest, size = copy(lun["device"], path)
            paused_for = time.monotonic() - started
        else:
            with lvm_snapshot(lun["vg"], lun["device"].rsplit("/", 1)[-1], lun["size"]) as device:
                digest, size = copy(device, path)
            paused_for = 0.0
        log(f"LUN {lun['name']}: {size} bytes imaged in {time.monotonic() - started:.1f} s"
            + (f" (initiators paused {paused_for:.2f} s)" if paused_for else ""))
        images.append(Image(lun["name"], path, digest, size, round(paused_for, 3)))
    return images


def clear(folder: str) -> None:
    """Remove the images (they are in the backup now, or the run failed)."""

    if not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))
