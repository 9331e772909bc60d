"""The hostile world against the repositories in buckets of the lab of many's S3 gateway (Ceph
RGW at the state's shared data centre): a client that deletes, writes over a pack, or reads
another partner's bucket; a partner over its quota; bit rot below the gateway; the gateway
down during a deploy; ikzops' admin credentials refused. The cases against rest-servers are
in the modules beside this one."""

from __future__ import annotations

import json

import pytest

from ikzops import layout
from ikzops.errors import ExitCode
from ikzops.model import buckets
from ikzops.orchestrate import deploy as deploys
from ikzops.secrets import s3 as s3_keys
from ikzops.secrets.store import SecretStore
from tests.lab.helpers import sh
from tests.lab.many import SHARED_DC, TOWN_BUCKET, as_user, denied, gateway, ikzops, wait_for_the_gateway


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
    version = owner.head_object(Bucket=name, Key=pack)["VersionId"]
    assert ikzops("verify", "--site", "shared", "--job", "town-files").exit_code == ExitCode.OK
    # the RADOS object holding the start of the pack's current version (a versioned bucket's
    # `<marker>__:<version>_<key>`; `<marker>_<key>` is its empty logical head), changed in place:
    # what a disk's bit rot does, with no new version and no S3 request
    marker = json.loads(sh(many, "state-repo", f"radosgw-admin bucket stats --bucket={name}"))["marker"]
    found = f"{marker}__:{version}_{pack}"
    flip = ("python3 -c \"import sys; b = bytearray(open(sys.argv[1], 'rb').read()); b[len(b) // 2] ^= 1; "
            "open(sys.argv[1], 'wb').write(b)\" /tmp/rot")
    sh(many, "state-repo", f"rados -p {DATA_POOL} get '{found}' /tmp/rot.orig && test -s /tmp/rot.orig && "
                           f"cp /tmp/rot.orig /tmp/rot && {flip} && rados -p {DATA_POOL} put '{found}' /tmp/rot")
    try:
        result = ikzops("verify", "--site", "shared", "--job", "town-files", "--json")
    finally:
        sh(many, "state-repo", f"rados -p {DATA_POOL} put '{found}' /tmp/rot.orig && rm -f /tmp/rot*")
    assert result.exit_code == ExitCode.FINDING, result.output
    row = json.loads(result.output)["repositories"][0]
    assert [d["pack"] for d in row["scrub"]["damaged"]] == [pack.rsplit("/", 1)[-1]]
    assert f"damaged pack {pack.rsplit('/', 1)[-1]} at shared (s3:https://" in " ".join(row["findings"])
    assert ikzops("verify", "--site", "shared", "--job", "town-files").exit_code == ExitCode.OK


@pytest.mark.fault("site")
def test_a_deploy_while_the_gateway_is_down_deploys_every_host_and_names_the_gateway(many):
    unit = "ceph-radosgw@rgw.state-repo"
    sh(many, "state-repo", f"systemctl stop {unit}")
    try:
        report = deploys.deploy(SHARED_DC)
    finally:
        sh(many, "state-repo", f"systemctl start {unit}")
        wait_for_the_gateway(many)
    assert report.exit_code == ExitCode.UNREACHABLE and report.unreachable == ("state-repo",), report
    assert any(line.startswith("state-repo: cannot reach the S3 gateway https://172.30.78.31:7480")
               and "were not checked" in line for line in report.errors), report.errors
    # pyinfra still deployed every host, the gateway's repository host and the tenant included
    deployed = {host for op in report.operations for host in (*op.changed, *op.unchanged)}
    assert {"city-srv", "district-srv", "state-repo", "town-app"} <= deployed
    assert not any(op.failed for op in report.operations)


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
