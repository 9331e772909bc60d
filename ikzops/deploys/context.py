"""The validated partnership inside a pyinfra deploy (computed once per process), and this
host's connection made ready for the deploy's many small commands."""

from __future__ import annotations

from pyinfra import inventory

from ikzops.deploys.connection import send_at_once_here
from ikzops.model.loader import from_inventory
from ikzops.model.partnership import Partnership

_cache: dict[int, Partnership] = {}


def partnership() -> Partnership:
    """The partnership; every deploy of ikzops calls this first, so this host's SSH
    connection is set to send small packets at once here (before the deploy's facts)."""

    send_at_once_here()
    key = id(inventory._get_module())
    if key not in _cache:
        _cache[key] = from_inventory(inventory._get_module())
    return _cache[key]
