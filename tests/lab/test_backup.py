"""The mutual backup in the lab: real restic, real rest-servers, real timers, both sites."""

from __future__ import annotations

import json
import shlex
import subprocess
import threading
import time
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from ikzops import layout
from ikzops.agent import restic
from ikzops.agent.policy import kept
from ikzops.cli import cli
from ikzops.errors import ExitCode
from ikzops.orchestrate import backup as backups
from ikzops.orchestrate import deploy as deploys
from ikzops.progress import Recorder
from ikzops.runners import restic as runner
from ikzops.runners.ssh import connect
from ikzops.secrets.store import SecretStore
from ikzops.state import state_root
from tests.lab.helpers import LAB, ROOT, lab_inventory_copy, sh, sh_on, timer_held, wait_ssh


@pytest.fixture(scope="module")
def deployed(deployed_lab):
    return deployed_lab


@pytest.fixture(scope="module")
def runs(deployed):
    runs = backups.backup(LAB, (), Recorder())
    assert backups.exit_code(runs) == ExitCode.OK, [(r.job, r.error, r.destinations) for r in runs]
    return {run.job: run for run in runs}


@pytest.fixture(scope="module")
def machines(p, deployed):
    opened = {name: connect(host) for name, host in p.hosts.items()}
    yield opened
    for machine in opened.values():
        machine.close()


def snapshots(p, machines, job_name: str, site: str) -> list[dict]:
    job = p.jobs[job_name]
    destination = next(d for d in layout.destinations(p, job) if d.site == site)
    result = runner.run(machines[job.client], restic.snapshots(layout.client_repository(job, destination)))
    return restic.parse_snapshots(result.stdout)


def test_every_job_writes_one_snapshot_to_each_site(p, runs):
    for name, job in p.jobs.items():
        destinations = runs[name].destinations
        assert set(destinations) == set(job.destinations) == {"city", "district"}
        assert all(d["ok"] and d["snapshot_id"] for d in destinations.values()), destinations


def test_snapshots_of_one_run_carry_the_same_run_tag_at_both_sites(p, runs, machines):
    run_tag = f"ikz-run={runs['city-files'].run}"
    for site in ("city", "district"):
        assert any(run_tag in s["tags"] for s in snapshots(p, machines, "city-files", site))


def test_restore_from_partner_site_matches_the_manifest(p, runs, machines):
    job = p.jobs["city-files"]
    partner = next(d for d in layout.destinations(p, job) if d.site == "district")
    snapshot = runs["city-files"].destinations["district"]["snapshot_id"]
    client = machines[job.client]
    sh_on(client, "rm -rf /tmp/restore-test && mkdir -p /tmp/restore-test")
    runner.run(client, restic.Invocation(
        ("restic", "restore", snapshot, "--target", "/tmp/restore-test"),
        *_env(layout.client_repository(job, partner)),
    ))
    manifest = sh_on(client, f"cat /tmp/restore-test{layout.MANIFEST_DIR}/city-files.tsv").splitlines()
    assert len(manifest) >= 60
    check = "\n".join(f"{line.split(chr(9))[0]}  /tmp/restore-test{line.split(chr(9))[3]}" for line in manifest)
    out = sh_on(client, f"printf '%s\\n' {shlex.quote(check)} | sha256sum --check --quiet && echo all-identical")
    assert out.strip() == "all-identical"


def _env(repo):
    invocation = restic.cat_config(repo)
    return invocation.env, invocation.env_from_files


