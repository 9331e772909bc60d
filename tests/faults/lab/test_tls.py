"""A downgrade, for real: every TLS endpoint ikzops deploys refuses TLS 1.0 and 1.1 (BSI
TR-02102-2 allows 1.2 and 1.3 only) — one real handshake per version. The probe itself is
proven able to speak every version against a local server that allows them all, so a
refusal is the server's, not the probe's."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ikzops import layout
from ikzops.runners import restore_server

pytestmark = pytest.mark.fault("attack")

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    VERSIONS = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
                "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def _context(version: ssl.TLSVersion, purpose: int) -> ssl.SSLContext:
    context = ssl.SSLContext(purpose)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = context.maximum_version = version
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # old versions need old ciphers: offer them
    return context


def handshake(address: str, port: int, version: str) -> str | None:
    """The version a server agrees to when offered only ``version``; None when it refuses."""

    context = _context(VERSIONS[version], ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with socket.create_connection((address, port), timeout=10) as raw, context.wrap_socket(raw) as tls:
            return tls.version()
    except ssl.SSLError:
        return None


@pytest.fixture(scope="module")
def permissive_server(tmp_path_factory):
    """A local TLS server that allows 1.0 to 1.3: proves the probe can offer each."""

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "probe")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    context = _context(ssl.TLSVersion.MINIMUM_SUPPORTED, ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version, context.maximum_version = ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(connection, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                connection.close()

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def test_the_probe_speaks_every_version_to_a_server_that_allows_it(permissive_server):
    agreed = {v: handshake("127.0.0.1", permissive_server, v) for v in VERSIONS}
    assert agreed == {"1.0": "TLSv1", "1.1": "TLSv1.1", "1.2": "TLSv1.2", "1.3": "TLSv1.3"}


@pytest.mark.parametrize("host", ["city-san", "district-san"])
def test_repository_server_refuses_tls_below_1_2(p, backed_up, permissive_server, host):
    address = p.hosts[host].address
    agreed = {v: handshake(address, layout.rest_port(p, p.hosts[host].site), v) for v in VERSIONS}
    assert agreed == {"1.0": None, "1.1": None, "1.2": "TLSv1.2", "1.3": "TLSv1.3"}


def test_restore_server_refuses_tls_below_1_2(p, backed_up, permissive_server):
    destination = layout.destination(p, p.jobs["city-files"], "district")
    host = p.hosts[destination.host]
    with restore_server.serving(host, destination.path, "tlsprobe") as served:
        assert not served.error, served.error
        port = int(served.url.rsplit(":", 1)[1].strip("/"))
        agreed = {v: handshake(host.address, port, v) for v in VERSIONS}
    assert agreed == {"1.0": None, "1.1": None, "1.2": "TLSv1.2", "1.3": "TLSv1.3"}


@pytest.mark.parametrize(("host", "port"), [("district-san", 9100), ("city-mon", 9090), ("city-mon", 9093)],
                         ids=["node_exporter", "prometheus", "alertmanager"])
def test_monitoring_endpoints_refuse_tls_below_1_2(p, backed_up, permissive_server, host, port):
    agreed = {v: handshake(p.hosts[host].address, port, v) for v in VERSIONS}
    assert agreed == {"1.0": None, "1.1": None, "1.2": "TLSv1.2", "1.3": "TLSv1.3"}
