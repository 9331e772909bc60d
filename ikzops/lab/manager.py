"""``lab up`` / ``lab down`` / ``lab status``: the container lab, driven by its inventory.

``up`` is idempotent: what exists and matches is kept, what is missing is made, and
each step says which it was and how long it took.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from pathlib import Path

from ikzops import execute
from ikzops.errors import ConfigError, UnreachableError
from ikzops.lab import daemon, docker, gateway, images
from ikzops.lab.ssh import Readiness, wait_all, write_known_hosts
from ikzops.lab.state import LabState
from ikzops.lab.topology import LAB_LABEL, LabHost, Topology, topology
from ikzops.model import loader
from ikzops.progress import Progress

DEFAULT_INVENTORY = Path(__file__).resolve().parents[2] / "inventories" / "lab.py"


def load_topology(inventory: str | Path = DEFAULT_INVENTORY) -> Topology:
    return topology(loader.load(inventory))


@dataclass(frozen=True)
class UpResult:
    topology: Topology
    readiness: list[Readiness]
    seconds: float


def up(progress: Progress, inventory: str | Path = DEFAULT_INVENTORY, timeout: float = 180) -> UpResult:
    """Bring the lab up, step by step; each step keeps what already is as it should be."""

    started = time.monotonic()
    topo = load_topology(inventory)
    state = LabState.default()
    state.ensure()
    _host_packages(progress)
    _docker_daemon(progress, state)
    image = _images(progress)
    host_images = {h.name: _gateway_image(progress, image) if h.gateway else image for h in topo.hosts}
    with progress.step(f"network {topo.network} ({topo.subnet})") as step:
        step.done(*_ensure_network(topo))
    with progress.step(f"containers ({len(topo.hosts)})") as step:
        step.done("ready", _ensure_containers(topo, host_images, state.lab_id()))
    _ssh_access(progress, state, topo, timeout)
    readiness = _wait_ready(progress, state, topo, timeout)
    for host in (h for h in topo.hosts if h.gateway):
        with progress.step(f"S3 gateway on {host.name} (Ceph, radosgw)") as step:
            progress.wait("bootstrapping Ceph: mon, mgr, one OSD, radosgw")
            step.done("answering", gateway.bring_up(loader.load(inventory), host, timeout))
    return UpResult(topo, readiness, time.monotonic() - started)


def _gateway_image(progress: Progress, target_tag: str) -> str:
    recipe = images.gateway_recipe(target_tag)
    if docker.image_exists(recipe.tag):
        return recipe.tag
    with progress.step(f"gateway image ({recipe.description})") as step:
        progress.wait("installing Debian's Ceph: mon, mgr, osd, radosgw ...")
        images.build_gateway(recipe, target_tag)
        step.done("built", recipe.tag)
    return recipe.tag


def _host_packages(progress: Progress) -> None:
    with progress.step("host packages (docker.io, mmdebstrap)") as step:
        missing = daemon.missing_packages()
        if missing:
            daemon.apt_install(missing)
            step.done("installed", ", ".join(missing))
        else:
            step.done("present")


def _docker_daemon(progress: Progress, state: LabState) -> None:
    with progress.step("docker daemon") as step:
        if daemon.is_running():
            step.done("running")
        else:
            stale = daemon.remove_stale_pid_files()
            daemon.start(state)
            step.done("started", f"removed stale {', '.join(map(str, stale))}" if stale else "")


def _images(progress: Progress) -> str:
    """The base and the target image, built only when their recipe changed; the target's tag."""

    base = images.base_recipe()
    with progress.step(f"base image ({base.description})") as step:
        if docker.image_exists(base.tag):
            step.done("cached", base.tag)
        else:
            progress.wait("mmdebstrap is bootstrapping Debian from the archive")
            images.build_base(base)
            step.done("built", base.tag)
    target = images.target_recipe(base.tag)
    with progress.step(f"target image ({target.description})") as step:
        if docker.image_exists(target.tag):
            step.done("cached", target.tag)
        else:
            progress.wait("installing restic, rest-server, tgt, prometheus, postgresql ...")
            images.build_target(target, base.tag)
            step.done("built", target.tag)
    return target.tag


def _ssh_access(progress: Progress, state: LabState, topo: Topology, timeout: float) -> None:
    """The lab's key authorized on every host, every host's key pinned in known_hosts."""

    with progress.step("SSH key and known_hosts") as step:
        created = state.ensure_key()
        public_key = state.public_key.read_text()
        host_keys = {}
        for host in topo.hosts:
            _authorize(host, public_key)
            host_keys[host] = _host_key(host, timeout)
        write_known_hosts(state, host_keys)
        step.done("created" if created else "kept", str(state.root))


def _wait_ready(progress: Progress, state: LabState, topo: Topology, timeout: float) -> list[Readiness]:
    with progress.step("hosts answer over SSH, systemd booted") as step:
        progress.wait("waiting for sshd and systemd on every host")
        readiness = wait_all(state, topo.hosts, timeout)
        bad = [r for r in readiness if not r.ready]
        if bad:
            details = "; ".join(f"{r.host}: {r.system_state} {r.error}".strip() for r in bad)
            raise UnreachableError(f"lab hosts not ready: {details}", hint="see `ikzops lab status`")
        step.done("ready", ", ".join(f"{r.host} {r.system_state}" for r in readiness))
    return readiness


