"""``ikzops verify``: for every job × destination, is the backup fresh, replicated and intact?

Runs on each repository host over SSH, with local access to the repositories (as the
rest-server's user, with the job's repository password that retention already has):
no client is needed, so a lost home site does not stop the check of its replicas,
and data is read at disk speed. Per repository:

* freshness: age of the newest snapshot against the job's RPO;
* replication: runs (``ikz-run`` tags) the other destinations hold and this one lacks,
  and how far it lags;
* integrity: ``restic check --read-data-subset n/t`` with a cursor kept on the
  repository host, so every pack is read at least once every t runs;
* size and growth since the last verify (per partner in the capacity view).

A host that cannot be reached marks its repositories unreachable; all others are
still checked and reported.
"""

from __future__ import annotations

import json
import shlex
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from ikzops import execute, layout
from ikzops.agent import restic
from ikzops.agent.policy import kept
from ikzops.errors import ExitCode, IkzopsError, worst
from ikzops.execute import Command, Result
from ikzops.history import log
from ikzops.model import buckets, loader
from ikzops.model.partnership import Job, Partnership
from ikzops.model.quotas import quotas
from ikzops.model.schedule import runs_per_day
from ikzops.model.schema import Retention
from ikzops.model.units import format_duration, format_seconds, format_size
from ikzops.monitoring import textfile
from ikzops.monitoring.metrics import QUOTA_CRITICAL, flooded, render_usage, render_verify
from ikzops.runners import restic as runner
from ikzops.runners import rgw
from ikzops.runners.ssh import Connections, write_file
from ikzops.secrets import s3 as s3_keys
from ikzops.secrets.store import SecretStore

JSON_VERSION = 1
STATUS_CODES = {"ok": ExitCode.OK, "finding": ExitCode.FINDING, "unreachable": ExitCode.UNREACHABLE}


@dataclass
class CheckResult:
    subset: str = ""
    ok: bool | None = None
    error: str = ""
    cursor: int = 0
    of: int = 0
    last_full_pass: str | None = None


@dataclass
class ScrubResult:
    """Pack files hashed against their names (``agent/scrub.py``): every new one, a rotating share of the rest."""

    packs: int = 0
    bytes: int = 0
    hashed_packs: int = 0
    hashed_bytes: int = 0
    new_packs: int = 0
    damaged: list[dict] = field(default_factory=list)
    #: bytes of the current packs proven in the last 7 days, and since when every pack is proven
    proven_7d_bytes: int = 0
    last_complete_pass: str | None = None
    seconds: float = 0.0
    error: str | None = None


@dataclass
class RepoStatus:
    job: str
    site: str
    host: str
    status: str = "ok"  # ok | finding | unreachable
    findings: list[str] = field(default_factory=list)
    snapshots: int = 0
    newest_snapshot: str | None = None
    age_seconds: float | None = None
    rpo_seconds: float = 0
    missing_runs: list[str] = field(default_factory=list)
    #: snapshots dated in the last 24 hours (or later), against the runs the schedule explains
    snapshots_last_day: int = 0
    expected_per_day: float = 0.0
    lag_seconds: float | None = None
    check: CheckResult = field(default_factory=CheckResult)
    scrub: ScrubResult = field(default_factory=ScrubResult)
    size_bytes: int | None = None
    growth_bytes: int | None = None
    seconds: float = 0.0
    #: run tag -> snapshot time, for the replication comparison (not in the JSON)
    runs: dict[str, datetime] = field(default_factory=dict, repr=False)

    @property
    def last_complete_pass(self) -> str | None:
        """Since when every byte is proven: every pack hashed, or all data read by restic check."""

        return max((t for t in (self.scrub.last_complete_pass, self.check.last_full_pass) if t), default=None)

    def finding(self, text: str) -> None:
        self.findings.append(text)
        if self.status == "ok":
            self.status = "finding"

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("runs")
        return data


