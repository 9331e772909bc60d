from cryptography import x509

from ikzops.secrets import pki
from ikzops.secrets.store import SecretStore


def test_server_certificate_carries_the_key_ids_strict_verifiers_need(tmp_path):
    # Python 3.13 (the hosts' python3) verifies with VERIFY_X509_STRICT: no key ids, no trust
    store = SecretStore("t", root=tmp_path)
    cert = x509.load_pem_x509_certificate(pki.server_certificate(store, "t", "repo1", ["repo1", "10.0.0.1"]).certificate.encode())
    ca = x509.load_pem_x509_certificate(store.path("tls", "ca.crt").read_bytes())
    authority = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    assert authority == ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["repo1"]
    cert.verify_directly_issued_by(ca)


def test_certificate_is_reused_until_its_names_change(tmp_path):
    store = SecretStore("t", root=tmp_path)
    first = pki.server_certificate(store, "t", "repo1", ["repo1", "10.0.0.1"])
    assert pki.server_certificate(store, "t", "repo1", ["10.0.0.1", "repo1"]) == first
    assert pki.server_certificate(store, "t", "repo1", ["repo1", "10.0.0.2"]) != first


def test_ca_and_keys_are_kept_mode_0600(tmp_path):
    store = SecretStore("t", root=tmp_path)
    pki.server_certificate(store, "t", "repo1", ["repo1"])
    for name in ("ca.key", "repo1.key"):
        assert store.path("tls", name).stat().st_mode & 0o777 == 0o600
