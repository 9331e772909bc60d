"""Operations for the shared SAN: LUN backing stores that never lose data silently."""

from __future__ import annotations

import shlex

from pyinfra import host
from pyinfra.api import OperationError, operation
from pyinfra.facts.files import File

from ikzops.facts.san import FilesystemSize, LogicalVolumes, LunBackingFiles, TargetConfigs


@operation()
def file_lun(path: str, size: int):
    """A sparse backing file of ``size`` bytes; grows it, never shrinks it."""

    info = host.get_fact(File, path=path)
    if info is None:
        yield f"truncate -s {size} {shlex.quote(path)}"
    elif info["size"] < size:
        yield f"truncate -s {size} {shlex.quote(path)}"
    elif info["size"] > size:
        raise OperationError(
            f"{path} holds {info['size']} bytes, more than the model's {size}: "
            "shrinking a LUN destroys data, ikzops refuses"
        )
    else:
        host.noop(f"LUN {path} has {size} bytes")


@operation()
def lvm_lun(vg: str, lv: str, size: int):
    """A logical volume of ``size`` bytes in ``vg``; grows it, never shrinks it."""

    current = host.get_fact(LogicalVolumes).get(f"{vg}/{lv}")
    if current is None:
        yield f"lvcreate --yes --size {size}b --name {shlex.quote(lv)} {shlex.quote(vg)}"
    elif current < size:
        yield f"lvextend --size {size}b {shlex.quote(vg)}/{shlex.quote(lv)}"
    elif current > size:
        raise OperationError(
            f"{vg}/{lv} has {current} bytes, more than the model's {size}: "
            "shrinking a LUN destroys data, ikzops refuses"
        )
    else:
        host.noop(f"LUN {vg}/{lv} has {size} bytes")


@operation()
def no_lost_luns(pool_path: str, keep: list[str], allow_destroy: bool = False):
    """Refuse to drop LUNs that the model no longer has, unless destroying was allowed.

    With ``allow_destroy`` the backing files of removed LUNs are deleted.
    """

    gone = [name for name in host.get_fact(LunBackingFiles, path=pool_path) if name not in keep]
    if not gone:
        host.noop(f"every LUN in {pool_path} is in the model")
        return
    if not allow_destroy:
        raise OperationError(
            f"LUN(s) {', '.join(gone)} in {pool_path} are no longer in the model; removing them "
            "destroys their data. ikzops refuses: put them back in the inventory, or run "
            "`ikzops deploy --allow-destroy` to delete them"
        )
    for name in gone:
        yield f"rm -f -- {shlex.quote(f'{pool_path}/{name}.img')}"


@operation()
def reservations_fit(path: str, reserved: int, declared_size: int | None = None):
    """Refuse when the filesystem under ``path`` is smaller than what is reserved on it."""

    fs = host.get_fact(FilesystemSize, path=path)
    if fs["size"] < reserved:
        raise OperationError(
            f"the filesystem holding {path} has {fs['size']} bytes, less than the "
            f"{reserved} bytes reserved for the partners: give it more space or reserve less"
        )
    host.noop(f"{path}: {fs['size']} bytes hold the {reserved} bytes reserved")
    yield from ()


TGT_CONF_D = "/etc/tgt/conf.d"


@operation()
def tgt_target_apply(iqn: str, chap_user: str):
    """Apply one target's changed config: tgt-admin cannot change a live account's
    password, so the target and its account are removed and added anew (sessions of
    this target reconnect; other targets are untouched)."""

    yield f"tgt-admin --delete {shlex.quote(iqn)} -f || true"
    yield f"tgtadm --lld iscsi --op delete --mode account --user {shlex.quote(chap_user)} 2>/dev/null || true"
    yield f"tgt-admin --update {shlex.quote(iqn)} -c /etc/tgt/targets.conf"


@operation()
def tgt_no_stale_targets(keep: list[str], allow_destroy: bool = False):
    """Target configs of partners that left this host go only with --allow-destroy."""

    present = host.get_fact(TargetConfigs, path=TGT_CONF_D)
    stale = sorted(set(present) - set(keep))
    if not stale:
        host.noop("every ikzops target config is in the model")
        return
    if not allow_destroy:
        raise OperationError(
            f"target(s) of partner(s) {', '.join(stale)} are no longer in the model; removing them "
            "cuts their initiators off. ikzops refuses: put them back, or run `ikzops deploy --allow-destroy`"
        )
    for partner in stale:
        config = f"{TGT_CONF_D}/ikzops-{partner}.conf"
        yield f"iqn=$(sed -n 's/^<target \\(.*\\)>$/\\1/p' {config}); [ -n \"$iqn\" ] && tgt-admin --delete \"$iqn\" -f; rm -f {config}"
