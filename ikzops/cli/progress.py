"""The CLI's :class:`~ikzops.progress.Progress`: a spinner while a step runs, a line when it ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console

from ikzops.cli.console import err_console
from ikzops.progress import Recorder, Step

_MARKS = {"failed": "[red]✗[/]"}


class ConsoleProgress(Recorder):
    def __init__(self, console: Console, quiet: bool = False) -> None:
        super().__init__()
        self.console = console
        self.quiet = quiet
        self._status = None

    @contextmanager
    def step(self, title: str) -> Iterator[Step]:
        if self.quiet:
            with super().step(title) as step:
                yield step
            return
        with self.console.status(title) as status:
            self._status = status
            failed = True
            try:
                with super().step(title) as step:
                    yield step
                failed = False
            finally:
                self._status = None
        step = self.steps[-1]
        if failed:
            step.outcome = "failed"
        mark = _MARKS.get(step.outcome, "[green]✓[/]")
        detail = f" [dim]{step.detail}[/]" if step.detail else ""
        self.console.print(f"{mark} {title}: {step.outcome} ({step.seconds:.1f} s){detail}")

    def wait(self, text: str) -> None:
        if self._status is not None:
            self._status.update(text)


def console_progress() -> ConsoleProgress:
    """Progress on stderr; nothing of it under ``-q`` (cron): errors and findings still print."""

    root = click.get_current_context().find_root()
    return ConsoleProgress(err_console, quiet=bool((root.obj or {}).get("quiet")))