def test_postgresql_dump_from_partner_site_loads_into_a_fresh_database(p, runs, machines):
    job = p.jobs["city-db"]
    partner = next(d for d in layout.destinations(p, job) if d.site == "district")
    snapshot = runs["city-db"].destinations["district"]["snapshot_id"]
    client = machines[job.client]
    sh_on(client, "rm -rf /tmp/restore-db && mkdir -p /tmp/restore-db")
    runner.run(client, restic.Invocation(
        ("restic", "restore", snapshot, "--target", "/tmp/restore-db"), *_env(layout.client_repository(job, partner)),
    ))
    dump = f"/tmp/restore-db{layout.DUMP_DIR}/city-db/postgresql/housing.sql"
    sh_on(client, "runuser -u postgres -- dropdb --if-exists housing_restored && runuser -u postgres -- createdb housing_restored")
    sh_on(client, f"runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -d housing_restored < {dump}")
    count = sh_on(client, "runuser -u postgres -- psql -qtA -d housing_restored -c 'SELECT count(*), sum(amount) FROM claims'")
    original = sh_on(client, "runuser -u postgres -- psql -qtA -d housing -c 'SELECT count(*), sum(amount) FROM claims'")
    assert count.strip() == original.strip() and count.startswith("500|")


@pytest.mark.fault("attack")
def test_client_cannot_forget_its_snapshots_append_only(p, runs, machines):
    job = p.jobs["city-files"]
    own = layout.destinations(p, job)[0]
    before = snapshots(p, machines, "city-files", own.site)
    result = runner.run(machines[job.client], restic.Invocation(
        ("restic", "forget", before[0]["id"]), *_env(layout.client_repository(job, own)),
    ), check=False)
    # restic reports success here although the server refused (HTTP 403): count instead
    after = snapshots(p, machines, "city-files", own.site)
    assert len(after) == len(before)
    assert "403" in result.stderr or "Forbidden" in result.stderr or result.returncode != 0


@pytest.mark.fault("attack")
def test_client_cannot_delete_repository_files_over_http(p, runs, machines):
    job = p.jobs["city-files"]
    own = layout.destinations(p, job)[0]
    url = f"https://{own.address}:{layout.rest_port(p, job.owner)}/{job.client}/{job.name}/config"
    status = _curl(machines[job.client], job.client, "DELETE", url)
    assert status == "403"


def _curl(machine, user: str, method: str, url: str) -> str:
    # credentials through a curl config file read from stdin: not on the command line
    script = (
        f'printf \'user = "%s:%s"\\n\' {shlex.quote(user)} "$(cat {layout.REST_PASSWORD_FILE})" | '
        f"curl -s -o /dev/null -w '%{{http_code}}' --cacert {layout.CA_FILE} -K - -X {method} {shlex.quote(url)}"
    )
    return sh_on(machine, script, check=False).strip()


@pytest.mark.fault("attack")
def test_site_a_client_cannot_read_site_b_clients_repository(p, runs, machines):
    other = p.jobs["district-files"]
    for destination in layout.destinations(p, other):
        # on district's own server city-app has no account; on city's, district's repository is not there
        for port in (layout.rest_port(p, "district"), layout.rest_port(p, "city")):
            url = f"https://{destination.address}:{port}/{other.client}/{other.name}/config"
            assert _curl(machines["city-app"], "city-app", "GET", url) in ("401", "403", "404")
    own = (f"https://{layout.destinations(p, p.jobs['city-files'])[0].address}:{layout.rest_port(p, 'city')}"
           "/city-app/city-files/config")
    assert _curl(machines["city-app"], "city-app", "GET", own) == "200"


@pytest.mark.fault("credential")
def test_wrong_rest_password_is_refused(p, runs, machines):
    destination = layout.destinations(p, p.jobs["city-files"])[1]
    script = (f"printf 'user = \"city-app:wrong\"\\n' | curl -s -o /dev/null -w '%{{http_code}}' "
              f"--cacert {layout.CA_FILE} -K - https://{destination.address}:{layout.rest_port(p, 'city')}"
              "/city-app/city-files/config")
    assert sh(p, "city-app", script, check=False).strip() == "401"


