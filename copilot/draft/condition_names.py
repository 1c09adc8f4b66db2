"""A boolean output field named from a condition's own words: "if there's a churn risk" ->
`churn_risk`, the name a classifier sets when it decides the condition."""

from __future__ import annotations

import re

__all__ = ["condition_field"]


_CONDITION_STOP = frozenset(
    {
        "when",
        "whenever",
        "if",
        "only",
        "unless",
        "in",
        "case",
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "be",
        "it",
        "its",
        "it's",
        "they",
        "their",
        "our",
        "ours",
        "we",
        "there",
        "there's",
        "than",
        "that",
        "this",
        "of",
        "to",
        "for",
        "any",
        "some",
        "has",
        "have",
        "does",
        "do",
        "gets",
        "get",
        "turns",
        "becomes",
        "goes",
        "looks",
        "seems",
        "and",
        "or",
        "with",
        "on",
        "by",
        "s",
        # who says or wants it is not the condition: "if the guest says they want to cancel" -> guest_cancel
        "says",
        "say",
        "said",
        "wants",
        "want",
        "would",
        "like",
        "asks",
        "ask",
        "mentions",
        "mention",
        "mentioning",
        "about",
        "anything",
        "everything",
        "something",
        "t",
    }
)


def condition_field(clause: str) -> str:
    """A boolean output field named from a condition's own words: 'if there's a churn risk' -> churn_risk."""
    # contractions are one word: "it's" is "it", "doesn't" is "not" (never `s_…` or `doesn_…`)
    tokens = [
        "not" if w.endswith("n't") else re.sub(r"'(?:s|re|ll|ve|d|m)$", "", w)
        for w in re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", clause.lower().replace("’", "'"))
    ]
    words = [w for w in tokens if w not in _CONDITION_STOP]
    name = "_".join(words[:3]) or "condition_met"
    return name if re.match(r"[a-z]", name) else f"is_{name}"[:40]
