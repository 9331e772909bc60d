"""Prometheus textfile metrics written by the agent for node_exporter's textfile collector.

Names follow Prometheus conventions (base units, ``_seconds``, ``_bytes``,
``_timestamp_seconds``). The label is ``backup_job``, not ``job``, which Prometheus
reserves for the scrape job.
"""

from __future__ import annotations

import os
from datetime import datetime

BACKUP_METRICS = {
    "ikzops_backup_last_run_timestamp_seconds": "When the job last ran to this destination.",
    "ikzops_backup_last_success_timestamp_seconds": "When the job last wrote a snapshot to this destination.",
    "ikzops_backup_last_run_success": "1 if the job's last run reached this destination, else 0.",
    "ikzops_backup_last_added_bytes": "Bytes the last successful run added to this destination's repository.",
    "ikzops_backup_last_duration_seconds": "How long the last successful run to this destination took.",
}


def _timestamp(text: str | None) -> float:
    return datetime.fromisoformat(text).timestamp() if text else 0.0


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_backup(config: dict, report: dict) -> str:
    lines = []
    samples: dict[str, list[str]] = {name: [] for name in BACKUP_METRICS}
    for site, entry in sorted(report.get("history", {}).items()):
        labels = (f'backup_job="{_escape(report["job"])}",client="{_escape(config["client"])}",'
                  f'site="{_escape(config["site"])}",destination="{_escape(site)}"')
        samples["ikzops_backup_last_run_timestamp_seconds"].append(f"{{{labels}}} {_timestamp(entry.get('last_run')):.0f}")
        samples["ikzops_backup_last_success_timestamp_seconds"].append(f"{{{labels}}} {_timestamp(entry.get('last_success')):.0f}")
        samples["ikzops_backup_last_run_success"].append(f"{{{labels}}} {1 if entry.get('last_status') == 'ok' else 0}")
        samples["ikzops_backup_last_added_bytes"].append(f"{{{labels}}} {entry.get('bytes_added', 0)}")
        samples["ikzops_backup_last_duration_seconds"].append(f"{{{labels}}} {entry.get('seconds', 0)}")
    for name, help_text in BACKUP_METRICS.items():
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        lines += [f"{name}{sample}" for sample in samples[name]]
    return "\n".join(lines) + "\n"


def write_textfile(config: dict, report: dict) -> None:
    directory = config.get("metrics_dir")
    if not directory or not os.path.isdir(directory):
        return
    path = os.path.join(directory, f"ikzops_backup_{report['job']}.prom")
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(render_backup(config, report))
    os.chmod(path + ".tmp", 0o644)
    os.replace(path + ".tmp", path)
