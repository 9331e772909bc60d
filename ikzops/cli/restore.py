"""``ikzops restore``"""

from __future__ import annotations

import json
import signal
from dataclasses import asdict

import click
from rich.table import Table

from ikzops.cli.console import console, err_console
from ikzops.cli.inventory import inventory_option
from ikzops.cli.progress import console_progress
from ikzops.orchestrate import restore as orchestrator

COLOURS = {"restored": "green", "planned": "cyan", "mismatch": "red", "unreadable": "red", "conflict": "yellow", "failed": "red",
           "unreachable": "yellow"}


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@click.command("restore")
@inventory_option
@click.option("--job", metavar="J", help="The job whose data to restore.")
@click.option("--lun", metavar="LUN", help="Instead of a job: restore this LUN of the SAN onto a storage host and serve it "
                                           "there (same IQN, LUN number, CHAP account and initiators).")
@click.option("--to", "to", required=True, metavar="HOST[:DIR]",
              help="Any host of the inventory; with :DIR below DIR, else at the original paths (--lun: a storage host).")
@click.option("--from", "from_site", metavar="SITE", help="Read from this site (default: the first that answers, own site first).")
@click.option("--snapshot", metavar="RUN|ID|latest", help="A run id (see `ikzops snapshots`), a snapshot id, or latest (default).")
@click.option("--include", "includes", multiple=True, metavar="PATH", help="Only this path of the job (repeatable).")
@click.option("--database", metavar="DB", help="Load this database's dump into the target's PostgreSQL instead of files.")
@click.option("--as", "as_name", metavar="NAME", help="With --database: the name to load it as (default: DB).")
@click.option("--overwrite", is_flag=True, help="Replace differing existing files; rename an existing database aside.")
@click.option("--dry", is_flag=True, help="Show what would be created and replaced; transfer and change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON record (see README).")
def restore(inventory_path, job, lun, to, from_site, snapshot, includes, database, as_name, overwrite, dry, as_json) -> None:
    """Restore a job's files or a database onto any host, verified against the backup-time manifest;
    or a LUN of the SAN onto a storage host, served there under its own target (--lun).

    Exit 0 restored and verified, 1 a file or table differs from the backup (or the copy
    at the chosen site cannot be read back: try --from another site), 2 usage or
    configuration (unknown job, run or path; an existing file or database without
    --overwrite), 3 a needed host could not be reached.
    """
    if as_name and not database:
        raise click.UsageError("--as needs --database")
    if bool(job) == bool(lun):
        raise click.UsageError("name what to restore: --job J or --lun LUN")
    if lun and (includes or database or overwrite):
        raise click.UsageError("--lun restores the whole LUN onto a new host: no --include, --database or --overwrite")
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        if lun:
            result, record = orchestrator.restore_lun(inventory_path, lun=lun, to=to, from_site=from_site, snapshot=snapshot,
                                                      dry=dry, progress=console_progress())
        else:
            result, record = orchestrator.restore(
                inventory_path, job=job, to=to, from_site=from_site, snapshot=snapshot, includes=includes,
                database=database, as_name=as_name, overwrite=overwrite, dry=dry, progress=console_progress())
    finally:
        signal.signal(signal.SIGTERM, previous)
    if as_json:
        click.echo(json.dumps({"version": 1, **asdict(result)}, indent=2))
    else:
        show(result)
        if record:
            err_console.print(f"record: {record}", highlight=False)
    click.get_current_context().exit(result.exit_code)


def show(r: orchestrator.RestoreResult) -> None:
    title = (f"restore LUN {r.lun['name']} (job {r.job}) → {r.target_host}" if r.lun
             else f"restore {r.job} → {r.target_host}:{r.target_dir or '(original paths)'}")
    table = Table(title=title, title_justify="left", show_header=False)
    colour = COLOURS[r.verdict]
    rows = [
        ("verdict", f"[{colour}]{r.verdict}[/]"),
        ("from", f"site {r.from_site} ({r.repository_host}), run {r.run or '-'} taken {r.snapshot_time}"),
        ("what", ", ".join(r.paths)),
    ]
    if r.dry and r.planned:
        if "database" in r.planned:
            rows.append(("would", f"load database {r.planned['database']}"
                                  + (" (the existing one renamed aside)" if r.planned["replace"] else "")))
        else:
            rows.append(("would", f"create {r.planned['create']}, replace {r.planned['replace']}, "
                                  f"keep {r.planned['identical']} identical (by size and time)"))
    else:
        rows.append(("verified", f"{r.files} files, {r.bytes / 1e6:.1f} MB against the manifest; {r.mismatched} differ"))
        if not r.database:
            rows.append(("placed", f"{r.created} created, {r.replaced} replaced, {r.identical} already identical"))
        rows.append(("time", f"{r.total_seconds:.1f} s ({r.throughput_mb_s:.0f} MB/s), RTO {r.rto_seconds:.0f} s"))
    if r.lun:
        served = "served" if r.lun["served"] else "would be served" if r.dry else "NOT served"
        rows.append(("LUN", f"{r.lun['name']} at {r.lun['device']}, {served} as {r.lun['iqn']} LUN {r.lun['number']} "
                            f"(CHAP {r.lun['chap_user']}; initiators {', '.join(r.lun['initiators'])})"))
    if r.database.get("tables"):
        rows.append(("tables", ", ".join(f"{t} {n}" for t, n in sorted(r.database["tables"].items()))))
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    for line in [] if r.lun else r.planned.get("created", [])[:20] + r.planned.get("replaced", [])[:20]:
        console.print(f"  {'replace' if line in r.planned.get('replaced', []) else 'create '} {line}", highlight=False)
    for m in r.mismatches[:20]:
        err_console.print(f"[red]✗[/] {m['path']}: {m['problem']}", highlight=False)
    for path in r.conflicts[:20]:
        err_console.print(f"[yellow]![/] exists and differs: {path}", highlight=False)
    for text in r.warnings:
        err_console.print(f"[yellow]note:[/] {text}", highlight=False)
    for text in r.reasons:
        err_console.print(f"[red]✗[/] {text}", highlight=False)
