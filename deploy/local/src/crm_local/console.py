"""Rich consoles for the `crm` command: wide enough for the tables when piped."""

from __future__ import annotations

from rich.console import Console


def make_console(*, stderr: bool = False) -> Console:
    console = Console(stderr=stderr, log_path=False)
    if not console.is_terminal:
        # Piped into a file or a test: no wrapping of URLs at 80 columns.
        console = Console(stderr=stderr, log_path=False, width=120)
    return console
