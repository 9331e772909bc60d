"""Deploy the backup jobs on their hosts (clients, and storage hosts for LUN jobs): restic,
and per job its settings, its repository password, and a systemd service and timer that
back up to the own site and every partner site (the agent's ``backup_job``)."""

from __future__ import annotations

from io import StringIO

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import apt, systemd
from pyinfra.operations.util import any_changed

from ikzops import layout, templates
from ikzops.deploys.context import partnership
from ikzops.deploys.repository import s3_key_files, secret_file
from ikzops.model import buckets
from ikzops.model.partnership import Job, Partnership
from ikzops.model.units import format_duration
from ikzops.operations.files import directory, put
from ikzops.secrets import credentials
from ikzops.secrets.store import SecretStore


def unit_values(p: Partnership, job: Job) -> dict:
    """What the job's service and timer templates are rendered with."""

    return dict(
        job=job.name, client=job.client, site=job.site, destinations=list(job.destinations),
        postgresql=bool(job.spec.hooks.postgresql), agent_dir=layout.AGENT_DIR, luns=list(job.luns),
        lvm=any(p.hosts[job.client].pools[p.luns[lun].pool].backing == "lvm" for lun in job.luns),
        schedule=job.spec.schedule, rpo=format_duration(job.spec.rpo),
        jitter=min(60, int(job.spec.rpo.total_seconds() // 20)),
    )


@deploy("ikzops: backup jobs")
def backup_jobs() -> None:
    p = partnership()
    jobs = p.jobs_of_client(host.name)
    if not jobs:
        if "client" in host.groups:
            host.noop("no backup jobs for this client")
        return
    store = SecretStore(p.name)

    apt.packages(name="Install restic, python3", packages=["restic", "python3"])
    secret_file("REST password of this client", credentials.rest_password(store, host.name), layout.REST_PASSWORD_FILE)
    for repo_host in sorted({d.gateway for job in jobs for d in layout.destinations(p, job) if d.s3}):
        s3_key_files(f"gateway of {repo_host}", store, repo_host, buckets.client_user(p, host.name),
                     layout.s3_client_keys(repo_host))
    directory(name="jobs directory", path=layout.JOB_CONFIG_DIR, mode="0700")
    units = []
    for job in jobs:
        config = layout.job_config(p, job)
        unit = layout.unit_name(job.name)
        values = unit_values(p, job)
        directory(name=f"{job.name}: config directory", path=f"{layout.JOB_CONFIG_DIR}/{job.name}", mode="0700")
        secret_file(f"{job.name}: repository password", credentials.repository_password(store, job.name), config.password_file)
        put(name=f"{job.name}: settings", src=StringIO(config.to_json()),
            dest=f"{layout.JOB_CONFIG_DIR}/{job.name}/job.json", mode="0600")
        units.append(put(name=f"{job.name}: service unit", dest=f"/etc/systemd/system/{unit}.service", mode="0644",
                         src=StringIO(templates.render("backup/ikzops-backup.service.j2", **values))))
        units.append(put(name=f"{job.name}: timer unit", dest=f"/etc/systemd/system/{unit}.timer", mode="0644",
                         src=StringIO(templates.render("backup/ikzops-backup.timer.j2", **values))))
    systemd.daemon_reload(name="systemd reload (job units changed)", _if=any_changed(*units))
    for job in jobs:
        systemd.service(name=f"{job.name}: timer enabled", service=f"{layout.unit_name(job.name)}.timer",
                        running=True, enabled=True)
