"""A site's repositories as buckets of an S3 gateway (pure: the model and the layout only)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ikzops import layout
from ikzops.firewall import rules
from ikzops.model import access, buckets, schema
from ikzops.model.loader import load
from tests.unit.model.test_checks import only, problems


def firewalled(inv):
    inv.data["ikz_firewall"] = {"control": ["10.9.0.1"]}
    inv.data["ikz_luns"]["a-disk"]["initiator_addresses"] = ["a-app"]
    return inv


def on_gateway(inv, **s3):
    """Site a's repository host keeps its repositories at an S3 gateway on itself."""
    inv.hosts["a-san"]["data"]["ikz_repository"]["s3"] = {"endpoint": "https://10.9.0.11:7480", **s3}
    return inv


def test_a_job_landing_on_a_gateway_gets_a_bucket_url_and_no_path(inv, tmp_path):
    p = load(on_gateway(inv).write(tmp_path))
    job = p.jobs["b-files"]
    shared = layout.destination(p, job, "a")
    assert shared.s3 and shared.url == "s3:https://10.9.0.11:7480/test-b-files" and shared.path == ""
    assert not layout.destination(p, job, "b").s3


def test_a_client_opens_a_bucket_with_its_own_keys_and_the_repository_host_with_the_owners(inv, tmp_path):
    p = load(on_gateway(inv).write(tmp_path))
    job = p.jobs["b-files"]
    shared = layout.destination(p, job, "a")
    assert layout.client_repository(job, shared).s3_key_file == layout.s3_client_keys("a-san")[0]
    local = layout.local_repository(job, shared)
    assert local.url == shared.url and local.s3_key_file == layout.s3_owner_keys("a-san", "b")[0]
    config = layout.job_config(p, job)
    assert {d.site: d.s3_key_file for d in config.destinations} == {"b": None, "a": layout.s3_client_keys("a-san")[0]}


def test_a_gateway_host_runs_no_rest_server_and_admits_the_clients_to_the_gateway_port(inv, tmp_path):
    p = load(on_gateway(firewalled(inv)).write(tmp_path))
    assert layout.rest_instances(p, "a-san") == []
    gateway = [r for r in rules.rules(p, "a-san") if r.why == "S3 gateway"]
    assert len(gateway) == 1 and gateway[0].ports == "7480" and "10.9.0.22" in gateway[0].sources


def test_a_gateway_elsewhere_opens_no_port_here(inv, tmp_path):
    p = load(on_gateway(firewalled(inv), endpoint="https://rgw.example.org").write(tmp_path))
    assert buckets.endpoint_address(buckets.s3_of(p.hosts["a-san"])) == ("rgw.example.org", 443)
    assert not [r for r in rules.rules(p, "a-san") if r.why == "S3 gateway"]


def test_retention_on_a_gateway_host_names_each_bucket_and_its_owners_keys(inv, tmp_path):
    p = load(on_gateway(inv).write(tmp_path))
    entries = {e["job"]: e for e in layout.retention_config(p, "a-san")["repositories"]}
    assert entries["b-files"]["url"].endswith("/test-b-files")
    assert entries["b-files"]["s3_key_file"] == layout.s3_owner_keys("a-san", "b")[0]


def test_an_endpoint_without_tls_is_refused(inv, tmp_path):
    found = problems(on_gateway(inv, endpoint="http://10.9.0.11:7480"), tmp_path)
    assert found[0].path == ("hosts", "a-san", "ikz_repository", "s3", "endpoint")


def test_an_object_lock_in_hours_is_refused(inv, tmp_path):
    found = problems(on_gateway(inv, object_lock="36h"), tmp_path)
    assert found[0].path == ("hosts", "a-san", "ikz_repository", "s3") and "whole days" in found[0].message


def test_a_bucket_name_longer_than_s3_allows_is_refused(inv, tmp_path):
    job, partnership = "b-files-" + "x" * 24, "partnership-" + "y" * 20  # 32 characters each: allowed names
    inv.data["ikz_jobs"][job] = inv.data["ikz_jobs"].pop("b-files")
    inv.data["ikz_partnership"] = partnership
    problem = only(on_gateway(inv), tmp_path)
    assert "65 characters" in problem.message and "63" in problem.message and job in problem.path


