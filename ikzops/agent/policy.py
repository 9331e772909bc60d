"""restic's retention policy: which runs a repository keeps (stdlib only: runs on hosts too).

Retention on the repository hosts decides with it which snapshots to forget, by the
time each snapshot *arrived* there; verify uses it to know which runs a repository is
supposed to hold. Mirrors ``restic forget`` for the keep options ikzops uses (0.17+ semantics):
snapshots newest first; ``keep_last`` keeps the n newest; each time bucket (day,
ISO week, month) keeps the newest snapshot of each of its n newest buckets; a bucket
rule that found fewer buckets than n also keeps the oldest snapshot; ``keep_within_seconds``
keeps every snapshot at most that long before the newest (``--keep-within``). Times are
bucketed in UTC, as on the repository hosts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

_BUCKETS: dict[str, Callable[[datetime], tuple]] = {
    "keep_daily": lambda t: (t.year, t.month, t.day),
    "keep_weekly": lambda t: tuple(t.isocalendar()[:2]),
    "keep_monthly": lambda t: (t.year, t.month),
}


def kept(runs: Mapping[str, datetime], policy: Mapping[str, int]) -> set[str]:
    """The runs ``restic forget`` with ``policy`` (keep_last, keep_daily ...) keeps out of ``runs`` (run -> time)."""

    ordered = sorted(runs, key=lambda run: runs[run], reverse=True)
    keep: set[str] = set()
    remaining_last = policy.get("keep_last", 0)
    rules = {name: [policy[name], None] for name in _BUCKETS if policy.get(name)}
    for run in ordered:
        when = runs[run].astimezone(UTC)
        if remaining_last > 0:
            keep.add(run)
            remaining_last -= 1
        for name, rule in rules.items():
            bucket = _BUCKETS[name](when)
            if rule[0] > 0 and bucket != rule[1]:
                keep.add(run)
                rule[0] -= 1
                rule[1] = bucket
    if ordered and any(rule[0] > 0 for rule in rules.values()):
        keep.add(ordered[-1])
    within = timedelta(seconds=policy.get("keep_within_seconds", 0))
    if ordered and within:
        newest = runs[ordered[0]]
        keep.update(run for run in ordered if newest - runs[run] <= within)
    return keep
