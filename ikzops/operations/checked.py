"""Install a config file only after its own checker accepted it."""

from __future__ import annotations

from pyinfra import host
from pyinfra.api import QuoteString, StringCommand, operation
from pyinfra.facts.files import Sha256File


@operation()
def install_checked(candidate: str, live: str, check: str, mode: str = "0644", group: str = "root"):
    """Copy ``candidate`` over ``live`` when they differ and ``check`` (a command) passes.

    A config the checker rejects never replaces the running one; the operation fails
    with the checker's message instead.
    """

    if host.get_fact(Sha256File, path=candidate) == host.get_fact(Sha256File, path=live):
        host.noop(f"{live} is up to date")
        return
    yield StringCommand(check, "&&", "install", "-m", mode, "-o", "root", "-g", QuoteString(group),
                        QuoteString(candidate), QuoteString(live))
