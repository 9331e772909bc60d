"""The hostile-world suite's report: cases per category, survived, data lost, known gaps.

A test is a fault case when it carries ``@pytest.mark.fault("<category>")``; the cases
live in tests/faults/ and, where a fault belongs to one capability, next to that
capability's tests. A case that measures what the fault cost in backed-up data records
it through the ``fault`` fixture (``fault.lost_bytes = ...``). A known gap is a case
marked ``xfail(strict=True)``: it asserts what should hold and fails because of a
limitation it names; were the gap ever closed, the strict xfail would turn red.

At the end of the session the figures are printed and written to
``.state/reports/faults/summary.{md,json}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

CATEGORIES = ("site", "data", "credential", "attack", "bad-input", "interrupt")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Case:
    nodeid: str
    category: str
    outcome: str = "not run"  # survived | failed | skipped | known gap
    lost_bytes: int | None = None
    reason: str = ""


@dataclass
class FaultRecord:
    """What one case measured; set ``lost_bytes`` after checking the backups."""

    lost_bytes: int | None = None


def pytest_configure(config):
    config.addinivalue_line("markers", "fault(category): a fault-injection, bad-input or security case "
                                       f"(category one of {', '.join(CATEGORIES)})")
    config._ikz_faults = {}


def _category(item) -> str | None:
    marker = item.get_closest_marker("fault")
    if marker is None:
        return None
    category = marker.args[0]
    if category not in CATEGORIES:
        raise pytest.UsageError(f"{item.nodeid}: unknown fault category {category!r}")
    return category


def pytest_collection_modifyitems(config, items):
    for item in items:
        category = _category(item)
        if category:
            config._ikz_faults[item.nodeid] = Case(item.nodeid, category)


@pytest.fixture
def fault(request) -> FaultRecord:
    record = FaultRecord()
    request.node._ikz_fault = record
    return record


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    case = item.config._ikz_faults.get(item.nodeid)
    if case is None:
        return
    report = outcome.get_result()
    record = getattr(item, "_ikz_fault", None)
    if record is not None and record.lost_bytes is not None:
        case.lost_bytes = record.lost_bytes
    if hasattr(report, "wasxfail"):
        case.outcome, case.reason = "known gap", report.wasxfail
    elif report.skipped and report.when in ("setup", "call"):
        case.outcome = "skipped"
    elif report.failed:
        case.outcome = "failed"
    elif report.when == "call" and report.passed and case.outcome == "not run":
        case.outcome = "survived"


def summarize(cases: list[Case]) -> dict:
    rows = []
    for category in CATEGORIES:
        mine = [c for c in cases if c.category == category]
        measured = [c.lost_bytes for c in mine if c.lost_bytes is not None]
        rows.append({
            "category": category,
            "cases": len(mine),
            "survived": sum(c.outcome == "survived" for c in mine),
            "failed": sum(c.outcome == "failed" for c in mine),
            "known_gaps": sum(c.outcome == "known gap" for c in mine),
            "not_run": sum(c.outcome in ("skipped", "not run") for c in mine),
            "data_measured": len(measured),
            "data_lost_bytes": sum(measured),
        })
    return {
        "version": 1,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "categories": rows,
        "total": {key: sum(r[key] for r in rows) for key in rows[0] if key != "category"},
        "known_gaps": [{"case": c.nodeid, "why": c.reason} for c in cases if c.outcome == "known gap"],
        "failed": [c.nodeid for c in cases if c.outcome == "failed"],
    }


def markdown(summary: dict) -> str:
    head = "| category | cases | survived | failed | known gaps | not run | data checked | data lost |"
    lines = ["# Hostile-world suite", "", f"Run finished {summary['finished']}.", "", head,
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in [*summary["categories"], {"category": "**total**", **summary["total"]}]:
        lines.append(f"| {row['category']} | {row['cases']} | {row['survived']} | {row['failed']} | "
                     f"{row['known_gaps']} | {row['not_run']} | {row['data_measured']} | {row['data_lost_bytes']} B |")
    lines += ["", "Data checked: cases that measured, after the fault, how many bytes of the backups taken "
              "before it can no longer be restored from any site (restic check + restore compared with the "
              "manifest)."]
    if summary["known_gaps"]:
        lines += ["", "## Known gaps", ""] + [f"- `{g['case']}`: {g['why']}" for g in summary["known_gaps"]]
    if summary["failed"]:
        lines += ["", "## Failed", ""] + [f"- `{nodeid}`" for nodeid in summary["failed"]]
    return "\n".join(lines) + "\n"


def pytest_terminal_summary(terminalreporter, config):
    cases = list(config._ikz_faults.values())
    if not any(c.outcome != "not run" for c in cases):
        return
    summary = summarize(cases)
    text = markdown(summary)
    terminalreporter.write_sep("=", "hostile world: fault, bad-input and security cases")
    for line in text.splitlines()[4:]:
        terminalreporter.write_line(line)
    folder = ROOT / ".state" / "reports" / "faults"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.md").write_text(text)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    terminalreporter.write_line(f"written to {folder}/summary.md and summary.json")
