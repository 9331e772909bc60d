"""``ikzops backup``"""

from __future__ import annotations

import json

import click
from rich.table import Table

from ikzops.cli.console import console, err_console
from ikzops.cli.inventory import inventory_option
from ikzops.cli.progress import console_progress
from ikzops.model.units import format_size
from ikzops.orchestrate import backup as orchestrator


@click.command("backup")
@inventory_option
@click.option("--job", "jobs", multiple=True, metavar="J", help="Only this job (repeatable); default all.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def backup(inventory_path: str, jobs: tuple[str, ...], as_json: bool) -> None:
    """Run backup jobs now (the timers do it on schedule).

    Each job writes to its own site and every partner site. Reports per destination
    what was written. Exit 0 all destinations ok, 1 a destination failed (the others
    still got the backup), 2 a job could not run, 3 a client was unreachable.
    """
    runs = orchestrator.backup(inventory_path, jobs, console_progress())
    if as_json:
        console.print_json(json.dumps([run.__dict__ for run in runs]))
    else:
        table = Table(title="backup runs", title_justify="left")
        for column in ("job", "destination", "status", "snapshot", "new", "changed", "added", "seconds"):
            table.add_column(column, no_wrap=column in ("job", "snapshot"))
        problems = []
        for run in runs:
            if not run.destinations:
                table.add_row(run.job, "-", "[red]failed[/]", "", "", "", "", "")
                problems.append(f"{run.job}: {run.error or 'failed'}")
            elif run.error:
                problems.append(f"{run.job}: {run.error}")
            for site, d in run.destinations.items():
                status = "[green]ok[/]" if d["ok"] else "[red]failed[/]"
                if d["error"]:
                    problems.append(f"{run.job} → {site}: {d['error']}")
                if d["ok"] and d.get("caught_up"):
                    status += f" (caught up {len(d['caught_up'])})"
                table.add_row(
                    run.job, site, status, d["snapshot_id"][:8], str(d["files_new"]), str(d["files_changed"]),
                    format_size(d["bytes_added"]), f"{d['seconds']:.1f}",
                )
        console.print(table)
        for line in problems:
            err_console.print(f"[red]✗[/] {line}")
    click.get_current_context().exit(orchestrator.exit_code(runs))