@pytest.mark.fault("attack")
def test_secrets_appear_in_no_process_list_log_or_git_file(p, deployed, machines):
    store = SecretStore(p.name)
    values = [store.get_or_create("rest", f"{c.name}.password", length=32) for c in p.hosts_with("client")]
    values += [store.get_or_create("repository", f"{j}.password", length=32) for j in p.jobs]
    seen = []
    worker = threading.Thread(target=backups.backup, args=(LAB, ("city-files", "city-db"), Recorder()))
    worker.start()
    while worker.is_alive():  # sample the process lists while the backups run
        for machine in (machines["city-app"], machines["city-san"], machines["district-san"]):
            seen.append(sh_on(machine, "ps -eo args"))
    worker.join()
    for machine in machines.values():
        seen.append(sh_on(machine, "journalctl --no-pager -q -o cat 2>/dev/null | tail -n 3000"))
    text = "\n".join(seen)
    assert not [v for v in values if v in text]
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for path in filter(None, tracked):
        file = ROOT / path.decode()
        if file.is_file():
            content = file.read_bytes()
            assert not [v for v in values if v.encode() in content], path
    assert subprocess.run(["git", "check-ignore", "-q", str(state_root())], cwd=ROOT).returncode == 0


def test_secret_files_on_hosts_are_0600(p, deployed, machines):
    listing = sh(p, "city-app", f"stat -c '%a %n' {layout.REST_PASSWORD_FILE} {layout.JOB_CONFIG_DIR}/*/repository.password")
    assert all(line.startswith("600 ") for line in listing.splitlines())
    key = sh(p, "city-san", "stat -c '%a %U:%G' /etc/restic-rest-server/tls/server.key")
    assert key.strip() == "640 root:restic-rest-server"


@pytest.mark.fault("site")
def test_partner_site_down_own_site_still_gets_the_backup_and_next_run_catches_up(p, runs, machines):
    # the job's own timer held: a scheduled run at the end would lock the repositories the check opens
    with timer_held(p, "city-files"):
        partner = p.repository_host("district")
        container = f"ikzops-{p.name}-{partner.name}"
        subprocess.run(["docker", "stop", "-t", "5", container], check=True, capture_output=True)
        try:
            result = CliRunner().invoke(cli, ["backup", "-i", LAB, "--job", "city-files"])
            assert result.exit_code == ExitCode.FINDING, result.output
            assert "city-files → district" in result.output
            report = json.loads(sh(p, "city-app", f"cat {layout.STATE_DIR}/city-files/last-run.json"))
            assert report["destinations"]["city"]["ok"] is True
            assert report["destinations"]["district"]["ok"] is False
            missed_run = report["run"]
        finally:
            subprocess.run(["docker", "start", container], check=True, capture_output=True)
            wait_ssh(p, partner.name)
        again = backups.backup(LAB, ("city-files",), Recorder())[0]
        assert again.status == 0, again.destinations
        assert missed_run in again.destinations["district"]["caught_up"]
        assert any(f"ikz-run={missed_run}" in s["tags"] for s in snapshots(p, machines, "city-files", "district"))
        for destination in layout.destinations(p, p.jobs["city-files"]):
            check = runner.run(machines["city-app"], restic.Invocation(
                ("restic", "check"), *_env(layout.client_repository(p.jobs["city-files"], destination))), check=False)
            assert check.returncode == 0, check.stderr


def test_timer_fires_by_itself_and_both_sites_get_the_snapshot(p, runs, machines, tmp_path, monkeypatch):
    monkeypatch.setenv("IKZOPS_STATE_DIR", str(state_root()))
    fast = lab_inventory_copy(tmp_path, replace={'"schedule": "*-*-* *:00/15:00"': '"schedule": "*-*-* *:*:00/20"'})
    report = deploys.deploy(str(fast), only=("backup",), limit=("city-app",))
    assert not report.errors
    try:
        before = {s["id"] for s in snapshots(p, machines, "city-files", "district")}
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            time.sleep(5)
            new = [s for s in snapshots(p, machines, "city-files", "district") if s["id"] not in before]
            if new:
                break
        assert new, "the timer did not fire"
        run_tag = next(t for t in new[0]["tags"] if t.startswith("ikz-run="))
        assert any(run_tag in s["tags"] for s in snapshots(p, machines, "city-files", "city"))
        journal = sh(p, "city-app", "journalctl -u ikzops-backup-city-files.timer -u ikzops-backup-city-files.service "
                                           "-o cat --no-pager | tail -5")
        assert "ikzops backup job city-files" in journal
    finally:
        assert not deploys.deploy(LAB, only=("backup",), limit=("city-app",)).errors


