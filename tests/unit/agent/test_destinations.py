"""Where the backup job connects before it runs restic (pure: a local listener)."""

from __future__ import annotations

import socket
import threading

import pytest

from ikzops.agent.destinations import reachable


@pytest.mark.parametrize("scheme", ["rest:https://127.0.0.1:{port}/app/job", "s3:https://127.0.0.1:{port}/lab-job"])
def test_a_server_that_speaks_no_tls_is_named_by_its_address_for_rest_and_s3(scheme):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        # it accepts and hangs up at once: no TLS handshake
        threading.Thread(target=lambda: listener.accept()[0].close(), daemon=True).start()
        with pytest.raises(RuntimeError) as failed:
            reachable(scheme.format(port=port), None)
    assert f"127.0.0.1:{port}" in str(failed.value)


def test_a_closed_port_is_a_site_that_is_down():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RuntimeError, match="the site is down or cut off"):
        reachable(f"s3:https://127.0.0.1:{port}/lab-job", None)
