"""The ikzops agent (``ikzops/agent/``) on a managed host."""

from __future__ import annotations

from pathlib import Path

from pyinfra.operations import files

from ikzops.backup import layout

AGENT_SOURCE = Path(__file__).resolve().parents[1] / "agent"
AGENT_MODULES = (
    "__init__.py", "restic.py", "metrics.py", "watchdog.py", "backup_job.py", "policy.py", "retention.py",
    "drill_check.py", "pg_scratch.py", "alert_sink.py",
)


def install_agent() -> list:
    files.directory(name="ikzops agent directory", path=f"{layout.AGENT_DIR}/ikzops_agent", mode="0755")
    return [
        files.put(
            name="ikzops agent module", src=str(AGENT_SOURCE / module),
            dest=f"{layout.AGENT_DIR}/ikzops_agent/{module}", mode="0644",
        )
        for module in AGENT_MODULES
    ]
