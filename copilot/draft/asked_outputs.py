"""What a judging step is asked to give besides its verdict: "decide approve, needs_changes or
reject, listing the handbook section numbers that were violated", "classify it …, citing the
clause used". Each becomes a field of the step's output (a list when the brief says a plural), so
the side effects after it can carry it and the gate holds the model to it."""

from __future__ import annotations

import re

__all__ = ["ASKED", "asked_outputs"]

ASKED = re.compile(
    r"\b(?:listing|citing|quoting|naming|noting|giving|with)\s+(?:the\s+|any\s+|all\s+|every\s+|each\s+|an?\s+)?"
    r"(?P<what>(?:[a-z][\w-]*\s+){0,3}?[a-z][\w-]*?)(?=\s+(?:that|which|used|violated|broken|breached|"
    r"it\s+relies|they\s+|involved|found|behind)\b|\s*[,.;]|$)",
    re.I,
)
# what is not an output: how the step works or what it reads
_NOT_ASKED = re.compile(
    r"^(?:model|llm|ai|context|event|text|confidence|reason|reasons|score|label|decision)$"
)


def asked_outputs(clause: str) -> list[tuple[str, bool]]:
    """(field name, is a list) for each thing the clause asks the judging step to give."""
    out: list[tuple[str, bool]] = []
    for m in ASKED.finditer(clause):
        words = [w.lower() for w in re.findall(r"[A-Za-z][\w-]*", m.group("what"))]
        if not words or (m.group(0).lower().startswith("with") and len(words) > 3):
            continue
        name = re.sub(r"[^a-z0-9]+", "_", " ".join(words)).strip("_")[:40]
        if not name or _NOT_ASKED.match(name) or any(n == name for n, _ in out):
            continue
        out.append((name, words[-1].endswith("s") and not words[-1].endswith("ss")))
    return out
