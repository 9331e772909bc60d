from pathlib import Path

import pytest

from ikzops.errors import ConfigError
from ikzops.lab import docker, images
from ikzops.lab.topology import topology
from ikzops.model.loader import load

ROOT = Path(__file__).resolve().parents[3]


def test_lab_topology_matches_lab_inventory():
    p = load(ROOT / "inventories/lab.py")
    topo = topology(p)
    assert topo.subnet == "172.30.77.0/24"
    assert {h.name for h in topo.hosts} == set(p.hosts)
    assert {h.site for h in topo.site("city")} == {"city"}
    assert topo.host("city-san").roles == ("storage", "repository")


def test_hosts_in_two_networks_are_refused(inv, tmp_path):
    inv.hosts["b-app"]["data"]["ssh_hostname"] = "10.9.1.22"
    with pytest.raises(ConfigError, match="share one /24"):
        topology(load(inv.write(tmp_path)))


def test_host_name_instead_of_address_is_refused(inv, tmp_path):
    inv.hosts["b-app"]["data"]["ssh_hostname"] = "b-app.example"
    with pytest.raises(ConfigError, match="needs an IPv4 address"):
        topology(load(inv.write(tmp_path)))


def test_gateway_address_is_refused(inv, tmp_path):
    inv.hosts["b-app"]["data"]["ssh_hostname"] = "10.9.0.1"
    with pytest.raises(ConfigError, match="reserved"):
        topology(load(inv.write(tmp_path)))


def test_containers_get_what_hardened_units_need_but_not_privileged():
    topo = topology(load(ROOT / "inventories/lab.py"))
    argv = docker.container_run(topo, topo.hosts[0], "img", "lab-1").argv
    assert "--privileged" not in argv
    for capability in ("SYS_ADMIN", "SYS_PTRACE"):
        assert capability in argv
    assert "seccomp=unconfined" in argv


def test_target_image_tag_follows_its_recipe():
    a = images.target_recipe("ikzops-lab/base:aaa").tag
    assert a == images.target_recipe("ikzops-lab/base:aaa").tag
    assert a != images.target_recipe("ikzops-lab/base:bbb").tag


def test_containers_are_labelled_with_the_state_folders_lab_id():
    topo = topology(load(ROOT / "inventories/lab.py"))
    argv = docker.container_run(topo, topo.hosts[0], "img", "abc123").argv
    assert "ikzops.lab-id=abc123" in argv
