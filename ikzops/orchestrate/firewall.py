"""``ikzops firewall show``: each host's ruleset as the model renders it (no host touched)."""

from __future__ import annotations

from ikzops.errors import ConfigError
from ikzops.firewall import nft
from ikzops.model import loader
from ikzops.model.partnership import Partnership


def rulesets(p: Partnership, hosts: tuple[str, ...] = ()) -> dict[str, str]:
    """``{host: ruleset}`` for ``hosts`` (every host when none is named)."""

    if not p.firewall_on:
        raise ConfigError("the firewall is off in this inventory (no ikz_firewall, or enabled: False)",
                          hint="set ikz_firewall = {'control': ['ADDRESS OF THIS CONTROL HOST']} in its group data")
    unknown = [h for h in hosts if h not in p.hosts]
    if unknown:
        raise ConfigError(f"unknown host(s) {', '.join(unknown)}; hosts: {', '.join(p.hosts)}")
    return {name: nft.ruleset(p, name) for name in hosts or tuple(p.hosts)}


def show(inventory: str, hosts: tuple[str, ...] = ()) -> dict[str, str]:
    return rulesets(loader.load(inventory), hosts)
