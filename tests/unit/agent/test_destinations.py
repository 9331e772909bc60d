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


def _config():
    from ikzops.agent.job_config import Destination, JobConfig

    sites = [Destination("city", "rest:https://city:8003/app/job"), Destination("district", "rest:https://district:8001/app/job")]
    return JobConfig(job="job", client="app", site="city", partnership="lab", paths=["/srv"], destinations=sites,
                     password_file="/p", state_dir="/s", dump_dir="/d", manifest="/m")


def _created(monkeypatch, exists: set[str], down: set[str] = frozenset()) -> list[tuple[str, ...]]:
    """create_repository against fake servers: ``exists`` the sites holding a repository."""

    from types import SimpleNamespace

    from ikzops.agent import destinations

    def probe(url, cacert):
        if any(site in url for site in down):
            raise RuntimeError("down")

    def run(config, destination, invocation, timeout):
        source = invocation.env.get("RESTIC_FROM_REPOSITORY", "")
        refused = source and not any(site in source for site in exists)
        calls.append((destination.site, *invocation.argv[2:], source))
        if not refused:
            exists.add(destination.site)
        return SimpleNamespace(returncode=1 if refused else 0, stderr="")

    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(destinations, "reachable", probe)
    monkeypatch.setattr(destinations, "run_against", run)
    config = _config()
    for destination in config.destinations:
        destinations.create_repository(config, destination)
    return calls


def test_a_repository_made_after_another_destinations_takes_its_chunker_parameters(monkeypatch):
    calls = _created(monkeypatch, exists=set())
    assert calls[-1] == ("district", "init", "--copy-chunker-params", "rest:https://city:8003/app/job")


def test_with_no_peer_repository_answering_the_repository_is_created_plainly(monkeypatch):
    calls = _created(monkeypatch, exists=set(), down={"city", "district"})
    assert calls == [("city", "init", ""), ("district", "init", "")]
