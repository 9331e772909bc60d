"""Fault cases in the lab: a backed-up lab and the ledger of what was backed up."""

from __future__ import annotations

import pytest

from ikzops.errors import ExitCode
from ikzops.orchestrate import backup as backups
from ikzops.progress import Recorder
from tests.faults.ledger import Ledger
from tests.lab.helpers import LAB


@pytest.fixture(scope="session")
def backed_up(deployed_lab, p):
    runs = backups.backup(LAB, (), Recorder())
    assert backups.exit_code(runs) == ExitCode.OK, [(r.job, r.error) for r in runs]
    return runs


@pytest.fixture(scope="session")
def ledger(backed_up, p) -> Ledger:
    return Ledger(p)
