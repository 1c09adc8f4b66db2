"""Conditions the flow's own lookup answers.

"First look up the item's availability in the Koha API … if a copy is available at their
branch, email the patron": the brief fetched the fact before it made a step depend on it, so the
lookup's answer decides the condition (a boolean the lookup declares: an answer without it fails
loudly), not the event and not a classifier guessing from the event's text.
"""

from __future__ import annotations

import re
from dataclasses import replace

from copilot.draft.conditions import condition_field
from copilot.draft.phrases import DOCUMENT_NOUNS
from copilot.draft.reading import Condition, Task

__all__ = ["lookup_answers"]

# Words too common to tie a condition to a lookup: "if their account …" and "look up their
# account" share the account, not "their".
_COMMON = frozenset(
    {"their", "there", "which", "about", "would", "should", "could", "other", "every", "never",
     "always", "within", "after", "before", "first", "where", "while", "still", "being", "these",
     "those", "event", "events", "using", "look", "lookup", "check", "fetch"}
)  # fmt: skip

_DOCUMENT = re.compile(rf"\b(?:{DOCUMENT_NOUNS})\b", re.I)
_NOT = re.compile(r"\b(?:not|no|isn'?t|aren'?t|wasn'?t|doesn'?t|don'?t|never|none|unavailable)\b", re.I)


def _stems(text: str) -> set[str]:
    """The first five letters of every word of five or more: "availability" and "available"
    share `avail`, "reservation" and "reserved" share `reser`."""
    return {w[:5] for w in re.findall(r"[a-z]{5,}", text.lower()) if w not in _COMMON}


def _shared_lookup(text: str, reads: list[Task]) -> Task | None:
    """The one earlier lookup whose clause shares a word stem with the condition, if exactly one does."""
    said = _stems(re.sub(r"^\W*(?:but\s+)?(?:only\s+)?(?:if|when|whenever|unless)\b", "", text, flags=re.I))
    sharing = [t for t in reads if said & _stems(t.quote or t.text)]
    return sharing[0] if len(sharing) == 1 else None


def lookup_answers(tasks: list[Task], read_late: list[str]) -> None:
    """Bind each unread condition to the earlier lookup that fetches what it names; `read_late`
    collects the conditions read. A step that already has a condition keeps it: both hold."""
    reads = [
        t
        for t in tasks
        if t.kind == "enrich"
        and not t.docs
        and t.start >= 0
        # "look up the permit rules in permits-by-region.md": a document a model reads, no answer
        and not _DOCUMENT.search(t.quote or t.text)
    ]
    for task in tasks:
        text = task.unmapped_condition
        if not text or task in reads:
            continue
        earlier = [t for t in reads if (t.sentence, t.start) < (task.sentence, task.start)]
        lookup = _shared_lookup(text, earlier)
        if lookup is None:
            continue
        # "a copy is available at their branch": `copy_available`, the fact, not where
        positive = re.split(r"\s+(?:at|in|on|for|from|with|by|within)\s+", _NOT.sub(" ", text))[0]
        name = condition_field(positive)
        lookup.returns[name] = "boolean"
        answer = Condition(
            "returned", text, "truthy", True, output_field=name, negated=bool(_NOT.search(text))
        )
        if task.condition is None:
            task.condition = answer
        elif task.condition.alternatives:
            continue  # already a list of alternatives: said as unread, never joined wrongly
        else:
            # "Otherwise, if a copy is available …": the otherwise and the answer both hold
            task.condition = _both(task.condition, answer)
        task.unmapped_condition = None
        read_late.append(text)


def _both(a: Condition, b: Condition) -> Condition:
    """`a and b` as one condition: a head's "not" negates its alternatives too, so the head is
    the one said positively, and two negatives are "not (a or b)"."""
    if not a.negated:
        return replace(a, alternatives=[b], all_of=True)
    if not b.negated:
        return replace(b, alternatives=[a], all_of=True, scope=a.scope)
    return replace(a, alternatives=[replace(b, negated=False)], all_of=False)
