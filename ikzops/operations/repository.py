"""The volume that holds a repository host's backup repositories."""

from __future__ import annotations

import posixpath

from pyinfra import host
from pyinfra.api import OperationError, QuoteString, StringCommand, operation
from pyinfra.operations import files

from ikzops.facts.filesystem import DirectoriesTwoDeep, FilesystemSize


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


@operation()
def relocated(path: str, moves: dict[str, str], user: str, group: str):
    """Repositories written in an earlier layout under ``path`` moved to where they belong now.

    ``moves`` maps an old place to the new one, both relative to ``path`` (``client/job`` ->
    ``partner/client/job``). A rename within one filesystem: nothing is copied, a
    repository is either at its old place or at its new one. A repository at both places
    is refused: which one holds the backups is for a person to decide.
    """

    present = host.get_fact(DirectoriesTwoDeep, path=path) or frozenset()
    moving = {old: new for old, new in moves.items() if old in present}
    if not moving:
        host.noop(f"every repository under {path} is in its place")
        return
    for old, new in moving.items():
        source, target = posixpath.join(path, old), posixpath.join(path, new)
        yield StringCommand("install", "-d", "-o", user, "-g", group, "-m", "0750", QuoteString(posixpath.dirname(target)))
        yield StringCommand(
            "if [ -e", QuoteString(target), "]; then echo", QuoteString(f"{source} and {target} both exist: "
                                                                    "move one aside by hand"),
            ">&2; exit 1; fi; mv -T", QuoteString(source), QuoteString(target),
        )
        yield StringCommand("rmdir", "--ignore-fail-on-non-empty", QuoteString(posixpath.dirname(source)))
