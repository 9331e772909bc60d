"""The one executor for external programs.

Callers build a :class:`Command` with a pure function (argv as a tuple, secrets in
``env`` or ``stdin``, never in ``argv``) and hand it to :func:`run`. The executor runs
it (locally through plumbum; on a managed host in an SSH channel of its own), masks
secrets in everything it logs or raises, honours dry-run, and maps exit codes through a
table the caller passes.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import paramiko
from plumbum import ProcessTimedOut, local
from plumbum.commands.processes import CommandNotFound, run_proc

from ikzops.errors import CommandError, ExitCode, UnreachableError

log = logging.getLogger(__name__)

MASK = "******"


@dataclass(frozen=True)
class Command:
    """An external command, built by a pure function, run by :func:`run`."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    stdin: str | bytes | None = None
    #: values that must never appear in a log line or an error message
    secrets: tuple[str, ...] = ()
    #: a short human description for progress and errors ("build the lab base image")
    purpose: str = ""

    def __post_init__(self) -> None:
        for secret in self.secrets:
            if secret and any(secret in arg for arg in self.argv):
                raise ValueError(
                    f"refusing to run {self.argv[0]}: a secret is on its command line"
                )

    def display(self) -> str:
        return mask(shlex.join(self.argv), self.secrets)


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class ExitMeaning:
    """What a non-zero exit code of a program means for the person running ikzops."""

    message: str
    exit_code: ExitCode = ExitCode.CONFIG
    hint: str | None = None


