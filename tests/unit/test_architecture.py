"""The layers hold by themselves: imports are read from the source (ast), never guessed.

* the agent (shipped to managed hosts) imports nothing from ``ikzops``;
* only the lab itself, the CLI and the demo import ``ikzops.lab`` (production never does);
* no orchestrator imports another (what they share lives below them);
* imports go one way: cli -> orchestrate -> runners -> execute; nothing below the CLI
  imports it, nothing below the orchestrators imports them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ikzops"


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, relative imports resolved."""

    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


MODULES = modules()
IMPORTS = {name: imports(name, path) for name, path in MODULES.items()}


def importing(prefix: str) -> dict[str, set[str]]:
    return {name: {i for i in found if i == prefix or i.startswith(prefix + ".")} for name, found in IMPORTS.items()}


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_reader_finds_the_package():
    assert "ikzops.agent.backup_job" in MODULES and "ikzops.cli" in MODULES
    assert "ikzops.agent.restic" in IMPORTS["ikzops.agent.backup_job"] or any(
        i.startswith("ikzops.agent.") for i in IMPORTS["ikzops.agent.backup_job"])


def test_the_agent_imports_nothing_of_ikzops():
    offenders = {name: {i for i in found if i.startswith("ikzops.") and not within(i, "ikzops.agent")}
                 for name, found in IMPORTS.items() if within(name, "ikzops.agent")}
    assert not {k: v for k, v in offenders.items() if v}


def test_only_the_lab_the_cli_and_the_demo_import_the_lab():
    allowed = ("ikzops.lab", "ikzops.cli", "ikzops.demo")
    offenders = {name: found for name, found in importing("ikzops.lab").items()
                 if found and not any(within(name, a) for a in allowed)}
    assert not offenders


def test_no_orchestrator_imports_another():
    offenders = {}
    for name, found in importing("ikzops.orchestrate").items():
        if within(name, "ikzops.orchestrate") and name != "ikzops.orchestrate":
            others = {i for i in found if i not in (name, "ikzops.orchestrate") and not name.startswith(i + ".")}
            if others:
                offenders[name] = others
    assert not offenders


@pytest.mark.parametrize(("lower", "upper"), [
    ("ikzops.orchestrate", "ikzops.cli"),
    ("ikzops.runners", "ikzops.cli"),
    ("ikzops.runners", "ikzops.orchestrate"),
    ("ikzops.execute", "ikzops.runners"),
    ("ikzops.execute", "ikzops.orchestrate"),
    ("ikzops.model", "ikzops.orchestrate"),
    ("ikzops.model", "ikzops.deploys"),
    ("ikzops.deploys", "ikzops.orchestrate"),
    ("ikzops.deploys", "ikzops.cli"),
])
def test_imports_go_one_way(lower, upper):
    offenders = {name: found for name, found in importing(upper).items() if found and within(name, lower)}
    assert not offenders, f"{lower} must not import {upper}"
