"""Tests of an event field a condition names that are no plain threshold: a band of it ("the
pH is outside 7.2-7.8", "temp_c is between 2 and 8") and a word it holds ('the event_name
contains "Junior"'). Used by `copilot.draft.conditions`, which says which nouns are no field.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from copilot.draft.labels import snake
from copilot.draft.reading import Condition

Atom = tuple[int, int, Condition]

# 'If the event_name contains "Junior"': a text field of the event holds a word
_CONTAINS = re.compile(
    r"\b(?:the\s+)?([a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]{3,}(?:\s+[a-z]{3,})?)\s+(?:contains|includes|mentions|has)\s+"
    r"(?:the\s+(?:word|text|string)\s+)?[\"'\u201c\u2018]([^\"'\u201d\u2019]{1,40})[\"'\u201d\u2019]",
    re.I,
)
# "If pests_found includes termites or bed bugs": a field written as an identifier, then words
_INCLUDES_WORDS = re.compile(
    r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\s+(?:contains|includes|mentions|has)\s+(?:any\s+of\s+)?"
    r"((?:[a-z][\w-]*(?:\s+[a-z][\w-]*)?)(?:\s*,\s*(?:or\s+)?[a-z][\w-]*(?:\s+[a-z][\w-]*)?)*"
    r"(?:\s*,?\s+or\s+[a-z][\w-]*(?:\s+[a-z][\w-]*)?)?)\s*(?=[,.;]|$)",
    re.I,
)
# "the pH is outside 7.2-7.8", "temp_c is between 2 and 8": a band of an event field
_EVENT_BAND = re.compile(
    r"\b(?:the\s+)?([a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]{2,})\s+(?:is\s+|are\s+|reads?\s+|falls?\s+|goes\s+)?"
    r"(outside(?:\s+of)?|out\s+of|between|within|inside)\s+(?:the\s+)?(?:range\s+(?:of\s+)?)?"
    r"(-?\d+(?:\.\d+)?)\s*(?:[a-z%°]{1,5}\s*)?(?:-|–|to|and)\s*(-?\d+(?:\.\d+)?)",
    re.I,
)


def band_atoms(part: str, a: int, not_field: Callable[[str], bool]) -> list[Atom]:
    """The bands of event fields in `part` (which starts at `a` of its sentence): op `outside`
    or `range`, the value the two bounds. "Scores between 60 and 89" is a score's, not a field's."""
    found: list[Atom] = []
    for m in _EVENT_BAND.finditer(part):
        if not_field(re.sub(r"s$", "", m.group(1))) or m.group(1).lower() in ("cases", "case"):
            continue
        band = (float(m.group(3)), float(m.group(4)))
        op = "outside" if m.group(2).lower().startswith("out") else "range"
        found.append(
            (a + m.start(), a + m.end(), Condition("event", m.group(0), op, band, snake(m.group(1))))
        )
    return found


def contains_atoms(part: str, a: int, not_field: Callable[[str], bool]) -> list[Atom]:
    """The fields `part` says hold a word (quoted, or after a field written as an identifier):
    op `contains`, the value the word; "termites or bed bugs" are alternatives."""
    found: list[Atom] = [
        (
            a + m.start(),
            a + m.end(),
            Condition("event", m.group(0), "contains", m.group(2), snake(m.group(1))),
        )
        for m in _CONTAINS.finditer(part)
        if not not_field(m.group(1))
    ]
    for m in _INCLUDES_WORDS.finditer(part):
        if any(s < a + m.end() and e > a + m.start() for s, e, _ in found):
            continue
        words = [w for w in re.split(r"\s*,\s*(?:or\s+)?|\s+or\s+", m.group(2).strip()) if w]
        first = Condition("event", m.group(0), "contains", words[0], m.group(1))
        first.alternatives = [Condition("event", m.group(0), "contains", w, m.group(1)) for w in words[1:]]
        found.append((a + m.start(), a + m.end(), first))
    return found
