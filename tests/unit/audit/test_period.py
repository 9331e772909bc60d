from datetime import UTC, datetime, timedelta

import pytest

from ikzops.agent import history
from ikzops.audit import period
from ikzops.errors import ConfigError
from ikzops.model.loader import load
from tests.lab.helpers import LAB

NOV = period.parse_period("2026-11")


def at(day, hour=0, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def backup(start, *, ok=("city", "district"), failed=(), job="city-db"):
    destinations = {s: {"ok": True, "error": ""} for s in ok} | {s: {"ok": False, "error": "cannot reach\n x"} for s in failed}
    return {"kind": "backup", "job": job, "run": start.isoformat(), "started": start.isoformat(),
            "finished": (start + timedelta(minutes=1)).isoformat(), "status": 0 if not failed else 1,
            "error": "", "destinations": destinations}


def drill(start, verdict, seconds=60.0, job="city-db"):
    return {"kind": "drill", "job": job, "id": f"d-{start:%d%H}", "started": start.isoformat(), "from_site": "district",
            "verdict": verdict, "total_seconds": seconds, "data_age_seconds": 600, "reasons": ["restore failed"]}


def verify(start, status="ok", job="city-db"):
    return {"kind": "verify", "started": start.isoformat(), "repositories": [
        {"job": job, "site": s, "status": status, "findings": ["stale"] if status == "finding" else [],
         "hashed_bytes": 10, "last_complete_pass": start.isoformat()} for s in ("city", "district")]}


def job_of(report, name="city-db"):
    return next(j for j in report["jobs"] if j["job"] == name)


def requirement(job, name):
    return next(r for r in job["requirements"] if r["requirement"] == name)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2026-11", at(1), datetime(2026, 12, 1, tzinfo=UTC)),
    ("2026-Q4", datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
    ("2026", datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
])
def test_periods_are_months_quarters_and_years(text, start, end):
    chosen = period.parse_period(text)
    assert (chosen.start, chosen.end) == (start, end)


@pytest.mark.parametrize("text", ["2026-13", "Nov 2026", "2026-Q5", ""])
def test_a_period_that_is_none_of_them_is_a_usage_error(text):
    with pytest.raises(ConfigError):
        period.parse_period(text)


def test_hourly_is_due_24_times_a_day():
    assert len(period.due("hourly", at(2), at(3))) == 24


def test_a_weekday_schedule_is_due_on_weekdays_only():
    # 2026-11-02 is a Monday: one week holds five runs
    assert len(period.due("Mon..Fri *-*-* 02:30", at(2), at(9))) == 5


def test_the_longest_gap_counts_from_the_last_good_backup_before_the_period():
    gap, ended = period.longest_gap([at(1, 5)], at(1), at(1, 6), before=at(1) - timedelta(hours=3))
    assert gap == 8 * 3600 and ended.startswith("2026-11-01T05:00")


def hourly_runs(first, hours, **kwargs):
    return [backup(first + timedelta(hours=h), **kwargs) for h in range(hours)]


def test_a_day_of_good_hourly_backups_a_verify_and_a_passed_drill_meet_every_requirement():
    p = load(LAB)
    records = hourly_runs(at(2), 24) + [verify(at(2, 23)), drill(at(2, 12), "passed")]
    report = period.evaluate(p, records, NOV, at(3), partner="city")
    job = job_of(report)
    assert job["met"], job["requirements"]
    assert [(d["site"], d["due"], d["good"]) for d in job["destinations"]] == [("city", 24, 24), ("district", 24, 24)]


def test_a_missed_backup_at_one_site_marks_a5_not_met_and_names_the_site():
    p = load(LAB)
    records = hourly_runs(at(2), 24) + [verify(at(2, 23)), drill(at(2, 12), "passed")]
    records[5] = backup(at(2, 5), ok=("city",), failed=("district",))
    job = job_of(period.evaluate(p, records, NOV, at(3)))
    a5 = requirement(job, "CON.3.A5")
    assert not a5["met"]
    assert any(r.startswith("district: 1 run(s) failed") and "cannot reach x" in r for r in a5["reasons"])
    assert requirement(job, "CON.3.A15")["met"]


def test_a_gap_longer_than_the_rpo_is_not_met():
    p = load(LAB)
    records = [backup(at(2)), backup(at(2, 5))]
    job = job_of(period.evaluate(p, records, NOV, at(2, 6)))
    assert any("without a good backup" in r for r in requirement(job, "CON.3.A5")["reasons"])


def test_a_failed_drill_marks_a15_and_der4_not_met_until_one_passes():
    p = load(LAB)
    records = hourly_runs(at(2), 24) + [verify(at(2, 23)), drill(at(2, 10), "failed")]
    job = job_of(period.evaluate(p, records, NOV, at(3)))
    assert not requirement(job, "CON.3.A15")["met"] and not requirement(job, "DER.4")["met"]
    records.append(drill(at(2, 14), "passed"))
    job = job_of(period.evaluate(p, records, NOV, at(3)))
    assert not requirement(job, "CON.3.A15")["met"]
    assert requirement(job, "DER.4")["met"]


def test_a_drill_over_its_rto_is_not_met():
    p = load(LAB)
    records = hourly_runs(at(2), 24) + [verify(at(2, 23)), drill(at(2, 10), "passed", seconds=99999)]
    job = job_of(period.evaluate(p, records, NOV, at(3)))
    assert any("RTO" in r for r in requirement(job, "CON.3.A15")["reasons"])


def test_a_verify_finding_is_reported_with_how_long_it_stayed_open():
    p = load(LAB)
    records = hourly_runs(at(2), 24) + [verify(at(2, 1), "finding"), verify(at(2, 4)), drill(at(2, 12), "passed")]
    job = job_of(period.evaluate(p, records, NOV, at(3)))
    assert [(f["site"], f["open_seconds"]) for f in job["findings"]] == [("city", 3 * 3600), ("district", 3 * 3600)]
    assert requirement(job, "CON.3.A14")["met"]


def test_an_unknown_partner_is_a_usage_error():
    with pytest.raises(ConfigError):
        period.evaluate(load(LAB), [], NOV, at(3), partner="nobody")


def test_records_of_a_real_stream_evaluate(tmp_path):
    path = str(tmp_path / "s.jsonl")
    history.append(path, backup(at(2)))
    import json
    records = [json.loads(line) for line in history.read(path)]
    job = job_of(period.evaluate(load(LAB), records, NOV, at(2, 1)))
    assert job["destinations"][0]["good"] == 1


def test_a_restore_refused_for_a_conflict_is_listed_but_no_failed_test():
    p = load(LAB)
    refused = {**drill(at(2, 13), "conflict"), "kind": "restore"}
    records = hourly_runs(at(2), 24) + [verify(at(2, 23)), drill(at(2, 12), "passed"), refused]
    job = job_of(period.evaluate(p, records, NOV, at(3)))
    assert [e["verdict"] for e in job["exercises"]] == ["passed", "conflict"]
    assert requirement(job, "CON.3.A15")["met"] and requirement(job, "DER.4")["met"]
