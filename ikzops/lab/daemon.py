"""The docker engine the lab runs on: installed from Debian if missing, started if not running.

This machine kind has no systemd, so ``dockerd`` is started by hand, detached, with a
pid file. A stale pid file from an earlier run (the process is gone) is removed first.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

from ikzops import execute
from ikzops.errors import ConfigError
from ikzops.execute import Command
from ikzops.lab import docker
from ikzops.lab.state import LabState

DOCKER_PID_FILE = Path("/var/run/docker.pid")
CONTAINERD_PID_FILE = Path("/var/run/docker/containerd/containerd.pid")
HOST_PACKAGES = {"dockerd": "docker.io", "mmdebstrap": "mmdebstrap"}


def missing_packages() -> list[str]:
    return [package for binary, package in HOST_PACKAGES.items() if not shutil.which(binary)]


def apt_install(packages: list[str]) -> None:
    if os.geteuid() != 0:
        raise ConfigError(
            f"the lab needs {', '.join(packages)} and only root can install them",
            hint=f"run as root, or: sudo apt-get install {' '.join(packages)}",
        )
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    execute.run(Command(("apt-get", "update", "-qq"), env=env, purpose="apt-get update"), timeout=600)
    execute.run(
        Command(("apt-get", "install", "-y", "-qq", *packages), env=env, purpose=f"install {', '.join(packages)}"),
        timeout=1200,
    )


def is_running() -> bool:
    return execute.run(docker.docker("info", "--format", "{{.ServerVersion}}"), check=False, timeout=30).returncode == 0


def _alive(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def remove_stale_pid_files() -> list[Path]:
    removed = []
    for pid_file in (DOCKER_PID_FILE, CONTAINERD_PID_FILE):
        if pid_file.exists() and not _alive(pid_file):
            pid_file.unlink()
            removed.append(pid_file)
    return removed


def start(state: LabState, timeout: float = 60) -> None:
    """Start dockerd detached and wait until it answers."""

    state.ensure()
    process = execute.spawn(
        Command(("dockerd", "--pidfile", str(DOCKER_PID_FILE)), purpose="start dockerd"),
        str(state.dockerd_log),
    )
    state.dockerd_marker.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = state.dockerd_log.read_text(errors="replace").strip().splitlines()[-5:]
            raise ConfigError("dockerd exited at start:\n" + "\n".join(tail), hint=f"see {state.dockerd_log}")
        if is_running():
            return
        time.sleep(0.5)
    raise ConfigError(f"dockerd did not answer within {timeout:.0f} s", hint=f"see {state.dockerd_log}")


def stop_if_started_by_lab(state: LabState, timeout: float = 30) -> bool:
    """Stop dockerd if the lab started it; True if it did."""

    if not state.dockerd_marker.exists():
        return False
    try:
        pid = int(state.dockerd_marker.read_text().strip())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        state.dockerd_marker.unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.2)
    state.dockerd_marker.unlink(missing_ok=True)
    return True
