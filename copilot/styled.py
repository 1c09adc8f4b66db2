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


def fitted_tables(
    console: Any,
    columns: list[tuple[str, str]],
    rows: list[list[str]],
    *,
    title: str | None = None,
    key_columns: int = 1,
    **table_options: Any,
) -> list[Any]:
    """A wide table as Rich tables that each fit `console`'s width, never cutting a cell.

    `columns` are (header, justify). When every column fits, this is one table. Otherwise
    the columns after the first `key_columns` (the row's name: a step id, a model id) are
    split over several tables that each repeat the key columns, so a 15-column report
    reads at 80 columns instead of shrinking every cell to "c…". A cell wider than its
    column folds onto the next line rather than ending in an ellipsis.
    """
    from rich.table import Table

    def build(indexes: list[int], caption: str | None) -> Table:
        table = Table(title=caption, title_justify="left", **table_options)
        for i in indexes:
            header, justify = columns[i]
            table.add_column(header, justify=justify, overflow="fold")  # type: ignore[arg-type]
        for row in rows:
            table.add_row(*(row[i] for i in indexes))
        return table

    def width(table: Table) -> int:
        # Measured unbounded: Rich clamps a measurement to the console's width.
        return int(console.measure(table, options=console.options.update_width(10_000)).maximum)

    keys = list(range(min(key_columns, len(columns))))
    groups: list[list[int]] = []
    current = list(keys)
    for i in range(len(keys), len(columns)):
        trial = [*current, i]
        if len(current) > len(keys) and width(build(trial, title)) > console.width:
            groups.append(current)
            current = [*keys, i]
        else:
            current = trial
    groups.append(current)
    return [build(group, title if n == 0 else None) for n, group in enumerate(groups)]
