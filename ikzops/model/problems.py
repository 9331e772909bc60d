"""Problems found in an inventory, each with the place it is at."""

from __future__ import annotations

from dataclasses import dataclass

from ikzops.errors import ConfigError

PathPart = str | int


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an inventory.

    ``path`` names the place in the model: ``("ikz_jobs", "city-files", "rpo")`` for
    partnership data, ``("hosts", "city-app", "ssh_hostname")`` for a host's data.
    ``file`` and ``line`` say where that place is written, when it can be found.
    """

    path: tuple[PathPart, ...]
    message: str
    file: str | None = None
    line: int | None = None

    @property
    def dotted(self) -> str:
        return " › ".join(str(p) for p in self.path) or "(inventory)"

    @property
    def where(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or ""

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{where}{self.dotted}: {self.message}"


class InventoryInvalid(ConfigError):
    """The inventory has problems; nothing was touched."""

    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        super().__init__(
            f"the inventory has {count} problem{'s' if count != 1 else ''}; no host was touched",
        )
        self.problems = problems
