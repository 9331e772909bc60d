"""The lab's images, built from Debian's archive and cached by their recipe.

* base: ``mmdebstrap --variant=minbase trixie - | docker import``
* target: FROM base, with systemd, sshd and every package the roles need
* gateway: FROM target, with Debian's Ceph (mon, mgr, osd, radosgw): for the hosts that
  stand in for an S3 gateway a repository names (``ikz_repository.s3.endpoint``)

Each tag is a hash of its recipe, so an image is rebuilt only when the recipe changes.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ikzops import execute, templates
from ikzops.execute import Command
from ikzops.lab import docker

SUITE = "trixie"
BASE_INCLUDE = ("ca-certificates",)
PACKAGES = (
    "systemd", "systemd-sysv", "dbus", "openssh-server", "python3", "sudo",
    "iproute2", "iputils-ping", "procps", "curl", "openssl", "less",
    "restic", "restic-rest-server", "apache2-utils",
    "tgt", "libiscsi-bin",
    "prometheus-node-exporter", "prometheus", "prometheus-alertmanager",
    "postgresql", "nftables",
    # retention of buckets on S3 gateways reads when each snapshot arrived (any host may maintain some)
    "python3-boto3",
)
MASKED_UNITS = (
    "systemd-udevd.service", "systemd-udevd-kernel.socket", "systemd-udevd-control.socket",
    "getty.target", "console-getty.service", "systemd-logind.service", "systemd-firstboot.service",
)
DISABLED_UNITS = (
    "prometheus.service", "prometheus-alertmanager.service", "prometheus-node-exporter.service",
    "postgresql.service", "tgt.service",
)
TARGET_FILES = ("ikzops-lab-hostkeys.service", "sshd-lab.conf")
#: Ceph 18.2 (reef) from Debian
GATEWAY_PACKAGES = ("ceph-mon", "ceph-mgr", "ceph-osd", "radosgw", "ceph-common")
GATEWAY_FILES = ("ceph-bootstrap.sh",)
#: where the gateway image keeps the lab's Ceph bootstrap
CEPH_BOOTSTRAP = "/usr/local/sbin/ikzops-lab-ceph-bootstrap"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Recipe:
    tag: str
    description: str


def base_recipe() -> Recipe:
    argv = mmdebstrap_command().argv[1:]
    return Recipe(f"ikzops-lab/base:{_digest(*argv)}", f"Debian {SUITE} minbase")


def mmdebstrap_command() -> Command:
    return Command(
        ("mmdebstrap", "--variant=minbase", "--quiet", f"--include={','.join(BASE_INCLUDE)}", SUITE, "-"),
        purpose=f"bootstrap Debian {SUITE} with mmdebstrap",
    )


def dockerfile(base_tag: str) -> str:
    return templates.render(
        "lab/Dockerfile.j2",
        suite=SUITE,
        base_image=base_tag,
        packages=PACKAGES,
        masked_units=MASKED_UNITS,
        disabled_units=DISABLED_UNITS,
    )


def target_recipe(base_tag: str) -> Recipe:
    files = [templates.path(f"lab/{name}").read_text() for name in TARGET_FILES]
    return Recipe(f"ikzops-lab/target:{_digest(dockerfile(base_tag), *files)}", "lab target host")


def build_base(recipe: Recipe) -> None:
    execute.run_pipeline(
        mmdebstrap_command(),
        docker.docker("import", "--change", "CMD [\"/bin/bash\"]", "-", recipe.tag, purpose="import the base image"),
        timeout=900,
    )


def build_target(recipe: Recipe, base_tag: str) -> None:
    with tempfile.TemporaryDirectory(prefix="ikzops-lab-image-") as context:
        Path(context, "Dockerfile").write_text(dockerfile(base_tag))
        for name in TARGET_FILES:
            shutil.copy(templates.path(f"lab/{name}"), Path(context, name))
        execute.run(
            docker.docker("build", "--quiet", "--tag", recipe.tag, context, purpose="build the lab target image"),
            timeout=1800,
        )


def gateway_dockerfile(target_tag: str) -> str:
    return templates.render("lab/Dockerfile.gateway.j2", target_image=target_tag, packages=GATEWAY_PACKAGES,
                            bootstrap=CEPH_BOOTSTRAP)


def gateway_recipe(target_tag: str) -> Recipe:
    files = [templates.path(f"lab/{name}").read_text() for name in GATEWAY_FILES]
    return Recipe(f"ikzops-lab/gateway:{_digest(gateway_dockerfile(target_tag), *files)}",
                  "lab S3 gateway (Debian's Ceph with radosgw)")


def build_gateway(recipe: Recipe, target_tag: str) -> None:
    with tempfile.TemporaryDirectory(prefix="ikzops-lab-image-") as context:
        Path(context, "Dockerfile").write_text(gateway_dockerfile(target_tag))
        for name in GATEWAY_FILES:
            shutil.copy(templates.path(f"lab/{name}"), Path(context, name))
        execute.run(
            docker.docker("build", "--quiet", "--tag", recipe.tag, context, purpose="build the lab gateway image"),
            timeout=1800,
        )