@dataclass
class VerifyReport:
    partnership: str
    started: str
    seconds: float
    repositories: list[RepoStatus]
    #: per repository host and partner: the bytes measured against its quota there
    quotas: list[dict] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        return worst(STATUS_CODES[r.status] for r in self.repositories)

    def as_json(self) -> dict:
        return {
            "version": JSON_VERSION, "partnership": self.partnership, "started": self.started,
            "seconds": round(self.seconds, 3), "exit_code": int(self.exit_code),
            "repositories": [r.as_json() for r in self.repositories],
            "quotas": self.quotas,
        }


def check_repository(connections: Connections, job: Job, destination: layout.Destination, *, subsets: int,
                     full: bool, now: datetime) -> RepoStatus:
    status = RepoStatus(job.name, destination.site, destination.host, rpo_seconds=job.spec.rpo.total_seconds())
    started = time.monotonic()
    try:
        with connections.borrow(destination.host) as machine:
            _check(machine, status, job, destination, subsets=subsets, full=full, now=now)
    except IkzopsError as exc:
        status.status = "unreachable"
        status.findings.append(exc.message)
    status.seconds = round(time.monotonic() - started, 3)
    return status


def _check(machine, status: RepoStatus, job: Job, destination: layout.Destination, *, subsets: int,
           full: bool, now: datetime) -> None:
    repo = layout.local_repository(job, destination)
    state_file = f"{layout.VERIFY_STATE}/{job.name}.json"
    state = (_open_bucket if destination.s3 else _open_directory)(machine, status, repo, destination, state_file)
    if state is None:
        return
    # at once: the listing (without a lock) beside the check (its exclusive lock) and the
    # pack hashing (no key, no lock): each is mostly one core's work (restic's key
    # derivation, the hashing), and this host has more than one
    with ThreadPoolExecutor(max_workers=3) as pool:
        listed = pool.submit(runner.list_snapshots, machine, repo, job.name, as_user=layout.REST_SERVER_USER,
                             now=now, lock=False)
        integrity = pool.submit(_integrity, machine, status, repo, destination, state, subsets=subsets, full=full)
        hashed = pool.submit(_hash_packs, machine, job, destination, repo)
        snapshots = listed.result()
        integrity.result()
        _freshness(status, snapshots, job)
        _scrub(machine, status, repo, job, destination, snapshots, hashed.result())
    if not destination.s3:  # a bucket's size is the gateway's count (see _bucket_checks)
        _size(machine, status, destination, state)
    state["last_verify"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_file(machine, state_file, json.dumps(state), mode="0600", purpose="save the check cursor")


def _open_directory(machine, status: RepoStatus, repo: restic.Repository, destination: layout.Destination,
                    state_file: str) -> dict | None:
    """A repository in a rest-server's directory: its check cursor, after stale locks are
    removed; None (a finding) if there is no repository."""

    path = shlex.quote(destination.path)
    # one round trip: is there a repository, has it locks, and the check cursor
    looked = execute.run_remote_shell(
        machine, f"test -f {path}/config || exit 10; ls -A {path}/locks | wc -l; cat {state_file} 2>/dev/null || echo '{{}}'",
        "look for the repository, its locks and the check cursor")
    if looked.returncode != 0:
        status.finding(f"no repository at {destination.host}:{destination.path} (has the job ever run?)")
        return None
    locks, _, cursor = looked.stdout.partition("\n")
    if locks.strip() != "0":
        # locks of processes that died (an interrupted drill, check or backup) would fail what
        # follows; restic removes only the stale ones (a running backup's lock stays)
        runner.run(machine, restic.unlock(repo), check=False, as_user=layout.REST_SERVER_USER)
    return json.loads(cursor.strip() or "{}")


def _open_bucket(machine, status: RepoStatus, repo: restic.Repository, destination: layout.Destination,
                 state_file: str) -> dict | None:
    """A repository in a bucket, from the host that maintains it, as the bucket's owner: its
    check cursor, after stale locks are removed; None (a finding) if there is no repository.
    It is checked and hashed like a directory (each pack read from the gateway)."""

    cursor = execute.run_remote_shell(machine, f"cat {state_file} 2>/dev/null || echo '{{}}'", "read the check cursor")
    unlocked = runner.run(machine, restic.unlock(repo), check=False, as_user=layout.REST_SERVER_USER)
    if unlocked.returncode == 10:
        status.finding(f"no repository in {destination.url} (has the job ever run?)")
        return None
    return json.loads(cursor.stdout.strip() or "{}")


def _freshness(status: RepoStatus, snapshots: runner.Snapshots, job: Job) -> None:
    """How many snapshots, the newest plausible one against the RPO, future-dated ones named."""

    if snapshots.error:
        status.finding(f"cannot list snapshots: {snapshots.error}")
        return
    status.snapshots = len(snapshots.all)
    status.runs = {restic.tag_value(s, "ikz-run") or s["id"]: restic.snapshot_time(s["time"]) for s in snapshots.all}
    _flood(status, snapshots.now, job)
    future = snapshots.future
    if future:
        status.finding(
            f"{len(future)} snapshot(s) dated in the future (up to {max(s['time'][:19] for s in future)}): "
            "a client's clock is wrong or a snapshot was forged; retention keeps it until an operator forgets it"
        )
    newest = snapshots.newest()
    if newest is None:
        status.finding("no snapshot of this job")
        return
    taken = restic.snapshot_time(newest["time"])
    status.newest_snapshot = taken.isoformat()
    status.age_seconds = round((snapshots.now - taken).total_seconds(), 1)
    if status.age_seconds > status.rpo_seconds:
        status.finding(
            f"stale: newest snapshot is {format_duration(snapshots.now - taken)} old, RPO is {format_duration(job.spec.rpo)}"
        )


def _flood(status: RepoStatus, now: datetime, job: Job) -> None:
    """A client making snapshots far faster than its schedule (compromised, or a loop):
    retention keeps every run of its window, so it costs space, and this names it."""

    status.snapshots_last_day = sum(1 for taken in status.runs.values() if taken >= now - timedelta(days=1))
    status.expected_per_day = round(runs_per_day(job.spec.schedule), 2)
    if flooded(status.snapshots_last_day, status.expected_per_day):
        status.finding(
            f"flood: {status.snapshots_last_day} snapshots in the last 24 hours, the schedule explains "
            f"{status.expected_per_day:g}: is {job.client} compromised or looping? Retention keeps every run of "
            f"the last {format_duration(job.spec.retention.keep_within)}, so the repository fills meanwhile"
        )


def _integrity(machine, status: RepoStatus, repo: restic.Repository, destination: layout.Destination, state: dict, *,
               subsets: int, full: bool) -> None:
    """``restic check`` of the next subset (or all data); the cursor in ``state`` moves on success."""

    part = int(state.get("cursor", 0)) % subsets + 1
    status.check = CheckResult(subset="all" if full else f"{part}/{subsets}", of=subsets,
                               last_full_pass=state.get("last_full_pass"))
    checked = runner.run(machine, restic.check(repo, subset=None if full else f"{part}/{subsets}", read_all=full),
                         check=False, as_user=layout.REST_SERVER_USER, timeout=6 * 3600)
    locked = checked.returncode == 11 or "unlock" in checked.stderr and "lock" in checked.stderr
    if locked:
        status.check.error = restic.error_text(checked.stderr)
        status.finding("not checked: the repository stayed locked by a running backup, check or drill "
                       f"(on {destination.host}: `restic -r {destination.path or destination.url} list locks`)")
    elif checked.returncode == 0:
        status.check.ok = True
        state["last_check"] = {"ok": True, "subset": status.check.subset, "when": _now()}
        state["cursor"] = 0 if full else part
        if full or part == subsets:
            state["last_full_pass"] = datetime.now(UTC).isoformat(timespec="seconds")
    else:
        status.check.ok = False
        detail = restic.error_text(checked.stderr) or restic.error_text(checked.stdout)
        status.check.error = f"{restic.meaning(checked.returncode)}: {detail}"
        state["last_check"] = {"ok": False, "subset": status.check.subset, "when": _now(), "error": detail[-500:]}
        status.finding(f"integrity: restic check ({status.check.subset}) failed: {detail.splitlines()[-1] if detail else ''}")
    status.check.cursor = int(state.get("cursor", 0))
    status.check.last_full_pass = state.get("last_full_pass")


def _hash_packs(machine, job: Job, destination: layout.Destination, repo: restic.Repository) -> Result:
    """Every pack that arrived since the last verify, and older ones within the job's
    budget, hashed against its name (the agent's scrub: no repository key, no lock); a
    bucket's packs read from the gateway as the bucket's owner (the key files named)."""

    state_file = f"{layout.VERIFY_STATE}/{job.name}.scrub.json"
    where = ((repo.url, state_file, str(job.spec.scrub_budget), repo.cacert, repo.s3_key_file, repo.s3_secret_file)
             if destination.s3 else (destination.path, state_file, str(job.spec.scrub_budget)))
    return execute.run_remote(machine, Command(layout.agent_argv("scrub", *where), purpose="hash the pack files"),
                              check=False, timeout=6 * 3600)


def _scrub(machine, status: RepoStatus, repo: restic.Repository, job: Job, destination: layout.Destination,
           snapshots: runner.Snapshots, done: Result) -> None:
    """What the hashing found; a damaged pack is named with the runs that need it."""

    try:
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        found = {"error": done.stderr.strip()[-300:] or f"exit {done.returncode}"}
    scrub = status.scrub
    if found.get("error"):
        scrub.error = found["error"]
        status.finding(f"packs not hashed: {scrub.error}")
        return
    scrub.packs, scrub.bytes, scrub.seconds = found["packs"], found["bytes"], found["seconds"]
    scrub.hashed_packs, scrub.hashed_bytes = found["hashed"]["packs"], found["hashed"]["bytes"]
    scrub.new_packs, scrub.damaged = found["hashed"]["new"], found["damaged"]
    scrub.proven_7d_bytes, scrub.last_complete_pass = found["proven_7d_bytes"], found["last_complete_pass"]
    others = ", ".join(s for s in job.destinations if s != destination.site)
    where = destination.url if destination.s3 else f"{destination.host}:{destination.path}"
    for damaged in scrub.damaged:
        damaged["runs"] = _runs_needing(machine, repo, damaged, snapshots)
        needed = ", ".join(damaged["runs"]) or "none of the runs held here"
        status.finding(
            f"damaged pack {damaged['pack']} at {destination.site} ({where}/data/{damaged['pack'][:2]}/, "
            f"arrived {damaged['arrived']}): {damaged['problem']}; runs that need it: "
            f"{needed}. Restore those --from {others or 'another site'}; repair here with `restic repair packs`"
        )


#: the most snapshots asked about one damaged pack (one ``restic find`` each, newest first)
PACK_RUNS_ASKED = 30


def _runs_needing(machine, repo: restic.Repository, damaged: dict, snapshots: runner.Snapshots) -> list[str]:
    """The runs (newest first) with a blob in the damaged pack: only snapshots that came
    after the pack can use it (a day of slack for clocks)."""

    arrived = datetime.fromisoformat(damaged["arrived"]) - timedelta(days=1)
    candidates = sorted((s for s in snapshots.all if restic.snapshot_time(s["time"]) >= arrived),
                        key=lambda s: s["time"], reverse=True)
    runs = []
    for snapshot in candidates[:PACK_RUNS_ASKED]:
        found = runner.run(machine, restic.find_pack(repo, damaged["pack"], snapshot["id"]), check=False,
                           as_user=layout.REST_SERVER_USER)
        try:
            used = found.returncode == 0 and json.loads(found.stdout or "[]")
        except ValueError:
            used = False
        if used:
            runs.append(restic.tag_value(snapshot, "ikz-run") or snapshot["id"][:8])
    if len(candidates) > PACK_RUNS_ASKED:
        runs.append(f"(older runs not asked: {len(candidates) - PACK_RUNS_ASKED})")
    return runs


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _size(machine, status: RepoStatus, destination: layout.Destination, state: dict) -> None:
    size = execute.run_remote_shell(machine, f"du -sb {destination.path} | cut -f1", "measure the repository").stdout.strip()
    if size.isdigit():
        status.size_bytes = int(size)
        if "size_bytes" in state:
            status.growth_bytes = status.size_bytes - int(state["size_bytes"])
        state["size_bytes"] = status.size_bytes


def compare_replicas(statuses: list[RepoStatus], policy: Retention) -> None:
    """Name the runs a destination lacks although the job's retention would keep them.

    Runs retention has pruned at one site but not yet at another are no gap: the
    expected set is what the policy keeps out of every site's runs, limited to the
    span since the destination's oldest snapshot.
    """

    reachable = [s for s in statuses if s.status != "unreachable" and s.runs]
    if len(reachable) < 2:
        return
    union: dict[str, datetime] = {}
    for status in reachable:
        union.update(status.runs)
    expected = kept(union, policy.policy())
    for status in reachable:
        since = min(status.runs.values())
        missing = sorted(r for r in expected if r not in status.runs and union[r] >= since)
        status.lag_seconds = max(0.0, round((max(union.values()) - max(status.runs.values())).total_seconds(), 1))
        if missing:
            status.missing_runs = missing
            where = ", ".join(o.site for o in reachable if o is not status and set(missing) & set(o.runs))
            status.finding(
                f"replication gap: {len(missing)} run(s) held at {where} are missing here"
                + (f", lagging {format_seconds(status.lag_seconds)}" if status.lag_seconds > 0 else "")
            )


def verify(inventory: str, *, jobs: tuple[str, ...] = (), sites: tuple[str, ...] = (), subsets: int = 7,
           full: bool = False, workers: int = 8) -> VerifyReport:
    p = loader.load(inventory)
    selected = p.select_jobs(jobs)
    p.check_sites(sites)
    tasks = [(job, d) for job in selected for d in layout.destinations(p, job) if not sites or d.site in sites]
    started = datetime.now(UTC)
    clock = time.monotonic()
    with Connections(p.hosts) as connections:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(tasks)))) as pool:
            statuses = list(pool.map(lambda t: check_repository(connections, t[0], t[1], subsets=subsets, full=full,
                                                                now=started), tasks))
        _bucket_checks(p, tasks, statuses)
        for job in selected:
            compare_replicas([s for s in statuses if s.job == job.name], job.spec.retention)
        quotas = judge_quotas(p, statuses)
        report = VerifyReport(p.name, started.isoformat(timespec="seconds"), time.monotonic() - clock, statuses,
                              quotas)
        publish_metrics(p, report, connections)
    log.append(p.name, "verify", history_record(report))
    return report


