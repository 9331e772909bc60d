"""Put a Prometheus textfile on a host for its node_exporter, atomically."""

from __future__ import annotations

from ikzops import execute
from ikzops.backup import layout


def publish(machine, name: str, content: str) -> None:
    """Write ``<textfile dir>/<name>`` via a temporary file; skip hosts without node_exporter's directory."""

    path = f"{layout.METRICS_DIR}/{name}"
    execute.run_remote_shell(
        machine, f"test -d {layout.METRICS_DIR} && cat > {path}.tmp && chmod 644 {path}.tmp && mv {path}.tmp {path}",
        f"write {name}", stdin=content,
    )
