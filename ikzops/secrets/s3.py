"""S3 keys in the secret store (0600): the gateway's admin credentials, given by its
operator, and the keys of the users ikzops made there (made by the gateway, stored here).

``s3/<repository host>/admin.access`` and ``admin.secret``: the admin user ikzops works as
(RGW caps ``users=*;buckets=*;usage=read``); ``s3/<repository host>/<uid>.access|.secret``:
a partner's or a client's user.
"""

from __future__ import annotations

from dataclasses import dataclass

from ikzops.errors import ConfigError
from ikzops.secrets.store import SecretStore
from ikzops.state import write_secret

ADMIN = "admin"


@dataclass(frozen=True)
class Keys:
    access: str
    secret: str


def _paths(store: SecretStore, repo_host: str, uid: str):
    return store.path("s3", repo_host, f"{uid}.access"), store.path("s3", repo_host, f"{uid}.secret")


def keys(store: SecretStore, repo_host: str, uid: str) -> Keys | None:
    access, secret = _paths(store, repo_host, uid)
    if not (access.exists() and secret.exists()):
        return None
    return Keys(access.read_text().strip(), secret.read_text().strip())


def save(store: SecretStore, repo_host: str, uid: str, found: Keys) -> None:
    access, secret = _paths(store, repo_host, uid)
    access.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_secret(access, found.access + "\n")
    write_secret(secret, found.secret + "\n")


def admin(store: SecretStore, repo_host: str) -> Keys:
    found = keys(store, repo_host, ADMIN)
    if found is None:
        access, secret = _paths(store, repo_host, ADMIN)
        raise ConfigError(f"no admin credentials for the S3 gateway of {repo_host}",
                          hint=f"put its admin user's access key in {access} and secret key in {secret} (mode 0600)")
    return found


def needed(store: SecretStore, repo_host: str, uid: str) -> Keys:
    """A user's keys for a file the deploy puts on a host (made by ``ikzops deploy``)."""

    found = keys(store, repo_host, uid)
    if found is None:
        raise ConfigError(f"no S3 keys for {uid} at {repo_host}'s gateway yet",
                          hint="`ikzops deploy` makes the S3 users before pyinfra runs (plain pyinfra cannot)")
    return found
