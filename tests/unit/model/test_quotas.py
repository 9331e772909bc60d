"""Each partner's quota on a repository host (pure: the model only)."""

from __future__ import annotations

import pytest

from ikzops import layout
from ikzops.model import quotas
from ikzops.model.loader import load
from tests.unit.model.test_checks import only, problems
from tests.unit.model.test_partners import partnered


def with_tenant(inv, reserve: str | None = None, size: str = "10G"):
    """Partner ``town`` (no data centre) owns a-files, which lands on a-san."""
    partnered(inv)
    inv.data["ikz_partners"]["town"] = {"name": "Small town", "trust": ["a", "b"]}
    inv.data["ikz_jobs"]["a-files"]["owner"] = "town"
    repository = inv.hosts["a-san"]["data"]["ikz_repository"]
    repository["size"] = size
    repository["reserve"] = {"b": "4G", **({"town": reserve} if reserve else {})}
    return inv


def test_a_partner_with_a_reservation_gets_it_as_its_quota(inv, tmp_path):
    p = load(with_tenant(inv, reserve="2G").write(tmp_path))
    assert quotas.quotas(p, "a-san") == {"b": 4 << 30, "town": 2 << 30}


def test_a_partner_without_a_reservation_gets_what_nobody_reserved(inv, tmp_path):
    p = load(with_tenant(inv).write(tmp_path))
    assert quotas.quotas(p, "a-san")["town"] == 6 << 30


def test_without_a_volume_size_an_unreserved_partner_has_no_limit(inv, tmp_path):
    inv.hosts["b-san"]["roles"].append("repository")  # b-san writes no ikz_repository: no size
    p = load(inv.write(tmp_path))
    assert quotas.quotas(p, "b-san") == {"a": None, "b": None}


def test_only_partners_whose_jobs_land_on_the_host_get_a_server(inv, tmp_path):
    p = load(with_tenant(inv, reserve="2G").write(tmp_path))
    # a reserves nothing on a-san and has no job landing there (a-files is town's now)
    assert [i.partner for i in layout.rest_instances(p, "a-san")] == ["b", "town"]


@pytest.mark.fault("bad-input")
def test_an_unreserved_partner_on_a_fully_reserved_volume_is_refused(inv, tmp_path):
    found = only(with_tenant(inv, size="4G"), tmp_path)
    assert found.path == ("hosts", "a-san", "ikz_repository", "reserve")
    assert "'town'" in found.message and "no reservation" in found.message


@pytest.mark.fault("bad-input")
def test_a_reservation_for_an_unknown_partner_is_refused(inv, tmp_path):
    inv.hosts["a-san"]["data"]["ikz_repository"]["reserve"] = {"a": "1G", "ghost": "1G"}
    found = only(inv, tmp_path)
    assert found.path == ("hosts", "a-san", "ikz_repository", "reserve", "ghost")
    assert "unknown partner 'ghost'" in found.message


@pytest.mark.fault("bad-input")
def test_a_partner_named_like_a_host_is_refused(inv, tmp_path):
    partnered(inv)
    inv.data["ikz_partners"]["a-app"] = {"name": "Confusing"}
    assert any("named like a host" in p.message for p in problems(inv, tmp_path))
