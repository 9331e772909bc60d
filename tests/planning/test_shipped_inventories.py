"""What ships must run: every inventory under inventories/ and the README's example plan a
full deploy, every host, every file rendered and every command built — no host contacted.

Each inventory runs through pyinfra's own CLI with ``deploy/site.py`` (and once with the
three part files that ``--only`` uses) against pyinfra's ``fake`` connector
(``fake_deploy.py``), with a throwaway secret store.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from ikzops import layout
from ikzops.model import buckets
from ikzops.model.loader import load
from ikzops.secrets import s3 as s3_keys
from ikzops.secrets.store import SecretStore

ROOT = Path(__file__).resolve().parents[2]
INVENTORIES = sorted(p.name for p in (ROOT / "inventories").glob("*.py"))
PARTS = ("deploy/storage.py", "deploy/backup.py", "deploy/monitoring.py", "deploy/firewall.py")


def plan(tmp_path: Path, inventory: str, *deploy_files: str) -> dict:
    out = tmp_path / "plan.json"
    gateway_keys(load(ROOT / "inventories" / inventory), tmp_path / "secrets")
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("fake_deploy.py")), str(out), f"inventories/{inventory}",
         *deploy_files],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "IKZOPS_SECRETS_DIR": str(tmp_path / "secrets")},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text())


def gateway_keys(p, root: Path) -> None:
    """The S3 users' keys ``ikzops deploy`` gets from each gateway before pyinfra runs (here: made up)."""

    store = SecretStore(p.name, root=root)
    for host in p.hosts_with("repository"):
        if buckets.s3_of(host) is None:
            continue
        jobs = p.jobs_landing_on(host.name)
        uids = {buckets.partner_user(p, job.owner) for job in jobs} | {buckets.client_user(p, job.client) for job in jobs}
        uids.add(buckets.usage_user(p))
        for uid in sorted(uids):
            s3_keys.save(store, host.name, uid, s3_keys.Keys(f"KEY{secrets.token_hex(8)}", secrets.token_urlsafe(30)))


def secrets_of(tmp_path: Path) -> list[str]:
    return [f.read_text().strip() for f in (tmp_path / "secrets").rglob("*") if f.is_file() and f.suffix != ".crt"]


@pytest.fixture(scope="module", params=INVENTORIES)
def planned(request, tmp_path_factory) -> tuple[str, Path, dict]:
    """(inventory, its secrets folder, the site deploy's plan), once per inventory."""

    folder = tmp_path_factory.mktemp(request.param.removesuffix(".py"))
    return request.param, folder, plan(folder, request.param, "deploy/site.py")


def test_every_shipped_inventory_is_covered():
    assert {"lab.py", "example.py", "saar_partners.py"} <= set(INVENTORIES)


def test_site_deploy_plans_every_host(planned):
    inventory, _, record = planned
    p = load(ROOT / "inventories" / inventory)
    assert set(record) == set(p.hosts)
    for name, host in p.hosts.items():
        files = record[name]["files"]
        assert record[name]["commands"], name
        if host.has("repository"):
            for instance in layout.rest_instances(p, name):
                assert f"LISTEN=:{instance.port}" in files[instance.settings]
            assert json.loads(files[f"{layout.CONFIG_DIR}/retention.json"])["repositories"]
        if host.has("monitor"):
            assert "/etc/prometheus/ikzops/prometheus.yml.candidate" in files
        for job in p.jobs_of_client(name):
            config = json.loads(files[f"{layout.JOB_CONFIG_DIR}/{job.name}/job.json"])
            assert config["give_up_after"] == int(job.spec.give_up_after.total_seconds())
            assert config["rpo_seconds"] == int(job.spec.rpo.total_seconds())
            unit = files[f"/etc/systemd/system/{layout.unit_name(job.name)}.timer"]
            assert f"OnCalendar={job.spec.schedule}" in unit
    for host_record in record.values():
        for dest, content in host_record["files"].items():
            assert content.strip(), dest  # templates render strictly: a missing value fails the plan
            if dest.endswith(".json"):
                json.loads(content)


