"""All benchmarks on the lab, one after the other: ``python -m bench [--size 1G] [--smoke]``.

Each prints its table and writes ``bench/results/<name>.json`` and ``.md``; at the end
``bench/results/SUMMARY.md`` collects the tables with the goals of the benchmark issues.
``--smoke`` runs each with tiny data and one repetition, writes nothing under
bench/results and checks no goal (the test command does this, so no benchmark rots).
"""

from __future__ import annotations

import argparse
import json

from bench import backup, control_plane, deploy, drill, lun_backup, recover, restore, s3, scrub, verify, verify_scale
from bench.common import results_dir
from ikzops.model.units import format_size

#: every benchmark, in the order they run, with the options the full run gives it
BENCHMARKS = {
    "deploy": (deploy.main, []),
    "backup": (backup.main, ["--size"]),
    "lun_backup": (lun_backup.main, []),
    "drill": (drill.main, ["--size"]),
    "restore": (restore.main, ["--size"]),
    "recover": (recover.main, ["--size"]),
    "verify": (verify.main, []),
    "verify_scale": (verify_scale.main, []),
    "scrub": (scrub.main, ["--size"]),
    "control_plane": (control_plane.main, []),
    "s3": (s3.main, []),
}


def _goal(name: str, ok: bool, text: str) -> str:
    return f"| {name} | {text} | {'met' if ok else 'not met'} |\n"


def goals(r: dict[str, dict]) -> str:
    rows = "| benchmark | goal and result | |\n|---|---|---|\n"
    dry = r["deploy"].get("dry_s")
    rows += _goal("deploy", r["deploy"]["noop_changes"] == 0 and r["deploy"]["ratio"] <= 0.25
                  and dry is not None and dry <= r["deploy"]["noop_s"],
                  f"no-op ≤ 25 % of the first, 0 changes, `--dry` no slower: {r['deploy']['ratio'] * 100:.0f} %, "
                  f"{r['deploy']['noop_changes']} changes, `--dry` {dry} s vs {r['deploy']['noop_s']} s")
    rows += _goal("backup", r["backup"]["full_ratio"] <= 1.05,
                  f"full: overhead ≤ 5 % vs bare restic: {(r['backup']['full_ratio'] - 1) * 100:+.0f} %")
    rows += _goal("backup", r["backup"]["incremental_ratio"] <= 1.2,
                  f"incremental ≤ 1.2× two bare restic backups: {r['backup']['incremental_ratio']:.2f}×")
    rows += _goal("LUN backup", r["lun_backup"]["full_ratio"] <= 1.1,
                  f"1 GiB LUN ≤ 1.1× bare `restic backup --stdin`: {r['lun_backup']['full_ratio']:.2f}×")
    drills = sorted([r["drill"], *r.get("drill_sizes", [])], key=lambda d: d["size_bytes"])
    rows += _goal("drill", all(d["ratio"] <= 1.15 for d in drills),
                  "≤ 1.15× bare restore at every size: " + ", ".join(f"{d['ratio']:.2f}× at {_size(d)}" for d in drills))
    rows += _goal("restore", r["restore"]["ratio"] <= 1.2, f"≤ 1.2× bare restore: {r['restore']['ratio']:.2f}×")
    rows += _goal("recover", r["recover"]["recover_ratio"] <= 1.2,
                  f"recover run ≤ 1.2× the bare restores: {r['recover']['recover_ratio']:.2f}×")
    rows += _goal("reseed", r["recover"]["reseed_ratio"] <= 1.1,
                  f"reseed ≤ 1.1× bare restic copy: {r['recover']['reseed_ratio']:.2f}×")
    scale = r["verify_scale"]
    rows += _goal("verify", scale.get("vs_bare_32", 99) <= 1.1,
                  f"32 repositories ≤ 1.1× the same `restic check`s run bare with the same parallelism: "
                  f"{scale.get('vs_bare_32', float('nan')):.2f}× (1 → 8 → 32 repositories: 1.00 → "
                  f"{scale['ratio_8']:.2f} → {scale['ratio_32']:.2f})")
    rows += _goal("scrub", r["scrub"]["ratio"] <= 1.1,
                  f"pack hashing ≤ 1.1× bare hashlib over the same files: {r['scrub']['ratio']:.2f}×")
    s3 = r["s3"]
    rows += _goal("S3", s3["restore_ratio"] <= 1.2,
                  f"restore from ikzops' S3 buckets ≤ 1.2× from its REST servers ({_size(s3)}): "
                  f"{s3['restore_ratio']:.2f}× (backup {s3['backup_ratio']:.2f}×)")
    plane = r["control_plane"]
    rows += _goal("control plane", plane["check_s"] < 2 and plane["peak_rss_mib"] < 300,
                  f"`inventory check` of {plane['hosts']} hosts, {plane['jobs']} jobs, {plane.get('partners', '?')} "
                  f"partners (who-can-read included) < 2 s and < 300 MB: {plane['check_s']:.2f} s, "
                  f"{plane['peak_rss_mib']:.0f} MiB")
    return rows


def _size(result: dict) -> str:
    return format_size(result["size_bytes"])


def scaling(results: dict[str, dict]) -> str:
    """How drill cost grows with data: one row per measured size (``drill*.json``)."""

    drills = sorted([results["drill"], *results.get("drill_sizes", [])], key=lambda d: d["size_bytes"])
    rows = "".join(f"| {_size(d)} | {d['ikzops_median_s']:.2f} | {d['bare_median_s']:.2f} | {d['ratio']:.2f} |\n"
                   for d in drills)
    return ("### Scaling: drill vs bare restore by size (medians)\n\n"
            "| data | ikzops drill s | bare restore s | ratio |\n|---|---|---|---|\n" + rows)


def summarize(smoke: bool) -> str:
    """``SUMMARY.md`` from the results files: the goals (not in smoke mode), then every table."""

    folder = results_dir(smoke)
    results = {name: json.loads((folder / f"{name}.json").read_text()) for name in BENCHMARKS}
    results["drill_sizes"] = [json.loads(f.read_text()) for f in sorted(folder.glob("drill-*.json"))]
    tables = "\n".join((folder / f"{name}.md").read_text() for name in BENCHMARKS)
    tables += "\n" + scaling(results)
    summary = "" if smoke else goals(results) + "\n"
    runs = ", ".join(sorted({r["when"][:10] for name, r in results.items() if name in BENCHMARKS}))
    (folder / "SUMMARY.md").write_text(f"# Benchmark results\n\nMachine: {results['deploy']['machine']}; "
                                       f"measured {runs}.\n\n{summary}{tables}")
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1G", help="data set of the backup and drill benchmarks")
    parser.add_argument("--smoke", action="store_true", help="tiny data, one repetition, no goals, nothing committed")
    parser.add_argument("--summary", action="store_true", help="only rewrite SUMMARY.md from the results files")
    args = parser.parse_args(argv)
    if not args.summary:
        for function, options in BENCHMARKS.values():
            function(["--smoke"] if args.smoke else [o for flag in options for o in (flag, args.size)])
    print(summarize(args.smoke) or "smoke run: every benchmark ran; no goal is checked")


if __name__ == "__main__":
    main()
