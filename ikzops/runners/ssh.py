"""SSH to managed hosts from the control host, with the inventory's pinned host keys.

ikzops connects the way pyinfra does for the same inventory (``ssh_user``,
``ssh_key``, ``ssh_known_hosts_file``), with paramiko, and rejects any host key that
is not pinned.
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
from plumbum.machines.paramiko_machine import ParamikoPopen

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


class Machine:
    """One SSH connection to a managed host (paramiko), over a TCP connection ikzops opens
    (``transport.connected``: small packets at once from the login on). Each command is an
    SSH ``exec`` channel of its own, run by the login shell (``execute.run_remote``): no
    program lookup and no shell session kept open beside the commands. (plumbum's paramiko
    machine opened one on every connection and slept 50 ms in its close: a connection, its
    first command and its close took 103 ms in the lab, now 46 ms.)"""

    def __init__(self, host: Host, known_hosts: str, timeout: float) -> None:
        self.host = host.address
        self._client = paramiko.SSHClient()
        self._client.set_missing_host_key_policy(PinnedHostKeys(known_hosts))
        sock = connected(host.address, host.port, timeout)
        try:
            self._client.connect(host.address, port=host.port, username=host.ssh_user, key_filename=host.ssh_key,
                                 look_for_keys=host.ssh_key is None, timeout=timeout, sock=sock)
        except BaseException:
            sock.close()
            raise

    def popen(self, argv: tuple[str, ...]) -> ParamikoPopen:
        """``argv`` started on the host (its command line quoted for the login shell)."""

        stdin, stdout, stderr = self._client.exec_command(shlex.join(argv), bufsize=1)
        return ParamikoPopen(argv, stdin, stdout, stderr, "utf8")

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Machine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __str__(self) -> str:
        return f"ssh://{self.host}"


def connect(host: Host, timeout: float = 10) -> Machine:
    known_hosts = host.ssh_known_hosts_file or os.path.expanduser("~/.ssh/known_hosts")
    try:
        machine = Machine(host, known_hosts, timeout)
    except (TimeoutError, OSError, paramiko.SSHException, EOFError) as exc:
        raise UnreachableError(f"cannot reach {host.name} ({host.address}): {exc}") from None
    # keepalives give a cut network something to time out on, for commands that wait long
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
        self._idle: dict[str, list[Machine]] = {name: [] for name in hosts}
        self._all: list[Machine] = []
        self._unreachable: dict[str, UnreachableError] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def borrow(self, name: str) -> Iterator[Machine]:
        with self._lock:
            if name in self._unreachable:
                raise self._unreachable[name]
            machine = self._idle[name].pop() if self._idle[name] else None
        if machine is None:
            try:
                machine = connect(self.hosts[name])
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
