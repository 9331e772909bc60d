"""The lab of many (inventories/shared_dc.py), up beside the default lab: four partners on
three sites, one of them a tenant of the state's shared data centre with no site of its own.
It deploys, backs up, verifies and drills like the lab of two; each partner has its own
rest-server and quota on every repository host of a municipal data centre its jobs land
on, and its own user with its quota on the shared data centre's S3 gateway (a single-node
Ceph with radosgw), where each job is a bucket its client may add to but not delete from;
usage is per partner. The hostile world against its buckets is in tests/faults/lab/test_s3.py."""

from __future__ import annotations

import json

from ikzops import layout
from ikzops.errors import ExitCode
from ikzops.model import buckets
from ikzops.orchestrate import deploy as deploys
from tests.lab.helpers import sh
from tests.lab.many import GATEWAY_PORT, SHARED_DC, as_user, gateway, ikzops
from tests.lab.test_firewall import probe


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


def test_each_partner_owns_its_buckets_on_the_gateway_with_its_reservation_as_quota(many):
    for partner, quota in (("town", 1 << 30), ("city", 2 << 30), ("district", 2 << 30)):
        user = gateway(many).user(buckets.partner_user(many, partner))
        assert user["user_quota"]["enabled"] and user["user_quota"]["max_size"] == quota
    owner = as_user(many, buckets.partner_user(many, "town"))
    lock = owner.get_object_lock_configuration(Bucket="shared-dc-town-files")["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 1}
    assert owner.get_object(Bucket="shared-dc-town-files", Key="config")["ContentLength"] > 0


def test_retention_of_the_buckets_reads_arrival_times_from_the_gateway_where_each_is_maintained(many):
    # the state maintains the city's and the district's buckets; the town, which does not
    # trust the state, its own from its server (ikz_partners.town.maintenance)
    for host, jobs in (("state-repo", {"city-files", "district-files"}), ("town-app", {"town-files"})):
        sh(many, host, "systemctl start ikzops-retention.service")
        report = json.loads(sh(many, host, "cat /var/lib/ikzops/retention/last-run.json"))
        assert {job: entry["status"] for job, entry in report["repositories"].items()} == dict.fromkeys(jobs, "ok")


def test_snapshots_shows_each_of_the_tenants_runs_held_at_the_city_and_in_its_bucket(many):
    result = ikzops("snapshots", "--job", "town-files", "--json")
    assert result.exit_code == ExitCode.OK, result.output
    job = json.loads(result.stdout)["jobs"][0]
    assert set(job["sites"]) == {"city", "shared"} and job["runs"]
    newest = job["runs"][0]
    assert newest["sites"] == {"city": "held", "shared": "held"}, newest
    # the bucket's alone: each run arrived when the gateway stored it (as a rest-server's file's mtime)
    shared = ikzops("snapshots", "--job", "town-files", "--site", "shared", "--json")
    runs = json.loads(shared.stdout)["jobs"][0]["runs"]
    assert runs and all(run["arrived"] and run["arrived"] >= run["taken"] for run in runs), runs


def test_find_searches_the_tenants_bucket(many):
    result = ikzops("find", "--job", "town-files", "--site", "shared", "--json", "/etc/hostname")
    assert result.exit_code == ExitCode.OK, result.output
    hits = json.loads(result.stdout)["hits"]
    assert hits and {hit["site"] for hit in hits} == {"shared"} and hits[0]["path"] == "/etc/hostname"


def test_a_restore_from_the_tenants_bucket_is_relayed_and_proven_byte_for_byte(many):
    result = ikzops("restore", "--job", "town-files", "--from", "shared", "--to", "town-app:/srv/restored-town",
                    "--include", "/etc/ssh", "--json")
    try:
        assert result.exit_code == ExitCode.OK, result.output
        record = json.loads(result.stdout)
        assert record["verdict"] == "restored" and record["mismatched"] == 0 and record["files"] > 0, record
        assert any("relayed through the control host" in w for w in record["warnings"]), record["warnings"]
        sums = "cd {} && find . -type f -print0 | sort -z | xargs -0 sha256sum"
        assert sh(many, "town-app", sums.format("/srv/restored-town/etc/ssh")) == sh(many, "town-app", sums.format("/etc/ssh"))
    finally:
        sh(many, "town-app", "rm -rf /srv/restored-town")


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