def mask(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def run(
    command: Command,
    *,
    check: bool = True,
    dry_run: bool = False,
    timeout: float | None = None,
    exit_meanings: Mapping[int, ExitMeaning] | None = None,
) -> Result:
    """Run ``command``; raise :class:`CommandError` on a non-zero exit if ``check``."""

    shown = command.display()
    if dry_run:
        log.info("would run: %s", shown)
        return Result(0, "", "")
    log.debug("run: %s", shown)
    try:
        program = local[command.argv[0]]
    except CommandNotFound:
        raise CommandError(
            f"{command.argv[0]} is not installed", returncode=127,
            hint=f"install the package that provides {command.argv[0]}",
        ) from None
    # plumbum keeps a copy of the environment from import time; pass today's
    bound = program[command.argv[1:]].with_env(**{**os.environ, **command.env})
    if command.stdin is not None:
        bound = bound << command.stdin
    try:
        returncode, stdout, stderr = bound.run(retcode=None, timeout=timeout)
    except ProcessTimedOut:
        raise _timed_out(command, timeout) from None
    return _finish(command, returncode, stdout, stderr, check, exit_meanings)


def _timed_out(command: Command, timeout: float | None) -> CommandError:
    return CommandError(
        f"{command.purpose or command.display()}: no answer within {timeout:.0f} s",
        returncode=-1, exit_code=ExitCode.UNREACHABLE,
    )


def _finish(command: Command, returncode: int, stdout: str, stderr: str, check: bool,
            exit_meanings: Mapping[int, ExitMeaning] | None) -> Result:
    """Mask secrets, and turn a failure into the error its exit code means."""

    result = Result(returncode, mask(stdout, command.secrets), mask(stderr, command.secrets))
    if check and returncode != 0:
        raise failure(command, result, exit_meanings)
    return result


def failure(
    command: Command, result: Result, exit_meanings: Mapping[int, ExitMeaning] | None = None
) -> CommandError:
    """The error for a failed command: its meaning from the table, its last stderr lines."""

    meaning = (exit_meanings or {}).get(result.returncode)
    what = command.purpose or command.display()
    tail = "\n".join(result.stderr.strip().splitlines()[-8:])
    if meaning:
        message = f"{what}: {meaning.message}"
    else:
        message = f"{what}: {command.argv[0]} exited with {result.returncode}"
    if tail:
        message += f"\n{tail}"
    return CommandError(
        message,
        returncode=result.returncode,
        stderr=result.stderr,
        hint=meaning.hint if meaning else None,
        exit_code=meaning.exit_code if meaning else None,
    )


def run_pipeline(producer: Command, consumer: Command, *, timeout: float | None = None) -> Result:
    """Run ``producer | consumer`` (e.g. mmdebstrap into docker import)."""

    for command in (producer, consumer):
        if command.env or command.stdin is not None:
            raise ValueError("pipelines take no env or stdin")
    log.debug("run: %s | %s", producer.display(), consumer.display())
    try:
        chain = local[producer.argv[0]][producer.argv[1:]] | local[consumer.argv[0]][consumer.argv[1:]]
    except CommandNotFound as exc:
        raise CommandError(f"{exc.program} is not installed", returncode=127) from None
    returncode, stdout, stderr = chain.run(retcode=None, timeout=timeout)
    result = Result(returncode, stdout, stderr)
    if returncode != 0:
        raise failure(consumer, result)
    return result


@dataclass(frozen=True)
class PipelineResult:
    producer: Result
    consumer: Result


def stream(producer: Command, consumer: Command, *, on_progress=None, timeout: float | None = None) -> PipelineResult:
    """``producer | consumer`` with the bytes flowing between the two processes only
    (e.g. ``restic dump`` on one host into an extractor on another, through SSH).

    Every line the consumer writes to stderr that is a JSON ``{"progress": ...}`` goes to
    ``on_progress``; the rest is kept. Interrupted (Ctrl-C, SIGTERM turned into
    KeyboardInterrupt), both processes are terminated, which ends their remote sides.
    """

    for command in (producer, consumer):
        if command.env or command.stdin is not None:
            raise ValueError("streams take no env or stdin")
    log.debug("stream: %s | %s", producer.display(), consumer.display())
    try:
        first = subprocess.Popen(list(producer.argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise CommandError(f"{producer.argv[0]} is not installed", returncode=127) from None
    second = subprocess.Popen(list(consumer.argv), stdin=first.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first.stdout.close()  # the consumer holds the pipe; the producer sees SIGPIPE if it goes away
    first_err: list[bytes] = []
    reader = threading.Thread(target=lambda: first_err.append(first.stderr.read()), daemon=True)
    reader.start()
    try:
        kept = _progress_lines(second, on_progress)
        out = second.stdout.read().decode(errors="replace")
        second.wait(timeout=timeout)
        first.wait(timeout=timeout)
    except BaseException:
        _stop(second, first)
        raise
    reader.join(timeout=10)
    produced = Result(first.returncode, "", mask(b"".join(first_err).decode(errors="replace"), producer.secrets))
    consumed = Result(second.returncode, mask(out, consumer.secrets), mask("\n".join(kept), consumer.secrets))
    return PipelineResult(produced, consumed)


def _progress_lines(process: subprocess.Popen, on_progress) -> list[str]:
    """``process``'s stderr: ``{"progress": ...}`` lines to ``on_progress``, the others kept."""

    kept = []
    for raw in process.stderr:
        line = raw.decode(errors="replace").rstrip("\n")
        if on_progress and line.startswith('{"progress"'):
            try:
                on_progress(json.loads(line)["progress"])
                continue
            except ValueError:
                pass
        kept.append(line)
    return kept


def _stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def feed(command: Command, *, on_progress=None, timeout: float | None = None) -> Result:
    """``command`` with its ``stdin`` (the one way a secret may reach it) written, its
    ``{"progress": ...}`` stderr lines to ``on_progress``. Its standard input stays open until
    it ends, so that a remote side sees us go (EOF) if we are interrupted and it is terminated."""

    if command.env:
        raise ValueError("take secrets through stdin, not env")
    log.debug("feed: %s", command.display())
    process = subprocess.Popen(list(command.argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        data = command.stdin.encode() if isinstance(command.stdin, str) else (command.stdin or b"")
        writer = threading.Thread(target=_write, args=(process.stdin, data), daemon=True)
        writer.start()
        out: list[bytes] = []
        reader = threading.Thread(target=lambda: out.append(process.stdout.read()), daemon=True)
        reader.start()
        kept = _progress_lines(process, on_progress)
        process.wait(timeout=timeout)
        reader.join(timeout=10)
    except BaseException:
        _stop(process)
        raise
    finally:
        _close(process.stdin)
    return Result(process.returncode, mask(b"".join(out).decode(errors="replace"), command.secrets),
                  mask("\n".join(kept), command.secrets))


def _write(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.flush()
    except OSError:
        pass


def _close(pipe) -> None:
    try:
        pipe.close()
    except OSError:
        pass


@contextmanager
def held(command: Command, *, timeout: float = 30.0) -> Iterator[dict]:
    """A service for as long as the ``with`` block: ``command`` is started with its ``stdin``
    written and its standard input kept open; yields the JSON object of its first output
    line (``{}`` if it gave none within ``timeout``, with ``error``). Leaving the block closes
    its standard input, which ends it (and its remote side: an SSH session ends with it)."""

    log.debug("hold: %s", command.display())
    process = subprocess.Popen(list(command.argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first: list[bytes] = []
    try:
        data = command.stdin.encode() if isinstance(command.stdin, str) else (command.stdin or b"")
        process.stdin.write(data)
        process.stdin.flush()
        reader = threading.Thread(target=lambda: first.append(process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=timeout)
        line = first[0].decode(errors="replace").strip() if first else ""
        try:
            answer = json.loads(line) if line else {}
        except ValueError:
            answer = {}
        if not answer:
            _close(process.stdin)
            _stop(process)
            err = mask(process.stderr.read().decode(errors="replace"), command.secrets).strip()
            answer = {"error": err[-300:] or line or f"no answer within {timeout:.0f} s",
                      "returncode": process.returncode}
        yield answer
    finally:
        _close(process.stdin)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            _stop(process)


def spawn(command: Command, log_path: str) -> subprocess.Popen:
    """Start a daemon detached from us (own session), its output appended to ``log_path``."""

    if command.env or command.stdin is not None:
        raise ValueError("daemons take no env or stdin here")
    log.debug("spawn: %s", command.display())
    with open(log_path, "ab") as out:
        return subprocess.Popen(
            list(command.argv), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            start_new_session=True,
        )


def run_remote(machine, command: Command, *, check: bool = True, timeout: float | None = None,
               exit_meanings: Mapping[int, ExitMeaning] | None = None) -> Result:
    """Run ``command`` on a managed host (a :class:`ikzops.runners.ssh.Machine`): an SSH
    channel of its own, its command line quoted for the host's login shell.

    A remote command line is visible in the host's process list, so remote commands
    take no ``env``: secrets must already be in files on the host.
    """

    if command.env:
        raise ValueError("remote commands take no env; put secrets in files on the host")
    log.debug("run on %s: %s", machine, command.display())
    try:
        proc = machine.popen(command.argv)
        if command.stdin is not None:
            # written to the channel, then closed for EOF
            data = command.stdin.encode() if isinstance(command.stdin, str) else command.stdin
            proc.stdin.write(data)
            proc.stdin.close()
            stdout, stderr = (part.decode(errors="replace") if isinstance(part, bytes) else part
                              for part in proc.communicate())
            returncode = proc.returncode
        else:
            returncode, stdout, stderr = run_proc(proc, None, timeout)
    except ProcessTimedOut:
        raise _timed_out(command, timeout) from None
    except (paramiko.SSHException, EOFError, OSError) as exc:
        raise _lost(machine, command, exc) from None
    if returncode in (None, -1) and connection_lost(machine):
        raise _lost(machine, command, "the SSH connection died")
    return _finish(command, returncode, stdout, stderr, check, exit_meanings)


def connection_lost(machine) -> bool:
    """Whether ``machine``'s SSH connection is gone."""

    client = getattr(machine, "_client", None)
    transport = client.get_transport() if client is not None else None
    return transport is None or not transport.is_active()


def _lost(machine, command: Command, why) -> UnreachableError:
    return UnreachableError(
        f"lost the connection to {getattr(machine, 'host', machine)} during "
        f"'{command.purpose or command.display()}' ({why}): the host is down or cut off"
    )


def run_remote_shell(machine, script: str, purpose: str = "", *, stdin: str | None = None,
                     check: bool = False) -> Result:
    """``sh -c script`` on a remote machine (no secrets in ``script``: it is a command line)."""

    return run_remote(machine, Command(("sh", "-c", script), stdin=stdin, purpose=purpose), check=check)
