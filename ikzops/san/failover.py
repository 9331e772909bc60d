"""Where a LUN restored onto another storage host lives, and the target that serves it there
(pure: no host, no secret store).

The restored LUN keeps everything its initiators know: the **same target IQN** (the one of
its original host), the same LUN number, the same CHAP account and the same initiator
ACL; only the portal address changes. Its backing file goes into the pool of the same
name on the new host (else that host's first file pool) as ``<lun>.img``, exactly where a
deploy would put it once the inventory names the new host.

The target's config is ``/etc/tgt/conf.d/ikzops-failover-<partner>.<original host>.conf``:
the deploy's guard against dropped targets (``tgt.no_stale_targets``) keeps it, and the
pool's guard keeps the backing file, until an admin decides (``--allow-destroy``).
"""

from __future__ import annotations

import re
from dataclasses import replace

from ikzops.errors import ConfigError
from ikzops.model.partnership import Host, Partnership
from ikzops.model.schema import PoolSpec
from ikzops.san.targets import Lun, Target, chap_user, target_iqn, targets_for


def file_pools(host: Host) -> dict[str, PoolSpec]:
    """The pools of ``host`` a LUN can be restored into (file pools), by name."""

    return {name: spec for name, spec in sorted(host.pools.items()) if spec.backing == "file"}


def pool_for(p: Partnership, lun: str, host: str) -> str:
    """The file pool of ``host`` that takes ``lun``: the one named like its pool, else the first."""

    pools = file_pools(p.hosts[host])
    if not pools:
        raise ConfigError(f"{host} has no file pool (ikz_pools with backing 'file') to restore LUN {lun} into")
    wanted = p.luns[lun].pool
    return wanted if wanted in pools else next(iter(pools))


def restored_device(p: Partnership, lun: str, host: str) -> str:
    return f"{p.hosts[host].pools[pool_for(p, lun, host)].path}/{lun}.img"


def config_path(p: Partnership, lun: str) -> str:
    spec = p.luns[lun]
    name = re.sub(r"[^a-z0-9.-]", "-", f"{spec.partner}.{spec.host}".lower())
    return f"/etc/tgt/conf.d/ikzops-failover-{name}.conf"


def original_target(p: Partnership, lun: str) -> Target:
    spec = p.luns[lun]
    return next(t for t in targets_for(p, spec.host) if t.partner == spec.partner)


def failover_target(p: Partnership, host: str, present: set[str]) -> Target:
    """The original target of the LUNs in ``present`` (restored on ``host``), served from there."""

    some = next(iter(present))
    original = original_target(p, some)
    luns = tuple(replace(lun, backing="file", device=restored_device(p, lun.name, host), vg=None)
                 for lun in original.luns if lun.name in present)
    return Target(iqn=target_iqn(p, original.partner, p.luns[some].host), partner=original.partner,
                  chap_user=chap_user(p, original.partner), luns=luns,
                  initiators=tuple(dict.fromkeys(i for name in sorted(present) for i in p.luns[name].initiators)))


def siblings(p: Partnership, lun: str) -> list[Lun]:
    """Every LUN of ``lun``'s original target (they share one failover target)."""

    return list(original_target(p, lun).luns)
