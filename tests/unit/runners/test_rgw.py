"""The S3 gateway runner's failures, as people read them (no gateway: a closed port, an empty store)."""

from __future__ import annotations

import socket

import pytest

from ikzops.errors import ConfigError, ExitCode, UnreachableError
from ikzops.runners import rgw
from ikzops.secrets import s3 as s3_keys
from ikzops.secrets.store import SecretStore


def test_a_gateway_that_is_down_is_unreachable_with_what_was_asked():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = rgw.Gateway(f"https://127.0.0.1:{port}", s3_keys.Keys("id", "secret"), "default",
                          "/etc/ssl/certs/ca-certificates.crt")
    with pytest.raises(UnreachableError) as failed:
        gateway.user("lab-partner-a")
    assert failed.value.exit_code == ExitCode.UNREACHABLE and "to read user lab-partner-a" in failed.value.message


def test_missing_admin_keys_name_the_two_files_to_fill(tmp_path):
    with pytest.raises(ConfigError) as failed:
        s3_keys.admin(SecretStore("lab", root=tmp_path), "state-repo")
    assert "s3/state-repo/admin.access" in failed.value.hint and "admin.secret" in failed.value.hint
