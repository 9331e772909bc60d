"""LUN jobs in the model: named LUNs or a whole pool, on one storage host, each LUN in one job."""

from __future__ import annotations

import pytest

from ikzops.model.loader import load
from ikzops.model.partnership import LUN_IMAGE_DIR
from tests.unit.model.test_checks import only

LUN_JOB = {"schedule": "daily", "rpo": "25h", "rto": "1h", "destinations": ["b"]}


def with_job(inv, **fields):
    inv.data["ikz_jobs"]["a-luns"] = {**LUN_JOB, **fields}
    return inv


def test_a_pool_job_images_every_lun_of_the_pool_on_its_storage_host(inv, tmp_path):
    p = load(with_job(inv, pool="a-san/san").write(tmp_path))
    job = p.jobs["a-luns"]
    assert job.luns == ("a-disk",) and job.client == "a-san" and job.site == "a"
    assert job.spec.paths == [f"{LUN_IMAGE_DIR}/a-luns"] and job.image("a-disk") == f"{LUN_IMAGE_DIR}/a-luns/a-disk.img"
    assert p.lun_job("a-disk") is job


def test_a_job_of_named_luns_takes_its_client_from_their_host(inv, tmp_path):
    p = load(with_job(inv, luns=["a-disk"]).write(tmp_path))
    assert p.jobs["a-luns"].client == "a-san" and p.jobs["a-luns"].destinations == ("a", "b")


@pytest.mark.fault("bad-input")
def test_an_unknown_lun_is_named_with_its_place(inv, tmp_path):
    problem = only(with_job(inv, luns=["a-disk", "ghost"]), tmp_path)
    assert problem.path == ("ikz_jobs", "a-luns", "luns", 1) and "unknown LUN 'ghost'" in problem.message


@pytest.mark.fault("bad-input")
def test_a_pool_that_does_not_exist_is_refused(inv, tmp_path):
    problem = only(with_job(inv, pool="a-san/nope"), tmp_path)
    assert problem.path == ("ikz_jobs", "a-luns", "pool") and "no pool 'a-san/nope'" in problem.message


@pytest.mark.fault("bad-input")
def test_a_lun_job_with_files_or_hooks_is_refused_not_half_used(inv, tmp_path):
    problem = only(with_job(inv, luns=["a-disk"], paths=["/srv/data"], hooks={"before": ["true"]}), tmp_path)
    assert "takes no paths, hooks" in problem.message


@pytest.mark.fault("bad-input")
def test_a_job_without_client_and_without_luns_says_what_it_needs(inv, tmp_path):
    del inv.data["ikz_jobs"]["a-files"]["client"]
    problem = only(inv, tmp_path)
    assert problem.path[:2] == ("ikz_jobs", "a-files") and "name the 'client'" in problem.message


@pytest.mark.fault("bad-input")
def test_one_lun_in_two_jobs_is_refused(inv, tmp_path):
    inv.data["ikz_jobs"]["a-luns-2"] = {**LUN_JOB, "luns": ["a-disk"]}
    problem = only(with_job(inv, pool="a-san/san"), tmp_path)
    assert "already backed up by job" in problem.message


@pytest.mark.fault("bad-input")
def test_luns_of_two_storage_hosts_in_one_job_are_refused(inv, tmp_path):
    inv.data["ikz_luns"]["b-disk"] = {"partner": "b", "host": "b-san", "pool": "san", "size": "128M",
                                     "initiators": ["iqn.2026-11.test.ikzops:b-app"]}
    problem = only(with_job(inv, luns=["a-disk", "b-disk"]), tmp_path)
    assert "several storage hosts" in problem.message


@pytest.mark.fault("bad-input")
def test_a_bad_iqn_naming_authority_is_refused(inv, tmp_path):
    inv.data["ikz_iqn_base"] = "example.org"
    problem = only(inv, tmp_path)
    assert problem.path == ("ikz_iqn_base",)


def test_the_iqn_naming_authority_names_the_targets(inv, tmp_path):
    from ikzops.san.targets import targets_for

    inv.data["ikz_iqn_base"] = "iqn.2001-04.de.example"
    p = load(inv.write(tmp_path))
    assert targets_for(p, "a-san")[0].iqn == "iqn.2001-04.de.example:test.a.a-san"
