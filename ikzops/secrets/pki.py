"""The partnership's small CA: it signs each repository host's TLS certificate; clients trust it.

Everything lives in the control host's secret store (keys mode 0600). A server
certificate is issued once and reissued only when its names change or it expires
within 30 days, so repeated deploys upload nothing new.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ikzops.secrets.store import SecretStore
from ikzops.state import write_secret

CA_DAYS = 3650
SERVER_DAYS = 397
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class ServerCertificate:
    certificate: str
    key: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def ca(store: SecretStore, partnership: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = store.path("tls", "ca.crt"), store.path("tls", "ca.key")
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if _has(cert, x509.SubjectKeyIdentifier):  # older CAs without key ids are replaced
            return cert, key  # type: ignore[return-value]
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"ikzops partnership {partnership}"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"ikzops {partnership} CA"),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(minutes=5))
        .not_valid_after(_now() + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    write_secret(key_path, _key_pem(key))
    write_secret(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def ca_certificate(store: SecretStore, partnership: str) -> str:
    cert, _ = ca(store, partnership)
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _alt_names(names: list[str]) -> list[x509.GeneralName]:
    alt: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    return alt


def server_certificate(store: SecretStore, partnership: str, host: str, names: list[str]) -> ServerCertificate:
    cert_path, key_path = store.path("tls", f"{host}.crt"), store.path("tls", f"{host}.key")
    wanted = _alt_names(names)
    ca_cert, ca_key = ca(store, partnership)
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        current = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        if (set(current) == set(wanted) and cert.not_valid_after_utc - _now() > RENEW_BEFORE
                and _issued_by(cert, ca_cert)):
            return ServerCertificate(cert_path.read_text(), key_path.read_text())
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(minutes=5))
        .not_valid_after(_now() + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(wanted), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    write_secret(key_path, _key_pem(key))
    write_secret(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return ServerCertificate(cert_path.read_text(), key_path.read_text())


def _has(cert: x509.Certificate, extension: type) -> bool:
    try:
        cert.extensions.get_extension_for_class(extension)
    except x509.ExtensionNotFound:
        return False
    return True


def _issued_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    """Signed by this CA, with the key identifiers strict verifiers (Python 3.13) demand."""

    if not _has(cert, x509.AuthorityKeyIdentifier):
        return False
    key_id = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    return key_id == ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
