from ikzops.monitoring.metrics import DRILL_METRICS, VERIFY_METRICS, render_drill, render_verify

ROW = {"job": "city-files", "site": "district", "age_seconds": 60.0, "rpo_seconds": 3600.0, "snapshots": 4,
       "missing_runs": ["r1"], "check": {"ok": None, "last_full_pass": None}, "size_bytes": None, "findings": ["x"],
       "snapshots_last_day": 5, "expected_per_day": 96.0}


def test_every_verify_metric_has_help_and_type_and_unknown_values_are_left_out():
    text = render_verify([ROW], 1700000000)
    for name in VERIFY_METRICS:
        assert f"# HELP {name} " in text and f"# TYPE {name} gauge" in text
    assert 'ikzops_verify_missing_runs{backup_job="city-files",destination="district"} 1' in text
    assert "ikzops_verify_check_success{" not in text  # the check did not run: no sample
    assert "ikzops_verify_repository_size_bytes{" not in text


def test_a_drill_that_failed_publishes_success_zero():
    text = render_drill({"job": "city-db", "from_site": "district", "verdict": "failed", "total_seconds": 2.5,
                         "rto_seconds": 3600, "bytes": 10}, 1700000000)
    assert 'ikzops_drill_last_success{backup_job="city-db",from_site="district"} 0' in text
    assert text.count("# TYPE") == len(DRILL_METRICS)


def test_label_values_are_escaped():
    text = render_verify([{**ROW, "job": 'we"ird\\job'}], 0)
    assert 'backup_job="we\\"ird\\\\job"' in text
