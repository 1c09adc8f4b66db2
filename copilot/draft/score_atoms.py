"""Score thresholds in a condition: "risk above 0.8", "a score of 80% or more", "borderline
cases (0.4 to 0.8)". Read as shares of the scale (`as_share`); the planner gives the brief's
own numbers back when it scores on a scale of its own. Used by `copilot.draft.conditions`.
"""

# ruff: noqa: E501  (regular expressions, one family per line, easier to read whole)
from __future__ import annotations

import re

from copilot.draft.reading import Condition

# the comparison words of a threshold and the operator each means
OPS = {"above": ">", "over": ">", "greater than": ">", "higher than": ">", "more than": ">", "exceeds": ">",
        ">=": ">=", ">": ">", "at least": ">=", "below": "<", "under": "<", "less than": "<",
        "lower than": "<", "<=": "<=", "<": "<", "greater than or equal to": ">=", "at most": "<=",
        "less than or equal to": "<=", "exceed": ">", "exactly": "==", "equal to": "==", "=": "==", "==": "=="}  # fmt: skip
# "Borderline cases (0.4 to 0.8)", "scores between 40 and 80": a band of a score
_RANGE_ATOM = re.compile(
    r"\b(?:borderline|middling|between|scores?|cases|risk)\b[^.;]{0,20}?\(?\s*(\d+(?:\.\d+)?)\s*(?:to|-|–|and)\s*"
    r"(\d+(?:\.\d+)?)\s*\)?",
    re.I,
)
_SCORE_AFTER = re.compile(
    r"\b(?:score[sd]?|scoring|risk|probability|confidence|likelihood|rating)(?:\s+score)?\s+(?:is\s+)?"
    r"(\d+(?:\.\d+)?)\s*(%|percent)?\s+(?:or|and)\s+(above|over|more|higher|below|under|less|lower)\b",
    re.I,
)
SCORE_ATOM = re.compile(
    r"\b(?:score|risk|probability|confidence|likelihood|rating)(?:\s+score)?\s+(?:is\s+|comes back\s+|goes\s+)?"
    r"(above|over|greater than|higher than|more than|exceeds|>=|>|at least|below|under|less than|lower than|<=|<|"
    r"exactly|equal to|==|=)\s*"
    r"(\d+(?:\.\d+)?)\s*(%|percent)?",
    re.I,
)


def as_share(value: float, *, percent: bool = False) -> float:
    """A score threshold as a share of the scale: "above 80" and "80%" are 0.8; "above 0.8" stays.
    The planner gives the brief's own numbers back when it scores on a scale of its own (0-100, 1-5)."""
    return value / 100 if percent or value > 1 else value


def score_atoms(part: str, a: int) -> list[tuple[int, int, Condition]]:
    """The score thresholds and bands in `part` (which starts at `a` of its sentence)."""
    found: list[tuple[int, int, Condition]] = []
    for m in SCORE_ATOM.finditer(part):
        value = as_share(float(m.group(2)), percent=bool(m.group(3)))
        found.append(
            (a + m.start(), a + m.end(), Condition("score", m.group(0), OPS[m.group(1).lower()], value))
        )
    for m in _RANGE_ATOM.finditer(part):
        if re.search(r"\bfrom\s*\(?\s*$", part[: m.start(1)], re.I) and re.match(r"[01]\b", m.group(1)):
            continue  # "score fit from 1 to 10": the scale it is given on, not a band of it
        if re.match(r"\s*(?:point\s+)?scale\b", part[m.end() :], re.I):
            continue  # "on a 1-5 scale"
        low, high = float(m.group(1)), float(m.group(2))
        if high > 1:
            low, high = low / 100, high / 100
        found.append((a + m.start(), a + m.end(), Condition("score", m.group(0), "range", (low, high))))
    for m in _SCORE_AFTER.finditer(part):
        value = as_share(float(m.group(1)), percent=bool(m.group(2)))
        op = ">=" if m.group(3).lower() in ("above", "over", "more", "higher") else "<="
        found.append((a + m.start(), a + m.end(), Condition("score", m.group(0), op, value)))
    return found
