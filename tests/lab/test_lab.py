"""The lab is real: containers with systemd, sshd, and Debian's packages, reachable over SSH."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ikzops import execute
from ikzops.cli import cli
from ikzops.lab import manager
from ikzops.progress import Recorder
from ikzops.runners import ssh

PACKAGES = (
    "systemd", "openssh-server", "python3", "restic", "restic-rest-server", "tgt", "libiscsi-bin",
    "prometheus-node-exporter", "prometheus", "prometheus-alertmanager", "postgresql",
)


def test_every_inventory_host_has_a_running_container(lab):
    assert {r.host for r in lab.readiness} == {h.name for h in lab.topology.hosts}
    assert all(r.ready for r in lab.readiness)


def test_every_host_answers_over_ssh_with_its_own_name(hosts):
    for name, host in hosts.items():
        assert host.check_output("hostname") == name


def test_systemd_is_pid_1_and_booted(hosts):
    for host in hosts.values():
        assert host.process.get(pid=1).comm == "systemd"
        assert host.run("systemctl is-system-running").stdout.strip() in ("running", "degraded")


def test_sshd_runs_under_systemd(hosts):
    for host in hosts.values():
        assert host.service("ssh").is_running


@pytest.mark.parametrize("package", PACKAGES)
def test_expected_package_is_installed(hosts, package):
    assert hosts["city-san"].package(package).is_installed


def test_restic_is_0_18(hosts):
    assert hosts["city-app"].check_output("restic version").startswith("restic 0.18")


def test_hosts_reach_each_other_by_name_across_sites(hosts):
    assert hosts["city-app"].run("ping -c1 -W2 district-san").rc == 0


def test_debian_hardened_unit_settings_run_unchanged(hosts):
    # restic-rest-server's unit: PrivateUsers= and ProtectProc=invisible for a system user
    host = hosts["city-san"]
    cmd = "systemd-run --wait -q -p User=restic-rest-server -p PrivateUsers=yes -p ProtectProc=invisible /bin/true"
    assert host.run(cmd).rc == 0
    # only the config files ikzops manages may differ from the package ("c"), never the unit
    changed = host.run("dpkg --verify restic-rest-server").stdout.splitlines()
    assert all(line.split()[1] == "c" for line in changed), changed
    assert not any("restic-rest-server.service" in line for line in changed)


def test_each_host_has_its_own_ssh_host_key(hosts):
    keys = {host.check_output("cat /etc/ssh/ssh_host_ed25519_key.pub").split()[1] for host in hosts.values()}
    assert len(keys) == len(hosts)


def test_lab_state_holds_secrets_mode_0600(lab_state):
    for path in (lab_state.key, lab_state.known_hosts):
        assert path.stat().st_mode & 0o777 == 0o600


def test_second_lab_up_reuses_everything(lab):
    progress = Recorder()
    manager.up(progress)
    outcomes = {s.title: s.outcome for s in progress.steps}
    assert outcomes["host packages (docker.io, mmdebstrap)"] == "present"
    assert [o for t, o in outcomes.items() if t.startswith("base image")] == ["cached"]
    assert [o for t, o in outcomes.items() if t.startswith("target image")] == ["cached"]
    containers = next(s for s in progress.steps if s.title.startswith("containers"))
    assert containers.detail == f"{len(lab.topology.hosts)} kept"


def test_lab_status_shows_every_host_running_and_exits_0(lab):
    result = CliRunner().invoke(cli, ["lab", "status"])
    assert result.exit_code == 0, result.output
    for host in lab.topology.hosts:
        assert host.name in result.output


def test_a_remote_command_gets_its_arguments_as_given_whatever_they_hold(p):
    with ssh.connect(p.hosts["city-san"]) as machine:
        done = execute.run_remote(machine, execute.Command(("printf", "%s|", "a b", "it's", "$HOME", "*", "")))
    assert done.stdout == "a b|it's|$HOME|*||"


def test_a_program_the_host_lacks_is_exit_127_with_the_shells_message(p):
    with ssh.connect(p.hosts["city-san"]) as machine:
        done = execute.run_remote(machine, execute.Command(("ikzops-no-such-program", "x")), check=False)
    assert done.returncode == 127 and "ikzops-no-such-program" in done.stderr


def test_a_closed_connection_leaves_no_session_on_the_host(p):
    machine = ssh.connect(p.hosts["city-san"])
    session, name = execute.run_remote_shell(machine, "echo $PPID; cat /proc/$PPID/comm").stdout.split()
    assert name.startswith("sshd")  # the process of this connection on the host
    machine.close()
    with ssh.connect(p.hosts["city-san"]) as other:
        gone = execute.run_remote_shell(other, f"for i in $(seq 50); do [ -d /proc/{session} ] || exit 0; sleep 0.1; done; exit 1")
    assert gone.returncode == 0, f"sshd's session {session} still runs"
