"""``ikzops deploy``: validate everything, then run plain pyinfra on the deploy files.

ikzops runs the very command a pyinfra user would (``pyinfra INV deploy/site.py``),
with ``--json`` so that what changed, what would change (``--dry``) and what failed
come back structured. The inventory is validated before pyinfra starts, so a broken
model never touches a host.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ikzops import execute
from ikzops.errors import CommandError, ConfigError, ExitCode
from ikzops.execute import Command
from ikzops.model import loader
from ikzops.model.partnership import Partnership

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy"
PARTS = ("storage", "backup", "monitoring")


@dataclass(frozen=True)
class Operation:
    name: str
    changed: tuple[str, ...]
    unchanged: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    #: dry runs: hosts where it runs only if an earlier change happens (reloads)
    maybe: tuple[str, ...] = ()


@dataclass
class DeployReport:
    dry: bool
    operations: list[Operation]
    errors: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(len(op.changed) for op in self.operations)

    def changes_by_host(self) -> dict[str, list[str]]:
        """Per host the names of changed operations, repeated ones as "name ×n"."""

        counts: dict[str, dict[str, int]] = {}
        for op in self.operations:
            for host in op.changed:
                names = counts.setdefault(host, {})
                names[op.name] = names.get(op.name, 0) + 1
            for host in op.maybe:
                if host in counts:
                    name = f"{op.name} (if the above changes)"
                    counts[host][name] = counts[host].get(name, 0) + 1
        return {
            host: [name if n == 1 else f"{name} ×{n}" for name, n in names.items()]
            for host, names in counts.items()
        }


def deploy_files(only: tuple[str, ...]) -> tuple[str, ...]:
    if not only:
        return (str(DEPLOY_DIR / "site.py"),)
    unknown = [part for part in only if part not in PARTS]
    if unknown:
        raise ConfigError(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    return tuple(str(DEPLOY_DIR / f"{part}.py") for part in only)


def pyinfra_command(
    inventory: str, files: tuple[str, ...], *, limit: tuple[str, ...] = (), dry: bool = False,
    allow_destroy: bool = False,
) -> Command:
    argv = [sys.executable, "-m", "pyinfra", "--json", "--dry" if dry else "--yes", inventory, *files]
    for item in limit:
        argv += ["--limit", item]
    if allow_destroy:
        argv += ["--data", "ikz_allow_destroy=true"]
    return Command(tuple(argv), purpose="pyinfra deploy")


def check_limit(p: Partnership, limit: tuple[str, ...]) -> None:
    known = set(p.hosts) | {g for h in p.hosts.values() for g in h.groups} | set(p.sites)
    unknown = [item for item in limit if item not in known]
    if unknown:
        raise ConfigError(f"--limit {', '.join(unknown)}: no such host or group in the inventory")


def deploy(
    inventory: str, *, only: tuple[str, ...] = (), limit: tuple[str, ...] = (), dry: bool = False,
    allow_destroy: bool = False,
) -> DeployReport:
    p = loader.load(inventory)
    check_limit(p, limit)
    command = pyinfra_command(inventory, deploy_files(only), limit=limit, dry=dry, allow_destroy=allow_destroy)
    result = execute.run(command, check=False)
    try:
        payload = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise _failure(result.stderr, result.returncode) from None
    report = parse(payload, dry)
    if result.returncode != 0:
        report.errors = error_lines(result.stderr) or [f"pyinfra exited with {result.returncode}"]
    return report


def parse(payload: dict, dry: bool) -> DeployReport:
    operations = []
    if dry:
        for op in payload.get("plan") or []:
            operations.append(Operation(
                op["name"], tuple(op["hosts_with_change"]), maybe=tuple(op["hosts_with_conditional_change"]),
            ))
    else:
        for op in (payload.get("results") or {}).get("operations", []):
            operations.append(Operation(op["name"], tuple(op["success"]), tuple(op["no_change"]), tuple(op["error"])))
    return DeployReport(dry=dry, operations=operations)


_ERROR = re.compile(r"\[(?P<host>[^\]]+)\]\s+(?P<text>.*(?:Error|error|refuses|Could not connect|Connection).*)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def error_lines(stderr: str) -> list[str]:
    lines = []
    for raw in stderr.splitlines():
        line = _ANSI.sub("", raw).strip()
        match = _ERROR.search(line)
        if match:
            lines.append(f"{match['host']}: {match['text'].strip()}")
    return list(dict.fromkeys(lines))


_OP_ERROR = re.compile(r"--> Operation error in .*?: (?P<text>.*)")
_HOST = re.compile(r"Host\((?P<host>[^)]+)\)")


def _failure(stderr: str, returncode: int) -> CommandError:
    """pyinfra stopped without results: say why in a line or two, not with its dump."""

    text = _ANSI.sub("", stderr)
    unreachable = "Could not connect" in text or "No hosts remaining" in text
    reasons = [m["text"].strip() for m in _OP_ERROR.finditer(text)]
    hosts = sorted(set(_HOST.findall(text)))
    if reasons:
        where = f" on {', '.join(hosts)}" if hosts else ""
        message = f"the deploy failed{where}:\n" + "\n".join(dict.fromkeys(reasons))
    else:
        tail = "\n".join(line for line in text.strip().splitlines()[-10:] if line.strip())
        message = f"pyinfra failed:\n{tail}"
    return CommandError(
        message, returncode=returncode,
        exit_code=ExitCode.UNREACHABLE if unreachable else ExitCode.CONFIG,
    )
