"""Site faults, done for real: a partner cut off mid-backup and mid-drill, a full repository
disk, a stopped REST server, a client whose clock is wrong. Each ends with a clear message,
the contract's exit code, and no byte of earlier backups lost."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from ikzops import layout
from ikzops.cli import cli
from ikzops.errors import ExitCode
from ikzops.orchestrate import backup as backups
from ikzops.orchestrate import deploy as deploys
from ikzops.orchestrate import drill as drills
from ikzops.orchestrate import verify as verifier
from ikzops.progress import Recorder
from ikzops.state import state_root
from tests.faults.lab.breakage import (
    bulk,
    catch_up,
    client_backup_at,
    cut_off,
    forget_run,
    in_container,
    last_run,
    local_snapshots,
    restic_running,
    sh,
    signal_restic,
    small_disk,
)
from tests.lab.helpers import LAB, lab_inventory_copy, repo_path, timer_held, wait_for

pytestmark = pytest.mark.fault("site")


def test_partner_cut_off_mid_backup_is_given_up_in_bounded_time_and_caught_up(p, ledger, fault):
    before = ledger.take(("city-files",))
    give_up = p.jobs["city-files"].spec.give_up_after.total_seconds()
    outcome = {}
    with bulk(p, "city-app", "/srv/data", megabytes=250):
        worker = threading.Thread(target=lambda: outcome.update(
            run=backups.backup(LAB, ("city-files",), Recorder())[0], ended=time.monotonic()))
        worker.start()
        assert wait_for(lambda: restic_running(p, "city-app", "backup"), 30, step=0.1), "the backup never ran"
        time.sleep(1)
        with cut_off(p, "district-san"):
            cut = time.monotonic()
            worker.join(timeout=give_up + 120)
            assert not worker.is_alive(), "the backup did not give up on the cut-off site"
    run = outcome["run"]
    assert run.exit_code == ExitCode.FINDING
    assert run.destinations["city"]["ok"] is True
    district = run.destinations["district"]
    assert district["ok"] is False and "gave up on district" in district["error"], district["error"]
    assert outcome["ended"] - cut < give_up + 45  # give_up_after + a probe + restic's grace to stop
    catch_up("city-files")
    # the cut-off restic could not remove its lock; the catch-up run did (retention needs it gone)
    assert sh(p, "district-san", f"ls {repo_path(p, 'city-files', 'district')}/locks | wc -l").strip() == "0"
    fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0


def test_partner_cut_off_mid_drill_is_unreachable_and_the_next_drill_leaves_no_scratch(p, ledger, fault):
    before = ledger.take(("city-db",))
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(
        result=drills.drill(LAB, jobs=("city-db",), progress=Recorder())[0][0]))
    worker.start()
    # hold the restore where it is (it takes a second in the lab), cut the site off, let it go on
    assert wait_for(lambda: restic_running(p, "district-san", "restore"), 30, step=0.02), "the restore never ran"
    signal_restic(p, "district-san", "restore", "STOP")
    with cut_off(p, "district-san"):
        signal_restic(p, "district-san", "restore", "CONT")
        worker.join(timeout=120)
        assert not worker.is_alive(), "the drill hung on the cut-off site"
    result = outcome["result"]
    assert result.verdict == "unreachable"
    assert any("lost the connection to 172.30.77.21" in reason for reason in result.reasons), result.reasons
    left = in_container(p, "district-san", "ls -d /var/tmp/ikzops-drill-* 2>/dev/null || true").split()
    again = drills.drill(LAB, jobs=("city-db",), progress=Recorder())[0][0]
    assert again.verdict == "passed", again.reasons
    if left:  # the cut-off drill could not clean up: the next one does
        assert any("left by interrupted drills" in warning for warning in again.warnings), again.warnings
    assert sh(p, "district-san", "ls -d /var/tmp/ikzops-drill-* 2>/dev/null | wc -l").strip() == "0"
    fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0


def test_full_repository_disk_fails_that_site_with_the_reason_and_keeps_its_snapshots(p, ledger, fault):
    before = ledger.take(("city-files",))
    with small_disk(p, "district-san", repo_path(p, "city-files", "district"), free_megabytes=2):
        with bulk(p, "city-app", "/srv/data", megabytes=24):
            result = CliRunner().invoke(cli, ["backup", "-i", LAB, "--job", "city-files"])
    assert result.exit_code == ExitCode.FINDING, result.output
    report = last_run(p, "city-files")
    assert report["destinations"]["city"]["ok"] is True
    assert "disk full" in report["destinations"]["district"]["error"]
    assert "disk full" in result.output
    catch_up("city-files")
    fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0


def quota_metrics(p, host: str) -> dict[str, tuple[int, int]]:
    """``{partner: (used, quota)}`` as the quota sampling unit on ``host`` writes them now."""

    sh(p, host, "systemctl start ikzops-quota.service")
    found: dict[str, dict[str, int]] = {}
    for line in sh(p, host, f"cat {layout.METRICS_DIR}/ikzops_quota.prom").splitlines():
        if line.startswith("ikzops_partner_quota"):
            name, value = line.rsplit(" ", 1)
            partner = name.split('partner="')[1].split('"')[0]
            found.setdefault(partner, {})[name.split("{")[0]] = int(value)
    return {k: (v["ikzops_partner_quota_used_bytes"], v["ikzops_partner_quota_bytes"]) for k, v in found.items()}


def test_a_partner_at_its_quota_gets_quota_exceeded_and_the_other_partner_goes_on(p, ledger, fault, tmp_path,
                                                                                  monkeypatch):
    """city's quota on district-san set to what it stores there plus 4 MiB: city's next 24 MiB
    are refused at district (its own site takes them), while district's jobs on the same host
    go on writing; the quota in force is the one the metrics report."""

    monkeypatch.setenv("IKZOPS_STATE_DIR", str(state_root()))
    before = ledger.take(("city-files", "district-files"))
    used, _ = quota_metrics(p, "district-san")["city"]
    limit = used + (4 << 20)
    changed = lab_inventory_copy(tmp_path, replace_at_district={
        '"reserve": {"city": "16G", "district": "16G"}': f'"reserve": {{"city": {limit}, "district": "16G"}}'})
    try:
        assert not deploys.deploy(str(changed)).errors
        assert quota_metrics(p, "district-san")["city"] == (used, limit)
        with bulk(p, "city-app", "/srv/data", megabytes=24), bulk(p, "district-app", "/srv/data", megabytes=8):
            refused = CliRunner().invoke(cli, ["backup", "-i", LAB, "--job", "city-files"])
            other = CliRunner().invoke(cli, ["backup", "-i", LAB, "--job", "district-files"])
        district_used, _ = quota_metrics(p, "district-san")["district"]
    finally:
        assert not deploys.deploy(LAB).errors
    assert refused.exit_code == ExitCode.FINDING, refused.output
    report = last_run(p, "city-files")
    assert report["destinations"]["city"]["ok"] is True
    assert "quota exceeded" in report["destinations"]["district"]["error"], report["destinations"]["district"]
    assert "quota exceeded" in refused.output
    assert other.exit_code == ExitCode.OK, other.output
    assert district_used > 8 << 20  # district's 8 MiB landed beside city's refused 24
    catch_up("city-files")
    fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0


def test_stopped_rest_server_fails_that_site_in_seconds_and_the_next_run_catches_up(p, ledger, fault):
    before = ledger.take(("district-files",))
    server = layout.rest_unit("district")
    sh(p, "city-san", f"systemctl stop {server}")
    try:
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["backup", "-i", LAB, "--job", "district-files"])
        took = time.monotonic() - started
    finally:
        sh(p, "city-san", f"systemctl start {server}")
    assert result.exit_code == ExitCode.FINDING, result.output
    error = last_run(p, "district-files")["destinations"]["city"]["error"]
    assert f"cannot reach 172.30.77.11:{layout.rest_port(p, 'district')}" in error and "refused" in error, error
    assert took < 30
    catch_up("district-files")
    fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0


def test_client_clock_two_days_ahead_is_named_by_verify_and_not_taken_as_newest(p, ledger, fault):
    before = ledger.take(("city-files",))
    with timer_held(p, "city-files"):  # no scheduled run arrives after the skewed one
        client_backup_at(p, "city-files", datetime.now(UTC) + timedelta(days=2), "29991231T000000Z-skew")
        try:
            report = verifier.verify(LAB, jobs=("city-files",), sites=("district",))
            assert report.exit_code == ExitCode.FINDING
            findings = " ".join(report.repositories[0].findings)
            assert "dated in the future" in findings and "clock" in findings
            # the skewed snapshot arrived last at district: the drill's guess, which its listing
            # turns down (the restore of it is stopped) for the newest honest one
            held = local_snapshots(p, "city-files", "district")
            skewed = [s["id"] for s in held if "ikz-run=29991231T000000Z-skew" in (s.get("tags") or [])]
            assert skewed and max(held, key=lambda s: s["arrived"])["id"] in skewed
            drilled = drills.drill(LAB, jobs=("city-files",), from_site="district", progress=Recorder())[0][0]
            assert drilled.verdict == "passed", drilled.reasons  # it restored the newest honest snapshot
            assert drilled.snapshot not in skewed and drilled.files > 0
            assert datetime.fromisoformat(drilled.snapshot_time) < datetime.now(UTC)
        finally:
            for site in ("city", "district"):  # a catch-up may have copied it along
                forget_run(p, "city-files", site, "29991231T000000Z-skew")
    fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0


