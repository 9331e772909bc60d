"""Backup credentials, generated once on the control host (secret store, 0600).

* one REST credential per client host: the password, and its bcrypt hash for the
  repository hosts' htpasswd (stored too, so the file does not change every deploy);
* one repository password per job, the same at every destination: after losing its
  home site, the partner site restores with it;
* one monitoring credential (``MONITOR_USER``) for node_exporter, Prometheus and Alertmanager.
"""

from __future__ import annotations

import functools

import bcrypt

from ikzops.secrets.store import SecretStore
from ikzops.state import write_secret

#: the rest-server user the monitors scrape ``/metrics`` with (no repository of its own)
METRICS_USER = "metrics"  # with --private-repos rest-server serves /metrics only to this name
#: the one account node_exporter, Prometheus and Alertmanager admit (basic auth over TLS):
#: its password is on the monitors (scrapes, alerts) and in the control host's store
#: (on-call's silences), nowhere else; the other hosts hold only its bcrypt hash
MONITOR_USER = "ikz-monitor"


def rest_password(store: SecretStore, client: str) -> str:
    return store.get_or_create("rest", f"{client}.password", length=32)


def htpasswd_line(store: SecretStore, client: str) -> str:
    return f"{client}:{_bcrypt(store, 'rest', client, rest_password(store, client))}"


def monitor_password(store: SecretStore) -> str:
    return store.get_or_create("monitoring", f"{MONITOR_USER}.password", length=32)


def monitor_bcrypt(store: SecretStore) -> str:
    return _bcrypt(store, "monitoring", MONITOR_USER, monitor_password(store))


@functools.lru_cache(maxsize=256)
def _matches(password: str, hashed: str) -> bool:
    """bcrypt's check (about 70 ms by design), once per process for each pair: a deploy asks
    for the same hashes on every host, twice (pyinfra plans, then runs)."""

    return bcrypt.checkpw(password.encode(), hashed.encode())


def _bcrypt(store: SecretStore, kind: str, user: str, password: str) -> str:
    """The bcrypt hash of ``password`` (kept beside it, so files holding it do not change every deploy)."""

    path = store.path(kind, f"{user}.bcrypt")
    if path.exists():
        hashed = path.read_text().strip()
        if _matches(password, hashed):
            return hashed
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()
    write_secret(path, hashed + "\n")
    return hashed


def repository_password(store: SecretStore, job: str) -> str:
    return store.get_or_create("repository", f"{job}.password", length=32)
