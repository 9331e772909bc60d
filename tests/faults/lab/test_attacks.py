"""Attacks by a compromised client, for real: it tries to overwrite what it backed up, and it
sends snapshots with forged times to make retention delete good ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ikzops import layout
from ikzops.agent import restic
from ikzops.agent.policy import kept
from tests.faults.lab.breakage import (
    catch_up,
    client_backup_at,
    forget_run,
    local_snapshots,
    retention_plan,
    sh,
)
from tests.lab.helpers import on_host, repo_path

pytestmark = pytest.mark.fault("attack")


def post_as_client(p, client: str, url: str, body: str) -> str:
    """An HTTP POST with the client's own REST credentials (from a curl config on stdin, not argv)."""

    script = (f'printf \'user = "%s:%s"\\n\' {client} "$(cat {layout.REST_PASSWORD_FILE})" | '
              f"curl -s -o /dev/null -w '%{{http_code}}' --cacert {layout.CA_FILE} -K - -X POST "
              f"--data-binary @/etc/hostname {url}")
    return on_host(p, client, script, check=False).stdout.strip()


@pytest.mark.parametrize("what", ["config", "snapshot", "key"])
def test_client_cannot_overwrite_its_repository_files(p, ledger, fault, what):
    before = ledger.take(("city-files",))
    path = repo_path(p, "city-files", "city")
    folder = {"config": "", "snapshot": "snapshots/", "key": "keys/"}[what]
    name = "config" if what == "config" else sh(p, "city-san", f"ls {path}/{folder} | head -1").strip()
    digest = sh(p, "city-san", f"sha256sum {path}/{folder}{name}")
    url = f"https://172.30.77.11:{layout.rest_port(p, 'city')}/city-app/city-files/{folder}{name}"
    assert post_as_client(p, "city-app", url, "overwritten") == "403"
    assert sh(p, "city-san", f"sha256sum {path}/{folder}{name}") == digest
    fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0


def retention(p, host: str) -> None:
    sh(p, host, "systemctl start ikzops-retention.service")


def survivors(p, job: str, site: str) -> set[str]:
    return {s["id"] for s in local_snapshots(p, job, site)}


def test_forged_old_snapshot_does_not_make_retention_delete_the_oldest_good_one(p, ledger, fault):
    job, site, host = "city-files", "district", "district-san"
    policy = p.jobs[job].spec.retention.model_dump()
    while len(local_snapshots(p, job, site)) < policy["keep_last"] + 2:  # more than keep_last keeps
        catch_up(job)
    before = ledger.take((job,))
    good = local_snapshots(p, job, site)
    oldest_good = min(good, key=lambda s: s["arrived"])["id"]
    forged_at = min(restic.snapshot_time(s["time"]) for s in good) - timedelta(days=400)
    client_backup_at(p, job, forged_at, "20000101T000000Z-forged")
    everything = local_snapshots(p, job, site)
    by_claim = kept({s["id"]: restic.snapshot_time(s["time"]) for s in everything}, policy)
    by_arrival, retired = retention_plan(p, job, site)
    try:
        retention(p, host)
        left = survivors(p, job, site)
        # what plain restic (by claimed time) would have cost, and what ikzops keeps
        if len({restic.snapshot_time(s["time"]).date() for s in good}) == 1:  # a fresh lab: all from today
            assert oldest_good not in by_claim, "plain restic (claimed times) would have deleted it"
        assert oldest_good in left
        assert by_arrival & {s["id"] for s in good} <= left
    finally:
        forget_run(p, job, site, "20000101T000000Z-forged")
    fault.lost_bytes = ledger.lost_since(before, drill=False, retired=retired)
    assert fault.lost_bytes == 0


def test_forged_future_snapshots_do_not_make_retention_delete_the_newest_good_one(p, ledger, fault):
    job, site, host = "city-files", "district", "district-san"
    before = ledger.take((job,))
    newest_good = max(local_snapshots(p, job, site), key=lambda s: restic.snapshot_time(s["time"]))["id"]
    now = datetime.now(UTC)
    runs = [f"29990101T00000{day}Z-forged" for day in range(7)]
    for day, run in enumerate(runs):  # one in each of the next seven days: every daily bucket
        client_backup_at(p, job, now + timedelta(days=day + 1), run)
    _, retired = retention_plan(p, job, site)
    try:
        retention(p, host)
        assert newest_good in survivors(p, job, site)
        report = sh(p, host, "cat /var/lib/ikzops/retention/last-run.json")
        assert "claims" in report and "arrived" in report  # the misdated snapshots are named
    finally:
        for run in runs:
            forget_run(p, job, site, run)
    fault.lost_bytes = ledger.lost_since(before, drill=False, retired=retired)
    assert fault.lost_bytes == 0


def test_flood_of_new_snapshots_costs_only_space_retention_keeps_every_good_run_of_the_window(p, ledger, fault):
    # district-files keeps the default window (7 days); every run of the lab arrived within it
    job, site, host = "district-files", "city", "city-san"
    assert p.jobs[job].spec.retention.keep_within == timedelta(days=7)
    before = ledger.take((job,))
    good = survivors(p, job, site)
    runs = [f"29990102T00000{n}Z-flood" for n in range(7)]
    try:
        for run in runs:
            client_backup_at(p, job, datetime.now(UTC), run)
        retention(p, host)
        assert good <= survivors(p, job, site)
        fault.lost_bytes = ledger.lost_since(before, drill=False)
    finally:
        for run in runs:
            forget_run(p, job, site, run)
        catch_up(job)  # a newest snapshot again for the cases after this one
    assert fault.lost_bytes == 0
