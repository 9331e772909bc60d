from datetime import UTC, datetime, timedelta

from ikzops.agent.policy import kept

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def runs(*offsets_hours: float) -> dict[str, datetime]:
    return {f"r{i}": T0 - timedelta(hours=h) for i, h in enumerate(offsets_hours)}


def test_keep_last_keeps_the_newest_n():
    assert kept(runs(0, 1, 2, 3), dict(keep_last=2, keep_daily=0, keep_weekly=0, keep_monthly=0)) == {"r0", "r1"}


def test_daily_keeps_newest_of_each_day_and_the_oldest_while_days_are_missing():
    # same day: the newest by the daily rule, the oldest because fewer than 7 days exist
    assert kept(runs(0, 1, 2, 3), dict(keep_last=0, keep_daily=7, keep_weekly=0, keep_monthly=0)) == {"r0", "r3"}


def test_full_buckets_do_not_keep_the_oldest():
    many = runs(*(24 * d for d in range(10)))
    assert kept(many, dict(keep_last=0, keep_daily=3, keep_weekly=0, keep_monthly=0)) == {"r0", "r1", "r2"}


def test_lab_policy_matches_restic_on_one_day():
    # what restic 0.18 printed for city-files: 4 latest + the oldest
    five = runs(0, 0.1, 0.2, 0.3, 0.5, 0.6)
    assert kept(five, dict(keep_last=4, keep_daily=7, keep_weekly=4, keep_monthly=6)) == {"r0", "r1", "r2", "r3", "r5"}


def test_window_keeps_everything_that_arrived_within_it_of_the_newest():
    # a flood of seven runs in the last minutes would leave only itself to keep_last
    flood = runs(0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 5, 30, 200)
    policy = dict(keep_last=4, keep_daily=0, keep_weekly=0, keep_monthly=0, keep_within_seconds=7 * 86400)
    assert kept(flood, policy) == {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8"}


def test_no_window_keeps_only_what_the_rules_keep():
    assert kept(runs(0, 1, 2), dict(keep_last=1, keep_within_seconds=0)) == {"r0"}
