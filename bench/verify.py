"""Verify benchmark: `ikzops verify` over one repository vs over all of the lab's.

    python -m bench.verify [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.common import LAB, arguments, lab_up, save
from ikzops.lab.seed import seed
from ikzops.orchestrate import backup as backups
from ikzops.orchestrate import deploy as deploys
from ikzops.orchestrate import verify as verifier
from ikzops.progress import Recorder


def timed(**kwargs) -> tuple[float, int]:
    started = time.perf_counter()
    report = verifier.verify(LAB, **kwargs)
    elapsed = time.perf_counter() - started
    assert report.exit_code == 0, [r.findings for r in report.repositories]
    return elapsed, len(report.repositories)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = arguments(parser, argv)
    lab_up()
    # every job of the lab backed up now: verify measures real repositories, not empty ones
    assert not deploys.deploy(LAB).errors
    seed(Recorder(), LAB)
    assert backups.exit_code(backups.backup(LAB, (), Recorder())) == 0
    one, every = [], []
    count = 0
    for i in range(args.repeat):
        pair = [("one", dict(jobs=("city-files",), sites=("district",))), ("all", {})]
        if i % 2:
            pair.reverse()
        for label, kwargs in pair:
            seconds, n = timed(**kwargs)
            (one if label == "one" else every).append(seconds)
            count = max(count, n)
    a, b = statistics.median(one), statistics.median(every)
    results = {"repeat": args.repeat, "repositories": count, "one_s": [round(x, 3) for x in one],
               "all_s": [round(x, 3) for x in every], "ratio": round(b / a, 3)}
    return save("verify", results,
         f"### Verify: 1 repository vs all {count} (median of {args.repeat})\n\n"
         "| | seconds |\n|---|---|\n"
         f"| 1 repository | {a:.2f} |\n| {count} repositories | {b:.2f} |\n| ratio | {b / a:.2f} |\n",
         smoke=args.smoke)


if __name__ == "__main__":
    main()