def _arrivals(repo_host, repository: str) -> dict[str, datetime]:
    """When each snapshot of a repository arrived: the mtime rest-server gave its file."""

    listed = sh_on(repo_host, f"find {repository}/snapshots -type f -printf '%f %T@\\n'")
    return {name: datetime.fromtimestamp(float(stamp), UTC) for name, stamp in (line.split() for line in listed.splitlines())}


def test_retention_runs_on_the_repository_host_and_keeps_what_the_model_says(p, runs, machines, timer_stopped):
    job = p.jobs["city-files"]
    # keep_last plus the oldest (kept while the daily buckets are unfilled) plus one to remove
    wanted = job.spec.retention.keep_last + 2
    for _ in range(wanted - len(snapshots(p, machines, "city-files", "city"))):
        backups.backup(LAB, ("city-files",), Recorder())
    before = snapshots(p, machines, "city-files", "city")
    assert len(before) >= wanted
    destination = layout.destination(p, job, "city")
    keep = job.spec.retention
    repo_host = machines[destination.host]
    # The policy applies to arrival times (a run copied over later by a catch-up arrives
    # after its claimed time): that is what retention must keep.
    arrived = _arrivals(repo_host, destination.path)
    assert set(arrived) == {s["id"] for s in before}
    policy = {"keep_last": keep.keep_last, "keep_daily": keep.keep_daily, "keep_weekly": keep.keep_weekly,
              "keep_monthly": keep.keep_monthly}
    expected = kept(arrived, policy)
    assert expected != set(arrived), "the policy should remove something"
    claimed = {s["id"]: restic.snapshot_time(s["time"]) for s in before}
    if sorted(arrived, key=arrived.get) == sorted(claimed, key=claimed.get):
        # arrival order is claimed order: restic itself must plan the same
        plan = runner.run(machines[job.client], restic.forget(
            layout.client_repository(job, destination), **policy, tags=[f"ikz-job={job.name}"], dry_run=True))
        assert set(restic.parse_forget(plan.stdout)[0]) == expected
    sh_on(repo_host, "systemctl start ikzops-retention.service")
    after = snapshots(p, machines, "city-files", "city")
    assert {s["id"] for s in after} == expected
    assert max(arrived, key=arrived.get) in expected
    owners = sh_on(repo_host, f"find {layout.partner_path(p, 'city-san', 'city')}/city-app -not -user restic-rest-server "
                              "| head -3")
    assert owners.strip() == ""
    check = runner.run(machines[job.client], restic.Invocation(
        ("restic", "check"), *_env(layout.client_repository(job, destination))), check=False)
    assert check.returncode == 0, check.stderr


def test_before_and_after_hooks_run_around_the_backup(p, runs, machines, tmp_path, monkeypatch):
    monkeypatch.setenv("IKZOPS_STATE_DIR", str(state_root()))
    hooked = lab_inventory_copy(tmp_path, replace={
        '"rto": "30m",\n        "destinations": ["city"],\n        "give_up_after": "15s",\n    },':
            '"rto": "30m",\n        "destinations": ["city"],\n        "give_up_after": "15s",\n'
            '        "hooks": {"before": ["date +%s%N > /srv/data/.before"], '
            '"after": ["test -f /srv/data/.before && touch /var/lib/ikzops/after-hook-ran"]},\n    },',
    })
    assert not deploys.deploy(str(hooked), only=("backup",), limit=("district-app",)).errors
    try:
        machine = machines["district-app"]
        sh_on(machine, "rm -f /srv/data/.before /var/lib/ikzops/after-hook-ran")
        run = backups.backup(str(hooked), ("district-files",), Recorder())[0]
        assert run.status == 0
        assert sh_on(machine, "test -f /var/lib/ikzops/after-hook-ran && echo ran").strip() == "ran"
        manifest = sh_on(machine, f"cat {layout.MANIFEST_DIR}/district-files.tsv")
        assert "/srv/data/.before" in manifest  # written by the before hook, so in the backup
    finally:
        assert not deploys.deploy(LAB, only=("backup",), limit=("district-app",)).errors
