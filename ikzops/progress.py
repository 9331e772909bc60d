"""Progress of long work: steps with their duration, shown by whoever is listening.

The orchestrating code says what it does (``with progress.step("build base image")``);
the CLI shows a spinner and a line per finished step; tests and cron get plain lines.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Step:
    title: str
    outcome: str = "done"
    detail: str = ""
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0

    def done(self, outcome: str, detail: str = "") -> None:
        """Say how the step ended: "done", "cached", "kept", "skipped" ..."""

        self.outcome = outcome
        self.detail = detail


class Progress(Protocol):
    @contextmanager
    def step(self, title: str) -> Iterator[Step]: ...

    def wait(self, text: str) -> None: ...


class Recorder:
    """A :class:`Progress` that keeps the finished steps (for tests and reports)."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    @contextmanager
    def step(self, title: str) -> Iterator[Step]:
        step = Step(title)
        try:
            yield step
        finally:
            step.seconds = time.monotonic() - step.started
            self.steps.append(step)

    def wait(self, text: str) -> None:
        pass
