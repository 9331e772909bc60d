"""Credential faults, for real: a wrong repository password, a wrong REST password, a server
certificate that is expired or from no CA of the partnership. Each fails with a message that
names it; the repositories keep every byte; the next run with the right secret catches up."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ikzops import layout
from ikzops.cli import cli
from ikzops.errors import ExitCode
from ikzops.secrets import pki
from ikzops.secrets.store import SecretStore
from tests.faults.lab.breakage import altered, catch_up, last_run, sh
from tests.lab.helpers import LAB, rest_servers

pytestmark = pytest.mark.fault("credential")


def backup(job: str):
    return CliRunner().invoke(cli, ["backup", "-i", LAB, "--job", job])


def test_wrong_repository_password_fails_both_sites_with_that_reason(p, ledger, fault):
    before = ledger.take(("district-files",))
    with altered(p, "district-app", f"{layout.JOB_CONFIG_DIR}/district-files/repository.password",
                 content="not-the-key\n"):
        result = backup("district-files")
    assert result.exit_code == ExitCode.FINDING, result.output
    report = last_run(p, "district-files")
    assert report["error"] == "no destination got the backup"
    assert all("wrong repository password" in d["error"] for d in report["destinations"].values()), report
    catch_up("district-files")
    fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0


def test_wrong_rest_password_is_refused_by_both_servers_with_401(p, ledger, fault):
    before = ledger.take(("district-files",))
    with altered(p, "district-app", layout.REST_PASSWORD_FILE, content="guessed\n"):
        result = backup("district-files")
    assert result.exit_code == ExitCode.FINDING, result.output
    errors = [d["error"] for d in last_run(p, "district-files")["destinations"].values()]
    assert all("refused this client's credentials" in e for e in errors), errors
    catch_up("district-files")
    fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0


def certificate(p, *, expired: bool) -> tuple[str, str]:
    """A server certificate for city-san: expired but from the partnership's CA, or valid but self-signed."""

    key = ec.generate_private_key(ec.SECP256R1())
    host = p.repository_host("city")
    now = dt.datetime.now(dt.UTC)
    if expired:
        issuer_cert, issuer_key = pki.ca(SecretStore(p.name), p.name)
        issuer = issuer_cert.subject
        valid = (now - dt.timedelta(days=30), now - dt.timedelta(days=1))
    else:
        issuer_key, issuer = key, x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "an attacker's CA")])
        valid = (now - dt.timedelta(days=1), now + dt.timedelta(days=30))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host.name)]))
        .issuer_name(issuer).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(valid[0]).not_valid_after(valid[1])
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host.name), x509.IPAddress(
            ipaddress.ip_address(host.address))]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


@pytest.mark.parametrize("expired", [True, False], ids=["expired", "untrusted"])
def test_bad_server_certificate_fails_that_site_with_the_reason_and_no_data_is_sent(p, ledger, fault, expired):
    before = ledger.take(("district-files",))
    cert, key = certificate(p, expired=expired)
    tls = "/etc/restic-rest-server/tls"
    # the server restarts once both files are in place, on the way in and on the way out
    restart = f"systemctl restart {rest_servers(p, 'city-san')} && sleep 1"
    with altered(p, "city-san", f"{tls}/server.key", content=key, then=restart):
        with altered(p, "city-san", f"{tls}/server.crt", content=cert):
            sh(p, "city-san", restart)
            result = backup("district-files")
    assert result.exit_code == ExitCode.FINDING, result.output
    report = last_run(p, "district-files")
    error = report["destinations"]["city"]["error"]
    assert f"TLS certificate of 172.30.77.11:{layout.rest_port(p, 'district')} is not trusted" in error, error
    assert ("expired" in error) if expired else ("self-signed" in error or "issuer" in error), error
    assert report["destinations"]["district"]["ok"] is True
    catch_up("district-files")
    fault.lost_bytes = ledger.lost_since(before)
    assert fault.lost_bytes == 0
