"""The SAN's contents in the lab: LUN jobs image the LUNs behind real tgt targets, back them up to
both sites, and ``restore --lun`` serves a LUN at the other site under its own IQN and CHAP
account, read back through a real iSCSI initiator (libiscsi)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid

import pytest

from ikzops import layout
from ikzops.orchestrate import backup as backups
from ikzops.progress import Recorder
from ikzops.san import failover
from tests.lab.helpers import LAB, ROOT, lun_md5, lun_write, on_lun, sh, wait_for

JOB = "city-san-luns"
LUN = "district-fileserver"
MIB = 1 << 20
MAX_CHUNK = 8 * MIB


def run_job(p) -> dict:
    assert backups.exit_code(backups.backup(LAB, (JOB,), Recorder())) == 0
    return json.loads(sh(p, "city-san", f"cat {layout.STATE_DIR}/{JOB}/last-run.json"))


def ikzops(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / ".venv/bin/ikzops"), *args], capture_output=True, text=True, timeout=600, check=False)


def test_a_lun_run_images_every_lun_of_the_pool_and_leaves_the_targets_serving(deployed_lab, p):
    lun_write(p, "district-app", LUN, 16 * MIB, 2 * MIB)
    run = run_job(p)
    assert [image["name"] for image in run["luns"]] == ["city-fileserver", "district-fileserver"]
    assert all(image["size"] == p.luns[image["name"]].size and image["paused_seconds"] < 10 for image in run["luns"])
    assert all(result["ok"] for result in run["destinations"].values())
    states = sh(p, "city-san", "tgtadm --lld iscsi --mode target --op show | grep -c 'State: ready'")
    assert int(states) == 2
    assert sh(p, "city-san", f"ls -A {layout.STATE_DIR.rsplit('/', 1)[0]}/lun-images/{JOB}").strip() == ""


def test_an_incremental_lun_run_stores_about_the_share_that_changed(deployed_lab, p):
    lun_write(p, "district-app", LUN, 0, p.luns[LUN].size)  # every block holds data now
    run_job(p)
    changed = p.luns[LUN].size // 100 // 4096 * 4096  # 1 %, in whole blocks
    lun_write(p, "district-app", LUN, 100 * MIB, changed)
    run = run_job(p)
    for site, result in run["destinations"].items():
        print(f"{site}: {changed} bytes changed, {result['bytes_added']} added")
        # restic cuts content-defined chunks (each repository its own boundaries): what
        # changed, plus at most the chunk on either edge of it (8 MiB at most each)
        assert changed * 0.9 <= result["bytes_added"] <= changed + 2 * MAX_CHUNK, (site, result)


@pytest.fixture
def failover_cleared(p):
    """Whatever a test served elsewhere is gone again (the deploys after it stay no-ops)."""

    yield
    for lun in p.luns:
        for host in p.hosts_with("storage"):
            if host.name != p.luns[lun].host:
                target = failover.failover_target(p, host.name, {lun})
                sh(p, host.name, f"tgt-admin --delete {target.iqn} -f 2>/dev/null; "
                                 f"rm -f {failover.config_path(p, lun)} {failover.restored_device(p, lun, host.name)}",
                   check=False)


def test_restore_lun_serves_the_same_bytes_at_the_other_site_under_its_iqn_and_chap(deployed_lab, p, failover_cleared):
    lun_write(p, "district-app", LUN, 32 * MIB, 3 * MIB)
    before = lun_md5(p, "district-app", LUN)
    run_job(p)
    done = ikzops("restore", "-i", LAB, "--lun", LUN, "--from", "district", "--to", "district-san", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads(done.stdout)
    assert record["lun"]["served"] and record["mismatched"] == 0
    assert lun_md5(p, "district-app", LUN, served_by="district-san") == before
    # the target keeps its ACL there: the city's initiator does not get in
    refused = sh(p, "city-app", f"LIBISCSI_CHAP_USERNAME=x LIBISCSI_CHAP_PASSWORD=y iscsi-md5sum -i {p.luns['city-fileserver'].initiators[0]} "
                                f"iscsi://{p.hosts['district-san'].address}/{record['lun']['iqn']}/1 2>&1; echo rc=$?", check=False)
    assert "rc=0" not in refused


def test_restore_lun_refuses_a_host_that_holds_the_file_already(deployed_lab, p, failover_cleared):
    device = failover.restored_device(p, LUN, "district-san")
    sh(p, "district-san", f"touch {device}")
    done = ikzops("restore", "-i", LAB, "--lun", LUN, "--to", "district-san")
    assert done.returncode == 2 and "exists" in done.stderr, done.stderr
    assert sh(p, "district-san", f"stat -c %s {device}").strip() == "0"


def test_while_a_target_is_paused_for_an_image_no_write_of_a_logged_in_initiator_lands(deployed_lab, p):
    """What makes the lab's images consistent: tgt holds a session's commands while its target
    is offline (what ``lun_image.paused`` sets for the copy); after ``ready`` they are answered
    (tgt answers the held ones with a UNIT ATTENTION, which an initiator retries)."""

    device, iqn = layout.lun_source(p, LUN)["device"], layout.lun_source(p, LUN)["iqn"]
    tid = sh(p, "city-san", f"tgtadm --lld iscsi --mode target --op show | sed -n 's/^Target \\([0-9]*\\): {iqn}$/\\1/p'").strip()
    state = f"tgtadm --lld iscsi --mode target --op update --tid {tid} --name state --value"
    region = f"dd if={device} bs=1M count=1 skip=200 status=none | md5sum"
    before = sh(p, "city-san", region)
    initiator, gate = p.luns[LUN].initiators[0], f"/root/.go-{uuid.uuid4().hex}"
    done: dict = {}
    # logged in at once; the data follows only once the gate opens, when the target is offline
    writer = threading.Thread(target=lambda: done.update(out=on_lun(
        p, "district-app", LUN, f'(while [ ! -e {gate} ]; do sleep 0.1; done; head -c 1048576 /dev/urandom) | '
                                f'python3 /root/iscsi_write.py "$PORTAL" "$IQN" "$LUN" "$INITIATOR" {200 * MIB} 2>&1; true')))
    writer.start()

    def logged_in() -> bool:
        show = sh(p, "city-san", f"tgtadm --lld iscsi --mode target --op show | sed -n '/^Target {tid}:/,/^Target /p'")
        return f"Initiator: {initiator}" in show

    try:
        assert wait_for(logged_in, 60, step=0.2), "the initiator never logged in"
        sh(p, "city-san", f"{state} offline")
        sh(p, "district-app", f"touch {gate}")
        time.sleep(6)
        assert writer.is_alive(), done
        assert sh(p, "city-san", region) == before
    finally:
        sh(p, "city-san", f"{state} ready")
        sh(p, "district-app", f"touch {gate}")
    writer.join(60)
    assert not writer.is_alive(), "the initiator never got an answer after the target was ready again"
    # answered once the target is ready: written, or a UNIT ATTENTION a real initiator retries
    assert not done["out"].strip() or "UNIT_ATTENTION" in done["out"], done
