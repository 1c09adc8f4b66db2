"""Which action a condition governs in its sentence: a condition that opens the sentence
governs every action after it (`leads`); "…, but only if X" the action before it, "if X,
notify …" the one after it, else the nearest (`governed`). Used by
`copilot.draft.conditions.attach_conditions`.
"""

from __future__ import annotations

import re

from copilot.draft.reading import Task


def leads(sentence: str, start: int, end: int) -> bool:
    """A condition that opens the sentence and ends at its comma: it governs the whole sentence."""
    head = sentence[:start]
    return bool(
        re.fullmatch(
            r"\W*(?:(?:only|and|but|so|also)\s+)?(?:for|if|when|whenever|unless|in case)?\s*"
            r"(?:the\s+|all\s+|any\s+)?",
            head,
            re.I,
        )
    ) and bool(
        re.match(r"[^,;]{0,60},", re.sub(r"(?<=\d),(?=\d{3})", "", sentence[start:]))
    )  # not "$250,000"


def governed(acting: list[Task], start: int, clause: str, rest: str = "") -> Task | None:
    """The task a condition at `start` governs: "…, but only if X" limits the action before it;
    "if X, notify …" the one after it (None when that one is not among `acting`; `rest` is the
    sentence after the condition); otherwise the nearest."""
    before = [t for t in acting if t.start < start]
    after = [t for t in acting if t.start > start]
    if re.match(r"\W*(?:but\s+)?only\s+(?:if|when|for)\b", clause, re.I):
        end = start + len(clause)
        nxt = min(after, key=lambda t: t.start) if after else None
        if nxt is not None and re.fullmatch(
            r"\s*,?\s*(?:then\s+|also\s+|,)*\s*", rest[: max(0, nxt.start - end)]
        ):
            return nxt  # "…, and only if urgency is urgent also put a hold": the action right after it
        if re.match(
            r"\s*,?\s*(?:also\s+|then\s+)?[a-z]+\s+(?:the|a|an|our|their|them|it|him|her)\b", rest, re.I
        ):
            return None  # an order follows it, read elsewhere: never the action before
        return max(before, key=lambda t: t.start) if before else None
    if re.match(r"\W*(?:if|when|whenever|unless)\b", clause, re.I) and before:
        if after:
            return min(after, key=lambda t: t.start)
        if re.match(r"\s*,\s*(?:then\s+)?[a-z]", rest, re.I):
            return None  # "…, if a game is in progress, notify the front desk": what follows
    return min(acting, key=lambda t: (abs(t.start - start), t.start))
