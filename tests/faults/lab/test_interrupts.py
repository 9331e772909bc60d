"""Interrupts, for real: Ctrl-C during a deploy, SIGTERM to a running backup job, Ctrl-C of
`ikzops backup`. Nothing half-written is left active, locks are released, the next run works."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from ikzops import layout
from ikzops.errors import ExitCode
from ikzops.orchestrate import backup as backups
from ikzops.orchestrate import deploy as deploys
from ikzops.progress import Recorder
from ikzops.state import state_root
from tests.faults.lab.breakage import bulk, catch_up, last_run, restic_running, sh, ssh_sessions
from tests.lab.helpers import LAB, ROOT, lab_inventory_copy, repo_path, wait_for

pytestmark = pytest.mark.fault("interrupt")

SERVICES = {
    "city-san": (layout.rest_unit("city"), layout.rest_unit("district"), "tgt", "prometheus-node-exporter"),
    "district-san": (layout.rest_unit("city"), layout.rest_unit("district"), "tgt", "prometheus-node-exporter"),
    "city-mon": ("prometheus", "prometheus-alertmanager"),
    "district-mon": ("prometheus", "prometheus-alertmanager"),
}


def cli(*args: str) -> subprocess.Popen:
    """ikzops in its own process group, as a terminal would run it (Ctrl-C reaches the group)."""

    return subprocess.Popen([sys.executable, "-m", "ikzops.cli", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def ctrl_c(process: subprocess.Popen) -> tuple[int, str]:
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr


def test_ctrl_c_during_deploy_leaves_every_service_running_and_the_next_deploy_completes(p, ledger, fault, tmp_path,
                                                                                         monkeypatch):
    monkeypatch.setenv("IKZOPS_STATE_DIR", str(state_root()))
    changed = lab_inventory_copy(tmp_path, replace={'"scrape_interval": "5s"': '"scrape_interval": "6s"'})
    before = ledger.take(("city-db",))
    connected = ssh_sessions(p, "city-mon")
    process = cli("deploy", "-i", str(changed))
    # Ctrl-C while pyinfra is at work on the hosts: once its sessions are open (after the
    # validation), half a second into a deploy that takes a few seconds more
    assert wait_for(lambda: ssh_sessions(p, "city-mon") > connected, 60, step=0.1), "pyinfra never connected"
    time.sleep(0.5)
    try:
        code, stderr = ctrl_c(process)
        assert code == 130 and "interrupted" in stderr and "Traceback" not in stderr, stderr
        for host, units in SERVICES.items():
            active = sh(p, host, f"systemctl is-active {' '.join(units)} || true").split()
            assert active == ["active"] * len(units), (host, sh(p, host, f"journalctl -n 30 --no-pager -u {' -u '.join(units)}"))
        for monitor in ("city-mon", "district-mon"):
            sh(p, monitor, "promtool check config /etc/prometheus/prometheus.yml >/dev/null")
        assert not deploys.deploy(str(changed)).errors
        assert deploys.deploy(str(changed)).changes == 0
    finally:
        assert not deploys.deploy(LAB).errors
    fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0


def test_sigterm_to_a_running_backup_job_releases_every_lock_and_the_next_run_catches_up(p, ledger, fault):
    job = "district-files"
    before = ledger.take((job,))
    outcome = {}
    with bulk(p, "district-app", "/srv/data", megabytes=250):
        worker = threading.Thread(target=lambda: outcome.update(run=backups.backup(LAB, (job,), Recorder())[0]))
        worker.start()
        assert wait_for(lambda: restic_running(p, "district-app", "backup"), 30, step=0.1), "the backup never ran"
        time.sleep(1)
        sh(p, "district-app", f"systemctl stop {layout.unit_name(job)}.service")
        worker.join(timeout=120)
    report = last_run(p, job)
    assert report["status"] == 2 and "stopped (SIGTERM)" in report["error"], report
    assert not restic_running(p, "district-app", "backup")
    for site, host in (("city", "city-san"), ("district", "district-san")):
        assert sh(p, host, f"ls {repo_path(p, job, site)}/locks | wc -l").strip() == "0", site
    catch_up(job)
    fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0


def test_ctrl_c_of_ikzops_backup_lets_the_run_on_the_client_finish(p, ledger, fault):
    job = "city-files"
    before = ledger.take((job,))
    with bulk(p, "city-app", "/srv/data", megabytes=150):
        process = cli("backup", "-i", LAB, "--job", job)
        assert wait_for(lambda: restic_running(p, "city-app", "backup"), 30, step=0.1), "the backup never ran"
        code, stderr = ctrl_c(process)
        assert code == 130 and "Traceback" not in stderr, stderr
        # the run belongs to systemd on the client, not to the operator's terminal
        assert wait_for(lambda: sh(p, "city-app", f"systemctl is-active {layout.unit_name(job)}.service || true")
                        .strip() == "inactive", 120, step=1), "the run on the client did not end"
    assert last_run(p, job)["status"] == 0
    assert backups.exit_code(backups.backup(LAB, (job,), Recorder())) == ExitCode.OK
    fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0
