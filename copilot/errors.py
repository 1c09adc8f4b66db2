"""The one error type every user-facing failure is reported through.

A `FlowgenError` renders as a single line, ``file:line:col: message``, and the CLI turns it
into exit code 2. Code that handles user input raises only this, so a traceback always
means a bug in flowgen, never bad input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Control characters from user input (a key with a newline, a NUL) are shown escaped, so
# every error stays one line in a terminal, a CI log or a JSON report.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass(frozen=True)
class Position:
    """A 1-based line and column in a source file."""

    line: int
    col: int


class FlowgenError(Exception):
    """A problem with user input: a file, a flag, an event or an LLM answer."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        position: Position | None = None,
        code: str | None = None,
    ) -> None:
        message = _CONTROL.sub(lambda m: repr(m.group())[1:-1], message)
        super().__init__(message)
        self.message = message
        self.path = path
        self.position = position
        self.code = code

    def located(self, path: str) -> FlowgenError:
        """The same error attributed to `path` (when raised before the path was known)."""
        return FlowgenError(self.message, path=path, position=self.position, code=self.code)

    def __str__(self) -> str:
        where = self.path or ""
        if self.position is not None:
            where = f"{where}:{self.position.line}:{self.position.col}"
        return f"{where}: {self.message}" if where else self.message


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`, did you mean `x`?` for the closest choice, or an empty string."""
    import difflib

    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f", did you mean `{close[0]}`?" if close else ""
