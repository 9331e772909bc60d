"""``ikzops inventory ...``"""

from __future__ import annotations

import click

from ikzops.cli.console import console
from ikzops.cli.views import partnership_overview
from ikzops.model import loader

inventory_option = click.option(
    "-i", "--inventory", "inventory_path", required=True, metavar="INV",
    type=click.Path(dir_okay=False), help="pyinfra inventory file, e.g. inventories/lab.py",
)


@click.group()
def inventory() -> None:
    """Inspect and validate inventories."""


@inventory.command("check")
@inventory_option
def check(inventory_path: str) -> None:
    """Validate the whole model before any host is touched.

    Prints the sites, hosts, roles, the backup matrix (which site's data lands where)
    and the SAN's LUNs. On problems, prints every one with its place and exits 2.
    """
    partnership = loader.load(inventory_path)
    for renderable in partnership_overview(partnership):
        console.print(renderable)
    console.print(f"[green]ok[/]: {inventory_path} is valid")
