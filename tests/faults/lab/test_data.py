"""Data faults at one site, done for real on its repository files: found by verify, and the
other site still restores every byte (the ledger is measured while the damage is there)."""

from __future__ import annotations

import pytest

from ikzops.errors import ExitCode
from ikzops.orchestrate import backup as backups
from ikzops.orchestrate import verify as verifier
from ikzops.progress import Recorder
from tests.faults.lab.breakage import altered, sh
from tests.lab.helpers import LAB, largest_indexed_pack, repo_path, timer_held

pytestmark = pytest.mark.fault("data")


def largest_index(p) -> str:
    folder = f"{repo_path(p, 'city-files', 'district')}/index"
    return sh(p, "district-san", f"find {folder} -type f -printf '%s %p\\n' | sort -n | tail -1").split()[1]


def largest_pack(p) -> str:
    return largest_indexed_pack(p, "city-files", "district")[1]


def assert_found_at_district_only(job: str):
    report = verifier.verify(LAB, jobs=(job,), full=True)
    by_site = {r.site: r for r in report.repositories}
    assert report.exit_code == ExitCode.FINDING
    assert by_site["district"].status == "finding" and by_site["district"].check.ok is False
    assert "integrity" in " ".join(by_site["district"].findings)
    assert by_site["city"].status == "ok", by_site["city"].findings


@pytest.mark.parametrize("pick, damage", [
    (largest_pack, 'rm "$f"'),
    (largest_index, 'truncate -s $(( $(stat -c %s "$f") / 2 )) "$f"'),
], ids=["missing pack", "truncated index"])
def test_damaged_repository_file_is_found_and_the_other_site_restores_everything(p, ledger, fault, pick, damage):
    with timer_held(p, "city-files"):
        # both sites in step first: a run an earlier fault case left at one site only would be
        # counted as lost with that site damaged (the next backup's catch-up copies it over)
        assert backups.backup(LAB, ("city-files",), Recorder())[0].status == 0
        before = ledger.take(("city-files",))
        # runs the city's retention has forgotten by policy while the district (whose retention
        # runs on its own schedule) still holds them: not the fault's to lose
        retired = frozenset(set(before["city-files"]["district"]) - set(before["city-files"]["city"]))
        with altered(p, "district-san", pick(p), script=damage):
            assert_found_at_district_only("city-files")
            fault.lost_bytes = ledger.lost_since(before, retired=retired)
    assert fault.lost_bytes == 0
    assert verifier.verify(LAB, jobs=("city-files",), sites=("district",), full=True).exit_code == ExitCode.OK
