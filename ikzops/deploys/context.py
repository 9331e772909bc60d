"""The validated partnership inside a pyinfra deploy (computed once per process)."""

from __future__ import annotations

from pyinfra import inventory

from ikzops.model.loader import from_inventory
from ikzops.model.partnership import Partnership

_cache: dict[int, Partnership] = {}


def partnership() -> Partnership:
    key = id(inventory._get_module())
    if key not in _cache:
        _cache[key] = from_inventory(inventory._get_module())
    return _cache[key]
