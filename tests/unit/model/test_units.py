from datetime import timedelta

import pytest

from ikzops.model.units import format_duration, format_size, parse_duration, parse_size


@pytest.mark.parametrize(("text", "seconds"), [("15m", 900), ("1h30m", 5400), ("7d", 604800), ("1w", 604800), (90, 90)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "1y", "5 minutes", "-1h", True, 1.5])
def test_parse_duration_rejects_garbage(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(("text", "size"), [("512M", 512 << 20), ("2G", 2 << 30), ("1.5T", int(1.5 * (1 << 40))), ("10GiB", 10 << 30), (4096, 4096)])
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["big", "2X", "-1G", False])
def test_parse_size_rejects_garbage(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_formatting_round_trips_for_people():
    assert format_duration(timedelta(hours=1, minutes=30)) == "1h30m"
    assert format_size(3 << 30) == "3.0 GiB"
