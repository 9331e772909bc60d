"""Deploy the repository hosts: the volume, Debian's rest-server, retention, and what verify
and drills need there.

* the volume that holds the repositories, checked against the partners' reservations;
* Debian's restic-rest-server (unit unchanged): append-only, private repos, TLS from the
  partnership CA, one htpasswd credential per client, metrics on;
* retention on a timer, with local access to the repositories;
* verify and drills: a restic cache, the check cursors, PostgreSQL binaries for drills of
  jobs with database dumps.
"""

from __future__ import annotations

import json
from io import StringIO

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import apt, systemd
from pyinfra.operations.util import any_changed

from ikzops import layout, templates
from ikzops.agent.restore_server import GODEBUG_TLS
from ikzops.deploys.context import partnership
from ikzops.operations import repository
from ikzops.operations.files import directory, put
from ikzops.secrets import credentials, pki
from ikzops.secrets.store import SecretStore

TLS_DIR = "/etc/restic-rest-server/tls"
HTPASSWD = "/etc/restic-rest-server/users.htpasswd"
USER = layout.REST_SERVER_USER


def secret_file(name: str, content: str, dest: str, user: str = "root", group: str = "root", mode: str = "0600"):
    return put(name=name, src=StringIO(content), dest=dest, user=user, group=group, mode=mode)


@deploy("ikzops: repository volume")
def repository_volume() -> None:
    """The directory that holds the backup repositories, and the partners' reservations.

    Debian's one rest-server cannot enforce a quota per partner; the reservations are
    checked against the filesystem here, recorded in /etc/ikzops/capacity.json for
    ``verify`` and the monitoring (usage per partner against its reservation), and the
    rest-server gets the volume's size as its hard ``--max-size``.
    """
    if "repository" not in host.groups:
        return
    p = partnership()
    spec = layout.volume(p, host.name)
    apt.packages(name="Install restic-rest-server", packages=["restic-rest-server"])
    repository.volume(name=f"repository volume {spec.path}", path=spec.path, reserved=sum(spec.reserve.values()),
                      user=USER, group=USER)
    directory(name="ikzops config directory", path=layout.CONFIG_DIR, mode="0755")
    put(
        name="capacity plan (reservations per partner)",
        src=StringIO(templates.render("repository/capacity.json.j2", capacity=layout.capacity_plan(p, host.name))),
        dest=layout.CAPACITY_FILE, mode="0644",
    )


@deploy("ikzops: rest-server")
def rest_server() -> None:
    if "repository" not in host.groups:
        return
    p = partnership()
    me = p.hosts[host.name]
    store = SecretStore(p.name)
    spec = layout.volume(p, host.name)

    apt.packages(name="Install restic-rest-server, restic, python3", packages=["restic-rest-server", "restic", "python3"])
    directory(name="rest-server TLS directory", path=TLS_DIR, user="root", group=USER, mode="0750")
    cert = pki.server_certificate(store, p.name, host.name, layout.server_names(me))
    changes = [
        put(name="TLS certificate", src=StringIO(cert.certificate), dest=f"{TLS_DIR}/server.crt", mode="0644"),
        secret_file("TLS key", cert.key, f"{TLS_DIR}/server.key", group=USER, mode="0640"),
    ]
    clients = sorted({job.client for job in p.jobs_landing_on(host.name)})
    users = [*clients, credentials.METRICS_USER]  # the monitors scrape /metrics with their own credential
    htpasswd = "".join(credentials.htpasswd_line(store, user) + "\n" for user in users)
    changes.append(secret_file("htpasswd (one credential per client)", htpasswd, HTPASSWD, group=USER, mode="0640"))
    changes.append(put(
        name="rest-server settings (/etc/default/restic-rest-server)",
        src=StringIO(templates.render(
            "backup/restic-rest-server.default.j2", port=layout.REST_PORT, path=spec.path,
            tls_dir=TLS_DIR, htpasswd=HTPASSWD, max_size=spec.size, godebug=GODEBUG_TLS,
        )),
        dest="/etc/default/restic-rest-server", mode="0644",
    ))
    systemd.service(name="rest-server running and enabled", service="restic-rest-server", running=True, enabled=True)
    systemd.service(
        name="rest-server restart (settings changed)", service="restic-rest-server", restarted=True,
        _if=any_changed(*changes),
    )


@deploy("ikzops: retention")
def retention() -> None:
    """Retention with local access to the repositories, as the rest-server's user."""
    if "repository" not in host.groups:
        return
    p = partnership()
    store = SecretStore(p.name)
    directory(name="retention passwords directory", path=layout.RETENTION_DIR, user=USER, group=USER, mode="0700")
    config = layout.retention_config(p, host.name)
    for entry in config["repositories"]:
        secret_file(
            f"repository password of {entry['job']}",
            credentials.repository_password(store, entry["job"]), entry["password_file"],
            user=USER, group=USER, mode="0400",
        )
    units = [
        put(name="retention settings", src=StringIO(json.dumps(config, indent=2) + "\n"),
            dest=f"{layout.CONFIG_DIR}/retention.json", mode="0644"),
        put(name="retention service", dest="/etc/systemd/system/ikzops-retention.service", mode="0644",
            src=StringIO(templates.render("backup/ikzops-retention.service.j2", host=host.name, agent_dir=layout.AGENT_DIR,
                                             repositories=layout.volume(p, host.name).path))),
        put(name="retention timer", dest="/etc/systemd/system/ikzops-retention.timer", mode="0644",
            src=StringIO(templates.render("backup/ikzops-retention.timer.j2", schedule="*-*-* 03:30:00"))),
    ]
    systemd.daemon_reload(name="systemd reload (retention units changed)", _if=any_changed(*units))
    systemd.service(name="retention timer enabled", service="ikzops-retention.timer", running=True, enabled=True)


@deploy("ikzops: verify and drills")
def verify_and_drills() -> None:
    """What ``verify`` and ``drill`` need on a repository host (they run there over SSH)."""
    if "repository" not in host.groups:
        return
    p = partnership()
    directory(name="restic cache for verify and drills", path=layout.RESTIC_CACHE, user=USER, group=USER, mode="0700")
    directory(name="verify state (check cursors)", path=layout.VERIFY_STATE, mode="0700")
    if any(job.spec.hooks.postgresql for job in p.jobs_landing_on(host.name)):
        directory(name="postgresql-common settings", path="/etc/postgresql-common/createcluster.d", mode="0755")
        put(name="no default cluster (drills start their own)", dest="/etc/postgresql-common/createcluster.d/ikzops.conf",
            src=StringIO("# ikzops: drills start a private scratch server; no default cluster\ncreate_main_cluster = false\n"),
            mode="0644")
        apt.packages(name="Install PostgreSQL server binaries for restore drills", packages=["postgresql"])
