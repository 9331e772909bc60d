"""Put a Prometheus textfile on a host for its node_exporter, atomically."""

from __future__ import annotations

from ikzops import layout
from ikzops.runners.ssh import write_file


def publish(machine, name: str, content: str) -> None:
    """Write ``<textfile dir>/<name>``; skip hosts without node_exporter's directory."""

    write_file(machine, f"{layout.METRICS_DIR}/{name}", content, mode="0644", purpose=f"write {name}",
               only_into=layout.METRICS_DIR)
