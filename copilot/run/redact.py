"""Redaction: event fields listed in `observability.redact` never reach traces or logs.

The engine collects the values of those fields from each event and replaces them inside
every string it writes to a span attribute, a log line or the timeline's error text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"


class Redactor:
    """Replaces the values of redacted event fields inside strings."""

    __slots__ = ("values",)

    def __init__(self, values: Iterable[str]) -> None:
        # Longest first, so a value containing another is replaced whole.
        self.values = sorted({v for v in values if len(v) >= 2}, key=len, reverse=True)

    def __call__(self, value: Any) -> Any:
        if not self.values or not isinstance(value, str):
            return value
        for secret in self.values:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def tree(self, value: Any) -> Any:
        """`value` (JSON-like) with every string in it, keys included, scrubbed."""
        if not self.values:
            return value
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self(k) if isinstance(k, str) else k: self.tree(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.tree(v) for v in value]
        return value


def redacted_values(event: Any, paths: Iterable[str]) -> list[str]:
    """The string forms of the event values at `paths` (``event.email``, ``event.a.b``)."""
    out: list[str] = []
    for path in paths:
        parts = path.split(".")
        if parts and parts[0] == "event":
            parts = parts[1:]
        node = event
        for part in parts:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                node = None
                break
        _collect(node, out)
    return out


def _collect(node: Any, out: list[str]) -> None:
    if node is None or isinstance(node, bool):
        return
    if isinstance(node, dict):
        for value in node.values():
            _collect(value, out)
    elif isinstance(node, list):
        for value in node:
            _collect(value, out)
    else:
        out.append(str(node))


def redact_event(event: Any, paths: Iterable[str]) -> Any:
    """A copy of `event` with the values at `paths` replaced by `[redacted]` (for files)."""
    import copy

    out = copy.deepcopy(event)
    for path in paths:
        parts = path.split(".")
        if parts and parts[0] == "event":
            parts = parts[1:]
        if not parts:
            continue
        node = out
        for part in parts[:-1]:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                node = None
                break
        last = parts[-1]
        if isinstance(node, dict) and last in node:
            node[last] = REDACTED
        elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
            node[int(last)] = REDACTED
    return out
