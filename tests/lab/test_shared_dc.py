"""The lab of many (inventories/shared_dc.py), up beside the default lab: four partners on
three sites, one of them a tenant of the state's shared data centre with no site of its own.
It deploys, backs up, verifies and drills like the lab of two; each partner has its own
rest-server and quota on every repository host of a municipal data centre its jobs land
on, and its own user with its quota on the shared data centre's S3 gateway (a single-node
Ceph with radosgw), where each job is a bucket its client may add to but not delete from;
usage is per partner."""

from __future__ import annotations

import json
import os
import time

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner

from ikzops import layout
from ikzops.cli import cli
from ikzops.errors import ExitCode, UnreachableError
from ikzops.lab import manager
from ikzops.model import buckets
from ikzops.model.loader import load
from ikzops.orchestrate import deploy as deploys
from ikzops.progress import Recorder
from ikzops.runners import rgw
from ikzops.secrets import s3 as s3_keys
from ikzops.secrets.store import SecretStore
from tests.lab.helpers import ROOT, sh
from tests.lab.test_firewall import probe

SHARED_DC = str(ROOT / "inventories/shared_dc.py")
GATEWAY_PORT = 7480
TOWN_BUCKET = "s3:https://172.30.78.31:7480/shared-dc-town-files"


def ikzops(command: str, *args: str):
    """``ikzops COMMAND -i inventories/shared_dc.py ARGS`` (COMMAND may be two words)."""
    return CliRunner().invoke(cli, [*command.split(), "-i", SHARED_DC, *args])


