"""``ikzops history``: the tamper-evident history of every run."""

from __future__ import annotations

import json

import click
from rich.table import Table

from ikzops.cli.console import console, err_console
from ikzops.cli.inventory import inventory_option
from ikzops.history.collect import Survey
from ikzops.orchestrate import history as orchestrator

KINDS = ("backup", "verify", "drill", "restore", "recovery")


@click.group("history", invoke_without_command=True)
@click.option("-i", "--inventory", "inventory_path", metavar="INV", type=click.Path(dir_okay=False),
              help="pyinfra inventory file (to list the records the control host holds).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS), help="Only records of this kind (repeatable).")
@click.option("--job", "jobs", multiple=True, metavar="J", help="Only records of this job (repeatable).")
@click.option("--since", metavar="DATE", default="", help="Only records that started on or after DATE (2026-11-01).")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON lines.")
@click.pass_context
def history(ctx: click.Context, inventory_path, kinds, jobs, since: str, as_json: bool) -> None:
    """List the runs the control host has collected (or: history collect | verify).

    Every backup run (per destination), verify, drill, restore and recovery is a record
    chained to the one before it by its hash; `history collect` brings new records to the
    control host and a copy to every repository host, `history verify` proves the chains.
    """
    if ctx.invoked_subcommand:
        return
    if not inventory_path:
        raise click.UsageError("name the inventory: ikzops history -i INV (or history collect|verify -i INV)")
    name, chosen = orchestrator.records(inventory_path, kinds=kinds, jobs=jobs, since=since)
    if as_json:
        for record in chosen:
            click.echo(json.dumps(record, sort_keys=True))
        return
    table = Table(title=f"history of {name}: {len(chosen)} records", title_justify="left")
    for column in ("started", "kind", "job", "where", "verdict", "seconds"):
        table.add_column(column)
    for r in chosen:
        table.add_row((r.get("started") or "")[:19].replace("T", " "), r.get("kind", ""), r.get("job", ""),
                      _where(r), _verdict(r), _seconds(r))
    console.print(table)


def _where(r: dict) -> str:
    if r.get("kind") == "backup":
        return ", ".join(r.get("destinations", {}))
    return r.get("from_site") or r.get("target_host") or r.get("lost") or ""


def _verdict(r: dict) -> str:
    if r.get("kind") == "backup":
        return {0: "ok", 1: "partial"}.get(r.get("status"), "failed")
    if r.get("kind") == "verify":
        return {0: "ok", 1: "finding", 3: "unreachable"}.get(r.get("exit_code"), "failed")
    return r.get("verdict", "")


def _seconds(r: dict) -> str:
    value = r.get("total_seconds", r.get("seconds"))
    return f"{value:.1f}" if isinstance(value, int | float) else ""


def print_survey(survey: Survey, title: str, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(survey.as_json(), indent=2))
        return
    records = sum(len(m.lines) for m in survey.merged.values())
    new = sum(m.new for m in survey.merged.values())
    console.print(f"{title} {survey.partnership}: {len(survey.merged)} streams, {records} records"
                  f"{f' ({new} new)' if new else ''}; copies on {', '.join(survey.repositories) or 'no repository host'}")
    for host, why in sorted(survey.unreachable.items()):
        err_console.print(f"[yellow]unreachable[/] {host}: {why}")
    for finding in survey.findings:
        err_console.print(f"[red]✗[/] {finding.text()}")
    if not survey.findings and not survey.unreachable:
        console.print("[green]✓[/] every chain holds and every copy agrees")


@history.command("collect")
@inventory_option
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document.")
def collect(inventory_path: str, as_json: bool) -> None:
    """Bring new records to the control host and a copy of all to every repository host.

    Exit 0 done, 1 a copy or chain is broken (named; nothing altered is overwritten),
    3 a host could not be reached (the others were collected).
    """
    with err_console.status("collecting the history"):
        survey = orchestrator.collect(inventory_path)
    print_survey(survey, "collected", as_json)
    click.get_current_context().exit(survey.exit_code)


@history.command("verify")
@inventory_option
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document.")
def verify(inventory_path: str, as_json: bool) -> None:
    """Prove every chain and compare every copy (clients, control host, repository hosts).

    Exit 0 intact, 1 a record removed, altered or inserted (named), 3 a host unreachable.
    Writes nothing.
    """
    with err_console.status("verifying the history"):
        survey = orchestrator.verify(inventory_path)
    print_survey(survey, "verified", as_json)
    click.get_current_context().exit(survey.exit_code)
