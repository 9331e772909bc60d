"""The secret store survives the control host: sealed, deposited at every site, recovered."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from ikzops.cli import cli
from ikzops.errors import ExitCode
from ikzops.orchestrate import deploy as deploys
from ikzops.secrets import sealed
from ikzops.secrets.store import SecretStore
from tests.lab.helpers import LAB, sh


def ikzops(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, [*args[:2], "-i", LAB, *args[2:]], input=stdin)


@pytest.fixture(scope="module")
def deposited(deployed_lab, p):
    """A recovery key (its sheet as the test's paper), and a deploy that deposits the store."""

    made = ikzops("secrets", "recovery-key", "--force")
    assert made.exit_code == 0, made.output
    sheet = next(line for line in made.stdout.splitlines() if line.startswith(sealed.SHEET_PREFIX))
    report = deploys.deploy(LAB, only=("backup",))
    assert not report.errors
    assert any("sealed secret store" in name for name in report.changes_by_host().get("district-san", [])), report
    return sheet


def test_a_second_deploy_leaves_the_deposits_unchanged(deposited):
    report = deploys.deploy(LAB, only=("backup",))
    assert not report.errors and report.changes_by_host() == {}


def test_every_repository_host_holds_the_deposit_and_no_secret_in_clear(deposited, p):
    password = SecretStore(p.name).path("repository", "city-files.password").read_text().strip()
    for host in ("city-san", "district-san"):
        assert sh(p, host, f"stat -c %a {sealed.deposit_path(p.name)}").strip() == "600"
        assert sh(p, host, f"grep -c -F '{password}' {sealed.deposit_path(p.name)} || true").strip() == "0"


@pytest.mark.fault("site")
def test_a_burnt_control_host_gets_its_store_back_from_the_district_with_the_sheet(deposited, p, tmp_path):
    store = SecretStore(p.name).root
    kept = tmp_path / "original"
    shutil.copytree(store, kept)
    shutil.rmtree(store)  # burnt with the city
    try:
        done = ikzops("secrets", "recover", "--from", "district", "--key-file", "-", stdin=deposited + "\n")
        assert done.exit_code == 0, done.output
        for original in kept.rglob("*"):
            if original.is_file():
                assert (store / original.relative_to(kept)).read_bytes() == original.read_bytes(), original
    finally:
        shutil.rmtree(store, ignore_errors=True)
        shutil.copytree(kept, store)


def test_a_wrong_sheet_opens_nothing_and_changes_nothing(deposited, p):
    other, _ = sealed.new_key()
    before = sorted(str(f) for f in SecretStore(p.name).root.rglob("*"))
    done = ikzops("secrets", "recover", "--from", "district", "--key-file", "-", "--force", stdin=other + "\n")
    assert done.exit_code == ExitCode.FINDING, done.output
    assert "does not open" in done.output
    assert sorted(str(f) for f in SecretStore(p.name).root.rglob("*")) == before


def test_recover_refuses_to_replace_a_store_without_force(deposited):
    done = ikzops("secrets", "recover", "--from", "district", "--key-file", "-", stdin=deposited + "\n")
    assert done.exit_code == ExitCode.CONFIG and "not empty" in done.output
