"""``ikzops deploy``"""

from __future__ import annotations

import click
from rich.table import Table

from ikzops.cli.console import console, err_console
from ikzops.cli.inventory import inventory_option
from ikzops.orchestrate import deploy as orchestrator


def _csv(ctx, param, value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else ()


@click.command("deploy")
@inventory_option
@click.option("--only", callback=_csv, metavar="PARTS", help=f"Comma-separated parts: {', '.join(orchestrator.PARTS)}.")
@click.option("--limit", multiple=True, metavar="HOST/GROUP", help="Only these hosts or groups (repeatable).")
@click.option("--dry", is_flag=True, help="Show what would change; change nothing.")
@click.option("--allow-destroy", is_flag=True, help="Allow removing LUNs that left the model (destroys their data).")
def deploy(inventory_path: str, only: tuple[str, ...], limit: tuple[str, ...], dry: bool, allow_destroy: bool) -> None:
    """Validate the inventory, then deploy it with pyinfra (deploy/*.py).

    A second run on an unchanged inventory changes nothing and says so. Exit 0 when
    the deploy succeeded, 2 when an operation failed or the inventory is invalid,
    3 when a host could not be reached.
    """
    with err_console.status("deploying with pyinfra" + (" (dry run)" if dry else "")):
        report = orchestrator.deploy(inventory_path, only=only, limit=limit, dry=dry, allow_destroy=allow_destroy)
    changes = report.changes_by_host()
    if changes:
        table = Table(title="would change" if dry else "changed", title_justify="left")
        table.add_column("host", no_wrap=True)
        table.add_column("operations")
        for host, names in sorted(changes.items()):
            table.add_row(host, "\n".join(names))
        console.print(table)
    for host, text in report.rulesets.items():
        console.rule(f"firewall ruleset {host} would load")
        console.print(text, markup=False, highlight=False, end="")
    verb = "would change" if dry else "changed"
    for text in report.warnings:
        err_console.print(f"[yellow]warning:[/] {text}", highlight=False)
    if report.errors or report.exit_code:
        for line in report.errors:
            err_console.print(f"[bold red]error:[/] {line}")
        for host in report.unreachable:
            if not any(line.startswith(f"{host}:") for line in report.errors):
                err_console.print(f"[bold red]error:[/] {host}: could not connect")
        click.get_current_context().exit(report.exit_code)
    if report.changes:
        console.print(f"[yellow]{report.changes} operation(s) {verb}[/] on {len(changes)} host(s)")
    else:
        console.print("[green]no changes[/]: every host already is as the inventory says")
