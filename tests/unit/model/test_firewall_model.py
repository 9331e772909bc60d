"""ikz_firewall in the model: what it needs when on, and nothing of it silently ignored when off."""

from __future__ import annotations

import pytest

from ikzops.model.loader import load
from tests.unit.model.test_checks import only, problems

FIREWALL = {"control": ["10.9.0.1"]}


def firewalled(inv):
    inv.data["ikz_firewall"] = dict(FIREWALL)
    inv.data["ikz_luns"]["a-disk"]["initiator_addresses"] = ["a-app"]
    return inv


def test_the_firewall_is_off_unless_ikz_firewall_is_written(inv, tmp_path):
    p = load(inv.write(tmp_path))
    assert p.firewall is None and not p.firewall_on


def test_written_ikz_firewall_is_on_with_a_two_minute_rollback_by_default(inv, tmp_path):
    p = load(firewalled(inv).write(tmp_path))
    assert p.firewall_on and p.firewall.control == ["10.9.0.1/32"]
    assert p.firewall.rollback_after.total_seconds() == 120


@pytest.mark.fault("bad-input")
def test_a_firewall_without_control_hosts_is_refused(inv, tmp_path):
    firewalled(inv).data["ikz_firewall"] = {"control": []}
    problem = only(inv, tmp_path)
    assert problem.path[:2] == ("ikz_firewall", "control")


@pytest.mark.fault("bad-input")
def test_a_control_entry_that_is_no_address_is_named(inv, tmp_path):
    firewalled(inv).data["ikz_firewall"] = {"control": ["admin-laptop"]}
    problem = only(inv, tmp_path)
    assert problem.path == ("ikz_firewall", "control", 0) and "not an IP address" in problem.message


@pytest.mark.fault("bad-input")
def test_with_the_firewall_on_a_lun_must_say_where_its_initiators_connect_from(inv, tmp_path):
    del firewalled(inv).data["ikz_luns"]["a-disk"]["initiator_addresses"]
    problem = only(inv, tmp_path)
    assert problem.path == ("ikz_luns", "a-disk", "initiator_addresses") and "missing" in problem.message


@pytest.mark.fault("bad-input")
def test_with_the_firewall_on_a_host_named_by_dns_is_refused_with_its_place(inv, tmp_path):
    firewalled(inv).hosts["b-app"]["data"]["ssh_hostname"] = "b-app.example.org"
    problem = only(inv, tmp_path)
    assert problem.path == ("hosts", "b-app", "ssh_hostname") and "not an IP address" in problem.message


@pytest.mark.fault("bad-input")
def test_an_allow_rule_from_an_unknown_source_is_named(inv, tmp_path):
    firewalled(inv).hosts["a-app"]["data"]["ikz_firewall_allow"] = [{"port": 443, "from": ["the-internet"]}]
    problem = only(inv, tmp_path)
    assert problem.path == ("hosts", "a-app", "ikz_firewall_allow", 0, "from") and "'the-internet'" in problem.message


@pytest.mark.fault("bad-input")
def test_a_port_range_that_goes_down_is_refused(inv, tmp_path):
    firewalled(inv).hosts["a-app"]["data"]["ikz_firewall_allow"] = [{"port": "9000-8000", "from": ["any"]}]
    found = {p.path: p.message for p in problems(inv, tmp_path)}
    assert "must go up" in found[("hosts", "a-app", "ikz_firewall_allow", 0)]


@pytest.mark.fault("bad-input")
def test_firewall_settings_without_the_firewall_are_reported_not_ignored(inv, tmp_path):
    inv.hosts["a-app"]["data"]["ikz_firewall_allow"] = [{"port": 443, "from": ["any"]}]
    inv.data["ikz_luns"]["a-disk"]["initiator_addresses"] = ["a-app"]
    found = {(p.path, p.message) for p in problems(inv, tmp_path)}
    assert {path for path, _ in found} == {("hosts", "a-app", "ikz_firewall_allow", 0),
                                           ("ikz_luns", "a-disk", "initiator_addresses")}
    assert all("the firewall is off" in message for _, message in found)


@pytest.mark.fault("bad-input")
def test_a_broken_ikz_firewall_is_reported_once_not_as_off(inv, tmp_path):
    firewalled(inv).data["ikz_firewall"] = {"control": ["10.9.0.1"], "rollback": "1m"}
    problem = only(inv, tmp_path)
    assert problem.path == ("ikz_firewall", "rollback") and "unknown field" in problem.message
