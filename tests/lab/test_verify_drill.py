"""verify and drill in the lab, against real repositories, with real damage done to them."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from ikzops import layout
from ikzops.agent import restic
from ikzops.cli import cli
from ikzops.errors import ExitCode
from ikzops.orchestrate import backup as backups
from ikzops.orchestrate import drill as drills
from ikzops.orchestrate import verify as verifier
from ikzops.progress import Recorder
from ikzops.runners import restic as runner
from ikzops.state import state_root
from tests.lab.helpers import LAB, ROOT, lab_inventory_copy, largest_indexed_pack, repo_path, sh, timer_held


@pytest.fixture(scope="module")
def backed_up(deployed_lab, p):
    runs = backups.backup(LAB, (), Recorder())
    assert backups.exit_code(runs) == ExitCode.OK
    return runs


def test_verify_after_backup_is_green_with_every_job_and_destination(backed_up, p):
    report = verifier.verify(LAB)
    assert report.exit_code == ExitCode.OK, [(r.job, r.site, r.findings) for r in report.repositories]
    assert {(r.job, r.site) for r in report.repositories} == {
        (job, site) for job, j in p.jobs.items() for site in j.destinations
    }
    assert all(r.check.ok and r.size_bytes for r in report.repositories)


def test_verify_json_is_the_documented_document(backed_up):
    result = CliRunner().invoke(cli, ["verify", "-i", LAB, "--json", "--job", "city-files"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["version"] == 1 and document["exit_code"] == 0
    row = document["repositories"][0]
    for key in ("job", "site", "host", "status", "findings", "newest_snapshot", "age_seconds", "rpo_seconds",
                "missing_runs", "lag_seconds", "check", "size_bytes", "growth_bytes"):
        assert key in row
    assert set(row["check"]) >= {"subset", "ok", "cursor", "of", "last_full_pass"}
    assert document["history"]["exit_code"] == 0 and document["history"]["findings"] == []


def test_check_subset_rotates_and_a_full_pass_is_dated(backed_up):
    first = verifier.verify(LAB, jobs=("district-files",), sites=("city",), subsets=2).repositories[0]
    second = verifier.verify(LAB, jobs=("district-files",), sites=("city",), subsets=2).repositories[0]
    assert {first.check.subset, second.check.subset} == {"1/2", "2/2"}
    assert second.check.last_full_pass or first.check.last_full_pass


def test_stale_job_is_named_and_exits_1(backed_up, tmp_path, monkeypatch):
    # the job's backups stopped (this schedule was never deployed) and its RPO is now 15 s
    monkeypatch.setenv("IKZOPS_STATE_DIR", str(state_root()))
    strict = lab_inventory_copy(tmp_path, replace={
        '"schedule": "hourly",\n        "rpo": "2h",': '"schedule": "*-*-* *:*:00/15",\n        "rpo": "15s",',
    })
    newest = max(r.age_seconds for r in verifier.verify(LAB, jobs=("city-db",)).repositories)
    time.sleep(max(0.0, 16 - newest))
    result = CliRunner().invoke(cli, ["verify", "-i", str(strict), "--job", "city-db"])
    assert result.exit_code == ExitCode.FINDING, result.output
    assert "city-db" in result.output and "stale" in result.output


def test_a_lock_left_by_a_killed_restic_is_removed_and_the_repository_checked(backed_up, p):
    job = p.jobs["district-files"]
    where = layout.destination(p, job, "city")
    check = runner.remote_command(restic.check(layout.local_repository(job, where), read_all=True),
                                  as_user=layout.REST_SERVER_USER)
    sh(p, where.host, f"({shlex.join(check.argv)}) >/dev/null 2>&1 & "
                      f"for i in $(seq 100); do [ -n \"$(ls -A {where.path}/locks)\" ] && break; sleep 0.1; done; "
                      f"pkill -9 -u {layout.REST_SERVER_USER} -x restic; sleep 0.5")
    assert sh(p, where.host, f"ls -A {where.path}/locks").split(), "no lock was left"
    status = verifier.verify(LAB, jobs=(job.name,), sites=("city",)).repositories[0]
    assert status.check.ok and not status.findings, (status.check, status.findings)
    assert not sh(p, where.host, f"ls -A {where.path}/locks").split()


@pytest.mark.fault("data")
def test_deleted_replica_at_one_site_is_a_replication_gap(backed_up, p):
    path = repo_path(p, "city-files", "district")
    with timer_held(p, "city-files"):
        # a run older than the one taken away, so that the district still holds runs to compare
        # (on a fresh lab the module's backup may be the only one)
        assert backups.backup(LAB, ("city-files",), Recorder())[0].status == 0
        newest = sh(p, "district-san", f"ls -t {path}/snapshots | head -1").strip()
        sh(p, "district-san", f"mv {path}/snapshots/{newest} /var/tmp/ikzops-test-snapshot")
        try:
            report = verifier.verify(LAB, jobs=("city-files",))
            district = next(r for r in report.repositories if r.site == "district")
            assert report.exit_code == ExitCode.FINDING
            assert district.missing_runs and "replication gap" in " ".join(district.findings)
            assert next(r for r in report.repositories if r.site == "city").status == "ok"
        finally:
            sh(p, "district-san", f"mv /var/tmp/ikzops-test-snapshot {path}/snapshots/{newest}")


def fresh_pack(p) -> tuple[int, str]:
    """(size, path) of a pack at district holding data of city-files' newest snapshot: the
    largest pack a backup of a new file wrote (the drill restores that snapshot)."""

    path = repo_path(p, "city-files", "district")
    listing = f"find {path}/data -type f -printf '%s %p\\n' | sort"
    old = set(sh(p, "district-san", listing).splitlines())
    sh(p, "city-app", "head -c 2M /dev/urandom > /srv/data/ikzops-test-fresh")
    try:
        assert backups.backup(LAB, ("city-files",), Recorder())[0].status == 0
    finally:
        sh(p, "city-app", "rm -f /srv/data/ikzops-test-fresh")
    new = [line.split() for line in sh(p, "district-san", listing).splitlines() if line not in old]
    size, pack = max(new, key=lambda item: int(item[0]))
    return int(size), pack


@pytest.mark.fault("data")
def test_flipped_bytes_in_a_pack_are_found_and_fail_that_sites_drill_only(backed_up, p, timer_stopped):
    size, pack = fresh_pack(p)
    assert size > 64, "the repository has no pack to damage"
    sh(p, "district-san", f"cp -p {pack} /var/tmp/ikzops-test-pack && "
                          f"printf 'XXXXXXXXXXXXXXXX' | dd of={pack} bs=1 seek={int(size) // 2} conv=notrunc status=none")
    try:
        report = verifier.verify(LAB, jobs=("city-files",), full=True)
        district = next(r for r in report.repositories if r.site == "district")
        city = next(r for r in report.repositories if r.site == "city")
        assert district.status == "finding" and district.check.ok is False
        assert "integrity" in " ".join(district.findings)
        assert city.status == "ok"
        broken, _ = drills.drill(LAB, jobs=("city-files",), from_site="district", progress=Recorder())
        assert broken[0].verdict == "failed" and broken[0].reasons
        assert broken[0].cleaned
        fine, _ = drills.drill(LAB, jobs=("city-files",), from_site="city", progress=Recorder())
        assert fine[0].verdict == "passed", fine[0].reasons
    finally:
        sh(p, "district-san", f"mv /var/tmp/ikzops-test-pack {pack}")
    assert verifier.verify(LAB, jobs=("city-files",), sites=("district",), full=True).exit_code == ExitCode.OK


def _flip(p, pack: str, size: int) -> None:
    sh(p, "district-san", f"cp -p {pack} /var/tmp/ikzops-test-pack && "
                          f"printf 'XXXXXXXXXXXXXXXX' | dd of={pack} bs=1 seek={size // 2} conv=notrunc status=none")


def _scrub_names(report, pack: str):
    district = next(r for r in report.repositories if r.site == "district")
    named = [f for f in district.findings if f.startswith(f"damaged pack {pack.rsplit('/', 1)[-1]} at district")]
    return district, named


@pytest.mark.fault("data")
def test_flipped_bytes_in_a_new_pack_make_the_next_plain_verify_name_the_pack_and_its_run(backed_up, p, timer_stopped):
    size, pack = fresh_pack(p)
    _flip(p, pack, size)
    try:
        report = verifier.verify(LAB, jobs=("city-files",))
        district, named = _scrub_names(report, pack)
        newest_run = max(district.runs, key=district.runs.get)
        assert report.exit_code == ExitCode.FINDING and named, district.findings
        assert newest_run in named[0] and "--from city" in named[0]
        assert district.scrub.damaged and district.scrub.new_packs >= 1
        assert next(r for r in report.repositories if r.site == "city").status == "ok"
    finally:
        sh(p, "district-san", f"mv /var/tmp/ikzops-test-pack {pack}")
    repaired = verifier.verify(LAB, jobs=("city-files",), sites=("district",))
    assert repaired.exit_code == ExitCode.OK and not repaired.repositories[0].scrub.damaged


@pytest.mark.fault("data")
def test_flipped_bytes_in_an_old_pack_make_the_next_plain_verify_exit_1(backed_up, p, timer_stopped):
    # every pack proven once, so the damaged one is old, not new, for the run after (the
    # timer held back: a scheduled run in between would bring a new pack)
    assert verifier.verify(LAB, jobs=("city-files",), sites=("district",)).exit_code == ExitCode.OK
    size, pack = largest_indexed_pack(p, "city-files", "district")
    _flip(p, pack, size)
    try:
        report = verifier.verify(LAB, jobs=("city-files",), sites=("district",))
        district, named = _scrub_names(report, pack)
        assert report.exit_code == ExitCode.FINDING and named, district.findings
        assert district.scrub.new_packs == 0 and district.scrub.last_complete_pass is None
    finally:
        sh(p, "district-san", f"mv /var/tmp/ikzops-test-pack {pack}")


def test_drill_report_names_source_time_operator_and_verdict(backed_up, tmp_path):
    results, paths = drills.drill(LAB, jobs=("city-db",), report=str(tmp_path), progress=Recorder())
    result = results[0]
    assert result.verdict == "passed", result.reasons
    assert result.from_site == "district" and result.host == "district-san"
    assert result.files > 0 and result.mismatched == 0
    assert result.databases["databases"]["housing"]["tables"]["public.claims"] == 500
    assert result.total_seconds <= result.rto_seconds and result.cleaned
    text = paths[0].read_text()
    for needle in ("PASSED", "district-san", "by whom", "RTO", "public.claims: 500"):
        assert needle in text
    data = json.loads(paths[0].with_suffix(".json").read_text())
    assert data["version"] == 1 and data["verdict"] == "passed"
    history = CliRunner().invoke(cli, ["drill", "-i", LAB, "--history", "--report", str(tmp_path)])
    assert history.exit_code == 0 and "city-db" in history.output and "passed" in history.output


def test_unknown_snapshot_fails_the_drill_with_exit_1(backed_up):
    result = CliRunner().invoke(cli, ["drill", "-i", LAB, "--job", "city-files", "--from", "district", "--snapshot", "deadbeef"])
    assert result.exit_code == ExitCode.FINDING
    assert "no snapshot deadbeef" in result.output


@pytest.mark.fault("interrupt")
def test_interrupted_drill_leaves_no_scratch_behind(backed_up, p):
    process = subprocess.Popen(
        [sys.executable, "-m", "ikzops.cli", "drill", "-i", LAB, "--job", "city-db"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    time.sleep(1.5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert b"Traceback" not in stderr
    assert sh(p, "district-san", "ls -d /var/tmp/ikzops-drill-* 2>/dev/null | wc -l").strip() == "0"
    assert sh(p, "district-san", "pgrep -c -f '[r]estic restore' || true").strip() in ("", "0")
    # and the next verify of that repository is not disturbed by the interrupted restore
    report = verifier.verify(LAB, jobs=("city-db",), sites=("district",))
    assert report.exit_code == ExitCode.OK, report.repositories[0].findings


@pytest.mark.fault("site")
def test_lost_site_every_job_restores_from_the_other_site(backed_up, p):
    """The mission in one test: the city's building is gone; the district restores it all."""

    lost = [f"ikzops-{p.name}-{h.name}" for h in p.hosts_in("city")]
    subprocess.run(["docker", "stop", "-t", "5", *lost], check=True, capture_output=True)
    try:
        result = CliRunner().invoke(cli, ["drill", "-i", LAB, "--from", "district"])
        assert result.exit_code == ExitCode.OK, result.output
        for job in (j for j in p.jobs.values() if j.site == "city"):
            assert job.name in result.output
        verify = verifier.verify(LAB)
        assert verify.exit_code == ExitCode.UNREACHABLE
        assert all(r.status == "ok" for r in verify.repositories if r.site == "district")
        assert all(r.status == "unreachable" for r in verify.repositories if r.site == "city")
    finally:
        subprocess.run(["docker", "start", *lost], check=True, capture_output=True)
        from ikzops.lab import manager

        manager.up(Recorder())
