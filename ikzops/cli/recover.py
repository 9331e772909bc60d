"""``ikzops recover plan|run``"""

from __future__ import annotations

import json
import signal
from dataclasses import asdict

import click
from rich.table import Table

from ikzops.cli.console import console, err_console
from ikzops.cli.inventory import inventory_option
from ikzops.cli.progress import console_progress
from ikzops.model.units import format_size
from ikzops.orchestrate import recover as orchestrator
from ikzops.orchestrate import restore as restores

lost_option = click.option("--lost", required=True, metavar="SITE", help="The site that is lost.")
map_option = click.option("--map", "mapping", multiple=True, metavar="CLIENT=HOST",
                          help="Restore CLIENT's jobs onto HOST (default: its ikz_standby).")
job_option = click.option("--job", "jobs", multiple=True, metavar="J", help="Only this job of the lost site (repeatable).")


@click.group("recover")
def recover() -> None:
    """A lost site's jobs: the plan in restore order, and carrying it out."""


@recover.command("plan")
@inventory_option
@lost_option
@map_option
@job_option
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def plan(inventory_path, lost, mapping, jobs, as_json) -> None:
    """What to restore, from where, onto which host, in which order; the exact commands.

    Exit 0 every job can be restored, 1 a job has no usable copy at any surviving site,
    2 a job has no host to restore onto (name ikz_standby or give --map).
    """
    the_plan = orchestrator.plan(inventory_path, lost=lost, mapping=mapping, jobs=jobs, progress=console_progress())
    if as_json:
        click.echo(json.dumps({"version": 1, **asdict(the_plan)}, indent=2))
    else:
        show(the_plan)
    click.get_current_context().exit(the_plan.exit_code)


@recover.command("run")
@inventory_option
@lost_option
@map_option
@job_option
@click.option("--yes", is_flag=True, help="Carry the plan out (without it: print the plan, change nothing).")
def run(inventory_path, lost, mapping, jobs, yes) -> None:
    """Restore the lost site's jobs in the plan's order, past a failed one; a recovery record.

    Without --yes nothing is asked and nothing is done: the plan is printed. Exit 0 every
    job recovered and verified, 1 a job was not, 2 usage, 3 nothing reachable.
    """
    the_plan = orchestrator.plan(inventory_path, lost=lost, mapping=mapping, jobs=jobs, progress=console_progress())
    show(the_plan)
    if not yes:
        err_console.print("nothing done: give --yes to carry this plan out", highlight=False)
        click.get_current_context().exit(the_plan.exit_code)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        record, path = orchestrator.run(inventory_path, the_plan, restore=restores.restore,
                                           restore_lun=restores.restore_lun, progress=console_progress())
    finally:
        signal.signal(signal.SIGTERM, previous)
    table = Table(title=f"recovery of {lost}: {record.verdict}", title_justify="left")
    for column in ("job", "onto", "verdict", "seconds / RTO", "files", "bytes"):
        table.add_column(column)
    for j in record.jobs:
        table.add_row(j.job, j.target_host or "-", j.verdict, f"{j.seconds:.1f} / {j.rto_seconds:.0f}", str(j.files),
                      format_size(j.bytes))
    console.print(table)
    for j in record.jobs:
        for reason in j.reasons:
            err_console.print(f"[red]✗[/] {j.job}: {reason}", highlight=False)
    err_console.print(f"record: {path}", highlight=False)
    click.get_current_context().exit(record.exit_code)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def show(the_plan: orchestrator.RecoveryPlan) -> None:
    table = Table(title=f"recovery plan: site {the_plan.lost} lost (restore order)", title_justify="left")
    for column in ("#", "job", "RTO", "from", "run (age / RPO)", "size", "last check", "last drill", "estimate", "onto"):
        table.add_column(column)
    for number, e in enumerate(the_plan.jobs, 1):
        age = f"{e.run} ({e.age_seconds / 3600:.1f} h / {e.rpo_seconds / 3600:.1f} h{'' if e.within_rpo else ' STALE'})" \
            if e.usable else "[red]none usable[/]"
        drill = f"{e.last_drill['verdict']} {e.last_drill['when'][:16]}" if e.last_drill else "-"
        check = {True: "ok", False: "[red]FAILED[/]", None: "-"}[e.last_check_ok]
        onto = (f"{e.target_host}:{e.target_dir}" if e.target_dir else e.target_host) if e.target_host else "[red]none[/]"
        table.add_row(str(number), e.job, f"{e.rto_seconds / 60:.0f} min", e.from_site or "-", age,
                      format_size(e.size_bytes) if e.size_bytes else "-", check, drill,
                      f"{e.estimate_seconds:.0f} s" if e.estimate_seconds is not None else "-", onto)
    console.print(table)
    for e in the_plan.jobs:
        for site, state in e.sites.items():
            console.print(f"  {e.job} at {site}: {state}", highlight=False)
        for problem in e.problems:
            err_console.print(f"[red]✗[/] {e.job}: {problem}", highlight=False)
        for warning in e.warnings:
            err_console.print(f"[yellow]![/] {e.job}: {warning}", highlight=False)
        if e.target_reason:
            console.print(f"  {e.job} onto {e.target_host}: {e.target_reason}", highlight=False)
    if any(e.commands for e in the_plan.jobs):
        console.print("\ncommands, in this order:", highlight=False)
        for e in the_plan.jobs:
            for command in e.commands:
                console.print(f"  {command}", highlight=False, soft_wrap=True)
