"""Connections kept for many tasks: a host that does not answer is tried once."""

from __future__ import annotations

import socket

import pytest

from ikzops.errors import UnreachableError
from ikzops.model.partnership import Host
from ikzops.runners import ssh


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_host_that_refuses_is_tried_once_and_every_get_names_it(monkeypatch, tmp_path):
    host = Host("gone", "127.0.0.1", _closed_port(), "city", frozenset(), (),
                ssh_known_hosts_file=str(tmp_path / "known_hosts"))
    tried = []
    real = ssh.connect
    monkeypatch.setattr(ssh, "connect", lambda h, *a, **k: tried.append(h.name) or real(h, timeout=2))
    with ssh.Connections({"gone": host}) as pool:
        for _ in range(3):
            with pytest.raises(UnreachableError, match="cannot reach gone"), pool.borrow("gone"):
                pass
    assert tried == ["gone"]


class _Machine:
    """A stand-in for plumbum's paramiko machine: its transport alive or not."""

    cwd = "/root"

    def __init__(self) -> None:
        self.active, self.closed = True, False
        transport = type("Transport", (), {"is_active": lambda _: self.active})()
        self._client = type("Client", (), {"get_transport": lambda _: transport})()

    def close(self) -> None:
        self.closed = True


def test_a_connection_that_died_during_a_task_is_closed_and_the_next_task_gets_a_new_one(monkeypatch):
    made = []
    monkeypatch.setattr(ssh, "connect", lambda h, *a, **k: made.append(_Machine()) or made[-1])
    with ssh.Connections({"san": None}) as pool:
        with pool.borrow("san") as first:
            first.active = False
        with pool.borrow("san") as second:
            pass
        with pool.borrow("san") as third:
            pass
    assert first.closed and second is not first and third is second and len(made) == 2
