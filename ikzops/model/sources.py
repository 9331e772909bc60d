"""Find where a place of the model is written: file and line, read from the Python AST.

Inventories are Python files; pyinfra executes them. To point a person at the line
that is wrong, we parse the same files (without executing them) and follow the
path of a problem through dict and list literals as far as they are written out.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from ikzops.model.problems import PathPart, Problem


@dataclass
class SourceIndex:
    """Top-level assignments and host tuples of the inventory's files."""

    inventory_file: str
    #: key -> (file, value node) for top-level assignments in group data files
    assignments: dict[str, list[tuple[str, ast.expr]]] = field(default_factory=dict)
    #: host name -> (file, data node) for ``("name", {...})`` tuples in the inventory
    host_tuples: dict[str, tuple[str, ast.expr]] = field(default_factory=dict)
    #: keys written twice in one dict literal (Python keeps the last: the first is lost)
    duplicates: list[Problem] = field(default_factory=list)

    @classmethod
    def build(cls, inventory_file: str, group_data_files: list[str]) -> SourceIndex:
        index = cls(inventory_file)
        for file in group_data_files:
            tree = _parse(file)
            if tree is None:
                continue
            for node in tree.body:
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            index.assignments.setdefault(target.id, []).append((file, node.value))
                            index.duplicates += _duplicate_keys(node.value, (target.id,), file)
        tree = _parse(inventory_file)
        if tree is not None:
            index.duplicates += _duplicate_keys(tree, (), inventory_file)
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Tuple)
                    and len(node.elts) == 2
                    and isinstance(node.elts[0], ast.Constant)
                    and isinstance(node.elts[0].value, str)
                ):
                    index.host_tuples.setdefault(node.elts[0].value, (inventory_file, node.elts[1]))
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    # a bare host name in a group list: remember its first mention
                    index.host_tuples.setdefault(node.value, (inventory_file, node))
        return index

    def locate(self, path: tuple[PathPart, ...]) -> tuple[str | None, int | None]:
        if not path:
            return self.inventory_file, None
        if path[0] == "hosts" and len(path) >= 2:
            found = self.host_tuples.get(str(path[1]))
            if not found:
                return self.inventory_file, None
            file, node = found
            return file, _follow(node, path[2:])
        candidates = self.assignments.get(str(path[0]))
        if not candidates:
            return None, None
        file, node = candidates[-1]
        return file, _follow(node, path[1:])

    def place(self, problem: Problem) -> Problem:
        if problem.file:
            return problem
        file, line = self.locate(problem.path)
        return Problem(problem.path, problem.message, _short(file), line)


def _duplicate_keys(node: ast.AST, path: tuple[PathPart, ...], file: str) -> list[Problem]:
    """Every key written twice in a dict literal at or below ``node`` (``path`` names it)."""

    found: list[Problem] = []
    if isinstance(node, ast.Dict):
        first: dict[object, int] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, (str, int)):
                if key.value in first:
                    found.append(Problem(
                        (*path, key.value),
                        f"written twice in the same dict (lines {first[key.value]} and {key.lineno}): Python keeps only "
                        f"the last, so the first would be silently ignored; rename or remove one",
                        _short(file), key.lineno))
                else:
                    first[key.value] = key.lineno
                found += _duplicate_keys(value, (*path, key.value), file)
            elif value is not None:
                found += _duplicate_keys(value, path, file)
        return found
    for child in ast.iter_child_nodes(node):
        found += _duplicate_keys(child, path, file)
    return found


def _parse(file: str) -> ast.Module | None:
    try:
        return ast.parse(Path(file).read_text(encoding="utf-8"), filename=file)
    except (OSError, SyntaxError, ValueError):
        return None


def _follow(node: ast.expr, path: tuple[PathPart, ...]) -> int:
    """The line of the deepest literal along ``path`` that is written out."""

    line = node.lineno
    for part in path:
        child = None
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == part:
                    child = value
                    line = key.lineno
                    break
        elif isinstance(node, (ast.List, ast.Tuple)) and isinstance(part, int):
            if 0 <= part < len(node.elts):
                child = node.elts[part]
        elif isinstance(node, ast.Call) and isinstance(part, str):
            for keyword in node.keywords:
                if keyword.arg == part:
                    child = keyword.value
                    break
        if child is None:
            break
        node = child
        line = node.lineno
    return line


def _short(file: str | None) -> str | None:
    if file is None:
        return None
    try:
        return str(Path(file).resolve().relative_to(Path.cwd()))
    except ValueError:
        return file
