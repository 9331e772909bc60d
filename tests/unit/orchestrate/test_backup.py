"""The command that runs a backup job: the unit's status, and only this run's report."""

from __future__ import annotations

import os
import subprocess

import pytest

from ikzops import layout
from ikzops.orchestrate import backup


@pytest.fixture
def client(tmp_path, monkeypatch):
    """A stand-in client: the job's state folder in tmp, and a ``systemctl`` whose behaviour
    the test writes."""

    monkeypatch.setattr(layout, "STATE_DIR", str(tmp_path / "jobs"))
    (tmp_path / "jobs" / "files").mkdir(parents=True)
    (tmp_path / "bin").mkdir()

    def run(systemctl: str, old_report: str | None) -> subprocess.CompletedProcess:
        fake = tmp_path / "bin" / "systemctl"
        fake.write_text(f"#!/bin/sh\n{systemctl}\n")
        fake.chmod(0o755)
        report = tmp_path / "jobs" / "files" / "last-run.json"
        if old_report is not None:
            report.write_text(old_report)
        env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "REPORT": str(report)}
        return subprocess.run(backup.run_unit("files").argv, capture_output=True, text=True, env=env)

    return run


def test_a_run_that_dies_before_its_report_prints_no_report_not_the_previous_one(client):
    done = client("exit 1", old_report='{"run": "yesterday"}')
    assert done.returncode == 1 and done.stdout == ""


def test_a_run_that_replaces_the_report_prints_it_with_the_units_status(client):
    done = client('echo \'{"run": "now"}\' > "$REPORT.tmp" && mv "$REPORT.tmp" "$REPORT"; exit 3',
                  old_report='{"run": "yesterday"}')
    assert done.returncode == 3 and done.stdout.strip() == '{"run": "now"}'
