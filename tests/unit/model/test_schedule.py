from datetime import timedelta

import pytest

from ikzops.model.schedule import ScheduleError, longest_gap


@pytest.mark.parametrize(
    ("expression", "gap"),
    [
        ("hourly", timedelta(hours=1)),
        ("daily", timedelta(days=1)),
        ("weekly", timedelta(days=7)),
        ("*-*-* *:00/15:00", timedelta(minutes=15)),
        ("*-*-* 02,14:30:00", timedelta(hours=12)),
        ("*-*-* 00/4:15", timedelta(hours=4)),
        ("Mon..Fri *-*-* 02:00", timedelta(days=3)),
        ("*:0/5", timedelta(minutes=5)),
        ("*-*-* 08..17:00", timedelta(hours=15)),
        ("*-*-* *:*:00/15", timedelta(seconds=15)),
    ],
)
def test_longest_gap_of_supported_expressions(expression, gap):
    assert longest_gap(expression) == gap


@pytest.mark.parametrize("expression", ["2026-01-01 00:00", "*-*-* 25:00", "Funday 02:00", "*-*-* *:00/0", "every 5m"])
def test_unsupported_or_invalid_expressions_raise(expression):
    with pytest.raises(ScheduleError):
        longest_gap(expression)
