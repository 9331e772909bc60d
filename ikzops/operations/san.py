"""Operations for the shared SAN: LUN backing stores that never lose data silently."""

from __future__ import annotations

import shlex

from pyinfra import host
from pyinfra.api import OperationError, operation
from pyinfra.facts.files import File

from ikzops.facts.san import LogicalVolumes, LunBackingFiles


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
