"""A bucket of an S3 gateway, opened as restic's repository URL names it
(``s3:https://host:port/bucket``), with keys read from their files; Debian's python3-boto3,
on the hosts that maintain buckets (imported only there)."""

from __future__ import annotations


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
