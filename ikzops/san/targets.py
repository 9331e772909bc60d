"""The shared SAN's iSCSI targets, derived from the model (pure: no host, no secret store).

IQN scheme: one target per partner on each storage host that serves LUNs of that
partner::

    <ikz_iqn_base>:<partnership>.<partner>.<storage host>   (ikz_iqn_base: the partnership's)
    e.g. iqn.2026-11.org.ikzops:lab.district.city-san

LUN numbers follow the LUN names in sorted order (1, 2, ...; LUN 0 is tgt's
controller), so they stay stable when unrelated LUNs are added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ikzops.model.partnership import Host, Partnership


@dataclass(frozen=True)
class Lun:
    number: int
    name: str
    size: int
    backing: str  # "file" | "lvm"
    #: file path of the backing store, or the LV's device path
    device: str
    vg: str | None = None


@dataclass(frozen=True)
class Target:
    iqn: str
    partner: str
    chap_user: str
    luns: tuple[Lun, ...]
    initiators: tuple[str, ...]


def _short(host: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", host.split(".")[0].lower())


def target_iqn(p: Partnership, partner: str, host: str) -> str:
    return f"{p.iqn_base}:{p.name}.{partner}.{_short(host)}"


def chap_user(p: Partnership, partner: str) -> str:
    return f"{p.name}-{partner}"


def lun_device(host: Host, lun_name: str, pool: str) -> tuple[str, str, str | None]:
    spec = host.pools[pool]
    if spec.backing == "file":
        return "file", f"{spec.path}/{lun_name}.img", None
    return "lvm", f"/dev/{spec.vg}/ikz-{lun_name}", spec.vg


def targets_for(p: Partnership, host_name: str) -> list[Target]:
    host = p.hosts[host_name]
    by_partner: dict[str, list[tuple[str, object]]] = {}
    for name, lun in sorted(p.luns.items()):
        if lun.host == host_name:
            by_partner.setdefault(lun.partner, []).append((name, lun))
    targets = []
    for partner, entries in sorted(by_partner.items()):
        luns = []
        initiators: dict[str, None] = {}
        for number, (name, lun) in enumerate(entries, start=1):
            backing, device, vg = lun_device(host, name, lun.pool)
            luns.append(Lun(number, name, lun.size, backing, device, vg))
            initiators.update(dict.fromkeys(lun.initiators))
        targets.append(Target(
            iqn=target_iqn(p, partner, host_name),
            partner=partner,
            chap_user=chap_user(p, partner),
            luns=tuple(luns),
            initiators=tuple(initiators),
        ))
    return targets
