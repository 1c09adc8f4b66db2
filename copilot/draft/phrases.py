"""Phrase tables: how the offline reader's vocabularies are written and read.

A vocabulary is a table of rows, each a compiled pattern and what it means (a trigger kind,
a money scale, a latency promise). `scan` reads one sentence with a table: rows are tried
in table order and a span one row has claimed is not read again by a later row, so a
specific row ("a tenth of a cent", "a daily digest") placed above a general one ("a cent",
"daily") wins where both match, without an `if` in the reader. The tables are plain data,
so tests can read them phrase by phrase.

`Match` records a phrase the reader acted on, with the sentence it came from, so the
drafter can quote it and report the clauses it did not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar


@dataclass
class Match:
    """Something the reader understood: what, the words, and where."""

    kind: str
    text: str
    sentence: int
    start: int = 0
    end: int = 0


class Row(Protocol):
    """A row of a phrase table: a pattern, and whatever the table says it means."""

    @property
    def pattern(self) -> re.Pattern[str]: ...


R = TypeVar("R", bound=Row)


def scan(rows: Iterable[R], sentence: str) -> list[tuple[R, re.Match[str]]]:
    """Every phrase of `sentence` a row reads, as (row, match) in sentence order.

    Rows claim spans in table order: a match overlapping a span an earlier row claimed
    is skipped, so the first row that reads some words decides what they mean.
    """
    claimed: list[tuple[int, int]] = []
    found: list[tuple[R, re.Match[str]]] = []
    for row in rows:
        for m in row.pattern.finditer(sentence):
            start, end = m.span()
            if end > start and not any(start < b and a < end for a, b in claimed):
                claimed.append((start, end))
                found.append((row, m))
    found.sort(key=lambda f: f[1].start())
    return found


DOCUMENT_NOUNS = (
    r"handbook|docs|documentation|knowledge[- ]?base|kb|wiki|manuals?|runbooks?|playbooks?|faqs?|guidance|"
    r"help[- ]?cent(?:er|re)|articles|pdfs?|sops?|guidebooks?|rulebooks?|checklists?|guidelines|guides?|"
    r"protocols?|documents?|excerpts?|"
    # "our Aims & Scope document (aims-and-scope.md)", "the fees in rates.md": a document's file
    r"[\w-]+\.(?:md|markdown|pdf|txt)"
)
"""The words that name documents ("the Lift Ops handbook", "our \"Controller Fault Manual\""): one
vocabulary for the reader's document lookups, the decisions' documents read and the tasks' docs."""


# the channel a message goes by, as a brief names it ("page on-call", "text them", "in Slack")
CHANNELS = [
    ("pagerduty", re.compile(r"\b(pager ?duty|on-?call|page(?:s|d)?\b|opsgenie)", re.I)),
    ("slack", re.compile(r"\bslack\b", re.I)),
    ("teams", re.compile(r"\b(ms |microsoft )?teams\b", re.I)),
    ("email", re.compile(r"\b(e-?mail|mail)\b", re.I)),
    (
        "sms",
        re.compile(
            r"\b(sms|text message|twilio|(?<=by )text|(?<=via )text|"
            # "text Priya at her number": a person the brief names
            r"text(?:s|ed)?(?=\s+(?:the|them|him|her|our|their|back|me|us|every|each|all|both|(?-i:[A-Z][a-z]+))\b))\b",
            re.I,
        ),
    ),
    ("discord", re.compile(r"\bdiscord\b", re.I)),
]


# "Look up the station in Maximo to get its overflow risk class": what a lookup gets, no work of
# its own (the words before a score or risk word that ends there)
LOOKUP_GETS = re.compile(
    r"\b(?:look(?:s|ed|ing)?\s+up|fetch\w*|pull\w*|retriev\w*|quer(?:y|ies|ied)|check\w*)\b[^.;]*\bto\s+"
    r"(?:get|find|see|read|fetch|pull|learn)\s+(?:its|their|the|his|her|our|[\w-]+['’]s)\s+(?:[\w-]+\s+){0,2}$",
    re.I,
)

# "Look up the employee's grant in Carta by email": a read keyed on the address, no message
LOOKUP_BY = re.compile(
    r"\b(?:look(?:s|ed|ing)?\s+up|lookup|find|search|match|fetch|pull|get|identify|query)\b[^,.;]*$", re.I
)

# "never", "don't ever", "must not": what a prohibition opens with (its verb follows)
NEVER = (
    r"\b(?:never|don['’]?t|dont|do\s+not|must\s+not|mustn['’]?t|should\s+not|shouldn['’]?t)\s+(?:ever\s+)?"
)
