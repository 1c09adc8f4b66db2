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


# "If the value falls outside the reference range": the event's own bounds (`reference_low`,
# `reference_high`), compared field to field
_NAMED_RANGE = re.compile(
    r"\b(?:the\s+)?(?!(?:or|and|if|when|it|is|are|but|then|not)\b)([a-z][a-z0-9_]*)\s+(?:is\s+|are\s+|falls?\s+|goes\s+|reads?\s+|lies\s+)?"
    r"(outside(?:\s+of)?|out\s+of|within|inside)\s+(?:the\s+|its\s+|their\s+)?([a-z][a-z0-9]*)\s+range\b",
    re.I,
)
# "more than twice reference_high", "below half of reference_low", "over 3x baseline_ms"
_MULTIPLE_OF = re.compile(
    r"\b(?!(?:or|and|if|when|it|is|are|but|then|not)\b)([a-z][a-z0-9_]*)\s+(?:is\s+|are\s+)?"
    r"(more than|above|over|greater than|higher than|below|under|less than|lower than)\s+"
    r"(twice|double|half(?:\s+of)?|(\d+(?:\.\d+)?)\s*(?:x|×|times))\s+(?:the\s+)?([a-z][a-z0-9]*_[a-z0-9_]+)\b",
    re.I,
)
# "… or below half of reference_low": a second test of the same subject, said once
_OR_MULTIPLE = re.compile(
    r"\bor\s+((?:below|under|less than|lower than|above|over|more than)\s+(?:twice|double|half(?:\s+of)?|"
    r"\d+(?:\.\d+)?\s*(?:x|×|times))\s+(?:the\s+)?[a-z][a-z0-9]*_[a-z0-9_]+)\b",
    re.I,
)
_LESS = ("below", "under", "less than", "lower than")


def _multiple(m: re.Match[str], text: str, subject: str) -> Condition:
    said = m.group(3).lower()
    factor = 2.0 if said in ("twice", "double") else 0.5 if said.startswith("half") else float(m.group(4))
    op = "<" if m.group(2).lower() in _LESS else ">"
    return Condition("fields", text, op, m.group(5), output_field=subject, factor=factor)


# "-10", "−10", "minus 10": a number below zero (a freezer's temperature) keeps its sign
SIGN = r"(?:-|−|minus\s+)?"


def signed(number: str) -> float:
    """ "1,000" is 1000.0; "-10", "−10" and "minus 10" are -10.0."""
    return float(re.sub(r"^(?:−|minus\s+)", "-", number.replace(",", "")))


# "temp_c is above 22 or below 16": one field, two bounds, either one
_BOUND = r"(above|over|more than|higher than|greater than|below|under|less than|lower than)"
_EITHER_BOUND = re.compile(
    r"\b(?!(?:or|and|if|when|it|is|are|but|then|not)\b)([a-z][a-z0-9_]*)\s+(?:is\s+|are\s+|goes\s+|gets\s+)?"
    + _BOUND
    + r"\s+("
    + SIGN
    + r"\d+(?:\.\d+)?)\s*(?:[a-z%°]{1,5}\s+)?or\s+"
    + _BOUND
    + r"\s+("
    + SIGN
    + r"\d+(?:\.\d+)?)",
    re.I,
)
_OP = {"above": ">", "over": ">", "more than": ">", "higher than": ">", "greater than": ">"}


def _between_fields(part: str, a: int, not_field: Callable[[str], bool]) -> list[Atom]:
    """Event fields compared with the event's own bounds, or a multiple of them; one field said
    with two bounds either of which holds."""
    found: list[Atom] = []
    for m in _EITHER_BOUND.finditer(part):
        if not_field(m.group(1)):
            continue
        ops = [_OP.get(m.group(i).lower(), "<") for i in (2, 4)]
        first = Condition("event", m.group(0), ops[0], signed(m.group(3)), output_field=m.group(1))
        first.alternatives = [
            Condition("event", m.group(0), ops[1], signed(m.group(5)), output_field=m.group(1))
        ]
        found.append((a + m.start(), a + m.end(), first))
    for m in _NAMED_RANGE.finditer(part):
        if not_field(m.group(1)):
            continue
        field, prefix = m.group(1), m.group(3).lower()
        outside = not m.group(2).lower().startswith(("within", "inside"))
        low = Condition("fields", m.group(0), "<" if outside else ">=", f"{prefix}_low", output_field=field)
        high = Condition("fields", m.group(0), ">" if outside else "<=", f"{prefix}_high", output_field=field)
        low.alternatives, low.all_of = [high], not outside
        found.append((a + m.start(), a + m.end(), low))
    for m in _MULTIPLE_OF.finditer(part):
        if not not_field(m.group(1)):
            found.append((a + m.start(), a + m.end(), _multiple(m, m.group(0), m.group(1))))
    for m in _OR_MULTIPLE.finditer(part):
        before = [atom for atom in found if atom[1] <= a + m.start() and atom[2].factor is not None]
        if before and not any(s <= a + m.start(1) < e for s, e, _ in found):
            subject = before[-1][2].output_field or ""
            again = _MULTIPLE_OF.match(f"{subject} {m.group(1)}")
            if again is not None:
                found.append((a + m.start(1), a + m.end(1), _multiple(again, m.group(1), subject)))
    return found


