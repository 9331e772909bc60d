"""``ikzops reseed``"""

from __future__ import annotations

import json
from dataclasses import asdict

import click
from rich.table import Table

from ikzops.cli.console import console, err_console
from ikzops.cli.inventory import inventory_option
from ikzops.cli.progress import console_progress
from ikzops.orchestrate import reseed as orchestrator


@click.command("reseed")
@inventory_option
@click.option("--site", required=True, metavar="SITE", help="The rebuilt (or joining) site to fill.")
@click.option("--job", "jobs", multiple=True, metavar="J", help="Only this job (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def reseed(inventory_path, site, jobs, as_json) -> None:
    """Copy every run the partner sites hold into SITE's repositories (after a rebuild).

    Resumable: run it again after an interruption. Exit 0 done, 1 a job could not be
    copied, 2 usage, 3 no site holding a job answered.
    """
    results = orchestrator.reseed(inventory_path, site=site, jobs=jobs, progress=console_progress())
    if as_json:
        click.echo(json.dumps({"version": 1, "results": [asdict(r) for r in results]}, indent=2))
    else:
        table = Table(title=f"reseed of {site}", title_justify="left")
        for column in ("job", "from", "runs before", "runs after", "created", "seconds"):
            table.add_column(column)
        for r in results:
            table.add_row(r.job, r.from_site or "-", str(r.before), str(r.after), "yes" if r.created else "", f"{r.seconds:.1f}")
        console.print(table)
        for r in results:
            if r.error:
                err_console.print(f"[red]✗[/] {r.job}: {r.error}", highlight=False)
    click.get_current_context().exit(orchestrator.exit_code(results))
