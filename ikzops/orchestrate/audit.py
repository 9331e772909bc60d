"""``ikzops concept`` and ``ikzops report``: the backup concept and a period's evidence, from the
model and the history the control host holds (collected first unless told not to)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from ikzops import templates
from ikzops.audit import charts, con3, period
from ikzops.audit import concept as concept_data
from ikzops.audit import usage as usage_data
from ikzops.errors import ExitCode, IkzopsError
from ikzops.history import collect as copies
from ikzops.history import log
from ikzops.history.collect import Survey
from ikzops.model import loader
from ikzops.model.partnership import Partnership
from ikzops.model.units import format_seconds, format_size
from ikzops.state import write_file

#: the formats of the concept and the report (a file's suffix is its format's name)
FORMATS = ("md", "html", "json")


def _render(kind: str, fmt: str, **values) -> str:
    if fmt == "json":
        return json.dumps(next(iter(values.values())), indent=2, sort_keys=True) + "\n"
    return templates.render(f"audit/{kind}.{fmt}.j2", req=con3.title, fmt=format_seconds, size=format_size, **values)


def _collected(p: Partnership, wanted: bool) -> Survey | None:
    """Collect the history first, if asked; a host that cannot be reached is reported, not fatal."""

    if not wanted:
        return None
    try:
        return copies.collect(p)
    except IkzopsError as exc:
        survey = Survey("")
        survey.unreachable["history"] = exc.message
        return survey


def concept(inventory: str, *, fmt: str = "md", out: str | None = None,
            collect: bool = True) -> tuple[str, Survey | None]:
    """The concept as ``fmt`` (also written to the file ``out``, if given) and the collection."""

    p = loader.load(inventory)
    survey = _collected(p, collect)
    text = _render("concept", fmt, c=concept_data.build(p, log.records(p.name), datetime.now(UTC)))
    if out:
        write_file(Path(out), text)
    return text, survey


def with_charts(data: dict) -> dict:
    """The report's data with each job's charts (for HTML)."""

    until = datetime.fromisoformat(data["period"]["evaluated_until"])
    jobs = []
    for job in data["jobs"]:
        span = (until - datetime.fromisoformat(job["evaluated_from"])).total_seconds() / 3600
        ages = {d["site"]: d["age_series"] for d in job["destinations"]}
        bars = [(f"{e['kind']} {e['started'][:16]}", e["seconds"], e["within_rto"]) for e in job["exercises"]]
        jobs.append({**job, "age_chart": charts.age_chart(ages, job["rpo_seconds"] / 3600, span,
                                                          f"{job['evaluated_from'][:16]} to {until.isoformat()[:16]}"),
                     "duration_chart": charts.duration_chart(bars, job["rto_seconds"])})
    return {**data, "jobs": jobs}


def report(inventory: str, *, period_text: str, partner: str | None = None, fmt: str = "md",
           out: str | None = None, collect: bool = True) -> tuple[dict, str, Path | None, Survey | None]:
    """The period's evidence: (data, rendered document, the file written into ``out``, the collection)."""

    p = loader.load(inventory)
    chosen = period.parse_period(period_text)
    survey = _collected(p, collect)
    data = period.evaluate(p, log.records(p.name), chosen, datetime.now(UTC), partner)
    text = _render("report", fmt, r=with_charts(data) if fmt == "html" else data)
    path = None
    if out:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", partner) if partner else ""
        path = Path(out) / f"report-{p.name}-{chosen.name}{'-' + slug if slug else ''}.{fmt}"
        write_file(path, text)
    return data, text, path, survey


def exit_code(data: dict) -> ExitCode:
    return ExitCode.OK if data["summary"]["met"] else ExitCode.FINDING


CSV_COLUMNS = ("partner", "partner_name", "site", "repositories", "repository_bytes", "repository_gb_days",
               "repository_cost", "luns", "lun_bytes", "lun_gb_days", "lun_cost", "cost")


def usage(inventory: str, *, period_text: str | None = None, partner: str | None = None, fmt: str = "md",
          collect: bool = True) -> tuple[dict, str, Survey | None]:
    """What each partner stores and uses over the period (default: this month), and its cost share."""

    p = loader.load(inventory)
    now = datetime.now(UTC)
    chosen = period.parse_period(period_text or now.strftime("%Y-%m"))
    survey = _collected(p, collect)
    data = usage_data.usage(p, log.records(p.name), chosen, now, partner)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for summary in data["partners"]:
            writer.writerows(summary["sites"])
        return data, out.getvalue(), survey
    return data, _render("usage", fmt, u=data), survey