def _bucket_checks(p: Partnership, tasks: list, statuses: list[RepoStatus]) -> None:
    """What only the gateway knows of each checked bucket: its size as it counts it (what its
    owner's quota counts), and every object written over an earlier version."""

    store = SecretStore(p.name)
    for (job, destination), status in zip(tasks, statuses, strict=True):
        if not destination.s3 or status.status == "unreachable":
            continue
        name = buckets.bucket(p, job)
        try:
            gateway = rgw.gateway(p, destination.gateway)
            status.size_bytes = gateway.bucket_bytes(name)
            owner = s3_keys.needed(store, destination.gateway, buckets.partner_user(p, job.owner))
            found = rgw.overwritten(gateway.s3(owner), name, skip=buckets.LOCKS_PREFIX)
        except IkzopsError as exc:
            status.finding(f"the gateway could not be asked: {exc.message}")
            continue
        except rgw.S3_ERRORS as exc:
            status.finding(f"the gateway could not be asked: {rgw.s3_error(exc, destination.url, 'list versions')}")
            continue
        for item in found:
            status.finding(f"object {item['key']} of bucket {name} was written over ({item['versions']} versions, the "
                           f"newest {item['latest']}): restic never writes a file twice, so a client or an "
                           "intruder did; the earlier version is kept (Object Lock): restore it as the owner")


