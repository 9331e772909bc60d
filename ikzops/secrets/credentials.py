"""Backup credentials, generated once on the control host (secret store, 0600).

* one REST credential per client host: the password, and its bcrypt hash for the
  repository hosts' htpasswd (stored too, so the file does not change every deploy);
* one repository password per job, the same at every destination: after losing its
  home site, the partner site restores with it.
"""

from __future__ import annotations

import bcrypt

from ikzops.secrets.store import SecretStore
from ikzops.state import write_secret

#: the rest-server user the monitors scrape ``/metrics`` with (no repository of its own)
METRICS_USER = "metrics"  # with --private-repos rest-server serves /metrics only to this name


def rest_password(store: SecretStore, client: str) -> str:
    return store.get_or_create("rest", f"{client}.password", length=32)


def htpasswd_line(store: SecretStore, client: str) -> str:
    password = rest_password(store, client)
    path = store.path("rest", f"{client}.bcrypt")
    if path.exists():
        hashed = path.read_text().strip()
        if bcrypt.checkpw(password.encode(), hashed.encode()):
            return f"{client}:{hashed}"
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()
    write_secret(path, hashed + "\n")
    return f"{client}:{hashed}"


def repository_password(store: SecretStore, job: str) -> str:
    return store.get_or_create("repository", f"{job}.password", length=32)
