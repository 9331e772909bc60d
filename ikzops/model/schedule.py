"""Backup schedules: a subset of systemd's OnCalendar= syntax, with its longest gap.

The timer on the host gets the expression unchanged; here we only need to know how
long the longest pause between two runs can be, to check it against the RPO. The
supported subset covers what backup schedules use:

* ``minutely``, ``hourly``, ``daily``, ``weekly``
* ``[WEEKDAYS] [*-*-*] HOURS:MINUTES[:SECONDS]`` where each field is ``*``,
  a number, ``a..b``, ``a/step``, ``*/step`` or comma lists of those, and WEEKDAYS
  is e.g. ``Mon..Fri`` or ``Sat,Sun``.

Anything else (dates, months, ``~`` ...) is rejected with a clear message rather than
guessed at.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import cache

_SHORTHANDS = {
    "minutely": "*-*-* *:*:00",
    "hourly": "*-*-* *:00:00",
    "daily": "*-*-* 00:00:00",
    "weekly": "Mon *-*-* 00:00:00",
}
_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_SECONDS_PER_WEEK = 7 * 24 * 3600


class ScheduleError(ValueError):
    pass


def _numbers(field: str, limit: int, what: str) -> set[int]:
    values: set[int] = set()
    for part in field.split(","):
        start_text, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"bad step {step_text!r} in {what} {field!r}")
            step = int(step_text)
        if start_text == "*":
            first, last = 0, limit - 1
        elif ".." in start_text:
            a, _, b = start_text.partition("..")
            if not (a.isdigit() and b.isdigit()):
                raise ScheduleError(f"bad range {start_text!r} in {what} {field!r}")
            first, last = int(a), int(b)
        elif start_text.isdigit():
            first = int(start_text)
            last = limit - 1 if step_text else first
        else:
            raise ScheduleError(f"{what} {field!r} is not a number, range, list or step")
        if not 0 <= first <= last < limit:
            raise ScheduleError(f"{what} {field!r} is out of range 0..{limit - 1}")
        values.update(range(first, last + 1, step))
    return values


def _weekdays(field: str) -> set[int]:
    days: set[int] = set()
    for part in field.lower().split(","):
        a, sep, b = part.partition("..")
        try:
            first = _DAYS.index(a[:3])
            last = _DAYS.index(b[:3]) if sep else first
        except ValueError:
            raise ScheduleError(f"unknown weekday in {field!r}") from None
        if last < first:
            raise ScheduleError(f"weekday range {part!r} runs backwards")
        days.update(range(first, last + 1))
    return days


def runs_per_day(expression: str) -> float:
    """How many times a day ``expression`` fires, on average over a week."""

    return len(fire_seconds(expression)) / 7


@cache
def fire_seconds(expression: str) -> frozenset[int]:
    """The seconds of a week (0 = Monday 00:00:00) at which ``expression`` fires (cached: an
    inventory of thousands of jobs has a handful of schedules)."""

    spec = _SHORTHANDS.get(expression.strip().lower(), expression.strip())
    tokens = spec.split()
    days = set(range(7))
    if tokens and re.match(r"^[A-Za-z]", tokens[0]):
        days = _weekdays(tokens.pop(0))
    if tokens and tokens[0] == "*-*-*":
        tokens.pop(0)
    if len(tokens) != 1 or tokens[0].count("-"):
        raise ScheduleError(
            f"unsupported schedule {expression!r}: use e.g. 'hourly', 'daily', "
            "'*-*-* *:00/15:00' or 'Mon..Fri *-*-* 02:30'"
        )
    time_fields = tokens[0].split(":")
    if len(time_fields) not in (2, 3):
        raise ScheduleError(f"time {tokens[0]!r} is not HH:MM or HH:MM:SS")
    hours = _numbers(time_fields[0], 24, "hour")
    minutes = _numbers(time_fields[1], 60, "minute")
    seconds = _numbers(time_fields[2], 60, "second") if len(time_fields) == 3 else {0}
    day = sorted(h * 3600 + m * 60 + sec for h in hours for m in minutes for sec in seconds)
    return frozenset(d * 86400 + t for d in days for t in day)


@cache
def longest_gap(expression: str) -> timedelta:
    """The longest time between two consecutive runs of a schedule (cyclic over a week)."""

    fires = sorted(fire_seconds(expression))
    if not fires:
        raise ScheduleError(f"schedule {expression!r} never fires")
    gaps = [b - a for a, b in zip(fires, fires[1:], strict=False)]
    gaps.append(fires[0] + _SECONDS_PER_WEEK - fires[-1])
    return timedelta(seconds=max(gaps))
