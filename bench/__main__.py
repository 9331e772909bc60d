"""All benchmarks on the lab, one after the other: ``python -m bench [--size 1G] [--smoke]``.

Each prints its table and writes ``bench/results/<name>.json`` and ``.md``; at the end
``bench/results/SUMMARY.md`` collects the tables with the goals of the benchmark issues.
``--smoke`` runs each with tiny data and one repetition, writes nothing under
bench/results and checks no goal (the test command does this, so no benchmark rots).
"""

from __future__ import annotations

import argparse
import json

from bench import backup, control_plane, deploy, drill, verify, verify_scale
from bench.common import results_dir

#: every benchmark, in the order they run, with the options the full run gives it
BENCHMARKS = {
    "deploy": (deploy.main, []),
    "backup": (backup.main, ["--size"]),
    "drill": (drill.main, ["--size"]),
    "verify": (verify.main, []),
    "verify_scale": (verify_scale.main, []),
    "control_plane": (control_plane.main, []),
}


def _goal(name: str, ok: bool, text: str) -> str:
    return f"| {name} | {text} | {'met' if ok else 'not met'} |\n"


def goals(r: dict[str, dict]) -> str:
    rows = "| benchmark | goal and result | |\n|---|---|---|\n"
    rows += _goal("deploy", r["deploy"]["noop_changes"] == 0 and r["deploy"]["ratio"] <= 0.25,
                  f"no-op ≤ 25 % of the first, 0 changes: {r['deploy']['ratio'] * 100:.0f} %, {r['deploy']['noop_changes']} changes")
    rows += _goal("backup", r["backup"]["full_ratio"] <= 1.05,
                  f"full: overhead ≤ 5 % vs bare restic: {(r['backup']['full_ratio'] - 1) * 100:+.0f} %")
    rows += _goal("backup", r["backup"]["incremental_ratio"] <= 1.2,
                  f"incremental ≤ 1.2× two bare restic backups: {r['backup']['incremental_ratio']:.2f}×")
    rows += _goal("drill", r["drill"]["ratio"] <= 1.15, f"≤ 1.15× bare restore: {r['drill']['ratio']:.2f}×")
    rows += _goal("verify", r["verify_scale"]["ratio_32"] <= 3, f"32 repositories ≤ 3× one: {r['verify_scale']['ratio_32']:.2f}×")
    rows += _goal("control plane", r["control_plane"]["check_s"] < 2,
                  f"500 hosts checked in {r['control_plane']['check_s']:.2f} s, {r['control_plane']['peak_rss_mib']:.0f} MiB")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1G", help="data set of the backup and drill benchmarks")
    parser.add_argument("--smoke", action="store_true", help="tiny data, one repetition, no goals, nothing committed")
    args = parser.parse_args(argv)
    results = {}
    for name, (function, options) in BENCHMARKS.items():
        results[name] = function(["--smoke"] if args.smoke else [o for flag in options for o in (flag, args.size)])
    folder = results_dir(args.smoke)
    tables = "\n".join((folder / f"{name}.md").read_text() for name in BENCHMARKS)
    summary = "" if args.smoke else goals(results) + "\n"
    (folder / "SUMMARY.md").write_text(f"# Benchmark results\n\nMachine: {results['deploy']['machine']}, "
                                       f"{results['deploy']['when']}.\n\n{summary}{tables}")
    print(summary or json.dumps({name: sorted(r) for name, r in results.items()}))


if __name__ == "__main__":
    main()
