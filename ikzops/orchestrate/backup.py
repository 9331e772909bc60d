"""``ikzops backup``: run backup jobs now, through the same systemd units the timers start.

Jobs of different clients run in parallel, jobs of one client one after the other.
For each job ikzops starts its service on the client (which blocks until the run
ends) and reads the run's report, so a manual run and a timer run are the same run.
"""

from __future__ import annotations

import json
import shlex
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ikzops import execute, layout
from ikzops.errors import ExitCode, IkzopsError, worst
from ikzops.execute import Command
from ikzops.model import loader
from ikzops.model.partnership import Job, Partnership
from ikzops.progress import Progress
from ikzops.runners.ssh import connect


@dataclass
class JobRun:
    job: str
    client: str
    status: int = 2
    run: str = ""
    error: str = ""
    destinations: dict[str, dict] = field(default_factory=dict)
    unreachable: bool = False

    @property
    def exit_code(self) -> ExitCode:
        if self.unreachable:
            return ExitCode.UNREACHABLE
        if self.status == 0:
            return ExitCode.OK
        # a destination failed (the others may have the backup): a finding; no
        # destination was even tried (hook, config, missing path): could not run
        return ExitCode.FINDING if self.destinations else ExitCode.CONFIG


def run_unit(job: str) -> Command:
    """Start the job's unit and wait for it; print the report only if this run wrote it (a
    run that died before its report must not pass off the previous run's as its own): one
    round trip, the unit's exit status as the command's."""

    report = shlex.quote(f"{layout.STATE_DIR}/{job}/last-run.json")
    script = (f'before=$(stat -c %i.%Y {report} 2>/dev/null); systemctl start {layout.unit_name(job)}.service; rc=$?; '
              f'[ "$(stat -c %i.%Y {report} 2>/dev/null)" != "$before" ] && cat {report}; exit $rc')
    return Command(("sh", "-c", script), purpose=f"run backup job {job}")


def _run_client(p: Partnership, client: str, jobs: list[Job], progress: Progress) -> list[JobRun]:
    runs = []
    try:
        machine = connect(p.hosts[client])
    except IkzopsError as exc:
        return [JobRun(job.name, client, error=exc.message, unreachable=True) for job in jobs]
    with machine:
        for job in jobs:
            with progress.step(f"backup {job.name} ({client} → {', '.join(job.destinations)})") as step:
                run = JobRun(job.name, client)
                done = execute.run_remote(machine, run_unit(job.name), check=False)
                if not done.stdout.strip():
                    run.error = (done.stderr.strip() or "the job wrote no report") + \
                        f" (see journalctl -u {layout.unit_name(job.name)} on {client})"
                else:
                    data = json.loads(done.stdout)
                    run.status, run.run, run.error = data["status"], data["run"], data.get("error", "")
                    run.destinations = data.get("destinations", {})
                step.done("ok" if run.status == 0 else "failed", run.error)
                runs.append(run)
    return runs


def backup(inventory: str, jobs: tuple[str, ...], progress: Progress) -> list[JobRun]:
    p = loader.load(inventory)
    selected = p.select_jobs(jobs)
    by_client: dict[str, list[Job]] = {}
    for job in selected:
        by_client.setdefault(job.client, []).append(job)
    with ThreadPoolExecutor(max_workers=max(1, len(by_client))) as pool:
        results = pool.map(lambda item: _run_client(p, item[0], item[1], progress), by_client.items())
    return [run for runs in results for run in runs]


def exit_code(runs: list[JobRun]) -> ExitCode:
    return worst(run.exit_code for run in runs)
