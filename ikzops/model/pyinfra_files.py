"""Read an inventory file and its ``group_data/`` the way pyinfra's CLI does.

pyinfra's own loader lives in ``pyinfra_cli``, whose import monkey-patches the whole
process with gevent; ikzops keeps gevent out of its own process, so it applies the
same rules here on top of pyinfra's API :class:`~pyinfra.api.Inventory`:

* module-level lists (or ``(hosts, data)`` tuples) of hosts are groups; names with a
  leading underscore are not; ``all`` is special;
* the file's stem is a group of all its hosts (``inventories/lab.py`` -> ``lab``);
* ``group_data/<group>.py`` in the working directory and beside the inventory give
  that group's data (names bound by imports are not data; ``__all__`` wins).

``tests/unit/model/test_pyinfra_parity.py`` checks that the result equals pyinfra's.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path
from typing import Any

from pyinfra.api import Inventory
from pyinfra.context import ctx_inventory


class InventoryFileError(Exception):
    def __init__(self, message: str, file: str, line: int | None) -> None:
        super().__init__(message)
        self.file = file
        self.line = line


def exec_file(file: str) -> dict[str, Any]:
    source = Path(file).read_text(encoding="utf-8")
    try:
        code = compile(source, file, "exec")
    except SyntaxError as exc:
        raise InventoryFileError(f"Python syntax error: {exc.msg}", file, exc.lineno) from None
    namespace: dict[str, Any] = {"__file__": file}
    try:
        exec(code, namespace)
    except Exception as exc:
        line = None
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == file:
                line = tb.tb_lineno
            tb = tb.tb_next
        raise InventoryFileError(f"{type(exc).__name__} while reading it: {exc}", file, line) from None
    return namespace


def _is_group(key: str, value: Any) -> bool:
    if key.startswith("_"):
        return False
    if isinstance(value, tuple):
        value = value[0]
    elif not isinstance(value, list):
        return False
    return all(isinstance(item, (str, tuple)) for item in value)


def _imported_names(file: str) -> set[str]:
    tree = ast.parse(Path(file).read_text(encoding="utf-8"), filename=file)
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    names.add(alias.asname or alias.name.split(".")[0])
    return names


def group_data_files(inventory_file: str, cwd: str) -> list[str]:
    folders = [Path(cwd) / "group_data"]
    inventory_dir = Path(inventory_file).parent.resolve()
    if str(inventory_dir) != cwd:
        folders.append(inventory_dir / "group_data")
    return [str(f) for folder in folders if folder.is_dir() for f in sorted(folder.iterdir()) if f.suffix == ".py"]


def _first(item: Any) -> Any:
    return item[0] if isinstance(item, tuple) else item


def _element_line(file: str, group: str, index: int) -> int | None:
    """The line of the ``index``-th host of ``group`` as written in ``file``."""

    for node in ast.parse(Path(file).read_text(encoding="utf-8"), filename=file).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == group for t in node.targets):
            value = node.value
            if isinstance(value, ast.Tuple) and value.elts and isinstance(value.elts[0], (ast.List, ast.Tuple)):
                value = value.elts[0]
            if isinstance(value, (ast.List, ast.Tuple)) and index < len(value.elts):
                return value.elts[index].lineno
            return node.lineno
    return None


def _check_hosts(file: str, groups: dict[str, Any]) -> None:
    """Each host of a group is a name or a ``(name, {data})`` pair: anything else would make
    pyinfra fail without saying where (``'int' object is not iterable``)."""

    for group, value in groups.items():
        hosts = _first(value)
        if isinstance(value, tuple) and (len(value) != 2 or not isinstance(value[1], dict)):
            raise InventoryFileError(f"group {group}: write (hosts, {{data}}), a list of hosts and a dict of data",
                                     file, _element_line(file, group, 0))
        for index, host in enumerate(hosts):
            if isinstance(host, str):
                continue
            if not (len(host) == 2 and isinstance(host[0], str) and isinstance(host[1], dict)):
                raise InventoryFileError(
                    f"group {group}: host {index + 1} must be a name or (name, {{data}}), not {host!r:.60}",
                    file, _element_line(file, group, index))


def make_inventory(inventory_file: str, cwd: str) -> tuple[Inventory, list[str]]:
    """The pyinfra Inventory of ``inventory_file`` and the group data files it read."""

    attrs = exec_file(inventory_file)
    groups: dict[str, Any] = {k: v for k, v in attrs.items() if _is_group(k, v)}
    _check_hosts(inventory_file, groups)
    file_group = Path(inventory_file).name.rsplit(".", 1)[0]

    all_data: dict[str, Any] = {}
    if "all" in groups:
        all_hosts = groups.pop("all")
        if isinstance(all_hosts, tuple):
            all_hosts, all_data = all_hosts
    else:
        all_hosts = []
        for hosts in groups.values():
            for host in _first(hosts):
                if _first(host) not in all_hosts:
                    all_hosts.append(_first(host))
    groups["all"] = (all_hosts, all_data)
    if file_group not in groups:
        groups[file_group] = all_hosts

    fake = Inventory((all_hosts, all_data), **{
        name: group if isinstance(group, tuple) else (group, {}) for name, group in groups.items()
    })
    files = group_data_files(inventory_file, cwd)
    group_data: dict[str, dict[str, Any]] = defaultdict(dict)
    with ctx_inventory.use(fake):
        for file in files:
            namespace = exec_file(file)
            if "__all__" in namespace:
                keys = namespace["__all__"]
            else:
                imported = _imported_names(file)
                keys = [k for k in namespace if k not in imported]
            group_data[Path(file).stem].update(
                {k: v for k, v in namespace.items() if k in keys and not k.startswith("__")}
            )

    for name, hosts in list(groups.items()):
        data: dict[str, Any] = {}
        if isinstance(hosts, tuple):
            hosts, data = hosts
        if name in group_data:
            data.update(group_data.pop(name))
        groups[name] = (hosts, data)
    for name, data in group_data.items():
        groups[name] = ([], data)
    # the data of a group without hosts reaches no host: its file is no place of the model
    used = {name for name, (hosts, _) in groups.items() if hosts} | {"all"}
    return Inventory(groups.pop("all"), **groups), [f for f in files if Path(f).stem in used]
