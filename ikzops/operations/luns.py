"""Operations for the stores behind the shared SAN's LUNs: they never lose data silently."""

from __future__ import annotations

from pyinfra import host
from pyinfra.api import OperationError, QuoteString, StringCommand, operation
from pyinfra.facts.files import File, FindFiles

from ikzops.facts.luns import LogicalVolumes

SHRINK_REFUSED = "shrinking a LUN destroys data, ikzops refuses"


@operation()
def file_lun(path: str, size: int):
    """A sparse backing file of ``size`` bytes; grows it, never shrinks it."""

    info = host.get_fact(File, path=path)
    current = info["size"] if info else None
    if current is not None and current > size:
        raise OperationError(f"{path} holds {current} bytes, more than the model's {size}: {SHRINK_REFUSED}")
    if current == size:
        host.noop(f"LUN {path} has {size} bytes")
        return
    yield StringCommand("truncate", "-s", str(size), QuoteString(path))


@operation()
def lvm_lun(vg: str, lv: str, size: int):
    """A logical volume of ``size`` bytes in ``vg``; grows it, never shrinks it."""

    current = host.get_fact(LogicalVolumes).get(f"{vg}/{lv}")
    if current is None:
        yield StringCommand("lvcreate", "--yes", "--size", f"{size}b", "--name", QuoteString(lv), QuoteString(vg))
    elif current < size:
        yield StringCommand("lvextend", "--size", f"{size}b", QuoteString(f"{vg}/{lv}"))
    elif current > size:
        raise OperationError(f"{vg}/{lv} has {current} bytes, more than the model's {size}: {SHRINK_REFUSED}")
    else:
        host.noop(f"LUN {vg}/{lv} has {size} bytes")


def backing_files(pool_path: str) -> list[str]:
    """The LUN names whose backing files (``<lun>.img``) are in a file pool."""

    found = host.get_fact(FindFiles, path=pool_path, maxdepth=1, fname="*.img") or []
    return sorted(path.rsplit("/", 1)[-1].removesuffix(".img") for path in found)


@operation()
def no_lost_luns(pool_path: str, keep: list[str], allow_destroy: bool = False):
    """Refuse to drop LUNs that the model no longer has, unless destroying was allowed.

    With ``allow_destroy`` the backing files of removed LUNs are deleted.
    """

    gone = [name for name in backing_files(pool_path) if name not in keep]
    if not gone:
        host.noop(f"every LUN in {pool_path} is in the model")
        return
    if not allow_destroy:
        raise OperationError(
            f"LUN(s) {', '.join(gone)} in {pool_path} are no longer in the model; removing them "
            "destroys their data. ikzops refuses: put them back in the inventory (a LUN restored onto "
            "this host by `ikzops restore --lun`: set its `host` to this host), or run "
            "`ikzops deploy --allow-destroy` to delete them"
        )
    for name in gone:
        yield StringCommand("rm", "-f", "--", QuoteString(f"{pool_path}/{name}.img"))
