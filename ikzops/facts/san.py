"""Facts about the shared SAN on a storage host."""

from __future__ import annotations

import shlex

from pyinfra.api import FactBase


class LunBackingFiles(FactBase):
    """Names of the LUN backing files (``<lun>.img``) in a file pool, without ``.img``."""

    default = list

    def command(self, path: str) -> str:
        return f"find {shlex.quote(path)} -maxdepth 1 -type f -name '*.img' -printf '%f\\n' 2>/dev/null || true"

    def process(self, output: list[str]) -> list[str]:
        return sorted(line.removesuffix(".img") for line in output if line.endswith(".img"))


class LogicalVolumes(FactBase):
    """``{"vg/lv": size_in_bytes}`` of the host's LVM logical volumes."""

    default = dict

    def requires_command(self, *args, **kwargs) -> str:
        return "lvs"

    def command(self) -> str:
        return "lvs --noheadings --units b --nosuffix --separator '|' -o vg_name,lv_name,lv_size"

    def process(self, output: list[str]) -> dict[str, int]:
        volumes = {}
        for line in output:
            vg, lv, size = (part.strip() for part in line.split("|"))
            volumes[f"{vg}/{lv}"] = int(size)
        return volumes


class FilesystemSize(FactBase):
    """``{"size": bytes, "available": bytes}`` of the filesystem holding ``path`` (or its nearest existing parent)."""

    def command(self, path: str) -> str:
        quoted = shlex.quote(path)
        return (
            f"p={quoted}; while [ ! -e \"$p\" ]; do p=$(dirname \"$p\"); done; "
            "df -B1 --output=size,avail \"$p\" | tail -n 1"
        )

    def process(self, output: list[str]) -> dict[str, int]:
        size, available = output[-1].split()
        return {"size": int(size), "available": int(available)}


class TargetConfigs(FactBase):
    """Partners with an ikzops target config (``ikzops-<partner>.conf``) in a tgt conf dir."""

    default = list

    def command(self, path: str) -> str:
        return f"find {shlex.quote(path)} -maxdepth 1 -type f -name 'ikzops-*.conf' -printf '%f\\n' 2>/dev/null || true"

    def process(self, output: list[str]) -> list[str]:
        return sorted(line.removeprefix("ikzops-").removesuffix(".conf") for line in output if line)