def test_the_bucket_policy_lets_the_client_delete_only_its_lock_files():
    policy = buckets.policy("lab-job", "lab-client-app", "lab-partner-a")
    deletes = [s for s in policy["Statement"] if "s3:DeleteObject" in s["Action"]]
    assert [s["Resource"] for s in deletes] == [["arn:aws:s3:::lab-job/locks/*"]]
    assert deletes[0]["Principal"] == {"AWS": ["arn:aws:iam:::user/lab-client-app"]}
    owner = [s for s in policy["Statement"] if s["Principal"] == {"AWS": ["arn:aws:iam:::user/lab-partner-a"]}]
    assert owner and owner[0]["Action"] == ["s3:*"]


# --- a bucket at a site its owner does not trust, maintained from a host of the owner's

def distrustful(inv, maintenance: str | None = "b-app"):
    """Partner b does not trust a, whose site keeps b-files in a bucket of a-san's gateway."""
    inv.data["ikz_partners"] = {"a": {"name": "Partner A", "trust": ["b"]},
                                "b": {"name": "Partner B", **({"maintenance": maintenance} if maintenance else {})}}
    inv.data["ikz_sites"] = {"a": {"partner": "a"}, "b": {"partner": "b"}}
    return on_gateway(inv)


def test_a_bucket_its_owner_does_not_trust_the_gateway_host_with_is_maintained_from_the_owners_host(inv, tmp_path):
    p = load(distrustful(inv).write(tmp_path))
    shared = layout.destination(p, p.jobs["b-files"], "a")
    assert (shared.host, shared.gateway) == ("b-app", "a-san")
    assert {h.host for h in access.holders(p, p.jobs["b-files"])} == {"b-app", "b-san"}  # not a-san
    assert [job.name for job, _ in layout.maintained_on(p, "b-app")] == ["b-files"]
    assert "b-files" not in {job.name for job, _ in layout.maintained_on(p, "a-san")}
    assert {e["job"] for e in layout.retention_config(p, "a-san")["repositories"]} == {"a-files"}


def test_without_a_maintenance_host_the_untrusted_gateway_host_is_refused_with_the_way_out(inv, tmp_path):
    problem = only(distrustful(inv, maintenance=None), tmp_path)
    assert problem.path == ("ikz_jobs", "b-files") and "ikz_partners.b.maintenance" in problem.message


def test_a_maintenance_host_of_another_partner_is_refused(inv, tmp_path):
    problem = only(distrustful(inv, maintenance="a-app"), tmp_path)
    assert problem.path == ("ikz_partners", "b", "maintenance") and "administered by a" in problem.message


def test_a_rest_server_site_stays_refused_even_with_a_maintenance_host(inv, tmp_path):
    inv = distrustful(inv)
    del inv.hosts["a-san"]["data"]["ikz_repository"]["s3"]  # a-san runs rest-servers: local access only
    problem = only(inv, tmp_path)
    assert problem.path == ("ikz_jobs", "b-files") and "a-san" in problem.message


# --- the README's examples of this

README = Path(__file__).resolve().parents[3] / "README.md"


def _readme_block(marker: str) -> str:
    return next(b for b in re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL) if marker in b)


def test_the_readmes_s3_repository_example_loads(inv, tmp_path):
    _, host_data = ast.literal_eval(_readme_block('"s3": {"endpoint"').strip().rstrip(","))
    inv.hosts["a-san"]["data"]["ikz_repository"] = host_data["ikz_repository"]
    inv.hosts["a-san"]["data"]["ikz_repository"]["reserve"] = {"a": "2G", "b": "2G"}  # the example's are the lab's
    p = load(inv.write(tmp_path))
    spec = buckets.s3_of(p.hosts["a-san"])
    assert (spec.lock_days, spec.object_lock_mode) == (14, "GOVERNANCE")


def test_the_readmes_maintenance_example_is_a_valid_partner():
    entry = ast.literal_eval("{" + _readme_block('"maintenance": "town-app"').strip().rstrip(",") + "}")
    assert schema.PartnerSpec.model_validate(entry["town"]).maintenance == "town-app"
