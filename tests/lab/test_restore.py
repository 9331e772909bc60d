"""snapshots, find and restore in the lab: real restores, compared byte for byte."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from ikzops.cli import cli
from ikzops.errors import ExitCode
from ikzops.orchestrate import backup as backups
from ikzops.progress import Recorder
from tests.lab.helpers import LAB, ROOT, sh

SUMS = "cd {root} && find . -type f ! -name '.ikzops*' -print0 | sort -z | xargs -0 sha256sum"


def ikzops(*args: str):
    return CliRunner().invoke(cli, [*args[:1], "-i", LAB, *args[1:]])


@pytest.fixture(scope="module")
def backed_up(deployed_lab, p):
    runs = backups.backup(LAB, (), Recorder())
    assert backups.exit_code(runs) == ExitCode.OK
    return {run.job: run for run in runs}


def test_snapshots_list_each_run_with_the_sites_holding_it(backed_up):
    result = ikzops("snapshots", "--job", "city-files", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["version"] == 1
    runs = document["jobs"][0]["runs"]
    newest = next(r for r in runs if r["run"] == backed_up["city-files"].run)
    assert newest["sites"] == {"city": "held", "district": "held"}
    assert newest["files"] > 0 and newest["arrived"] and not newest["future"]
    assert set(newest["snapshots"]) == {"city", "district"}


def test_find_names_the_runs_a_file_was_seen_in(backed_up):
    result = ikzops("find", "--job", "city-files", "--json", "file001.dat")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["hits"]
    assert any(h["path"] == "/srv/data/dir1/file001.dat" and h["run"] == backed_up["city-files"].run for h in hits)
    assert ikzops("find", "--job", "city-files", "no-such-file-anywhere").exit_code == ExitCode.FINDING


def test_deleted_files_are_restored_in_place_byte_for_byte(backed_up, p):
    before = sh(p, "city-app", SUMS.format(root="/srv/data/dir2"))
    sh(p, "city-app", "rm -rf /srv/data/dir2")
    result = ikzops("restore", "--job", "city-files", "--include", "/srv/data/dir2", "--to", "city-app")
    assert result.exit_code == 0, result.output
    assert sh(p, "city-app", SUMS.format(root="/srv/data/dir2")) == before
    assert sh(p, "city-app", "ls -a /srv | grep -c ikzops-restore || true").strip() == "0"


def test_a_whole_job_restores_onto_another_client_below_a_directory(backed_up, p):
    result = ikzops("restore", "--job", "city-files", "--to", "district-app:/srv/restored-city", "--json")
    try:
        assert result.exit_code == 0, result.output
        record = json.loads(result.stdout)
        assert record["verdict"] == "restored" and record["mismatched"] == 0 and record["files"] > 50
        assert sh(p, "district-app", SUMS.format(root="/srv/restored-city/srv/data")) == \
            sh(p, "city-app", SUMS.format(root="/srv/data"))
    finally:
        sh(p, "district-app", "rm -rf /srv/restored-city")


def test_an_existing_differing_file_is_not_replaced_without_overwrite(backed_up, p):
    sh(p, "city-app", "cp -p /srv/data/README.txt /var/tmp/readme && echo edited >> /srv/data/README.txt")
    try:
        result = ikzops("restore", "--job", "city-files", "--include", "/srv/data/README.txt", "--to", "city-app")
        assert result.exit_code == ExitCode.CONFIG, result.output
        assert "exists and differs: /srv/data/README.txt" in result.output
        assert sh(p, "city-app", "tail -1 /srv/data/README.txt").strip() == "edited"
        dry = ikzops("restore", "--job", "city-files", "--include", "/srv/data/README.txt", "--to", "city-app", "--dry")
        assert dry.exit_code == 0 and "replace /srv/data/README.txt" in dry.output
        forced = ikzops("restore", "--job", "city-files", "--include", "/srv/data/README.txt", "--to", "city-app",
                        "--overwrite")
        assert forced.exit_code == 0, forced.output
        assert sh(p, "city-app", "cat /srv/data/README.txt") == "ikzops lab test data\n"
    finally:
        sh(p, "city-app", "mv /var/tmp/readme /srv/data/README.txt")


def test_a_dropped_database_is_restored_with_the_rows_of_dump_time(backed_up, p):
    psql = "runuser -u postgres -- psql -qtA -d housing -c"
    before = sh(p, "city-app", f"{psql} 'SELECT count(*), sum(amount) FROM claims'")
    sh(p, "city-app", "runuser -u postgres -- dropdb housing")
    result = ikzops("restore", "--job", "city-db", "--database", "housing", "--to", "city-app", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["database"]["tables"] == {"public.claims": 500} and not record["database"]["count_mismatches"]
    assert sh(p, "city-app", f"{psql} 'SELECT count(*), sum(amount) FROM claims'") == before


def test_an_existing_database_is_renamed_aside_never_dropped(backed_up, p):
    refused = ikzops("restore", "--job", "city-db", "--database", "housing", "--to", "city-app")
    assert refused.exit_code == ExitCode.CONFIG and "is never dropped" in refused.output
    result = ikzops("restore", "--job", "city-db", "--database", "housing", "--to", "city-app", "--overwrite", "--json")
    assert result.exit_code == 0, result.output
    aside = json.loads(result.stdout)["database"]["aside"]
    try:
        assert aside.startswith("housing_before_")
        assert sh(p, "city-app", f"runuser -u postgres -- psql -qtA -d {aside} -c 'SELECT count(*) FROM claims'").strip() == "500"
    finally:
        sh(p, "city-app", f"runuser -u postgres -- dropdb --if-exists {aside}")


def test_unknown_run_is_a_usage_error(backed_up):
    result = ikzops("restore", "--job", "city-files", "--snapshot", "20990101T000000Z-dead", "--to", "district-app:/srv/x")
    assert result.exit_code == ExitCode.CONFIG and "no run 20990101T000000Z-dead" in result.output


def test_a_damaged_pack_fails_that_site_and_the_other_site_restores(backed_up, p, timer_stopped):
    from tests.lab.test_verify_drill import fresh_pack

    size, pack = fresh_pack(p)
    sh(p, "district-san", f"cp -p {pack} /var/tmp/ikzops-test-pack && "
                          f"printf 'XXXXXXXXXXXXXXXX' | dd of={pack} bs=1 seek={int(size) // 2} conv=notrunc status=none")
    try:
        broken = ikzops("restore", "--job", "city-files", "--from", "district", "--to", "district-app:/srv/restore-broken")
        assert broken.exit_code == ExitCode.FINDING, broken.output
        assert "--from city" in broken.output.replace("\n", " ")
        assert sh(p, "district-app", "find /srv/restore-broken -type f ! -path '*/.ikzops*' 2>/dev/null | wc -l").strip() == "0"
        fine = ikzops("restore", "--job", "city-files", "--from", "city", "--to", "district-app:/srv/restore-fine")
        assert fine.exit_code == 0, fine.output
    finally:
        sh(p, "district-san", f"mv /var/tmp/ikzops-test-pack {pack}")
        sh(p, "district-app", "rm -rf /srv/restore-broken /srv/restore-fine")


@pytest.mark.fault("interrupt")
def test_an_interrupted_restore_leaves_nothing_half_and_runs_again(backed_up, p):
    sh(p, "city-app", "head -c 300M /dev/urandom > /srv/data/ikzops-test-big")
    try:
        assert backups.backup(LAB, ("city-files",), Recorder())[0].status == 0
        process = subprocess.Popen([sys.executable, "-m", "ikzops.cli", "restore", "-i", LAB, "--job", "city-files",
                                    "--to", "district-app:/srv/restore-int"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sh(p, "district-app", "ls -d /srv/restore-int/.ikzops-restore-* 2>/dev/null || true") == "":
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        assert b"Traceback" not in stderr
        deadline = time.monotonic() + 15  # the target notices the cut session, ends restic, removes the staging
        while time.monotonic() < deadline and sh(p, "district-app", "pgrep -x restic || true").strip():
            time.sleep(0.5)
        assert sh(p, "district-app", "pgrep -c -x restic || true").strip() in ("", "0")
        assert sh(p, "district-app", "find /srv/restore-int -type f 2>/dev/null | wc -l").strip() == "0"
        assert sh(p, "city-san", "systemctl list-units --all --plain --no-legend 'ikzops-restore-*' | wc -l").strip() == "0"
        assert sh(p, "city-san", "ls /run/ikzops-restore-server 2>/dev/null | wc -l").strip() == "0"
        again = ikzops("restore", "--job", "city-files", "--to", "district-app:/srv/restore-int")
        assert again.exit_code == 0, again.output
    finally:
        sh(p, "city-app", "rm -f /srv/data/ikzops-test-big")
        sh(p, "district-app", "rm -rf /srv/restore-int")
        assert backups.backup(LAB, ("city-files",), Recorder())[0].status == 0


def test_no_secret_of_the_restore_is_left_on_the_target(backed_up, p):
    from ikzops.secrets import credentials
    from ikzops.secrets.store import SecretStore

    password = credentials.repository_password(SecretStore(p.name), "city-files")
    result = ikzops("restore", "--job", "city-files", "--to", "district-app:/srv/restore-secret", "--json")
    try:
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["warnings"] == []  # restored directly, not relayed
        found = sh(p, "district-app", f"grep -rlsF -- '{password}' /etc /var /srv /tmp /root /run || true")
        assert found.strip() == ""
        assert sh(p, "city-san", "systemctl list-units --all --plain --no-legend 'ikzops-restore-*' | wc -l").strip() == "0"
    finally:
        sh(p, "district-app", "rm -rf /srv/restore-secret")


def test_a_target_that_cannot_restore_directly_gets_the_data_relayed(backed_up, p):
    sh(p, "district-app", "mv /usr/bin/restic /usr/bin/restic.away")
    try:
        result = ikzops("restore", "--job", "city-files", "--to", "district-app:/srv/restore-relayed", "--json")
        assert result.exit_code == 0, result.output
        record = json.loads(result.stdout)
        assert record["mismatched"] == 0 and record["files"] > 50
        assert any("relayed through the control host" in w for w in record["warnings"])
    finally:
        sh(p, "district-app", "mv /usr/bin/restic.away /usr/bin/restic; rm -rf /srv/restore-relayed")


@pytest.mark.fault("site")
def test_with_the_city_gone_its_job_restores_onto_a_district_host(backed_up, p):
    lost = [f"ikzops-{p.name}-{h.name}" for h in p.hosts_in("city")]
    subprocess.run(["docker", "stop", "-t", "5", *lost], check=True, capture_output=True)
    try:
        result = ikzops("restore", "--job", "city-files", "--to", "district-app:/srv/city-recovered", "--json")
        assert result.exit_code == 0, result.output
        record = json.loads(result.stdout)
        assert record["from_site"] == "district" and record["mismatched"] == 0
        assert any("city: cannot reach" in w for w in record["warnings"])
        assert int(sh(p, "district-app", "find /srv/city-recovered/srv/data -type f | wc -l")) > 50
    finally:
        subprocess.run(["docker", "start", *lost], check=True, capture_output=True)
        sh(p, "district-app", "rm -rf /srv/city-recovered")
        from ikzops.lab import manager

        manager.up(Recorder())
