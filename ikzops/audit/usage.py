"""What each partner stores and uses, and its share of the costs (pure).

Repository bytes are those on disk (after deduplication and compression), as every verify
measures them per repository and records them in the history: a sample holds until the
next one, so a period integrates to byte-days however often verify ran (daily by cron).
LUN capacity is what the model allocates, for the whole period. Rates come from
``ikz_costs`` (per TB-month; a month is 30 days).
"""

from __future__ import annotations

from datetime import datetime

from ikzops.audit.period import Period
from ikzops.errors import ConfigError
from ikzops.model.partnership import Partnership

TB = 10**12
MONTH_DAYS = 30


def repository_samples(records: list[dict]) -> dict[tuple[str, str], list[tuple[datetime, int]]]:
    """{(job, site): [(when, bytes on disk)]} from the verify records, oldest first."""

    found: dict[tuple[str, str], list[tuple[datetime, int]]] = {}
    for record in records:
        if record.get("kind") != "verify":
            continue
        when = datetime.fromisoformat(record["started"])
        for repo in record.get("repositories", []):
            if repo.get("size_bytes") is not None:
                found.setdefault((repo["job"], repo["site"]), []).append((when, int(repo["size_bytes"])))
    return {key: sorted(values) for key, values in found.items()}


def byte_days(samples: list[tuple[datetime, int]], start: datetime, end: datetime) -> float:
    """The integral of a step function (each sample holds until the next) over [start, end)."""

    total = 0.0
    held = next((size for when, size in reversed(samples) if when <= start), 0)
    at = start
    for when, size in samples:
        if when <= start:
            continue
        if when >= end:
            break
        total += held * (when - at).total_seconds() / 86400
        held, at = size, when
    return total + held * max(0.0, (end - at).total_seconds() / 86400)


def usage(p: Partnership, records: list[dict], period: Period, now: datetime, partner: str | None = None) -> dict:
    """Per partner and site: repository and LUN usage over the period, costs, and shares."""

    until = min(period.end, now)
    days = max(0.0, (until - period.start).total_seconds() / 86400)
    rates = p.costs
    rows: dict[tuple[str, str], dict] = {}

    def row(owner: str, site: str) -> dict:
        return rows.setdefault((owner, site), {
            "partner": owner, "partner_name": p.partners[owner].name, "site": site,
            "repository_bytes": 0, "repository_byte_days": 0.0, "repositories": 0,
            "lun_bytes": 0, "lun_byte_days": 0.0, "luns": 0})

    samples = repository_samples(records)
    for job in p.jobs.values():
        for site in job.destinations:
            entry = row(job.owner, site)
            series = samples.get((job.name, site), [])
            entry["repositories"] += 1
            entry["repository_byte_days"] += byte_days(series, period.start, until)
            entry["repository_bytes"] += next((size for when, size in reversed(series) if when < until), 0)
    for name, lun in p.luns.items():
        entry = row(p.lun_owner(name), p.hosts[lun.host].site)
        entry["luns"] += 1
        entry["lun_bytes"] += lun.size
        entry["lun_byte_days"] += lun.size * days
    for entry in rows.values():
        entry["repository_cost"] = round(entry["repository_byte_days"] / TB / MONTH_DAYS * rates.repository_per_tb_month, 2)
        entry["lun_cost"] = round(entry["lun_byte_days"] / TB / MONTH_DAYS * rates.lun_per_tb_month, 2)
        entry["cost"] = round(entry["repository_cost"] + entry["lun_cost"], 2)
        entry["repository_gb_days"] = round(entry["repository_byte_days"] / 10**9, 3)
        entry["lun_gb_days"] = round(entry["lun_byte_days"] / 10**9, 3)
    total = sum(e["cost"] for e in rows.values())
    partners = {}
    for (owner, _site), entry in sorted(rows.items()):
        summary = partners.setdefault(owner, {"partner": owner, "name": p.partners[owner].name,
                                              "contact": p.partners[owner].contact, "sites": [],
                                              "repository_gb_days": 0.0, "lun_gb_days": 0.0, "cost": 0.0})
        summary["sites"].append(entry)
        summary["repository_gb_days"] = round(summary["repository_gb_days"] + entry["repository_gb_days"], 3)
        summary["lun_gb_days"] = round(summary["lun_gb_days"] + entry["lun_gb_days"], 3)
        summary["cost"] = round(summary["cost"] + entry["cost"], 2)
    for summary in partners.values():
        summary["share"] = round(summary["cost"] / total, 4) if total else None
    if partner:
        chosen = {k: v for k, v in partners.items() if partner in (k, v["name"])}
        if not chosen:
            raise ConfigError(f"--partner {partner}: no such partner (partners: {', '.join(p.partners)})")
        partners = chosen
    return {
        "version": 1, "partnership": p.name, "currency": rates.currency,
        "rates": {"repository_per_tb_month": rates.repository_per_tb_month, "lun_per_tb_month": rates.lun_per_tb_month,
                  "month_days": MONTH_DAYS},
        "period": {"name": period.name, "start": period.start.isoformat(), "end": period.end.isoformat(),
                   "evaluated_until": until.isoformat(timespec="seconds"), "days": round(days, 3)},
        "generated": now.isoformat(timespec="seconds"), "total_cost": round(total, 2),
        "partners": list(partners.values()),
    }
