from pathlib import Path

import pytest

from ikzops.errors import ConfigError
from ikzops.model.loader import load
from ikzops.orchestrate.drill import plan

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def p():
    return load(ROOT / "inventories/lab.py")


def test_by_default_every_job_is_drilled_from_its_first_partner_site(p):
    assert [(job.name, site) for job, site in plan(p, (), None, False)] == [
        ("city-files", "district"), ("city-db", "district"), ("district-files", "city"),
        ("city-san-luns", "district"), ("district-archive-lun", "city")]


def test_from_a_site_drills_every_job_with_a_copy_there_own_site_included(p):
    assert [(job.name, site) for job, site in plan(p, (), "city", False)] == [
        ("city-files", "city"), ("city-db", "city"), ("district-files", "city"), ("city-san-luns", "city"),
        ("district-archive-lun", "city")]


def test_a_named_job_without_a_copy_at_the_site_is_a_usage_error(tmp_path, inv):
    inv.hosts["c-san"] = {"site": "c", "roles": ["repository"], "data": {"ssh_hostname": "10.9.0.31"}}
    inv.data["ikz_sites"]["c"] = {"partner": "Partner C"}
    three = load(inv.write(tmp_path))
    with pytest.raises(ConfigError, match="no copy at c"):
        plan(three, ("a-files",), "c", False)


def test_a_site_holding_no_selected_copy_is_a_usage_error(tmp_path, inv):
    inv.hosts["c-san"] = {"site": "c", "roles": ["repository"], "data": {"ssh_hostname": "10.9.0.31"}}
    inv.data["ikz_sites"]["c"] = {"partner": "Partner C"}
    with pytest.raises(ConfigError, match="nothing to drill"):
        plan(load(inv.write(tmp_path)), (), "c", False)


def test_an_unknown_site_or_job_is_a_usage_error(p):
    with pytest.raises(ConfigError, match="unknown site"):
        plan(p, (), "moon", False)
    with pytest.raises(ConfigError, match="unknown job"):
        plan(p, ("nope",), None, False)
