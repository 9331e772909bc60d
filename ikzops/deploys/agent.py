"""The ikzops agent (``ikzops/agent/``) on every host: backups, retention, drills, and a
restore onto any host of the inventory run it. Its own deploy, so that its operations carry
one name wherever they are listed.

Every host gets what a restore onto it needs: python3 and restic (the restore reads the run
from a repository host's restore server), and the partnership CA that proves that server.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from pyinfra.api import deploy
from pyinfra.operations import apt, systemd

from ikzops import layout, templates
from ikzops.deploys.context import partnership
from ikzops.operations.files import byte_compiled, directory, put, put_files
from ikzops.secrets import pki
from ikzops.secrets.store import SecretStore

AGENT_SOURCE = Path(__file__).resolve().parents[1] / "agent"


def modules() -> list[str]:
    """Every module of the agent package (standard library only, so each one is needed there)."""

    return sorted(path.name for path in AGENT_SOURCE.glob("*.py"))


@deploy("ikzops: agent")
def agent() -> None:
    p = partnership()
    apt.packages(name="Install python3 and restic (the agent, and a restore onto this host)", packages=["python3", "restic"])
    directory(name="ikzops config directory", path=layout.CONFIG_DIR, mode="0755")
    put(name="partnership CA certificate", src=StringIO(pki.ca_certificate(SecretStore(p.name), p.name)),
        dest=layout.CA_FILE, mode="0644")
    directory(name="agent directory", path=f"{layout.AGENT_DIR}/ikzops_agent", mode="0755")
    files = {f"{layout.AGENT_DIR}/ikzops_agent/{module}": str(AGENT_SOURCE / module) for module in modules()}
    put_files(name=f"agent modules ({len(modules())} files of ikzops/agent/)", mode="0644", files=files)
    byte_compiled(name="agent modules byte-compiled (its sandboxed units cannot write __pycache__)", files=files)
    sshd = put(name="sshd: sessions of a vanished peer end within 30 s", src=str(templates.path("ssh/ikzops-sshd.conf")),
               dest="/etc/ssh/sshd_config.d/ikzops.conf", mode="0644")
    systemd.service(name="sshd reload (settings changed)", service="ssh", reloaded=True, _if=sshd.did_change)
