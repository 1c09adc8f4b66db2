"""What the caller gets back and the score bands that choose it.

`read_response_options`: the values the response is one of ("waits for allow, hold or block",
'reply "ready" …'); `read_bands`: the threshold each option starts at ("decline at 0.8 and
above"), and the option answered when the score cannot be had.
"""

# ruff: noqa: E501  (regular expressions, one family per line, easier to read whole)
from __future__ import annotations

import re

from copilot.draft.decisions import clauses_of, stem
from copilot.draft.labels import snake
from copilot.draft.reading import Band

__all__ = ["quoted_reply", "read_bands", "read_response_options"]

_OPTION = r"[`'\"]?([a-z][\w-]*)[`'\"]?"
# the last option may be two words ("approve, reject or manual review"), never a word and the
# preposition or pronoun after it
_LAST_OPTION = (
    r"[`'\"]?([a-z][\w-]*(?:\s+(?!(?:within|in|under|by|for|to|and|or|if|when|before|after|at|on|"
    r"with|so|because|but|then|the|a|an|is|are|we|it|each|every|all|any|one|ones|them|this|that|those|"
    r"these|their|its|our|as|based|depending|after|once|immediately|otherwise)\b)[a-z][\w-]*)?)[`'\"]?"
)
_RESPONSE_OPTIONS = re.compile(
    # whole words: "needs_cleaning ones" is a label, not "needs" and an option "s_cleaning"
    r"\b(?:answers?\b|respond(?:s)?\b|repl(?:y|ies)\b|returns?\b|needs?\b|wants?\b|expects?\b|waits?(?:\s+at\s+most\s+[\w\s.]+?)?\s+for|"
    r"decide\b\s*:?\s*(?:whether\s+)?(?:to\s+)?|(?:picks?|chooses?|selects?)\s+(?:between\s+)?|"
    r"classify\s+(?:it|them|each\s+\w+)\s+as|mark\s+(?:it|them)\s+as|"
    r"(?:an?\s+|the\s+)?(?:verdict|decision|outcome)\s*(?:of|:)|(?:into|as|with)\s+(?:a|the|one)\s+(?:decision|verdict|outcome)\s*:?|"
    r"(?:decision|verdict|outcome)s?\s+(?:labels?|options?|values?)\s*:|"
    r"(?:response|answer|output|result)\s+is\s+one\s+of\s*:?)\s*"
    # "reply by SMS with approved, paid or declined": how it goes out, then the options
    r"(?:(?:by|via|over|through)\s+[\w-]+\s+)?"
    r"(?:with\s+)?(?:a\s+verdict\s+of\s+|an?\s+|one\s+of\s*:?\s*)?"
    + _OPTION
    + r"((?:\s*,\s*"
    + _OPTION
    + r")*)\s*(?:,?\s+or\s+|,\s*(?=[`'\"]?[a-z][\w-]*[`'\"]?\s*(?:[.;]|$)))"
    + _LAST_OPTION,
    re.I,
)


# "We must return a risk verdict (allow, hold, block)": the options in parentheses after the
# thing the response carries
_OPTIONS_IN_PARENS = re.compile(
    r"\b(?:return|respond|reply|answer|give|send back|need|want|expect|output)\w*\s+(?:with\s+)?(?:an?\s+|the\s+|our\s+)?"
    r"(?:[\w-]+\s+){0,2}?(?:verdict|decision|answer|outcome|status|label|result|rating|classification|response)\s*"
    r"\(([^()]{3,120})\)",
    re.I,
)


_QUOTED_REPLY = re.compile(
    r"\b(?:reply|replies|respond|answer|return)\s+(?:with\s+)?[\"“']([A-Za-z][\w -]{0,28})[\"”']", re.I
)


def quoted_reply(sentence: str) -> str | None:
    """ "If it is on the shelf, reply "ready" and …" -> ready: the answer a sentence gives."""
    m = _QUOTED_REPLY.search(sentence)
    return snake(m.group(1)) if m else None


def read_response_options(sentences: list[str]) -> list[str]:
    """The values the response is one of: 'needs approve, review or decline within 300 ms',
    'return a risk verdict (allow, hold, block)', or replies quoted sentence by sentence
    ('reply "ready" …', 'reply "in transit" …', 'reply "queued"')."""
    for sentence in sentences:
        m = _OPTIONS_IN_PARENS.search(sentence)
        if m:
            items = [
                snake(i.strip("`'\" ")) for i in re.split(r"\s*(?:,|/|\bor\b)\s*", m.group(1)) if i.strip()
            ]
            if 2 <= len(items) <= 6 and all(len(i.split("_")) <= 2 for i in items):
                return list(dict.fromkeys(items))
    for sentence in sentences:
        m = _RESPONSE_OPTIONS.search(sentence)
        if m:
            middle = re.findall(_OPTION, m.group(2) or "", re.I)
            options = [m.group(1), *middle, m.group(m.lastindex)]
            options = [snake(o) for o in options if o.lower() not in ("a", "an", "the")]
            if 2 <= len(options) <= 6:
                return list(dict.fromkeys(options))
    quoted = list(dict.fromkeys(q for q in map(quoted_reply, sentences) if q))
    return quoted if 2 <= len(quoted) <= 6 else []


# "decline at 0.8 and above", "send to review from 0.4", "approve below": a band per option
_NOT_TIME = r"(?!\s*(?:ms|milliseconds?|s|secs?|seconds?|minutes?|min)\b)"
_BAND_AT = re.compile(
    r"(?:\bat|\bfrom|\babove|\bover|>=?)\s*(\d+(?:\.\d+)?)"
    + _NOT_TIME
    + r"\s*(%)?(?:\s+(?:and|or)\s+(above|over|higher|more))?|"
    r"(\d+(?:\.\d+)?)" + _NOT_TIME + r"\s*(%)?\s+(?:and|or)\s+(above|over|higher|more)",
    re.I,
)


def read_bands(sentences: list[str], options: list[str]) -> tuple[list[Band], str | None]:
    """Decision bands over a score, and the option answered when the score cannot be had."""
    if not options:
        return [], None
    stems = {option: stem(option) for option in options}
    bands: list[Band] = []
    fallback = None
    for sentence in sentences:
        for a, b in clauses_of(sentence):
            clause = sentence[a:b].strip(" ,;.")
            words = [w.lower() for w in re.findall(r"[A-Za-z][\w-]*", clause)]
            if not words:
                continue
            named = [o for o, st in stems.items() if any(stem(w) == st for w in words[:4])]
            if not named or _RESPONSE_OPTIONS.search(sentence[max(0, a - 40) : b]):
                continue  # the sentence that lists the options is not a band
            if re.match(r"\W*(?:answer|respond|return|reply)\b", clause, re.I) and re.search(
                r"\b(?:if|when)\b", sentence[:a], re.I
            ):
                fallback = fallback or named[0]  # "If the scorer's answer is garbage, answer `review`"
                continue
            m = _BAND_AT.search(clause)
            if m:
                value = float(m.group(1) or m.group(4))
                if (m.group(2) or m.group(5)) or value > 1:
                    value /= 100
                bands.append(Band(named[0], ">=", value, clause))
            elif re.search(r"\b(?:below|under|otherwise|else)\b", clause, re.I):
                bands.append(Band(named[0], None, None, clause))
    if len([b for b in bands if b.op]) < 1 or len({b.option for b in bands}) < 2:
        return [], fallback
    return sorted(bands, key=lambda b: (b.value is None, -(b.value or 0))), fallback
