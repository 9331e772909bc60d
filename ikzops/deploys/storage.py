"""Deploy the shared SAN: per-partner iSCSI targets (tgt) with CHAP and initiator ACLs."""

from __future__ import annotations

from io import StringIO

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import apt, files, systemd

from ikzops import templates
from ikzops.deploys.context import partnership
from ikzops.model.schema import RepositorySpec
from ikzops.storage.capacity import capacity_plan
from ikzops.operations import san
from ikzops.secrets import SecretStore
from ikzops.storage.targets import DEFAULT_IQN_BASE, targets_for

CAPACITY_FILE = "/etc/ikzops/capacity.json"
REST_SERVER_USER = "restic-rest-server"


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
            files.directory(name="Pool directory", path=pool.path, mode="0700")
            keep = [lun.name for t in targets for lun in t.luns if lun.device.startswith(f"{pool.path}/")]
            san.no_lost_luns(
                name="No LUN dropped without --allow-destroy",
                pool_path=pool.path, keep=keep, allow_destroy=bool(host.data.ikz_allow_destroy),
            )
    for target in targets:
        for lun in target.luns:
            if lun.backing == "file":
                san.file_lun(name="LUN backing file", path=lun.device, size=lun.size)
            else:
                san.lvm_lun(
                    name="LUN logical volume",
                    vg=lun.vg, lv=f"ikz-{lun.name}", size=lun.size,
                )

    systemd.service(name="tgt running and enabled", service="tgt", running=True, enabled=True)
    san.tgt_no_stale_targets(
        name="No partner's target dropped without --allow-destroy",
        keep=[t.partner for t in targets], allow_destroy=bool(host.data.ikz_allow_destroy),
    )
    for target in targets:
        content = templates.render("storage/tgt-target.conf.j2", host=host.name, target=target, chap_secret=chap[target.partner])
        config = files.put(
            name="tgt target config",
            src=StringIO(content), dest=f"{san.TGT_CONF_D}/ikzops-{target.partner}.conf",
            user="root", group="root", mode="0600",
        )
        san.tgt_target_apply(
            name="tgt applies the changed target",
            iqn=target.iqn, chap_user=target.chap_user, _if=config.did_change,
        )


@deploy("ikzops: repository volumes")
def repository_volumes() -> None:
    """The directory that holds the backup repositories, and the partners' reservations.

    Debian's one rest-server cannot enforce a quota per partner; the reservations are
    checked against the filesystem here, recorded in /etc/ikzops/capacity.json for
    ``verify`` and the monitoring (usage per partner against its reservation), and the
    rest-server gets the volume's size as its hard ``--max-size``.
    """
    if "repository" not in host.groups:
        return
    p = partnership()
    volume = p.hosts[host.name].repository or RepositorySpec()
    apt.packages(name="Install restic-rest-server", packages=["restic-rest-server"])
    files.directory(
        name="Repository volume", path=volume.path,
        user=REST_SERVER_USER, group=REST_SERVER_USER, mode="0750",
    )
    reserved = sum(volume.reserve.values())
    if reserved:
        san.reservations_fit(name="Partner reservations fit the volume", path=volume.path, reserved=reserved)
    files.directory(name="ikzops config directory", path="/etc/ikzops", mode="0755")
    files.put(
        name="Capacity plan (reservations per partner)",
        src=StringIO(templates.render("repository/capacity.json.j2", capacity=capacity_plan(p, host.name))),
        dest=CAPACITY_FILE, mode="0644",
    )
