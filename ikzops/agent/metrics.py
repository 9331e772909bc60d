"""Prometheus textfile metrics for node_exporter's textfile collector: the format's one home.

Names follow Prometheus conventions (base units, ``_seconds``, ``_bytes``,
``_timestamp_seconds``). The label is ``backup_job``, not ``job``, which Prometheus
reserves for the scrape job. The agent writes the backup metrics here; the control host
renders verify and drill metrics with :func:`render_gauges` too
(:mod:`ikzops.monitoring.metrics`).
"""

from __future__ import annotations

import os
from datetime import datetime

from .fileio import write_atomic

BACKUP_METRICS = {
    "ikzops_backup_last_run_timestamp_seconds": "When the job last ran to this destination.",
    "ikzops_backup_last_success_timestamp_seconds": "When the job last wrote a snapshot to this destination.",
    "ikzops_backup_last_run_success": "1 if the job's last run reached this destination, else 0.",
    "ikzops_backup_last_added_bytes": "Bytes the last successful run added to this destination's repository.",
    "ikzops_backup_last_duration_seconds": "How long the last successful run to this destination took.",
    "ikzops_backup_rpo_seconds": "The job's recovery point objective.",
}


def timestamp(text: str | None) -> float:
    return datetime.fromisoformat(text).timestamp() if text else 0.0


def labels(**values: str) -> str:
    """``{name="value",...}`` with the values escaped."""

    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{name}="{escape(str(value))}"' for name, value in values.items()) + "}"


def render_gauges(metrics: dict[str, str], samples: dict[str, list[tuple[str, object]]]) -> str:
    """HELP and TYPE of every gauge in ``metrics`` (name -> help), then its ``(labels, value)``
    samples; samples whose value is None are left out."""

    lines = []
    for name, help_text in metrics.items():
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        lines += [f"{name}{label} {value}" for label, value in samples.get(name, []) if value is not None]
    return "\n".join(lines) + "\n"


def render_backup(config, report: dict) -> str:
    samples: dict[str, list[tuple[str, object]]] = {name: [] for name in BACKUP_METRICS}
    for site, entry in sorted(report.get("history", {}).items()):
        label = labels(backup_job=report["job"], client=config.client, site=config.site, destination=site)
        for name, value in (
            ("ikzops_backup_last_run_timestamp_seconds", f"{timestamp(entry.get('last_run')):.0f}"),
            ("ikzops_backup_last_success_timestamp_seconds", f"{timestamp(entry.get('last_success')):.0f}"),
            ("ikzops_backup_last_run_success", 1 if entry.get("last_status") == "ok" else 0),
            ("ikzops_backup_last_added_bytes", entry.get("bytes_added", 0)),
            ("ikzops_backup_last_duration_seconds", entry.get("seconds", 0)),
            ("ikzops_backup_rpo_seconds", config.rpo_seconds),
        ):
            samples[name].append((label, value))
    return render_gauges(BACKUP_METRICS, samples)


def write_textfile(config, report: dict) -> None:
    directory = config.metrics_dir
    if not directory or not os.path.isdir(directory):
        return
    write_atomic(os.path.join(directory, f"ikzops_backup_{report['job']}.prom"), render_backup(config, report))
