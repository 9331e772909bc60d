"""Facts about filesystems."""

from __future__ import annotations

from dataclasses import dataclass

from pyinfra.api import FactBase, QuoteString, StringCommand


@dataclass(frozen=True)
class Filesystem:
    size: int
    available: int


class FilesystemSize(FactBase[Filesystem | None]):
    """Size and free bytes of the filesystem holding ``path`` (or its nearest existing parent)."""

    def command(self, path: str) -> StringCommand:
        return StringCommand(
            "p=", QuoteString(path), "; while [ ! -e \"$p\" ]; do p=$(dirname \"$p\"); done; "
            "df -B1 --output=size,avail \"$p\" | tail -n 1", _separator="",
        )

    def process(self, output: list[str]) -> Filesystem:
        size, available = output[-1].split()
        return Filesystem(int(size), int(available))


class RepositoriesUnder(FactBase[frozenset[str]]):
    """The restic repositories two or three levels below ``path`` (directories holding a
    ``config`` file: ``client/job`` or ``partner/client/job``), relative to it; empty if
    ``path`` is missing."""

    default = frozenset

    def command(self, path: str) -> StringCommand:
        return StringCommand("find", QuoteString(path), "-mindepth 3 -maxdepth 4 -type f -name config -printf '%P\\n'",
                             "2>/dev/null || true")

    def process(self, output: list[str]) -> frozenset[str]:
        return frozenset(line.rsplit("/", 1)[0] for line in output if line.endswith("/config"))
