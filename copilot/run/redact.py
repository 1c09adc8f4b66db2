"""Redaction: event fields listed in `observability.redact` never reach traces or logs.

The engine collects the values of those fields from each event and replaces them inside
every string it writes to a span attribute, a log line, the timeline's error text or a
dead letter. Values derived from them travel too: the output of a tainted step
(copilot.flow.taint) is added to the event's Redactor as the step ends, and hidden whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"


# A tainted step's output (copilot.flow.taint) is hidden by its leaves' text; shorter
# leaves ("ok", "no") are words that would blank out unrelated text.
DERIVED_MIN = 4


class Redactor:
    """Replaces the values of redacted event fields inside strings.

    `add` teaches it the output of a tainted step (one derived from a redacted field) as
    the run goes, so an error, span or dead letter that quotes that output hides it too.
    """

    __slots__ = ("values",)

    def __init__(self, values: Iterable[str]) -> None:
        # Longest first, so a value containing another is replaced whole.
        self.values = sorted({v for v in values if len(v) >= 2}, key=len, reverse=True)

    def add(self, output: Any) -> None:
        """Hide every string and number in `output` (JSON-like), and its JSON form, from now on."""
        import json

        found: list[str] = []
        _collect(output, found)
        if isinstance(output, dict | list):
            found.append(json.dumps(output, ensure_ascii=False, default=str))
        fresh = {v for v in found if len(v) >= DERIVED_MIN} - set(self.values)
        if fresh:
            self.values = sorted({*self.values, *fresh}, key=len, reverse=True)

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


def _parts(path: str) -> list[str]:
    """`event.a.b` -> [a, b]: the keys (or list indexes) of a path under the event."""
    parts = path.split(".")
    return parts[1:] if parts and parts[0] == "event" else parts


def _walk(node: Any, parts: list[str]) -> Any:
    """The value at `parts` under `node`, or None when the path is not there."""
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def redacted_values(event: Any, paths: Iterable[str]) -> list[str]:
    """The string forms of the event values at `paths` (``event.email``, ``event.a.b``)."""
    out: list[str] = []
    for path in paths:
        _collect(_walk(event, _parts(path)), out)
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
        parts = _parts(path)
        if not parts:
            continue
        node = _walk(out, parts[:-1])
        last = parts[-1]
        if isinstance(node, dict) and last in node:
            node[last] = REDACTED
        elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
            node[int(last)] = REDACTED
    return out
