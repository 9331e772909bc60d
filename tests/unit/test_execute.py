import pytest

from ikzops import execute
from ikzops.errors import CommandError, ExitCode
from ikzops.execute import Command, ExitMeaning


def test_secret_on_command_line_is_refused_before_running():
    with pytest.raises(ValueError, match="secret is on its command line"):
        Command(("echo", "hunter2"), secrets=("hunter2",))


def test_secret_passed_by_environment_is_masked_in_output():
    result = execute.run(Command(("sh", "-c", 'echo "pw=$PW"'), env={"PW": "hunter2"}, secrets=("hunter2",)))
    assert result.stdout.strip() == "pw=******"


def test_exit_code_is_mapped_through_the_callers_table():
    meanings = {3: ExitMeaning("repository is locked", ExitCode.UNREACHABLE, hint="wait")}
    with pytest.raises(CommandError) as caught:
        execute.run(Command(("sh", "-c", "echo boom >&2; exit 3"), purpose="unlock"), exit_meanings=meanings)
    assert caught.value.exit_code == ExitCode.UNREACHABLE
    assert caught.value.message.startswith("unlock: repository is locked")
    assert "boom" in caught.value.message
    assert caught.value.hint == "wait"


def test_unmapped_failure_names_program_and_code():
    with pytest.raises(CommandError, match="sh exited with 7"):
        execute.run(Command(("sh", "-c", "exit 7")))


def test_dry_run_runs_nothing(tmp_path):
    marker = tmp_path / "touched"
    execute.run(Command(("touch", str(marker))), dry_run=True)
    assert not marker.exists()


def test_missing_program_is_a_clear_error():
    with pytest.raises(CommandError, match="not installed"):
        execute.run(Command(("ikzops-no-such-program",)))


def test_pipeline_feeds_producer_into_consumer():
    result = execute.run_pipeline(Command(("printf", "a\\nb\\n")), Command(("wc", "-l")))
    assert result.stdout.strip() == "2"


def test_environment_changes_after_import_reach_the_command(monkeypatch):
    monkeypatch.setenv("IKZOPS_TEST_VALUE", "today")
    assert execute.run(Command(("sh", "-c", "echo $IKZOPS_TEST_VALUE"))).stdout.strip() == "today"


class _Stream:
    def close(self):
        pass


class _EndedWithoutStatus:
    """A remote command whose channel closed without an exit status (paramiko's -1)."""

    custom_encoding = "utf8"
    returncode = -1
    stdin = stdout = stderr = _Stream()

    def communicate(self):
        return b"", b""

    def verify(self, retcode, timeout, stdout, stderr):
        pass


class _DeadMachine:
    host = "172.30.77.21"

    class _client:  # noqa: N801 - paramiko's client, its transport gone
        @staticmethod
        def get_transport():
            return type("Transport", (), {"is_active": lambda self: False})()

    def __init__(self, popen):
        self.popen = popen


def test_remote_command_on_a_dead_connection_is_unreachable_not_a_failure():
    from ikzops.errors import UnreachableError

    machine = _DeadMachine(lambda argv: _EndedWithoutStatus())
    with pytest.raises(UnreachableError, match="lost the connection to 172.30.77.21"):
        execute.run_remote(machine, execute.Command(("restic", "restore"), purpose="restore"))


def test_starting_a_command_on_a_dead_connection_is_unreachable_not_a_traceback():
    from ikzops.errors import UnreachableError

    def closed(argv):  # paramiko cannot open a channel on a closed connection
        raise OSError("Socket is closed")

    with pytest.raises(UnreachableError, match="lost the connection to 172.30.77.21 during 'clean up'"):
        execute.run_remote(_DeadMachine(closed), execute.Command(("sh", "-c", "true"), stdin="x\n", purpose="clean up"))


def test_fed_secret_reaches_the_process_on_stdin_and_is_masked_in_its_output():
    import sys

    script = "import sys; line = sys.stdin.readline(); print('got', line.strip())"
    done = execute.feed(Command((sys.executable, "-c", script), stdin="s3cret\n", secrets=("s3cret",)))
    assert done.returncode == 0 and done.stdout.strip() == f"got {execute.MASK}"


def test_held_service_answers_then_ends_when_the_block_is_left():
    import sys

    script = "import sys, json; sys.stdin.readline(); print(json.dumps({'port': 1}), flush=True); sys.stdin.read()"
    with execute.held(Command((sys.executable, "-c", script), stdin="{}\n")) as answer:
        assert answer == {"port": 1}


def test_held_service_that_fails_gives_its_error():
    import sys

    script = "import sys; sys.stderr.write('cannot start'); sys.exit(2)"
    with execute.held(Command((sys.executable, "-c", script), stdin="{}\n"), timeout=5) as answer:
        assert "cannot start" in answer["error"]
