"""Deploy benchmark: the first full deploy of fresh lab containers vs no-op ones.

Recreates the lab's containers (images stay cached), deploys everything, then deploys
again and runs ``--dry`` (three times each, alternating); reports every sample, the
medians, their ratios to the first deploy and the changes of the no-op runs (must be 0).
``--smoke`` keeps the containers (the first deploy may then change nothing).

    python -m bench.deploy [--smoke]
"""

from __future__ import annotations

import argparse
import time
from statistics import median

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
    samples: dict[str, list[float]] = {"noop": [], "dry": []}
    changes: dict[str, int] = {"noop": 0, "dry": 0}
    changed: dict = {}
    for _ in range(1 if args.smoke else 3):
        for kind in ("noop", "dry"):
            started = time.perf_counter()
            report = deploys.deploy(LAB, dry=kind == "dry")
            samples[kind].append(round(time.perf_counter() - started, 2))
            assert not report.errors, report.errors
            changes[kind] += report.changes
            changed.update(report.changes_by_host() if kind == "noop" else {})
    noop_s, dry_s = median(samples["noop"]), median(samples["dry"])
    results = {"first_s": round(first_s, 2), "first_changes": first.changes, "noop_s": noop_s,
               "noop_samples": samples["noop"], "noop_changes": changes["noop"], "dry_s": dry_s,
               "dry_samples": samples["dry"], "dry_would_change": changes["dry"],
               "ratio": round(noop_s / first_s, 3), "dry_ratio": round(dry_s / first_s, 3),
               # what a no-op deploy still changed (should be nothing): for the reader to chase
               "noop_changed": changed}
    return save("deploy", results,
         "### Deploy: first full deploy vs no-op (6 hosts, storage + backup + monitoring + firewall)\n\n"
         "| run | seconds (median) | samples | operations changed | ratio to first |\n|---|---|---|---|---|\n"
         f"| first (fresh containers) | {first_s:.1f} | {first_s:.1f} | {first.changes} | 1.00 |\n"
         f"| no-op deploy | {noop_s:.1f} | {', '.join(f'{x:.1f}' for x in samples['noop'])} | {changes['noop']} "
         f"| {noop_s / first_s:.2f} |\n"
         f"| `--dry` (unchanged inventory) | {dry_s:.1f} | {', '.join(f'{x:.1f}' for x in samples['dry'])} "
         f"| {changes['dry']} would | {dry_s / first_s:.2f} |\n", smoke=args.smoke)


if __name__ == "__main__":
    main()
