"""The metrics ``verify`` and ``drill`` publish on repository hosts (rendered on the control host)."""

from __future__ import annotations

from ikzops.agent.metrics import labels, render_gauges, timestamp

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
    "ikzops_verify_snapshots_last_day": "Snapshots of the job dated in the last 24 hours (or later) here.",
    "ikzops_verify_expected_snapshots_per_day": "Runs a day the job's schedule explains.",
}

#: a repository that gets more snapshots in a day than FLOOD_FACTOR times the schedule's runs
#: plus FLOOD_SLACK (manual runs, catch-ups) is being flooded: a verify finding and the
#: IkzRepositoryFlooded alert
FLOOD_FACTOR, FLOOD_SLACK = 2, 4
#: a partner's use of its quota on a repository host that warns (IkzPartnerQuotaNearlyFull),
#: and that means its backups there are (about to be) refused (IkzPartnerQuotaExhausted):
#: restic's next pack (16 MiB and more) no longer fits the last two per cent of a small quota
QUOTA_WARNING, QUOTA_CRITICAL = 0.9, 0.98


def flooded(snapshots_last_day: int, expected_per_day: float) -> bool:
    return snapshots_last_day > FLOOD_FACTOR * expected_per_day + FLOOD_SLACK


DRILL_METRICS = {
    "ikzops_drill_last_timestamp_seconds": "When the last restore drill of this job from this site ran.",
    "ikzops_drill_last_success": "1 if the last restore drill passed, else 0.",
    "ikzops_drill_restore_duration_seconds": "Restore and checks of the last drill.",
    "ikzops_drill_rto_seconds": "The job's recovery time objective.",
    "ikzops_drill_restored_bytes": "Bytes restored and checked by the last drill.",
}


def render_verify(rows: list[dict], now: float) -> str:
    """Textfile for the repositories ``rows`` (as in ``ikzops verify --json``)."""

    samples: dict[str, list[tuple[str, object]]] = {name: [] for name in VERIFY_METRICS}
    for row in rows:
        label = labels(backup_job=row["job"], destination=row["site"])
        check = row["check"]
        full = check.get("last_full_pass")
        for name, value in (
            ("ikzops_verify_last_run_timestamp_seconds", f"{now:.0f}"),
            ("ikzops_verify_snapshot_age_seconds", row["age_seconds"]),
            ("ikzops_verify_rpo_seconds", row["rpo_seconds"]),
            ("ikzops_verify_snapshots", row["snapshots"]),
            ("ikzops_verify_missing_runs", len(row["missing_runs"])),
            ("ikzops_verify_check_success", None if check["ok"] is None else int(bool(check["ok"]))),
            ("ikzops_verify_last_full_check_timestamp_seconds", f"{timestamp(full):.0f}" if full else None),
            ("ikzops_verify_repository_size_bytes", row["size_bytes"]),
            ("ikzops_verify_findings", len(row["findings"])),
            ("ikzops_verify_snapshots_last_day", row.get("snapshots_last_day")),
            ("ikzops_verify_expected_snapshots_per_day", row.get("expected_per_day")),
        ):
            samples[name].append((label, value))
    return render_gauges(VERIFY_METRICS, samples)


def render_drill(result: dict, now: float) -> str:
    label = labels(backup_job=result["job"], from_site=result["from_site"])
    values = {
        "ikzops_drill_last_timestamp_seconds": f"{now:.0f}",
        "ikzops_drill_last_success": 1 if result["verdict"] == "passed" else 0,
        "ikzops_drill_restore_duration_seconds": result["total_seconds"],
        "ikzops_drill_rto_seconds": result["rto_seconds"],
        "ikzops_drill_restored_bytes": result["bytes"],
    }
    return render_gauges(DRILL_METRICS, {name: [(label, value)] for name, value in values.items()})


USAGE_METRICS = {
    "ikzops_partner_repository_bytes": "Bytes on disk of a partner's repositories on this repository host.",
    "ikzops_partner_repositories": "Repositories of a partner on this repository host.",
    "ikzops_partner_lun_allocated_bytes": "LUN capacity allocated to a partner on the SAN at this site.",
}


def render_usage(rows: list[dict]) -> str:
    """Textfile of what each partner uses at one site (``rows``: partner, site, repository
    bytes and count, LUN bytes), for the cost shares in Prometheus."""

    samples: dict[str, list[tuple[str, object]]] = {name: [] for name in USAGE_METRICS}
    for row in rows:
        label = labels(partner=row["partner"], site=row["site"])
        samples["ikzops_partner_repository_bytes"].append((label, row["repository_bytes"]))
        samples["ikzops_partner_repositories"].append((label, row["repositories"]))
        samples["ikzops_partner_lun_allocated_bytes"].append((label, row["lun_bytes"]))
    return render_gauges(USAGE_METRICS, samples)
