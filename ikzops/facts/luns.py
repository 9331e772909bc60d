"""Facts about the stores behind the shared SAN's LUNs."""

from __future__ import annotations

from pyinfra.api import FactBase


class LogicalVolumes(FactBase[dict[str, int]]):
    """``{"vg/lv": size_in_bytes}`` of the host's LVM logical volumes."""

    def requires_command(self, *args, **kwargs) -> str:
        return "lvs"

    @staticmethod
    def default() -> dict[str, int]:
        return {}

    def command(self) -> str:
        return "lvs --noheadings --units b --nosuffix --separator '|' -o vg_name,lv_name,lv_size"

    def process(self, output: list[str]) -> dict[str, int]:
        volumes = {}
        for line in output:
            vg, lv, size = (part.strip() for part in line.split("|"))
            volumes[f"{vg}/{lv}"] = int(size)
        return volumes
