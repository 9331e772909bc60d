"""The lab's pinned host keys: one file for every lab on this machine (pure: a temporary folder)."""

from __future__ import annotations

from ikzops.lab.ssh import write_known_hosts
from ikzops.lab.state import LabState
from ikzops.lab.topology import LabHost


def host(name: str, address: str) -> LabHost:
    return LabHost(name, address, "s", ("client",), f"ikzops-x-{name}")


def test_pinning_one_labs_hosts_keeps_the_pins_of_another_lab(tmp_path):
    state = LabState(tmp_path)
    write_known_hosts(state, {host("a", "10.0.1.2"): "ssh-ed25519 AAAAold"})
    write_known_hosts(state, {host("b", "10.0.2.2"): "ssh-ed25519 AAAAother"})
    assert state.known_hosts.read_text().splitlines() == ["10.0.1.2,a ssh-ed25519 AAAAold",
                                                          "10.0.2.2,b ssh-ed25519 AAAAother"]


def test_a_recreated_host_replaces_its_old_pin(tmp_path):
    state = LabState(tmp_path)
    write_known_hosts(state, {host("a", "10.0.1.2"): "ssh-ed25519 AAAAold"})
    write_known_hosts(state, {host("a", "10.0.1.2"): "ssh-ed25519 AAAAnew"})
    assert state.known_hosts.read_text().splitlines() == ["10.0.1.2,a ssh-ed25519 AAAAnew"]
