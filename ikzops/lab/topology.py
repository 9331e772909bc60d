"""What the lab is, read from its inventory: one container per host, one network.

``ikzops lab up`` creates exactly what the lab inventory describes, so the two
cannot drift apart.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ikzops import layout
from ikzops.errors import ConfigError
from ikzops.model.buckets import endpoint_address, s3_of
from ikzops.model.partnership import Partnership
from ikzops.model.schema import ROLES

#: the docker label of every lab container (its value: the lab's partnership)
LAB_LABEL = "ikzops.lab"


@dataclass(frozen=True)
class LabHost:
    name: str
    address: str
    site: str
    roles: tuple[str, ...]
    container: str
    #: it stands in for the S3 gateway a repository host names (the lab runs Ceph there)
    gateway: bool = False


@dataclass(frozen=True)
class Topology:
    partnership: str
    network: str
    subnet: str
    hosts: tuple[LabHost, ...]

    @property
    def label(self) -> str:
        return f"{LAB_LABEL}={self.partnership}"

    def host(self, name: str) -> LabHost:
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(name)

    def site(self, site: str) -> list[LabHost]:
        return [h for h in self.hosts if h.site == site]


def topology(p: Partnership) -> Topology:
    """The lab for ``p``: every host needs an IPv4 address, all in one /24."""

    networks = set()
    for host in p.hosts.values():
        try:
            address = ipaddress.IPv4Address(host.address)
        except ValueError:
            raise ConfigError(
                f"lab host {host.name} needs an IPv4 address as ssh_hostname, not {host.address!r}"
            ) from None
        if host.port != 22:
            raise ConfigError(f"lab host {host.name}: the lab's sshd listens on port 22")
        networks.add(ipaddress.IPv4Network(f"{address}/24", strict=False))
    if len(networks) != 1:
        raise ConfigError(
            "the lab's hosts must share one /24 network, found " + ", ".join(sorted(map(str, networks)))
        )
    subnet = networks.pop()
    reserved = {subnet.network_address + 1, subnet.network_address, subnet.broadcast_address}
    for host in p.hosts.values():
        if ipaddress.IPv4Address(host.address) in reserved:
            raise ConfigError(f"lab host {host.name}: {host.address} is reserved (network, gateway or broadcast)")
    endpoints = {endpoint_address(spec)[0] for h in p.hosts.values() if (spec := s3_of(h)) is not None}
    hosts = tuple(
        LabHost(
            name=h.name,
            address=h.address,
            site=h.site,
            roles=tuple(r for r in ROLES if h.has(r)),
            container=f"ikzops-{p.name}-{h.name}",
            gateway=bool(endpoints & set(layout.server_names(h))),
        )
        for h in p.hosts.values()
    )
    return Topology(partnership=p.name, network=f"ikzops-{p.name}", subnet=str(subnet), hosts=hosts)
