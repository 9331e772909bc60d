"""Restore benchmark: `ikzops restore` onto another host vs bare `restic restore` on the repository host.

The same run of the same data set, in one run, alternating which goes first, each sample
after a ``sync`` (none pays the write-back of the one before); medians of --repeat runs.
ikzops: `restic restore` on district-app from the read-only REST server (TLS) that
district-san runs for the restore, every file hashed as restic completes it and compared
with the backup-time manifest, then placed below a directory; the time includes finding
the run and starting and stopping that server. Bare: `restic restore` of the same snapshot
into a directory on the repository host itself (local access, no network, no checks). The
result also records restic's own time on the target (``ikzops_restic_s``): what the
network and TLS cost, apart from what ikzops adds.

    python -m bench.restore [--size 1G] [--repeat 3] [--smoke]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.common import arguments, bare_restore, job_with_data, lab_up, ratio_results, save, side_by_side, speed_table, synced
from ikzops import execute, layout
from ikzops.execute import Command
from ikzops.model.units import format_size, parse_size
from ikzops.orchestrate import restore as restores
from ikzops.progress import Recorder
from ikzops.runners.ssh import connect

TARGET = "/srv/bench-restored"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1G")
    parser.add_argument("--repeat", type=int, default=3)
    args = arguments(parser, argv, size="4M")
    size = parse_size(args.size)
    lab_up()
    with job_with_data("bench-restore", "/srv/bench-restore", size, "23") as (inventory, p, job, run, files):
        snapshot = run.destinations["district"]["snapshot_id"]
        destination = layout.destination(p, job, "district")
        with connect(p.hosts[destination.host]) as host, connect(p.hosts["district-app"]) as target:
            restic_seconds: list[float] = []

            def ikzops() -> float:
                started = time.perf_counter()
                result, _ = restores.restore(inventory, job=job.name, to=f"district-app:{TARGET}", snapshot=run.run,
                                             from_site="district", progress=Recorder())
                elapsed = time.perf_counter() - started
                assert result.verdict == "restored" and result.mismatched == 0 and not result.warnings, result.reasons
                restic_seconds.append(result.timings["restic_seconds"])
                execute.run_remote(target, Command(("rm", "-rf", TARGET)))
                return elapsed

            samples = side_by_side(args.repeat, synced(host), ikzops=ikzops,
                                   bare=lambda: bare_restore(host, job, destination, snapshot))
    results = ratio_results(samples, size_bytes=size, files=files, repeat=args.repeat,
                            ikzops_restic_s=[round(v, 3) for v in restic_seconds])
    ikz, bare, mb = results["ikzops_median_s"], results["bare_median_s"], size / 1e6
    inner = statistics.median(restic_seconds)
    markdown = speed_table(
        f"Restore: ikzops restore onto another host vs bare restic restore ({format_size(size)}, {files} files, "
        f"median of {args.repeat})", mb,
        [("ikzops restore (restic restore on district-app over REST/TLS, sha256 of every file vs manifest, placed)", ikz),
         ("of that: `restic restore` on district-app over REST/TLS alone", inner),
         ("bare `restic restore` of the same snapshot on the repository host", bare)])
    return save("restore", results, markdown, smoke=args.smoke)


if __name__ == "__main__":
    main()
