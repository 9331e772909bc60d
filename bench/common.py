"""Shared pieces of the benchmarks: the lab, timing, data sets, results files."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ikzops import execute, layout
from ikzops.agent import restic
from ikzops.execute import Command
from ikzops.lab import manager
from ikzops.model.loader import load
from ikzops.orchestrate import backup as backups
from ikzops.orchestrate import deploy as deploys
from ikzops.progress import Recorder
from ikzops.runners import restic as runner
from ikzops.runners.ssh import connect
from ikzops.secrets.store import SecretStore
from ikzops.state import state_root

ROOT = Path(__file__).resolve().parents[1]
LAB = str(ROOT / "inventories/lab.py")
RESULTS = ROOT / "bench" / "results"

DATASET_SCRIPT = r'''
import os, random, sys
root, total, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
written, i = 0, 0
while written < total:
    # mixed: many small files, some medium, a few large
    size = rng.choice([rng.randint(1, 16) << 10] * 8 + [rng.randint(64, 1024) << 10] * 3 + [rng.randint(4, 32) << 20])
    size = min(size, total - written)
    path = os.path.join(root, f"d{i % 16:02d}", f"f{i:05d}.bin")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(os.urandom(size))
    written += size
    i += 1
print(i)
'''

CHANGE_SCRIPT = r'''
import os, random, sys
root, fraction, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
rng = random.Random(seed)
chosen = rng.sample(files, max(1, int(len(files) * fraction)))
for path in chosen:
    with open(path, "r+b") as out:
        out.write(os.urandom(min(4096, os.path.getsize(path) or 1)))
print(len(chosen))
'''


def arguments(parser: argparse.ArgumentParser, argv: list[str] | None, **smoke_values) -> argparse.Namespace:
    """Parse the benchmark's options plus ``--smoke``: tiny data, one repetition, results
    kept out of bench/results (the test command runs every benchmark so, to keep it working)."""

    parser.add_argument("--smoke", action="store_true",
                        help="seconds, not minutes: tiny data, one repetition, results not committed")
    args = parser.parse_args(argv)
    if args.smoke:
        for name, value in {"repeat": 1, **smoke_values}.items():
            if hasattr(args, name):
                setattr(args, name, value)
    return args


def results_dir(smoke: bool) -> Path:
    return state_root() / "bench-smoke" if smoke else RESULTS


def lab_up() -> None:
    manager.up(Recorder())


def remote_python(machine, script: str, *args: str) -> str:
    return execute.run_remote(machine, Command(("python3", "-", *args), stdin=script)).stdout.strip()


@contextmanager
def timed(results: dict, key: str):
    started = time.perf_counter()
    yield
    results[key] = round(time.perf_counter() - started, 3)


def lab_inventory_with(extra_jobs: dict, extra_luns: dict | None = None) -> Path:
    """A copy of the lab inventory with more jobs (and LUNs; same hosts, same state)."""

    folder = Path(tempfile.mkdtemp(prefix="ikzops-bench-"))
    (folder / "group_data").mkdir()
    (folder / "lab.py").write_text((ROOT / "inventories/lab.py").read_text())
    data = (ROOT / "inventories/group_data/lab.py").read_text()
    data += f"\nikz_jobs = {{**ikz_jobs, **{extra_jobs!r}}}\n"
    if extra_luns:
        data += f"ikz_luns = {{**ikz_luns, **{extra_luns!r}}}\n"
    (folder / "group_data" / "lab.py").write_text(data)
    os.environ["IKZOPS_STATE_DIR"] = str(state_root())
    return folder / "lab.py"


def remove_jobs(inventory: str, names: list[str], *, data: list[str] = (), repositories: list[str] = ()) -> None:
    """Everything a benchmark's jobs left: their repositories at every site (and ``repositories``
    of bare restic beside them), their units, settings and state on the client, ``data`` there.

    The lab's repository volumes are small (rest-server --max-size): benchmarks that keep
    their gigabytes fill them for every later test. rest-server counts the used size at start,
    so it is restarted once its files are gone.
    """

    p = load(inventory)
    jobs = [p.jobs[name] for name in names if name in p.jobs]
    for job in jobs:  # their passwords too: the sealed deposit of the store would carry them on
        SecretStore(p.name).path("repository", f"{job.name}.password").unlink(missing_ok=True)
    drop_repositories(p, jobs, repositories)
    for client in {job.client for job in jobs}:
        units = [f"{layout.unit_name(job.name)}.timer" for job in jobs if job.client == client]
        files = [f"/etc/systemd/system/{layout.unit_name(job.name)}.{kind}" for job in jobs for kind in ("service", "timer")]
        files += [f"{folder}/{job.name}" for job in jobs for folder in (layout.JOB_CONFIG_DIR, layout.STATE_DIR)]
        with connect(p.hosts[client]) as machine:
            execute.run_remote(machine, Command(("systemctl", "disable", "--now", *units)), check=False)
            execute.run_remote(machine, Command(("rm", "-rf", "--", *files, *data)))
            execute.run_remote(machine, Command(("systemctl", "daemon-reload")))


def drop_repositories(p, jobs: list, repositories: list[str] = ()) -> None:
    """The jobs' repositories (and ``repositories`` of bare restic beside them) at every site."""

    for host in p.hosts_with("repository"):
        folders = {f"{layout.partner_path(p, host.name, job.owner)}/{job.client}/{name}"
                   for job in jobs for name in (job.name, *repositories)}
        with connect(host) as machine:
            execute.run_remote(machine, Command(("rm", "-rf", "--", *sorted(folders))))
            # each rest-server counts its partner's bytes at start (--max-size): count again
            execute.run_remote(machine, Command(("systemctl", "restart", layout.rest_unit("*"))))


