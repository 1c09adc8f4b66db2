"""Reading a JSON-lines file flowgen wrote (spans of `--trace`, dead letters of `serve`).

One reader for both: blank lines are skipped, a line that is not JSON ends the read with
one error naming the line and column, and only objects are kept (the caller picks its kind).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from copilot.errors import FlowgenError


def json_objects(text: str, bad_line: Callable[[int, json.JSONDecodeError], str]) -> list[dict[str, Any]]:
    """The JSON objects of `text`, one a line; `bad_line(number, error)` words the error."""
    out: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FlowgenError(bad_line(number, exc)) from None
        if isinstance(value, dict):
            out.append(value)
    return out
