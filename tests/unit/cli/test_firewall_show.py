"""``ikzops firewall show``: each host's ruleset from the model, no host touched."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ikzops.cli import cli
from ikzops.errors import ExitCode

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_show_prints_the_named_hosts_ruleset_with_its_own_services():
    result = run("firewall", "show", "-i", str(ROOT / "inventories/saar_partners.py"), "sb-wohngeld.it.example")
    assert result.exit_code == 0, result.output
    assert 'tcp dport 443 accept comment "Wohngeld web application"' in result.output
    assert "spk-hotline" not in result.output


@pytest.mark.fault("bad-input")
def test_show_on_an_inventory_without_a_firewall_says_how_to_turn_it_on():
    result = run("firewall", "show", "-i", str(ROOT / "inventories/example.py"))
    assert result.exit_code == ExitCode.CONFIG and "the firewall is off" in result.output
    assert "ikz_firewall" in result.output


@pytest.mark.fault("bad-input")
def test_show_of_an_unknown_host_names_the_known_ones():
    result = run("firewall", "show", "-i", str(ROOT / "inventories/lab.py"), "city-ap")
    assert result.exit_code == ExitCode.CONFIG and "unknown host(s) city-ap" in result.output
