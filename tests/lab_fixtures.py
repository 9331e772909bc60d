"""One lab per test session: brought up (or reused) once, shared by every lab test
(tests/lab/ and tests/faults/; registered as a plugin by tests/conftest.py).

The lab is left running afterwards so the next run reuses it in seconds; `ikzops lab
down` removes it.
"""

from __future__ import annotations

import os

import pytest
import testinfra

from ikzops import layout
from ikzops.errors import ExitCode
from ikzops.lab import manager
from ikzops.lab.seed import seed
from ikzops.lab.ssh import open_client
from ikzops.lab.state import LabState
from ikzops.model.loader import load
from ikzops.orchestrate import deploy as deploys
from ikzops.progress import Recorder
from tests.lab.helpers import LAB, sh
from tests.lab.many import SHARED_DC, ikzops

LAB_FOLDERS = ("tests/lab/", "tests/faults/lab/")


def pytest_collection_modifyitems(items):
    for item in items:
        if any(folder in str(item.fspath) for folder in LAB_FOLDERS):
            item.add_marker(pytest.mark.lab)
    # the benchmarks' smoke run adds jobs of its own to the lab: after every other test
    items.sort(key=lambda item: item.get_closest_marker("bench_smoke") is not None)


@pytest.fixture(scope="session")
def lab() -> manager.UpResult:
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    return manager.up(Recorder())


@pytest.fixture(scope="session")
def lab_state(lab) -> LabState:
    return LabState.default()


@pytest.fixture(scope="module")
def hosts(lab, lab_state) -> dict[str, testinfra.host.Host]:
    """testinfra hosts over paramiko, on connections that pin the lab's host keys.

    One set per test module: some tests stop and start containers, which ends the
    connections of that moment.
    """

    found = {}
    for lab_host in lab.topology.hosts:
        host = testinfra.get_host(f"paramiko://root@{lab_host.address}")
        host.backend.__dict__["client"] = open_client(lab_state, lab_host)
        found[lab_host.name] = host
    yield found
    for host in found.values():
        host.backend.client.close()


@pytest.fixture(scope="session")
def p(lab):
    """The lab's partnership, validated."""
    return load(LAB)


@pytest.fixture(scope="session")
def many():
    """The lab of many (inventories/shared_dc.py), up beside the default lab, deployed, and
    every job backed up once: its partnership (once per session, for tests/lab/test_shared_dc.py
    and the S3 cases of tests/faults/lab/test_s3.py)."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    manager.up(Recorder(), SHARED_DC)
    report = deploys.deploy(SHARED_DC)
    assert not report.errors, report.errors
    backed_up = ikzops("backup")
    assert backed_up.exit_code == ExitCode.OK, backed_up.output
    return load(SHARED_DC)


@pytest.fixture(scope="session")
def deployed_lab(lab):
    """Everything deployed on the lab and its test data seeded (once per session)."""
    report = deploys.deploy(LAB)
    assert not report.errors, report.errors
    seed(Recorder(), LAB)
    return report


@pytest.fixture
def timer_stopped(p):
    """city-files' own timer (every 15 minutes) held back: a scheduled run during the test
    would become the newest run (or shift what keep_last keeps) and could read files the
    test has already removed again."""

    timer = f"{layout.unit_name('city-files')}.timer"
    sh(p, "city-app", f"systemctl stop {timer}")
    yield
    sh(p, "city-app", f"systemctl start {timer}")
