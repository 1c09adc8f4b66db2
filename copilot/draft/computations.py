"""Values the flow computes itself from the event's fields: "compute the refund as keg_count
times deposit_per_keg_eur" (a transform step, no model)."""

# ruff: noqa: E501  (regular expressions, easier to read whole)
from __future__ import annotations

import re

from copilot.draft.labels import snake
from copilot.draft.phrases import Match
from copilot.draft.reading import Task

__all__ = ["read_computations"]

# "compute the refund as keg_count times deposit_per_keg_eur": arithmetic on the event's numbers
_COMPUTE = re.compile(
    r"\b(?:compute|calculate|work\s+out|figure\s+out)\s+(?:the\s+|a\s+|their\s+|its\s+)?([a-z][a-z ]{0,30}?)\s+as\s+"
    r"(?:the\s+)?([a-z][a-z0-9_]*(?:\s+(?:times|multiplied\s+by|plus|minus|divided\s+by|less)\s+(?:the\s+)?[a-z0-9_.]+)+)",
    re.I,
)
_ARITHMETIC = {"times": "*", "multiplied by": "*", "plus": "+", "minus": "-", "less": "-", "divided by": "/"}


def read_computations(sentences: list[str], matches: list[Match]) -> list[Task]:
    """ "compute the refund as keg_count times deposit_per_keg_eur": a value computed in-process
    from the event's fields (a transform step, no model), which later conditions and payloads read."""
    out: list[Task] = []
    for index, sentence in enumerate(sentences):
        for m in _COMPUTE.finditer(sentence):
            expr = m.group(2)
            for words, op in _ARITHMETIC.items():
                spaced = words.replace(" ", r"\s+")
                expr = re.sub(rf"\s+{spaced}\s+(?:the\s+)?", f" {op} ", expr, flags=re.I)
            operands = re.findall(r"[a-z][a-z0-9_]*", expr)
            if not operands or not all("_" in o for o in operands):
                continue  # "the total as price times quantity": words, not fields it can name
            name = snake(m.group(1))
            task = Task("compute", m.group(0), index, m.start(), target=name)
            task.action = re.sub(r"([a-z][a-z0-9_]*)", r"event.\1", expr)
            task.fields = operands
            task.quote = m.group(0)
            out.append(task)
            matches.append(Match("task", m.group(0), index, m.start(), m.end()))
    return out
