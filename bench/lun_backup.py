"""LUN backup benchmark: an ikzops LUN job vs bare ``restic backup --stdin`` of the same image.

A LUN of ``--size`` (random data, written into its backing file) on district-san, imaged and
backed up by its LUN job (target paused for the copy, image hashed while copied, manifest,
two destinations in parallel) against two bare ``restic backup --stdin`` of the backing file
to repositories of their own, in parallel, from the same host; fresh repositories for every
full run. Then 1 % of the LUN's blocks change (contiguous 1 MiB blocks at random places) and
both run again: the time, and how much the job's run added against what changed.

    python -m bench.lun_backup [--size 1G] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from bench.common import LAB, arguments, bare_backup, drop_repositories, lab_inventory_with, lab_up, remote_python, remove_jobs, save
from ikzops import layout
from ikzops.model.loader import load
from ikzops.model.units import format_size, parse_size
from ikzops.orchestrate import backup as backups
from ikzops.orchestrate import deploy as deploys
from ikzops.progress import Recorder
from ikzops.runners import restic as runner
from ikzops.runners.ssh import connect

#: district-san: its pool has room, and no pool job there takes the benchmark's LUN in
HOST = "district-san"
#: sorts after the lab's LUNs: their LUN numbers stay while it exists
LUN = "x-bench-lun"
MIB = 1 << 20

#: 1 % of the image's 1 MiB blocks overwritten with random bytes, at random places
CHANGE_SCRIPT = r'''
import os, random, sys
path, seed = sys.argv[1], int(sys.argv[2])
blocks = os.path.getsize(path) // (1 << 20)
chosen = random.Random(seed).sample(range(blocks), max(1, blocks // 100))
with open(path, "r+b") as out:
    for block in chosen:
        out.seek(block << 20)
        out.write(os.urandom(1 << 20))
print(len(chosen) << 20)
'''


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1G", help="size of the LUN (default 1G)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions, alternating which runs first")
    args = arguments(parser, argv, size="16M")
    size = parse_size(args.size)
    lab_up()
    tag = time.strftime("%Y%m%d%H%M%S")
    name = f"bench-lun-{tag[-6:]}"
    inventory = str(lab_inventory_with(
        {name: {"luns": [LUN], "schedule": "daily", "rpo": "2d", "rto": "1h", "destinations": ["city"]}},
        {LUN: {"partner": "district", "host": HOST, "pool": "san", "size": args.size,
               "initiators": ["iqn.2026-11.lab.ikzops:district-app"], "initiator_addresses": ["district-app"]}},
    ))
    p = load(inventory)
    job = p.jobs[name]
    image = layout.lun_source(p, LUN)["device"]
    bare = [f"bare-{tag}-{i}" for i in range(args.repeat)]
    try:
        assert not deploys.deploy(inventory, only=("storage", "backup"), limit=(HOST,)).errors
        samples: dict[str, list[float]] = {k: [] for k in ("ikzops_full", "bare_full", "ikzops_inc", "bare_inc")}
        added, changed = [], 0
        with connect(p.hosts[HOST]) as machine:
            runner.execute.run_remote(machine, runner.Command(
                ("dd", "if=/dev/urandom", f"of={image}", "bs=1M", f"count={size // MIB}", "conv=notrunc", "status=none")))
            for i in range(args.repeat):
                drop_repositories(p, [job])

                def ikzops_run() -> float:
                    started = time.perf_counter()
                    run = backups.backup(inventory, (name,), Recorder())[0]
                    assert run.status == 0, run.destinations
                    return time.perf_counter() - started

                def bare_run(i=i) -> float:
                    started = time.perf_counter()
                    bare_backup(machine, p, job, f"{tag}-{i}", [], stdin_from=image)
                    return time.perf_counter() - started

                order = [("ikzops", ikzops_run), ("bare", bare_run)]
                if i % 2:
                    order.reverse()
                for label, fn in order:
                    samples[f"{label}_full"].append(fn())
                changed = int(remote_python(machine, CHANGE_SCRIPT, image, str(i)))
                for label, fn in order:
                    samples[f"{label}_inc"].append(fn())
                last = json.loads(runner.execute.run_remote(machine, runner.Command(
                    ("cat", f"{layout.STATE_DIR}/{name}/last-run.json"))).stdout)
                added += [d["bytes_added"] for d in last["destinations"].values()]
                drop_repositories(p, [], [f"bare-{tag}-{i}"])
        results: dict = {"size_bytes": size, "repeat": args.repeat, "changed_bytes": changed, "incremental_added_bytes": added}
        for key, values in samples.items():
            results[f"{key}_s"] = [round(v, 3) for v in values]
            results[f"{key}_median_s"] = round(statistics.median(values), 3)
        results["full_ratio"] = round(results["ikzops_full_median_s"] / results["bare_full_median_s"], 3)
        results["incremental_ratio"] = round(results["ikzops_inc_median_s"] / results["bare_inc_median_s"], 3)
        results["added_per_changed"] = round(statistics.median(added) / changed, 2)
        mb = size / 1e6
        f, b = results["ikzops_full_median_s"], results["bare_full_median_s"]
        fi, bi = results["ikzops_inc_median_s"], results["bare_inc_median_s"]
        markdown = (
            f"### LUN backup: ikzops LUN job vs bare `restic backup --stdin` ({format_size(size)} LUN, "
            f"2 destinations in parallel, median of {args.repeat})\n\n"
            "| run | ikzops | bare restic | ratio |\n|---|---|---|---|\n"
            f"| full | {f:.2f} s ({mb / f:.1f} MB/s) | {b:.2f} s ({mb / b:.1f} MB/s) | {results['full_ratio']:.2f} |\n"
            f"| incremental (1 % of the blocks changed) | {fi:.2f} s | {bi:.2f} s | {results['incremental_ratio']:.2f} |\n\n"
            f"Incremental: {format_size(changed)} changed ({changed / size * 100:.1f} % of the LUN), the job's runs added "
            f"{format_size(int(statistics.median(added)))} per destination (median; {results['added_per_changed']:.2f}× "
            "what changed: restic stores each changed content-defined chunk whole).\n"
        )
        return save("lun_backup", results, markdown, smoke=args.smoke)
    finally:
        remove_jobs(inventory, [name], repositories=bare)
        with connect(p.hosts[HOST]) as machine:
            runner.execute.run_remote(machine, runner.Command(("rm", "-f", image)))
        deploys.deploy(LAB, only=("storage",), limit=(HOST,), allow_destroy=True)


if __name__ == "__main__":
    main()
