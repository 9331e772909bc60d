"""The README's restore recipes, run exactly as they stand, so the text cannot go stale."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from ikzops.orchestrate import backup as backups
from ikzops.progress import Recorder
from tests.lab.helpers import LAB, ROOT, sh

README = (ROOT / "README.md").read_text()


def block(marker: str) -> list[str]:
    """The command lines of the sh block after the README comment ``marker``."""

    found = re.search(re.escape(marker) + r".*?-->\n```sh\n(.*?)```", README, re.DOTALL)
    assert found, f"README has no tested block {marker!r}"
    return [line for line in found.group(1).splitlines() if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def backed_up(deployed_lab):
    assert backups.exit_code(backups.backup(LAB, (), Recorder())) == 0


def test_the_3am_recipes_run_as_written(backed_up, p):
    lines = block("<!-- tested: tests/lab/test_readme_restore.py runs these lines as they stand")
    assert len(lines) >= 5
    sh(p, "city-app", "rm -rf /srv/data/dir3 && runuser -u postgres -- dropdb --if-exists housing_restored")
    try:
        for line in lines:
            argv = shlex.split(line)
            assert argv[0] == "ikzops", line
            done = subprocess.run([sys.executable, "-m", "ikzops.cli", *argv[1:]], cwd=ROOT, capture_output=True,
                                  text=True, timeout=600)
            assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-2000:])
        assert int(sh(p, "city-app", "ls /srv/data/dir3 | wc -l")) > 0
        assert sh(p, "city-app", "runuser -u postgres -- psql -qtA -d housing_restored -c 'SELECT count(*) FROM claims'").strip() == "500"
    finally:
        sh(p, "district-app", "rm -rf /srv/restored /srv/restored-from-district")
        sh(p, "city-app", "runuser -u postgres -- dropdb --if-exists housing_restored")


def test_the_restore_without_ikzops_runs_as_written_on_a_repository_host(backed_up, p):
    lines = block("<!-- tested: tests/lab/test_readme_restore.py runs these lines on district-san")
    script = "set -e\n" + "\n".join(lines) + "\n"
    try:
        sh(p, "district-san", f"bash -c {shlex.quote(script)}")
        assert int(sh(p, "district-san", "find /var/tmp/restore-city-files/srv/data -type f | wc -l")) > 50
    finally:
        sh(p, "district-san", "rm -rf /var/tmp/restore-city-files /var/tmp/restic-cache")
