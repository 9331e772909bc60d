"""The nftables table a host's rules are, and where it lives on the host."""

from __future__ import annotations

from ikzops import templates
from ikzops.agent.firewall import CANDIDATE, RECORDED, ROLLBACK_UNIT, RULESET, TABLE, UNIT
from ikzops.firewall.rules import rules
from ikzops.model.partnership import Partnership

__all__ = ["CANDIDATE", "OPERATION", "RECORDED", "ROLLBACK_UNIT", "RULESET", "TABLE", "UNIT", "ruleset"]

#: the deploy's operation that loads the table (a dry run shows the ruleset of every host it would change)
OPERATION = "firewall: table inet ikzops (what this host's roles need)"


def ruleset(p: Partnership, host_name: str) -> str:
    host = p.hosts[host_name]
    return templates.render("firewall/ikzops.nft.j2", host=host_name, site=host.site,
                            roles=", ".join(sorted(host.roles)) or "no role", rules=rules(p, host_name))
