"""A bucket of an S3 gateway, opened as restic's repository URL names it
(``s3:https://host:port/bucket``), with keys read from their files; Debian's python3-boto3,
on the hosts that maintain buckets (imported only there).

``python3 -m ikzops_agent.bucket arrivals URL CACERT KEY_FILE SECRET_FILE`` prints when the
gateway stored each snapshot of the bucket (``{"arrived": {id: ISO time}}``, or
``{"error": ...}`` and exit 2): what a snapshot file's mtime is on a rest-server's disk.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import UTC, datetime


def read_key(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


def open_bucket(url: str, cacert: str | None, key_file: str, secret_file: str, connections: int = 10):
    """(an S3 client, the bucket's name)."""

    import boto3
    from botocore.config import Config

    endpoint, _, name = url.removeprefix("s3:").rpartition("/")
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=read_key(key_file),
                          aws_secret_access_key=read_key(secret_file), verify=cacert or True,
                          config=Config(s3={"addressing_style": "path"}, max_pool_connections=connections))
    return client, name


@contextmanager
def gateway_errors(what: str):
    """The gateway's refusals and failures as OSError, like a file's (one message, no traceback)."""

    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise OSError(f"the gateway would not {what}: {error.get('Code', '?')} {error.get('Message', '')}".strip()) from None
    except BotoCoreError as exc:
        raise OSError(f"the gateway would not {what}: {exc}") from None


def objects(client, name: str, prefix: str, what: str):
    """``(file name, the gateway's listing entry)`` of every object below ``prefix``; its
    refusals and failures as :func:`gateway_errors` (``what``: what was asked)."""

    with gateway_errors(what):
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"].rsplit("/", 1)[-1], item


def arrivals(url: str, cacert: str | None, key_file: str, secret_file: str) -> dict[str, datetime]:
    """``{snapshot id: when the gateway stored it}`` (``LastModified``, which no client sets)."""

    client, name = open_bucket(url, cacert, key_file, secret_file)
    return {key: item["LastModified"].astimezone(UTC)
            for key, item in objects(client, name, "snapshots/", "list the snapshots")}


def main(argv: list[str]) -> int:
    if len(argv) != 5 or argv[0] != "arrivals":
        print(json.dumps({"error": "usage: python3 -m ikzops_agent.bucket arrivals URL CACERT KEY_FILE SECRET_FILE"}))
        return 2
    url, cacert, key_file, secret_file = argv[1:]
    try:
        found = arrivals(url, cacert or None, key_file, secret_file)
    except OSError as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    print(json.dumps({"arrived": {key: when.isoformat(timespec="seconds") for key, when in found.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
