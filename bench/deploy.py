"""Deploy benchmark: the first full deploy of fresh lab containers vs a second, no-op one.

Recreates the lab's containers (images stay cached), deploys everything, deploys
again; reports both times, their ratio and the changes of the second run (must be 0).
``--smoke`` keeps the containers (the first deploy may then change nothing).

    python -m bench.deploy [--smoke]
"""

from __future__ import annotations

import argparse
import time

from bench.common import LAB, arguments, save
from ikzops.lab import manager
from ikzops.orchestrate import deploy as deploys
from ikzops.progress import Recorder


def main(argv: list[str] | None = None) -> dict:
    args = arguments(argparse.ArgumentParser(), argv)
    if not args.smoke:  # smoke: the lab as it is (a shared test lab keeps its containers)
        manager.down(Recorder())
    manager.up(Recorder())
    started = time.perf_counter()
    first = deploys.deploy(LAB)
    first_s = time.perf_counter() - started
    assert not first.errors, first.errors
    started = time.perf_counter()
    second = deploys.deploy(LAB)
    second_s = time.perf_counter() - started
    assert not second.errors, second.errors
    results = {"first_s": round(first_s, 2), "first_changes": first.changes, "noop_s": round(second_s, 2),
               "noop_changes": second.changes, "ratio": round(second_s / first_s, 3),
               # what a no-op deploy still changed (should be nothing): for the reader to chase
               "noop_changed": second.changes_by_host()}
    return save("deploy", results,
         "### Deploy: first full deploy vs no-op (6 hosts, storage + backup + monitoring)\n\n"
         "| run | seconds | operations changed |\n|---|---|---|\n"
         f"| first (fresh containers) | {first_s:.1f} | {first.changes} |\n"
         f"| second (no-op) | {second_s:.1f} | {second.changes} |\n"
         f"| ratio | {second_s / first_s:.2f} | |\n", smoke=args.smoke)


if __name__ == "__main__":
    main()
