"""What each host accepts, by role, from whom (pure: the model only)."""

from __future__ import annotations

from ikzops import layout
from ikzops.firewall import nft
from ikzops.firewall.rules import collapse, rules
from ikzops.model.loader import load
from tests.unit.model.test_firewall_model import firewalled


def accepted(p, host: str) -> dict[str, tuple[str, ...]]:
    return {rule.ports: rule.sources for rule in rules(p, host)}


def with_monitor(inv):
    inv.hosts["a-mon"] = {"site": "a", "roles": ["monitor"], "data": {"ssh_hostname": "10.9.0.13"}}
    return inv


def test_a_client_accepts_ssh_from_control_and_node_exporter_from_monitors_and_control_only(inv, tmp_path):
    p = load(firewalled(with_monitor(inv)).write(tmp_path))
    assert accepted(p, "a-app") == {"22": ("10.9.0.1",), str(layout.NODE_EXPORTER_PORT): ("10.9.0.1", "10.9.0.13")}


def test_each_partners_rest_server_admits_only_its_own_clients_and_the_monitors(inv, tmp_path):
    inv = firewalled(with_monitor(inv))
    inv.hosts["b-san"]["roles"].append("repository")
    p = load(inv.write(tmp_path))
    # a-files lands on b-san (a's client, a's server); b-files is b-app's own-site copy (b's server)
    found = accepted(p, "b-san")
    assert found[str(layout.rest_port(p, "a"))] == ("10.9.0.1", "10.9.0.12", "10.9.0.13")
    assert found[str(layout.rest_port(p, "b"))] == ("10.9.0.1", "10.9.0.13", "10.9.0.22")


def test_a_standby_is_admitted_where_the_jobs_it_takes_over_land(inv, tmp_path):
    inv = firewalled(inv)
    inv.hosts["a-spare"] = {"site": "b", "roles": ["client"], "data": {"ssh_hostname": "10.9.0.31"}}
    inv.hosts["a-app"]["data"]["ikz_standby"] = "a-spare"
    p = load(inv.write(tmp_path))
    assert "10.9.0.31" in accepted(p, "a-san")[str(layout.rest_port(p, "a"))]


def test_every_storage_host_admits_every_luns_initiators_for_a_failover(inv, tmp_path):
    inv = firewalled(inv)
    inv.data["ikz_luns"]["a-disk"]["initiator_addresses"] = ["a-app", "10.8.0.0/24"]
    p = load(inv.write(tmp_path))
    assert accepted(p, "a-san")[str(layout.ISCSI_PORT)] == ("10.8.0.0/24", "10.9.0.1", "10.9.0.12")
    assert str(layout.ISCSI_PORT) not in accepted(p, "a-app")


def test_an_allow_rule_from_any_matches_every_address_of_both_families(inv, tmp_path):
    inv = firewalled(inv)
    inv.hosts["a-app"]["data"]["ikz_firewall_allow"] = [{"port": 443, "from": ["any"], "comment": "web"}]
    p = load(inv.write(tmp_path))
    rule = rules(p, "a-app")[-1]
    assert rule.anyone and rule.why == "web"
    assert "\t\ttcp dport 443 accept comment \"web\"" in nft.ruleset(p, "a-app")


def test_overlapping_sources_collapse_so_nftables_takes_the_set():
    assert collapse(["10.0.0.5", "10.0.0.0/24", "10.0.0.5/32", "fd00::1", "10.1.0.1"]) == (
        "10.0.0.0/24", "10.1.0.1", "fd00::1")


def test_ipv6_sources_get_an_ip6_rule_of_their_own(inv, tmp_path):
    inv = firewalled(inv)
    inv.data["ikz_firewall"]["control"] = ["10.9.0.1", "fd00:1::/64"]
    p = load(inv.write(tmp_path))
    text = nft.ruleset(p, "a-app")
    assert 'ip saddr { 10.9.0.1 } tcp dport 22 accept comment "ssh"' in text
    assert 'ip6 saddr { fd00:1::/64 } tcp dport 22 accept comment "ssh"' in text


def test_the_ruleset_replaces_only_its_own_table_and_refuses_the_rest():
    text = (nft.templates.path("firewall/ikzops.nft.j2")).read_text()
    assert text.index("delete table inet ikzops") < text.index("table inet ikzops {")
    assert "flush ruleset" not in text and "policy drop" in text
