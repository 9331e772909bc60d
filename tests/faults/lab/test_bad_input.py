"""Broken inventories against the real lab: `ikzops deploy` names the place, exits 2, and no
host is touched (no SSH login reaches any lab host; sshd's own journal is the witness)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ikzops.cli import cli
from ikzops.errors import ExitCode
from ikzops.state import state_root
from tests.faults.lab.breakage import in_container
from tests.lab.helpers import lab_inventory_copy

pytestmark = pytest.mark.fault("bad-input")

BROKEN = {
    "syntax error": ('ikz_partnership = "lab"', 'ikz_partnership = "lab'),
    "wrong type": ('"rpo": "1h",', '"rpo": [1],'),
    "unknown site": ('"destinations": ["district"],', '"destinations": ["distrikt"],'),
    "impossible schedule": ('"schedule": "hourly",', '"schedule": "*-*-* 25:00:00",'),
    "path traversal": ('"paths": ["/etc/postgresql"],', '"paths": ["/srv/../etc/shadow"],'),
    "absurd size": ('"size": "256M"', '"size": "9000P"'),
}


def ssh_logins(p) -> dict[str, int]:
    return {host: int(in_container(p, host, "journalctl -u ssh -o cat | grep -c Accepted || true").strip() or 0)
            for host in p.hosts}


@pytest.mark.parametrize("case", BROKEN)
def test_broken_inventory_is_refused_with_its_place_before_any_host_is_touched(p, deployed_lab, tmp_path, monkeypatch,
                                                                               case):
    monkeypatch.setenv("IKZOPS_STATE_DIR", str(state_root()))
    old, new = BROKEN[case]
    broken = lab_inventory_copy(tmp_path, replace={old: new})
    logins = ssh_logins(p)
    result = CliRunner().invoke(cli, ["deploy", "-i", str(broken)])
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "group_data/lab.py:" in result.output, result.output
    assert "Traceback" not in result.output
    assert ssh_logins(p) == logins
