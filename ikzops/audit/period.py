"""A period's evidence per job (pure): runs due by schedule, made and good per destination,
the longest gap between good backups against the RPO, verify coverage and findings with how
long they stayed open, every drill and restore against RTO and RPO, and which CON.3
requirements that meets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ikzops.errors import ConfigError
from ikzops.model.partnership import Job, Partnership
from ikzops.model.schedule import fire_seconds

_WEEK = timedelta(days=7)
#: the verdicts of a drill that passed and a real restore that restored
GOOD = ("passed", "restored")
#: a real restore that refused to replace what differs at its target: no failed test (listed, not held against A15)
REFUSED = ("conflict",)


@dataclass(frozen=True)
class Period:
    name: str
    start: datetime
    end: datetime


def parse_period(text: str) -> Period:
    """``2026-11`` (a month), ``2026-Q4`` (a quarter) or ``2026`` (a year), in UTC."""

    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ConfigError(f"--period {text}: no month {month}")
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    elif m := re.fullmatch(r"(\d{4})-Q([1-4])", text, re.IGNORECASE):
        year, quarter = int(m[1]), int(m[2])
        start = datetime(year, 3 * quarter - 2, 1, tzinfo=UTC)
        end = datetime(year + quarter // 4, (3 * quarter) % 12 + 1, 1, tzinfo=UTC)
    elif re.fullmatch(r"\d{4}", text):
        start, end = datetime(int(text), 1, 1, tzinfo=UTC), datetime(int(text) + 1, 1, 1, tzinfo=UTC)
    else:
        raise ConfigError(f"--period {text!r}: write a month (2026-11), a quarter (2026-Q4) or a year (2026)")
    return Period(text.upper() if "q" in text.lower() else text, start, end)


def due(schedule: str, start: datetime, end: datetime) -> list[datetime]:
    """The times ``schedule`` fires in [start, end) (UTC, as the timers run)."""

    fires = sorted(fire_seconds(schedule))
    monday = (start - timedelta(days=start.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    times = []
    week = monday
    while week < end:
        for second in fires:
            at = week + timedelta(seconds=second)
            if start <= at < end:
                times.append(at)
        week += _WEEK
    return times


def one_line(text: str, limit: int = 200) -> str:
    """An error as one line (restic's and psql's span several), at most ``limit`` characters."""

    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def longest_gap(good: list[datetime], start: datetime, end: datetime, before: datetime | None) -> tuple[float, str]:
    """The longest time in [start, end) without a good backup (seconds), and when it ended."""

    points = [before or start] + [t for t in good if start <= t < end] + [end]
    gaps = [(b - a).total_seconds() for a, b in zip(points, points[1:], strict=False)]
    worst = max(range(len(gaps)), key=gaps.__getitem__)
    return gaps[worst], points[worst + 1].isoformat(timespec="seconds")


def age_series(good: list[datetime], start: datetime, end: datetime, before: datetime | None) -> list[tuple[float, float]]:
    """(hours since ``start``, age of the newest good backup in hours) at each point the age
    jumps; ``start`` is the period's start or, if later, the job's first recorded run."""

    series = []
    last = before
    for t in [g for g in good if start <= g < end] + [end]:
        if last is not None:
            series.append(((t - start).total_seconds() / 3600, (t - last).total_seconds() / 3600))
        if t < end:
            series.append(((t - start).total_seconds() / 3600, 0.0))
        last = t
    return series


def _destinations(job: Job, runs: list[dict], period: Period, start: datetime, until: datetime) -> list[dict]:
    """Per destination: runs due from ``start`` (the period's, or the job's first recorded run if later)."""

    rows = []
    scheduled = due(job.spec.schedule, start, until)
    for site in job.destinations:
        attempted = [r for r in runs if site in r.get("destinations", {})]
        good_all = sorted(_at(r["finished"]) for r in attempted if r["destinations"][site].get("ok"))
        in_period = [r for r in attempted if period.start <= _at(r["started"]) < until]
        good = [t for t in good_all if period.start <= t < until]
        before = max((t for t in good_all if t < period.start), default=None)
        gap, gap_end = longest_gap(good_all, start, until, before)
        rows.append({
            "site": site, "due": len(scheduled), "made": len(in_period), "good": len(good),
            "failed": [{"run": r["run"], "started": r["started"],
                        "error": one_line(r["destinations"][site].get("error") or r.get("error", ""))}
                       for r in in_period if not r["destinations"][site].get("ok")],
            "longest_gap_seconds": round(gap), "longest_gap_ended": gap_end,
            "within_rpo": gap <= job.spec.rpo.total_seconds(),
            "age_series": age_series(good_all, start, until, before),
        })
    return rows


def by_job(records: list[dict]) -> dict[str, dict[str, list]]:
    """The records of each job, read once: its backup runs (by start), its drills and restores,
    and what each verify said of its repositories (``(started, repository)``, oldest first)."""

    found: dict[str, dict[str, list]] = {}

    def of(job: str) -> dict[str, list]:
        return found.setdefault(job, {"backup": [], "exercise": [], "verify": []})

    for record in records:
        kind = record.get("kind")
        if kind == "backup":
            of(record.get("job", ""))["backup"].append(record)
        elif kind in ("drill", "restore"):
            of(record.get("job", ""))["exercise"].append(record)
        elif kind == "verify":
            for repo in record.get("repositories", []):
                of(repo.get("job", ""))["verify"].append((record["started"], repo))
    for entry in found.values():
        entry["backup"].sort(key=lambda r: r["started"])
    return found


def _open_findings(verified: list[tuple[str, dict]], until: datetime) -> list[dict]:
    """Per destination the spans in which verify reported a finding, and how long each stayed open."""

    spans: dict[str, dict] = {}
    closed = []
    for started, repo in verified:
        site = repo.get("site")
        if repo.get("status") == "finding":
            spans.setdefault(site, {"site": site, "opened": started, "closed": None,
                                    "findings": repo.get("findings", [])})
        elif repo.get("status") == "ok" and site in spans:
            span = spans.pop(site)
            span["closed"] = started
            closed.append(span)
    result = []
    for span in closed + list(spans.values()):
        end = _at(span["closed"]) or until
        result.append({**span, "open_seconds": round((end - _at(span["opened"])).total_seconds())})
    return sorted(result, key=lambda s: s["opened"])


def _coverage(verified: list[tuple[str, dict]], period: Period, until: datetime) -> list[dict]:
    rows: dict[str, dict] = {}
    for started, repo in verified:
        if not period.start <= _at(started) < until:
            continue
        row = rows.setdefault(repo["site"], {"site": repo["site"], "runs": 0, "bytes_proven": 0,
                                             "last_complete_pass": None, "last_status": None})
        row["runs"] += 1
        row["bytes_proven"] += repo.get("hashed_bytes") or 0
        row["last_status"] = repo.get("status")
        if repo.get("last_complete_pass"):
            row["last_complete_pass"] = max(filter(None, [row["last_complete_pass"], repo["last_complete_pass"]]))
    return sorted(rows.values(), key=lambda r: r["site"])


def _exercises(job: Job, exercises: list[dict], period: Period, until: datetime) -> list[dict]:
    rows = []
    for r in exercises:
        if r.get("dry") or not period.start <= _at(r["started"]) < until:
            continue
        seconds = r.get("total_seconds") or 0.0
        age = r.get("data_age_seconds")
        if age is None and r.get("snapshot_time"):
            age = (_at(r["started"]) - _at(r["snapshot_time"])).total_seconds()
        rows.append({
            "kind": r["kind"], "id": r.get("id"), "started": r["started"], "from_site": r.get("from_site"),
            "verdict": r.get("verdict"), "seconds": seconds, "rto_seconds": job.spec.rto.total_seconds(),
            "within_rto": r.get("verdict") in GOOD and seconds <= job.spec.rto.total_seconds(),
            "data_age_seconds": age, "within_rpo": age is not None and age <= job.spec.rpo.total_seconds(),
            "reasons": r.get("reasons", []),
        })
    return rows


def _requirements(job: Job, destinations: list[dict], failed_runs: list[dict], coverage: list[dict],
                  findings: list[dict], exercises: list[dict], recorded: bool) -> list[dict]:
    """Each requirement met or not, with the reasons it is not."""

    def row(requirement: str, reasons: list[str]) -> dict:
        return {"requirement": requirement, "met": not reasons, "reasons": reasons}

    regular = [] if recorded else ["no backup run of this job is in the history"]
    for d in destinations:
        if not d["within_rpo"]:
            regular.append(f"{d['site']}: {round(d['longest_gap_seconds'] / 3600, 1)} h without a good backup "
                           f"(RPO {round(job.spec.rpo.total_seconds() / 3600, 1)} h), until {d['longest_gap_ended']}")
        if d["good"] < d["due"]:
            regular.append(f"{d['site']}: {d['good']} good of {d['due']} runs due")
        if d["failed"]:
            first = d["failed"][0]
            regular.append(f"{d['site']}: {len(d['failed'])} run(s) failed, the first at {first['started']}: "
                           f"{first['error']}")
    if failed_runs:
        regular.append(f"{len(failed_runs)} run(s) reached no destination, the first at {failed_runs[0]['started']}: "
                       f"{failed_runs[0]['error']}")
    tested = []
    passed = [e for e in exercises if e["verdict"] in GOOD]
    if not passed:
        tested.append("no passed drill or restore in the period")
    for e in exercises:
        if e["verdict"] in REFUSED:
            continue
        if e["verdict"] not in GOOD:
            tested.append(f"{e['kind']} {e['id']} from {e['from_site']} {e['verdict']}: {one_line('; '.join(e['reasons']))}")
        elif not e["within_rto"]:
            tested.append(f"{e['kind']} {e['id']} took {round(e['seconds'])} s, RTO {round(e['rto_seconds'])} s")
    integrity = [] if coverage else ["verify did not check this job in the period"]
    integrity += [f"{f['site']}: verify finding open since {f['opened']}: {one_line('; '.join(f['findings']))}"
                  for f in findings if f["closed"] is None]
    separate = [] if job.offsite else ["no copy in another building"]
    followed = [f"{e['kind']} {e['id']} {e['verdict']} and no passed one after it" for e in exercises
                if e["verdict"] not in (*GOOD, *REFUSED)
                and not any(p["started"] > e["started"] for p in passed)]
    return [row("CON.3.A5", regular), row("CON.3.A12", separate), row("CON.3.A14", integrity),
            row("CON.3.A15", tested), row("DER.4", followed)]


def evaluate(p: Partnership, records: list[dict], period: Period, now: datetime,
             partner: str | None = None) -> dict:
    """The report's data for every job (of ``partner``: the owner's key or name, or the home site)."""

    until = min(period.end, now)
    indexed = by_job(records)
    jobs = []
    for job in p.jobs.values():
        if partner and partner not in (job.site, job.owner, p.partners[job.owner].name):
            continue
        mine = indexed.get(job.name, {"backup": [], "exercise": [], "verify": []})
        runs = mine["backup"]
        start = max(period.start, _at(runs[0]["started"])) if runs else period.start
        destinations = _destinations(job, [r for r in runs if r.get("finished")], period, start, until)
        coverage = _coverage(mine["verify"], period, until)
        findings = [f for f in _open_findings(mine["verify"], until)
                    if (f["closed"] is None or f["closed"] >= period.start.isoformat()) and f["opened"] < until.isoformat()]
        exercises = _exercises(job, mine["exercise"], period, until)
        failed_runs = [{"run": r["run"], "started": r["started"], "error": one_line(r.get("error", ""))} for r in runs
                       if r.get("status") == 2 and not r.get("destinations") and period.start <= _at(r["started"]) < until]
        requirements = _requirements(job, destinations, failed_runs, coverage, findings, exercises, bool(runs))
        jobs.append({
            "job": job.name, "site": job.site, "partner": p.partners[job.owner].name, "client": job.client,
            "schedule": job.spec.schedule, "rpo_seconds": job.spec.rpo.total_seconds(),
            "rto_seconds": job.spec.rto.total_seconds(), "recorded_since": runs[0]["started"] if runs else None,
            "evaluated_from": start.isoformat(timespec="seconds"),
            "destinations": destinations, "failed_runs": failed_runs, "verify": coverage, "findings": findings, "exercises": exercises,
            "requirements": requirements, "met": all(r["met"] for r in requirements),
        })
    if partner and not jobs:
        raise ConfigError(f"--partner {partner}: no job of that site or partner "
                          f"(sites: {', '.join(p.sites)}; partners: {', '.join(p.partners)})")
    not_met = [{"job": j["job"], "requirement": r["requirement"], "reasons": r["reasons"]}
               for j in jobs for r in j["requirements"] if not r["met"]]
    return {
        "version": 1, "partnership": p.name, "partner": partner,
        "period": {"name": period.name, "start": period.start.isoformat(), "end": period.end.isoformat(),
                   "evaluated_until": until.isoformat(timespec="seconds")},
        "generated": now.isoformat(timespec="seconds"),
        "summary": {"met": not not_met, "jobs": len(jobs), "not_met": not_met},
        "jobs": jobs,
    }
