"""All benchmarks on the lab, one after the other: ``python -m bench [--size 1G]``.

Each prints its table and writes ``bench/results/<name>.json`` and ``.md``; at the end
``bench/results/SUMMARY.md`` collects the tables with the goals of the benchmark issue.
"""

from __future__ import annotations

import argparse
import json
import sys

from bench import backup, control_plane, deploy, drill, verify_scale
from bench.common import RESULTS


def _goal(name: str, ok: bool, text: str) -> str:
    return f"| {name} | {text} | {'met' if ok else 'not met'} |\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1G", help="data set of the backup and drill benchmarks")
    args = parser.parse_args()
    runs = [
        (deploy.main, []),
        (backup.main, ["--size", args.size]),
        (drill.main, ["--size", args.size]),
        (verify_scale.main, []),
        (control_plane.main, []),
    ]
    for function, argv in runs:
        sys.argv = [function.__module__, *argv]
        function()
    r = {name: json.loads((RESULTS / f"{name}.json").read_text())
         for name in ("deploy", "backup", "drill", "verify_scale", "control_plane")}
    goals = "| benchmark | goal and result | |\n|---|---|---|\n"
    goals += _goal("deploy", r["deploy"]["noop_changes"] == 0 and r["deploy"]["ratio"] <= 0.25,
                   f"no-op ≤ 25 % of the first, 0 changes: {r['deploy']['ratio'] * 100:.0f} %, {r['deploy']['noop_changes']} changes")
    goals += _goal("backup", r["backup"]["full_ratio"] <= 1.05,
                   f"overhead ≤ 5 % vs bare restic: {(r['backup']['full_ratio'] - 1) * 100:+.0f} %")
    goals += _goal("drill", r["drill"]["ratio"] <= 1.25, f"≤ 1.25× bare restore: {r['drill']['ratio']:.2f}×")
    goals += _goal("verify", r["verify_scale"]["ratio_32"] <= 3, f"32 repositories ≤ 3× one: {r['verify_scale']['ratio_32']:.2f}×")
    goals += _goal("control plane", r["control_plane"]["check_s"] < 5,
                   f"500 hosts checked in {r['control_plane']['check_s']:.2f} s, {r['control_plane']['peak_rss_mib']:.0f} MiB")
    tables = "\n".join((RESULTS / f"{name}.md").read_text() for name in r)
    (RESULTS / "SUMMARY.md").write_text(f"# Benchmark results\n\nMachine: {r['deploy']['machine']}, "
                                        f"{r['deploy']['when']}.\n\n{goals}\n{tables}")
    print(goals)


if __name__ == "__main__":
    main()
