"""Write small, valid two-site inventories for tests; each test breaks one thing.

``Inventory`` holds hosts and partnership data as plain dicts; ``write`` renders an
ordinary pyinfra inventory file plus ``group_data/<name>.py`` from them.
"""

from __future__ import annotations

import copy
import pprint
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _hosts() -> dict[str, dict[str, Any]]:
    return {
        "a-san": {"site": "a", "roles": ["storage", "repository"], "data": {
            "ssh_hostname": "10.9.0.11",
            "ikz_pools": {"san": {"backing": "file", "path": "/srv/san", "size": "1G"}},
            "ikz_repository": {"path": "/srv/repos", "size": "10G", "reserve": {"a": "5G", "b": "5G"}},
        }},
        "a-app": {"site": "a", "roles": ["client"], "data": {"ssh_hostname": "10.9.0.12"}},
        "b-san": {"site": "b", "roles": ["storage", "repository"], "data": {
            "ssh_hostname": "10.9.0.21",
            "ikz_pools": {"san": {"backing": "lvm", "vg": "vg0", "size": "1G"}},
        }},
        "b-app": {"site": "b", "roles": ["client"], "data": {"ssh_hostname": "10.9.0.22"}},
    }


def _data() -> dict[str, Any]:
    return {
        "ikz_partnership": "test",
        "ikz_sites": {"a": {"partner": "Partner A"}, "b": {"partner": "Partner B"}},
        "ikz_jobs": {
            "a-files": {
                "client": "a-app", "paths": ["/srv/data"], "schedule": "hourly",
                "rpo": "2h", "rto": "1h", "destinations": ["b"],
            },
            "b-files": {
                "client": "b-app", "paths": ["/srv/data"], "schedule": "*-*-* *:00/15:00",
                "rpo": "1h", "rto": "30m", "destinations": ["a"],
            },
        },
        "ikz_luns": {
            "a-disk": {
                "partner": "a", "host": "a-san", "pool": "san", "size": "256M",
                "initiators": ["iqn.2026-11.test.ikzops:a-app"],
            },
        },
    }


@dataclass
class Inventory:
    name: str = "inv"
    hosts: dict[str, dict[str, Any]] = field(default_factory=_hosts)
    data: dict[str, Any] = field(default_factory=_data)
    #: raw text replacing the generated inventory file
    inventory_text: str | None = None
    #: raw text replacing the generated group data file
    group_data_text: str | None = None

    def copy(self) -> Inventory:
        return copy.deepcopy(self)

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "group_data").mkdir(exist_ok=True)
        path = folder / f"{self.name}.py"
        path.write_text(self.inventory_text if self.inventory_text is not None else self._inventory())
        (folder / "group_data" / f"{self.name}.py").write_text(
            self.group_data_text if self.group_data_text is not None else self._group_data()
        )
        return path

    def _inventory(self) -> str:
        lines = ['"""A generated test inventory."""', ""]
        groups: dict[str, list[str]] = {}
        for name, host in self.hosts.items():
            groups.setdefault(host["site"], []).append(name)
            for role in host["roles"]:
                groups.setdefault(role, []).append(name)
        for group, names in groups.items():
            entries = []
            for name in names:
                host = self.hosts[name]
                if group == host["site"]:
                    entries.append(f"    ({name!r}, {pprint.pformat(host['data'], width=100)}),")
                else:
                    entries.append(f"    {name!r},")
            lines += [f"{group} = [", *entries, "]", ""]
        return "\n".join(lines)

    def _group_data(self) -> str:
        lines = ['"""Generated partnership data."""', ""]
        for key, value in self.data.items():
            lines.append(f"{key} = {pprint.pformat(value, width=100, sort_dicts=False)}")
            lines.append("")
        return "\n".join(lines)
