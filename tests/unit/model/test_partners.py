"""Partners apart from sites: operators, administrators, owners, and whose keys go where."""

from __future__ import annotations

import pytest

from ikzops.model import access
from ikzops.model.loader import load
from tests.unit.model.test_checks import only, problems


def partnered(inv, trust_a=("b",), trust_b=("a",)):
    inv.data["ikz_partners"] = {
        "a": {"name": "Partner A", "contact": "backup@a.example", "trust": list(trust_a)},
        "b": {"name": "Partner B", "trust": list(trust_b)},
    }
    inv.data["ikz_sites"] = {"a": {"partner": "a"}, "b": {"partner": "b"}}
    return inv


def test_without_ikz_partners_each_site_operator_is_a_partner_trusting_the_others(inv, tmp_path):
    p = load(inv.write(tmp_path))
    assert set(p.partners) == {"a", "b"} and p.partners["a"].name == "Partner A"
    assert p.partners["a"].trusts("b") and not p.partners["a"].declared
    assert p.hosts["b-san"].admin == "b" and p.jobs["a-files"].owner == "a"


def test_a_jobs_key_is_on_its_client_and_every_destinations_repository_host(inv, tmp_path):
    p = load(inv.write(tmp_path))
    found = {(h.host, h.admin) for h in access.holders(p, p.jobs["a-files"])}
    assert found == {("a-app", "a"), ("a-san", "a"), ("b-san", "b")}


def test_declared_partners_who_trust_each_other_load(inv, tmp_path):
    p = load(partnered(inv).write(tmp_path))
    assert p.operator("a").contact == "backup@a.example"
    assert {h.admin for h in access.matrix(p) if h.owner == "a"} == {"a", "b"}


@pytest.mark.fault("bad-input")
def test_a_key_on_a_host_of_an_untrusted_partner_is_refused_naming_job_host_and_partners(inv, tmp_path):
    problem = only(partnered(inv, trust_a=()), tmp_path)
    assert problem.path == ("ikz_jobs", "a-files")
    assert "b-san" in problem.message and "administered by b" in problem.message
    assert "ikz_partners.a.trust" in problem.message


def test_a_partners_own_host_in_anothers_building_needs_no_trust(inv, tmp_path):
    # partner a administers the repository host standing in b's data centre
    inv.hosts["b-san"]["data"]["ikz_admin"] = "a"
    inv.data["ikz_jobs"].pop("b-files")
    p = load(partnered(inv, trust_a=(), trust_b=()).write(tmp_path))
    assert p.hosts["b-san"].admin == "a" and p.operator("b").key == "b"
    assert not access.untrusted(p)


def test_a_job_owned_by_a_tenant_without_a_data_centre(inv, tmp_path):
    partnered(inv)
    inv.data["ikz_partners"]["town"] = {"name": "Small town", "trust": ["a", "b"]}
    inv.data["ikz_jobs"]["a-files"]["owner"] = "town"
    inv.hosts["a-san"]["data"]["ikz_repository"]["reserve"]["town"] = "1G"
    inv.hosts["a-san"]["data"]["ikz_repository"]["size"] = "11G"
    p = load(inv.write(tmp_path))
    assert p.jobs["a-files"].owner == "town"
    assert {h.admin for h in access.holders(p, p.jobs["a-files"])} == {"a", "b"}


@pytest.mark.fault("bad-input")
def test_unknown_partners_are_each_named_where_written(inv, tmp_path):
    partnered(inv)
    inv.data["ikz_partners"]["a"]["trust"] = ["nobody"]
    inv.data["ikz_sites"]["b"] = {"partner": "Partner B"}
    inv.hosts["a-app"]["data"]["ikz_admin"] = "ghost"
    inv.data["ikz_jobs"]["a-files"]["owner"] = "phantom"
    paths = {p.path for p in problems(inv, tmp_path)}
    assert {("ikz_partners", "a", "trust", 0), ("ikz_sites", "b", "partner"), ("hosts", "a-app", "ikz_admin"),
            ("ikz_jobs", "a-files", "owner")} <= paths


def test_without_ikz_partners_a_partner_named_like_another_site_still_operates_its_own(inv, tmp_path):
    inv.data["ikz_sites"]["a"] = {"partner": "b"}  # an organisation's name that happens to be a site's
    p = load(inv.write(tmp_path))
    assert p.operator("a").key == "a" and p.operator("a").name == "b"
    assert p.hosts["a-san"].admin == "a" and p.jobs["a-files"].owner == "a"
