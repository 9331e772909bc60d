"""Where traffic comes from, as the firewall writes it: one home for what a source may be.

A source in the inventory (``ikz_firewall_allow``'s ``from``, a LUN's
``initiator_addresses``) is an IP address, a network, the name of a host of the
inventory (its address), or ``any``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the schema validates addresses with network(); the partnership imports the schema
    from ikzops.model.partnership import Host

ANY = "any"
EVERYWHERE = ("0.0.0.0/0", "::/0")


def network(value: str) -> str | None:
    """``value`` as nftables takes it (``10.0.0.5/32`` → ``10.0.0.5/32``), or None if it is none."""

    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        return None


def resolve(entry: str, hosts: Mapping[str, Host]) -> tuple[str, ...] | None:
    """The networks ``entry`` stands for; None when it is neither address, host nor ``any``."""

    if entry == ANY:
        return EVERYWHERE
    if entry in hosts:
        found = network(hosts[entry].address)
        return (found,) if found else None
    found = network(entry)
    return (found,) if found else None


def covers(sources: Iterable[str], address: str) -> bool:
    """Whether ``address`` is inside one of the networks ``sources``."""

    try:
        where = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(where in ipaddress.ip_network(source) for source in sources)
