"""Run restic against one destination, and stop it when that destination is gone for good.

restic 0.18 retries a server that keeps answering with an error without end (a full
disk answers ``507 Insufficient Storage``) and waits minutes on a connection that no
longer carries packets (a cut network). The backup job must end with a clear message
instead, so that the other destination's result, the report and the metrics are
written and the next run can catch up. While restic runs, the watchdog

- reads restic's ``... returned error, retrying after ...`` messages: when they have
  gone on for ``give_up_after`` seconds, the destination is abandoned with the cause;
- probes the destination (a TLS handshake) every few seconds: when it has been
  unreachable for ``give_up_after`` seconds, the destination is abandoned;
- stops restic when the job itself is stopped (``systemctl stop``, shutdown).

restic is stopped with SIGINT (it removes its repository lock where it still can),
then killed after a grace period.
"""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .restic import explain

RETRY = re.compile(r"returned error, retrying after \S+: (?P<cause>.*)")
PROBE_INTERVAL = 5.0
GRACE = 15.0

#: set when the job is being stopped: every watched restic is stopped too
STOP = threading.Event()


@dataclass
class Watched:
    returncode: int
    stdout: str
    stderr: str
    #: why the watchdog stopped restic ("" when restic ended by itself)
    abandoned: str = ""


class _Retries:
    """A streak of restic retry messages; it ends when restic stops retrying for a while."""

    def __init__(self, give_up_after: float) -> None:
        self.give_up_after = give_up_after
        self.first: float | None = None
        self.last = 0.0
        self.cause = ""
        self.lock = threading.Lock()

    def seen(self, cause: str, now: float) -> None:
        with self.lock:
            if self.first is None or now - self.last > 2 * self.give_up_after:
                self.first = now
            self.last, self.cause = now, cause

    def exhausted(self, now: float) -> str:
        with self.lock:
            if self.first is None or now - self.last > 2 * self.give_up_after:
                return ""
            if now - self.first < self.give_up_after:
                return ""
            return f"kept failing for {now - self.first:.0f} s: {explain(self.cause)}"


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_watched(argv: list[str], env: dict[str, str], *, probe: Callable[[], None],
                give_up_after: float, timeout: float) -> Watched:
    """Run ``argv``; ``probe`` raises RuntimeError (with the reason) when the destination is unreachable."""

    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    retries = _Retries(give_up_after)
    out: list[str] = []
    err: list[str] = []

    def read_stdout() -> None:
        out.append(process.stdout.read())

    def read_stderr() -> None:
        for line in process.stderr:
            err.append(line)
            found = RETRY.search(line)
            if found:
                retries.seen(found["cause"], time.monotonic())

    readers = [threading.Thread(target=read_stdout, daemon=True), threading.Thread(target=read_stderr, daemon=True)]
    for reader in readers:
        reader.start()
    started = time.monotonic()
    next_probe = started + PROBE_INTERVAL
    unreachable_since: float | None = None
    reason = ""
    while process.poll() is None:
        now = time.monotonic()
        if STOP.is_set():
            reason = "the backup job was stopped (SIGTERM)"
        elif now - started > timeout:
            reason = f"no result within {timeout:.0f} s"
        else:
            reason = retries.exhausted(now)
        if not reason and now >= next_probe:
            try:
                probe()
                unreachable_since = None
            except RuntimeError as exc:
                unreachable_since = unreachable_since if unreachable_since is not None else now
                if time.monotonic() - unreachable_since >= give_up_after:
                    reason = f"lost the destination during the run for {give_up_after:.0f} s: {exc}"
            next_probe = time.monotonic() + PROBE_INTERVAL
        if reason:
            _stop(process)
            break
        # restic's standard output closes when it ends: the reader's end wakes this loop at
        # once (Popen.wait with a timeout polls, up to 50 ms late per destination)
        readers[0].join(timeout=0.5)
        if not readers[0].is_alive():
            try:
                process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
    for reader in readers:
        reader.join(timeout=GRACE)
    return Watched(process.returncode, "".join(out), "".join(err), reason)
