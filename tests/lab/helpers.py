"""Helpers for lab tests: altered copies of the lab inventory, iSCSI logins from a lab host."""

from __future__ import annotations

import contextlib
import shlex
import time
import uuid
from pathlib import Path

import testinfra

from ikzops import execute, layout
from ikzops.execute import Result
from ikzops.runners.ssh import connect
from ikzops.san.targets import chap_user, target_iqn, targets_for
from ikzops.secrets.store import SecretStore

ROOT = Path(__file__).resolve().parents[2]
LAB = str(ROOT / "inventories/lab.py")


def rest_servers(p, host: str) -> str:
    """Every partner's rest-server unit on repository host ``host``, for systemctl (by name:
    ``systemctl start`` does not match a pattern against stopped units)."""

    return " ".join(instance.unit for instance in layout.rest_instances(p, host))


def on_host(p, host: str, script: str, stdin: str | None = None, check: bool = True) -> Result:
    """Run a shell script on a lab host over ikzops' own pinned SSH connection."""

    with connect(p.hosts[host]) as machine:
        return execute.run_remote_shell(machine, script, stdin=stdin, check=check)


def sh(p, host: str, script: str, stdin: str | None = None, check: bool = True) -> str:
    """The standard output of a shell script on a lab host (a connection of its own)."""

    return on_host(p, host, script, stdin=stdin, check=check).stdout


def sh_on(machine, script: str, check: bool = True) -> str:
    """The standard output of a shell script over an open connection (many calls in a row)."""

    return execute.run_remote_shell(machine, script, check=check).stdout


def lab_inventory_copy(folder: Path, replace: dict[str, str] | None = None, drop_lun: str | None = None,
                       replace_at_district: dict[str, str] | None = None) -> Path:
    """A copy of inventories/lab.py (+ its group data) with text replaced (in the group data,
    or in the hosts of site district) or one LUN removed.

    Run with IKZOPS_STATE_DIR set to the lab's state, so the copy reaches the same hosts.
    """

    (folder / "group_data").mkdir(parents=True, exist_ok=True)
    hosts = (ROOT / "inventories/lab.py").read_text()
    city, district = hosts.split('# site "district"')
    for old, new in (replace_at_district or {}).items():
        assert old in district, old
        district = district.replace(old, new)
    (folder / "lab.py").write_text(city + '# site "district"' + district)
    data = (ROOT / "inventories/group_data/lab.py").read_text()
    for old, new in (replace or {}).items():
        assert old in data, old
        data = data.replace(old, new)
    if drop_lun:
        start = data.index(f'    "{drop_lun}": {{')
        end = data.index("    },\n", start) + len("    },\n")
        data = data[:start] + data[end:]
    (folder / "group_data" / "lab.py").write_text(data)
    return folder / "lab.py"


def iscsi(host: testinfra.host.Host, tool: str, url: str, initiator: str, user: str, secret: str):
    """Run a libiscsi tool on ``host`` with CHAP credentials from a 0600 file, not argv."""

    path = f"/root/.chap-{uuid.uuid4().hex}"
    sftp = host.backend.client.open_sftp()
    try:
        with sftp.open(path, "w") as handle:
            handle.chmod(0o600)
            handle.write(f"export LIBISCSI_CHAP_USERNAME={shlex.quote(user)}\n"
                         f"export LIBISCSI_CHAP_PASSWORD={shlex.quote(secret)}\n")
    finally:
        sftp.close()
    try:
        return host.run(f". {path} && {tool} -i {shlex.quote(initiator)} {shlex.quote(url)}")
    finally:
        host.run(f"rm -f {path}")


def wait_for(predicate, timeout: float, step: float = 2.0):
    """``predicate()``'s first true value within ``timeout`` seconds, else None."""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def wait_ssh(p, host: str, timeout: float = 90) -> None:
    """Until ``host`` answers over SSH with systemd up (after a stop, start or network cut)."""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if on_host(p, host, "systemctl is-system-running --wait", check=False).stdout.strip() in ("running", "degraded"):
                return
        except Exception:  # noqa: BLE001 - still booting or not reachable yet
            time.sleep(1)
    raise AssertionError(f"{host} did not come back")


def destination(p, job: str, site: str) -> layout.Destination:
    return next(d for d in layout.destinations(p, p.jobs[job]) if d.site == site)


def repo_path(p, job: str, site: str) -> str:
    return destination(p, job, site).path


