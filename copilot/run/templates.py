"""Templates compiled once per flow, for the engine's per-event rendering.

Most flow templates are plain substitutions (`{{ event.id }}:classify`,
`{{ steps.classify.output }}`). Those are rendered here by walking the event's dicts
directly, which is an order of magnitude cheaper than a Jinja render; anything else
(filters, tests, expressions), and any lookup that is not a plain dict key, goes to the
sandbox in `copilot.flow.expressions`, so behaviour and errors are exactly the sandbox's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from copilot.flow.expressions import render, render_value

_PART = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*\}\}")
_MISSING = object()

Renderer = Callable[[dict[str, Any]], Any]


def _lookup(context: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = context
    for part in path:
        if type(node) is not dict:
            return _MISSING
        node = node.get(part, _MISSING)
        if node is _MISSING:
            return _MISSING
    return node


def _text(value: Any) -> str:
    # Jinja prints values with str(); so does this.
    return value if type(value) is str else str(value)


def compile_template(text: str) -> Renderer:
    """A function rendering `text` against a context, as `expressions.render` would."""
    if "{{" not in text and "{%" not in text:
        return lambda context: text
    if "{%" in text or "{#" in text:
        return lambda context: render(text, context)
    pieces: list[str | tuple[str, ...]] = []
    position = 0
    for match in _PART.finditer(text):
        pieces.append(text[position : match.start()])
        pieces.append(tuple(match.group(1).split(".")))
        position = match.end()
    pieces.append(text[position:])
    remaining = "".join(p for p in pieces if isinstance(p, str))
    if "{{" in remaining or "}}" in remaining:
        return lambda context: render(text, context)  # filters, calls, comparisons…
    literal = [p for p in pieces if p != ""]
    if len(literal) == 1 and isinstance(literal[0], tuple):
        path = literal[0]

        def lone(context: dict[str, Any]) -> Any:
            value = _lookup(context, path)
            return render(text, context) if value is _MISSING else value

        return lone
    return _joined(literal, text)


def _joined(pieces: list[str | tuple[str, ...]], text: str) -> Renderer:
    def joined(context: dict[str, Any]) -> Any:
        out = []
        for piece in pieces:
            if type(piece) is str:
                out.append(piece)
                continue
            value = _lookup(context, piece)  # type: ignore[arg-type]
            if value is _MISSING or value is None:
                return render(text, context)  # let the sandbox raise (or print) exactly as it does
            out.append(_text(value))
        return "".join(out)

    return joined


def compile_value(value: Any) -> Renderer:
    """A renderer for a JSON-like value whose strings are templates (bodies, outputs)."""
    if isinstance(value, str):
        return compile_template(value)
    if isinstance(value, dict):
        items = [(k, compile_value(v)) for k, v in value.items()]
        return lambda context: {k: f(context) for k, f in items}
    if isinstance(value, list):
        parts = [compile_value(v) for v in value]
        return lambda context: [f(context) for f in parts]
    return lambda context: value


__all__ = ["compile_template", "compile_value", "render_value"]
