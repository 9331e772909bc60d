"""SSH to managed hosts from the control host, with the inventory's pinned host keys.

ikzops connects the way pyinfra does for the same inventory (``ssh_user``,
``ssh_key``, ``ssh_known_hosts_file``), through plumbum's paramiko machine, and
rejects any host key that is not pinned.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import paramiko
from plumbum.machines.paramiko_machine import ParamikoMachine
from plumbum.machines.remote import BaseRemoteMachine
from plumbum.machines.session import ShellSession

from ikzops import execute
from ikzops.errors import UnreachableError
from ikzops.execute import Command
from ikzops.model.partnership import Host
from ikzops.transport import connected


class PinnedHostKeys(paramiko.MissingHostKeyPolicy):
    """Accept a host only if its key is the one in ``known_hosts``."""

    def __init__(self, known_hosts: str) -> None:
        self.path = known_hosts
        self.keys = paramiko.HostKeys(known_hosts) if Path(known_hosts).exists() else paramiko.HostKeys()

    def missing_host_key(self, client, hostname, key) -> None:
        entry = self.keys.lookup(hostname)
        if entry is not None and entry.get(key.get_name()) == key:
            return
        raise paramiko.SSHException(
            f"the host key of {hostname} is not the one pinned in {self.path}"
            if entry else f"{hostname} has no pinned host key in {self.path}"
        )


#: a connection that carries no acknowledged data for this long is dead (a cut network):
#: SSH keepalives every KEEPALIVE seconds give the kernel something to time out on
KEEPALIVE = 5
DEAD_AFTER = 20


class _Machine(ParamikoMachine):
    """plumbum's paramiko machine over a TCP connection ikzops opens (``transport.connected``:
    small packets at once from the login on). plumbum's own constructor opens the socket
    itself and takes none; this one sets up the same attributes (plumbum 2's ``__slots__``)."""

    def __init__(self, host: Host, known_hosts: str, timeout: float) -> None:
        self.host = host.address
        self._fqhost = f"{host.ssh_user}@{host.address}" if host.ssh_user else host.address
        self._client = paramiko.SSHClient()
        self._client.set_missing_host_key_policy(PinnedHostKeys(known_hosts))
        sock = connected(host.address, host.port, timeout)
        try:
            self._client.connect(host.address, port=host.port, username=host.ssh_user, key_filename=host.ssh_key,
                                 look_for_keys=host.ssh_key is None, timeout=timeout, sock=sock)
        except BaseException:
            sock.close()
            raise
        self._keep_alive = KEEPALIVE
        self._sftp = None
        self._get_pty = False
        BaseRemoteMachine.__init__(self, "utf8", timeout)

    def close(self) -> None:
        """Close the connection at once. plumbum's own close writes ``exit`` into its idle shell
        session and then sleeps 50 ms for it to be read, on every connection ikzops closes;
        closing that session's channel ends the shell as well (sshd hangs it up)."""

        session = self._session
        if isinstance(session, ShellSession) and session.proc is not None:
            with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
                session.proc.close()
            session.proc = None  # its close() (and its __del__'s) then has nothing to do
        super().close()


def connect(host: Host, timeout: float = 10) -> ParamikoMachine:
    known_hosts = host.ssh_known_hosts_file or os.path.expanduser("~/.ssh/known_hosts")
    try:
        machine = _Machine(host, known_hosts, timeout)
    except (TimeoutError, OSError, paramiko.SSHException, EOFError) as exc:
        raise UnreachableError(f"cannot reach {host.name} ({host.address}): {exc}") from None
    # plumbum applies keep_alive only to its interactive sessions; commands need it too
    transport = machine._client.get_transport()
    transport.set_keepalive(KEEPALIVE)
    if hasattr(socket, "TCP_USER_TIMEOUT"):  # Linux
        transport.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, DEAD_AFTER * 1000)
    return machine


def write_file(machine, path: str, content: str, *, mode: str = "0644", purpose: str = "",
               only_into: str | None = None) -> bool:
    """Replace ``path`` on the host atomically (through a temporary file beside it), from
    ``content`` on standard input (so no content is ever on a command line). With
    ``only_into``, nothing is written unless that directory exists. True if written."""

    quoted, tmp = shlex.quote(path), shlex.quote(f"{path}.tmp")
    guard = f"test -d {shlex.quote(only_into)} && " if only_into else ""
    script = f"{guard}umask 077 && cat > {tmp} && chmod {mode} {tmp} && mv {tmp} {quoted}"
    return execute.run_remote_shell(machine, script, purpose or f"write {path}", stdin=content).returncode == 0


def command(host: Host, remote: Command, *, purpose: str = "") -> Command:
    """``remote`` on ``host`` through the OpenSSH client, for streams between hosts.

    The same settings as :func:`connect` (user, key, pinned host keys, keepalives that
    notice a cut network); the remote command line holds no secret (see
    :class:`ikzops.execute.Command`), standard input and output carry the data.
    """

    known_hosts = host.ssh_known_hosts_file or os.path.expanduser("~/.ssh/known_hosts")
    argv = ["ssh", "-T", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", f"UserKnownHostsFile={known_hosts}", "-o", f"ServerAliveInterval={KEEPALIVE}",
            "-o", f"ServerAliveCountMax={DEAD_AFTER // KEEPALIVE}", "-o", "ConnectTimeout=10", "-p", str(host.port),
            # AES-GCM first: with AES instructions it streams about twice as fast as ChaCha20 here
            "-o", "Ciphers=aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com"]
    if host.ssh_key:
        argv += ["-o", "IdentitiesOnly=yes", "-i", host.ssh_key]
    if host.ssh_user:
        argv += ["-l", host.ssh_user]
    argv += [host.address, "--", shlex.join(remote.argv)]
    return Command(tuple(argv), purpose=purpose or remote.purpose, secrets=remote.secrets)


class Connections:
    """Connections kept open for many tasks: a task borrows one of a host's idle connections
    (or a new one) for itself and gives it back, so tasks after it skip the handshake. A
    connection serves one task at a time: sshd allows a connection ten channels
    (``MaxSessions``), and a task may run a few commands at once. A connection that died
    is dropped, not lent again. A host that could not be reached is not tried again: each ``borrow`` raises its :class:`UnreachableError`.

    ``with Connections(hosts) as pool, pool.borrow("city-san") as machine: ...``; every
    connection closes at the end.
    """

    def __init__(self, hosts: dict[str, Host]) -> None:
        self.hosts = hosts
        self._idle: dict[str, list[ParamikoMachine]] = {name: [] for name in hosts}
        self._all: list[ParamikoMachine] = []
        self._unreachable: dict[str, UnreachableError] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def borrow(self, name: str) -> Iterator[ParamikoMachine]:
        with self._lock:
            if name in self._unreachable:
                raise self._unreachable[name]
            machine = self._idle[name].pop() if self._idle[name] else None
        if machine is None:
            try:
                machine = connect(self.hosts[name])
                # plumbum reads the working directory once, through the connection's one shell
                # session: here, before a task's threads share the connection
                str(machine.cwd)
            except UnreachableError as exc:
                with self._lock:
                    self._unreachable[name] = exc
                raise
            with self._lock:
                self._all.append(machine)
        try:
            yield machine
        finally:
            # a connection that died during the task is not handed to the next one: that one
            # connects anew (and finds the host unreachable if it is)
            lost = execute.connection_lost(machine)
            with self._lock:
                if lost:
                    self._all.remove(machine)
                else:
                    self._idle[name].append(machine)
            if lost:
                machine.close()

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *exc) -> None:
        for machine in self._all:
            machine.close()
