"""``ikzops deploy``: validate everything, then run plain pyinfra on the deploy files.

The inventory is validated before pyinfra starts, so a broken model never touches a
host; then the command a pyinfra user would run does the work (:mod:`ikzops.runners.pyinfra`).
"""

from __future__ import annotations

import json
from pathlib import Path

from ikzops import execute
from ikzops.errors import ConfigError
from ikzops.firewall import nft
from ikzops.gateway import provision
from ikzops.model import loader
from ikzops.model.partnership import Partnership
from ikzops.runners import pyinfra
from ikzops.runners.pyinfra import DeployReport
from ikzops.secrets import sealed
from ikzops.secrets.store import SecretStore

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy"
PARTS = ("storage", "backup", "monitoring", "firewall")


def deploy_files(only: tuple[str, ...]) -> tuple[str, ...]:
    if not only:
        return (str(DEPLOY_DIR / "site.py"),)
    unknown = [part for part in only if part not in PARTS]
    if unknown:
        raise ConfigError(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    return tuple(str(DEPLOY_DIR / f"{part}.py") for part in only)


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
    files = deploy_files(only)
    # the S3 gateways' users and buckets first: pyinfra puts their keys on the hosts
    gateways, gateways_down = provision.provision(p, dry=dry) if not only or "backup" in only else ([], {})
    command = pyinfra.command(inventory, files, limit=limit, dry=dry, allow_destroy=allow_destroy)
    result = execute.run(command, check=False)
    try:
        payload = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise pyinfra.failure(result.stderr, result.returncode) from None
    report = pyinfra.parse(payload, dry, result.stderr)
    report.operations[:0] = gateways
    if dry and p.firewall_on:
        changing = {h for op in report.operations if op.name.endswith(nft.OPERATION) for h in op.changed}
        report.rulesets = {h: nft.ruleset(p, h) for h in sorted(changing)}
    if result.returncode != 0:
        report.errors = pyinfra.error_lines(result.stderr) or [f"pyinfra exited with {result.returncode}"]
    if gateways_down:
        report.unreachable = tuple(dict.fromkeys([*report.unreachable, *gateways_down]))
        report.errors += [f"{host}: {why}" for host, why in gateways_down.items()]
    if p.hosts_with("repository") and not SecretStore(p.name).path(sealed.PUBLIC_NAME).exists():
        report.warnings.append("the secret store is deposited nowhere (no recovery key): losing this control host would "
                               "lose every repository password; run `ikzops secrets recovery-key -i INV`, print the "
                               "sheet, then deploy again")
    return report
