"""Phrases that scope the whole flow rather than one step: "every other game needs no action",
"do not call any language model", "in all cases …"."""

from __future__ import annotations

import re

from copilot.draft.phrases import Match

__all__ = ["read_every_case", "read_no_models", "read_nothing_else"]

_NOTHING_ELSE = re.compile(
    r"\b(?:(?:every|all|any)\s+other|anything\s+(?:else|in\s+between)|everything\s+else|the\s+rest|"
    r"in\s+between|(?:all\s+)?in\s+range|otherwise)\b[^.;]{0,60}?\b(?:no\s+(?:further\s+)?action|nothing|"
    r"untouched|(?:be\s+)?ignored|left\s+alone)\b"
    # "Nuisance alarms are just logged": no action for them (the flow's trace logs every event)
    r"|^\W*(?:[\w-]+\s+){1,5}(?:is|are|get|gets)\s+(?:just|only|simply)\s+logged(?:\W+nothing\s+else)?\W*$",
    re.I,
)


def read_nothing_else(sentences: list[str], matches: list[Match]) -> None:
    """ "Every other game needs no action": read, and nothing to draft for it."""
    for index, sentence in enumerate(sentences):
        for m in _NOTHING_ELSE.finditer(sentence):
            matches.append(Match("constraint", m.group(0), index, m.start(), m.end()))


def read_no_models(sentences: list[str], matches: list[Match]) -> None:
    """ "Do not call any language model for this one": a rule for the whole flow, which coverage
    holds the drafted steps to (DR010 when a model step is there anyway)."""
    from copilot.draft.prohibitions import NO_MODELS

    for index, sentence in enumerate(sentences):
        if NO_MODELS.search(sentence):
            matches.append(Match("constraint", sentence, index, 0, len(sentence)))


# "In all cases, increment the no_show_count", "Either way, log it": the action after it runs on
# every event (the task reader reads the action; this is its lead, read too)
_EVERY_CASE = re.compile(
    r"^\W*(?:in (?:every|each|all|any) cases?|either way|regardless|in both cases)\b", re.I
)


def read_every_case(sentences: list[str], matches: list[Match]) -> None:
    """ "In all cases, …": read as the action's scope (every event), never "not understood"."""
    for index, sentence in enumerate(sentences):
        m = _EVERY_CASE.search(sentence)
        if m is not None:
            matches.append(Match("constraint", m.group(0), index, m.start(), m.end()))
