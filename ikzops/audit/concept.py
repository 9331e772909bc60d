"""The backup concept (Datensicherungskonzept) of a partnership, built from the model and
the measured history (pure). Every section names the CON.3 requirement it answers."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from ikzops import layout
from ikzops.audit.con3 import REQUIREMENTS
from ikzops.audit.period import by_job
from ikzops.model import access
from ikzops.model.partnership import Job, Partnership
from ikzops.model.schedule import longest_gap, runs_per_day
from ikzops.model.units import format_duration, format_size

#: the history a concept measures volume and change rate over
MEASURED_DAYS = 30


def partner_of(p: Partnership, job: Job) -> str:
    """The partner whose data ``job`` holds."""

    return p.partners[job.owner].name


def contact_of(p: Partnership, site: str) -> str:
    """Who answers for a site's backups: the site's contact, else its operator's."""

    return p.sites[site].contact or p.operator(site).contact


def _what(job: Job) -> dict:
    spec = job.spec
    if job.luns:
        return {"kind": "SAN LUN images", "items": [f"LUN {lun}" for lun in job.luns]}
    items = list(spec.paths) + [f"PostgreSQL database {db}" for db in (spec.hooks.postgresql.databases
                                                                         if spec.hooks.postgresql else [])]
    return {"kind": "PostgreSQL dumps and files" if spec.hooks.postgresql else "files", "items": items}


def measured(backups: list[dict], now: datetime, per_day_runs: float) -> dict:
    """Data volume (the newest good run's) and change rate (median new data a run, times the
    runs a day) from a job's ``backups`` that got through in the last MEASURED_DAYS."""

    since = (now - timedelta(days=MEASURED_DAYS)).isoformat()
    runs = [r for r in backups if r.get("status") in (0, 1) and (r.get("finished") or "") >= since]
    sizes, added = [], []
    for run in runs:
        good = [d for d in run.get("destinations", {}).values() if d.get("ok")]
        if good:
            sizes.append(max(d.get("bytes_processed") or 0 for d in good))
            added.append(max(d.get("bytes_added") or 0 for d in good))
    if not runs:
        return {"runs": 0, "volume": "not measured yet", "change": "not measured yet", "volume_bytes": None,
                "change_bytes_per_day": None}
    median = round(statistics.median(added)) if added else 0
    per_day = round(median * per_day_runs)
    return {"runs": len(runs), "volume_bytes": sizes[-1] if sizes else None, "change_bytes_per_day": per_day,
            "volume": format_size(sizes[-1]) if sizes else "-",
            "change": f"{format_size(median)} a run (median of {len(added)}), about {format_size(per_day)} a day"}


def key_holders(p: Partnership, job: Job) -> list[str]:
    """Where the job's repository key is, and so whose administrators can decrypt its backups."""

    held = [f"{h.host} ({h.why}), administered by {p.partners[h.admin].name}" for h in access.holders(p, job)]
    return [*held, "the control host's secret store, and its sealed deposit on every repository host "
                   "(opened only with the recovery sheet)"]


def job_section(p: Partnership, job: Job, backups: list[dict], now: datetime, order: int) -> dict:
    spec = job.spec
    destinations = [{"site": d.site, "host": d.host, "operator": p.operator(d.site).name,
                     "building": "own site" if d.site == job.site else "separate building (partner site)"}
                    for d in layout.destinations(p, job)]
    return {
        "name": job.name, "partner": partner_of(p, job), "site": job.site, "client": job.client,
        **_what(job), "exclude": list(spec.exclude),
        "schedule": spec.schedule, "runs_per_day": round(runs_per_day(spec.schedule), 2),
        "longest_gap": format_duration(longest_gap(spec.schedule)),
        "rpo": format_duration(spec.rpo), "rto": format_duration(spec.rto),
        "rpo_seconds": spec.rpo.total_seconds(), "rto_seconds": spec.rto.total_seconds(),
        "retention": {k: v for k, v in spec.retention.policy().items() if v and k != "keep_within_seconds"} | {
            "keep_within": format_duration(spec.retention.keep_within)},
        "destinations": destinations, "offsite": bool(job.offsite), "priority": spec.priority,
        "restore_position": order, "measured": measured(backups, now, runs_per_day(spec.schedule)),
        "keys": key_holders(p, job),
    }


def build(p: Partnership, records: list[dict], now: datetime) -> dict:
    """The concept's data: partners and sites, jobs, protection, restore order, deviations."""

    restore_order = {site: [j.name for j in p.restore_order(site)] for site in p.sites}
    position = {name: index for names in restore_order.values() for index, name in enumerate(names, 1)}
    indexed = by_job(records)
    jobs = [job_section(p, job, indexed.get(job.name, {}).get("backup", []), now, position[job.name])
            for job in p.jobs.values()]
    deviations = []
    for name in p.sites:
        if not contact_of(p, name):
            deviations.append({"requirement": "CON.3.A6", "text": f"site {name} ({p.operator(name).name}) names no "
                                                                  f"contact (ikz_sites.{name}.contact)"})
    for job in jobs:
        if not job["offsite"]:
            deviations.append({"requirement": "CON.3.A12", "text": f"job {job['name']} has no copy in another building"})
    return {
        "version": 1, "partnership": p.name, "generated": now.isoformat(timespec="seconds"),
        "requirements": REQUIREMENTS,
        "sites": [{"name": name, "partner": p.operator(name).name, "description": s.description,
                   "contact": contact_of(p, name),
                   "hosts": sorted(h.name for h in p.hosts_in(name)),
                   "repository_host": next((h.name for h in p.hosts_with("repository", name)), None)}
                  for name, s in p.sites.items()],
        "jobs": jobs,
        "restore_order": restore_order,
        "protection": {
            "encryption": "restic: AES-256 in counter mode with Poly1305-AES authentication; every job has its own "
                          "repository key, held only where the job's section says",
            "transport": "TLS to every repository server, certificates of the partnership's own CA, pinned",
            "append_only": "the REST servers run --append-only: a client can add backups but not delete or overwrite "
                           "them; retention runs on the repository host itself",
            "private": "--private-repos: each client's credentials reach only its own repositories",
            "integrity": "verify proves freshness, replication and integrity (restic check, every new pack hashed "
                         "against its name); drills restore from the partner site and compare every file",
            "history": "every run is a record chained by its hash, kept on the control host and every repository host",
        },
        "deviations": deviations,
    }
