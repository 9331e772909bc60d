"""Verify benchmark: `ikzops verify` over one repository vs over all of the lab's.

    python -m bench.verify [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.common import LAB, arguments, lab_up, save
from ikzops.orchestrate import verify as verifier


def timed(**kwargs) -> tuple[float, int]:
    started = time.perf_counter()
    report = verifier.verify(LAB, **kwargs)
    return time.perf_counter() - started, len(report.repositories)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = arguments(parser, argv)
    lab_up()
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
