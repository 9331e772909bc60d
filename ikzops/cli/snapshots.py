"""``ikzops snapshots`` and ``ikzops find``"""

from __future__ import annotations

import json
from dataclasses import asdict

import click
from rich.table import Table

from ikzops.cli.console import console, err_console
from ikzops.cli.inventory import inventory_option
from ikzops.errors import ExitCode
from ikzops.model.units import format_size
from ikzops.orchestrate import snapshots as orchestrator

MARKS = {"held": "[green]✓[/]", "missing": "[red]missing[/]", "damaged": "[red]damaged?[/]", "unreachable": "[yellow]?[/]"}


@click.command("snapshots")
@inventory_option
@click.option("--job", "jobs", multiple=True, metavar="J", help="Only this job (repeatable).")
@click.option("--site", "sites", multiple=True, metavar="S", help="Only what this site holds (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document (see README).")
def snapshots(inventory_path, jobs, sites, as_json) -> None:
    """The backup runs of each job and which sites hold them.

    A run is one backup to every site (each site has its own snapshot id for it); restore
    a run with `ikzops restore --snapshot RUN`. Exit 0, or 3 when a site could not be read
    (the others are listed).
    """
    with err_console.status("reading the repositories"):
        partnership, listed = orchestrator.snapshots(inventory_path, jobs=jobs, sites=sites)
    if as_json:
        click.echo(json.dumps(orchestrator.as_json(listed, partnership), indent=2))
    else:
        for j in listed:
            table = Table(title=f"{j.job} (client {j.client}): {len(j.runs)} runs", title_justify="left")
            for column in ("run", "taken (client)", "arrived", "files", "size", *j.sites):
                table.add_column(column, no_wrap=column == "run")
            for r in j.runs:
                taken = r.taken[:19].replace("T", " ") + (" [red]future![/]" if r.future else "")
                table.add_row(r.run, taken, (r.arrived or "-")[:19].replace("T", " "),
                              str(r.files) if r.files is not None else "-",
                              format_size(r.bytes) if r.bytes is not None else "-",
                              *(MARKS[r.sites[s]] for s in j.sites))
            console.print(table)
            for line in j.unreachable:
                err_console.print(f"[yellow]?[/] {j.job} @ {line}", highlight=False)
    click.get_current_context().exit(orchestrator.snapshots_exit_code(listed))


@click.command("find")
@inventory_option
@click.option("--job", required=True, metavar="J", help="The job to search.")
@click.option("--site", metavar="S", help="Search this site's copy (default: the first that answers, own site first).")
@click.option("--snapshot", metavar="RUN|ID", help="Only this run (default: every run the site holds).")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
@click.argument("patterns", nargs=-1, required=True)
def find(inventory_path, job, site, snapshot, as_json, patterns) -> None:
    """Where a file or folder was seen across the runs: path, size, mtime, run, site.

    PATTERNs are restic's: a name with wildcards ('q3-*.xlsx') or an absolute path.
    Exit 0 found, 1 not found in any run, 3 no site holding the job answers.
    """
    hits, searched = orchestrator.find(inventory_path, job=job, patterns=patterns, site=site, snapshot=snapshot)
    if as_json:
        click.echo(json.dumps({"version": 1, "job": job, "site": searched, "hits": [asdict(h) for h in hits]}, indent=2))
    else:
        table = Table(title=f"{len(hits)} hit(s) of {' '.join(patterns)} in {job} at {searched}", title_justify="left")
        for column in ("path", "size", "modified", "run", "taken"):
            table.add_column(column, no_wrap=column == "path")
        for h in hits:
            table.add_row(h.path + ("/" if h.type == "dir" else ""), format_size(h.size) if h.size is not None else "-",
                          h.mtime.replace("T", " "), h.run, h.taken[:19].replace("T", " "))
        console.print(table)
    click.get_current_context().exit(ExitCode.OK if hits else ExitCode.FINDING)
