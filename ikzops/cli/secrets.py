"""``ikzops secrets recovery-key|recover``"""

from __future__ import annotations

import sys

import click

from ikzops.cli.console import console, err_console
from ikzops.cli.inventory import inventory_option
from ikzops.orchestrate import secrets as orchestrator


@click.group("secrets")
def secrets() -> None:
    """The secret store: its recovery key, and getting it back after losing the control host."""


@secrets.command("recovery-key")
@inventory_option
@click.option("--force", is_flag=True, help="Make a new key even though one exists.")
def recovery_key(inventory_path, force) -> None:
    """Make the recovery key and print its sheet, once: ikzops never stores it.

    Print it and keep one copy in each partner's safe. Every deploy then seals the secret
    store to it and deposits it on every repository host.
    """
    text = orchestrator.recovery_key(inventory_path, force=force)
    console.print("RECOVERY SHEET — print it now; it is shown only this once and is stored nowhere.\n"
                  "Keep one copy in each partner's safe. With it, `ikzops secrets recover --from SITE` rebuilds\n"
                  "the control host's secret store from any site that survives.\n", highlight=False)
    click.echo(text)
    err_console.print("the next `ikzops deploy` deposits the sealed store on every repository host", highlight=False)


@secrets.command("recover")
@inventory_option
@click.option("--from", "from_site", required=True, metavar="SITE", help="A surviving site holding the deposit.")
@click.option("--key-file", required=True, type=click.File("r"), metavar="FILE|-",
              help="The recovery sheet's text, from a file or - for standard input (never on the command line).")
@click.option("--force", is_flag=True, help="Replace a store that is not empty (kept aside as <store>.before-recover).")
def recover(inventory_path, from_site, key_file, force) -> None:
    """Rebuild this control host's secret store from SITE's deposit with the recovery sheet.

    Exit 0 recovered, 1 the deposit does not open with this key, 2 usage (no deposit, the
    store exists without --force), 3 no repository host of SITE answered.
    """
    key_text = key_file.read()
    where, names, host = orchestrator.recover(inventory_path, from_site=from_site, key_text=key_text, force=force)
    console.print(f"recovered {len(names)} secret file(s) from {host} into {where}", highlight=False)
    if key_file is not sys.stdin:
        err_console.print(f"note: destroy {key_file.name} now if it was a copy of the sheet", highlight=False)
