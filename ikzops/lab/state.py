"""The lab's own part of the state folder: SSH key, pinned known_hosts, dockerd bookkeeping.

``<state folder>/lab`` (:func:`ikzops.state.state_root`; ``IKZOPS_STATE_DIR`` moves it,
and the lab inventory reads the same variable). Every file holding a secret is 0600.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ikzops.state import state_root, write_secret


@dataclass(frozen=True)
class LabState:
    root: Path

    @classmethod
    def default(cls) -> LabState:
        return cls(state_root() / "lab")

    @property
    def key(self) -> Path:
        return self.root / "id_ed25519"

    @property
    def public_key(self) -> Path:
        return self.root / "id_ed25519.pub"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def lab_id_file(self) -> Path:
        return self.root / "lab-id"

    def lab_id(self) -> str:
        """This state folder's lab: containers made for another one hold data encrypted
        with other secrets and are recreated rather than reused."""

        self.ensure()
        if not self.lab_id_file.exists():
            self.lab_id_file.write_text(uuid.uuid4().hex + "\n")
        return self.lab_id_file.read_text().strip()

    @property
    def dockerd_marker(self) -> Path:
        """Exists while a dockerd started by the lab runs; holds its pid."""
        return self.root / "dockerd.started-by-lab"

    @property
    def dockerd_log(self) -> Path:
        return self.root / "dockerd.log"

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)

    def ensure_key(self) -> bool:
        """Create the lab's ed25519 key pair once; True if it was created now."""

        self.ensure()
        if self.key.exists() and self.public_key.exists():
            return False
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        write_secret(self.key, pem)
        public = private.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        self.public_key.write_bytes(public + b" ikzops-lab\n")
        return True

