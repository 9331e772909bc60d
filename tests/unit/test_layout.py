import json
from pathlib import Path

from ikzops import layout
from ikzops.agent.job_config import JobConfig
from ikzops.model.loader import load

ROOT = Path(__file__).resolve().parents[2]


def test_job_settings_round_trip_through_their_file():
    p = load(ROOT / "inventories/lab.py")
    config = layout.job_config(p, p.jobs["city-db"])
    assert JobConfig.from_dict(json.loads(config.to_json())) == config


def test_job_settings_hold_paths_to_secrets_and_no_secret():
    p = load(ROOT / "inventories/lab.py")
    text = layout.job_config(p, p.jobs["city-files"]).to_json()
    assert "/etc/ikzops/jobs/city-files/repository.password" in text
    assert "password\": \"" not in text.replace("_file\": \"", "")


def test_a_job_goes_to_its_own_site_first_then_its_partners():
    p = load(ROOT / "inventories/lab.py")
    sites = [d.site for d in layout.destinations(p, p.jobs["district-files"])]
    assert sites == ["district", "city"]
    city = layout.destination(p, p.jobs["district-files"], "city")
    # district's rest-server at city (district is the second partner: port 8001)
    assert (city.host, city.path) == ("city-san", "/srv/ikzops/repositories/district/district-app/district-files")
    assert city.url == "rest:https://172.30.77.11:8001/district-app/district-files"


def test_each_partner_has_its_own_rest_server_port_and_quota_on_a_repository_host():
    p = load(ROOT / "inventories/lab.py")
    found = {i.partner: (i.port, i.path, i.clients, i.max_size) for i in layout.rest_instances(p, "district-san")}
    assert found == {
        "city": (8000, "/srv/ikzops/repositories/city", ("city-app", "city-san"), 16 << 30),
        "district": (8001, "/srv/ikzops/repositories/district", ("district-app", "district-san"), 16 << 30),
    }


def test_retention_on_a_repository_host_covers_every_job_landing_there():
    p = load(ROOT / "inventories/lab.py")
    config = layout.retention_config(p, "district-san")
    assert sorted(r["job"] for r in config["repositories"]) == ["city-db", "city-files", "city-san-luns", "district-archive-lun", "district-files"]
    assert all(r["password_file"].startswith(layout.RETENTION_DIR) for r in config["repositories"])


def test_capacity_plan_lists_partners_clients_landing_on_the_host():
    p = load(ROOT / "inventories/saar_partners.py")
    plan = layout.capacity_plan(p, "spk-backup1.it.example")
    assert plan["partners"]["sb"]["clients"] == ["sb-files.it.example", "sb-wohngeld.it.example"]
    assert plan["partners"]["spk"]["reserved_bytes"] == plan["partners"]["spk"]["quota_bytes"] == 25 << 40
