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
    "ikzops_backup_rpo_seconds": "The job's recovery point objective.",
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
        samples["ikzops_backup_rpo_seconds"].append(f"{{{labels}}} {config.get('rpo_seconds', 0)}")
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


VERIFY_METRICS = {
    "ikzops_verify_last_run_timestamp_seconds": "When ikzops verify last checked this repository.",
    "ikzops_verify_snapshot_age_seconds": "Age of the newest snapshot of the job in this repository.",
    "ikzops_verify_rpo_seconds": "The job's recovery point objective.",
    "ikzops_verify_snapshots": "Snapshots of the job in this repository.",
    "ikzops_verify_missing_runs": "Runs other destinations hold that this repository lacks.",
    "ikzops_verify_check_success": "1 if the last restic check of this repository passed, else 0.",
    "ikzops_verify_last_full_check_timestamp_seconds": "When every pack of this repository was last read.",
    "ikzops_verify_repository_size_bytes": "Size of the repository on disk.",
    "ikzops_verify_findings": "Findings of the last verify for this repository.",
}


def render_verify(rows: list[dict], now: float) -> str:
    """Textfile for the repositories ``rows`` (as in ``ikzops verify --json``)."""

    samples: dict[str, list[str]] = {name: [] for name in VERIFY_METRICS}
    for row in rows:
        labels = f'backup_job="{_escape(row["job"])}",destination="{_escape(row["site"])}"'

        def add(name: str, value) -> None:
            if value is not None:
                samples[name].append(f"{{{labels}}} {value}")

        add("ikzops_verify_last_run_timestamp_seconds", f"{now:.0f}")
        add("ikzops_verify_snapshot_age_seconds", row["age_seconds"])
        add("ikzops_verify_rpo_seconds", row["rpo_seconds"])
        add("ikzops_verify_snapshots", row["snapshots"])
        add("ikzops_verify_missing_runs", len(row["missing_runs"]))
        add("ikzops_verify_check_success", None if row["check"]["ok"] is None else int(bool(row["check"]["ok"])))
        full = row["check"].get("last_full_pass")
        add("ikzops_verify_last_full_check_timestamp_seconds", f"{_timestamp(full):.0f}" if full else None)
        add("ikzops_verify_repository_size_bytes", row["size_bytes"])
        add("ikzops_verify_findings", len(row["findings"]))
    lines = []
    for name, help_text in VERIFY_METRICS.items():
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        lines += [f"{name}{sample}" for sample in samples[name]]
    return "\n".join(lines) + "\n"


DRILL_METRICS = {
    "ikzops_drill_last_timestamp_seconds": "When the last restore drill of this job from this site ran.",
    "ikzops_drill_last_success": "1 if the last restore drill passed, else 0.",
    "ikzops_drill_restore_duration_seconds": "Restore and checks of the last drill.",
    "ikzops_drill_rto_seconds": "The job's recovery time objective.",
    "ikzops_drill_restored_bytes": "Bytes restored and checked by the last drill.",
}


def render_drill(result: dict, now: float) -> str:
    labels = f'backup_job="{_escape(result["job"])}",from_site="{_escape(result["from_site"])}"'
    values = {
        "ikzops_drill_last_timestamp_seconds": f"{now:.0f}",
        "ikzops_drill_last_success": 1 if result["verdict"] == "passed" else 0,
        "ikzops_drill_restore_duration_seconds": result["total_seconds"],
        "ikzops_drill_rto_seconds": result["rto_seconds"],
        "ikzops_drill_restored_bytes": result["bytes"],
    }
    lines = []
    for name, help_text in DRILL_METRICS.items():
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name}{{{labels}}} {values[name]}"]
    return "\n".join(lines) + "\n"
