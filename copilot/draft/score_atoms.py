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
        "lower than": "<", "<=": "<=", "<": "<", "greater than or equal to": ">=", "at most": "<=", "up to": "<=",
        "less than or equal to": "<=", "exceed": ">", "exactly": "==", "equal to": "==", "=": "==", "==": "=="}  # fmt: skip
# "Borderline cases (0.4 to 0.8)", "scores between 40 and 80": a band of a score
_RANGE_ATOM = re.compile(
    r"\b(?:borderline|middling|between|scores?|scoring|scored|cases|risk)\b[^.;]{0,20}?\(?\s*(\d+(?:\.\d+)?)\s*(?:to|-|–|and)\s*"
    r"(\d+(?:\.\d+)?)\s*\)?",
    re.I,
)
# "if the score is 4 or 5", "if severity is 4 or 5": the band of a number a model gives
_SCORE_EITHER = re.compile(
    r"\b(?:scores?|rating|severity|priority|urgency)\s+(?:is|are|of|=)\s+(\d+(?:\.\d+)?)\s+or\s+(\d+(?:\.\d+)?)\b"
    r"(?!\s*(?:%|percent|(?!(?:or|and|then)\b)[a-z]))",  # "4 or 5 kg" is a weight, "4 or 5 or …" a band
    re.I,
)
_SCORE_AFTER = re.compile(
    r"\b(?:score[sd]?|scoring|risk|probability|confidence|likelihood|rating)(?:\s+score)?\s+(?:is\s+|of\s+)?"
    r"(\d+(?:\.\d+)?)\s*(%|percent)?\s+(?:or|and)\s+(above|over|more|higher|below|under|less|lower)\b",
    re.I,
)
SCORE_ATOM = re.compile(
    r"\b(?:scores?|scoring|scored|risk|probability|confidence|likelihood|rating)(?:\s+score)?\s+(?:is\s+|comes back\s+|goes\s+)?"
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
        if re.match(r"[01]\b", m.group(1)) and re.fullmatch(
            r"scor(?:e|es)\s+(?:it|them|each\s+[\w-]+|every\s+[\w-]+|the\s+[\w-]+)\s*\(?\s*",
            part[m.start() : m.start(1)],
            re.I,
        ):
            continue  # "score it 0-100 for fit": the scale it is given on
        low, high = float(m.group(1)), float(m.group(2))
        if high > 1:
            low, high = low / 100, high / 100
        found.append((a + m.start(), a + m.end(), Condition("score", m.group(0), "range", (low, high))))
    for m in _SCORE_EITHER.finditer(part):
        # "if the score is 4 or 5" on a 1-5 scale: the band from the lower to the higher
        low, high = sorted((float(m.group(1)), float(m.group(2))))
        if high > 1:
            low, high = low / 100, high / 100
        found.append((a + m.start(), a + m.end(), Condition("score", m.group(0), "range", (low, high))))
    for m in _SCORE_AFTER.finditer(part):
        value = as_share(float(m.group(1)), percent=bool(m.group(2)))
        op = ">=" if m.group(3).lower() in ("above", "over", "more", "higher") else "<="
        found.append((a + m.start(), a + m.end(), Condition("score", m.group(0), op, value)))
    return found


# "score the site's solar feasibility from 0 to 100", "score its merit", "a feasibility score":
# what the brief scores, in its words; "score it against the rubric in our guidelines": how
_SCORED = re.compile(
    r"\b(?:scor(?:e|es|ing)|rat(?:e|es|ing)|estimat(?:e|es|ing))\s+(?P<rest>[^,;.()]+)", re.I
)
_SCORE_NAMED = re.compile(r"\b(?:a|an|the|its|their)\s+(?P<subject>[a-z][\w-]+)\s+score\b", re.I)
_SUBJECT_ENDS = re.compile(
    r"\s+(?:from|on|between|out\s+of|against|using|with|in|for|to|and|so|then|that|which|based)\b|\s+\d", re.I
)
_NO_SUBJECT = re.compile(
    r"^(?:it|them|this|that|these|those|each|every|the|a|an|its|their)?(?:\s+[\w-]+)?$", re.I
)


def score_subject(clause: str, noun: str) -> tuple[str | None, str | None]:
    """(what is scored, what it is scored against) as the clause says it, either None."""
    m = _SCORED.search(clause)
    subject = against = None
    if m is not None and re.match(
        r"(?:are|is|was|were|should|must|will|can|may|and|or|of|for|to|in|on|at|above|below|over|under|"
        r"between|than|that|which|agree|look|seem)\b",
        m.group("rest"),
        re.I,
    ):
        m = None  # "check the scores are well-formed": the noun, not the verb
    if m is not None:
        rest = m.group("rest")
        end = _SUBJECT_ENDS.search(rest)
        head = rest[: end.start()] if end else rest
        head = re.sub(
            r"^(?:(?:it|them|each|every|the|a|an)\s+(?:[\w-]+\s+)?)?(?:its|their|the|his|her|our)\s+",
            "",
            head.strip(),
            flags=re.I,
        )
        head = re.sub(r"^[\w-]+['’]s\s+", "", head)  # "the site's solar feasibility"
        if head and not _NO_SUBJECT.fullmatch(head) and head.lower() != noun.lower():
            subject = head.strip()
        elif (
            head
            and re.fullmatch(r"[\w-]+", head)
            and head.lower() not in ("it", "them", "this", "that", "each")
        ):
            subject = head if head.lower() != noun.lower() else None
        vs = re.search(r"\bagainst\s+(?P<what>[^,;.]+?)(?=\s+(?:using|from|and|so|then)\b|$)", rest, re.I)
        against = vs.group("what").strip() if vs else None
    how = re.search(r"\bhow\s+(urgent|severe|serious|risky|likely)\b", clause, re.I)
    if subject is None and how is not None:
        # "how urgent 1-5": the urgency
        word = how.group(1).lower()
        subject = {"urgent": "urgency", "severe": "severity", "serious": "seriousness", "risky": "risk"}.get(
            word, "likelihood"
        )
    if subject is None:
        named = _SCORE_NAMED.search(clause)
        if named is not None and named.group("subject").lower() not in (
            "risk",
            "final",
            "overall",
            "total",
            "model",
            "llm",
            "ai",
            "high",
            "low",
            "higher",
            "lower",
            "good",
            "bad",
            "top",
            "max",
            "maximum",
            "min",
            "minimum",
            "average",
            "new",
            "same",
            "different",
            "perfect",
        ):
            subject = named.group("subject")
    return subject, against