def bare_backup(machine, p, job, tag: str, paths: list[str], *, stdin_from: str | None = None) -> None:
    """Two ``restic backup`` in parallel, like the job does, to repositories of their own
    (``bare-<tag>``): of ``paths``, or of the file ``stdin_from`` read as standard input."""

    scripts = []
    for destination in layout.destinations(p, job):
        repo = layout.client_repository(job, destination)
        repo = restic.Repository(**{**repo.__dict__, "url": repo.url.replace(f"/{job.name}", f"/bare-{tag}")})
        init = runner.remote_command(restic.init(repo)).argv[2]
        name = stdin_from.rsplit("/", 1)[-1] if stdin_from else None
        backup = runner.remote_command(restic.backup(repo, paths, tags=["bare"], host=job.client, stdin_filename=name)).argv[2]
        scripts.append(f"( ({init}) >/dev/null 2>&1; {backup}{f' < {stdin_from}' if stdin_from else ''} > /dev/null )")
    execute.run_remote(machine, Command(("sh", "-c", " & ".join(scripts) + " & wait")))


@contextmanager
def job_with_data(name: str, data: str, size: int, seed: str):
    """A benchmark job on city-app (to both sites) over ``size`` bytes of generated data,
    backed up once: yields (inventory, partnership, job, run, files); removed afterwards."""

    inventory = str(lab_inventory_with({name: {
        "client": "city-app", "paths": [data], "schedule": "daily", "rpo": "2d", "rto": "1h", "destinations": ["district"],
    }}))
    try:
        assert not deploys.deploy(inventory, only=("backup",)).errors
        p = load(inventory)
        with connect(p.hosts["city-app"]) as client:
            execute.run_remote(client, Command(("rm", "-rf", data)))
            files = int(remote_python(client, DATASET_SCRIPT, data, str(size), seed))
        run = backups.backup(inventory, (name,), Recorder())[0]
        assert run.status == 0, run.destinations
        yield inventory, p, p.jobs[name], run, files
    finally:
        remove_jobs(inventory, [name], data=[data])


def bare_restore(machine, job, destination, snapshot: str) -> float:
    """Seconds of a bare ``restic restore`` of ``snapshot`` on its repository host (local access)."""

    target = f"/var/tmp/bench-bare-{time.time_ns()}"
    execute.run_remote(machine, Command(("install", "-d", "-o", layout.REST_SERVER_USER, target)))
    started = time.perf_counter()
    runner.run(machine, restic.restore(layout.local_repository(job, destination), snapshot, target),
               as_user=layout.REST_SERVER_USER)
    elapsed = time.perf_counter() - started
    execute.run_remote(machine, Command(("rm", "-rf", target)))
    return elapsed


def side_by_side(repeat: int, settle=None, **runs) -> dict[str, list[float]]:
    """Every function of ``runs`` ``repeat`` times, alternating which goes first; their
    seconds. ``settle`` (untimed) runs before every sample: each starts from the same state."""

    samples: dict[str, list[float]] = {label: [] for label in runs}
    for i in range(repeat):
        order = list(runs.items()) if i % 2 == 0 else list(reversed(runs.items()))
        for label, function in order:
            if settle:
                settle()
            samples[label].append(function())
    return samples


def synced(machine):
    """A ``settle`` for :func:`side_by_side`: the host's dirty pages written out (``sync``),
    so that no sample pays the write-back of the data the one before it wrote."""

    return lambda: execute.run_remote(machine, Command(("sync",)))


def ratio_results(samples: dict[str, list[float]], **extra) -> dict:
    """Samples, medians and the ratio ikzops / bare, as the results files hold them."""

    ikzops, bare = statistics.median(samples["ikzops"]), statistics.median(samples["bare"])
    return {**extra, "ikzops_s": [round(v, 3) for v in samples["ikzops"]], "bare_s": [round(v, 3) for v in samples["bare"]],
            "ikzops_median_s": round(ikzops, 3), "bare_median_s": round(bare, 3), "ratio": round(ikzops / bare, 3)}


def speed_table(title: str, megabytes: float, rows: list[tuple[str, float]]) -> str:
    """A benchmark's Markdown table: each row's seconds and MB/s over ``megabytes``, then the
    ratio of the first row (ikzops) to the last (the bare tool)."""

    lines = [f"### {title}\n", "| | seconds | MB/s |", "|---|---|---|"]
    lines += [f"| {label} | {seconds:.2f} | {megabytes / seconds:.1f} |" for label, seconds in rows]
    lines.append(f"| ratio | {rows[0][1] / rows[-1][1]:.2f} | |")
    return "\n".join(lines) + "\n"


def save(name: str, payload: dict, markdown: str, *, smoke: bool = False) -> dict:
    """Write ``<name>.json`` (with machine and time) and ``.md``; return what was written."""

    folder = results_dir(smoke)
    folder.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "when": datetime.now(UTC).isoformat(timespec="seconds"),
               "machine": f"{platform.node()} {os.cpu_count()} cores", "smoke": smoke, **payload}
    (folder / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    (folder / f"{name}.md").write_text(markdown)
    print(markdown)
    return payload
