"""The lab of many (inventories/shared_dc.py) for the tests that use it (tests/lab/test_shared_dc.py,
tests/faults/lab/test_s3.py): the inventory, the CLI against it, and its S3 gateway as each
identity ikzops created there sees it."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner

from ikzops.cli import cli
from ikzops.errors import UnreachableError
from ikzops.model import buckets
from ikzops.runners import rgw
from ikzops.secrets import s3 as s3_keys
from ikzops.secrets.store import SecretStore
from tests.lab.helpers import ROOT

SHARED_DC = str(ROOT / "inventories/shared_dc.py")
GATEWAY_PORT = 7480
TOWN_BUCKET = "s3:https://172.30.78.31:7480/shared-dc-town-files"


def ikzops(command: str, *args: str):
    """``ikzops COMMAND -i inventories/shared_dc.py ARGS`` (COMMAND may be two words)."""
    return CliRunner().invoke(cli, [*command.split(), "-i", SHARED_DC, *args])


def gateway(p):
    return rgw.gateway(p, "state-repo")


def as_user(p, uid: str):
    """An S3 client with ``uid``'s keys, as ikzops stored them (a client's are also on its host)."""
    return gateway(p).s3(s3_keys.keys(SecretStore(p.name), "state-repo", uid))


def denied(call) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"]


def wait_for_the_gateway(p, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            gateway(p).user(buckets.partner_user(p, "town"))
            return
        except UnreachableError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
