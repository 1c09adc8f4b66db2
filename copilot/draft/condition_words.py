"""Words of conditions the reader tests for: a quoted value ('the reason is "too expensive"'),
documents that do not cover a question, a field given or missing, a field equal to a word, a
record flagged as something."""

# ruff: noqa: E501  (regular expressions, one family per line, easier to read whole)
from __future__ import annotations

import re

__all__ = ["EQUALS", "FLAGGED_AS", "PRESENCE", "QUOTED_VALUE", "UNCOVERED"]

QUOTED_VALUE = re.compile(
    r"\b(?:the\s+|its\s+|their\s+|his\s+|her\s+)?((?!(?:if|when|unless|only|and|or)\b)[a-z]+"
    r"(?:\s+(?!(?:is|equals|was|changes|changed|becomes|became|moves|moved)\b)[a-z]+)?)\s+"
    # 'when status changes to "submitted"': the value it now has
    r"(?:is|equals|was|==|=|(?:changes|changed|moves|moved|is set|was set|switches|switched) to|becomes|became)\s+"
    r"[\"'\u201c\u2018]([^\"'\u201d\u2019{}%]{1,40})[\"'\u201d\u2019]"
    # 'category is "pothole" or "streetlight"': any of the values
    r"((?:\s*(?:,\s*or|,|\bor)\s*[\"'\u201c\u2018][^\"'\u201d\u2019{}%]{1,40}[\"'\u201d\u2019])*)",
    re.I,
)

# "if they don't cover it", "if the handbook doesn't answer it", "if nothing relevant is found"
UNCOVERED = re.compile(
    r"\b(?:they|it|the\s+(?:docs|documents|handbook|articles|policy|guide|faq|kb|knowledge base|sources?))\s+"
    r"(?:do(?:es)?n['’]?t|do(?:es)? not|can['’]?t|cannot)\s+(?:cover|answer|contain|address|mention)\b(?:\s+(?:it|that|this|the question))?|"
    r"\b(?:no|nothing)\s+(?:relevant\s+)?(?:answer|passages?|documents?|articles?)?\s*(?:is|are)\s+found\b|"
    # "if the answer is not in those documents", "when the docs don't have the answer"
    r"\bthe\s+answer\s+(?:is\s+not|isn['’]?t)\s+(?:in|covered\s+by)\s+(?:the|those|these|our|its|their)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:docs|documents|articles|pages|catalogue|catalog|handbook|faq|policy|policies|guide|sources?)\b|"
    r"\b(?:they|the\s+(?:docs|documents|articles))\s+(?:do(?:es)?n['’]?t|do(?:es)?\s+not)\s+(?:have|hold|include)\s+(?:the|an?)\s+answer\b|"
    # "If the model isn't confident in its answer", "when the bot is unsure": the answer says so
    r"\bthe\s+(?:model|llm|ai|bot|assistant|agent)\s+(?:is\s+(?:not|un)\s*|isn['’]?t\s+|(?:does\s+not|doesn['’]?t)\s+(?:feel\s+)?)"
    r"(?:confident|sure|certain|know)\b(?:\s+(?:in|of|about)\s+(?:its|the)\s+answer)?",
    re.I,
)

# "applicant_id is present", "the `coupon_code` is empty": a field written as an identifier
PRESENCE = re.compile(
    r"`?\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b`?\s+(?:is|are)\s+(?:not\s+)?"
    r"(present|set|given|provided|filled(?: in)?|there|missing|empty|blank|absent)\b",
)

# "new_state is closed", "`status` = failed": a field written as an identifier equal to a word
EQUALS = re.compile(
    r"`?\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b`?\s+(?:is|equals|==?)\s+(?!not\b|an?\b|the\b)"
    r"[\"'`\u201c\u2018]?([A-Za-z][\w-]*)\b[\"'`\u201d\u2019]?"
    # the value ends the comparison: "needed_by is within 10 days" compares no word
    r"(?=\s*(?:$|[,;.)]|\b(?i:and|or|then|but)\b))",
)

FLAGGED_AS = re.compile(
    r"(?:\b(?:the|its|their)\s+(?:[\w'’-]+\s+){0,3}?(?:is|are|was)\s+)?"
    r"\b(?:flagged|marked|set|tagged)\s+as\s+`?([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b`?"
)
