"""Files put on a host, compared with one listing per directory (:class:`~ikzops.facts.files.FilesIn`).

:func:`put` is ``pyinfra.operations.files.put`` for what ikzops uploads - content from
the control host, an owner and a mode - and yields the same commands when something
differs; when nothing does, it reads the directory's listing, which is taken once per host
and run and shared by every file of that directory. That is safe because each path is
put by exactly one operation: only that operation changes it during the run.
"""

from __future__ import annotations

import posixpath
from typing import IO

from pyinfra import host
from pyinfra.api import FileUploadCommand, OperationError, QuoteString, StringCommand, operation
from pyinfra.api.util import get_file_sha256
from pyinfra.operations.util import files as file_utils

from ikzops.facts.files import FilesIn, FileState

_listings: dict[tuple[int, str, str], dict[str, FileState] | None] = {}


def listing(folder: str) -> dict[str, FileState] | None:
    """The files of ``folder`` on this host, read once per host and run."""

    key = (id(host.state), host.name, folder)
    if key not in _listings:
        _listings[key] = host.get_fact(FilesIn, path=folder)
    return _listings[key]


@operation()
def put(src: str | IO, dest: str, user: str | None = None, group: str | None = None, mode: str | None = None):
    """``dest`` holds ``src`` (a local path or a file object), owned by ``user``:``group``
    with ``mode`` where given; the directory is made if it is missing.

    + src: local file path, or a file object (``StringIO``/``BytesIO``)
    + dest: the remote file
    + user, group, mode: enforced when given (``mode`` as octal text, e.g. ``"0600"``)
    """

    commands = list(_put(src, dest, user, group, mode))
    if not commands:
        host.noop(f"file {dest} is already uploaded")
    yield from commands


def _put(src: str | IO, dest: str, user: str | None, group: str | None, mode: str | None):
    folder, name = posixpath.split(dest)
    present = listing(folder)
    if present is None:
        yield StringCommand("mkdir", "-p", QuoteString(folder))
    current = (present or {}).get(name)
    if current is not None and current.kind != "f":
        raise OperationError(f"{dest} exists and is no regular file")
    if _differs(src, current):
        yield FileUploadCommand(src, dest, remote_temp_filename=host.get_temp_filename(dest))
        if user or group:
            yield file_utils.chown(dest, user, group)
        if mode:
            yield file_utils.chmod(dest, mode)
        return
    yield from _owner_and_mode(dest, current, user, group, mode)


@operation()
def put_files(files: dict[str, str], mode: str | None = None, user: str | None = None, group: str | None = None):
    """Each ``dest`` of ``files`` (``{dest: local path}``) holds its source: one operation for
    a set of files that change together (the agent's modules), whose names pyinfra lists once.

    + files: ``{remote path: local path}``
    + mode, user, group: enforced on each file when given
    """

    commands = [c for dest, src in sorted(files.items()) for c in _put(src, dest, user, group, mode)]
    if not commands:
        host.noop(f"{len(files)} files are already uploaded")
    yield from commands


def _differs(src: str | IO, current: FileState | None) -> bool:
    """The remote file (as listed; None: absent) is not ``src``: it is uploaded."""

    return current is None or current.sha256 != get_file_sha256(src)


@operation()
def byte_compiled(files: dict[str, str]):
    """The Python modules ``files`` (``{remote path: local path}``, as given to :func:`put_files`)
    have their byte code beside them (``__pycache__``), compiled when a module is uploaded or
    has none: programs that may not write there (a sandboxed unit, with /usr read-only)
    would compile every module at every start otherwise (Debian's packages are byte-compiled
    at installation for the same reason). Placed after the upload, it compares, as
    :func:`put_files` does, with the listing taken before it.

    + files: ``{remote path: local path}`` of the modules
    """

    compiled: dict[str, set[str]] = {}  # per folder, the modules with byte code
    stale = set()
    for dest, src in files.items():
        folder, name = posixpath.split(dest)
        if folder not in compiled:
            compiled[folder] = {entry.split(".", 1)[0] for entry in listing(posixpath.join(folder, "__pycache__")) or {}
                                if entry.endswith(".pyc")}
        if _differs(src, (listing(folder) or {}).get(name)) or name.removesuffix(".py") not in compiled[folder]:
            stale.add(folder)
    if not stale:
        host.noop(f"{len(files)} modules are compiled")
    for folder in sorted(stale):
        yield StringCommand("python3", "-m", "compileall", "-q", QuoteString(folder))


@operation()
def directory(path: str, user: str | None = None, group: str | None = None, mode: str | None = None):
    """``path`` is a directory (parents made as needed), owned by ``user``:``group`` with
    ``mode`` where given; compared with its parent's listing."""

    parent, name = posixpath.split(path.rstrip("/"))
    current = (listing(parent) or {}).get(name)
    if current is not None and current.kind != "d":
        raise OperationError(f"{path} exists and is no directory")
    if current is None:
        yield StringCommand("mkdir", "-p", QuoteString(path))
        if user or group:
            yield file_utils.chown(path, user, group)
        if mode:
            yield file_utils.chmod(path, mode)
        return
    commands = list(_owner_and_mode(path, current, user, group, mode))
    if not commands:
        host.noop(f"directory {path} already exists")
    yield from commands


def _owner_and_mode(path: str, current: FileState, user: str | None, group: str | None, mode: str | None):
    if (user and current.user != user) or (group and current.group != group):
        yield file_utils.chown(path, user, group)
    if mode and current.mode != int(mode, 8):
        yield file_utils.chmod(path, mode)
