"""The firewall per role in the lab: each host refuses what its roles do not need, what they
need still gets through (the other lab tests prove the rest: backups across sites,
scrapes, alerts, iSCSI, restores), and no ruleset can lock ikzops out."""

from __future__ import annotations

import socket
import time

import pytest
from click.testing import CliRunner

from ikzops import layout
from ikzops.cli import cli
from ikzops.errors import ExitCode
from ikzops.firewall import nft
from ikzops.state import state_root
from tests.lab.helpers import lab_inventory_copy, sh

LAB = "inventories/lab.py"


def probe(p, source: str, target: str, port: int) -> str:
    """What a new TCP connection from ``source`` to ``target:port`` meets: open, firewall
    (refused by a rule: "No route to host"), or closed (nothing listens)."""

    said = sh(p, source, f"timeout 3 bash -c '</dev/tcp/{p.hosts[target].address}/{port}' 2>&1 && echo open", check=False)
    if "open" in said:
        return "open"
    return "firewall" if "No route to host" in said else f"closed: {said.strip()}"


def digest(p, host: str) -> tuple[str, str]:
    """(the live table's digest, the digest recorded when it was confirmed)."""

    live = sh(p, host, f"nft -s list table {' '.join(nft.TABLE)} | sha256sum | cut -d' ' -f1").strip()
    return live, sh(p, host, f"cat {nft.RECORDED}").strip()


def ssh_answers(p, host: str, seconds: float = 2.0) -> bool:
    """Whether a new TCP connection from here (the control host) reaches the host's sshd."""

    try:
        with socket.create_connection((p.hosts[host].address, p.hosts[host].port), timeout=seconds) as conn:
            return conn.recv(4).startswith(b"SSH-")
    except OSError:
        return False


#: the lab's partners are its sites, city first: their rest-servers' ports
CITY_PORT, DISTRICT_PORT = layout.REST_PORT, layout.REST_PORT + 1
FORBIDDEN = [
    ("city-san", "district-san", DISTRICT_PORT, "a client reaches only its own partner's rest-server"),
    ("city-app", "district-san", layout.NODE_EXPORTER_PORT, "a client reads no metrics"),
    ("city-app", "city-mon", layout.ALERTMANAGER_PORT, "a client reaches no Alertmanager"),
    ("city-app", "city-mon", layout.PROMETHEUS_PORT, "a client reaches no Prometheus"),
    ("city-app", "district-app", 22, "SSH only from the control hosts"),
    ("district-app", "city-san", 22, "SSH only from the control hosts"),
    ("city-mon", "city-san", layout.ISCSI_PORT, "iSCSI only from the LUNs' initiators"),
]
NEEDED = [
    ("city-app", "district-san", CITY_PORT, "city-app's jobs land at district"),
    ("district-app", "city-san", DISTRICT_PORT, "district-app's jobs land at city"),
    ("district-mon", "city-san", CITY_PORT, "monitors scrape the rest-servers"),
    ("city-mon", "district-app", layout.NODE_EXPORTER_PORT, "monitors scrape every host"),
    ("district-mon", "city-mon", layout.PROMETHEUS_PORT, "each monitor watches the other"),
    ("district-app", "city-san", layout.ISCSI_PORT, "district-app is an initiator of city-san's LUNs"),
]


@pytest.mark.fault("attack")
@pytest.mark.parametrize(("source", "target", "port", "why"), FORBIDDEN, ids=[f"{s}->{t}:{n}" for s, t, n, _ in FORBIDDEN])
def test_a_connection_the_roles_do_not_need_is_refused(p, deployed_lab, source, target, port, why):
    assert probe(p, source, target, port) == "firewall", why


@pytest.mark.parametrize(("source", "target", "port", "why"), NEEDED, ids=[f"{s}->{t}:{n}" for s, t, n, _ in NEEDED])
def test_a_connection_the_roles_need_gets_through(p, deployed_lab, source, target, port, why):
    assert probe(p, source, target, port) == "open", why


def test_every_host_runs_the_confirmed_ruleset_of_the_model(p, deployed_lab):
    for host in p.hosts:
        live, recorded = digest(p, host)
        assert live == recorded, host
        assert sh(p, host, f"stat -c %a {nft.RULESET}; test -e {nft.CANDIDATE} || echo no-candidate").split() == [
            "600", "no-candidate"], host
        assert "refused: not in the model" in sh(p, host, f"nft list table {' '.join(nft.TABLE)}")


