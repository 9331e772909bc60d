"""Ways to break the lab for real: cut a host off, fill a disk, run commands where SSH cannot."""

from __future__ import annotations

import contextlib
import json
import subprocess
import uuid
from datetime import UTC, datetime

from ikzops import layout
from ikzops.agent import restic, retention
from ikzops.lab import topology
from ikzops.orchestrate import backup as backups
from ikzops.progress import Recorder
from tests.lab.helpers import LAB, destination, on_host, rest_servers, restic_on_repository_host, sh, wait_ssh


def container(p, host: str) -> str:
    return topology.topology(p).host(host).container


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True)


def in_container(p, host: str, script: str) -> str:
    """A command in a lab container without SSH (works while its network is cut)."""

    return docker("exec", container(p, host), "sh", "-c", script).stdout


def last_run(p, job: str) -> dict:
    return json.loads(sh(p, p.jobs[job].client, f"cat {layout.STATE_DIR}/{job}/last-run.json"))


@contextlib.contextmanager
def cut_off(p, host: str):
    """Take ``host`` off the lab network (packets to it vanish), then put it back at its address."""

    topo = topology.topology(p)
    lab_host = topo.host(host)
    docker("network", "disconnect", "--force", topo.network, lab_host.container)
    try:
        yield
    finally:
        docker("network", "connect", "--ip", lab_host.address, "--alias", host, topo.network, lab_host.container)
        wait_ssh(p, host)


def catch_up(job: str) -> None:
    """A run after the fault: every destination gets it and whatever it missed."""

    run = backups.backup(LAB, (job,), Recorder())[0]
    assert run.status == 0, (run.error, run.destinations)


@contextlib.contextmanager
def bulk(p, host: str, folder: str, megabytes: int):
    """A file of random bytes in a backed-up folder, so that a backup runs long enough to be hit."""

    path = f"{folder}/fault-bulk-{uuid.uuid4().hex[:8]}"
    sh(p, host, f"head -c {megabytes}M /dev/urandom > {path}")
    try:
        yield path
    finally:
        sh(p, host, f"rm -f {path}")


def ssh_sessions(p, host: str) -> int:
    """The SSH connections established to ``host`` (read in its container: the reading adds none)."""

    return int(in_container(p, host, "awk '$4 == \"01\" && $2 ~ /:0016$/' /proc/net/tcp /proc/net/tcp6 | wc -l").strip())


def restic_running(p, host: str, command: str) -> bool:
    # "[r]estic" matches restic's command line (and the runuser above it), not this pgrep's shell
    return bool(in_container(p, host, f"pgrep -f '[r]estic .*{command}' || true").strip())


def signal_restic(p, host: str, command: str, signal: str) -> None:
    """``signal`` to restic and the runuser above it. runuser stops itself when its child
    stops, possibly after a CONT already arrived: a CONT is sent again a moment later, or
    runuser would stay stopped (and its scratch in use) for good."""

    script = f"pkill -{signal} -f '[r]estic .*{command}' || true"
    if signal == "CONT":
        script += f"; sleep 0.5; {script}"
    in_container(p, host, script)


@contextlib.contextmanager
def small_disk(p, host: str, path: str, free_megabytes: int):
    """Put ``path`` on a size-limited filesystem with ``free_megabytes`` left, then back on its disk.

    What was written there meanwhile is kept (the operator grows the disk).
    """

    keep = f"/var/tmp/fault-disk-{uuid.uuid4().hex[:8]}"
    used_kb = int(sh(p, host, f"du -sk {path} | cut -f1").strip())
    sh(p, host, f"cp -a {path} {keep} && mount -t tmpfs -o size={used_kb + free_megabytes * 1024 + 512}k,mode=0750 "
                f"tmpfs {path} && cp -a {keep}/. {path}/ && chown restic-rest-server:restic-rest-server {path} "
                "&& systemctl restart " + rest_servers(p, host))
    try:
        yield
    finally:
        sh(p, host, f"rm -rf {keep} && cp -a {path} {keep} && umount {path} && cp -a {keep}/. {path}/ && rm -rf {keep} "
                    "&& systemctl restart " + rest_servers(p, host))


def local_snapshots(p, job: str, site: str) -> list[dict]:
    """The job's snapshots at ``site``, read on its repository host, each with ``arrived`` (file mtime)."""

    where = destination(p, job, site)
    listed = json.loads(sh(p, where.host, f"{restic_on_repository_host(p, job, site)} snapshots --json"))
    stamps = sh(p, where.host, f"stat -c '%n %Y' {where.path}/snapshots/*").split("\n")
    arrived = {line.split()[0].rsplit("/", 1)[1]: int(line.split()[1]) for line in stamps if line.strip()}
    for snapshot in listed:
        snapshot["arrived"] = datetime.fromtimestamp(arrived[snapshot["id"]], UTC)
    return listed


def forget_run(p, job: str, site: str, run: str) -> None:
    """What the operator does after looking at a misdated snapshot: forget it, on the repository host."""

    ids = [s["id"] for s in local_snapshots(p, job, site) if f"ikz-run={run}" in (s.get("tags") or [])]
    if ids:
        sh(p, destination(p, job, site).host, f"{restic_on_repository_host(p, job, site)} forget --quiet {' '.join(ids)}")


def client_backup_at(p, job: str, when: datetime, run: str) -> None:
    """A backup by the job's client with its own credentials, dated ``when``.

    The lab's containers share the VM's kernel clock, and restic (Go) ignores
    libfaketime: a client's wrong clock is what restic writes into the snapshot, so that
    is what is written here (``restic backup --time``).
    """

    client = p.jobs[job].client
    stamp = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    script = (f"set -e; j=/etc/ikzops/jobs/{job}/job.json; "
              "url=$(python3 -c \"import json,sys; print(json.load(open(sys.argv[1]))['destinations'][1]['url'])\" $j); "
              f"export RESTIC_REPOSITORY=$url RESTIC_PASSWORD_FILE=/etc/ikzops/jobs/{job}/repository.password "
              f"RESTIC_CACERT=/etc/ikzops/ca.crt RESTIC_REST_USERNAME={client}; "
              "RESTIC_REST_PASSWORD=$(cat /etc/ikzops/rest.password) TZ=UTC "
              f"restic backup --quiet --host {client} --time '{stamp}' --tag ikz-job={job} --tag ikz-run={run} /srv/data")
    sh(p, client, script)


@contextlib.contextmanager
def altered(p, host: str, path: str, *, content: str | None = None, script: str = "true", then: str = "true"):
    """``path`` on ``host`` replaced by ``content`` or changed by ``script`` (with $f the file), then
    ``then`` runs; on the way out the original comes back and ``then`` runs again."""

    kept = f"/var/tmp/fault-{uuid.uuid4().hex[:8]}"
    sh(p, host, f"cp -p {path} {kept}")
    if content is not None:
        on_host(p, host, f"cat > {path}", stdin=content)
    sh(p, host, f"f={path} && {script} && {then}")
    try:
        yield
    finally:
        sh(p, host, f"mv {kept} {path} && {then}")


def retention_plan(p, job: str, site: str) -> tuple[set[str], set[str]]:
    """What retention at ``site`` is due to do now: (snapshot ids it keeps, runs it forgets)."""

    snapshots = local_snapshots(p, job, site)
    keep, _ = retention.decide(snapshots, {s["id"]: s["arrived"] for s in snapshots},
                               p.jobs[job].spec.retention.policy())
    return keep, {restic.tag_value(s, "ikz-run") or s["id"] for s in snapshots if s["id"] not in keep}
