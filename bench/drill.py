"""Drill benchmark: `ikzops drill` (restore + full checksum comparison) vs bare `restic restore`.

Same snapshot, same repository host, same local repository, same scratch disk, in
one run, alternating which goes first, each sample after a ``sync`` (none pays the
write-back of the one before); medians of --repeat runs.

    python -m bench.drill [--size 256M] [--repeat 3] [--smoke]

At 1 GiB it writes ``drill.json``; at other sizes ``drill-<SIZE>.json``, the rows of the
scaling table in SUMMARY.md (issue 14: the ratio must not grow with size).
"""

from __future__ import annotations

import argparse
import time

from bench.common import arguments, bare_restore, job_with_data, lab_up, ratio_results, save, side_by_side, speed_table, synced
from ikzops import layout
from ikzops.model.units import format_size, parse_size
from ikzops.orchestrate import drill as drills
from ikzops.progress import Recorder
from ikzops.runners.ssh import connect


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="256M")
    parser.add_argument("--repeat", type=int, default=3)
    args = arguments(parser, argv, size="4M")
    size = parse_size(args.size)
    lab_up()
    with job_with_data("bench-drill", "/srv/bench-drill", size, "11") as (inventory, p, job, run, files):
        snapshot = run.destinations["district"]["snapshot_id"]
        destination = layout.destination(p, job, "district")

        def ikzops() -> float:
            started = time.perf_counter()
            result = drills.drill(inventory, jobs=(job.name,), from_site="district", snapshot=snapshot,
                                  report="/tmp/ikzops-bench-reports", progress=Recorder())[0][0]
            assert result.verdict == "passed", result.reasons
            return time.perf_counter() - started

        with connect(p.hosts[destination.host]) as host:
            samples = side_by_side(args.repeat, synced(host), ikzops=ikzops,
                                   bare=lambda: bare_restore(host, job, destination, snapshot))
    results = ratio_results(samples, size_bytes=size, files=files, repeat=args.repeat)
    ikz, bare, mb = results["ikzops_median_s"], results["bare_median_s"], size / 1e6
    markdown = speed_table(
        f"Drill: ikzops drill vs bare restic restore ({format_size(size)}, {files} files, median of {args.repeat})", mb,
        [("ikzops drill (restore + sha256 of every file + report + cleanup)", ikz),
         ("bare `restic restore` of the same snapshot", bare)])
    # 1 GiB is the drill of the goal table; other sizes are its scaling rows (SUMMARY.md)
    name = "drill" if args.smoke or size == 1 << 30 else f"drill-{args.size}"
    return save(name, results, markdown, smoke=args.smoke)


if __name__ == "__main__":
    main()