def judge_quotas(p: Partnership, statuses: list[RepoStatus]) -> list[dict]:
    """Each partner's bytes on each repository host against its quota there, where this verify
    measured every repository of the partner on that host (pure). A partner at
    :data:`QUOTA_CRITICAL` of its quota is a finding on each of its repositories there: its
    next backups to that host will be refused."""

    measured = {(s.host, s.job): s for s in statuses}
    rows = []
    for host in p.hosts_with("repository"):
        landing = p.jobs_landing_on(host.name)
        for partner, quota in quotas(p, host.name).items():
            mine = [measured.get((host.name, job.name)) for job in landing if job.owner == partner]
            if quota is None or any(s is None or s.size_bytes is None for s in mine):
                continue
            used = sum(s.size_bytes for s in mine)
            rows.append({"host": host.name, "site": host.site, "partner": partner, "used_bytes": used,
                         "quota_bytes": quota, "used_share": round(used / quota, 4)})
            if used >= QUOTA_CRITICAL * quota:
                for status in mine:
                    status.finding(f"partner {partner} uses {used / quota:.0%} of its quota on "
                                   f"{host.name} ({format_size(used)} of {format_size(quota)}): its next "
                                   "backups there will be refused (quota exceeded); raise ikz_repository.reserve")
    return rows


