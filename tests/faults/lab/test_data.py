"""Data faults at one site, done for real on its repository files: found by verify, and the
other site still restores every byte (the ledger is measured while the damage is there)."""

from __future__ import annotations

import contextlib

import pytest

from ikzops.errors import ExitCode
from ikzops.orchestrate import verify as verifier
from tests.faults.lab.breakage import repo_path, sh
from tests.lab.helpers import LAB

pytestmark = pytest.mark.fault("data")


@contextlib.contextmanager
def damaged(p, host: str, path: str, damage: str):
    """Apply ``damage`` (shell, with $f the file) to ``path`` on ``host``; put the file back afterwards."""

    sh(p, host, f"cp -p {path} /var/tmp/fault-original && f={path} && {damage}")
    try:
        yield
    finally:
        sh(p, host, f"mv /var/tmp/fault-original {path}")


def largest(p, host: str, folder: str) -> str:
    return sh(p, host, f"find {folder} -type f -printf '%s %p\\n' | sort -n | tail -1").split()[1]


def assert_found_at_district_only(job: str):
    report = verifier.verify(LAB, jobs=(job,), full=True)
    by_site = {r.site: r for r in report.repositories}
    assert report.exit_code == ExitCode.FINDING
    assert by_site["district"].status == "finding" and by_site["district"].check.ok is False
    assert "integrity" in " ".join(by_site["district"].findings)
    assert by_site["city"].status == "ok", by_site["city"].findings


def test_missing_pack_is_found_and_the_other_site_restores_everything(p, ledger, fault):
    before = ledger.take(("city-files",))
    pack = largest(p, "district-san", f"{repo_path(p, 'city-files', 'district')}/data")
    with damaged(p, "district-san", pack, 'rm "$f"'):
        assert_found_at_district_only("city-files")
        fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0
    assert verifier.verify(LAB, jobs=("city-files",), sites=("district",), full=True).exit_code == ExitCode.OK


def test_truncated_index_is_found_and_the_other_site_restores_everything(p, ledger, fault):
    before = ledger.take(("city-files",))
    index = largest(p, "district-san", f"{repo_path(p, 'city-files', 'district')}/index")
    with damaged(p, "district-san", index, 'truncate -s $(( $(stat -c %s "$f") / 2 )) "$f"'):
        assert_found_at_district_only("city-files")
        fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0
    assert verifier.verify(LAB, jobs=("city-files",), sites=("district",), full=True).exit_code == ExitCode.OK
