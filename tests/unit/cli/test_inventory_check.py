from pathlib import Path

import pytest
from click.testing import CliRunner

from ikzops.cli import cli

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_check_of_lab_inventory_shows_matrix_and_exits_0():
    result = run("inventory", "check", "-i", str(ROOT / "inventories/lab.py"))
    assert result.exit_code == 0, result.output
    assert "Backup matrix" in result.output
    assert "city-files" in result.output and "district-files" in result.output


def test_check_of_example_partners_inventory_exits_0():
    assert run("inventory", "check", "-i", str(ROOT / "inventories/saar_partners.py")).exit_code == 0


@pytest.mark.fault("bad-input")
def test_check_of_broken_inventory_lists_each_problem_and_exits_2(inv, tmp_path):
    inv.data["ikz_jobs"]["a-files"]["destinations"] = ["a"]
    inv.data["ikz_luns"]["a-disk"]["size"] = "4G"
    result = run("inventory", "check", "-i", str(inv.write(tmp_path)))
    assert result.exit_code == 2
    assert "2 problems; no host was touched" in result.output
    assert "ikz_jobs › a-files › destinations" in result.output
    assert "group_data/inv.py:" in result.output
    assert "Traceback" not in result.output


@pytest.mark.fault("bad-input")
def test_check_of_missing_file_exits_2_with_hint(tmp_path):
    result = run("inventory", "check", "-i", str(tmp_path / "none.py"))
    assert result.exit_code == 2
    assert "does not exist" in result.output and "hint:" in result.output


def test_check_without_inventory_is_a_usage_error():
    assert run("inventory", "check").exit_code == 2


def test_version_is_printed():
    result = run("--version")
    assert result.exit_code == 0 and "ikzops" in result.output
