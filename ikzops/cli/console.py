"""The two consoles: results to stdout, errors and progress to stderr."""

import os

from rich.console import Console

console = Console(highlight=False)
if not console.is_terminal and "COLUMNS" not in os.environ:
    # a log or a pipe has no width: rich's 80 columns would fold the tables' cells
    console.width = 140
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
