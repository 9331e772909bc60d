from datetime import UTC, datetime

from ikzops.agent.backup_job import destination_history, new_run_id


def test_a_failed_destination_keeps_its_last_success():
    history = {"district": {"last_success": "2026-11-23T10:00:00+00:00", "last_snapshot": "old"}}
    report = {"finished": "2026-11-24T10:00:00+00:00", "destinations": {
        "city": {"ok": True, "snapshot_id": "new", "bytes_added": 5, "seconds": 1.5},
        "district": {"ok": False, "snapshot_id": "", "bytes_added": 0, "seconds": 0.0},
    }}
    merged = destination_history(history, report)
    assert merged["city"]["last_snapshot"] == "new" and merged["city"]["last_status"] == "ok"
    assert merged["district"]["last_status"] == "failed"
    assert merged["district"]["last_success"] == "2026-11-23T10:00:00+00:00"


def test_run_ids_sort_by_time():
    early = new_run_id(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    late = new_run_id(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    assert early.startswith("20261124T090000Z-") and early < late
