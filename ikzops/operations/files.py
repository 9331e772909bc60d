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
from pyinfra.api import FileUploadCommand, QuoteString, StringCommand, operation
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

    folder, name = posixpath.split(dest)
    present = listing(folder)
    if present is None:
        yield StringCommand("mkdir", "-p", QuoteString(folder))
    current = (present or {}).get(name)
    if current is None or current.sha256 != get_file_sha256(src):
        yield FileUploadCommand(src, dest, remote_temp_filename=host.get_temp_filename(dest))
        if user or group:
            yield file_utils.chown(dest, user, group)
        if mode:
            yield file_utils.chmod(dest, mode)
        return
    owner = (user and current.user != user) or (group and current.group != group)
    if owner:
        yield file_utils.chown(dest, user, group)
    if mode and current.mode != int(mode, 8):
        yield file_utils.chmod(dest, mode)
    elif not owner:
        host.noop(f"file {dest} is already uploaded")
