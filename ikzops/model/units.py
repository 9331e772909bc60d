"""Durations ("15m", "1h30m", "7d") and sizes ("512M", "2G", "1.5T") as written in inventories."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION_PART = re.compile(r"(\d+)\s*(s|m|h|d|w)")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?)(i?B?)\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50}


def parse_duration(text: str | int | timedelta) -> timedelta:
    """``"1h30m"`` -> 90 minutes. Plain integers are seconds."""

    if isinstance(text, timedelta):
        return text
    if isinstance(text, bool):
        raise ValueError("a duration like '15m', '1h' or '7d', not a boolean")
    if isinstance(text, int):
        return timedelta(seconds=text)
    if not isinstance(text, str):
        raise ValueError(f"a duration like '15m', '1h' or '7d', not {type(text).__name__}")
    compact = text.replace(" ", "").lower()
    if not compact or _DURATION_PART.sub("", compact):
        raise ValueError(f"{text!r} is not a duration like '15m', '1h30m' or '7d'")
    seconds = sum(int(n) * _DURATION_UNITS[u] for n, u in _DURATION_PART.findall(compact))
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def format_seconds(seconds: float) -> str:
    return format_duration(timedelta(seconds=int(seconds)))


def parse_size(text: str | int) -> int:
    """``"2G"`` -> 2 GiB in bytes. Units are binary (K = 1024). Plain integers are bytes."""

    if isinstance(text, bool):
        raise ValueError("a size like '512M' or '2G', not a boolean")
    if isinstance(text, int):
        return text
    if not isinstance(text, str):
        raise ValueError(f"a size like '512M' or '2G', not {type(text).__name__}")
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a size like '512M', '2G' or '1.5T'")
    number, unit, _ = match.groups()
    return int(float(number) * _SIZE_UNITS[unit.upper()])


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
