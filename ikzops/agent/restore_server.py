"""A read-only REST server for one repository, for one restore. ``python3 -m ikzops_agent.restore_server``.

``serve`` on a repository host (as root), its settings as one JSON line on stdin::

    {"id": ..., "repository": "/srv/.../client/job", "htpasswd": "user:$2b$...", "ttl": seconds}

starts Debian's ``restic-rest-server`` binary as a transient systemd unit
``ikzops-restore-<id>.service``: as the rest-server's user, serving that one repository
(and nothing else: its ``--path`` is the repository; it may write only the repository's
``locks``, so that a prune here waits for the restore), append-only, TLS with the host's
certificate from the partnership CA, one throwaway credential (a bcrypt line made on the
control host for a random password that exists only for this restore), on the first free
port of ``PORTS``, without HTTP/2 (Go's HTTP/2 server moves pack files at a third of the
speed of HTTP/1.1 here). It prints ``{"port": N, "unit": ...}`` and then waits for its
standard input to end: the restore finished, was interrupted, or its connection was lost
(sshd ends the session of a vanished peer within 30 s). Then the unit is stopped and its
credential file removed. The unit's ``RuntimeMaxSec`` ends it even if this process is
killed outright.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

#: above the partners' rest-servers (8000 + one port per partner)
PORTS = range(8900, 8916)
RUNTIME = "/run/ikzops-restore-server"
USER = "restic-rest-server"
TLS_DIR = "/etc/restic-rest-server/tls"
BINARY = "/usr/bin/restic-rest-server"
UNIT_PREFIX = "ikzops-restore-"
#: Go's TLS servers (rest-server is one) accept TLS 1.0 and 1.1 unless told otherwise (the
#: binary's go.mod predates Go 1.22's new minimum): TLS 1.2 and 1.3 only (BSI TR-02102-2).
#: Every rest-server ikzops runs gets this in GODEBUG.
GODEBUG_TLS = "tls10server=0"
#: the transient unit's sandbox: it reads one repository and its TLS files, writes only the
#: repository's locks, listens on one port (`systemd-analyze security` rates it 1.1)
SANDBOX = (
    "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes", "DevicePolicy=closed",
    "PrivateUsers=yes", "NoNewPrivileges=yes", "CapabilityBoundingSet=", "AmbientCapabilities=",
    "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes", "ProtectControlGroups=yes",
    "ProtectClock=yes", "ProtectHostname=yes", "ProtectProc=invisible", "ProcSubset=pid", "RestrictNamespaces=yes",
    "RestrictRealtime=yes", "RestrictSUIDSGID=yes", "LockPersonality=yes", "MemoryDenyWriteExecute=yes",
    "SystemCallArchitectures=native", "SystemCallFilter=@system-service", "SystemCallFilter=~@privileged @resources",
    "SystemCallErrorNumber=EPERM", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "KeyringMode=private",
    "RemoveIPC=yes", "UMask=0077",
)


class Stop(Exception):
    pass


def _stop(signum, frame) -> None:
    raise Stop(signal.Signals(signum).name)


def free_port(ports=PORTS) -> int:
    for port in ports:
        with socket.socket(socket.AF_INET6 if socket.has_ipv6 else socket.AF_INET) as probe:
            try:
                probe.bind(("", port))
            except OSError:
                continue
            return port
    raise OSError(f"no free port in {ports.start}-{ports.stop - 1} for a restore server (too many restores at once?)")


def unit_argv(restore_id: str, repository: str, htpasswd: str, port: int, ttl: int) -> list[str]:
    properties = [f"User={USER}", f"Group={USER}", f"RuntimeMaxSec={ttl}", f"Environment=GODEBUG=http2server=0,{GODEBUG_TLS}",
                  f"ReadWritePaths={repository}/locks", *SANDBOX]
    return [
        "systemd-run", "--quiet", "--collect", f"--unit={UNIT_PREFIX}{restore_id}",
        f"--description=ikzops: read-only REST server of {repository} for restore {restore_id}",
        *(f"--property={p}" for p in properties),
        BINARY, "--path", repository, "--listen", f":{port}", "--append-only", "--tls",
        "--tls-cert", f"{TLS_DIR}/server.crt", "--tls-key", f"{TLS_DIR}/server.key", "--htpasswd-file", htpasswd,
    ]


def wait_listening(port: int, unit: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            state = subprocess.run(["systemctl", "is-active", unit], capture_output=True, text=True).stdout.strip()
            if state in ("failed", "inactive"):
                raise OSError(f"the restore server {unit} did not start ({state}): `journalctl -u {unit}`") from None
            time.sleep(0.05)
    raise OSError(f"the restore server {unit} did not listen on port {port} within {seconds:.0f} s")


def serve(settings: dict, stdin) -> int:
    restore_id, repository = settings["id"], settings["repository"]
    if not restore_id.replace("-", "").isalnum():
        raise ValueError(f"bad restore id {restore_id!r}")
    if not os.path.isfile(os.path.join(repository, "config")):
        raise ValueError(f"{repository} is not a restic repository")
    unit = f"{UNIT_PREFIX}{restore_id}.service"
    folder = os.path.join(RUNTIME, restore_id)
    os.makedirs(folder, mode=0o750, exist_ok=True)
    htpasswd = os.path.join(folder, "htpasswd")
    try:
        shutil.chown(folder, "root", USER)
        with open(os.open(htpasswd, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640), "w", encoding="utf-8") as handle:
            handle.write(settings["htpasswd"].strip() + "\n")
        shutil.chown(htpasswd, "root", USER)
        port = free_port()
        started = subprocess.run(unit_argv(restore_id, repository, htpasswd, port, int(settings.get("ttl", 86400))),
                                 capture_output=True, text=True)
        if started.returncode != 0:
            raise OSError(f"systemd-run: {started.stderr.strip()}")
        wait_listening(port, unit)
        print(json.dumps({"port": port, "unit": unit}), flush=True)
        # until the restore ends (EOF) or this session is ended (SIGHUP/SIGTERM)
        while stdin.read(4096):
            pass
        return 0
    finally:
        subprocess.run(["systemctl", "stop", unit], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGPIPE):
        signal.signal(signum, _stop)
    if argv[:1] != ["serve"]:
        print("usage: restore_server serve  (settings as JSON on stdin)", file=sys.stderr)
        return 2
    try:
        settings = json.loads(sys.stdin.readline())
        return serve(settings, sys.stdin)
    except Stop:
        return 0
    except (OSError, ValueError, KeyError) as exc:
        print(json.dumps({"error": str(exc)}), flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
