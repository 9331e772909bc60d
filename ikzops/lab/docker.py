"""docker commands as tuples (pure), and the few calls the lab makes through the executor."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass

from ikzops import execute
from ikzops.execute import Command
from ikzops.lab.topology import LabHost, Topology

#: what Debian's hardened units need to run unchanged under systemd in a container:
#: mount namespaces (SYS_ADMIN, seccomp), and PrivateUsers= with ProtectProc= for a
#: non-root service user (SYS_PTRACE: the helper must see the service's /proc entry);
#: DAC_READ_SEARCH, which docker leaves out, is what the backup job keeps of root's powers
#: to read every file (its unit bounds it to that instead of DAC_OVERRIDE); NET_ADMIN lets
#: the deploy load each host's nftables ruleset into the container's own network namespace
SYSTEMD_CONTAINER_ARGS: tuple[str, ...] = (
    "--tmpfs", "/run",
    "--tmpfs", "/run/lock",
    "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:ro",
    "--security-opt", "seccomp=unconfined",
    "--cap-add", "SYS_ADMIN",
    "--cap-add", "SYS_PTRACE",
    "--cap-add", "DAC_READ_SEARCH",
    "--cap-add", "NET_ADMIN",
    "--stop-signal", "SIGRTMIN+3",
)
#: containers started with other arguments are recreated
ARGS_LABEL = hashlib.sha256("\0".join(SYSTEMD_CONTAINER_ARGS).encode()).hexdigest()[:12]


def docker_binary() -> str:
    return shutil.which("docker") or "docker"


def docker(*args: str, purpose: str = "", stdin: str | None = None) -> Command:
    return Command((docker_binary(), *args), stdin=stdin, purpose=purpose)


def network_create(topo: Topology) -> Command:
    return docker(
        "network", "create", "--driver", "bridge", "--subnet", topo.subnet,
        "--label", topo.label, topo.network,
        purpose=f"create docker network {topo.network}",
    )


def container_run(topo: Topology, host: LabHost, image: str, lab_id: str) -> Command:
    return docker(
        "run", "--detach",
        "--name", host.container,
        "--hostname", host.name,
        "--network", topo.network,
        "--ip", host.address,
        "--network-alias", host.name,
        "--label", topo.label,
        "--label", f"ikzops.site={host.site}",
        "--label", f"ikzops.host={host.name}",
        "--label", f"ikzops.image={image}",
        "--label", f"ikzops.lab-id={lab_id}",
        "--label", f"ikzops.run-args={ARGS_LABEL}",
        *SYSTEMD_CONTAINER_ARGS,
        image,
        purpose=f"start container {host.container}",
    )


def exec_in(container: str, *argv: str, stdin: str | None = None, purpose: str = "") -> Command:
    return docker("exec", *(("-i",) if stdin is not None else ()), container, *argv, stdin=stdin, purpose=purpose)


@dataclass(frozen=True)
class ContainerInfo:
    name: str
    running: bool
    status: str
    image_label: str
    address: str
    lab_id: str
    args_label: str = ""


def inspect_containers(names: list[str]) -> dict[str, ContainerInfo]:
    """The containers among ``names`` that exist."""

    if not names:
        return {}
    result = execute.run(docker("container", "inspect", *names), check=False)
    found: dict[str, ContainerInfo] = {}
    for entry in json.loads(result.stdout or "[]"):
        name = entry["Name"].lstrip("/")
        networks = entry.get("NetworkSettings", {}).get("Networks") or {}
        address = next((n.get("IPAddress", "") for n in networks.values() if n.get("IPAddress")), "")
        found[name] = ContainerInfo(
            name=name,
            running=bool(entry["State"]["Running"]),
            status=entry["State"]["Status"],
            image_label=(entry["Config"].get("Labels") or {}).get("ikzops.image", ""),
            address=address,
            lab_id=(entry["Config"].get("Labels") or {}).get("ikzops.lab-id", ""),
            args_label=(entry["Config"].get("Labels") or {}).get("ikzops.run-args", ""),
        )
    return found


def inspect_network(name: str) -> dict | None:
    result = execute.run(docker("network", "inspect", name), check=False)
    if result.returncode != 0:
        return None
    return json.loads(result.stdout)[0]


def image_exists(tag: str) -> bool:
    return execute.run(docker("image", "inspect", tag), check=False).returncode == 0


def labelled_containers(label: str) -> list[str]:
    result = execute.run(docker("ps", "-a", "--filter", f"label={label}", "--format", "{{.Names}}"))
    return [line for line in result.stdout.split() if line]
