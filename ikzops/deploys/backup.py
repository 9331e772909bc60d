"""Deploy the cross-site backup.

* repository hosts: Debian's restic-rest-server (unit unchanged) append-only, private
  repos, TLS from the partnership CA, one htpasswd credential per client, metrics on;
  retention timer with local access;
* clients: restic, the agent, per job a config, a repository password, a systemd
  service and timer that back up to the own site and every partner site.
"""

from __future__ import annotations

import json
from io import StringIO

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import apt, files, systemd
from pyinfra.operations.util import any_changed

from ikzops import templates
from ikzops.backup import credentials, layout, pki
from ikzops.deploys.agent import install_agent
from ikzops.deploys.context import partnership
from ikzops.model.units import format_duration
from ikzops.secrets import SecretStore

REST_USER = "restic-rest-server"
TLS_DIR = "/etc/restic-rest-server/tls"
HTPASSWD = "/etc/restic-rest-server/users.htpasswd"


def _secret_file(name: str, content: str, dest: str, user: str = "root", group: str = "root", mode: str = "0600"):
    return files.put(name=name, src=StringIO(content), dest=dest, user=user, group=group, mode=mode)


@deploy("ikzops: repository server")
def repository_server() -> None:
    if "repository" not in host.groups:
        return
    p = partnership()
    me = p.hosts[host.name]
    store = SecretStore(p.name)
    volume = layout.volume(p, host.name)

    apt.packages(name="Install restic-rest-server, restic, python3", packages=["restic-rest-server", "restic", "python3"])
    install_agent()
    files.directory(name="rest-server TLS directory", path=TLS_DIR, user="root", group=REST_USER, mode="0750")
    cert = pki.server_certificate(store, p.name, host.name, [host.name, me.address, host.name.split(".")[0]])
    changes = [
        files.put(name="TLS certificate", src=StringIO(cert.certificate), dest=f"{TLS_DIR}/server.crt", mode="0644"),
        _secret_file("TLS key", cert.key, f"{TLS_DIR}/server.key", group=REST_USER, mode="0640"),
    ]
    clients = sorted({job.client for job in layout.jobs_landing_on(p, host.name)})
    users = [*clients, credentials.METRICS_USER]  # the monitors scrape /metrics with their own credential
    htpasswd = "".join(credentials.htpasswd_line(store, user) + "\n" for user in users)
    changes.append(_secret_file("htpasswd (one credential per client)", htpasswd, HTPASSWD, group=REST_USER, mode="0640"))
    changes.append(files.put(
        name="rest-server settings (/etc/default/restic-rest-server)",
        src=StringIO(templates.render(
            "backup/restic-rest-server.default.j2", port=layout.REST_PORT, path=volume.path,
            tls_dir=TLS_DIR, htpasswd=HTPASSWD, max_size=volume.size,
        )),
        dest="/etc/default/restic-rest-server", mode="0644",
    ))
    systemd.service(name="rest-server running and enabled", service="restic-rest-server", running=True, enabled=True)
    systemd.service(
        name="rest-server restart (settings changed)", service="restic-rest-server", restarted=True,
        _if=any_changed(*changes),
    )

    # retention, with local access to the repositories
    files.directory(name="retention passwords directory", path=layout.RETENTION_DIR, user=REST_USER, group=REST_USER, mode="0700")
    config = layout.retention_config(p, host.name)
    for entry in config["repositories"]:
        _secret_file(
            "retention: repository password",
            credentials.repository_password(store, entry["job"]), entry["password_file"],
            user=REST_USER, group=REST_USER, mode="0400",
        )
    units = [
        files.put(name="retention settings", src=StringIO(json.dumps(config, indent=2) + "\n"),
                  dest=f"{layout.CONFIG_DIR}/retention.json", mode="0644"),
        files.put(name="retention service", dest="/etc/systemd/system/ikzops-retention.service", mode="0644",
                  src=StringIO(templates.render("backup/ikzops-retention.service.j2", host=host.name, agent_dir=layout.AGENT_DIR))),
        files.put(name="retention timer", dest="/etc/systemd/system/ikzops-retention.timer", mode="0644",
                  src=StringIO(templates.render("backup/ikzops-retention.timer.j2", schedule="*-*-* 03:30:00"))),
    ]
    systemd.daemon_reload(name="systemd reload (units changed)", _if=any_changed(*units))
    systemd.service(name="retention timer enabled", service="ikzops-retention.timer", running=True, enabled=True)

    # verify and drills run here with local access
    files.directory(name="restic cache for verify and drills", path=layout.RESTIC_CACHE, user=REST_USER, group=REST_USER, mode="0700")
    files.directory(name="verify state (check cursors)", path=layout.VERIFY_STATE, mode="0700")
    if any(job.spec.hooks.postgresql for job in layout.jobs_landing_on(p, host.name)):
        files.directory(name="postgresql-common settings", path="/etc/postgresql-common/createcluster.d", mode="0755")
        files.put(name="no default cluster (drills start their own)", dest="/etc/postgresql-common/createcluster.d/ikzops.conf",
                  src=StringIO("# ikzops: drills start a private scratch server; no default cluster\ncreate_main_cluster = false\n"),
                  mode="0644")
        apt.packages(name="Install PostgreSQL server binaries for restore drills", packages=["postgresql"])


@deploy("ikzops: backup jobs")
def backup_clients() -> None:
    if "client" not in host.groups:
        return
    p = partnership()
    store = SecretStore(p.name)
    jobs = layout.jobs_on_client(p, host.name)
    if not jobs:
        host.noop("no backup jobs for this client")
        return

    apt.packages(name="Install restic, python3", packages=["restic", "python3"])
    install_agent()
    files.directory(name="ikzops config directory", path=layout.CONFIG_DIR, mode="0755")
    files.put(name="partnership CA certificate", src=StringIO(pki.ca_certificate(store, p.name)), dest=layout.CA_FILE, mode="0644")
    _secret_file("REST password of this client", credentials.rest_password(store, host.name), layout.REST_PASSWORD_FILE)
    files.directory(name="jobs directory", path=layout.JOB_CONFIG_DIR, mode="0700")
    units = []
    for job in jobs:
        config = layout.job_config(p, job)
        files.directory(name="job config directory", path=f"{layout.JOB_CONFIG_DIR}/{job.name}", mode="0700")
        _secret_file("job repository password", credentials.repository_password(store, job.name), config["password_file"])
        files.put(name="job settings", src=StringIO(json.dumps(config, indent=2) + "\n"),
                  dest=f"{layout.JOB_CONFIG_DIR}/{job.name}/job.json", mode="0600")
        unit = layout.unit_name(job.name)
        values = dict(
            job=job.name, client=job.client, site=job.site, destinations=list(job.destinations),
            postgresql=bool(job.spec.hooks.postgresql), agent_dir=layout.AGENT_DIR,
            schedule=job.spec.schedule, rpo=format_duration(job.spec.rpo),
            jitter=min(60, int(job.spec.rpo.total_seconds() // 20)),
        )
        units.append(files.put(name="job service unit", dest=f"/etc/systemd/system/{unit}.service", mode="0644",
                               src=StringIO(templates.render("backup/ikzops-backup.service.j2", **values))))
        units.append(files.put(name="job timer unit", dest=f"/etc/systemd/system/{unit}.timer", mode="0644",
                               src=StringIO(templates.render("backup/ikzops-backup.timer.j2", **values))))
    systemd.daemon_reload(name="systemd reload (units changed)", _if=any_changed(*units))
    for job in jobs:
        systemd.service(name="job timer enabled", service=f"{layout.unit_name(job.name)}.timer", running=True, enabled=True)
