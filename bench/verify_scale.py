"""Verify at scale: `ikzops verify` over 1, 8 and 32 repositories of many small jobs.

Generates 16 small jobs on city-app (each to both sites: 32 repositories), backs
them up once, then times verify over 1 (one job, one site), 8 (4 jobs × 2) and 32.

    python -m bench.verify_scale [--repeat 3] [--jobs 16] [--smoke]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.common import arguments, lab_inventory_with, lab_up, remove_jobs, save
from ikzops import execute
from ikzops.execute import Command
from ikzops.model.loader import load
from ikzops.orchestrate import backup as backups
from ikzops.orchestrate import deploy as deploys
from ikzops.orchestrate import verify as verifier
from ikzops.progress import Recorder
from ikzops.runners.ssh import connect


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=16, help="jobs, each to both sites (default 16: 32 repositories)")
    args = arguments(parser, argv, jobs=4)
    jobs = [f"scale-{i:02d}" for i in range(args.jobs)]
    lab_up()
    inventory = str(lab_inventory_with({name: {
        "client": "city-app", "paths": [f"/srv/scale/{name}"], "schedule": "daily", "rpo": "2d", "rto": "1h",
        "destinations": ["district"],
    } for name in jobs}))
    try:
        assert not deploys.deploy(inventory, only=("backup",)).errors
        p = load(inventory)
        with connect(p.hosts["city-app"]) as machine:
            script = " && ".join(f"mkdir -p /srv/scale/{n} && head -c 2000000 /dev/urandom > /srv/scale/{n}/data" for n in jobs)
            execute.run_remote(machine, Command(("sh", "-c", script)))
        runs = backups.backup(inventory, tuple(jobs), Recorder())
        assert backups.exit_code(runs) == 0
        shapes = {1: dict(jobs=jobs[:1], sites=("district",)), 2 * len(jobs) // 4: dict(jobs=jobs[:len(jobs) // 4]),
                  2 * len(jobs): dict(jobs=jobs)}
        samples: dict[int, list[float]] = {n: [] for n in shapes}
        for i in range(args.repeat):
            order = list(shapes.items()) if i % 2 == 0 else list(reversed(shapes.items()))
            for n, kwargs in order:
                started = time.perf_counter()
                report = verifier.verify(inventory, jobs=tuple(kwargs["jobs"]), sites=kwargs.get("sites", ()))
                samples[n].append(time.perf_counter() - started)
                assert len(report.repositories) == n and report.exit_code == 0, [r.findings for r in report.repositories]
        medians = {n: statistics.median(v) for n, v in samples.items()}
        results = {"repeat": args.repeat, "workers": 8, **{f"repos_{n}_s": [round(x, 2) for x in v] for n, v in samples.items()},
                   **{f"ratio_{n}": round(medians[n] / medians[1], 2) for n in shapes}}
        rows = "".join(f"| {n} | {medians[n]:.2f} | {medians[n] / medians[1]:.2f} |\n" for n in shapes)
        return save("verify_scale", results,
             f"### Verify at scale (median of {args.repeat}, 8 checks in parallel, 2 cores)\n\n"
             "| repositories | seconds | vs one |\n|---|---|---|\n" + rows, smoke=args.smoke)
    finally:
        remove_jobs(inventory, jobs, data=["/srv/scale"], repositories=[])


if __name__ == "__main__":
    main()
