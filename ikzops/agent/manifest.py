"""The manifest of a backup run: ``sha256 size mode path`` of every regular file, one a line.

Written on the client at backup time and backed up with the data; drills (and restores)
compare every restored file with it. Hashes are reused for files whose size, mtime and
inode did not change since the last run (a cache beside the manifest); the others are
hashed several at once.
"""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor

from .fileio import sha256_file, write_atomic


def walk(paths: list[str]):
    """Every file below ``paths``, in a stable order."""

    for top in paths:
        if os.path.isfile(top) or os.path.islink(top):
            yield top
            continue
        for root, dirs, files in os.walk(top):
            dirs.sort()
            for name in sorted(files):
                yield os.path.join(root, name)


def read_cache(cache_path: str) -> dict[str, str]:
    previous: dict[str, str] = {}
    if os.path.exists(cache_path):
        with open(cache_path, encoding="utf-8") as handle:
            for line in handle:
                key, _, digest = line.rstrip("\n").rpartition("\t")
                previous[key] = digest
    return previous


#: files hashed at once (hashlib releases the GIL): before the backup starts the cores are
#: free, and a first run hashes all its data; at most four, so that a disk of spinning
#: platters is not sent seeking between many files
HASHERS = min(os.cpu_count() or 1, 4)


def write_manifest(paths: list[str], manifest_path: str) -> int:
    """Write the manifest of ``paths`` to ``manifest_path``; return how many files it lists.
    A file that vanishes before it is read is left out, as restic leaves it out."""

    previous = read_cache(manifest_path + ".cache")
    found = []
    for path in walk(paths):
        if path == manifest_path:
            continue
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISREG(info.st_mode):
            found.append((path, info, f"{path}\t{info.st_size}\t{info.st_mtime_ns}\t{info.st_ino}"))
    todo = [path for path, _, key in found if key not in previous]
    with ThreadPoolExecutor(max_workers=HASHERS) as pool:
        hashed = dict(zip(todo, pool.map(_sha256_or_none, todo), strict=True))
    lines, cache_lines = [], []
    for path, info, key in found:
        digest = previous.get(key) or hashed[path]
        if digest is None:
            continue
        cache_lines.append(f"{key}\t{digest}")
        lines.append(line(digest, info.st_size, info.st_mode, path))
    return _write(manifest_path, lines, cache_lines)


def _sha256_or_none(path: str) -> str | None:
    try:
        return sha256_file(path)
    except FileNotFoundError:
        return None


def write_entries(entries: list[tuple[str, str]], manifest_path: str) -> int:
    """The manifest of files hashed as they were written (``(path, sha256)``, e.g. LUN images)."""

    lines = []
    for path, digest in entries:
        info = os.lstat(path)
        lines.append(line(digest, info.st_size, info.st_mode, path))
    return _write(manifest_path, lines, [])


def line(digest: str, size: int, mode: int, path: str) -> str:
    return f"{digest}\t{size}\t{stat.S_IMODE(mode):04o}\t{path}"


def _write(manifest_path: str, lines: list[str], cache_lines: list[str]) -> int:
    os.makedirs(os.path.dirname(manifest_path), mode=0o700, exist_ok=True)
    for target, content in ((manifest_path, lines), (manifest_path + ".cache", cache_lines)):
        write_atomic(target, "\n".join(content) + ("\n" if content else ""))
    return len(lines)


def parse_line(line: str) -> tuple[str, int, str, str]:
    """(sha256, size, mode, path) of one manifest line."""

    digest, size, mode, path = line.rstrip("\n").split("\t", 3)
    return digest, int(size), mode, path
