"""The manifest of a backup run: ``sha256 size mode path`` of every regular file, one a line.

Written on the client at backup time and backed up with the data; drills (and restores)
compare every restored file with it. Hashes are reused for files whose size, mtime and
inode did not change since the last run (a cache beside the manifest).
"""

from __future__ import annotations

import os
import stat

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


def write_manifest(paths: list[str], manifest_path: str) -> int:
    """Write the manifest of ``paths`` to ``manifest_path``; return how many files it lists."""

    cache_path = manifest_path + ".cache"
    previous = read_cache(cache_path)
    lines, cache_lines = [], []
    for path in walk(paths):
        if path == manifest_path:
            continue
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        key = f"{path}\t{info.st_size}\t{info.st_mtime_ns}\t{info.st_ino}"
        digest = previous.get(key) or sha256_file(path)
        cache_lines.append(f"{key}\t{digest}")
        lines.append(line(digest, info.st_size, info.st_mode, path))
    return _write(manifest_path, lines, cache_lines)


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
