"""The TCP socket under an SSH connection, for ikzops' own connections (``runners/ssh.py``)
and pyinfra's (``deploys/connection.py``): one home for how it is set.

Small SSH packets go out at once (``TCP_NODELAY``, as OpenSSH sets it). Without it, every
command after the first on a connection waited for the server's delayed ACK: paramiko
sends a channel's open and its exec request as two small writes, and Nagle's algorithm
held the second until the first was acknowledged - about 40 ms per command (measured on
the lab: 48 ms for ``true``, 3 ms with it set).
"""

from __future__ import annotations

import socket


def send_at_once(transport) -> None:
    """Set ``TCP_NODELAY`` on a paramiko transport's socket (not on a proxy command's pipe)."""

    nodelay(getattr(transport, "sock", None))


def nodelay(sock) -> None:
    """Set ``TCP_NODELAY`` on a TCP socket; anything else (a pipe) is left as it is."""

    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def connected(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to ``address``:``port`` that sends small packets at once from its
    first one: an SSH login is a dozen small packets, and Nagle's algorithm held one of
    them for the server's delayed ACK (a new connection, with the shell session plumbum
    then opened on it, took 82 ms in the lab, 45 ms so)."""

    sock = socket.create_connection((address, port), timeout=timeout)
    nodelay(sock)
    return sock
