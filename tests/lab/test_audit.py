"""The history, the backup concept and the period report against the lab: real runs, a
repository server down, a failed drill, a record edited on a repository host."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from ikzops.cli import cli
from ikzops.errors import ExitCode
from ikzops.orchestrate import backup as backups
from ikzops.progress import Recorder
from tests.lab.helpers import LAB, rest_servers, sh

PERIOD = datetime.now(UTC).strftime("%Y-%m")


def ikzops(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def eventful(deployed_lab, p):
    """A month with a good backup of every job, a backup that missed district (its repository
    server down), a drill that failed, and the history collected."""

    assert backups.exit_code(backups.backup(LAB, (), Recorder())) == ExitCode.OK
    sh(p, "district-san", f"systemctl stop {rest_servers(p, 'district-san')}")
    try:
        missed = ikzops("backup", "-i", LAB, "--job", "city-files")
    finally:
        sh(p, "district-san", f"systemctl start {rest_servers(p, 'district-san')}")
    assert missed.exit_code == ExitCode.FINDING, missed.output
    failed = ikzops("drill", "-i", LAB, "--job", "city-files", "--from", "district", "--snapshot", "deadbeef", "--json")
    assert failed.exit_code == ExitCode.FINDING
    collected = ikzops("history", "collect", "-i", LAB)
    assert collected.exit_code == ExitCode.OK, collected.output
    return {"drill": json.loads(failed.stdout)[0]["id"]}


def _requirement(report: dict, job: str, name: str) -> dict:
    entry = next(j for j in report["jobs"] if j["job"] == job)
    return next(r for r in entry["requirements"] if r["requirement"] == name)


def test_a_missed_backup_and_a_failed_drill_are_not_met_in_the_report(eventful):
    result = ikzops("report", "-i", LAB, "--period", PERIOD, "--format", "json", "--no-collect")
    assert result.exit_code == ExitCode.FINDING
    report = json.loads(result.stdout)
    a5 = _requirement(report, "city-files", "CON.3.A5")
    assert not a5["met"]
    assert any(reason.startswith("district:") and "run(s) failed" in reason and "cannot reach" in reason
               for reason in a5["reasons"]), a5
    a15 = _requirement(report, "city-files", "CON.3.A15")
    assert not a15["met"]
    assert any(eventful["drill"] in reason and "failed" in reason for reason in a15["reasons"]), a15
    assert {"job": "city-files", "requirement": "CON.3.A15", "reasons": a15["reasons"]} in report["summary"]["not_met"]


def test_the_html_report_is_one_file_with_charts(eventful, tmp_path):
    result = ikzops("report", "-i", LAB, "--period", PERIOD, "--partner", "city", "--format", "html",
                    "--out", str(tmp_path), "--no-collect")
    assert result.exit_code == ExitCode.FINDING
    html = next(tmp_path.glob("report-lab-*-city.html")).read_text()
    assert html.count("<svg") >= 3 and "RPO" in html and "city-files" in html and "district-files" not in html
    assert "http" not in html.split("<body>")[1].replace("http://www.w3.org/2000/svg", "")  # nothing fetched


def test_the_concept_lists_every_job_with_its_restore_order(eventful, p):
    result = ikzops("concept", "-i", LAB, "--format", "json", "--no-collect")
    assert result.exit_code == ExitCode.OK
    data = json.loads(result.stdout)
    assert {j["name"] for j in data["jobs"]} == set(p.jobs)
    for site in p.sites:
        assert data["restore_order"][site] == [j.name for j in p.restore_order(site)]
    measured = next(j for j in data["jobs"] if j["name"] == "city-files")["measured"]
    assert measured["runs"] >= 1 and measured["volume_bytes"] > 0
    text = ikzops("concept", "-i", LAB, "--no-collect").stdout
    assert "## Restore order per site" in text and "city-files" in text


@pytest.mark.fault("attack")
def test_a_record_edited_on_a_repository_host_fails_history_verify_naming_it(eventful, p):
    folder = "/var/lib/ikzops/history/partnership/lab"
    stream = sh(p, "district-san", f"cd {folder} && ls backup-city-files-*.jsonl | head -1").strip()
    sh(p, "district-san", f"cd {folder} && cp -p {stream} /root/history.keep && "
                          f"sed -i '1s/\"status\":[0-9]/\"status\":0,\"x\":1/' {stream}")
    try:
        result = ikzops("history", "verify", "-i", LAB, "--json")
        assert result.exit_code == ExitCode.FINDING, result.output
        findings = json.loads(result.stdout)["findings"]
        assert {"stream": stream.removesuffix(".jsonl"), "where": "district-san", "record": 1} in [
            {k: f[k] for k in ("stream", "where", "record")} for f in findings], findings
    finally:
        sh(p, "district-san", f"mv /root/history.keep {folder}/{stream}")
    assert ikzops("history", "verify", "-i", LAB).exit_code == ExitCode.OK


def test_every_run_is_in_the_history_and_its_chains_hold(eventful):
    result = ikzops("history", "-i", LAB, "--kind", "backup", "--kind", "drill", "--json")
    kinds = {json.loads(line)["kind"] for line in result.stdout.splitlines()}
    assert kinds == {"backup", "drill"}
    assert ikzops("history", "verify", "-i", LAB).exit_code == ExitCode.OK


def test_usage_charges_each_partner_what_verify_measured_and_publishes_it(eventful, p):
    # the next run catches district up with the run it missed: verify is green again
    assert backups.exit_code(backups.backup(LAB, ("city-files",), Recorder())) == ExitCode.OK
    verified = ikzops("verify", "-i", LAB, "--job", "city-files", "--no-collect")
    assert verified.exit_code == ExitCode.OK, verified.output
    result = ikzops("usage", "-i", LAB, "--period", PERIOD, "--format", "json", "--no-collect")
    assert result.exit_code == ExitCode.OK, result.output
    data = json.loads(result.stdout)
    city = next(s for s in data["partners"] if s["partner"] == "city")
    at_district = next(r for r in city["sites"] if r["site"] == "district")
    assert at_district["repository_bytes"] > 0 and at_district["lun_bytes"] == 0
    assert city["cost"] > 0 and 0 < city["share"] < 1
    published = sh(p, "district-san", "cat /var/lib/prometheus/node-exporter/ikzops_usage.prom")
    assert 'ikzops_partner_repository_bytes{partner="city",site="district"}' in published
    assert 'ikzops_partner_lun_allocated_bytes{partner="district",site="district"}' in published
    csv_text = ikzops("usage", "-i", LAB, "--period", PERIOD, "--format", "csv", "--no-collect").stdout
    assert csv_text.splitlines()[0].startswith("partner,partner_name,site,")
