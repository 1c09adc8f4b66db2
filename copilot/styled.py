"""Report lines with styles: Rich on a terminal, plain text everywhere else.

A report line is a sequence of parts, each plain text or ``(text, rich_style)``. On a
terminal (or with colour forced on) Rich renders them; off one (a pipe, a CI log, a test
runner) they are written as plain text without importing Rich's console, which costs
about 20 ms of every `flowgen lint` and `flowgen validate`: as much as the work itself on
a small flow. Parts are never parsed as markup, so user text needs no escaping.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any, TextIO

Part = str | tuple[str, str]
"""Plain text, or (text, Rich style) such as ("fits", "green")."""


def plain(parts: Iterable[Part]) -> str:
    """The text of `parts` without styles."""
    return "".join(part if isinstance(part, str) else part[0] for part in parts)


def wants_rich(stream: TextIO) -> bool:
    """Whether output to `stream` is styled: a terminal, or colour forced as Rich honours it."""
    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") == "1":
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Lines:
    """Where a report's lines go: a Rich console when given one, else `stream` as plain text."""

    def __init__(self, console: Any = None, stream: TextIO | None = None) -> None:
        self.console = console
        self.stream = stream

    def line(self, *parts: Part, soft_wrap: bool | None = None) -> None:
        if self.console is None:
            (self.stream or sys.stdout).write(plain(parts) + "\n")
            return
        from rich.text import Text

        self.console.print(Text.assemble(*parts), soft_wrap=soft_wrap)
