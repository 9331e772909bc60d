"""The command line: parses, calls, prints. It holds no logic of its own."""

from __future__ import annotations

import logging
import os
import sys

import click

from ikzops import __version__
from ikzops.cli.audit import concept, report, usage
from ikzops.cli.backup import backup
from ikzops.cli.console import console, err_console
from ikzops.cli.deploy import deploy
from ikzops.cli.drill import drill
from ikzops.cli.firewall import firewall
from ikzops.cli.history import history
from ikzops.cli.inventory import inventory
from ikzops.cli.lab import lab
from ikzops.cli.recover import recover
from ikzops.cli.reseed import reseed
from ikzops.cli.restore import restore
from ikzops.cli.secrets import secrets
from ikzops.cli.snapshots import find, snapshots
from ikzops.cli.verify import verify
from ikzops.errors import ExitCode, IkzopsError
from ikzops.model.problems import InventoryInvalid


class _Group(click.Group):
    """Turns every error into a clear message and the contract's exit code."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except InventoryInvalid as exc:
            err_console.print(f"[bold red]error:[/] {exc.message}")
            for problem in exc.problems:
                where = f"[cyan]{problem.where}[/] " if problem.where else ""
                err_console.print(f"  {where}[bold]{problem.dotted}[/]: {problem.message}", highlight=False)
            ctx.exit(exc.exit_code)
        except IkzopsError as exc:
            err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False)
            if exc.hint:
                err_console.print(f"[yellow]hint:[/] {exc.hint}", highlight=False)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            err_console.print("[bold red]interrupted[/]")
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="ikzops")
@click.option("-v", "--verbose", count=True, help="More detail: -v shows steps, -vv every command run.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and findings (for cron).")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """ikzops: shared SAN, mutual cross-site backup, verification and restore drills.

    Exit codes: 0 ok, 1 a finding, 2 usage or configuration error, 3 could not reach
    something.
    """
    level = logging.WARNING if quiet else [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj["quiet"] = quiet
    if quiet:
        console.quiet = True


cli.add_command(inventory)
cli.add_command(lab)
cli.add_command(deploy)
cli.add_command(firewall)
cli.add_command(backup)
cli.add_command(verify)
cli.add_command(drill)
cli.add_command(snapshots)
cli.add_command(find)
cli.add_command(restore)
cli.add_command(recover)
cli.add_command(reseed)
cli.add_command(secrets)
cli.add_command(history)
cli.add_command(concept)
cli.add_command(report)
cli.add_command(usage)


def main() -> None:
    try:
        cli(prog_name="ikzops")
    except Exception as exc:  # the last line of defence: never a bare traceback
        if os.environ.get("IKZOPS_DEBUG"):
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "This is a bug in ikzops; run again with IKZOPS_DEBUG=1 for the traceback.",
            highlight=False,
        )
        sys.exit(ExitCode.CONFIG)
