from datetime import UTC, datetime, timedelta

from ikzops.errors import ExitCode
from ikzops.model.schema import Retention
from ikzops.orchestrate.verify import RepoStatus, VerifyReport, _flood, compare_replicas

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
KEEP_ALL = Retention(keep_last=100)


def status(site: str, runs: dict[str, datetime]) -> RepoStatus:
    return RepoStatus("city-files", site, f"{site}-san", runs=runs)


def test_a_run_one_site_lacks_is_a_replication_gap_named_with_its_source():
    runs = {f"r{i}": NOW - timedelta(hours=i) for i in range(3)}
    city, district = status("city", runs), status("district", {k: v for k, v in runs.items() if k != "r1"})
    compare_replicas([city, district], KEEP_ALL)
    assert district.missing_runs == ["r1"] and district.status == "finding"
    assert "held at city" in district.findings[0]
    assert city.status == "ok" and city.missing_runs == []


def test_a_run_retention_already_forgot_at_one_site_is_no_gap():
    runs = {f"r{i}": NOW - timedelta(days=i) for i in range(5)}
    pruned = {k: v for k, v in runs.items() if k in ("r0", "r1")}
    city, district = status("city", runs), status("district", pruned)
    compare_replicas([city, district], Retention(keep_last=2, keep_daily=0, keep_weekly=0, keep_monthly=0))
    assert district.missing_runs == [] and district.status == "ok"


def test_an_unreachable_site_is_not_compared():
    city = status("city", {"r0": NOW})
    district = status("district", {})
    district.status = "unreachable"
    compare_replicas([city, district], KEEP_ALL)
    assert city.status == "ok"


def test_verify_exit_code_is_the_worst_repository():
    ok, finding, down = status("a", {}), status("b", {}), status("c", {})
    finding.finding("stale")
    down.status = "unreachable"
    assert VerifyReport("lab", "", 0, [ok, down]).exit_code == ExitCode.UNREACHABLE
    assert VerifyReport("lab", "", 0, [ok, down, finding]).exit_code == ExitCode.FINDING
    assert VerifyReport("lab", "", 0, [ok]).exit_code == ExitCode.OK


def _job():
    from ikzops.model import loader

    return loader.load("inventories/lab.py").jobs["district-files"]  # every 15 minutes: 96 runs a day


def test_snapshots_far_beyond_the_schedule_are_a_flood_finding():
    job = _job()
    flooded = status("city", {f"r{i}": NOW - timedelta(minutes=i) for i in range(300)})
    _flood(flooded, NOW, job)
    assert flooded.snapshots_last_day == 300 and flooded.expected_per_day == 96
    assert flooded.status == "finding" and flooded.findings[0].startswith("flood: 300 snapshots")


def test_snapshots_on_schedule_and_old_ones_are_no_flood():
    job = _job()
    steady = status("city", {f"r{i}": NOW - timedelta(minutes=15 * i) for i in range(400)})
    _flood(steady, NOW, job)
    assert steady.snapshots_last_day == 97 and steady.status == "ok"
