"""The shared SAN in the lab: real tgt, real libiscsi initiator, from the other site."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ikzops.cli import cli
from ikzops.lab.state import state_root
from ikzops.model.loader import load
from ikzops.orchestrate import deploy as orchestrator
from ikzops.secrets import SecretStore
from ikzops.storage.targets import chap_user, target_iqn
from tests.lab.helpers import ROOT, iscsi, lab_inventory_copy

LAB = str(ROOT / "inventories/lab.py")


@pytest.fixture(scope="module")
def partnership():
    return load(LAB)


@pytest.fixture(scope="module")
def deployed(lab):
    report = orchestrator.deploy(LAB, only=("storage",))
    assert not report.errors, report.errors
    return report


@pytest.fixture
def lab_state_env(monkeypatch):
    monkeypatch.setenv("IKZOPS_STATE_DIR", str(state_root()))


def other_site_client(p, hosts, storage_host):
    site = p.hosts[storage_host].site
    return next(hosts[h.name] for h in p.hosts_with("client") if h.site != site)


def url(p, lun_name):
    lun = p.luns[lun_name]
    return f"iscsi://{lun.host}/{target_iqn(p, lun.partner, lun.host)}/1"


def login_as(p, hosts, lun_name, *, partner=None, initiator=None, secret=None, tool="iscsi-readcapacity16"):
    lun = p.luns[lun_name]
    partner = partner or lun.partner
    return iscsi(
        other_site_client(p, hosts, lun.host), tool, url(p, lun_name),
        initiator or lun.initiators[0], chap_user(p, partner),
        secret if secret is not None else SecretStore(p.name).get_or_create("chap", partner),
    )


def test_each_partner_lun_has_model_size_from_the_other_site(deployed, partnership, hosts):
    for name, lun in partnership.luns.items():
        if lun.host == "district-san":
            continue  # LUN number 1 of the target is the first LUN of that partner there
        result = login_as(partnership, hosts, name)
        assert result.rc == 0, result.stderr
        assert f"Total size:{lun.size}" in result.stdout


def test_inquiry_sees_the_lun_by_its_scsi_id(deployed, partnership, hosts):
    result = login_as(partnership, hosts, "district-archive", tool="iscsi-inq -e 1 -c 0x83")
    assert result.rc == 0, result.stderr
    assert "ikz-district-archive" in result.stdout


def test_wrong_chap_secret_is_refused(deployed, partnership, hosts):
    result = login_as(partnership, hosts, "district-fileserver", secret="wrong-secret-123")
    assert result.rc != 0
    assert "Authentication failure" in result.stderr


def test_initiator_not_in_acl_is_refused(deployed, partnership, hosts):
    result = login_as(partnership, hosts, "district-fileserver", initiator="iqn.2026-11.lab.ikzops:intruder")
    assert result.rc != 0
    assert "Target not found" in result.stderr


def test_partner_a_credentials_cannot_open_partner_b_target(deployed, partnership, hosts):
    result = login_as(partnership, hosts, "district-fileserver", partner="city")
    assert result.rc != 0
    assert "Authentication failure" in result.stderr


def test_second_deploy_changes_nothing(deployed):
    assert orchestrator.deploy(LAB, only=("storage",)).changes == 0


def test_chap_secrets_are_0600_and_never_in_deploy_output(deployed, partnership, hosts):
    store = SecretStore(partnership.name)
    result = CliRunner().invoke(cli, ["-vv", "deploy", "-i", LAB, "--only", "storage"])
    for partner in partnership.sites:
        path = store.path("chap", partner)
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.read_text().strip() not in result.output
    assert hosts["city-san"].file("/etc/tgt/conf.d/ikzops.conf").mode == 0o600


def test_dry_run_lists_a_grown_lun_and_leaves_the_host_alone(deployed, hosts, tmp_path, lab_state_env):
    inventory = lab_inventory_copy(tmp_path, replace={
        '"partner": "district", "host": "district-san", "pool": "san", "size": "512M"':
        '"partner": "district", "host": "district-san", "pool": "san", "size": "600M"',
    })
    report = orchestrator.deploy(str(inventory), only=("storage",), dry=True)
    assert "district-san" in report.changes_by_host()
    assert hosts["district-san"].file("/srv/ikzops/san/district-archive.img").size == 512 << 20


def test_removing_a_lun_from_the_model_is_refused_and_keeps_its_data(deployed, hosts, tmp_path, lab_state_env):
    inventory = lab_inventory_copy(tmp_path, drop_lun="district-archive")
    result = CliRunner().invoke(cli, ["deploy", "-i", str(inventory), "--only", "storage"])
    assert result.exit_code == 2
    assert "district-archive" in result.output and "--allow-destroy" in result.output
    assert "Traceback" not in result.output
    assert hosts["district-san"].file("/srv/ikzops/san/district-archive.img").exists


def test_unknown_limit_is_a_config_error_before_any_host(deployed):
    result = CliRunner().invoke(cli, ["deploy", "-i", LAB, "--limit", "mars"])
    assert result.exit_code == 2 and "no such host or group" in result.output