@pytest.mark.fault("bad-input")
def test_a_ruleset_that_would_lock_out_the_control_host_is_refused_before_it_is_loaded(p, deployed_lab, tmp_path,
                                                                                         monkeypatch):
    monkeypatch.setenv("IKZOPS_STATE_DIR", str(state_root()))
    before = digest(p, "city-app")
    locked = lab_inventory_copy(tmp_path, replace={'ikz_firewall = {"control": ["172.30.77.1"]}':
                                                   'ikz_firewall = {"control": ["10.99.0.0/24"]}'})
    result = CliRunner().invoke(cli, ["deploy", "-i", str(locked), "--only", "firewall", "--limit", "city-app"])
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "172.30.77.1" in result.output and "would not admit" in result.output, result.output
    assert digest(p, "city-app") == before
    assert ssh_answers(p, "city-app")


@pytest.mark.fault("interrupt")
def test_a_ruleset_nobody_confirms_is_rolled_back_by_its_timer(p, deployed_lab):
    """A candidate that shuts SSH out (as a broken model could), loaded with a 4 s rollback
    and never confirmed: new connections fail, then the confirmed ruleset is back by itself."""

    before = digest(p, "city-app")
    sh(p, "city-app", f"grep -v 'comment \"ssh\"' {nft.RULESET} > {nft.CANDIDATE} && "
                      f"env PYTHONPATH={layout.AGENT_DIR} python3 -m ikzops_agent.firewall apply 4")
    assert not ssh_answers(p, "city-app", seconds=1.0), "the candidate was meant to shut SSH out"
    deadline = time.monotonic() + 30
    while not ssh_answers(p, "city-app") and time.monotonic() < deadline:
        time.sleep(1)
    assert ssh_answers(p, "city-app")
    assert digest(p, "city-app") == before
    assert "rolled back" in sh(p, "city-app", f"journalctl -u {nft.ROLLBACK_UNIT} -o cat --since -2min")


def test_a_drifted_table_is_shown_by_a_dry_run_and_put_back_by_the_next_deploy(p, deployed_lab):
    sh(p, "city-app", f"nft insert rule {' '.join(nft.TABLE)} input tcp dport 4444 accept")
    dry = CliRunner().invoke(cli, ["deploy", "-i", LAB, "--dry", "--only", "firewall", "--limit", "city-app"])
    assert dry.exit_code == 0, dry.output
    assert "firewall ruleset city-app would load" in dry.output and 'comment "node_exporter"' in dry.output
    assert "4444" in sh(p, "city-app", f"nft list table {' '.join(nft.TABLE)}")
    done = CliRunner().invoke(cli, ["deploy", "-i", LAB, "--only", "firewall", "--limit", "city-app"])
    assert done.exit_code == 0, done.output
    assert "confirmed over a new SSH connection" in done.output
    assert "4444" not in sh(p, "city-app", f"nft list table {' '.join(nft.TABLE)}")
    again = CliRunner().invoke(cli, ["deploy", "-i", LAB, "--only", "firewall", "--limit", "city-app"])
    assert "no changes" in again.output, again.output


def test_the_boot_unit_loads_the_confirmed_ruleset(p, deployed_lab):
    before = digest(p, "city-app")
    sh(p, "city-app", f"systemctl restart {nft.UNIT}.service")
    assert digest(p, "city-app") == before
    assert sh(p, "city-app", f"systemctl is-enabled {nft.UNIT}.service").strip() == "enabled"


def test_switching_the_firewall_off_removes_the_table_and_its_boot_unit_and_on_brings_them_back(
        p, deployed_lab, tmp_path, monkeypatch):
    monkeypatch.setenv("IKZOPS_STATE_DIR", str(state_root()))
    off = lab_inventory_copy(tmp_path, replace={
        'ikz_firewall = {"control": ["172.30.77.1"]}': 'ikz_firewall = {"control": ["172.30.77.1"], "enabled": False}',
        '"initiator_addresses": ["city-app"],': '',
        '"initiator_addresses": ["district-app"],': '',
    })
    before = digest(p, "city-app")
    try:
        done = CliRunner().invoke(cli, ["deploy", "-i", str(off), "--only", "firewall", "--limit", "city-app"])
        assert done.exit_code == 0, done.output
        gone = sh(p, "city-app", f"nft list table {' '.join(nft.TABLE)} >/dev/null 2>&1 && echo table; "
                                 f"ls {nft.RULESET} /etc/systemd/system/{nft.UNIT}.service 2>/dev/null; true")
        assert gone.strip() == ""
        # city-app accepts what its firewall refused; district-app (not deployed here) still filters
        assert probe(p, "district-app", "city-app", layout.NODE_EXPORTER_PORT) == "open"
        assert probe(p, "city-app", "district-app", layout.NODE_EXPORTER_PORT) == "firewall"
    finally:
        back = CliRunner().invoke(cli, ["deploy", "-i", LAB, "--only", "firewall", "--limit", "city-app"])
    assert back.exit_code == 0, back.output
    assert digest(p, "city-app") == before
