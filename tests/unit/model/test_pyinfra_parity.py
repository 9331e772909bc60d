"""ikzops reads inventories exactly as pyinfra's own CLI loader does.

pyinfra's loader monkey-patches the process with gevent when imported, so it runs in
a subprocess here and prints what it read as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ikzops.model.loader import read

ROOT = Path(__file__).resolve().parents[3]
PYINFRA_VIEW = """
import json, sys
from pyinfra.api.state import State
from pyinfra.context import ctx_state
from pyinfra_cli.inventory import make_inventory_from_files
with ctx_state.use(State()):
    inv = make_inventory_from_files(sys.argv[1], cwd=sys.argv[2])
out = {}
for host in inv:
    data = {}
    for layer in (inv.get_data(), inv.get_groups_data(host.groups), inv.get_host_data(host.name)):
        data.update(layer)
    out[host.name] = {"groups": sorted(set(host.groups) - {"all"}), "data": data}
print(json.dumps(out, default=str, sort_keys=True))
"""


def pyinfra_view(inventory: Path, cwd: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PYINFRA_VIEW, str(inventory), str(cwd)],
        capture_output=True, text=True, check=True, cwd=cwd,
    )
    return json.loads(result.stdout)


def ikzops_view(inventory: Path) -> dict:
    raw = read(inventory)
    return json.loads(json.dumps({
        name: {"groups": sorted({*host.groups, raw.file_group}), "data": host.data}
        for name, host in raw.hosts.items()
    }, default=str, sort_keys=True))


@pytest.mark.parametrize("name", ["lab.py", "saar_partners.py"])
def test_shipped_inventories_read_the_same_as_pyinfra(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    inventory = ROOT / "inventories" / name
    assert ikzops_view(inventory) == pyinfra_view(inventory, ROOT)


def test_generated_inventory_reads_the_same_as_pyinfra(inv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inventory = inv.write(tmp_path / "inventories")
    assert ikzops_view(inventory) == pyinfra_view(inventory, tmp_path)
