"""Every file of a directory in one command: what ikzops' :func:`~ikzops.operations.files.put`
compares with, instead of two facts per file (pyinfra 3 gathers facts anew for every
operation, once to plan and once to run: a no-op deploy of a monitor made ~200 round
trips for its ~50 files, this makes one per directory)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from pyinfra.api import FactBase, QuoteString, StringCommand


@dataclass(frozen=True)
class FileState:
    mode: int
    user: str
    group: str
    #: "" for a directory
    sha256: str
    #: "f" a regular file, "d" a directory
    kind: str = "f"


class FilesIn(FactBase[dict[str, FileState] | None]):
    """``{name: FileState}`` of the regular files and directories directly in ``path`` (files
    with their sha256); None when ``path`` is no directory."""

    def command(self, path: str) -> StringCommand:
        where = QuoteString(path)
        return StringCommand(
            "[ -d", where, "] || exit 0; echo directory;",
            "find", where, "-mindepth 1 -maxdepth 1 \\( -type f -o -type d \\) -printf 'stat %y %m %u %g %f\\n';",
            "find", where, "-mindepth 1 -maxdepth 1 -type f -exec sha256sum {} +",
        )

    @staticmethod
    def default() -> None:
        return None

    def process(self, output: list[str]) -> dict[str, FileState] | None:
        if not output or output[0] != "directory":
            return None
        stats, digests = {}, {}
        for line in output[1:]:
            if line.startswith("stat "):
                _, kind, mode, user, group, name = line.split(" ", 5)
                stats[name] = (int(mode, 8), user, group, kind)
            elif len(line) > 66 and line[64:66] == "  ":
                digests[posixpath.basename(line[66:])] = line[:64]
        return {name: FileState(mode, user, group, digests.get(name, ""), kind)
                for name, (mode, user, group, kind) in stats.items()}
