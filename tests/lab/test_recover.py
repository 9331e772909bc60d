"""recover plan and run in the lab: the city lost, its jobs restored onto the district's standby."""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner

from ikzops.cli import cli
from ikzops.errors import ExitCode
from ikzops.orchestrate import backup as backups
from ikzops.progress import Recorder
from tests.lab.helpers import LAB, sh

SUMS = "cd {root} && find . -type f -print0 | sort -z | xargs -0 sha256sum"


def ikzops(*args: str):
    return CliRunner().invoke(cli, [*args[:1], *args[1:2], "-i", LAB, *args[2:]])


@pytest.fixture(scope="module")
def city_lost(deployed_lab, p):
    assert backups.exit_code(backups.backup(LAB, ("city-files",), Recorder())) == ExitCode.OK
    original = sh(p, "city-app", SUMS.format(root="/srv/data"))
    lost = [f"ikzops-{p.name}-{h.name}" for h in p.hosts_in("city")]
    subprocess.run(["docker", "stop", "-t", "5", *lost], check=True, capture_output=True)
    try:
        yield original
    finally:
        subprocess.run(["docker", "start", *lost], check=True, capture_output=True)
        sh(p, "district-app", "rm -rf /srv/ikzops-recovered")
        from ikzops.lab import manager

        manager.up(Recorder())


@pytest.mark.fault("site")
def test_the_plan_puts_the_shortest_rto_first_and_names_the_standby(city_lost):
    result = ikzops("recover", "plan", "--lost", "city", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    # RTO 30 min before 1 h; of equal RTO and priority, by name: city-db, then the LUN job
    assert [j["job"] for j in plan["jobs"]] == ["city-files", "city-db", "city-san-luns"]
    files = plan["jobs"][0]
    assert files["from_site"] == "district" and files["target_host"] == "district-app"
    assert files["target_dir"] == "/srv/ikzops-recovered/city-files"  # district-app's own /srv/data is never touched
    assert files["sites"]["city"] == "lost" and files["within_rpo"] is True
    assert any("--to district-app:/srv/ikzops-recovered/city-files" in c for c in files["commands"])
    luns = plan["jobs"][2]  # city-san's LUNs go to the storage host of the partner site
    assert luns["target_host"] == "district-san" and luns["luns"] == ["city-fileserver", "district-fileserver"]
    assert [c.split(" --lun ")[1].split()[0] for c in luns["commands"]] == luns["luns"]


def test_run_without_yes_changes_nothing(city_lost, p):
    result = ikzops("recover", "run", "--lost", "city", "--job", "city-files")
    assert result.exit_code == 0, result.output
    assert "nothing done" in result.output
    assert sh(p, "district-app", "ls /srv/ikzops-recovered 2>/dev/null | wc -l").strip() == "0"


@pytest.mark.fault("site")
def test_run_restores_the_lost_job_onto_the_standby_byte_for_byte(city_lost, p):
    result = ikzops("recover", "run", "--lost", "city", "--job", "city-files", "--yes")
    assert result.exit_code == 0, result.output
    root = "/srv/ikzops-recovered/city-files/srv/data"
    assert sh(p, "district-app", SUMS.format(root=root)) == city_lost
    record = json.loads(sorted((p_ for p_ in _records(p)), key=lambda f: f.name)[-1].read_text())
    job = record["jobs"][0]
    assert record["verdict"] == "recovered" and job["within_rto"] and job["files"] > 50


def test_a_client_without_standby_or_map_cannot_be_planned(city_lost):
    result = ikzops("recover", "plan", "--lost", "city", "--map", "city-app=city-san")
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "stands in the lost site" in result.output


def _records(p):
    from ikzops.records import folder

    return folder(p.name, "recoveries").glob("*.json")
