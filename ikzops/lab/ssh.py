"""Reaching the lab's hosts over SSH: pinned host keys, the lab's key, nothing else."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import paramiko

from ikzops.lab.state import LabState
from ikzops.lab.topology import LabHost
from ikzops.state import write_secret


@dataclass(frozen=True)
class Readiness:
    host: str
    ready: bool
    system_state: str
    seconds: float
    error: str = ""


def write_known_hosts(state: LabState, host_keys: dict[LabHost, str]) -> None:
    """Pin each host's ed25519 key (read through docker, a channel we trust) by address and
    name, replacing what was pinned for those addresses and names; the pins of another lab
    (the lab of many beside the lab of two) stay."""

    mine = {part for host in host_keys for part in (host.address, host.name)}
    kept = []
    if state.known_hosts.exists():
        for line in state.known_hosts.read_text().splitlines():
            if line.strip() and not mine & set(line.split()[0].split(",")):
                kept.append(line)
    lines = []
    for host, public_key in sorted(host_keys.items(), key=lambda item: item[0].name):
        key_type, key_data = public_key.split()[:2]
        lines.append(f"{host.address},{host.name} {key_type} {key_data}")
    write_secret(state.known_hosts, "\n".join(sorted(kept) + lines) + "\n")


def open_client(state: LabState, host: LabHost, timeout: float = 5) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.load_host_keys(str(state.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        host.address, username="root", key_filename=str(state.key),
        look_for_keys=False, allow_agent=False, timeout=timeout, banner_timeout=timeout,
        auth_timeout=timeout,
    )
    return client


def wait_ready(state: LabState, host: LabHost, timeout: float) -> Readiness:
    """Wait until ``host`` answers over SSH and systemd has finished booting."""

    started = time.monotonic()
    deadline = started + timeout
    error = ""
    while time.monotonic() < deadline:
        try:
            client = open_client(state, host)
        except (TimeoutError, OSError, paramiko.SSHException) as exc:
            error = f"{type(exc).__name__}: {exc}"
            time.sleep(0.5)
            continue
        try:
            _, stdout, _ = client.exec_command("systemctl is-system-running --wait", timeout=timeout)
            system_state = stdout.read().decode().strip()
        except (OSError, paramiko.SSHException) as exc:
            error = f"{type(exc).__name__}: {exc}"
            time.sleep(0.5)
            continue
        finally:
            client.close()
        return Readiness(host.name, system_state in ("running", "degraded"), system_state, time.monotonic() - started)
    return Readiness(host.name, False, "unreachable", time.monotonic() - started, error)


def wait_all(state: LabState, hosts: tuple[LabHost, ...], timeout: float = 180) -> list[Readiness]:
    with ThreadPoolExecutor(max_workers=max(1, len(hosts))) as pool:
        return list(pool.map(lambda h: wait_ready(state, h, timeout), hosts))
