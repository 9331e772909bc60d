"""Drill benchmark: `ikzops drill` (restore + full checksum comparison) vs bare `restic restore`.

Same snapshot, same repository host, same local repository, same scratch disk, in
one run, alternating which goes first; medians of --repeat runs.

    python -m bench.drill [--size 256M] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.common import DATASET_SCRIPT, arguments, lab_inventory_with, lab_up, remote_python, remove_jobs, save
from ikzops import execute, layout
from ikzops.agent import restic
from ikzops.execute import Command
from ikzops.model.loader import load
from ikzops.model.units import format_size, parse_size
from ikzops.orchestrate import backup as backups
from ikzops.orchestrate import deploy as deploys
from ikzops.orchestrate import drill as drills
from ikzops.progress import Recorder
from ikzops.runners import restic as runner
from ikzops.runners.ssh import connect

DATA = "/srv/bench-drill"
JOB = "bench-drill"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="256M")
    parser.add_argument("--repeat", type=int, default=3)
    args = arguments(parser, argv, size="4M")
    size = parse_size(args.size)
    lab_up()
    inventory = str(lab_inventory_with({JOB: {
        "client": "city-app", "paths": [DATA], "schedule": "daily", "rpo": "2d", "rto": "1h", "destinations": ["district"],
    }}))
    try:
        assert not deploys.deploy(inventory, only=("backup",)).errors
        p = load(inventory)
        job = p.jobs[JOB]
        with connect(p.hosts["city-app"]) as client:
            execute.run_remote(client, Command(("rm", "-rf", DATA)))
            files = int(remote_python(client, DATASET_SCRIPT, DATA, str(size), "11"))
        run = backups.backup(inventory, (JOB,), Recorder())[0]
        assert run.status == 0, run.destinations
        snapshot = run.destinations["district"]["snapshot_id"]
        destination = next(d for d in layout.destinations(p, job) if d.site == "district")
        samples: dict[str, list[float]] = {"ikzops": [], "bare": []}
        with connect(p.hosts[destination.host]) as host:
            def bare() -> float:
                target = f"/var/tmp/bench-bare-{time.time_ns()}"
                execute.run_remote(host, Command(("install", "-d", "-o", layout.REST_SERVER_USER, target)))
                started = time.perf_counter()
                runner.run(host, restic.restore(layout.local_repository(job, destination), snapshot, target),
                           as_user=layout.REST_SERVER_USER)
                elapsed = time.perf_counter() - started
                execute.run_remote(host, Command(("rm", "-rf", target)))
                return elapsed

            def ikzops() -> float:
                started = time.perf_counter()
                result = drills.drill(inventory, jobs=(JOB,), from_site="district", snapshot=snapshot,
                                      report="/tmp/ikzops-bench-reports", progress=Recorder())[0][0]
                assert result.verdict == "passed", result.reasons
                return time.perf_counter() - started

            for i in range(args.repeat):
                order = [("ikzops", ikzops), ("bare", bare)]
                if i % 2:
                    order.reverse()
                for label, fn in order:
                    samples[label].append(fn())
        ikz, bare_s = statistics.median(samples["ikzops"]), statistics.median(samples["bare"])
        mb = size / 1e6
        results = {"size_bytes": size, "files": files, "repeat": args.repeat,
                   "ikzops_s": [round(v, 3) for v in samples["ikzops"]], "bare_s": [round(v, 3) for v in samples["bare"]],
                   "ikzops_median_s": round(ikz, 3), "bare_median_s": round(bare_s, 3), "ratio": round(ikz / bare_s, 3)}
        markdown = (
            f"### Drill: ikzops drill vs bare restic restore ({format_size(size)}, {files} files, median of {args.repeat})\n\n"
            "| | seconds | MB/s |\n|---|---|---|\n"
            f"| ikzops drill (restore + sha256 of every file + report + cleanup) | {ikz:.2f} | {mb / ikz:.1f} |\n"
            f"| bare `restic restore` of the same snapshot | {bare_s:.2f} | {mb / bare_s:.1f} |\n"
            f"| ratio | {ikz / bare_s:.2f} | |\n"
        )
        return save("drill", results, markdown, smoke=args.smoke)
    finally:
        remove_jobs(inventory, [JOB], data=[DATA], repositories=[])


if __name__ == "__main__":
    main()
