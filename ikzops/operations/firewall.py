"""Operations for the host's nftables table ``inet ikzops`` (loaded by the agent, never by hand).

A new ruleset is checked by ``nft -c`` and refused before it is loaded when it would not
admit the very address this deploy comes from; once loaded, it is rolled back by a timer
unless :func:`confirm` reaches the host again over a *new* SSH connection.
"""

from __future__ import annotations

import hashlib
from io import StringIO

from pyinfra import host
from pyinfra.api import OperationError, StringCommand, operation
from pyinfra.operations import files

from ikzops import layout
from ikzops.agent.firewall import CANDIDATE
from ikzops.facts.firewall import Firewall
from ikzops.model import networks


def _agent(*args: str) -> StringCommand:
    return StringCommand(*layout.agent_argv("firewall", *args))


@operation()
def ruleset(content: str, rollback_after: int, ssh_from: list[str]):
    """The table ``inet ikzops`` is ``content``, loaded and confirmed.

    + content: the ruleset (an ``nft -f`` file that replaces the table atomically)
    + rollback_after: seconds until a loaded but unconfirmed ruleset is rolled back
    + ssh_from: the networks ``content`` admits SSH from; when this deploy's own address is
      not among them the ruleset is refused before it is loaded
    """

    state = host.get_fact(Firewall)
    wanted = hashlib.sha256(content.encode()).hexdigest()
    if state.ruleset == wanted and state.live is not None and state.live == state.recorded and not state.pending:
        host.noop("table inet ikzops is loaded as the model says")
        return
    if state.client and not networks.covers(ssh_from, state.client):
        raise OperationError(
            f"this deploy comes from {state.client}, which the new ruleset would not admit over SSH: ikzops "
            "refuses to lock itself out. Add that address (or its network) to ikz_firewall's 'control'"
        )
    yield from files.put._inner(src=StringIO(content), dest=CANDIDATE, mode="0600")
    yield _agent("apply", str(rollback_after))


def confirm() -> None:
    """Reach the host over a new SSH connection and confirm its new ruleset (a
    ``python.call`` callback: it runs when the operations before it ran).

    The deploy's own connection is established, so the new table lets it on whatever the
    table says; a second connector of the same kind proves that a *new* connection from
    here gets in. If it cannot, the rollback timer puts the confirmed ruleset back.
    """

    fresh = type(host.connector)(host.state, host)
    fresh.connect()
    try:
        ok, output = fresh.run_shell_command(_agent("confirm"))
    finally:
        client = getattr(fresh, "client", None)
        if client is not None:
            client.close()
    if not ok:
        raise OperationError(f"the new ruleset was not confirmed: {output.stderr.strip() or 'no answer'}")


@operation()
def removed():
    """No table ``inet ikzops`` and none of its files (the firewall was switched off)."""

    state = host.get_fact(Firewall)
    if state.ruleset is None and state.live is None and not state.pending:
        host.noop("no ikzops firewall on this host")
        return
    yield _agent("remove")
