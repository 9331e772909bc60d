"""Backup benchmark: `ikzops backup` vs bare `restic backup` of the same data, same run.

Both write the same generated data set from city-app to the same two rest-servers
(own site and partner site), in parallel, into new repositories: ikzops through its
job (systemd unit, manifest, dual backup, catch-up check), bare restic with two
`restic backup` processes started over the same SSH connection. Then 1 % of the files
change and both run again (incremental). Every sample starts after a ``sync`` (none pays
the write-back of the gigabyte the one before it wrote).

    python -m bench.backup [--size 1G]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.common import CHANGE_SCRIPT, DATASET_SCRIPT, arguments, bare_backup, lab_inventory_with, lab_up, remote_python, remove_jobs, save, synced
from ikzops.model.loader import load
from ikzops.model.units import format_size, parse_size
from ikzops.orchestrate import backup as backups
from ikzops.orchestrate import deploy as deploys
from ikzops.progress import Recorder
from ikzops.runners import restic as runner
from ikzops.runners.ssh import connect

DATA = "/srv/bench"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="256M", help="size of the generated data set (default 256M)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions, alternating which runs first")
    args = arguments(parser, argv, size="4M")
    size = parse_size(args.size)
    lab_up()
    tag = time.strftime("%Y%m%d%H%M%S")
    names = [f"bench-{tag[-6:]}-{i}" for i in range(args.repeat)]
    inventory = str(lab_inventory_with({name: {
        "client": "city-app", "paths": [DATA], "schedule": "daily", "rpo": "2d", "rto": "1h",
        "destinations": ["district"],
    } for name in names}))
    try:
        assert not deploys.deploy(inventory, only=("backup",), limit=("city-app",)).errors
        p = load(inventory)
        samples: dict[str, list[float]] = {k: [] for k in ("ikzops_full", "bare_full", "ikzops_inc", "bare_inc")}
        results: dict = {"size_bytes": size, "repeat": args.repeat}
        with connect(p.hosts["city-app"]) as machine:
            settle = synced(machine)  # no sample pays the write-back of the one before it
            runner.execute.run_remote(machine, runner.Command(("rm", "-rf", DATA)))
            results["files"] = int(remote_python(machine, DATASET_SCRIPT, DATA, str(size), "42"))
            for i, name in enumerate(names):
                job = p.jobs[name]

                def ikzops_run(name=name) -> float:
                    started = time.perf_counter()
                    run = backups.backup(inventory, (name,), Recorder())[0]
                    assert run.status == 0, run.destinations
                    return time.perf_counter() - started

                def bare_run(job=job, i=i) -> float:
                    started = time.perf_counter()
                    bare_backup(machine, p, job, f"{tag}-{i}", [DATA])
                    return time.perf_counter() - started

                order = [("ikzops", ikzops_run), ("bare", bare_run)]
                if i % 2:
                    order.reverse()
                for label, fn in order:
                    settle()
                    samples[f"{label}_full"].append(fn())
                results["changed_files"] = int(remote_python(machine, CHANGE_SCRIPT, DATA, "0.01", str(i)))
                for label, fn in order:
                    settle()
                    samples[f"{label}_inc"].append(fn())
        for key, values in samples.items():
            results[f"{key}_s"] = [round(v, 3) for v in values]
            results[f"{key}_median_s"] = round(statistics.median(values), 3)
        results["full_ratio"] = round(results["ikzops_full_median_s"] / results["bare_full_median_s"], 3)
        results["incremental_ratio"] = round(results["ikzops_inc_median_s"] / results["bare_inc_median_s"], 3)
        mb = size / 1e6
        f, b = results["ikzops_full_median_s"], results["bare_full_median_s"]
        fi, bi = results["ikzops_inc_median_s"], results["bare_inc_median_s"]
        markdown = (
            f"### Backup: ikzops vs bare restic ({format_size(size)}, {results['files']} files, "
            f"2 destinations in parallel, median of {args.repeat})\n\n"
            "| run | ikzops | bare restic | ratio |\n|---|---|---|---|\n"
            f"| full | {f:.2f} s ({mb / f:.1f} MB/s) | {b:.2f} s ({mb / b:.1f} MB/s) | {results['full_ratio']:.2f} |\n"
            f"| incremental ({results['changed_files']} files changed) | {fi:.2f} s | {bi:.2f} s | "
            f"{results['incremental_ratio']:.2f} |\n"
        )
        return save("backup", results, markdown, smoke=args.smoke)
    finally:
        remove_jobs(inventory, names, data=[DATA], repositories=[f"bare-{tag}-{i}" for i in range(args.repeat)])


if __name__ == "__main__":
    main()
