"""Lab test data: files to back up on every client, PostgreSQL with rows where a job dumps it."""

from __future__ import annotations

from pathlib import Path

from ikzops import execute, templates
from ikzops.execute import Command
from ikzops.model import loader
from ikzops.progress import Progress
from ikzops.runners.ssh import connect

FILES_PER_CLIENT = 60


def seed(progress: Progress, inventory: str | Path) -> None:
    p = loader.load(inventory)
    script = templates.path("lab/seed.py").read_text()
    for client in p.hosts_with("client"):
        jobs = [j for j in p.jobs.values() if j.client == client.name]
        roots = sorted({path for j in jobs for path in j.spec.paths if path.startswith("/srv/")}) or ["/srv/data"]
        databases = [db for j in jobs if j.spec.hooks.postgresql for db in j.spec.hooks.postgresql.databases]
        with progress.step(f"seed {client.name}") as step, connect(client) as machine:
            for root in roots:
                argv = ["python3", "-", root, str(FILES_PER_CLIENT)]
                for database in databases:
                    argv += ["--postgresql", database]
                execute.run_remote(machine, Command(tuple(argv), stdin=script, purpose=f"seed {client.name}"))
            step.done("seeded", ", ".join(roots + [f"postgresql:{d}" for d in databases]))
