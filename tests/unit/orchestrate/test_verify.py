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


def _measured(p, sizes: dict[tuple[str, str], int]) -> list[RepoStatus]:
    return [RepoStatus(job, p.hosts[host].site, host, size_bytes=size) for (host, job), size in sizes.items()]


def _lab():
    from ikzops.model.loader import load
    from tests.unit.test_layout import ROOT

    return load(ROOT / "inventories/lab.py")


# on district-san, city's repositories: city-files, city-db, city-san-luns
CITY_AT_DISTRICT = ("city-files", "city-db", "city-san-luns")


def test_a_partner_at_its_quota_is_a_finding_on_each_of_its_repositories_there():
    from ikzops.orchestrate.verify import judge_quotas

    p = _lab()
    quota = p.hosts["district-san"].repository.reserve["city"]
    statuses = _measured(p, {("district-san", job): quota // 3 for job in CITY_AT_DISTRICT})
    city = next(r for r in judge_quotas(p, statuses) if r["partner"] == "city")
    assert (city["host"], city["used_bytes"], city["quota_bytes"]) == ("district-san", 3 * (quota // 3), quota)
    assert all(s.status == "finding" and "quota exceeded" in s.findings[0] for s in statuses)


def test_a_partner_with_room_is_no_finding_but_its_use_is_reported():
    from ikzops.orchestrate.verify import judge_quotas

    p = _lab()
    quota = p.hosts["district-san"].repository.reserve["city"]
    statuses = _measured(p, {("district-san", job): quota // 4 for job in CITY_AT_DISTRICT})
    rows = judge_quotas(p, statuses)
    assert [r["used_share"] for r in rows if r["partner"] == "city"] == [0.75]
    assert all(s.status == "ok" for s in statuses)


def test_a_partner_not_measured_in_full_is_not_judged():
    from ikzops.orchestrate.verify import judge_quotas

    p = _lab()
    statuses = _measured(p, {("district-san", "city-files"): 5 << 30})  # verify --job city-files
    assert judge_quotas(p, statuses) == [] and statuses[0].status == "ok"
