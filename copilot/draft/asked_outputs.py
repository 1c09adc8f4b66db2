"""What a judging step is asked to give besides its verdict: "decide approve, needs_changes or
reject, listing the handbook section numbers that were violated", "classify it …, citing the
clause used". Each becomes a field of the step's output (a list when the brief says a plural), so
the side effects after it can carry it and the gate holds the model to it."""

from __future__ import annotations

import re

from copilot.draft.reading import Task

__all__ = ["ASKED", "asked_numbers", "asked_outputs"]

ASKED = re.compile(
    r"\b(?:listing|citing|quoting|naming|noting|giving|with)\s+(?:the\s+|any\s+|all\s+|every\s+|each\s+|an?\s+)?"
    r"(?P<what>(?:[a-z][\w-]*\s+){0,3}?[a-z][\w-]*?)(?=\s+(?:that|which|used|violated|broken|breached|"
    r"it\s+relies|they\s+|involved|found|behind)\b|\s+in\s+(?:dollars|euros|pounds|usd|eur|gbp|cents|minutes|hours|"
    r"days|weeks|percent|kg|km|miles)\b|\s*[,.;]|$)",
    re.I,
)
JUDGING = ("decide", "classify", "score", "moderate")
# what is not an output: how the step works or what it reads
_NOT_ASKED = re.compile(
    r"^(?:model|llm|ai|context|event|text|confidence|reason|reasons|score|label|decision)$"
)


# "with a repair cost estimate in dollars", "giving the hours needed": a number, not words
_NUMBER_WORDS = re.compile(
    r"\b(?:estimate|cost|costs|amount|price|total|fee|fees|count|hours|minutes|days|percentage|quantity)$"
)
_IN_UNITS = re.compile(
    r"\s+in\s+(?:dollars|euros|pounds|usd|eur|gbp|cents|minutes|hours|days|weeks|percent)\b", re.I
)


def asked_outputs(clause: str) -> list[tuple[str, str]]:
    """(field name, "string" | "list" | "number") for each thing the clause asks the judging step
    to give: "listing the section numbers" is a list, "with a repair cost estimate in dollars" a
    number."""
    out: list[tuple[str, str]] = []
    for m in ASKED.finditer(clause):
        words = [w.lower() for w in re.findall(r"[A-Za-z][\w-]*", m.group("what"))]
        if not words or (m.group(0).lower().startswith("with") and len(words) > 3):
            continue
        name = re.sub(r"[^a-z0-9]+", "_", " ".join(words)).strip("_")[:40]
        if not name or _NOT_ASKED.match(name) or any(n == name for n, _ in out):
            continue
        if _IN_UNITS.match(clause, m.end()) or _NUMBER_WORDS.search(name.replace("_", " ")):
            out.append((name, "number"))
        else:
            out.append(
                (name, "list" if words[-1].endswith("s") and not words[-1].endswith("ss") else "string")
            )
    return out


def asked_numbers(tasks: list[Task], sentences: list[str]) -> dict[str, Task]:
    """The numbers judging steps are asked to give ("…, with a repair cost estimate in dollars"),
    by field name, and the task that gives each: a later "if the estimate is over $150" tests it."""
    out: dict[str, Task] = {}
    for task in tasks:
        if task.kind in JUDGING and 0 <= task.sentence < len(sentences) and task.start >= 0:
            for name, kind in asked_outputs(sentences[task.sentence][task.start :].split(";")[0])[:3]:
                if kind == "number":
                    out.setdefault(name, task)
    return out
