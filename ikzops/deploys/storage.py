"""Deploy the shared SAN: per-partner iSCSI targets (tgt) with CHAP and initiator ACLs."""

from __future__ import annotations

from io import StringIO

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import apt, files, systemd

from ikzops import templates
from ikzops.deploys.context import partnership
from ikzops.operations import san
from ikzops.secrets import SecretStore
from ikzops.storage.targets import DEFAULT_IQN_BASE, targets_for

TGT_CONFIG = "/etc/tgt/conf.d/ikzops.conf"


@deploy("ikzops: shared SAN targets", data_defaults={"ikz_allow_destroy": False, "ikz_iqn_base": DEFAULT_IQN_BASE})
def storage_targets() -> None:
    if "storage" not in host.groups:
        return
    p = partnership()
    me = p.hosts[host.name]
    targets = targets_for(p, host.name, host.data.ikz_iqn_base)
    store = SecretStore(p.name)
    chap = {t.partner: store.get_or_create("chap", t.partner) for t in targets}

    apt.packages(name="Install tgt (userspace iSCSI target)", packages=["tgt"])

    for pool_name, pool in sorted(me.pools.items()):
        if pool.backing == "file":
            files.directory(name=f"Pool {pool_name}: directory {pool.path}", path=pool.path, mode="0700")
            keep = [lun.name for t in targets for lun in t.luns if lun.device.startswith(f"{pool.path}/")]
            san.no_lost_luns(
                name=f"Pool {pool_name}: no LUN dropped without --allow-destroy",
                pool_path=pool.path, keep=keep, allow_destroy=bool(host.data.ikz_allow_destroy),
            )
    for target in targets:
        for lun in target.luns:
            if lun.backing == "file":
                san.file_lun(name=f"LUN {lun.name} ({target.partner}): backing file", path=lun.device, size=lun.size)
            else:
                san.lvm_lun(
                    name=f"LUN {lun.name} ({target.partner}): logical volume",
                    vg=lun.vg, lv=f"ikz-{lun.name}", size=lun.size,
                )

    content = templates.render("storage/tgt-ikzops.conf.j2", host=host.name, targets=targets, chap_secrets=chap)
    config = files.put(
        name=f"tgt targets ({len(targets)} partners)",
        src=StringIO(content), dest=TGT_CONFIG, user="root", group="root", mode="0600",
    )
    systemd.service(name="tgt running and enabled", service="tgt", running=True, enabled=True)
    systemd.service(name="tgt reload (targets changed)", service="tgt", reloaded=True, _if=config.did_change)
