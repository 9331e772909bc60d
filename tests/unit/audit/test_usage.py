from datetime import UTC, datetime, timedelta

import pytest

from ikzops.audit import usage
from ikzops.audit.period import parse_period
from ikzops.errors import ConfigError
from ikzops.model.loader import load
from tests.lab.helpers import LAB

NOV = parse_period("2026-11")
DAY = timedelta(days=1)


def at(day):
    return datetime(2026, 11, day, tzinfo=UTC)


def verify(day, size, job="city-files", site="district"):
    return {"kind": "verify", "started": at(day).isoformat(),
            "repositories": [{"job": job, "site": site, "size_bytes": size}]}


def test_a_sample_holds_until_the_next_one():
    samples = [(at(1), 10), (at(11), 20)]
    assert usage.byte_days(samples, at(1), at(21)) == 10 * 10 + 20 * 10


def test_a_sample_before_the_period_counts_from_its_start():
    assert usage.byte_days([(at(1) - DAY, 7)], at(1), at(3)) == 14


def test_nothing_is_counted_before_the_first_sample():
    assert usage.byte_days([(at(5), 10)], at(1), at(6)) == 10


def test_costs_come_from_the_rates_and_shares_add_up():
    p = load(LAB)  # 25 EUR per TB-month of repository storage, 40 per TB-month of LUN
    records = [verify(1, 10**12)]
    data = usage.usage(p, records, NOV, datetime(2026, 12, 1, tzinfo=UTC))
    city = next(s for s in data["partners"] if s["partner"] == "city")
    district_row = next(r for r in city["sites"] if r["site"] == "district")
    assert district_row["repository_gb_days"] == 30 * 1000
    assert district_row["repository_cost"] == 25.0
    assert sum(s["share"] for s in data["partners"]) == pytest.approx(1.0)
    assert data["total_cost"] == pytest.approx(sum(s["cost"] for s in data["partners"]))


def test_lun_capacity_is_charged_to_the_partner_it_belongs_to():
    p = load(LAB)
    data = usage.usage(p, [], NOV, datetime(2026, 12, 1, tzinfo=UTC))
    lun_bytes = {s["partner"]: sum(r["lun_bytes"] for r in s["sites"]) for s in data["partners"]}
    expected: dict[str, int] = {}
    for name, lun in p.luns.items():
        expected[p.lun_owner(name)] = expected.get(p.lun_owner(name), 0) + lun.size
    assert lun_bytes == expected


def test_an_unknown_partner_is_a_usage_error():
    with pytest.raises(ConfigError):
        usage.usage(load(LAB), [], NOV, at(2), partner="nobody")
