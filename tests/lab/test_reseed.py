"""reseed in the lab: a site's repository gone (rebuilt empty), filled again from the partner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ikzops import layout
from ikzops.cli import cli
from ikzops.errors import ExitCode
from ikzops.orchestrate import backup as backups
from ikzops.progress import Recorder
from tests.lab.helpers import LAB, sh


def ikzops(*args: str):
    return CliRunner().invoke(cli, [*args[:1], "-i", LAB, *args[1:]])


def test_an_emptied_site_gets_every_run_back_and_verify_finds_no_gap(deployed_lab, p):
    assert backups.exit_code(backups.backup(LAB, ("district-files",), Recorder())) == ExitCode.OK
    repository = layout.destination(p, p.jobs["district-files"], "city").path
    sh(p, "city-san", f"mv {repository} /var/tmp/ikzops-test-reseed-aside")
    try:
        result = ikzops("reseed", "--site", "city", "--job", "district-files", "--json")
        assert result.exit_code == 0, result.output
        done = json.loads(result.stdout)["results"][0]
        assert done["created"] and done["before"] == 0 and done["after"] > 0 and done["from_site"] == "district"
        again = json.loads(ikzops("reseed", "--site", "city", "--job", "district-files", "--json").stdout)["results"][0]
        assert again["before"] == again["after"] == done["after"]  # resumable: nothing twice
        verified = ikzops("verify", "--job", "district-files", "--json")
        assert verified.exit_code == 0, verified.output
        assert all(r["missing_runs"] == [] for r in json.loads(verified.stdout)["repositories"])
        drilled = ikzops("drill", "--job", "district-files", "--from", "city")
        assert drilled.exit_code == 0, drilled.output
        assert backups.exit_code(backups.backup(LAB, ("district-files",), Recorder())) == ExitCode.OK
    finally:
        sh(p, "city-san", "rm -rf /var/tmp/ikzops-test-reseed-aside")
