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
