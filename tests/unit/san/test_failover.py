"""A LUN restored onto another storage host keeps its target IQN, LUN number, CHAP account and ACL."""

from __future__ import annotations

import pytest

from ikzops.errors import ConfigError
from ikzops.model.loader import load
from ikzops.san import failover
from ikzops.san.targets import targets_for
from tests.inventories import Inventory


@pytest.fixture
def p(tmp_path):
    inv = Inventory()
    inv.data["ikz_luns"]["a-second"] = {"partner": "a", "host": "a-san", "pool": "san", "size": "128M",
                                        "initiators": ["iqn.2026-11.test.ikzops:b-app"]}
    inv.hosts["b-san"]["data"]["ikz_pools"] = {"lvm": {"backing": "lvm", "vg": "vg0", "size": "1G"},
                                              "spare": {"backing": "file", "path": "/srv/spare", "size": "1G"}}
    return load(inv.write(tmp_path))


def test_the_restored_lun_keeps_its_iqn_number_chap_user_and_initiators(p):
    original = targets_for(p, "a-san")[0]
    target = failover.failover_target(p, "b-san", {"a-second"})
    assert target.iqn == original.iqn and target.chap_user == original.chap_user
    assert [(lun.name, lun.number) for lun in target.luns] == [("a-second", 2)]
    assert target.initiators == ("iqn.2026-11.test.ikzops:b-app",)


def test_it_goes_to_a_file_pool_of_the_new_host_when_none_has_its_pools_name(p):
    assert failover.restored_device(p, "a-disk", "b-san") == "/srv/spare/a-disk.img"
    assert failover.failover_target(p, "b-san", {"a-disk", "a-second"}).luns[0].device == "/srv/spare/a-disk.img"


def test_a_host_without_a_file_pool_is_refused(tmp_path):
    p = load(Inventory().write(tmp_path))
    with pytest.raises(ConfigError, match="no file pool"):
        failover.restored_device(p, "a-disk", "b-san")


def test_its_config_is_named_apart_from_the_deploys_own(p):
    assert failover.config_path(p, "a-disk") == "/etc/tgt/conf.d/ikzops-failover-a.a-san.conf"
