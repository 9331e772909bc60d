"""``ikzops drill``"""

from __future__ import annotations

import json
import signal
from dataclasses import asdict

import click
from rich.table import Table

from ikzops.cli.console import console, err_console
from ikzops.cli.inventory import inventory_option
from ikzops.cli.progress import console_progress
from ikzops.orchestrate import drill as orchestrator

COLOURS = {"passed": "green", "restored": "green", "failed": "red", "mismatch": "red", "unreachable": "yellow"}


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@click.command("drill")
@inventory_option
@click.option("--from", "from_site", metavar="SITE", help="Restore from this partner site (default: each job's first partner site).")
@click.option("--job", "jobs", multiple=True, metavar="J", help="Only this job (repeatable).")
@click.option("--snapshot", metavar="ID", help="This snapshot instead of the newest (needs --job and --from).")
@click.option("--all", "every_site", is_flag=True, help="Drill every job from every partner site.")
@click.option("--report", "report_dir", metavar="DIR", help="Where reports accumulate (default .state/reports/<partnership>/drills).")
@click.option("--history", is_flag=True, help="List past drills and restores and their verdicts instead of drilling.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def drill(inventory_path, from_site, jobs, snapshot, every_site, report_dir, history, as_json) -> None:
    """Restore from a partner site, compare every file, time it against the RTO.

    Exit 0 passed, 1 failed (mismatch, RTO exceeded, missing snapshot), 3 unreachable.
    The scratch directory is removed also on failure, Ctrl-C or SIGTERM.
    """
    if history:
        entries = orchestrator.history(inventory_path, report_dir)
        if as_json:
            click.echo(json.dumps(entries, indent=2))
            return
        table = Table(title=f"{len(entries)} drills and restores", title_justify="left")
        for column in ("when", "kind", "job", "from", "to", "verdict", "seconds", "RTO s", "files", "mismatches"):
            table.add_column(column, no_wrap=column in ("job", "verdict"))
        for e in entries:
            to = e.get("host", "") if e["kind"] == "drill" else f"{e['target_host']}:{e.get('target_dir') or '/'}"
            table.add_row(e["started"][:16].replace("T", " "), e["kind"], e["job"], e["from_site"], to,
                          f"[{COLOURS.get(e['verdict'], 'white')}]{e['verdict']}[/]", f"{e['total_seconds']:.1f}",
                          f"{e['rto_seconds']:.0f}", str(e["files"]), str(e["mismatched"]))
        console.print(table)
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        results, paths = orchestrator.drill(
            inventory_path, jobs=jobs, from_site=from_site, every_site=every_site, snapshot=snapshot,
            report=report_dir, progress=console_progress(),
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in results], indent=2))
    else:
        table = Table(title="restore drills", title_justify="left")
        for column in ("job", "from", "verdict", "files", "MB/s", "seconds", "RTO s"):
            table.add_column(column, no_wrap=column == "job")
        for r in results:
            table.add_row(r.job, r.from_site, f"[{COLOURS[r.verdict]}]{r.verdict}[/]", str(r.files),
                          f"{r.throughput_mb_s:.1f}", f"{r.total_seconds:.1f}", f"{r.rto_seconds:.0f}")
        console.print(table)
        for r in results:
            for reason in r.reasons:
                err_console.print(f"[red]✗[/] {r.job} from {r.from_site}: {reason}", highlight=False)
        for path in paths:
            err_console.print(f"report: {path}", highlight=False)
    click.get_current_context().exit(orchestrator.exit_code(results))
