"""Deploy the firewall per role (``ikz_firewall``): on every host the nftables table
``inet ikzops`` that admits only what the host's roles need (:mod:`ikzops.firewall.rules`),
loaded with a timed rollback and confirmed over a new SSH connection, and loaded again
at boot. With ``ikz_firewall`` absent or ``enabled: False`` the table goes away."""

from __future__ import annotations

from io import StringIO

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import apt, files, python, systemd

from ikzops import templates
from ikzops.deploys.context import partnership
from ikzops.firewall import nft
from ikzops.firewall.rules import ssh
from ikzops.operations import firewall
from ikzops.operations.files import put

UNIT_FILE = f"/etc/systemd/system/{nft.UNIT}.service"


@deploy("ikzops: firewall")
def firewall_per_role() -> None:
    p = partnership()
    if not p.firewall_on:
        systemd.service(name="firewall: not loaded at boot (ikz_firewall is off)", service=f"{nft.UNIT}.service",
                        running=False, enabled=False)
        firewall.removed(name="firewall: no table inet ikzops (ikz_firewall is off)")
        files.file(name="firewall: no boot unit (ikz_firewall is off)", path=UNIT_FILE, present=False)
        return
    apt.packages(name="Install nftables", packages=["nftables"])
    unit = put(name="firewall: boot unit", dest=UNIT_FILE, mode="0644",
               src=StringIO(templates.render("firewall/ikzops-firewall.service.j2", host=host.name,
                                             ruleset=nft.RULESET, table=" ".join(nft.TABLE))))
    systemd.daemon_reload(name="systemd reload (firewall unit changed)", _if=unit.did_change)
    loaded = firewall.ruleset(
        name=nft.OPERATION, content=nft.ruleset(p, host.name),
        rollback_after=int(p.firewall.rollback_after.total_seconds()), ssh_from=list(ssh(p, host.name).sources),
    )
    python.call(name="firewall: new ruleset confirmed over a new SSH connection", function=firewall.confirm,
                _if=loaded.did_change)
    systemd.service(name="firewall: loaded at boot", service=f"{nft.UNIT}.service", running=True, enabled=True)
