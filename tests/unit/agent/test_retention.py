from datetime import UTC, datetime, timedelta

from ikzops.agent.retention import decide

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
POLICY = {"keep_last": 2, "keep_daily": 0, "keep_weekly": 0, "keep_monthly": 0}


def snap(i: str, claimed: datetime) -> dict:
    return {"id": i, "short_id": i[:8], "time": claimed.isoformat()}


def test_policy_goes_by_arrival_not_by_the_time_a_client_claims():
    arrived = {"a": NOW - timedelta(hours=3), "b": NOW - timedelta(hours=2), "c": NOW - timedelta(hours=1)}
    # "c" claims to be two years old (a forged or wrongly clocked snapshot): it still counts as new
    snaps = [snap("a", arrived["a"]), snap("b", arrived["b"]), snap("c", NOW - timedelta(days=730))]
    keep, future = decide(snaps, arrived, POLICY)
    assert keep == {"b", "c"} and future == set()


def test_a_snapshot_dated_after_its_arrival_is_kept_aside_and_never_forgotten():
    arrived = {"a": NOW - timedelta(hours=3), "b": NOW - timedelta(hours=2), "c": NOW - timedelta(hours=1)}
    snaps = [snap("a", arrived["a"]), snap("b", arrived["b"]), snap("c", NOW + timedelta(days=2))]
    keep, future = decide(snaps, arrived, POLICY)
    assert future == {"c"} and keep == {"a", "b", "c"}
