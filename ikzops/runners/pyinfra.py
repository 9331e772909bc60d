"""The ``pyinfra`` command a deploy is, and what its ``--json`` output says.

ikzops runs the very command a pyinfra user would (``pyinfra INV deploy/site.py``), with
``--json`` so that what changed, what would change (``--dry``), what failed and which
hosts could not be reached come back structured.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

from ikzops.errors import CommandError, ExitCode, worst
from ikzops.execute import Command


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
    #: hosts pyinfra could not connect to (failed before any operation ran there)
    unreachable: tuple[str, ...] = ()
    #: what the person deploying must know although nothing failed
    warnings: list[str] = field(default_factory=list)
    #: dry runs: the firewall ruleset of every host whose table would change
    rulesets: dict[str, str] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        return sum(len(op.changed) for op in self.operations)

    @property
    def exit_code(self) -> ExitCode:
        """2 when an operation failed (or pyinfra reported errors not explained by an
        unreachable host), 3 when a host could not be reached."""

        codes = []
        if any(op.failed for op in self.operations) or (self.errors and not self.unreachable):
            codes.append(ExitCode.CONFIG)
        if self.unreachable:
            codes.append(ExitCode.UNREACHABLE)
        return worst(codes)

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


def command(
    inventory: str, files: tuple[str, ...], *, limit: tuple[str, ...] = (), dry: bool = False,
    allow_destroy: bool = False,
) -> Command:
    argv = [sys.executable, "-m", "pyinfra", "--json", "--dry" if dry else "--yes", inventory, *files]
    if dry:  # the deploys may show what ikzops would make first (the S3 users' keys) instead of failing
        argv += ["--data", "ikz_dry=true"]
    for item in limit:
        argv += ["--limit", item]
    if allow_destroy:
        argv += ["--data", "ikz_allow_destroy=true"]
    return Command(tuple(argv), purpose="pyinfra deploy")


def parse(payload: dict, dry: bool, stderr: str = "") -> DeployReport:
    operations = []
    if dry:
        for op in payload.get("plan") or []:
            operations.append(Operation(
                op["name"], tuple(op["hosts_with_change"]), maybe=tuple(op["hosts_with_conditional_change"]),
            ))
    else:
        for op in (payload.get("results") or {}).get("operations", []):
            operations.append(Operation(op["name"], tuple(op["success"]), tuple(op["no_change"]), tuple(op["error"])))
    seen = {h for op in operations for h in (*op.changed, *op.unchanged, *op.failed, *op.maybe)}
    failed = (payload.get("results") or {}).get("failed_hosts", [])
    unreachable = {h for h in failed if h not in seen} | set(_CONNECT.findall(_ANSI.sub("", stderr)))
    return DeployReport(dry=dry, operations=operations, unreachable=tuple(sorted(unreachable)))


_ERROR = re.compile(r"\[(?P<host>[^\]]+)\]\s+(?P<text>.*(?:Error|error|refuses|Could not connect|Connection).*)")
_CONNECT = re.compile(r"\[(?P<host>[^\]]+)\]\s+Could not connect")
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


def failure(stderr: str, returncode: int) -> CommandError:
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
