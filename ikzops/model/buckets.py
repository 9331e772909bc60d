"""Where a site keeps its repositories on an S3 gateway (Ceph RGW): the names (the one home
of the rule) and what makes them impossible.

* per partner whose jobs land there, an RGW user that owns the partner's buckets and
  carries its quota: ``<partnership>-partner-<partner>``;
* per client, an RGW user that may add to its jobs' buckets and read them, nothing else:
  ``<partnership>-client-<client>``;
* per job, a bucket: ``<partnership>-<job>`` (S3 bucket names: 3-63 characters).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from ikzops.model.partnership import Host, Job, Partnership
from ikzops.model.schema import S3Spec

BUCKET_MAX = 63
S3_PORT = 443


def s3_of(host: Host) -> S3Spec | None:
    """The S3 gateway that holds ``host``'s repositories (None: its own disk, served by rest-servers)."""

    return host.repository.s3 if host.repository is not None else None


def bucket(p: Partnership, job: Job) -> str:
    return f"{p.name}-{job.name}"


def partner_user(p: Partnership, partner: str) -> str:
    return f"{p.name}-partner-{partner}"


def client_user(p: Partnership, client: str) -> str:
    return f"{p.name}-client-{client}"


def usage_user(p: Partnership) -> str:
    """The user that reads every partner's usage on a gateway (admin caps ``users=read;buckets=read``:
    statistics, no object): the repository host samples the quotas with it."""

    return f"{p.name}-usage"


#: the admin caps of :func:`usage_user`
USAGE_CAPS = "users=read;buckets=read"


def endpoint_address(spec: S3Spec) -> tuple[str, int]:
    """The gateway's host name and port."""

    parts = urlsplit(spec.endpoint)
    return parts.hostname or "", parts.port or S3_PORT


def problems(p: Partnership) -> Iterator[tuple[tuple, str]]:
    """(path, message) for every bucket name S3 would refuse."""

    for host in p.hosts_with("repository"):
        if s3_of(host) is None:
            continue
        for job in p.jobs_landing_on(host.name):
            name = bucket(p, job)
            if len(name) > BUCKET_MAX:
                yield (("ikz_jobs", job.name),
                       f"its bucket on {host.name}'s S3 gateway would be {name!r} ({len(name)} characters): S3 "
                       f"allows {BUCKET_MAX}; shorten the job's or the partnership's name")


#: where restic keeps its lock files: the one prefix a client may delete in
LOCKS_PREFIX = "locks/"


def policy(name: str, client_uid: str, owner_uid: str) -> dict:
    """The bucket policy of a job's bucket: its client may add objects and read them, and
    delete only its own lock files; the owner may do everything with every object (S3 makes
    the client that wrote an object its owner, so the bucket's owner is granted it here).
    Overwriting is no threat restic does not already see (objects are named by their hash),
    and Object Lock keeps every earlier version."""

    client = {"AWS": [f"arn:aws:iam:::user/{client_uid}"]}
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "OwnerKeepsEverything", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam:::user/{owner_uid}"]},
         "Action": ["s3:*"], "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]},
        {"Sid": "ClientAddsAndReads", "Effect": "Allow", "Principal": client,
         "Action": ["s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
         "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]},
        {"Sid": "ClientRemovesItsLocks", "Effect": "Allow", "Principal": client,
         "Action": ["s3:DeleteObject"], "Resource": [f"arn:aws:s3:::{name}/{LOCKS_PREFIX}*"]},
    ]}


def lock_configuration(spec: S3Spec) -> dict:
    return {"ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": spec.object_lock_mode, "Days": spec.lock_days}}}


def lifecycle(spec: S3Spec) -> dict:
    """What retention forgot is kept as an earlier version until its lock ends, then expires."""

    # the rule for every object written as RGW answers it (``Prefix`` beside, not in, a ``Filter``)
    return {"Rules": [{"ID": "ikzops-forgotten-versions", "Status": "Enabled", "Prefix": "",
                       "NoncurrentVersionExpiration": {"NoncurrentDays": spec.lock_days + 1},
                       "Expiration": {"ExpiredObjectDeleteMarker": True}}]}
