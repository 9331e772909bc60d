"""Every inventory error is caught, with its place, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ikzops.errors import ConfigError, ExitCode
from ikzops.model.loader import load
from ikzops.model.problems import InventoryInvalid, Problem
from tests.inventories import Inventory


def problems(inv: Inventory, tmp_path: Path) -> list[Problem]:
    with pytest.raises(InventoryInvalid) as caught:
        load(inv.write(tmp_path))
    assert caught.value.exit_code == ExitCode.CONFIG
    return caught.value.problems


def only(inv: Inventory, tmp_path: Path) -> Problem:
    found = problems(inv, tmp_path)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_valid_inventory_loads_into_partnership(inv, tmp_path):
    p = load(inv.write(tmp_path))
    assert set(p.sites) == {"a", "b"}
    assert p.hosts["a-san"].roles == {"storage", "repository"}
    assert p.jobs["a-files"].destinations == ("a", "b")
    assert p.backup_matrix()["b-files"] == {"a": "copy", "b": "own"}


@pytest.mark.fault("bad-input")
def test_destination_own_site_only_is_no_offsite_copy(inv, tmp_path):
    inv.data["ikz_jobs"]["a-files"]["destinations"] = ["a"]
    problem = only(inv, tmp_path)
    assert problem.path == ("ikz_jobs", "a-files", "destinations")
    assert "no offsite copy" in problem.message
    assert problem.file.endswith("group_data/inv.py") and problem.line


@pytest.mark.fault("bad-input")
def test_unknown_destination_site_is_named(inv, tmp_path):
    inv.data["ikz_jobs"]["a-files"]["destinations"] = ["b", "mars"]
    problem = only(inv, tmp_path)
    assert problem.path == ("ikz_jobs", "a-files", "destinations", 1)
    assert "unknown site 'mars'" in problem.message


@pytest.mark.fault("bad-input")
def test_unknown_client_host_is_named(inv, tmp_path):
    inv.data["ikz_jobs"]["a-files"]["client"] = "a-ghost"
    problem = only(inv, tmp_path)
    assert problem.path == ("ikz_jobs", "a-files", "client")
    assert "unknown host 'a-ghost'" in problem.message


@pytest.mark.fault("bad-input")
def test_client_without_client_role_is_refused(inv, tmp_path):
    inv.data["ikz_jobs"]["a-files"]["client"] = "a-san"
    assert "does not have the 'client' role" in only(inv, tmp_path).message


@pytest.mark.fault("bad-input")
def test_duplicate_address_names_both_hosts(inv, tmp_path):
    inv.hosts["b-app"]["data"]["ssh_hostname"] = "10.9.0.12"
    found = problems(inv, tmp_path)
    assert {p.path for p in found} == {
        ("hosts", "a-app", "ssh_hostname"), ("hosts", "b-app", "ssh_hostname"),
    }
    assert all("10.9.0.12:22 is also used by" in p.message for p in found)
    assert all(p.file.endswith("inv.py") and p.line for p in found)


@pytest.mark.fault("bad-input")
def test_rpo_shorter_than_schedule_gap_is_refused(inv, tmp_path):
    inv.data["ikz_jobs"]["a-files"].update(schedule="daily", rpo="6h")
    problem = only(inv, tmp_path)
    assert problem.path == ("ikz_jobs", "a-files", "rpo")
    assert "RPO 6h cannot be met" in problem.message and "1d" in problem.message


@pytest.mark.fault("bad-input")
def test_lun_larger_than_its_pool_is_refused(inv, tmp_path):
    inv.data["ikz_luns"]["a-disk"]["size"] = "2G"
    problem = only(inv, tmp_path)
    assert problem.path == ("ikz_luns", "a-disk", "size")
    assert "larger than pool a-san/san" in problem.message


@pytest.mark.fault("bad-input")
def test_luns_overcommitting_a_pool_are_refused(inv, tmp_path):
    for name in ("a-disk2", "a-disk3"):
        inv.data["ikz_luns"][name] = dict(inv.data["ikz_luns"]["a-disk"], size="400M")
    problem = only(inv, tmp_path)
    assert problem.path == ("hosts", "a-san", "ikz_pools", "san", "size")
    assert "need 1.0 GiB" in problem.message


@pytest.mark.fault("bad-input")
def test_destination_site_without_repository_is_refused(inv, tmp_path):
    inv.hosts["b-san"]["roles"] = ["storage"]
    found = problems(inv, tmp_path)
    assert any(
        p.path == ("ikz_jobs", "a-files", "destinations") and "site 'b' has no host with the 'repository' role" in p.message
        for p in found
    )


@pytest.mark.fault("bad-input")
def test_python_syntax_error_gives_file_and_line(inv, tmp_path):
    inv.inventory_text = "a = [\n    ('a-san', {'ssh_hostname': '10.9.0.11'),\n]\n"
    problem = only(inv, tmp_path)
    assert "syntax error" in problem.message
    assert problem.file.endswith("inv.py") and problem.line == 2


@pytest.mark.fault("bad-input")
def test_exception_in_group_data_gives_file_and_line(inv, tmp_path):
    inv.group_data_text = "ikz_partnership = 'test'\nikz_sites = {}\nx = 1 / 0\n"
    problem = only(inv, tmp_path)
    assert "ZeroDivisionError" in problem.message
    assert problem.file.endswith("group_data/inv.py") and problem.line == 3


@pytest.mark.fault("bad-input")
def test_missing_inventory_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist") as caught:
        load(tmp_path / "nope.py")
    assert caught.value.exit_code == ExitCode.CONFIG


@pytest.mark.fault("bad-input")
def test_every_problem_is_reported_at_once(inv, tmp_path):
    inv.data["ikz_jobs"]["a-files"]["destinations"] = ["a"]
    inv.data["ikz_jobs"]["b-files"]["client"] = "nobody"
    inv.data["ikz_luns"]["a-disk"]["size"] = "5G"
    inv.hosts["b-app"]["data"]["ssh_hostname"] = "10.9.0.12"
    assert len(problems(inv, tmp_path)) == 5


@pytest.mark.fault("bad-input")
def test_typo_in_job_field_is_unknown_field_with_line(inv, tmp_path):
    inv.data["ikz_jobs"]["a-files"]["retension"] = {"keep_daily": 3}
    problem = only(inv, tmp_path)
    assert problem.path == ("ikz_jobs", "a-files", "retension")
    assert problem.message == "unknown field (typo?)"
    assert problem.line is not None


@pytest.mark.fault("bad-input")
def test_typo_in_ikz_host_key_is_reported(inv, tmp_path):
    inv.hosts["a-app"]["data"]["ikz_pool"] = {}
    assert only(inv, tmp_path).path == ("hosts", "a-app", "ikz_pool")


@pytest.mark.fault("bad-input")
@pytest.mark.parametrize("path", ["srv/data", "/srv/../etc/shadow", "/srv/da\x00ta"])
def test_bad_backup_paths_are_refused(inv, tmp_path, path):
    inv.data["ikz_jobs"]["a-files"]["paths"] = [path]
    assert only(inv, tmp_path).path == ("ikz_jobs", "a-files", "paths", 0)


@pytest.mark.fault("bad-input")
def test_path_traversal_in_job_name_is_refused(inv, tmp_path):
    inv.data["ikz_jobs"]["../../etc"] = inv.data["ikz_jobs"].pop("a-files")
    assert "does not match" in only(inv, tmp_path).message


@pytest.mark.fault("bad-input")
@pytest.mark.parametrize("value", ["soon", "-1h", "0s", True])
def test_bad_rpo_values_are_refused(inv, tmp_path, value):
    inv.data["ikz_jobs"]["a-files"]["rpo"] = value
    assert only(inv, tmp_path).path[:3] == ("ikz_jobs", "a-files", "rpo")


@pytest.mark.fault("bad-input")
def test_unsupported_schedule_is_refused_with_example(inv, tmp_path):
    inv.data["ikz_jobs"]["a-files"]["schedule"] = "2026-01-01 00:00"
    assert "unsupported schedule" in only(inv, tmp_path).message


@pytest.mark.fault("bad-input")
def test_retention_keeping_nothing_is_refused(inv, tmp_path):
    inv.data["ikz_jobs"]["a-files"]["retention"] = {"keep_daily": 0, "keep_weekly": 0, "keep_monthly": 0}
    assert "keeps nothing" in only(inv, tmp_path).message


@pytest.mark.fault("bad-input")
def test_absurd_lun_size_is_refused(inv, tmp_path):
    inv.data["ikz_luns"]["a-disk"]["size"] = "9999999P"
    assert "absurdly large" in only(inv, tmp_path).message


@pytest.mark.fault("bad-input")
def test_malformed_initiator_iqn_is_refused(inv, tmp_path):
    inv.data["ikz_luns"]["a-disk"]["initiators"] = ["not-an-iqn"]
    assert only(inv, tmp_path).path == ("ikz_luns", "a-disk", "initiators", 0)


@pytest.mark.fault("bad-input")
def test_lun_of_unknown_partner_is_refused(inv, tmp_path):
    inv.data["ikz_luns"]["a-disk"]["partner"] = "c"
    assert "unknown site 'c'" in only(inv, tmp_path).message


@pytest.mark.fault("bad-input")
def test_lun_in_unknown_pool_is_refused(inv, tmp_path):
    inv.data["ikz_luns"]["a-disk"]["pool"] = "nvme"
    assert "has no pool 'nvme'" in only(inv, tmp_path).message


@pytest.mark.fault("bad-input")
def test_host_in_no_site_group_is_refused(inv, tmp_path):
    inv.hosts["a-app"]["site"] = "c"
    found = problems(inv, tmp_path)
    assert any(p.path == ("hosts", "a-app") and "in no site group" in p.message for p in found)


@pytest.mark.fault("bad-input")
def test_repository_reservations_over_volume_size_are_refused(inv, tmp_path):
    inv.hosts["a-san"]["data"]["ikz_repository"]["reserve"] = {"a": "8G", "b": "8G"}
    assert "more than the volume's" in only(inv, tmp_path).message


@pytest.mark.fault("bad-input")
def test_wrong_type_for_jobs_is_refused(inv, tmp_path):
    inv.data["ikz_jobs"] = ["a-files"]
    assert "must be a dict" in only(inv, tmp_path).message


@pytest.mark.fault("bad-input")
def test_missing_sites_is_refused(inv, tmp_path):
    del inv.data["ikz_sites"]
    assert any(p.path == ("ikz_sites",) for p in problems(inv, tmp_path))


def test_three_sites_each_backing_up_to_the_next_are_valid(inv, tmp_path):
    inv.data["ikz_sites"]["c"] = {"partner": "Partner C"}
    inv.hosts["c-san"] = {"site": "c", "roles": ["repository"], "data": {"ssh_hostname": "10.9.0.31"}}
    inv.hosts["c-app"] = {"site": "c", "roles": ["client"], "data": {"ssh_hostname": "10.9.0.32"}}
    inv.data["ikz_jobs"]["c-files"] = {
        "client": "c-app", "paths": ["/srv"], "rpo": "1h", "rto": "1h", "destinations": ["a", "b"],
    }
    inv.hosts["a-san"]["data"]["ikz_repository"]["size"] = "12G"  # room for c, which reserves nothing
    p = load(inv.write(tmp_path))
    assert p.jobs["c-files"].destinations == ("c", "a", "b")
    assert p.backup_matrix()["c-files"] == {"a": "copy", "b": "copy", "c": "own"}


@pytest.mark.fault("bad-input")
def test_a_job_written_twice_under_one_name_is_named_not_silently_dropped(inv, tmp_path):
    text = inv._group_data()
    job = "'a-files': {"
    assert job in text
    inv.group_data_text = text.replace(job, "'a-files': {'client': 'a-app', 'paths': ['/srv/other']},\n    " + job, 1)
    problem = only(inv, tmp_path)
    assert problem.path == ("ikz_jobs", "a-files")
    assert "written twice" in problem.message and problem.file.endswith("group_data/inv.py") and problem.line


@pytest.mark.fault("bad-input")
def test_a_host_setting_written_twice_is_named(inv, tmp_path):
    text = inv._inventory()
    inv.inventory_text = text.replace("{'ssh_hostname'", "{'ssh_port': 22, 'ssh_port': 2222, 'ssh_hostname'", 1)
    assert inv.inventory_text != text
    problem = only(inv, tmp_path)
    assert problem.path[-1] == "ssh_port" and "written twice" in problem.message


@pytest.mark.fault("bad-input")
def test_a_standby_in_the_same_site_is_refused(inv, tmp_path):
    inv.hosts["a-app"]["data"]["ikz_standby"] = "a-san"
    problem = only(inv, tmp_path)
    assert problem.path == ("hosts", "a-app", "ikz_standby") and "another site" in problem.message


@pytest.mark.fault("bad-input")
def test_an_unknown_standby_is_named(inv, tmp_path):
    inv.hosts["a-app"]["data"]["ikz_standby"] = "nowhere"
    assert "unknown host 'nowhere'" in only(inv, tmp_path).message


@pytest.mark.fault("bad-input")
def test_host_data_that_is_not_a_dict_is_named_with_its_line(inv, tmp_path):
    text = inv._inventory()
    entry = next(line for line in text.splitlines() if line.startswith("    ('a-app', {"))
    inv.inventory_text = text.replace(entry, "    ('a-app', 5),")
    problem = only(inv, tmp_path)
    line = inv.inventory_text.splitlines().index("    ('a-app', 5),") + 1
    assert "host 2 must be a name or (name, {data})" in problem.message
    assert problem.file.endswith("inv.py") and problem.line == line


@pytest.mark.fault("bad-input")
def test_errors_are_placed_in_the_group_data_that_applies_not_in_a_file_for_another_inventory(inv, tmp_path):
    # group_data/ beside the inventory may hold other inventories' files (inventories/ does):
    # a file for a group without hosts here must not be blamed for a problem
    inv.data["ikz_jobs"]["a-files"]["rpo"] = "0s"
    path = inv.write(tmp_path)
    (tmp_path / "group_data" / "other.py").write_text("ikz_jobs = {\n    'a-files': {},\n}\n")
    with pytest.raises(InventoryInvalid) as caught:
        load(path)
    assert [p.file.rsplit("/", 1)[-1] for p in caught.value.problems] == ["inv.py"]
    assert all("group_data" in p.file for p in caught.value.problems)
