"""Secrets generated once on the control host, kept outside git in files of mode 0600.

Default ``<checkout>/.state/secrets/<partnership>/``; ``IKZOPS_SECRETS_DIR`` moves it.
Secrets reach hosts only as file contents (uploaded, mode 0600), never on a command
line or in a log.
"""

from __future__ import annotations

import os
import secrets as random
from pathlib import Path

from ikzops.state import state_root, write_secret


def secrets_root() -> Path:
    env = os.environ.get("IKZOPS_SECRETS_DIR")
    return Path(env) if env else state_root() / "secrets"


class SecretStore:
    def __init__(self, partnership: str, root: Path | None = None) -> None:
        self.root = (root or secrets_root()) / partnership

    def path(self, *name: str) -> Path:
        return self.root.joinpath(*name)

    def get_or_create(self, *name: str, length: int = 16) -> str:
        """The secret called ``name``; generated (URL-safe, ``length`` chars) if new."""

        path = self.path(*name)
        if path.exists():
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in (self.root, *path.parents):
            if folder == self.root.parent:
                break
            folder.chmod(0o700)
        value = random.token_urlsafe(length)[:length]
        write_secret(path, value + "\n")
        return value
