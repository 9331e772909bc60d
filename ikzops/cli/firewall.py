"""``ikzops firewall show``"""

from __future__ import annotations

import click

from ikzops.cli.console import console
from ikzops.cli.inventory import inventory_option
from ikzops.orchestrate import firewall as orchestrator


@click.group()
def firewall() -> None:
    """The firewall per role (ikz_firewall): what each host accepts."""


@firewall.command("show")
@inventory_option
@click.argument("hosts", nargs=-1, metavar="[HOST]...")
def show(inventory_path: str, hosts: tuple[str, ...]) -> None:
    """Print the nftables ruleset of each host (all hosts when none is named), rendered
    from the inventory; no host is touched. `ikzops deploy --dry` shows the ones that
    would change."""

    for host, text in orchestrator.show(inventory_path, hosts).items():
        console.rule(host)
        console.print(text, markup=False, highlight=False, end="")
