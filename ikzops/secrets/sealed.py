"""The secret store sealed to a recovery key, so that it survives the control host.

The recovery key is an X25519 key pair. Its private part is printed once as a recovery
sheet (to be kept on paper, one in each partner's safe) and never stored by ikzops; its
public part is kept in the store (``recovery.pub``). Every deploy seals the whole store to
the public part and deposits it on every site's repository host (``deploys/sealed_store``);
``ikzops secrets recover --from SITE`` opens it there with the sheet.

Sealing is an ECIES construction: X25519 with a key derived for this content, HKDF-SHA256,
AES-256-GCM. It is deterministic (the same store gives the same sealed bytes, so that a
deploy that changed nothing changes nothing); this reveals only whether the store changed,
and its secrets are random, so nothing can be guessed from it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import tarfile
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ikzops.errors import ConfigError, ExitCode, IkzopsError

MAGIC = b"IKZSEAL1"
SHEET_PREFIX = "IKZOPS-RECOVERY-1"
PUBLIC_NAME = "recovery.pub"
#: where every repository host keeps the sealed store of each partnership
DEPOSIT_DIR = "/var/lib/ikzops/sealed"


class Unsealable(IkzopsError):
    exit_code = ExitCode.FINDING


def deposit_path(partnership: str) -> str:
    return f"{DEPOSIT_DIR}/{partnership}.sealed"


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def new_key() -> tuple[str, bytes]:
    """(the recovery sheet's text, the public key's raw bytes)."""

    private = X25519PrivateKey.generate()
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    return sheet(raw), _raw(private.public_key())


def sheet(raw: bytes) -> str:
    check = hashlib.sha256(raw).digest()[:4]
    text = base64.b32encode(raw + check).decode().rstrip("=")
    groups = " ".join(text[i:i + 4] for i in range(0, len(text), 4))
    return f"{SHEET_PREFIX} {groups}"


def parse_sheet(text: str) -> X25519PrivateKey:
    """The private key from a sheet as typed back (spaces, dashes, line breaks and case ignored)."""

    cleaned = "".join(c for c in text.upper().replace(SHEET_PREFIX, "") if c.isalnum())
    try:
        data = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError:
        raise ConfigError("the recovery key is not a recovery sheet's text (letters A-Z and digits 2-7)") from None
    raw, check = data[:32], data[32:]
    if len(data) != 36 or hashlib.sha256(raw).digest()[:4] != check:
        raise ConfigError("the recovery key has a typo: its checksum does not match (compare it with the sheet group by group)")
    return X25519PrivateKey.from_private_bytes(raw)


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=b"ikzops sealed store v1").derive(shared)


def archive(root: Path) -> bytes:
    """``root`` as a deterministic tar.gz (sorted, no times, no owners)."""

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            info = tarfile.TarInfo(str(path.relative_to(root)))
            data = path.read_bytes()
            info.size, info.mode, info.mtime = len(data), 0o600, 0
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), compresslevel=9, mtime=0)


def seal(plain: bytes, public: bytes) -> bytes:
    recipient = X25519PublicKey.from_public_bytes(public)
    seed = hashlib.sha256(b"ikzops seal" + hashlib.sha256(plain).digest() + public).digest()
    ephemeral = X25519PrivateKey.from_private_bytes(seed)
    ephemeral_raw = _raw(ephemeral.public_key())
    key = _key(ephemeral.exchange(recipient), ephemeral_raw, public)
    nonce = hashlib.sha256(b"nonce" + seed).digest()[:12]
    return MAGIC + ephemeral_raw + nonce + AESGCM(key).encrypt(nonce, plain, MAGIC)


def unseal(blob: bytes, private: X25519PrivateKey) -> bytes:
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 44 + 16:
        raise Unsealable("this is not a sealed ikzops secret store")
    ephemeral_raw, nonce, body = blob[8:40], blob[40:52], blob[52:]
    public = _raw(private.public_key())
    key = _key(private.exchange(X25519PublicKey.from_public_bytes(ephemeral_raw)), ephemeral_raw, public)
    try:
        return AESGCM(key).decrypt(nonce, body, MAGIC)
    except InvalidTag:
        raise Unsealable("the sealed store does not open with this recovery key (another key, or the deposit "
                         "was damaged): try the sheet of the current key, or another site") from None


def extract(plain: bytes, root: Path) -> list[str]:
    """The store's files into ``root`` (mode 0600, folders 0700); their names."""

    names = []
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r:gz") as tar:
        for member in tar:
            name = Path(member.name)
            if not member.isfile() or name.is_absolute() or ".." in name.parts:
                raise Unsealable(f"refusing {member.name!r} in the sealed store")
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
                out.write(tar.extractfile(member).read())
            names.append(str(name))
    for folder in [root, *{p.parent for p in root.rglob("*")}]:
        folder.chmod(0o700)
    return names
