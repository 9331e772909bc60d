"""The S3 side of ``ikzops deploy``: every S3 gateway a site keeps its repositories on, made
to match the model before pyinfra runs (pyinfra then puts the keys on the hosts).

Per gateway (:mod:`ikzops.model.buckets` names everything):

* each partner whose jobs land there: an RGW user owning its buckets, with its quota;
* each client of those jobs: an RGW user that may create no bucket;
* each job: a bucket with Object Lock (its default retention), a policy that lets the client
  add and read but delete only its lock files, and a lifecycle that expires what retention
  forgot once its lock has ended.

Each item is read first and changed only when it differs (a second deploy changes nothing);
``--dry`` reads and reports, and changes nothing. A gateway that does not answer is named
and skipped: the other gateways and every host are still deployed (the hosts keep the keys
they have), and the deploy ends with exit 3 as for a host it could not reach.
"""

from __future__ import annotations

import json

from ikzops.errors import ConfigError, UnreachableError
from ikzops.model import buckets
from ikzops.model.partnership import Partnership
from ikzops.model.quotas import quotas
from ikzops.runners import rgw
from ikzops.runners.pyinfra import Operation
from ikzops.secrets import s3 as s3_keys
from ikzops.secrets.store import SecretStore

#: a partner's user may own this many buckets (one per job)
PARTNER_BUCKETS = 1000


def provision(p: Partnership, *, dry: bool) -> tuple[list[Operation], dict[str, str]]:
    """Make every S3 gateway of ``p`` match it: one operation per item, changed or not, and
    per repository host whose gateway did not answer, why."""

    store = SecretStore(p.name)
    operations: list[Operation] = []
    down: dict[str, str] = {}
    for host in p.hosts_with("repository"):
        spec = buckets.s3_of(host)
        if spec is None or not p.jobs_landing_on(host.name):
            continue
        try:
            operations += _Provisioner(p, host.name, rgw.gateway(p, host.name), store, dry).run()
        except UnreachableError as exc:
            down[host.name] = (f"{exc.message}: its users, quotas and buckets were not checked (the hosts keep the "
                               "S3 keys they have; deploy again once it answers)")
    return operations, down


