"""Deploy the shared SAN: per-partner iSCSI targets (tgt) with CHAP and initiator ACLs."""

from __future__ import annotations

from io import StringIO

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import apt, systemd

from ikzops import templates
from ikzops.deploys.context import partnership
from ikzops.deploys.hardening import hardened
from ikzops.operations import luns, tgt
from ikzops.operations.files import directory, put
from ikzops.san.targets import targets_for
from ikzops.secrets.store import SecretStore


@deploy("ikzops: shared SAN targets", data_defaults={"ikz_allow_destroy": False})
def san_targets() -> None:
    if "storage" not in host.groups:
        return
    p = partnership()
    me = p.hosts[host.name]
    targets = targets_for(p, host.name)
    store = SecretStore(p.name)
    chap = {t.partner: store.get_or_create("chap", t.partner) for t in targets}
    allow_destroy = bool(host.data.ikz_allow_destroy)

    apt.packages(name="Install tgt (userspace iSCSI target)", packages=["tgt"])

    for pool_name, pool in sorted(me.pools.items()):
        if pool.backing == "file":
            directory(name=f"pool {pool_name} directory", path=pool.path, mode="0700")
            keep = [lun.name for t in targets for lun in t.luns if lun.device.startswith(f"{pool.path}/")]
            luns.no_lost_luns(
                name=f"pool {pool_name}: no LUN dropped without --allow-destroy",
                pool_path=pool.path, keep=keep, allow_destroy=allow_destroy,
            )
    for target in targets:
        for lun in target.luns:
            if lun.backing == "file":
                luns.file_lun(name=f"LUN {lun.name} backing file", path=lun.device, size=lun.size)
            else:
                luns.lvm_lun(name=f"LUN {lun.name} logical volume", vg=lun.vg, lv=f"ikz-{lun.name}", size=lun.size)

    dropin = hardened("tgt", template="systemd/tgt-hardening.conf.j2",
                      pools=[pool.path for _, pool in sorted(me.pools.items()) if pool.backing == "file"],
                      lvm=any(pool.backing == "lvm" for pool in me.pools.values()))
    systemd.service(name="tgt running and enabled", service="tgt", running=True, enabled=True)
    systemd.service(name="tgt restart (hardening changed)", service="tgt", restarted=True, _if=dropin.did_change)
    tgt.no_stale_targets(
        name="no partner's target dropped without --allow-destroy",
        keep=[t.partner for t in targets], allow_destroy=allow_destroy,
    )
    for target in targets:
        content = templates.render("storage/tgt-target.conf.j2", host=host.name, target=target, chap_secret=chap[target.partner])
        config = put(
            name=f"target config of {target.partner}",
            src=StringIO(content), dest=tgt.config_path(target.partner),
            user="root", group="root", mode="0600",
        )
        tgt.target_apply(
            name=f"tgt applies the changed target of {target.partner}",
            iqn=target.iqn, chap_user=target.chap_user, _if=config.did_change,
        )
