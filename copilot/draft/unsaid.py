"""Topics the brief keeps out of what the flow sends: "Patrons under 13 must never receive
anything mentioning late fees", "never mention the refund amount to the guest".

Whoever says it, the rule is about the text that leaves the flow. A model that writes that text
gets the rule in its instructions (`hand_content_rules` does that when the brief names the model);
a message whose text is fixed is checked here: the rule holds when none of the flow's outgoing
bodies mentions the topic, and that is said, not left "not understood".
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["keep_unsaid", "unsaid_topics"]

_MENTION = re.compile(
    r"\b(?:never|not|n['’]?t|no|nothing|without)\b[^.;]{0,60}?\b(?:mention(?:s|ed|ing)?|refer(?:s|ring)? to|"
    r"talk(?:s|ing)? about|bring(?:s|ing)? up)\s+(?:the\s+|any\s+|our\s+|their\s+|a\s+|an\s+)?"
    r"(?P<topic>[a-z][\w'’-]*(?:\s+[a-z][\w'’-]*){0,3}?)\s*(?=$|[,.;:]|\s+(?:to|in|on|for|at|when|if|unless|or|and)\b)",
    re.I,
)


def _outgoing(data: dict[str, Any]) -> str:
    """Every body and prompt the flow's steps send, as one lower-case text."""
    parts = []
    for step in data.get("steps", []):
        for key in ("request", "prompt", "respond"):
            if key in step:
                parts.append(json.dumps(step[key]))
    if "respond" in data:
        parts.append(json.dumps(data["respond"]))
    return " ".join(parts).lower()


def _writers_sent(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The model steps whose output some side effect or the response sends on."""
    sent = " ".join(
        json.dumps(s.get("request", "")) for s in data.get("steps", []) if s.get("type") == "http"
    ) + json.dumps(data.get("respond", ""))
    return [
        s
        for s in data.get("steps", [])
        if s.get("type") == "model"
        and re.search(rf"steps\.(?:check_)?{re.escape(str(s['id']))}\.output", sent)
    ]


def keep_unsaid(data: dict[str, Any], sentences: list[str]) -> list[str]:
    """Apply the brief's "never mention …" rules: each goes into the instructions of the models
    whose text the flow sends on; with none, the rule holds when no fixed text mentions the topic.
    Returns what to say about each rule read."""
    from copilot.draft.brief_rules import instruct

    notes: list[str] = []
    writers = _writers_sent(data)
    for rule, topic in unsaid_topics(data, sentences):
        if writers:
            for step in writers:
                instruct(step, "Never break these rules from the brief:", [rule], quoted=[rule])
            ids = ", ".join(f"`{s['id']}`" for s in writers)
            notes.append(
                f"the rule {rule!r} is in the instructions of {ids}, whose text the flow sends; "
                "no step checks it"
            )
        else:
            notes.append(
                f"the rule {rule!r} holds: no text the flow sends mentions {topic!r} "
                "(it is fixed, not model-written)"
            )
    return notes


def unsaid_topics(data: dict[str, Any], sentences: list[str]) -> list[tuple[str, str]]:
    """(the rule as the brief says it, the topic) for each topic no outgoing text mentions; a rule
    whose topic some text does mention is not returned (it stays for the reader to check)."""
    sent = _outgoing(data)
    out: list[tuple[str, str]] = []
    for sentence in sentences:
        m = _MENTION.search(sentence)
        if m is None:
            continue
        topic = m.group("topic").strip()
        words = [w for w in re.findall(r"[a-z]{3,}", topic.lower())]
        if not words:
            continue
        # "late fees": "late fee" or "fees" in any text sent is a mention; the stem is enough
        if any(re.search(rf"\b{re.escape(w.rstrip('s'))}", sent) for w in words if len(w) >= 4):
            continue
        out.append((sentence.strip().rstrip("."), topic))
    return out
