"""``ikzops verify``"""

from __future__ import annotations

import json

import click
from rich.table import Table

from ikzops.cli.console import console, err_console
from ikzops.cli.history import print_survey
from ikzops.cli.inventory import inventory_option
from ikzops.errors import ExitCode, worst
from ikzops.model.units import format_seconds, format_size
from ikzops.orchestrate import history
from ikzops.orchestrate import verify as orchestrator

COLOURS = {"ok": "green", "finding": "red", "unreachable": "yellow"}


@click.command("verify")
@inventory_option
@click.option("--job", "jobs", multiple=True, metavar="J", help="Only this job (repeatable).")
@click.option("--site", "sites", multiple=True, metavar="S", help="Only the repositories at this site (repeatable).")
@click.option("--subsets", default=7, show_default=True, type=click.IntRange(1, 10000),
              help="t in --read-data-subset n/t: every byte is read once every t runs.")
@click.option("--full", is_flag=True, help="Read all data of every repository (restic check --read-data).")
@click.option("--no-collect", is_flag=True, help="Do not collect the history afterwards (see: ikzops history collect).")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document (see README).")
def verify(inventory_path: str, jobs, sites, subsets: int, full: bool, no_collect: bool, as_json: bool) -> None:
    """Prove for every job × destination: fresh (RPO), replicated, intact.

    Exit 0 all good, 1 a finding (stale, replication gap, failed check, missing
    repository), 3 a repository host unreachable (the rest is still checked).
    Afterwards the history is collected (new runs to the control host, a copy to every
    repository host); a broken history is a finding too.
    """
    with err_console.status("verifying repositories"):
        report = orchestrator.verify(inventory_path, jobs=jobs, sites=sites, subsets=subsets, full=full)
    survey = None
    if not no_collect:
        with err_console.status("collecting the history"):
            survey = history.collect(inventory_path)
    if as_json:
        click.echo(json.dumps({**report.as_json(), "history": survey.as_json() if survey else None}, indent=2))
    else:
        table = Table(title=f"verify {report.partnership}: {len(report.repositories)} repositories "
                            f"in {report.seconds:.1f} s", title_justify="left")
        for column in ("job", "site", "status", "newest", "RPO", "snaps", "gap", "check", "hashed", "7d",
                       "full pass", "size"):
            table.add_column(column, no_wrap=column in ("job", "site"))
        for r in report.repositories:
            colour = COLOURS[r.status]
            table.add_row(
                r.job, r.site, f"[{colour}]{r.status}[/]",
                format_seconds(r.age_seconds) if r.age_seconds is not None else "-",
                format_seconds(r.rpo_seconds),
                str(r.snapshots), str(len(r.missing_runs)) if r.missing_runs else "0",
                f"{r.check.subset} {'ok' if r.check.ok else 'FAIL' if r.check.ok is False else '-'}",
                _hashed(r.scrub),
                f"{r.scrub.proven_7d_bytes / r.scrub.bytes:.0%}" if r.scrub.bytes else "-",
                _full_pass(r),
                format_size(r.size_bytes) if r.size_bytes is not None else "-",
            )
        console.print(table)
        for r in report.repositories:
            for text in r.findings:
                err_console.print(f"[{COLOURS[r.status]}]✗[/] {r.job} @ {r.site} ({r.host}): {text}", highlight=False)
        if survey:
            print_survey(survey, "history", as_json=False)
    # the history adds its findings; a host it could not read is printed, not an exit code
    # of verify (whose reach is the repository hosts)
    history_code = ExitCode.FINDING if survey and survey.findings else ExitCode.OK
    click.get_current_context().exit(worst([report.exit_code, history_code]))


def _hashed(scrub) -> str:
    """Packs hashed against their names this run (+ how many were new), or DAMAGED."""

    if scrub.error:
        return "FAIL"
    if scrub.damaged:
        return f"{len(scrub.damaged)} DAMAGED"
    return f"{scrub.hashed_packs - scrub.new_packs}+{scrub.new_packs}" if scrub.packs else "-"


def _full_pass(r) -> str:
    """Since when every byte is proven: every pack hashed (or all data read by restic check)."""

    return r.last_complete_pass[5:16].replace("T", " ") if r.last_complete_pass else "never"
