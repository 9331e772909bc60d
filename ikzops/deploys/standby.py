"""A standby host (``ikz_standby`` of a client at another site) gets what the client's jobs
need to be restored onto it when the client's site is lost: a running PostgreSQL for jobs
with database dumps (Debian's package and its main cluster), hardened by a drop-in for
``postgresql@.service`` (every cluster on that host)."""

from __future__ import annotations

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import apt, systemd

from ikzops.deploys.context import partnership
from ikzops.deploys.hardening import hardened


@deploy("ikzops: standby")
def standby() -> None:
    p = partnership()
    clients = sorted(h.name for h in p.hosts.values() if h.standby == host.name)
    databases = sorted({db for client in clients for job in p.jobs_of_client(client) if job.spec.hooks.postgresql
                        for db in job.spec.hooks.postgresql.databases})
    if not databases:
        return
    apt.packages(name=f"Install PostgreSQL (standby of {', '.join(clients)}: {', '.join(databases)})", packages=["postgresql"])
    dropin = hardened("postgresql@", template="systemd/postgresql-hardening.conf.j2")
    systemd.service(name="PostgreSQL running and enabled (standby)", service="postgresql", running=True, enabled=True)
    systemd.service(name="PostgreSQL restart (hardening changed)", service="postgresql", restarted=True,
                    _if=dropin.did_change)
