"""Verify at scale: `ikzops verify` over 1, 8 and 32 repositories of many small jobs,
against the same `restic check` commands run bare.

Generates 16 small jobs on city-app (each to both sites: 32 repositories), backs
them up once, then times verify over 1 (one job, one site), 8 (4 jobs × 2) and 32.
The bare side is what verify cannot do without: the same ``restic check
--read-data-subset`` commands (built by the same builder), started by a shell on each
repository host with verify's parallelism (``xargs -P``, the workers shared among the
hosts as verify's pool shares them), both hosts at once. The ratio isolates what
ikzops adds: snapshot listing, the pack scrub, the state, the connections.

    python -m bench.verify_scale [--repeat 3] [--jobs 16] [--smoke]
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from bench.common import arguments, lab_inventory_with, lab_up, remove_jobs, save
from ikzops import execute, layout
from ikzops.agent import restic
from ikzops.execute import Command
from ikzops.model.loader import load
from ikzops.orchestrate import backup as backups
from ikzops.orchestrate import deploy as deploys
from ikzops.orchestrate import verify as verifier
from ikzops.progress import Recorder
from ikzops.runners import restic as runner
from ikzops.runners.ssh import connect, write_file

WORKERS = 8


def bare_checks(p, jobs: list, sites: tuple[str, ...] = ()) -> float:
    """Seconds for the same ``restic check`` commands verify runs, by a shell per repository
    host (``xargs -P``), every host at once."""

    by_host: dict[str, list[str]] = {}
    for job in jobs:
        for d in layout.destinations(p, p.jobs[job]):
            if not sites or d.site in sites:
                command = runner.remote_command(restic.check(layout.local_repository(p.jobs[job], d), subset="1/7"),
                                                as_user=layout.REST_SERVER_USER)
                by_host.setdefault(d.host, []).append(command.argv[-1])
    total = sum(len(c) for c in by_host.values())
    machines = {host: connect(p.hosts[host]) for host in by_host}
    try:
        for host, commands in by_host.items():
            write_file(machines[host], "/root/bench-checks", "\n".join(commands) + "\n", mode="0600")

        def run(host: str) -> None:
            share = max(1, round(WORKERS * len(by_host[host]) / total)) if total > WORKERS else len(by_host[host])
            script = (f"xargs -d '\\n' -P {share} -n 1 runuser -u {layout.REST_SERVER_USER} -- sh -c "
                      "< /root/bench-checks >/dev/null")
            execute.run_remote(machines[host], Command(("sh", "-c", script), purpose="bare restic checks"))

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(by_host)) as pool:
            list(pool.map(run, by_host))
        return time.perf_counter() - started
    finally:
        for machine in machines.values():
            machine.close()


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
        bare: dict[int, list[float]] = {n: [] for n in shapes}
        for i in range(args.repeat):
            order = list(shapes.items()) if i % 2 == 0 else list(reversed(shapes.items()))
            for n, kwargs in order:
                runs = [("ikzops", samples), ("bare", bare)] if i % 2 == 0 else [("bare", bare), ("ikzops", samples)]
                for label, into in runs:
                    if label == "bare":
                        into[n].append(bare_checks(p, kwargs["jobs"], kwargs.get("sites", ())))
                        continue
                    started = time.perf_counter()
                    report = verifier.verify(inventory, jobs=tuple(kwargs["jobs"]), sites=kwargs.get("sites", ()),
                                             workers=WORKERS)
                    into[n].append(time.perf_counter() - started)
                    assert len(report.repositories) == n and report.exit_code == 0, [r.findings for r in report.repositories]
        medians = {n: statistics.median(v) for n, v in samples.items()}
        bare_medians = {n: statistics.median(v) for n, v in bare.items()}
        results = {"repeat": args.repeat, "workers": WORKERS,
                   **{f"repos_{n}_s": [round(x, 2) for x in v] for n, v in samples.items()},
                   **{f"bare_{n}_s": [round(x, 2) for x in v] for n, v in bare.items()},
                   **{f"ratio_{n}": round(medians[n] / medians[1], 2) for n in shapes},
                   **{f"vs_bare_{n}": round(medians[n] / bare_medians[n], 2) for n in shapes}}
        rows = "".join(f"| {n} | {medians[n]:.2f} | {medians[n] / medians[1]:.2f} | {bare_medians[n]:.2f} | "
                       f"{medians[n] / bare_medians[n]:.2f} |\n" for n in shapes)
        return save("verify_scale", results,
             f"### Verify at scale (median of {args.repeat}, {WORKERS} checks in parallel, 2 cores)\n\n"
             "| repositories | ikzops verify s | vs one | bare `restic check`s s | ratio to bare |\n"
             "|---|---|---|---|---|\n" + rows, smoke=args.smoke)
    finally:
        remove_jobs(inventory, jobs, data=["/srv/scale"], repositories=[])


if __name__ == "__main__":
    main()