def band_atoms(part: str, a: int, not_field: Callable[[str], bool]) -> list[Atom]:
    """The bands of event fields in `part` (which starts at `a` of its sentence): op `outside`
    or `range`, the value the two bounds. "Scores between 60 and 89" is a score's, not a field's.
    Also a field against the event's own bounds ("outside the reference range")."""
    found: list[Atom] = _between_fields(part, a, not_field)
    for m in _EVENT_BAND.finditer(part):
        if (
            not_field(re.sub(r"s$", "", m.group(1)))
            or m.group(1).lower() in ("cases", "case")
            # "Applications scoring between 40 and 74": a band of the score, not of a field
            or re.fullmatch(r"scor\w*|rated|rating|ranked", m.group(1), re.I)
        ):
            continue
        band = (float(m.group(3)), float(m.group(4)))
        if band[0] > band[1] or re.match(r"\s*(?:am|pm|a\.m|p\.m|o'?clock|h\b)", part[m.end(3) :], re.I):
            continue  # "between 11pm and 6am": hours of the day, a quiet window, no field's band
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


_TRUE, _FALSE = frozenset({"true", "yes"}), frozenset({"false", "no"})


def truth_condition(text: str, field_name: str, value: str) -> Condition | None:
    """ "swarm_alarm is true", "injury is false": a boolean of the event, read by its truth (a
    "present" test is the same truthiness: a missing, empty or false field is not true)."""
    word = value.lower().strip("'\"`")
    if word not in _TRUE | _FALSE:
        return None
    return Condition("present", text, "!=", "", output_field=field_name, negated=word in _FALSE)


# "Claims of $600 or more", "orders worth 500 or above": the subject's amount, the number first,
# then its direction (groups as the "is 500 or more" form: the noun, the number, the direction)
OF_AMOUNT = re.compile(
    # "Claims of $600 or more", "fits of 7 or more -> add a row"
    r"\b([a-z]{3,})\s+(?:of|worth|totall?ing)\s+[$€£]?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s+or\s+"
    r"(more|above|higher|greater|over|less|below|lower|fewer|under)\b",
    re.I,
)


_BIGGER_THAN = re.compile(
    r"\b(bigger|larger|more|greater|longer|heavier|smaller|fewer|shorter|lighter)\s+([a-z]+)\s+than\s+(\d[\d,]*(?:\.\d+)?)\b"
    # "walls bigger than 60 ft wide": the thing, then how it is bigger
    r"|\b([a-z]{3,})\s+(?:are\s+|is\s+)?(bigger|larger|wider|taller|longer|heavier|smaller|narrower|shorter|lighter)\s+"
    r"than\s+(\d[\d,]*(?:\.\d+)?)\s*((?:ft|feet|foot|m|meters?|metres?|cm|in|inches|kg|lbs?)\b(?:\s+(?:wide|tall|high|long|deep))?)?",
    re.I,
)


def bigger_than_atoms(part: str, a: int, found: list[Atom]) -> list[Atom]:
    """ "bigger groups than 10" (the groups' size over 10), "walls bigger than 60 ft wide" (the
    walls' width in feet), where no atom read before covers it."""
    out: list[Atom] = []
    for m in _BIGGER_THAN.finditer(part):
        if any(s < a + m.end() and e > a + m.start() for s, e, _ in found):
            continue
        word, noun, number = (m.group(1), m.group(2), m.group(3)) if m.group(1) else m.group(5, 4, 6)
        op = "<" if word.lower() in ("smaller", "fewer", "shorter", "lighter", "narrower") else ">"
        unit = snake(m.group(7) or "") if not m.group(1) else ""
        named = snake(noun) + (f"_{unit}" if unit else "")
        out.append(
            (
                a + m.start(),
                a + m.end(),
                Condition("event", m.group(0), op, signed(number), output_field=named),
            )
        )
    return out
