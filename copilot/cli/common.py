"""What every command module shares: exit codes, the one-line failure, the console, formats.

Command modules import from here (downwards); `copilot.cli.app` imports the command
modules only when their command is invoked, so nothing here may import a command module.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from copilot.errors import FlowgenError

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class DataFormat(str, Enum):
    """`--format` of a command whose output is data: a report for people, or JSON."""

    text = "text"
    json = "json"


def fail(error: FlowgenError | str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one line on stderr and exit (2 by default): the only way bad input ends."""
    text = str(error)
    located = isinstance(error, FlowgenError) and error.path
    sys.stderr.write(f"{text}\n" if located else f"flowgen: error: {text}\n")
    raise typer.Exit(code)


def console(stderr: bool = False) -> Console:
    """A Rich console that honours NO_COLOR and a non-TTY output."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Off a terminal (CI logs, pipes) Rich would wrap tables at 80 columns; COLUMNS still wins.
    width = None if stream.isatty() else int(os.environ.get("COLUMNS", "160"))
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def refuse_overwrite(option: str, path: Path | str | None, force: bool) -> None:
    """An output file that exists is replaced only with --force: one line, exit 2."""
    if path is None or force or str(path) == "-":
        return
    target = Path(path)
    if target.is_dir():
        fail(f"{option} {path}: is a directory")
    if target.exists() or target.is_symlink():
        fail(f"{option} {path}: the file exists; pass --force to replace it")
