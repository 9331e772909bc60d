"""The control host's state folder and how files in it are written. Never in git.

Default ``<checkout>/.state``; ``IKZOPS_STATE_DIR`` moves it. It holds the secret store
(``secrets/``, unless ``IKZOPS_SECRETS_DIR`` says otherwise), the reports (``reports/``)
and the lab's own files (``lab/``). Files are replaced atomically; every file holding a
secret is mode 0600 from its first byte on.
"""

from __future__ import annotations

import os
from pathlib import Path

from ikzops.agent.fileio import write_atomic


def state_root() -> Path:
    env = os.environ.get("IKZOPS_STATE_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1] / ".state"


def write_secret(path: Path, content: bytes | str) -> None:
    """Write ``content`` to ``path`` with mode 0600 from the first byte on."""

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(str(path), content, mode=0o600)


def write_file(path: Path, content: bytes | str) -> None:
    """Replace ``path`` atomically (a reader sees the old file or the new one, never half)."""

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(str(path), content, mode=0o644)
