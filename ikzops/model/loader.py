"""Load an inventory exactly as pyinfra does, then validate all of it.

The inventory is an ordinary pyinfra inventory file with ``group_data/``, read by
pyinfra's own loader, so ``pyinfra inventories/lab.py deploy/site.py`` sees the same
hosts, groups and data as ``ikzops``. Loading never touches a host.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyinfra.api import Inventory
from pyinfra.api.exceptions import PyinfraError

from ikzops.errors import ConfigError
from ikzops.model.checks import check
from ikzops.model.partnership import Partnership
from ikzops.model.problems import InventoryInvalid, Problem
from ikzops.model.pyinfra_files import InventoryFileError, make_inventory
from ikzops.model.sources import SourceIndex


@dataclass(frozen=True)
class RawHost:
    name: str
    data: dict[str, Any]
    groups: tuple[str, ...]


@dataclass(frozen=True)
class RawInventory:
    file: str
    file_group: str
    hosts: dict[str, RawHost]
    sources: SourceIndex


def load(path: str | os.PathLike[str]) -> Partnership:
    """Read and validate ``path``; raise :class:`InventoryInvalid` listing every problem."""

    raw = read(path)
    problems, partnership = check(raw)
    problems = [*raw.sources.duplicates, *problems]
    if problems:
        raise InventoryInvalid([raw.sources.place(p) for p in problems])
    assert partnership is not None
    return partnership


def read(path: str | os.PathLike[str]) -> RawInventory:
    file = Path(path)
    if not file.exists():
        raise ConfigError(
            f"inventory file {file} does not exist",
            hint="pass the path of a pyinfra inventory file, e.g. -i inventories/lab.py",
        )
    if not file.is_file() or file.suffix != ".py":
        raise ConfigError(f"inventory {file} is not a Python file (*.py)")

    cwd = os.getcwd()
    try:
        inventory, data_files = make_inventory(str(file), cwd)
    except InventoryFileError as exc:
        raise InventoryInvalid([Problem((), str(exc), exc.file, exc.line)]) from None
    except (PyinfraError, TypeError, ValueError) as exc:
        raise InventoryInvalid([Problem((), f"pyinfra cannot load it: {exc}", str(file))]) from None

    return raw_inventory(inventory, str(file), file.stem, data_files)


def raw_inventory(inventory: Inventory, file: str, file_group: str, data_files: list[str]) -> RawInventory:
    """The hosts, groups and merged data of a pyinfra inventory (pyinfra's precedence)."""

    hosts: dict[str, RawHost] = {}
    for host in inventory:
        data: dict[str, Any] = {}
        for layer in (
            inventory.get_data(),
            inventory.get_groups_data(host.groups),
            inventory.get_host_data(host.name),
            inventory.get_override_data(),
        ):
            data.update(layer)
        groups = tuple(g for g in host.groups if g not in ("all", file_group))
        hosts[host.name] = RawHost(host.name, data, groups)
    return RawInventory(file, file_group, hosts, SourceIndex.build(file, data_files))


def from_inventory(inventory: Inventory, file: str = "(inventory)") -> Partnership:
    """Validate the inventory pyinfra already loaded (inside a deploy)."""

    raw = raw_inventory(inventory, file, Path(file).stem, [])
    problems, partnership = check(raw)
    if problems:
        raise InventoryInvalid(problems)
    assert partnership is not None
    return partnership
