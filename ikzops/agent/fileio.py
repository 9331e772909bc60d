"""Files written and read by the agent and the control host alike (the one home of both rules).

* :func:`write_atomic` - a reader sees the old content or the new, never half a file;
  created with its final mode from the first byte (0600 for secrets);
* :func:`sha256_file` - the digest of a file, read in large blocks.
"""

from __future__ import annotations

import hashlib
import os

BLOCK = 1 << 20


def write_atomic(path: str, content: bytes | str, mode: int = 0o644) -> None:
    data = content.encode() if isinstance(content, str) else content
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, f".{name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # the umask may have narrowed it; an old tmp may have had another
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    os.replace(tmp, path)


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()
