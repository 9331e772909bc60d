"""``ikzops lab up|down|status``: the embedded default, two partner sites on this machine."""

from __future__ import annotations

import click
from rich.table import Table

from ikzops.cli.console import console
from ikzops.cli.progress import console_progress
from ikzops.errors import ExitCode
from ikzops.lab import manager

lab_inventory_option = click.option(
    "-i", "--inventory", "inventory_path", default=str(manager.DEFAULT_INVENTORY), show_default=True,
    metavar="INV", type=click.Path(dir_okay=False), help="the lab's inventory: the lab creates what it describes",
)


@click.group()
def lab() -> None:
    """The container lab: two partner sites as containers on this machine.

    Needs root. Installs Debian's docker.io and mmdebstrap if missing, starts dockerd
    if it is not running, builds the images from Debian's archive (cached by recipe).
    """


@lab.command("up")
@lab_inventory_option
@click.option("--timeout", default=180, show_default=True, help="Seconds to wait for the hosts to answer.")
def up(inventory_path: str, timeout: int) -> None:
    """Bring the lab up (idempotent: what exists and matches is kept)."""
    progress = console_progress()
    result = manager.up(progress, inventory_path, timeout=timeout)
    console.print(f"[green]lab up[/]: {len(result.topology.hosts)} hosts ready in {result.seconds:.1f} s")


@lab.command("down")
@lab_inventory_option
def down(inventory_path: str) -> None:
    """Remove the lab's containers and network; stop dockerd if the lab started it.

    Images stay cached for the next `lab up`.
    """
    manager.down(console_progress(), inventory_path)
    console.print("[green]lab down[/]")


@lab.command("status")
@lab_inventory_option
def status(inventory_path: str) -> None:
    """Show each lab host: address, site, roles, container and systemd state.

    Exits 0 when every host runs, 3 when any does not.
    """
    topo, rows = manager.status(inventory_path)
    table = Table(title=f"lab {topo.partnership!r}: network {topo.network} {topo.subnet}", title_justify="left")
    for column in ("host", "address", "site", "roles", "container", "systemd"):
        table.add_column(column, no_wrap=column in ("host", "address"))
    all_up = True
    for row in rows:
        running = row.container == "running"
        all_up &= running and row.system_state in ("running", "degraded")
        colour = "green" if running else "red"
        table.add_row(
            row.host.name, row.host.address, row.host.site, "+".join(row.host.roles),
            f"[{colour}]{row.container}[/]", row.system_state,
        )
    console.print(table)
    if not all_up:
        click.get_current_context().exit(ExitCode.UNREACHABLE)


@lab.command("seed")
@lab_inventory_option
def seed(inventory_path: str) -> None:
    """Put test data on the lab's clients: files to back up, PostgreSQL with rows.

    Idempotent: data that exists is kept.
    """
    from ikzops.lab.seed import seed as seed_lab

    seed_lab(console_progress(), inventory_path)
    console.print("[green]lab seeded[/]")