def history_record(report: VerifyReport) -> dict:
    """What the history keeps of a verify run (pure): per repository its verdict and coverage."""

    return {
        "kind": "verify", "started": report.started, "seconds": round(report.seconds, 1),
        "exit_code": int(report.exit_code),
        "repositories": [{
            "job": r.job, "site": r.site, "host": r.host, "status": r.status, "findings": r.findings,
            "age_seconds": r.age_seconds, "rpo_seconds": r.rpo_seconds, "snapshots": r.snapshots,
            "check_ok": r.check.ok, "check_subset": r.check.subset, "hashed_bytes": r.scrub.hashed_bytes,
            "proven_7d_bytes": r.scrub.proven_7d_bytes, "bytes": r.scrub.bytes, "damaged": len(r.scrub.damaged),
            "last_complete_pass": r.last_complete_pass,
            "size_bytes": r.size_bytes,
        } for r in report.repositories],
    }


def usage_rows(p: Partnership, report: VerifyReport, host: str) -> list[dict]:
    """Per partner: its repositories' bytes on ``host`` (as this verify measured them) and the
    LUN capacity allocated to it at ``host``'s site (pure)."""

    site = p.hosts[host].site
    rows: dict[str, dict] = {}
    for status in report.repositories:
        if status.host == host and status.size_bytes is not None:
            row = rows.setdefault(p.jobs[status.job].owner, {"repository_bytes": 0, "repositories": 0, "lun_bytes": 0})
            row["repository_bytes"] += status.size_bytes
            row["repositories"] += 1
    for name, lun in p.luns.items():
        if p.hosts[lun.host].site == site:
            rows.setdefault(p.lun_owner(name), {"repository_bytes": 0, "repositories": 0, "lun_bytes": 0})
            rows[p.lun_owner(name)]["lun_bytes"] += lun.size
    return [{"partner": owner, "site": site, **row} for owner, row in sorted(rows.items())]


def publish_metrics(p: Partnership, report: VerifyReport, connections: Connections) -> None:
    """Textfile metrics on each reachable repository host, for its node_exporter."""

    for host in {s.host for s in report.repositories if s.status != "unreachable"}:
        rows = [s.as_json() for s in report.repositories if s.host == host]
        try:
            with connections.borrow(host) as machine:
                textfile.publish(machine, "ikzops_verify.prom", render_verify(rows, time.time()))
                textfile.publish(machine, "ikzops_usage.prom", render_usage(usage_rows(p, report, host)))
        except IkzopsError:
            continue
