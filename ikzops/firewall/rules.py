"""What each host accepts, by its roles, from the hosts that need it (pure: the model only).

* SSH: from the control hosts (``ikz_firewall.control``), where ikzops runs.
* Repository hosts: the REST port from the clients whose jobs land there (and their
  standbys, which take the jobs over when a site is lost) and the monitors (they scrape
  the rest-server's metrics); the restore servers' ports from every host of the
  partnership, since any host can be a restore's target.
* Every host: node_exporter from the monitors.
* Monitors: Prometheus and Alertmanager from the monitors (each watches every site).
* Storage hosts: iSCSI from every LUN's initiators - any storage host with a file pool
  may serve a LUN restored there after its site was lost, and tgt's ACL still admits
  each initiator to its own target only.
* Each host's own ``ikz_firewall_allow``.

The control hosts reach every port ikzops serves: they hold root over SSH on every host,
so refusing them a port would protect nothing, and on-call works from there (amtool,
curl against an endpoint, the TLS checks).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from ikzops import layout
from ikzops.agent.restore_server import PORTS as RESTORE_PORTS
from ikzops.model import networks
from ikzops.model.buckets import endpoint_address, s3_of
from ikzops.model.partnership import Partnership


@dataclass(frozen=True)
class Rule:
    #: what the port is for (the rule's comment in nftables, which keeps 128 bytes)
    why: str
    ports: str
    #: networks, collapsed; ``networks.EVERYWHERE`` for anyone
    sources: tuple[str, ...]
    proto: str = "tcp"
    #: whom it admits, by name (a comment line above the rule)
    whom: str = ""

    @property
    def anyone(self) -> bool:
        return set(networks.EVERYWHERE) <= set(self.sources)

    def family(self, version: int) -> tuple[str, ...]:
        return tuple(s for s in self.sources if ipaddress.ip_network(s).version == version)


def collapse(found: Iterable[str]) -> tuple[str, ...]:
    """Networks without repeats or entries inside another (nftables refuses overlapping
    elements in one set), sorted, /32 and /128 written as addresses."""

    nets = sorted({ipaddress.ip_network(n) for n in found}, key=lambda n: (n.version, n.network_address, n.prefixlen))
    kept = [n for n in nets if not any(o != n and o.version == n.version and n.subnet_of(o) for o in nets)]
    return tuple(str(n.network_address) if n.prefixlen == n.max_prefixlen else str(n) for n in kept)


def _addresses(p: Partnership, names: Iterable[str]) -> list[str]:
    return [found for name in names for found in networks.resolve(name, p.hosts) or ()]


def _port_range(ports: range) -> str:
    return f"{ports.start}-{ports.stop - 1}"


def ssh(p: Partnership, host_name: str) -> Rule:
    """SSH: from the control hosts only (the deploy refuses a ruleset that would not admit itself)."""

    assert p.firewall is not None
    return Rule("ssh", str(p.hosts[host_name].port), collapse(p.firewall.control), whom="the control hosts")


def _gateway(p: Partnership, host_name: str, control: list[str]) -> list[Rule]:
    """An S3 gateway on this very host (``ikz_repository.s3.endpoint`` names it): its port, for
    the clients whose jobs land there and their standbys, this host (retention, verify,
    drills as the owners) and control (provisioning). A gateway elsewhere is its own."""

    spec = s3_of(p.hosts[host_name])
    if spec is None:
        return []
    name, port = endpoint_address(spec)
    if name not in layout.server_names(p.hosts[host_name]):
        return []
    landing = p.jobs_landing_on(host_name)
    clients = {job.client for job in landing}
    clients |= {p.hosts[c].standby for c in clients if p.hosts[c].standby}
    keepers = {layout.destination(p, job, p.hosts[host_name].site).host for job in landing}
    return [Rule("S3 gateway", str(port), collapse([*_addresses(p, sorted(clients | keepers)), *control]),
                 whom=f"clients of the jobs landing here and their standbys ({', '.join(sorted(clients))}), "
                      f"the hosts maintaining the buckets ({', '.join(sorted(keepers))}), control")]


def rules(p: Partnership, host_name: str) -> list[Rule]:
    """Everything ``host_name`` accepts, in the order of the ruleset."""

    assert p.firewall is not None
    host = p.hosts[host_name]
    control = list(p.firewall.control)
    monitors = _addresses(p, (h.name for h in p.hosts_with("monitor")))
    monitor_names = ", ".join(h.name for h in p.hosts_with("monitor")) or "no monitor"
    found = [ssh(p, host_name)]
    if host.has("repository"):
        for instance in layout.rest_instances(p, host_name):
            clients = set(instance.clients) | {p.hosts[c].standby for c in instance.clients if p.hosts[c].standby}
            found.append(Rule(f"rest-server of {instance.partner}", str(instance.port),
                              collapse([*_addresses(p, sorted(clients)), *monitors, *control]),
                              whom=f"clients of {instance.partner}'s jobs landing here and their standbys "
                                   f"({', '.join(sorted(clients))}), monitors ({monitor_names}), control"))
        found += _gateway(p, host_name, control)
        found.append(Rule("restore servers", _port_range(RESTORE_PORTS), collapse([*_addresses(p, p.hosts), *control]),
                          whom="every host of the partnership (any can be a restore's target), control"))
    found.append(Rule("node_exporter", str(layout.NODE_EXPORTER_PORT), collapse([*monitors, *control]),
                      whom=f"monitors ({monitor_names}), control"))
    if host.has("monitor"):
        for name, port in (("Prometheus", layout.PROMETHEUS_PORT), ("Alertmanager", layout.ALERTMANAGER_PORT)):
            found.append(Rule(name, str(port), collapse([*monitors, *control]), whom=f"monitors ({monitor_names}), control"))
    if host.has("storage"):
        initiators = [a for lun in p.luns.values() for entry in lun.initiator_addresses
                      for a in networks.resolve(entry, p.hosts) or ()]
        found.append(Rule("iSCSI", str(layout.ISCSI_PORT), collapse([*initiators, *control]),
                          whom="every LUN's initiator_addresses (a storage host may serve any LUN after a "
                               "site is lost; tgt's ACL admits each initiator to its own target only), control"))
    for extra in host.firewall_allow:
        sources = [a for entry in extra.sources for a in networks.resolve(entry, p.hosts) or ()]
        found.append(Rule(extra.comment or "ikz_firewall_allow", str(extra.port), collapse(sources), extra.proto,
                          whom=f"ikz_firewall_allow: {', '.join(extra.sources)}"))
    return found
