"""``ikzops concept`` and ``ikzops report``: documents an auditor can file."""

from __future__ import annotations

import click

from ikzops.cli.console import console, err_console
from ikzops.cli.inventory import inventory_option
from ikzops.orchestrate import audit as orchestrator

_no_collect = click.option("--no-collect", is_flag=True,
                           help="Use the history the control host holds; do not collect it from the hosts first.")


def _warn(survey) -> None:
    if survey is None:
        return
    for host, why in sorted(survey.unreachable.items()):
        err_console.print(f"[yellow]warning:[/] history not collected from {host}: {why}", highlight=False)
    for finding in survey.findings:
        err_console.print(f"[red]✗[/] history: {finding.text()}", highlight=False)


@click.command("concept")
@inventory_option
@click.option("--format", "fmt", type=click.Choice(orchestrator.FORMATS), default="md", show_default=True)
@click.option("--out", metavar="FILE", type=click.Path(dir_okay=False), help="Write to FILE instead of printing.")
@_no_collect
def concept(inventory_path: str, fmt: str, out: str | None, no_collect: bool) -> None:
    """The backup concept (Datensicherungskonzept) generated from the model.

    Partners, sites and contacts, per job the data, volume and change rate (measured),
    schedule, retention, RPO, RTO, where the copies are, encryption and protection, who
    holds which key, and the restore order per site; each section names its CON.3
    requirement. Exit 0.
    """
    text, survey = orchestrator.concept(inventory_path, fmt=fmt, out=out, collect=not no_collect)
    _warn(survey)
    if out:
        err_console.print(f"written to {out}")
    else:
        click.echo(text, nl=False)


@click.command("report")
@inventory_option
@click.option("--period", "period_text", required=True, metavar="P", help="2026-11 (month), 2026-Q4 or 2026.")
@click.option("--partner", metavar="P", help="Only the jobs of this site or partner.")
@click.option("--format", "fmt", type=click.Choice(orchestrator.FORMATS), default="md", show_default=True)
@click.option("--out", metavar="DIR", type=click.Path(file_okay=False), help="Write the report into DIR.")
@_no_collect
def report(inventory_path: str, period_text: str, partner: str | None, fmt: str, out: str | None,
           no_collect: bool) -> None:
    """A period's evidence per partner and job, mapped to BSI CON.3.

    Runs due vs made vs good per destination, the longest gap against the RPO, verify
    coverage and findings, every drill and restore against RTO and RPO; a summary first.
    Exit 0 every requirement met, 1 one is not (listed).
    """
    data, text, path, survey = orchestrator.report(inventory_path, period_text=period_text, partner=partner,
                                                   fmt=fmt, out=out, collect=not no_collect)
    _warn(survey)
    if path:
        summary = data["summary"]
        verdict = "all requirements met" if summary["met"] else f"{len(summary['not_met'])} requirement(s) not met"
        console.print(f"{verdict}: {path}")
    else:
        click.echo(text, nl=False)
    click.get_current_context().exit(orchestrator.exit_code(data))


@click.command("usage")
@inventory_option
@click.option("--period", "period_text", metavar="P", help="2026-11 (month, the default: this one), 2026-Q4 or 2026.")
@click.option("--partner", metavar="P", help="Only this partner (its key or name).")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "json"]), default="md", show_default=True)
@_no_collect
def usage(inventory_path: str, period_text: str | None, partner: str | None, fmt: str, no_collect: bool) -> None:
    """What each partner stores and uses, and its share of the costs.

    Per partner and site: repository bytes on disk (sampled by every verify, integrated to
    GB-days), LUN capacity allocated, and the cost from ikz_costs' rates; a statement per
    partner. Exit 0.
    """
    _, text, survey = orchestrator.usage(inventory_path, period_text=period_text, partner=partner, fmt=fmt,
                                         collect=not no_collect)
    _warn(survey)
    click.echo(text, nl=False)
