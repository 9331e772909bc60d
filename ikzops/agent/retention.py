"""Retention on a repository host, with local access: ``python3 -m ikzops_agent.retention``.

Runs as the rest-server's user (so pruned repositories stay readable by it), never
through the clients' append-only REST credentials. For each repository of
``/etc/ikzops/retention.json`` it decides which snapshots the job's policy keeps and
forgets the others by id (``restic forget --prune ID...``). A repository that does not
exist yet is skipped. Exit 0 all done, 1 some failed.

The policy is applied to the time each snapshot **arrived on this host** (the mtime
rest-server gave its file, which no client can set), not to the time the client
claims: restic keeps the newest snapshot of each day, week and month (and the oldest
while buckets are unfilled), so snapshots dated into the future or back into an old
bucket, by a forger or a client with a wrong clock, would crowd real ones out and have
them deleted. A back-dated snapshot therefore counts as what it is, a new one. A
snapshot claiming a time after its arrival (impossible for an honest client) is kept
out of the policy, never forgotten automatically, and named in the report for an
operator. A flood (a compromised client making many snapshots now, which would push good
ones out of ``keep_last`` and today's bucket as honest backups would) costs only space:
nothing that arrived within the job's ``keep_within`` window before the newest snapshot is
forgotten, so the good runs of that window survive it.
A repository copied elsewhere and back must keep its files' mtimes (``cp -a``, ``rsync -a``).
A repository in a bucket of an S3 gateway is opened as the bucket's owner; a snapshot
arrived when the gateway stored its object (``LastModified``, which no client sets either;
read with Debian's python3-boto3). What it forgets stays stored, locked, until the
bucket's Object Lock ends; then the bucket's lifecycle expires it.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime

from . import restic
from .bucket import arrivals
from .execute import log, run
from .fileio import write_atomic
from .policy import kept

CONFIG = "/etc/ikzops/retention.json"


def received(path: str, snapshot_id: str) -> datetime:
    return datetime.fromtimestamp(os.stat(os.path.join(path, "snapshots", snapshot_id)).st_mtime, UTC)


def repository(entry: dict, state_dir: str) -> restic.Repository:
    cache = os.path.join(state_dir, "cache")
    if entry.get("url"):
        return restic.Repository(url=entry["url"], password_file=entry["password_file"], cacert=entry.get("cacert"),
                                 cache_dir=cache, s3_key_file=entry["s3_key_file"],
                                 s3_secret_file=entry["s3_secret_file"])
    return restic.Repository(url=entry["path"], password_file=entry["password_file"], cache_dir=cache)


def misdated(snapshots: list[dict], arrived: dict[str, datetime]) -> list[str]:
    return [f"{s['short_id']} claims {s['time'][:19]}, arrived {arrived[s['id']].isoformat(timespec='seconds')}"
            for s in snapshots]


def decide(snapshots: list[dict], arrived: dict[str, datetime], policy: dict) -> tuple[set[str], set[str]]:
    """(ids to keep, ids dated after their arrival): the policy by arrival time, future-dated ones kept aside."""

    future = {s["id"] for s in snapshots if restic.claims_after(s, arrived[s["id"]])}
    return kept({i: t for i, t in arrived.items() if i not in future}, policy) | future, future


def apply(entry: dict, repo: restic.Repository) -> dict:
    listed = run(restic.snapshots(repo, tags=[f"ikz-job={entry['job']}"]))
    if listed.returncode == 10:  # a bucket the job has not written to yet
        return {"status": "no repository yet"}
    if listed.returncode != 0:
        return {"status": "failed", "error": f"cannot list snapshots: {restic.error_text(listed.stderr)}"}
    snapshots = restic.parse_snapshots(listed.stdout)
    if entry.get("url"):
        stored = arrivals(entry["url"], entry.get("cacert"), entry["s3_key_file"], entry["s3_secret_file"])
        missing = [s["short_id"] for s in snapshots if s["id"] not in stored]
        if missing:
            return {"status": "failed", "error": f"no arrival time for snapshot(s) {', '.join(missing)}"}
        arrived = {s["id"]: stored[s["id"]] for s in snapshots}
    else:
        arrived = {s["id"]: received(entry["path"], s["id"]) for s in snapshots}
    keep, future = decide(snapshots, arrived, entry["keep"])
    drop = sorted(set(arrived) - keep)
    outcome = {"status": "ok", "kept": len(keep), "removed": len(drop),
               "misdated": misdated([s for s in snapshots if s["id"] in future], arrived)}
    if drop:
        done = run(restic.forget_snapshots(repo, drop))
        if done.returncode != 0:
            return {"status": "failed", "error": f"{restic.meaning(done.returncode)}: {restic.error_text(done.stderr)}"}
    return outcome


def main(argv: list[str]) -> int:
    with open(argv[0] if argv else CONFIG, encoding="utf-8") as handle:
        config = json.load(handle)
    status = 0
    report = {"started": datetime.now(UTC).isoformat(), "repositories": {}}
    for entry in config["repositories"]:
        repo = repository(entry, config["state_dir"])
        if not entry.get("url") and not os.path.exists(os.path.join(entry["path"], "config")):
            report["repositories"][entry["job"]] = {"status": "no repository yet"}
            continue
        try:
            outcome = apply(entry, repo)
        except Exception as exc:  # noqa: BLE001 - one repository's failure (a file, the gateway) never stops the others
            outcome = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
        report["repositories"][entry["job"]] = outcome
        if outcome["status"] == "no repository yet":
            continue
        if outcome["status"] != "ok":
            status = 1
            log(f"{entry['job']}: FAILED {outcome['error']}")
            continue
        log(f"{entry['job']}: kept {outcome['kept']}, forgot {outcome['removed']} snapshot(s), pruned")
        for line in outcome["misdated"]:
            log(f"{entry['job']}: snapshot dated after it arrived (client clock wrong or forged): {line}")
    report["finished"] = datetime.now(UTC).isoformat()
    os.makedirs(config["state_dir"], mode=0o700, exist_ok=True)
    write_atomic(os.path.join(config["state_dir"], "last-run.json"), json.dumps(report, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
