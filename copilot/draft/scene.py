"""Clauses that set the scene: what people or the business do ("Our technicians submit service
reports through PestPac", "Customers of our shop chat with us in Intercom"), which is how events
arrive, never what the flow must do."""

from __future__ import annotations

import re

from copilot.draft.verbs import ACTION_VERBS, PEOPLE, WORD

__all__ = ["people_do"]

# "Music supervisors request sync licences through our Airtable form": plural people, no "our"
_PLURAL_PEOPLE = re.compile(
    r"^\W*(?:[a-z][\w-]*\s+)?([a-z]+?)s\s+"
    r"(?!(?:is|are|was|were|will|would|can|could|should|must|may|need|needs|get|gets|to|on|in|at|with|for|"
    r"from|of|who|that|whose|under|over|and|or)\b)[a-z]+\b",
    re.I,
)

# "Our technicians submit …", "The shop manager approves …": a subject of one or two words, its verb
_PEOPLE_DO = [
    re.compile(
        r"^\W*(?:our|the|some|all|many|most)\s+" + words + r"([a-z]+?)s?\s+"
        r"(?!(?:is|are|was|were|will|would|can|could|should|must|may|need|needs|get|gets|to)\b)[a-z]+\b",
        re.I,
    )
    for words in ("", r"[\w-]+\s+", r"[\w-]+\s+[\w-]+\s+")  # "Our home health aides text in sick"
] + [
    _PLURAL_PEOPLE,
    re.compile(
        r"^\W*(people|someone|anyone)\s+(?!(?:is|are|was|were|will|would|can|should|must|may|get|to)\b)[a-z]+\b",
        re.I,
    ),
    # "Customers of our furniture assembly service chat with us in Intercom"
    re.compile(
        r"^\W*([a-z]+?)s\s+of\s+(?:our|the)\s+(?:[\w-]+\s+){1,4}?[a-z]+\s+(?:with|to|through|via|us)\b", re.I
    ),
]


def people_do(text: str) -> bool:
    """ "Our technicians submit service reports through PestPac": what people do, which sets the
    scene (how events arrive), never what the flow must do."""
    first = WORD.match(text.lstrip(" -*\"'"))
    imperative = first is not None and first.group(0).lower() in ACTION_VERBS  # "Send customers a note"
    return any(
        (m := p.match(text)) is not None
        and (m.group(1).lower() in PEOPLE or m.group(1).lower() in _BUSINESSES)
        and not (imperative and p is _PLURAL_PEOPLE)
        for p in _PEOPLE_DO
    )


# "Our driving school books lessons through Calendly": the business, as a subject, sets the scene
_BUSINESSES = frozenset({
    "school", "company", "shop", "studio", "business", "clinic", "store", "firm", "agency", "practice",
    "restaurant", "farm", "gym", "salon", "hotel", "lab", "office", "center", "centre", "club", "facility",
})  # fmt: skip
