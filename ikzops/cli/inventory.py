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
@click.option("--full", is_flag=True, help="Every host and every job, however many (large inventories are summarised).")
def check(inventory_path: str, full: bool) -> None:
    """Validate the whole model before any host is touched.

    Prints the sites, hosts, roles, the backup matrix (which site's data lands where)
    and the SAN's LUNs. On problems, prints every one with its place and exits 2.
    """
    partnership = loader.load(inventory_path)
    for renderable in partnership_overview(partnership, full=full):
        console.print(renderable)
    console.print(f"[green]ok[/]: {inventory_path} is valid")
