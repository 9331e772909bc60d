"""S3 benchmark: restic over ikzops' S3 repositories (Ceph RGW) vs restic over ikzops'
REST repositories (a partner's rest-server), same data, same client, same run.

On the lab of many (inventories/shared_dc.py): the town's client ``town-app`` backs up a
generated data set with bare ``restic backup`` into a new repository of each kind, the way
its job would: a bucket at the shared data centre's gateway (state-repo), made like a job's
bucket (owned by the town's user, Object Lock, the job's policy, opened with the client's
keys), and a directory of the town's rest-server at the city (city-srv, the client's REST
credential). Then ``restic restore`` of that snapshot on town-app from each. Both
repositories are removed after each repetition; medians of --repeat, alternating which
goes first.

    python -m bench.s3 [--size 256M] [--repeat 3] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import time

from bench.common import DATASET_SCRIPT, ROOT, arguments, ratio_results, remote_python, save
from ikzops import execute, layout
from ikzops.agent import restic
from ikzops.execute import Command
from ikzops.lab import manager
from ikzops.model import buckets
from ikzops.model.loader import load
from ikzops.model.units import format_size, parse_size
from ikzops.orchestrate import deploy as deploys
from ikzops.progress import Recorder
from ikzops.runners import restic as runner
from ikzops.runners import rgw
from ikzops.runners.ssh import connect
from ikzops.secrets import s3 as s3_keys
from ikzops.secrets.store import SecretStore

SHARED_DC = str(ROOT / "inventories/shared_dc.py")
CLIENT, JOB, OWNER = "town-app", "town-files", "town"
DATA = "/srv/bench-s3"
TARGET = "/var/tmp/bench-s3-restored"


class Repositories:
    """A fresh bucket and a fresh REST repository for one repetition, and their removal."""

    def __init__(self, p, tag: str) -> None:
        self.p, job = p, p.jobs[JOB]
        self.bucket = f"{p.name}-bench-{tag}"
        by_site = {d.site: d for d in layout.destinations(p, job)}
        s3, rest = by_site["shared"], by_site["city"]
        self.gateway = rgw.gateway(p, s3.gateway)
        self.owner = self.gateway.s3(s3_keys.needed(SecretStore(p.name), s3.gateway, buckets.partner_user(p, OWNER)))
        self.s3_host, self.rest_host = s3.gateway, rest.host
        s3_repo, rest_repo = layout.client_repository(job, s3), layout.client_repository(job, rest)
        self.s3 = restic.Repository(**{**s3_repo.__dict__, "url": s3_repo.url.rsplit("/", 1)[0] + f"/{self.bucket}",
                                       "cache_dir": None})
        self.rest = restic.Repository(**{**rest_repo.__dict__, "url": rest_repo.url.replace(f"/{JOB}", f"/bench-{tag}"),
                                         "cache_dir": None})
        self.rest_path = layout.repository_path(p, rest.host, job).replace(f"/{JOB}", f"/bench-{tag}")

    def __enter__(self) -> Repositories:
        spec = buckets.s3_of(self.p.hosts[self.s3_host])
        self.owner.create_bucket(Bucket=self.bucket, ObjectLockEnabledForBucket=True)
        self.owner.put_object_lock_configuration(Bucket=self.bucket, ObjectLockConfiguration=buckets.lock_configuration(spec))
        policy = buckets.policy(self.bucket, buckets.client_user(self.p, CLIENT), buckets.partner_user(self.p, OWNER))
        self.owner.put_bucket_policy(Bucket=self.bucket, Policy=json.dumps(policy))
        return self

    def __exit__(self, *exc) -> None:
        for page in self.owner.get_paginator("list_object_versions").paginate(Bucket=self.bucket):
            doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                      for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if doomed:
                self.owner.delete_objects(Bucket=self.bucket, Delete={"Objects": doomed, "Quiet": True},
                                          BypassGovernanceRetention=True)
        self.owner.delete_bucket(Bucket=self.bucket)
        with connect(self.p.hosts[self.rest_host]) as machine:
            execute.run_remote(machine, Command(("rm", "-rf", "--", self.rest_path)))
            # the town's rest-server counts its bytes at start (--max-size): count again
            execute.run_remote(machine, Command(("systemctl", "restart", layout.rest_unit(OWNER))))


def _backup(machine, repo: restic.Repository) -> tuple[float, str]:
    """Seconds of a full ``restic backup`` of the data set into a new ``repo``, and its snapshot."""

    runner.run(machine, restic.init(repo), purpose="create the repository")
    started = time.perf_counter()
    done = runner.run(machine, restic.backup(repo, [DATA], tags=["bench"], host=CLIENT))
    return time.perf_counter() - started, restic.parse_backup(done.stdout).snapshot_id


def _restore(machine, repo: restic.Repository, snapshot: str) -> float:
    execute.run_remote(machine, Command(("rm", "-rf", TARGET)))
    started = time.perf_counter()
    runner.run(machine, restic.restore(repo, snapshot, TARGET))
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="256M", help="size of the generated data set (default 256M)")
    parser.add_argument("--repeat", type=int, default=3)
    args = arguments(parser, argv, size="4M")
    size = parse_size(args.size)
    manager.up(Recorder(), SHARED_DC)
    assert not deploys.deploy(SHARED_DC, only=("backup",)).errors
    p = load(SHARED_DC)
    samples: dict[str, list[float]] = {"s3_backup": [], "rest_backup": [], "s3_restore": [], "rest_restore": []}
    results: dict = {"size_bytes": size, "repeat": args.repeat}
    with connect(p.hosts[CLIENT]) as machine:
        execute.run_remote(machine, Command(("rm", "-rf", DATA, TARGET)))
        results["files"] = int(remote_python(machine, DATASET_SCRIPT, DATA, str(size), "17"))
        try:
            for i in range(args.repeat):
                with Repositories(p, f"{time.strftime('%H%M%S')}-{i}") as repos:
                    kinds = [("s3", repos.s3), ("rest", repos.rest)]
                    if i % 2:
                        kinds.reverse()
                    snapshots = {}
                    for label, repo in kinds:
                        seconds, snapshots[label] = _backup(machine, repo)
                        samples[f"{label}_backup"].append(seconds)
                    for label, repo in kinds:
                        samples[f"{label}_restore"].append(_restore(machine, repo, snapshots[label]))
        finally:
            execute.run_remote(machine, Command(("rm", "-rf", DATA, TARGET)))
    backup_ratio = ratio_results({"ikzops": samples["s3_backup"], "bare": samples["rest_backup"]})
    restore_ratio = ratio_results({"ikzops": samples["s3_restore"], "bare": samples["rest_restore"]})
    results.update({key: [round(v, 3) for v in values] for key, values in samples.items()})
    results.update(backup_s3_median_s=backup_ratio["ikzops_median_s"], backup_rest_median_s=backup_ratio["bare_median_s"],
                   backup_ratio=backup_ratio["ratio"], restore_s3_median_s=restore_ratio["ikzops_median_s"],
                   restore_rest_median_s=restore_ratio["bare_median_s"], restore_ratio=restore_ratio["ratio"])
    mb = size / 1e6
    rows = [("backup, full", backup_ratio), ("restore", restore_ratio)]
    markdown = (
        f"### restic over S3 (Ceph RGW) vs over the REST server ({format_size(size)}, {results['files']} files, "
        f"from {CLIENT}, median of {args.repeat})\n\n"
        "| step | S3 (RGW, bucket with Object Lock and policy) | REST (partner's rest-server) | S3 / REST |\n"
        "|---|---|---|---|\n"
        + "".join(f"| {label} | {r['ikzops_median_s']:.2f} s ({mb / r['ikzops_median_s']:.1f} MB/s) | "
                  f"{r['bare_median_s']:.2f} s ({mb / r['bare_median_s']:.1f} MB/s) | {r['ratio']:.2f} |\n"
                  for label, r in rows)
    )
    return save("s3", results, markdown, smoke=args.smoke)


if __name__ == "__main__":
    main()