def _ensure_network(topo: Topology) -> tuple[str, str]:
    existing = docker.inspect_network(topo.network)
    if existing:
        subnets = [c.get("Subnet") for c in (existing.get("IPAM", {}).get("Config") or [])]
        if topo.subnet in subnets:
            return "kept", ""
        if existing.get("Containers"):
            raise ConfigError(
                f"docker network {topo.network} exists with subnet {', '.join(map(str, subnets))}, "
                f"not {topo.subnet}, and has containers",
                hint="run `ikzops lab down` first",
            )
        execute.run(docker.docker("network", "rm", topo.network, purpose="remove leftover network"))
        execute.run(docker.network_create(topo))
        return "recreated", "leftover network had another subnet"
    _check_subnet_free(topo)
    execute.run(docker.network_create(topo))
    return "created", ""


def _check_subnet_free(topo: Topology) -> None:
    wanted = ipaddress.IPv4Network(topo.subnet)
    result = execute.run(docker.docker("network", "ls", "--format", "{{.Name}}"))
    for name in result.stdout.split():
        info = docker.inspect_network(name) or {}
        for config in info.get("IPAM", {}).get("Config") or []:
            subnet = config.get("Subnet")
            if subnet and ":" not in subnet and ipaddress.IPv4Network(subnet).overlaps(wanted):
                raise ConfigError(
                    f"the lab's subnet {topo.subnet} overlaps docker network {name} ({subnet})",
                    hint="remove that network or give the lab hosts other addresses in inventories/lab.py",
                )


def _ensure_containers(topo: Topology, host_images: dict[str, str], lab_id: str) -> str:
    """Keep what matches; recreate containers of another image, address, state folder or run arguments."""

    existing = docker.inspect_containers([h.container for h in topo.hosts])
    counts = {"created": 0, "kept": 0, "started": 0, "recreated": 0}
    for host in topo.hosts:
        image = host_images[host.name]
        info = existing.get(host.container)
        if info and (info.image_label != image or info.address not in ("", host.address) or info.lab_id != lab_id
                     or info.args_label != docker.ARGS_LABEL):
            execute.run(docker.docker("rm", "--force", host.container, purpose=f"remove outdated {host.container}"))
            execute.run(docker.container_run(topo, host, image, lab_id))
            counts["recreated"] += 1
        elif info and info.running:
            counts["kept"] += 1
        elif info:
            execute.run(docker.docker("start", host.container, purpose=f"start {host.container}"))
            counts["started"] += 1
        else:
            execute.run(docker.container_run(topo, host, image, lab_id))
            counts["created"] += 1
    return ", ".join(f"{n} {what}" for what, n in counts.items() if n)


def _authorize(host: LabHost, public_key: str) -> None:
    script = (
        "install -d -m 700 /root/.ssh && touch /root/.ssh/authorized_keys && "
        "chmod 600 /root/.ssh/authorized_keys && key=$(cat) && "
        "(grep -qxF \"$key\" /root/.ssh/authorized_keys || printf '%s\\n' \"$key\" >> /root/.ssh/authorized_keys)"
    )
    execute.run(docker.exec_in(host.container, "sh", "-c", script, stdin=public_key.strip(), purpose=f"authorize the lab key on {host.name}"))


def _host_key(host: LabHost, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        result = execute.run(
            docker.exec_in(host.container, "cat", "/etc/ssh/ssh_host_ed25519_key.pub"), check=False
        )
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
        if time.monotonic() > deadline:
            raise UnreachableError(f"{host.name} generated no SSH host key within {timeout:.0f} s")
        time.sleep(0.3)


@dataclass(frozen=True)
class HostStatus:
    host: LabHost
    container: str
    system_state: str


def status(inventory: str | Path = DEFAULT_INVENTORY) -> tuple[Topology, list[HostStatus]]:
    topo = load_topology(inventory)
    if not daemon.is_running():
        return topo, [HostStatus(h, "no docker daemon", "-") for h in topo.hosts]
    existing = docker.inspect_containers([h.container for h in topo.hosts])
    rows = []
    for host in topo.hosts:
        info = existing.get(host.container)
        if info is None:
            rows.append(HostStatus(host, "absent", "-"))
            continue
        system_state = "-"
        if info.running:
            result = execute.run(docker.exec_in(host.container, "systemctl", "is-system-running"), check=False)
            system_state = result.stdout.strip() or "unknown"
        rows.append(HostStatus(host, info.status, system_state))
    return topo, rows


def down(progress: Progress, inventory: str | Path = DEFAULT_INVENTORY) -> None:
    topo = load_topology(inventory)
    state = LabState.default()
    if not daemon.is_running():
        with progress.step("docker daemon") as step:
            step.done("not running", "nothing to remove")
        return
    with progress.step("containers") as step:
        names = docker.labelled_containers(topo.label)
        if names:
            execute.run(docker.docker("rm", "--force", *names, purpose="remove lab containers"), timeout=120)
        step.done("removed" if names else "none", ", ".join(names))
    with progress.step(f"network {topo.network}") as step:
        if docker.inspect_network(topo.network):
            execute.run(docker.docker("network", "rm", topo.network, purpose="remove lab network"))
            step.done("removed")
        else:
            step.done("none")
    with progress.step("docker daemon") as step:
        others = docker.labelled_containers(LAB_LABEL)  # another lab (e.g. the lab of many) still runs on it
        if others:
            step.done("left running", f"{len(others)} container(s) of another lab")
        else:
            step.done("stopped" if daemon.stop_if_started_by_lab(state) else "left running", "")
