"""The shared SAN in the lab: real tgt, real libiscsi initiator, from the other site."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner

from ikzops.cli import cli
from ikzops.orchestrate import deploy as orchestrator
from ikzops.san.targets import chap_user, target_iqn, targets_for
from ikzops.secrets.store import SecretStore
from ikzops.state import state_root, write_secret
from tests.lab.helpers import LAB, iscsi, lab_inventory_copy


@pytest.fixture(scope="module")
def partnership(p):
    return p


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
    number = next(entry.number for t in targets_for(p, lun.host) for entry in t.luns if entry.name == lun_name)
    return f"iscsi://{lun.host}/{target_iqn(p, lun.partner, lun.host)}/{number}"


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
        result = login_as(partnership, hosts, name)
        assert result.rc == 0, result.stderr
        assert f"Total size:{lun.size}" in result.stdout


def test_inquiry_sees_the_lun_by_its_scsi_id(deployed, partnership, hosts):
    result = login_as(partnership, hosts, "district-archive", tool="iscsi-inq -e 1 -c 0x83")
    assert result.rc == 0, result.stderr
    assert "ikz-district-archive" in result.stdout


@pytest.mark.fault("credential")
def test_wrong_chap_secret_is_refused(deployed, partnership, hosts):
    result = login_as(partnership, hosts, "district-fileserver", secret="wrong-secret-123")
    assert result.rc != 0
    assert "Authentication failure" in result.stderr


@pytest.mark.fault("attack")
def test_initiator_not_in_acl_is_refused(deployed, partnership, hosts):
    result = login_as(partnership, hosts, "district-fileserver", initiator="iqn.2026-11.lab.ikzops:intruder")
    assert result.rc != 0
    assert "Target not found" in result.stderr


@pytest.mark.fault("attack")
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
    assert all(hosts["city-san"].file(f"/etc/tgt/conf.d/ikzops-{p}.conf").mode == 0o600 for p in ("city", "district"))


def test_dry_run_lists_a_grown_lun_and_leaves_the_host_alone(deployed, hosts, tmp_path, lab_state_env):
    inventory = lab_inventory_copy(tmp_path, replace={
        '"partner": "district", "host": "district-san", "pool": "san", "size": "512M"':
        '"partner": "district", "host": "district-san", "pool": "san", "size": "600M"',
    })
    report = orchestrator.deploy(str(inventory), only=("storage",), dry=True)
    assert "district-san" in report.changes_by_host()
    assert hosts["district-san"].file("/srv/ikzops/san/district-archive.img").size == 512 << 20


@pytest.mark.fault("bad-input")
def test_removing_a_lun_from_the_model_is_refused_and_keeps_its_data(deployed, hosts, tmp_path, lab_state_env):
    # district-fileserver: city-san's pool job backs up what is left of the pool
    inventory = lab_inventory_copy(tmp_path, drop_lun="district-fileserver")
    result = CliRunner().invoke(cli, ["deploy", "-i", str(inventory), "--only", "storage"])
    assert result.exit_code == 2
    assert "district-fileserver" in result.output and "--allow-destroy" in result.output
    assert "Traceback" not in result.output
    assert hosts["city-san"].file("/srv/ikzops/san/district-fileserver.img").exists


@pytest.mark.fault("bad-input")
def test_unknown_limit_is_a_config_error_before_any_host(deployed):
    result = CliRunner().invoke(cli, ["deploy", "-i", LAB, "--limit", "mars"])
    assert result.exit_code == 2 and "no such host or group" in result.output


def test_repository_volume_belongs_to_the_rest_server_user(deployed, partnership, hosts):
    for host in partnership.hosts_with("repository"):
        volume = hosts[host.name].file(host.repository.path)
        assert volume.is_directory and volume.user == "restic-rest-server" and volume.mode == 0o750


def test_capacity_plan_records_each_partners_reservation(deployed, partnership, hosts):
    import json

    plan = json.loads(hosts["district-san"].file("/etc/ikzops/capacity.json").content_string)
    # city-san is a client too: its LUN job sends the city's LUN images there
    assert plan["partners"]["city"] == {"reserved_bytes": 16 << 30, "quota_bytes": 16 << 30, "port": 8000,
                                        "path": "/srv/ikzops/repositories/city", "clients": ["city-app", "city-san"]}
    assert plan["size_bytes"] == 32 << 30


@pytest.mark.fault("bad-input")
def test_reservations_larger_than_the_filesystem_are_refused(deployed, tmp_path, lab_state_env):
    inventory = lab_inventory_copy(tmp_path)
    text = inventory.read_text().replace('"size": "32G"', '"size": "900P"').replace(
        '"reserve": {"city": "16G", "district": "16G"}', '"reserve": {"city": "400P", "district": "400P"}'
    )
    inventory.write_text(text)
    result = CliRunner().invoke(cli, ["deploy", "-i", str(inventory), "--only", "storage", "--limit", "city-san"])
    assert result.exit_code == 2
    assert "less than the" in result.output and "reserved for the partners" in result.output


def test_rotated_chap_secret_takes_effect_and_the_old_one_stops_working(deployed, partnership, hosts):
    store = SecretStore(partnership.name)
    old = store.get_or_create("chap", "district")
    write_secret(store.path("chap", "district"), f"rotated-{uuid.uuid4().hex[:8]}\n")
    report = orchestrator.deploy(LAB, only=("storage",))
    assert not report.errors and report.changes > 0
    assert login_as(partnership, hosts, "district-archive").rc == 0
    assert login_as(partnership, hosts, "district-archive", secret=old).rc != 0
