"""The volume that holds a repository host's backup repositories."""

from __future__ import annotations

import posixpath

from pyinfra import host
from pyinfra.api import OperationError, QuoteString, StringCommand, operation
from pyinfra.operations import files

from ikzops.facts.filesystem import FilesystemSize, RepositoriesUnder


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


def moves(present: frozenset[str], places: dict[str, tuple[str, ...]]) -> tuple[dict[str, str], list[str]]:
    """``({old: new}, problems)``: each repository that is not at its place (a key of
    ``places``, relative to the volume) but at exactly one of its earlier places (the
    values), to be moved there. A repository at its place stays; one at several earlier
    places is a problem for a person (which one holds the backups?)."""

    found: dict[str, str] = {}
    problems = []
    for new, earlier in places.items():
        if new in present:
            continue
        held = [old for old in earlier if old in present]
        if len(held) > 1:
            problems.append(f"{' and '.join(held)} are all the repository that belongs at {new}: "
                            "move all but one aside by hand")
        elif held:
            found[held[0]] = new
    return found, problems


@operation()
def relocated(path: str, places: dict[str, tuple[str, ...]], user: str, group: str):
    """Repositories under ``path`` moved to where they belong now, from where an earlier
    layout (one rest-server per host: ``client/job``) or an earlier owner of the job
    (``partner/client/job``) kept them.

    ``places`` maps each repository's place to its earlier places, all relative to ``path``.
    A rename within one filesystem: nothing is copied, a repository is either at its old
    place or at its new one. A repository found at several earlier places, or a directory
    already at its place, is refused: which one holds the backups is for a person to decide.
    """

    present = host.get_fact(RepositoriesUnder, path=path) or frozenset()
    moving, problems = moves(present, places)
    if problems:
        raise OperationError("; ".join(problems))
    if not moving:
        host.noop(f"every repository under {path} is in its place")
        return
    for old, new in sorted(moving.items()):
        source, target = posixpath.join(path, old), posixpath.join(path, new)
        yield StringCommand("install", "-d", "-o", user, "-g", group, "-m", "0750", QuoteString(posixpath.dirname(target)))
        yield StringCommand(
            "if [ -e", QuoteString(target), "]; then echo", QuoteString(f"{source} and {target} both exist: "
                                                                    "move one aside by hand"),
            ">&2; exit 1; fi; mv -T", QuoteString(source), QuoteString(target),
        )
        yield StringCommand("rmdir", "--ignore-fail-on-non-empty", QuoteString(posixpath.dirname(source)))
