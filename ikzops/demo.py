"""The main job on the embedded default: ``./run demo``.

Brings the container lab up and runs, in order, what an operator runs on a real
partnership. Each step is an ordinary ikzops command, shown before it runs; the
demo stops at the first step that does not exit 0 and exits with its code.
"""

from __future__ import annotations

import sys

from ikzops.cli import cli
from ikzops.cli.console import console

LAB = "inventories/lab.py"

STEPS: tuple[tuple[str, ...], ...] = (
    ("lab", "up"),
    ("inventory", "check", "-i", LAB),
    ("lab", "status"),
    ("lab", "seed"),
    ("deploy", "-i", LAB),
    ("deploy", "-i", LAB),  # the second deploy changes nothing
    ("backup", "-i", LAB),
    ("verify", "-i", LAB),
    ("drill", "-i", LAB, "--all"),
)


def main(argv: list[str]) -> int:
    for step in STEPS:
        console.rule(f"ikzops {' '.join(step)}")
        # with standalone_mode=False click returns the exit code instead of exiting
        code = cli.main([*argv, *step], prog_name="ikzops", standalone_mode=False)
        if isinstance(code, int) and code != 0:
            console.print(f"[red]demo stopped[/]: `ikzops {' '.join(step)}` exited {code}")
            return code
    console.rule("[green]demo finished: every step exited 0")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
