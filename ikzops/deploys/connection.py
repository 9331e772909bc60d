"""This host's SSH connection as pyinfra opened it: its small packets go out at once (see
:mod:`ikzops.transport`), so that each of the deploy's facts and commands costs a round trip,
not a round trip and the server's delayed ACK. Called by :func:`ikzops.deploys.context.partnership`,
which every deploy of ikzops calls first; nothing for pyinfra's other connectors."""

from __future__ import annotations

from pyinfra import host

from ikzops.transport import send_at_once


def send_at_once_here() -> None:
    client = getattr(host.connector, "client", None)
    if client is not None and hasattr(client, "get_transport"):
        send_at_once(client.get_transport())
