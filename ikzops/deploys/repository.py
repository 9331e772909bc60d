"""Deploy the repository hosts: the volume, Debian's rest-server, retention, and what verify
and drills need there.

* the volume that holds the repositories, checked against the partners' reservations;
* one rest-server per partner (Debian's binary, ikzops' template unit): its own port, its
  quota as ``--max-size``, append-only, private repos, TLS from the partnership CA, one
  htpasswd credential per client of the partner, metrics on;
* retention on a timer, with local access to the repositories;
* verify and drills: a restic cache, the check cursors, PostgreSQL binaries for drills of
  jobs with database dumps.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import PurePosixPath

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.facts.files import FindFiles
from pyinfra.facts.systemd import SystemdStatus
from pyinfra.operations import apt, files, server, systemd
from pyinfra.operations.util import any_changed

from ikzops import layout, templates
from ikzops.agent.restore_server import GODEBUG_TLS, SANDBOX
from ikzops.deploys import daemons
from ikzops.deploys.context import partnership
from ikzops.model import buckets
from ikzops.operations import repository
from ikzops.operations.files import directory, put
from ikzops.secrets import credentials, pki
from ikzops.secrets import s3 as s3_keys
from ikzops.secrets.store import SecretStore

TLS_DIR = "/etc/restic-rest-server/tls"
USER = layout.REST_SERVER_USER
REST_TEMPLATE = "ikzops-rest-server@.service"
#: how often each partner's use of its quota is sampled for the quota alerts
QUOTA_SAMPLING = "5min"


def secret_file(name: str, content: str, dest: str, user: str = "root", group: str = "root", mode: str = "0600"):
    return put(name=name, src=StringIO(content), dest=dest, user=user, group=group, mode=mode)


def s3_key_files(label: str, store: SecretStore, repo_host: str, uid: str, files: tuple[str, str],
                 user: str = "root") -> list:
    """``uid``'s keys at ``repo_host``'s S3 gateway, one file each (made by ``ikzops deploy``
    before pyinfra runs; a dry run before then shows the files as new)."""

    found = s3_keys.keys(store, repo_host, uid)
    if found is None:
        if not host.data.get("ikz_dry", False):
            s3_keys.needed(store, repo_host, uid)  # raises: what is missing, and what makes it
        found = s3_keys.Keys("(made by this deploy)", "(made by this deploy)")
    folder = PurePosixPath(files[0]).parent
    for above in (PurePosixPath(layout.S3_KEYS_DIR), *(p for p in folder.parents if str(p).startswith(f"{layout.S3_KEYS_DIR}/"))):
        directory(name=f"S3 keys: {above} (traversable only)", path=str(above), mode="0711")
    directory(name=f"S3 keys directory ({label})", path=str(folder), user=user, group=user, mode="0700")
    return [secret_file(f"{label}: S3 access key id", found.access, files[0], user=user, group=user, mode="0400"),
            secret_file(f"{label}: S3 secret key", found.secret, files[1], user=user, group=user, mode="0400")]


@deploy("ikzops: repository volume")
def repository_volume() -> None:
    """The directory that holds the backup repositories, and the partners' reservations.

    The reservations are checked against the filesystem here and recorded in
    /etc/ikzops/capacity.json (with each partner's quota) for ``verify`` and the quota
    metrics; each partner's rest-server enforces its quota.
    """
    if "repository" not in host.groups:
        return
    p = partnership()
    spec = layout.volume(p, host.name)
    if spec.s3 is None:
        apt.packages(name="Install restic-rest-server", packages=["restic-rest-server"])
        repository.volume(name=f"repository volume {spec.path}", path=spec.path, reserved=sum(spec.reserve.values()),
                          user=USER, group=USER)
    else:  # the gateway holds the repositories and enforces the quotas; the sampler asks it
        apt.packages(name="Install python3-boto3 (the quota sampler signs its questions to the gateway)",
                     packages=["python3-boto3"])
        s3_key_files("the gateway's usage reader", SecretStore(p.name), host.name, buckets.usage_user(p),
                     layout.s3_usage_keys())
    directory(name="ikzops config directory", path=layout.CONFIG_DIR, mode="0755")
    put(
        name="capacity plan (reservations per partner)",
        src=StringIO(templates.render("repository/capacity.json.j2", capacity=layout.capacity_plan(p, host.name))),
        dest=layout.CAPACITY_FILE, mode="0644",
    )
    units = [
        put(name="quota sampling service", dest="/etc/systemd/system/ikzops-quota.service", mode="0644",
            src=StringIO(templates.render("backup/ikzops-quota.service.j2", host=host.name, agent_dir=layout.AGENT_DIR,
                                          capacity=layout.CAPACITY_FILE, metrics_dir=layout.METRICS_DIR,
                                          gateway=spec.s3.endpoint if spec.s3 else ""))),
        put(name="quota sampling timer", dest="/etc/systemd/system/ikzops-quota.timer", mode="0644",
            src=StringIO(templates.render("backup/ikzops-quota.timer.j2", every=QUOTA_SAMPLING))),
    ]
    systemd.daemon_reload(name="systemd reload (quota units changed)", _if=any_changed(*units))
    systemd.service(name="quota sampling timer enabled", service="ikzops-quota.timer", running=True, enabled=True)


@deploy("ikzops: rest-server")
def rest_server() -> None:
    """One rest-server per partner whose jobs land here (:func:`ikzops.layout.rest_instances`):
    its own port, its own clients, its quota as ``--max-size``. Debian's single server is
    stopped, and repositories of the single server's layout are moved to their partner's
    directory (a rename) before the partners' servers start."""

    if "repository" not in host.groups:
        return
    p = partnership()
    me = p.hosts[host.name]
    store = SecretStore(p.name)
    spec = layout.volume(p, host.name)
    instances = layout.rest_instances(p, host.name)

    apt.packages(name="Install restic-rest-server, restic, python3", packages=["restic-rest-server", "restic", "python3"])
    systemd.service(name="Debian's single rest-server stopped and disabled (one per partner instead)",
                    service=layout.DEBIAN_REST_UNIT, running=False, enabled=False)
    if spec.s3 is not None:
        for partner in sorted(set(running_instances())):
            systemd.service(name=f"rest-server of {partner} stopped and disabled (repositories are buckets now)",
                            service=layout.rest_unit(partner), running=False, enabled=False)
        return
    repository.relocated(name=f"repositories under {spec.path} in their owner's directory", path=spec.path,
                         places=layout.repository_places(p, host.name), user=USER, group=USER)
    directory(name="rest-server TLS directory", path=TLS_DIR, user="root", group=USER, mode="0750")
    directory(name="rest-server settings per partner", path=layout.REST_SETTINGS_DIR, user="root", group=USER,
              mode="0750")
    cert = pki.server_certificate(store, p.name, host.name, layout.server_names(me))
    shared = [
        put(name="TLS certificate", src=StringIO(cert.certificate), dest=f"{TLS_DIR}/server.crt", mode="0644"),
        secret_file("TLS key", cert.key, f"{TLS_DIR}/server.key", group=USER, mode="0640"),
        put(name="rest-server unit (one instance per partner)", dest=f"/etc/systemd/system/{REST_TEMPLATE}",
            mode="0644", src=StringIO(templates.render(
                "backup/ikzops-rest-server@.service.j2", host=host.name, user=USER, volume=spec.path,
                settings_dir=layout.REST_SETTINGS_DIR, sandbox=SANDBOX))),
    ]
    systemd.daemon_reload(name="systemd reload (rest-server unit changed)", _if=shared[-1].did_change)
    for instance in instances:
        label = f"rest-server of {instance.partner}"
        directory(name=f"repositories of {instance.partner}", path=instance.path, user=USER, group=USER, mode="0750")
        users = [*instance.clients, credentials.METRICS_USER]  # the monitors scrape /metrics with their own credential
        htpasswd = "".join(credentials.htpasswd_line(store, user) + "\n" for user in users)
        settings = [
            secret_file(f"{label}: htpasswd (its clients)", htpasswd, instance.htpasswd, group=USER, mode="0640"),
            put(name=f"{label}: settings (port {instance.port}, quota)", dest=instance.settings, mode="0644",
                src=StringIO(templates.render("backup/rest-server-partner.env.j2", instance=instance,
                                              tls_dir=TLS_DIR, godebug=GODEBUG_TLS))),
        ]
        daemons.running(label, instance.unit, restart_if=(*shared, *settings))
    retired = sorted(set(running_instances()) - {instance.partner for instance in instances})
    for partner in retired:
        unit = layout.rest_unit(partner)
        systemd.service(name=f"rest-server of {partner} stopped and disabled (no job of it lands here now)",
                        service=unit, running=False, enabled=False)
        for path in (layout.rest_settings(partner), layout.rest_htpasswd(partner)):
            files.file(name=f"rest-server of {partner}: {path} removed", path=path, present=False)


@deploy("ikzops: bucket maintenance")
def bucket_maintenance() -> None:
    """On each host that maintains buckets of S3 gateways (the gateway's repository host, or
    an owner's maintenance host): the owners' keys, restic and python3-boto3 for retention,
    verify and drills as the owner of each bucket, and the account they run as (on a
    repository host Debian's rest-server package made it)."""

    p = partnership()
    owners = sorted({(d.gateway, d.owner) for _, d in layout.maintained_on(p, host.name) if d.s3})
    if not owners:
        if "repository" in host.groups or "client" in host.groups:
            stale_secrets(f"{layout.S3_KEYS_DIR}/owners", set(), "an owner's S3 key")
        return
    store = SecretStore(p.name)
    if "repository" not in host.groups:
        server.user(name=f"account {USER} (retention, verify and drills of buckets)", user=USER, system=True,
                    home="/nonexistent", shell="/usr/sbin/nologin", create_home=False)
    apt.packages(name="Install restic, python3-boto3 (retention reads when each snapshot arrived, verify hashes the packs)",
                 packages=["restic", "python3-boto3"])
    for gateway, partner in owners:
        s3_key_files(f"owner {partner} at {gateway}", store, gateway, buckets.partner_user(p, partner),
                     layout.s3_owner_keys(gateway, partner), user=USER)
    stale_secrets(f"{layout.S3_KEYS_DIR}/owners", {f for o in owners for f in layout.s3_owner_keys(*o)},
                  "an owner's S3 key")


def stale_secrets(folder: str, kept: set[str], what: str) -> None:
    """Remove the files below ``folder`` that no longer belong (a job that left, a bucket now
    maintained elsewhere): a key or password left behind would still open the repository."""

    for path in sorted(set(host.get_fact(FindFiles, path=folder) or []) - kept):
        files.file(name=f"{what} no longer needed here: {path} removed", path=path, present=False)


def running_instances() -> list[str]:
    """The partners whose rest-server is loaded on this host (running, or enabled: an enabled
    instance is loaded as a want of multi-user.target)."""

    prefix, suffix = layout.rest_unit(""), ".service"
    loaded = host.get_fact(SystemdStatus, services=f"{prefix}*") or {}
    return [unit[len(prefix):-len(suffix)] for unit in loaded if unit.startswith(prefix) and unit.endswith(suffix)]


@deploy("ikzops: retention")
def retention() -> None:
    """Retention of the repositories this host maintains (local access, or a bucket as its
    owner), as the rest-server's user."""
    p = partnership()
    if "repository" not in host.groups and not layout.maintained_on(p, host.name):
        return
    store = SecretStore(p.name)
    spec = layout.volume(p, host.name)
    local = "repository" in host.groups and spec.s3 is None
    directory(name="retention passwords directory", path=layout.RETENTION_DIR, user=USER, group=USER, mode="0700")
    config = layout.retention_config(p, host.name)
    for entry in config["repositories"]:
        secret_file(
            f"repository password of {entry['job']}",
            credentials.repository_password(store, entry["job"]), entry["password_file"],
            user=USER, group=USER, mode="0400",
        )
    stale_secrets(layout.RETENTION_DIR, {e["password_file"] for e in config["repositories"]}, "a repository password")
    units = [
        put(name="retention settings", src=StringIO(json.dumps(config, indent=2) + "\n"),
            dest=f"{layout.CONFIG_DIR}/retention.json", mode="0644"),
        put(name="retention service", dest="/etc/systemd/system/ikzops-retention.service", mode="0644",
            src=StringIO(templates.render("backup/ikzops-retention.service.j2", host=host.name, agent_dir=layout.AGENT_DIR,
                                             repositories=spec.path if local else "",
                                             gateways=any(e.get("url") for e in config["repositories"])))),
        put(name="retention timer", dest="/etc/systemd/system/ikzops-retention.timer", mode="0644",
            src=StringIO(templates.render("backup/ikzops-retention.timer.j2", schedule="*-*-* 03:30:00"))),
    ]
    systemd.daemon_reload(name="systemd reload (retention units changed)", _if=any_changed(*units))
    systemd.service(name="retention timer enabled", service="ikzops-retention.timer", running=True, enabled=True)


@deploy("ikzops: verify and drills")
def verify_and_drills() -> None:
    """What ``verify`` and ``drill`` need on a host that maintains repositories (they run there over SSH)."""
    p = partnership()
    maintained = layout.maintained_on(p, host.name)
    if "repository" not in host.groups and not maintained:
        return
    directory(name="restic cache for verify and drills", path=layout.RESTIC_CACHE, user=USER, group=USER, mode="0700")
    directory(name="verify state (check cursors)", path=layout.VERIFY_STATE, mode="0700")
    if any(job.spec.hooks.postgresql for job, _ in maintained):
        directory(name="postgresql-common settings", path="/etc/postgresql-common/createcluster.d", mode="0755")
        put(name="no default cluster (drills start their own)", dest="/etc/postgresql-common/createcluster.d/ikzops.conf",
            src=StringIO("# ikzops: drills start a private scratch server; no default cluster\ncreate_main_cluster = false\n"),
            mode="0644")
        apt.packages(name="Install PostgreSQL server binaries for restore drills", packages=["postgresql"])
