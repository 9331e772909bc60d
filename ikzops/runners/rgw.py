"""One S3 gateway (Ceph RGW), as its admin and as a bucket owner: users, keys, quotas
(RGW's admin API, signed with SigV4 by botocore) and buckets, Object Lock, policies,
lifecycle (S3, through boto3).

Keys are made by the gateway (``generate-key``) and read back from its answer: a secret
never travels in a URL, which the gateway would log.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request

import boto3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError

from ikzops.errors import ConfigError, UnreachableError
from ikzops.model.buckets import s3_of
from ikzops.model.partnership import Partnership
from ikzops.secrets import pki
from ikzops.secrets import s3 as s3_keys
from ikzops.secrets.s3 import Keys
from ikzops.secrets.store import SecretStore
from ikzops.state import write_file

TIMEOUT = 30

class Gateway:
    def __init__(self, endpoint: str, admin: Keys, region: str, cafile: str) -> None:
        self.endpoint, self.admin_keys, self.region, self.cafile = endpoint.rstrip("/"), admin, region, cafile
        self.context = ssl.create_default_context(cafile=cafile)

    # --- the admin API
    def _admin(self, method: str, params: dict[str, str | None], what: str, resource: str = "user") -> dict | None:
        query = "&".join(k if v is None else f"{k}={urllib.parse.quote(str(v), safe='')}" for k, v in params.items())
        url = f"{self.endpoint}/admin/{resource}?{query}"
        signed = AWSRequest(method=method, url=url)
        S3SigV4Auth(Credentials(self.admin_keys.access, self.admin_keys.secret), "s3", self.region).add_auth(signed)
        request = urllib.request.Request(url, method=method, headers=dict(signed.headers))
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=TIMEOUT) as answer:
                body = answer.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and method == "GET":
                return None
            code = _code(exc.read())
            if exc.code in (401, 403):
                raise ConfigError(f"{self.endpoint} refused ikzops' admin credentials ({exc.code} {code}) to {what}",
                                  hint="the admin user needs the caps users=*;buckets=*;usage=read") from None
            raise ConfigError(f"{self.endpoint} could not {what}: {exc.code} {code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise UnreachableError(f"cannot reach the S3 gateway {self.endpoint} to {what}: "
                                   f"{getattr(exc, 'reason', exc)}") from None
        return json.loads(body) if body else {}

    def user(self, uid: str) -> dict | None:
        return self._admin("GET", {"uid": uid}, f"read user {uid}")

    def create_user(self, uid: str, display_name: str, max_buckets: int) -> dict:
        return self._admin("PUT", {"uid": uid, "display-name": display_name, "generate-key": "true",
                                   "max-buckets": str(max_buckets)}, f"create user {uid}") or {}

    def new_key(self, uid: str) -> list[dict]:
        return self._admin("PUT", {"key": None, "uid": uid, "generate-key": "true"}, f"make a key for {uid}") or []

    def add_caps(self, uid: str, caps: str) -> None:
        self._admin("PUT", {"caps": None, "uid": uid, "user-caps": caps}, f"grant {uid} {caps}")

    def set_quota(self, uid: str, max_size: int | None) -> None:
        self._admin("PUT", {"quota": None, "uid": uid, "quota-type": "user",
                            "max-size": str(max_size if max_size is not None else -1), "max-objects": "-1",
                            "enabled": "true" if max_size is not None else "false"}, f"set the quota of {uid}")

    def bucket_bytes(self, name: str) -> int | None:
        """What bucket ``name`` stores, as the gateway accounts it (what counts against the quota)."""

        found = self._admin("GET", {"bucket": name, "stats": "true"}, f"read the size of bucket {name}", "bucket")
        if found is None:
            return None
        return _stored(found)

    # --- S3, as a bucket owner
    def s3(self, keys: Keys):
        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=keys.access, aws_secret_access_key=keys.secret,
            region_name=self.region, verify=self.cafile,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}, connect_timeout=TIMEOUT,
                          request_checksum_calculation="when_required", response_checksum_validation="when_required"),
        )


def _stored(bucket: dict) -> int:
    return sum(int(usage.get("size_actual", 0)) for usage in (bucket.get("usage") or {}).values())


def overwritten(client, name: str, skip: str) -> list[dict]:
    """The objects of bucket ``name`` (outside ``skip``) stored more than once: written again
    over an earlier version (which versioning and Object Lock keep). restic names every file
    by its content's hash and never writes one twice, so each is an overwrite to look at."""

    versions: dict[str, list[dict]] = {}
    for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
        for version in page.get("Versions", []):
            if not version["Key"].startswith(skip):
                versions.setdefault(version["Key"], []).append(version)
    return [{"key": key, "versions": len(found),
             "latest": max(v["LastModified"] for v in found).isoformat(timespec="seconds")}
            for key, found in sorted(versions.items()) if len(found) > 1]


def gateway(p: Partnership, repo_host: str) -> Gateway:
    """The S3 gateway of ``repo_host``'s site, as ikzops' admin user there (a ConfigError
    naming the files when its credentials are not in the secret store)."""

    spec = s3_of(p.hosts[repo_host])
    store = SecretStore(p.name)
    cafile = store.path("tls", "ca.crt")
    if not cafile.exists():
        write_file(cafile, pki.ca_certificate(store, p.name))
    return Gateway(spec.endpoint, s3_keys.admin(store, repo_host), spec.region, str(cafile))


def _code(body: bytes) -> str:
    try:
        return json.loads(body).get("Code", "")
    except ValueError:
        return body.decode(errors="replace")[:200]


def s3_error(exc: Exception, endpoint: str, what: str) -> Exception:
    """A boto3 failure as ikzops' error: unreachable (exit 3) or a refusal (exit 2)."""

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return ConfigError(f"{endpoint} refused to {what}: {error.get('Code', '')} {error.get('Message', '')}".strip())
    return UnreachableError(f"cannot reach the S3 gateway {endpoint} to {what}: {exc}")


S3_ERRORS = (ClientError, BotoCoreError)