def restic_on_repository_host(p, job: str, site: str) -> str:
    """restic, as retention runs it on the repository host of ``site``, for ``job``'s repository there."""

    where = destination(p, job, site)
    return (f"runuser -u restic-rest-server -- env RESTIC_REPOSITORY={where.path} "
            f"RESTIC_PASSWORD_FILE={layout.RETENTION_DIR}/{job}.password RESTIC_CACHE_DIR=/tmp/ikzops-test-cache restic")


#: the pack ids the repository's index files name, one a line (index files are JSON documents)
_INDEXED = ("import json, sys\n"
            "text, at, decoder = sys.stdin.read(), 0, json.JSONDecoder()\n"
            "while text[at:].strip():\n"
            "    at += len(text[at:]) - len(text[at:].lstrip())\n"
            "    index, at = decoder.raw_decode(text, at)\n"
            "    print('\\n'.join(pack['id'] for pack in index.get('packs', [])))\n")


def largest_indexed_pack(p, job: str, site: str) -> tuple[int, str]:
    """(size, path) of the largest pack the index references: packs an abandoned upload left
    unindexed are never read by ``restic check``, so damage there would go unseen."""

    where = destination(p, job, site)
    restic = restic_on_repository_host(p, job, site)
    script = (f"for i in $({restic} list index); do {restic} cat index $i; done | python3 -c {shlex.quote(_INDEXED)} | "
              f"while read id; do stat -c '%s %n' {where.path}/data/*/$id; done | sort -n | tail -1")
    size, path = on_host(p, where.host, script).stdout.split()
    return int(size), path


ISCSI_WRITE = (Path(__file__).parent / "iscsi_write.py").read_text()


def on_lun(p, client: str, lun_name: str, script: str, *, served_by: str | None = None) -> str:
    """``script`` on ``client`` with a session's facts of LUN ``lun_name`` in its environment
    ($PORTAL $IQN $LUN $INITIATOR $URL; the partner's CHAP credentials from a 0600 file, as
    libiscsi reads them): the LUN's own target, at its host or at ``served_by``."""

    lun = p.luns[lun_name]
    number = next(entry.number for t in targets_for(p, lun.host) for entry in t.luns if entry.name == lun_name)
    portal, iqn = p.hosts[served_by or lun.host].address, target_iqn(p, lun.partner, lun.host)
    secret = SecretStore(p.name).get_or_create("chap", lun.partner)
    env = (f"export LIBISCSI_CHAP_USERNAME={shlex.quote(chap_user(p, lun.partner))}\n"
           f"export LIBISCSI_CHAP_PASSWORD={shlex.quote(secret)}\n"
           f"PORTAL={portal} IQN={iqn} LUN={number} INITIATOR={lun.initiators[0]} URL=iscsi://{portal}/{iqn}/{number}\n")
    path = f"/root/.lun-{uuid.uuid4().hex}"
    sh(p, client, f"umask 077 && cat > {path}", stdin=env)
    sh(p, client, "cat > /root/iscsi_write.py", stdin=ISCSI_WRITE)
    try:
        return sh(p, client, f". {path} && {script}")
    finally:
        sh(p, client, f"rm -f {path}")


def lun_md5(p, client: str, lun_name: str, *, served_by: str | None = None) -> str:
    """The md5 of the whole LUN as an initiator reads it (libiscsi's iscsi-md5sum)."""

    return on_lun(p, client, lun_name, 'iscsi-md5sum -i "$INITIATOR" "$URL"', served_by=served_by).split()[-1]


def lun_write(p, client: str, lun_name: str, offset: int, size: int) -> None:
    """``size`` random bytes written at ``offset`` through iSCSI (a userspace initiator)."""

    on_lun(p, client, lun_name, f'head -c {size} /dev/urandom | '
                                f'python3 /root/iscsi_write.py "$PORTAL" "$IQN" "$LUN" "$INITIATOR" {offset}')


@contextlib.contextmanager
def timer_held(p, job: str):
    """``job``'s own timer held (a run it started is waited for): a case that compares the
    sites' runs must not meet a scheduled run between its two destinations (the lab's jobs run
    every 15 minutes), which verify rightly shows as a run one site lacks for that moment."""

    unit, client = layout.unit_name(job), p.jobs[job].client
    sh(p, client, f"systemctl stop {unit}.timer && for i in $(seq 600); do "
                  f"systemctl is-active --quiet {unit}.service || exit 0; sleep 0.5; done; exit 1")
    try:
        yield
    finally:
        sh(p, client, f"systemctl start {unit}.timer")
