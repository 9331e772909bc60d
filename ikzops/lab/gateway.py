"""The lab's S3 gateway: a single-node Ceph with radosgw on the host a repository's
``ikz_repository.s3.endpoint`` names, as its operator would hand it to ikzops.

``lab up`` gives it a TLS certificate of the partnership's CA, bootstraps Ceph from
Debian's packages (``templates/lab/ceph-bootstrap.sh``: mon, mgr, one OSD with BlueStore
on a sparse file, radosgw), waits until S3 answers, and makes the admin user ikzops works
as; its keys go to the secret store (``s3/<repository host>/admin.*``), as a production
operator would put them there.
"""

from __future__ import annotations

import json
import socket
import ssl
import time

from ikzops import execute, layout
from ikzops.errors import UnreachableError
from ikzops.lab import docker
from ikzops.lab.images import CEPH_BOOTSTRAP
from ikzops.lab.topology import LabHost
from ikzops.model.buckets import endpoint_address, s3_of
from ikzops.model.partnership import Partnership
from ikzops.secrets import pki
from ikzops.secrets import s3 as s3_keys
from ikzops.secrets.store import SecretStore

ADMIN_UID = "ikzops-admin"
ADMIN_CAPS = "users=*;buckets=*;usage=read;metadata=read"
RGW_TLS_DIR = "/etc/ceph/rgw"


def served_by(p: Partnership, host: LabHost) -> list[tuple[str, int]]:
    """(repository host, port) of every repository whose gateway ``host`` stands in for."""

    names = set(layout.server_names(p.hosts[host.name]))
    found = []
    for repo in p.hosts_with("repository"):
        spec = s3_of(repo)
        if spec is not None and endpoint_address(spec)[0] in names:
            found.append((repo.name, endpoint_address(spec)[1]))
    return found


def bring_up(p: Partnership, host: LabHost, timeout: float = 180) -> str:
    """Ceph and radosgw on ``host``, answering S3 over TLS; the admin keys in the store."""

    served = served_by(p, host)
    ports = {port for _, port in served}
    if len(ports) != 1:
        raise UnreachableError(f"lab gateway {host.name}: its repositories name ports {sorted(ports)}; the lab runs one")
    port = ports.pop()
    store = SecretStore(p.name)
    cert = pki.server_certificate(store, p.name, host.name, layout.server_names(p.hosts[host.name]))
    _write(host, f"{RGW_TLS_DIR}/rgw.crt", cert.certificate, "0644")
    _write(host, f"{RGW_TLS_DIR}/rgw.key", cert.key, "0600")
    execute.run(docker.exec_in(host.container, CEPH_BOOTSTRAP, host.address, str(port),
                               purpose=f"bootstrap Ceph on {host.name}"), timeout=timeout)
    _wait_for_s3(p, store, host, port, timeout)
    keys = _admin_keys(host)
    for repo_host, _ in served:
        s3_keys.save(store, repo_host, s3_keys.ADMIN, keys)
    return f"{host.name}:{port}"


def _write(host: LabHost, path: str, content: str, mode: str) -> None:
    script = f"install -d -m 0755 {RGW_TLS_DIR} && umask 077 && cat > {path} && chmod {mode} {path}"
    execute.run(docker.exec_in(host.container, "sh", "-c", script, stdin=content, purpose=f"write {path} on {host.name}"))


def _wait_for_s3(p: Partnership, store: SecretStore, host: LabHost, port: int, timeout: float) -> None:
    context = ssl.create_default_context(cadata=pki.ca_certificate(store, p.name))
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host.address, port), timeout=3) as raw:
                with context.wrap_socket(raw, server_hostname=host.address):
                    return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise UnreachableError(f"the lab's S3 gateway on {host.name}:{port} did not answer within "
                                       f"{timeout:.0f} s: {exc}", hint=f"docker exec {host.container} ceph -s") from None
            time.sleep(1)


def _admin_keys(host: LabHost) -> s3_keys.Keys:
    """The admin user's keys (made once: ``radosgw-admin`` on the gateway itself)."""

    info = execute.run(docker.exec_in(host.container, "radosgw-admin", "user", "info", f"--uid={ADMIN_UID}"), check=False)
    if info.returncode != 0:
        info = execute.run(docker.exec_in(host.container, "radosgw-admin", "user", "create", f"--uid={ADMIN_UID}",
                                          "--display-name=ikzops (lab)", f"--caps={ADMIN_CAPS}",
                                          purpose=f"make ikzops' admin user on {host.name}"))
    key = json.loads(info.stdout)["keys"][0]
    return s3_keys.Keys(key["access_key"], key["secret_key"])
