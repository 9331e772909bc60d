"""Every secret a partnership's deploy uses, created at once.

The deploys create their secrets as they need them; the sealed store must hold all of them
before the first repository host's deposit is sealed (pyinfra prepares host after host), so
that a second deploy finds the deposits unchanged. The same calls as the deploys make;
``tests/planning`` checks that a whole planned deploy creates nothing beyond this.
"""

from __future__ import annotations

from ikzops import layout
from ikzops.model.partnership import Partnership
from ikzops.secrets import credentials, pki
from ikzops.secrets.store import SecretStore


def materialize(p: Partnership, store: SecretStore) -> None:
    pki.ca_certificate(store, p.name)
    for host in p.hosts.values():  # rest-server, and node_exporter on every host
        pki.server_certificate(store, p.name, host.name, layout.server_names(host))
    credentials.monitor_bcrypt(store)
    for user in sorted({job.client for job in p.jobs.values()} | {credentials.METRICS_USER}):
        credentials.htpasswd_line(store, user)
    for job in p.jobs.values():
        credentials.repository_password(store, job.name)
    for partner in sorted({lun.partner for lun in p.luns.values()}):
        store.get_or_create("chap", partner)