@pytest.fixture(scope="module")
def many():
    """The lab of many, up, deployed, and every job backed up once."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    manager.up(Recorder(), SHARED_DC)
    report = deploys.deploy(SHARED_DC)
    assert not report.errors, report.errors
    backed_up = ikzops("backup")
    assert backed_up.exit_code == ExitCode.OK, backed_up.output
    return load(SHARED_DC)


def test_a_second_deploy_of_the_lab_of_many_changes_nothing(many):
    report = deploys.deploy(SHARED_DC)
    assert not report.errors and report.changes == 0, report


def test_verify_of_every_partners_jobs_at_every_site_finds_nothing(many):
    result = ikzops("verify", "--json")
    assert result.exit_code == ExitCode.OK, result.output


def test_the_tenants_backups_restore_from_the_city_in_a_drill(many):
    result = ikzops("drill", "--job", "town-files", "--from", "city", "--json")
    assert result.exit_code == ExitCode.OK, result.output


def test_the_tenant_has_its_own_rest_server_and_quota_at_the_city(many):
    # the city reserves 2 of 4 GiB for itself and nothing for the town: the town shares what
    # nobody reserved (the default)
    assert sh(many, "city-srv", f"systemctl is-active {layout.rest_unit('town')}").strip() == "active"
    settings = sh(many, "city-srv", f"cat {layout.REST_SETTINGS_DIR}/town.env")
    assert f"--max-size {2 << 30}" in settings and f"LISTEN=:{layout.rest_port(many, 'town')}" in settings
    # district's jobs do not land at the city: no server of the district's there
    assert sh(many, "city-srv", f"systemctl is-active {layout.rest_unit('district')}", check=False).strip() != "active"


def test_a_client_reaches_only_its_own_partners_rest_server_at_the_city(many):
    assert probe(many, "town-app", "city-srv", layout.rest_port(many, "town")) == "open"
    assert probe(many, "town-app", "city-srv", layout.rest_port(many, "city")) == "firewall"
    assert probe(many, "district-srv", "city-srv", layout.rest_port(many, "town")) == "firewall"


def test_the_shared_data_centre_runs_no_rest_server_and_admits_its_clients_to_the_gateway(many):
    assert sh(many, "state-repo", "systemctl list-units --all --plain --no-legend 'ikzops-rest-server@*'").strip() == ""
    assert probe(many, "town-app", "state-repo", GATEWAY_PORT) == "open"
    assert probe(many, "town-app", "state-repo", layout.rest_port(many, "town")) == "firewall"


def test_inventory_check_shows_who_can_read_the_tenants_data_and_its_quotas(many):
    result = ikzops("inventory check")
    assert result.exit_code == ExitCode.OK, result.output
    flat = " ".join(result.output.split())
    assert "Small town (tenant of the shared data centre) │ City IT service (lab of many) │ city-srv │ town-files" in flat
    assert "city-srv │ town │ 8003 │ 2.0 GiB │ town-app" in flat
    assert "state-repo │ https://172.30.78.31:7480 │ town │ shared-dc-partner-town │ 1.0 GiB │ shared-dc-town-files" in flat


def test_usage_charges_the_tenant_for_its_repositories_and_the_operator_for_none(many):
    assert ikzops("verify").exit_code == ExitCode.OK  # verify samples the bytes on disk
    result = ikzops("usage", "--format", "json")
    assert result.exit_code == ExitCode.OK, result.output
    partners = {entry["partner"]: entry for entry in json.loads(result.output)["partners"]}
    town = {site["site"]: site for site in partners["town"]["sites"]}
    assert set(town) == {"shared", "city"} and all(site["repository_bytes"] > 0 for site in town.values())
    assert all(site["repository_bytes"] == 0 for site in partners.get("state", {"sites": []})["sites"])


# --- the shared data centre's S3 gateway (Ceph RGW)

def gateway(p):
    return rgw.gateway(p, "state-repo")


def as_user(p, uid: str):
    """An S3 client with ``uid``'s keys, as ikzops stored them (a client's are also on its host)."""
    return gateway(p).s3(s3_keys.keys(SecretStore(p.name), "state-repo", uid))


def denied(call) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"]


def test_each_partner_owns_its_buckets_on_the_gateway_with_its_reservation_as_quota(many):
    for partner, quota in (("town", 1 << 30), ("city", 2 << 30), ("district", 2 << 30)):
        user = gateway(many).user(buckets.partner_user(many, partner))
        assert user["user_quota"]["enabled"] and user["user_quota"]["max_size"] == quota
    owner = as_user(many, buckets.partner_user(many, "town"))
    lock = owner.get_object_lock_configuration(Bucket="shared-dc-town-files")["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 1}
    assert owner.get_object(Bucket="shared-dc-town-files", Key="config")["ContentLength"] > 0


@pytest.mark.fault("attack")
def test_a_client_adds_to_its_bucket_but_cannot_delete_what_is_there(many):
    client = as_user(many, buckets.client_user(many, "town-app"))
    name = "shared-dc-town-files"
    packs = [o["Key"] for o in client.list_objects_v2(Bucket=name, Prefix="data/")["Contents"]]
    assert packs
    assert denied(lambda: client.delete_object(Bucket=name, Key=packs[0])) == "AccessDenied"
    assert denied(lambda: client.delete_object(Bucket=name, Key="config")) == "AccessDenied"
    assert denied(lambda: client.delete_bucket(Bucket=name)) == "AccessDenied"
    # restic's own lock files are the one exception
    client.put_object(Bucket=name, Key="locks/ikzops-test", Body=b"{}")
    client.delete_object(Bucket=name, Key="locks/ikzops-test")
    # and forgetting a run from the client's host is refused (restic deletes the snapshot's object)
    newest = json.loads(sh(many, "town-app", f"set -a; . /dev/stdin; restic --cacert {layout.CA_FILE} -r {TOWN_BUCKET} "
                                             "snapshots --json --latest 1", stdin=_client_env("town-files")))[-1]["id"]
    forget = sh(many, "town-app", f"set -a; . /dev/stdin; timeout 120 restic --cacert {layout.CA_FILE} -r {TOWN_BUCKET} "
                                  f"forget {newest} 2>&1; echo exit=$?", stdin=_client_env("town-files"), check=False)
    # restic 0.18 says so and still exits 0: what counts is that the run is still there
    assert "Access Denied" in forget, forget
    listed = sh(many, "town-app", f"set -a; . /dev/stdin; restic --cacert {layout.CA_FILE} -r {TOWN_BUCKET} "
                                  "snapshots --json", stdin=_client_env("town-files"))
    assert newest in {s["id"] for s in json.loads(listed)}
    assert ikzops("verify", "--site", "shared", "--job", "town-files").exit_code == ExitCode.OK


def _client_env(job: str) -> str:
    key_id, secret = layout.s3_client_keys("state-repo")
    return (f"AWS_ACCESS_KEY_ID=$(cat {key_id})\nAWS_SECRET_ACCESS_KEY=$(cat {secret})\n"
            f"RESTIC_PASSWORD_FILE={layout.JOB_CONFIG_DIR}/{job}/repository.password\n")


@pytest.mark.fault("attack")
def test_a_client_cannot_read_another_partners_bucket(many):
    town = as_user(many, buckets.client_user(many, "town-app"))
    assert denied(lambda: town.get_object(Bucket="shared-dc-city-files", Key="config")) == "AccessDenied"
    assert denied(lambda: town.list_objects_v2(Bucket="shared-dc-city-files")) == "AccessDenied"
    assert denied(lambda: town.put_object(Bucket="shared-dc-city-files", Key="data/00/forged", Body=b"x")) == "AccessDenied"


@pytest.mark.fault("site")
def test_a_partner_over_its_gateway_quota_gets_quota_exceeded_and_the_others_keep_backing_up(many):
    uid = buckets.partner_user(many, "town")
    gateway(many).set_quota(uid, 1 << 20)  # 1 MiB: a little more than the town stores there
    try:
        sh(many, "town-app", "head -c 6000000 /dev/urandom > /etc/ikzops-quota-probe")
        town = ikzops("backup", "--job", "town-files", "--json")
        assert town.exit_code != ExitCode.OK, town.output
        destinations = json.loads(town.output[town.output.index("[\n"):town.output.rindex("]") + 1])[0]["destinations"]
        assert destinations["city"]["ok"], destinations
        assert not destinations["shared"]["ok"] and "quota exceeded" in destinations["shared"]["error"]
        city = ikzops("backup", "--job", "city-files")
        assert city.exit_code == ExitCode.OK, city.output
    finally:
        sh(many, "town-app", "rm -f /etc/ikzops-quota-probe")
        gateway(many).set_quota(uid, 1 << 30)
    assert ikzops("backup", "--job", "town-files").exit_code == ExitCode.OK


def test_retention_of_the_buckets_reads_arrival_times_from_the_gateway_where_each_is_maintained(many):
    # the state maintains the city's and the district's buckets; the town, which does not
    # trust the state, its own from its server (ikz_partners.town.maintenance)
    for host, jobs in (("state-repo", {"city-files", "district-files"}), ("town-app", {"town-files"})):
        sh(many, host, "systemctl start ikzops-retention.service")
        report = json.loads(sh(many, host, "cat /var/lib/ikzops/retention/last-run.json"))
        assert {job: entry["status"] for job, entry in report["repositories"].items()} == dict.fromkeys(jobs, "ok")


def test_the_shared_data_centre_holds_no_key_of_the_town_which_does_not_trust_it(many):
    held = sh(many, "state-repo", f"ls -R {layout.RETENTION_DIR} {layout.S3_KEYS_DIR} 2>/dev/null")
    assert "town" not in held and "city-files.password" in held
    mine = sh(many, "town-app", f"ls {layout.RETENTION_DIR} {layout.S3_KEYS_DIR}/owners/state-repo")
    assert "town-files.password" in mine and "town.secret" in mine
    verified = json.loads(ikzops("verify", "--site", "shared", "--job", "town-files", "--json").output)
    assert [row["host"] for row in verified["repositories"]] == ["town-app"]


def test_verify_measures_a_bucket_as_the_gateway_counts_it_and_a_drill_restores_from_it(many):
    result = ikzops("verify", "--site", "shared", "--json")
    assert result.exit_code == ExitCode.OK, result.output
    rows = json.loads(result.output)["repositories"]
    assert rows and all(row["size_bytes"] > 0 for row in rows)
    # every pack of each bucket proven by its hash, read from the gateway
    assert all(row["scrub"]["packs"] > 0 and not row["scrub"]["damaged"] and row["scrub"]["last_complete_pass"]
               for row in rows)
    drill = ikzops("drill", "--job", "town-files", "--from", "shared", "--json")
    assert drill.exit_code == ExitCode.OK, drill.output


@pytest.mark.fault("attack")
def test_a_pack_a_client_writes_over_is_a_finding_and_its_earlier_version_is_kept(many):
    name = "shared-dc-town-files"
    client = as_user(many, buckets.client_user(many, "town-app"))
    owner = as_user(many, buckets.partner_user(many, "town"))
    pack = client.list_objects_v2(Bucket=name, Prefix="data/")["Contents"][0]["Key"]
    original = owner.get_object(Bucket=name, Key=pack)["Body"].read()
    forged = client.put_object(Bucket=name, Key=pack, Body=b"not what restic wrote")
    try:
        result = ikzops("verify", "--site", "shared", "--job", "town-files", "--json")
        assert result.exit_code == ExitCode.FINDING, result.output
        findings = " ".join(json.loads(result.output)["repositories"][0]["findings"])
        assert f"object {pack} of bucket {name} was written over" in findings
    finally:  # the owner drops the forged version (GOVERNANCE lets it); the original is current again
        owner.delete_object(Bucket=name, Key=pack, VersionId=forged["VersionId"], BypassGovernanceRetention=True)
    assert owner.get_object(Bucket=name, Key=pack)["Body"].read() == original
    assert ikzops("verify", "--site", "shared", "--job", "town-files").exit_code == ExitCode.OK


#: the pool RGW keeps objects' data in (its default zone)
DATA_POOL = "default.rgw.buckets.data"


@pytest.mark.fault("data")
def test_a_bit_flipped_below_the_gateway_is_found_by_the_next_plain_verify(many):
    name = "shared-dc-town-files"
    owner = as_user(many, buckets.partner_user(many, "town"))
    pack = owner.list_objects_v2(Bucket=name, Prefix="data/")["Contents"][0]["Key"]
    assert ikzops("verify", "--site", "shared", "--job", "town-files").exit_code == ExitCode.OK
    # the RADOS object holding the start of the pack's current version, changed in place: what
    # a disk's bit rot does, with no new version and no S3 request
    found = f"rados -p {DATA_POOL} ls | grep -F -- '_{pack}' | grep -v __shadow_ | head -1"
    flip = ("python3 -c \"import sys; b = bytearray(open(sys.argv[1], 'rb').read()); b[len(b) // 2] ^= 1; "
            "open(sys.argv[1], 'wb').write(b)\" /tmp/rot")
    sh(many, "state-repo", f"o=$({found}); test -n \"$o\" && rados -p {DATA_POOL} get \"$o\" /tmp/rot.orig && "
                           f"cp /tmp/rot.orig /tmp/rot && {flip} && rados -p {DATA_POOL} put \"$o\" /tmp/rot")
    try:
        result = ikzops("verify", "--site", "shared", "--job", "town-files", "--json")
    finally:
        sh(many, "state-repo", f"o=$({found}); rados -p {DATA_POOL} put \"$o\" /tmp/rot.orig && rm -f /tmp/rot*")
    assert result.exit_code == ExitCode.FINDING, result.output
    row = json.loads(result.output)["repositories"][0]
    assert [d["pack"] for d in row["scrub"]["damaged"]] == [pack.rsplit("/", 1)[-1]]
    assert f"damaged pack {pack.rsplit('/', 1)[-1]} at shared (s3:https://" in " ".join(row["findings"])
    assert ikzops("verify", "--site", "shared", "--job", "town-files").exit_code == ExitCode.OK


def reseeded_town_files(site: str) -> dict:
    """``reseed --site SITE --job town-files``: its result (exit 0 asserted), verify exit 0 after it."""

    result = ikzops("reseed", "--site", site, "--job", "town-files", "--json")
    assert result.exit_code == ExitCode.OK, result.output
    seeded = json.loads(result.output[result.output.index("["):result.output.rindex("]") + 1])[0]
    assert ikzops("verify", "--job", "town-files").exit_code == ExitCode.OK
    return seeded


def test_a_reseed_of_the_shared_data_centre_fills_the_tenants_bucket_from_the_city(many):
    seeded = reseeded_town_files("shared")
    assert seeded["from_site"] == "city" and seeded["after"] >= seeded["before"] > 0


def test_a_dry_deploy_of_the_lab_of_many_reads_the_gateway_and_would_change_nothing(many):
    report = deploys.deploy(SHARED_DC, dry=True)
    assert not report.errors and report.changes == 0, report


def test_the_quota_sampler_at_the_shared_data_centre_reports_what_the_gateway_counts(many):
    sh(many, "state-repo", "systemctl start ikzops-quota.service")
    metrics = sh(many, "state-repo", "cat /var/lib/prometheus/node-exporter/ikzops_quota.prom")
    stored = gateway(many).bucket_bytes("shared-dc-town-files")  # town's one bucket there
    assert stored > 0
    assert f'ikzops_partner_quota_used_bytes{{partner="town",host="state-repo"}} {stored}' in metrics
    assert f'ikzops_partner_quota_bytes{{partner="town",host="state-repo"}} {1 << 30}' in metrics


def test_a_reseed_of_the_city_takes_the_tenants_runs_from_its_bucket(many):
    seeded = reseeded_town_files("city")
    assert seeded["from_site"] == "shared" and seeded["after"] >= seeded["before"] > 0


@pytest.mark.fault("site")
def test_a_deploy_while_the_gateway_is_down_deploys_every_host_and_names_the_gateway(many):
    unit = "ceph-radosgw@rgw.state-repo"
    sh(many, "state-repo", f"systemctl stop {unit}")
    try:
        report = deploys.deploy(SHARED_DC)
    finally:
        sh(many, "state-repo", f"systemctl start {unit}")
        _wait_for_the_gateway(many)
    assert report.exit_code == ExitCode.UNREACHABLE and report.unreachable == ("state-repo",), report
    assert any(line.startswith("state-repo: cannot reach the S3 gateway https://172.30.78.31:7480")
               and "were not checked" in line for line in report.errors), report.errors
    # pyinfra still deployed every host, the gateway's repository host and the tenant included
    deployed = {host for op in report.operations for host in (*op.changed, *op.unchanged)}
    assert {"city-srv", "district-srv", "state-repo", "town-app"} <= deployed
    assert not any(op.failed for op in report.operations)


def _wait_for_the_gateway(p, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            gateway(p).user(buckets.partner_user(p, "town"))
            return
        except UnreachableError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


@pytest.mark.fault("credential")
def test_a_wrong_admin_secret_stops_the_deploy_before_any_host_with_the_caps_it_needs(many):
    store = SecretStore(many.name)
    kept = s3_keys.admin(store, "state-repo")
    s3_keys.save(store, "state-repo", s3_keys.ADMIN, s3_keys.Keys(kept.access, "not-the-secret"))
    try:
        result = ikzops("deploy")
    finally:
        s3_keys.save(store, "state-repo", s3_keys.ADMIN, kept)
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "refused ikzops' admin credentials (403 SignatureDoesNotMatch)" in result.output
    assert "users=*;buckets=*;usage=read" in result.output and "not-the-secret" not in result.output
    assert "Traceback" not in result.output
