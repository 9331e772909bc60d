"""The volume that holds a repository host's backup repositories."""

from __future__ import annotations

from pyinfra import host
from pyinfra.api import OperationError, operation
from pyinfra.operations import files

from ikzops.facts.filesystem import FilesystemSize


@operation()
def volume(path: str, reserved: int, user: str, group: str, mode: str = "0750"):
    """The repository directory, on a filesystem that holds what is reserved for the partners.

    A filesystem smaller than the partners' reservations is refused before anything is
    written: the reservation would be a promise the site cannot keep.
    """

    if reserved:
        fs = host.get_fact(FilesystemSize, path=path)
        if fs is None or fs.size < reserved:
            raise OperationError(
                f"the filesystem holding {path} has {fs.size if fs else 'an unknown number of'} bytes, less than the "
                f"{reserved} bytes reserved for the partners: give it more space or reserve less"
            )
    yield from files.directory._inner(path=path, user=user, group=group, mode=mode)