def test_every_host_plans_the_ruleset_of_its_roles_exactly_when_the_firewall_is_on(planned):
    from ikzops.firewall import nft

    inventory, _, record = planned
    p = load(ROOT / "inventories" / inventory)
    for name in p.hosts:
        files, commands = record[name]["files"], record[name]["commands"]
        if p.firewall_on:
            assert files[nft.CANDIDATE] == nft.ruleset(p, name)
            assert f"ExecStart=/usr/sbin/nft -f {nft.RULESET}" in files[f"/etc/systemd/system/{nft.UNIT}.service"]
            assert any("ikzops_agent.firewall apply" in c for c in commands), name
            assert any("ikzops_agent.firewall confirm" in c for c in commands), name
        else:
            assert nft.CANDIDATE not in files and not any("ikzops_agent.firewall apply" in c for c in commands)


def test_no_secret_is_on_a_planned_command_line(planned):
    _, folder, record = planned
    secrets = secrets_of(folder)
    assert secrets
    for host, planned in record.items():
        for command in planned["commands"]:
            assert not any(secret in command for secret in secrets), (host, command)


def test_part_deploys_plan_like_the_site_deploy(planned):
    inventory, folder, site = planned
    parts = plan(folder, inventory, *PARTS)
    assert {h: sorted(r["files"]) for h, r in parts.items()} == {h: sorted(r["files"]) for h, r in site.items()}


def test_readme_inventory_examples_are_the_shipped_files():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(# (inventories/\S+\.py)[^\n]*\n.*?)```", readme, re.DOTALL)
    assert {path for _, path in blocks} >= {"inventories/example.py", "inventories/group_data/example.py"}
    for text, path in blocks:
        assert text == (ROOT / path.rstrip(":")).read_text(), f"README's {path} differs from the file"


def test_a_deploy_creates_no_secret_the_catalog_does_not(planned, tmp_path):
    """The sealed deposit holds every secret from the first host on (secrets/catalog.py)."""

    from ikzops.secrets import catalog
    from ikzops.secrets.store import SecretStore

    inventory, folder, _ = planned
    p = load(ROOT / "inventories" / inventory)
    store = SecretStore(p.name, root=tmp_path)
    catalog.materialize(p, store)
    listed = {str(f.relative_to(store.root)) for f in store.root.rglob("*") if f.is_file()}
    made = {str(f.relative_to(folder / "secrets" / p.name)) for f in (folder / "secrets" / p.name).rglob("*") if f.is_file()}
    # S3 keys are made by the gateways before pyinfra runs (ikzops deploy), not by the deploys
    assert {m for m in made if not m.startswith("s3/")} == listed


def test_every_repository_host_gets_the_store_sealed_to_the_recovery_key(tmp_path):
    import base64

    from ikzops.secrets import sealed
    from ikzops.secrets.store import SecretStore
    from ikzops.state import write_secret

    p = load(ROOT / "inventories" / "lab.py")
    store = SecretStore(p.name, root=tmp_path / "secrets")
    text, public = sealed.new_key()
    write_secret(store.path(sealed.PUBLIC_NAME), public)
    record = plan(tmp_path, "lab.py", "deploy/site.py")
    deposits = {record[h.name]["files"][sealed.deposit_path(p.name)] for h in p.hosts_with("repository")}
    assert len(deposits) == 1  # the same store at every site
    blob = base64.b64decode(deposits.pop().removeprefix("base64:"))
    names = sealed.extract(sealed.unseal(blob, sealed.parse_sheet(text)), tmp_path / "opened")
    assert set(names) == {str(f.relative_to(store.root)) for f in store.root.rglob("*") if f.is_file()}
    assert "repository/city-files.password" in names


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_every_shipped_inventory_has_a_concept_and_a_report(inventory, tmp_path, monkeypatch):
    monkeypatch.setenv("IKZOPS_STATE_DIR", str(tmp_path))
    from ikzops.orchestrate import audit

    for fmt in audit.FORMATS:
        text, _ = audit.concept(str(ROOT / "inventories" / inventory), fmt=fmt, collect=False)
        assert "Restore order" in text or '"restore_order"' in text
        data, text, path, _ = audit.report(str(ROOT / "inventories" / inventory), period_text="2026-11", fmt=fmt,
                                           out=str(tmp_path), collect=False)
        assert path.exists() and not data["summary"]["met"]  # nothing recorded: no run, no drill
    for fmt in ("md", "csv", "json"):
        data, text, _ = audit.usage(str(ROOT / "inventories" / inventory), period_text="2026-11", fmt=fmt,
                                    collect=False)
        assert {s["partner"] for s in data["partners"]} <= set(load(str(ROOT / "inventories" / inventory)).partners)
        assert text
