"""Hardening drop-ins for the Debian units ikzops enables (Debian's unit files stay unchanged)."""

from __future__ import annotations

from io import StringIO

from pyinfra.operations import systemd

from ikzops import templates
from ikzops.operations.files import directory, put


def hardened(unit: str, *, template: str = "systemd/go-daemon-hardening.conf.j2", **values):
    """Debian's ``unit`` (e.g. ``prometheus-node-exporter``) with ikzops' drop-in rendered from
    ``template``; the operation's change tells whether the daemon must restart."""

    directory(name=f"{unit} drop-in directory", path=f"/etc/systemd/system/{unit}.service.d", mode="0755")
    dropin = put(
        name=f"{unit} hardening drop-in", dest=f"/etc/systemd/system/{unit}.service.d/ikzops-hardening.conf", mode="0644",
        src=StringIO(templates.render(template, unit=f"{unit}.service", **values)),
    )
    systemd.daemon_reload(name=f"systemd reload ({unit} drop-in changed)", _if=dropin.did_change)
    return dropin
