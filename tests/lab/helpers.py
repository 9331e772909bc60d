"""Helpers for lab tests: altered copies of the lab inventory, iSCSI logins from a lab host."""

from __future__ import annotations

import shlex
import uuid
from pathlib import Path

import testinfra

from ikzops import execute
from ikzops.execute import Result
from ikzops.remote import connect

ROOT = Path(__file__).resolve().parents[2]
LAB = str(ROOT / "inventories/lab.py")


def on_host(p, host: str, script: str, stdin: str | None = None, check: bool = True) -> Result:
    """Run a shell script on a lab host over ikzops' own pinned SSH connection."""

    with connect(p.hosts[host]) as machine:
        return execute.run_remote_shell(machine, script, stdin=stdin, check=check)


def lab_inventory_copy(folder: Path, replace: dict[str, str] | None = None, drop_lun: str | None = None) -> Path:
    """A copy of inventories/lab.py (+ its group data) with text replaced or one LUN removed.

    Run with IKZOPS_STATE_DIR set to the lab's state, so the copy reaches the same hosts.
    """

    (folder / "group_data").mkdir(parents=True, exist_ok=True)
    (folder / "lab.py").write_text((ROOT / "inventories/lab.py").read_text())
    data = (ROOT / "inventories/group_data/lab.py").read_text()
    for old, new in (replace or {}).items():
        assert old in data, old
        data = data.replace(old, new)
    if drop_lun:
        start = data.index(f'    "{drop_lun}": {{')
        end = data.index("    },\n", start) + len("    },\n")
        data = data[:start] + data[end:]
    (folder / "group_data" / "lab.py").write_text(data)
    return folder / "lab.py"


def iscsi(host: testinfra.host.Host, tool: str, url: str, initiator: str, user: str, secret: str):
    """Run a libiscsi tool on ``host`` with CHAP credentials from a 0600 file, not argv."""

    path = f"/root/.chap-{uuid.uuid4().hex}"
    sftp = host.backend.client.open_sftp()
    try:
        with sftp.open(path, "w") as handle:
            handle.chmod(0o600)
            handle.write(f"export LIBISCSI_CHAP_USERNAME={shlex.quote(user)}\n"
                         f"export LIBISCSI_CHAP_PASSWORD={shlex.quote(secret)}\n")
    finally:
        sftp.close()
    try:
        return host.run(f". {path} && {tool} -i {shlex.quote(initiator)} {shlex.quote(url)}")
    finally:
        host.run(f"rm -f {path}")
