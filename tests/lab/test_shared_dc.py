"""The lab of many (inventories/shared_dc.py), up beside the default lab: four partners on
three sites, one of them a tenant of the state's shared data centre with no site of its own.
It deploys, backs up, verifies and drills like the lab of two; each partner has its own
rest-server and quota on every repository host its jobs land on; usage is per partner."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from ikzops import layout
from ikzops.cli import cli
from ikzops.errors import ExitCode
from ikzops.lab import manager
from ikzops.model.loader import load
from ikzops.orchestrate import deploy as deploys
from ikzops.progress import Recorder
from tests.lab.helpers import ROOT, sh
from tests.lab.test_firewall import probe

SHARED_DC = str(ROOT / "inventories/shared_dc.py")


def ikzops(command: str, *args: str):
    """``ikzops COMMAND -i inventories/shared_dc.py ARGS`` (COMMAND may be two words)."""
    return CliRunner().invoke(cli, [*command.split(), "-i", SHARED_DC, *args])


@pytest.fixture(scope="module")
def many():
    """The lab of many, up, deployed, and every job backed up once."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    manager.up(Recorder(), SHARED_DC)
    report = deploys.deploy(SHARED_DC)
    assert not report.errors, report.errors
    backed_up = ikzops("backup")
    assert backed_up.exit_code == ExitCode.OK, backed_up.output
    return load(SHARED_DC)


def test_a_second_deploy_of_the_lab_of_many_changes_nothing(many):
    report = deploys.deploy(SHARED_DC)
    assert not report.errors and report.changes == 0, report


def test_verify_of_every_partners_jobs_at_every_site_finds_nothing(many):
    result = ikzops("verify", "--json")
    assert result.exit_code == ExitCode.OK, result.output


def test_the_tenants_backups_restore_from_the_city_in_a_drill(many):
    result = ikzops("drill", "--job", "town-files", "--from", "city", "--json")
    assert result.exit_code == ExitCode.OK, result.output


def test_the_tenant_has_its_own_rest_server_and_quota_where_its_jobs_land(many):
    # at the shared data centre its 1 GiB reservation; at the city, which reserves 2 of 4 GiB for
    # itself and nothing for the town, the town shares what nobody reserved (the default)
    for host, quota in (("state-repo", 1 << 30), ("city-srv", 2 << 30)):
        assert sh(many, host, f"systemctl is-active {layout.rest_unit('town')}").strip() == "active"
        settings = sh(many, host, f"cat {layout.REST_SETTINGS_DIR}/town.env")
        assert f"--max-size {quota}" in settings and f"LISTEN=:{layout.rest_port(many, 'town')}" in settings
    # district's jobs do not land at the city: no server of the district's there
    assert sh(many, "city-srv", f"systemctl is-active {layout.rest_unit('district')}", check=False).strip() != "active"


def test_a_client_reaches_only_its_own_partners_rest_server_at_the_shared_data_centre(many):
    assert probe(many, "town-app", "state-repo", layout.rest_port(many, "town")) == "open"
    assert probe(many, "town-app", "state-repo", layout.rest_port(many, "city")) == "firewall"
    assert probe(many, "city-srv", "state-repo", layout.rest_port(many, "town")) == "firewall"


def test_inventory_check_shows_who_can_read_the_tenants_data_and_its_quotas(many):
    result = ikzops("inventory check")
    assert result.exit_code == ExitCode.OK, result.output
    flat = " ".join(result.output.split())
    assert "Small town (tenant of the shared data centre) │ City IT service (lab of many) │ city-srv │ town-files" in flat
    assert "state-repo │ town │ 8003 │ 1.0 GiB │ town-app" in flat
    assert "city-srv │ town │ 8003 │ 2.0 GiB │ town-app" in flat


def test_usage_charges_the_tenant_for_its_repositories_and_the_operator_for_none(many):
    assert ikzops("verify").exit_code == ExitCode.OK  # verify samples the bytes on disk
    result = ikzops("usage", "--format", "json")
    assert result.exit_code == ExitCode.OK, result.output
    partners = {entry["partner"]: entry for entry in json.loads(result.output)["partners"]}
    town = {site["site"]: site for site in partners["town"]["sites"]}
    assert set(town) == {"shared", "city"} and all(site["repository_bytes"] > 0 for site in town.values())
    assert all(site["repository_bytes"] == 0 for site in partners.get("state", {"sites": []})["sites"])