class _Provisioner:
    def __init__(self, p: Partnership, repo_host: str, gateway: rgw.Gateway, store: SecretStore, dry: bool) -> None:
        self.p, self.repo_host, self.gateway, self.store, self.dry = p, repo_host, gateway, store, dry
        self.spec = buckets.s3_of(p.hosts[repo_host])
        self.operations: list[Operation] = []

    def _done(self, item: str, changed: bool) -> None:
        where = (self.repo_host,)
        self.operations.append(Operation(f"S3 {self.spec.endpoint}: {item}", where if changed else (),
                                         () if changed else where))

    def run(self) -> list[Operation]:
        jobs = self.p.jobs_landing_on(self.repo_host)
        for partner, quota in quotas(self.p, self.repo_host).items():
            uid = buckets.partner_user(self.p, partner)
            self._user(uid, f"partner {partner}: {self.p.partners[partner].name}", PARTNER_BUCKETS)
            self._quota(uid, partner, quota)
        for client in sorted({job.client for job in jobs}):
            self._user(buckets.client_user(self.p, client), f"client {client}", -1)
        usage = buckets.usage_user(self.p)
        self._user(usage, "ikzops: reads every partner's usage (quota alerts)", -1)
        self._caps(usage, buckets.USAGE_CAPS)
        for job in jobs:
            self._bucket(job)
        return self.operations

    def _user(self, uid: str, display_name: str, max_buckets: int) -> None:
        found = self.gateway.user(uid)
        stored = s3_keys.keys(self.store, self.repo_host, uid)
        if found is None:
            if not self.dry:
                made = self.gateway.create_user(uid, display_name, max_buckets)
                self._keep_key(uid, made.get("keys") or [])
            self._done(f"user {uid} created", True)
            return
        if stored is not None and any(k.get("access_key") == stored.access for k in found.get("keys") or []):
            self._done(f"user {uid}", False)
            return
        # the store lost the keys, or the gateway no longer has them: a new key, stored
        if not self.dry:
            self._keep_key(uid, self.gateway.new_key(uid), known={k.get("access_key") for k in found.get("keys") or []})
        self._done(f"user {uid}: new key (the stored one is unknown to the gateway)", True)

    def _caps(self, uid: str, caps: str) -> None:
        found = {(c.get("type"), c.get("perm")) for c in (self.gateway.user(uid) or {}).get("caps") or []}
        wanted = {tuple(cap.split("=", 1)) for cap in caps.split(";")}
        if not wanted <= found and not self.dry:
            self.gateway.add_caps(uid, caps)
        self._done(f"user {uid}: caps {caps}", not wanted <= found)

    def _keep_key(self, uid: str, listed: list[dict], known: set[str] = frozenset()) -> None:
        fresh = [k for k in listed if k.get("user") == uid and k.get("access_key") not in known] or listed
        if not fresh:
            raise ConfigError(f"{self.spec.endpoint} made user {uid} but returned no key")
        s3_keys.save(self.store, self.repo_host, uid, s3_keys.Keys(fresh[-1]["access_key"], fresh[-1]["secret_key"]))

    def _quota(self, uid: str, partner: str, quota: int | None) -> None:
        found = (self.gateway.user(uid) or {}).get("user_quota") or {}
        want_enabled = quota is not None
        matches = bool(found.get("enabled")) == want_enabled and (not want_enabled or found.get("max_size") == quota)
        if not matches and not self.dry:
            self.gateway.set_quota(uid, quota)
        limit = "none" if quota is None else f"{quota} bytes"
        self._done(f"quota of {partner} ({limit})", not matches)

    def _bucket(self, job) -> None:
        name, owner_uid = buckets.bucket(self.p, job), buckets.partner_user(self.p, job.owner)
        owner = s3_keys.keys(self.store, self.repo_host, owner_uid)
        if owner is None:  # a dry run before the owner's user exists: everything of the bucket is new
            self._done(f"bucket {name} created (Object Lock, policy, lifecycle)", True)
            return
        client = self.gateway.s3(owner)
        try:
            self._bucket_as_owner(client, job, name)
        except rgw.S3_ERRORS as exc:
            raise rgw.s3_error(exc, self.spec.endpoint, f"set up bucket {name}") from None

    def _bucket_as_owner(self, client, job, name: str) -> None:
        owner_uid = buckets.partner_user(self.p, job.owner)
        try:
            client.head_bucket(Bucket=name)
            exists = True
        except rgw.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise
            exists = False
        if not exists:
            if not self.dry:
                client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
            self._done(f"bucket {name} created with Object Lock", True)
            if self.dry:
                return
        lock, policy, lifecycle = (buckets.lock_configuration(self.spec),
                                   buckets.policy(name, buckets.client_user(self.p, job.client), owner_uid),
                                   buckets.lifecycle(self.spec))
        current = client.get_object_lock_configuration(Bucket=name).get("ObjectLockConfiguration", {})
        self._apply(current == lock, f"bucket {name}: Object Lock {self.spec.object_lock_mode} "
                                     f"{self.spec.lock_days} days",
                    lambda: client.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=lock))
        current_policy = _policy(client, name)
        self._apply(current_policy == policy, f"bucket {name}: policy (client {job.client} adds, never deletes)",
                    lambda: client.put_bucket_policy(Bucket=name, Policy=json.dumps(policy)))
        current_rules = _lifecycle(client, name)
        self._apply(current_rules == lifecycle["Rules"], f"bucket {name}: lifecycle (forgotten versions expire "
                                                         f"after {self.spec.lock_days + 1} days)",
                    lambda: client.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration=lifecycle))

    def _apply(self, matches: bool, item: str, change) -> None:
        if not matches and not self.dry:
            change()
        self._done(item, not matches)


def _policy(client, name: str) -> dict | None:
    try:
        return json.loads(client.get_bucket_policy(Bucket=name)["Policy"])
    except rgw.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucketPolicy":
            return None
        raise


def _lifecycle(client, name: str) -> list | None:
    try:
        return client.get_bucket_lifecycle_configuration(Bucket=name).get("Rules")
    except rgw.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchLifecycleConfiguration":
            return None
        raise
