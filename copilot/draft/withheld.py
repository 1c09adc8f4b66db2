"""Data the brief keeps out of a message: "Never include the patient_mrn in the Teams post",
"never share the rider's phone number or email with the driver", "Never publish scores in
Discord". Read as (what, where); `strip_withheld` takes the matching keys out of the payload
of every step that sends there (the offline drafter), and `withheld_findings` reports a step
that still sends them (DR007, for any draft). The payload is the place: a prompt rule would
leave the field in the request all the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from copilot.draft.findings import finding, flow_steps, message_to
from copilot.draft.phrases import NEVER

_WITHHELD = re.compile(
    r"\b(?:never|don'?t|dont|do\s+not|must\s+not|mustn'?t|should\s+not|shouldn'?t)\s+(?:ever\s+)?"
    r"(?:include|put|send|share|post|show|mention|pass|expose|publish|leak|reveal|give|forward)\w*\s+"
    r"(?P<what>[^.;:]+?)\s+(?:publicly\s+)?(?:in|into|to|on|with|inside)\s+(?P<where>[^.;:]+)",
    re.I,
)
# "Never email the renter a repair cost estimate", "don't text drivers the rider's phone": the
# verb is the channel, the person its place, the thing after them what stays out
_NEVER_SENT = re.compile(
    NEVER + r"(?P<verb>e-?mail|text|sms|message|page)\s+"
    r"(?P<where>(?:the|our|a|any|their)\s+(?:[\w-]+\s+){0,2}?[\w-]+|them|him|her)\s+(?P<what>(?:an?|the|any|their|his|her|its)\s+[^.;:,]+)",
    re.I,
)
_CHANNELS = {
    "slack": "slack", "teams": "teams", "discord": "discord", "email": "email", "e-mail": "email",
    "sms": "sms", "text": "sms", "pagerduty": "pagerduty", "page": "pagerduty", "opsgenie": "pagerduty",
}  # fmt: skip
_STOP = frozenset({
    "the", "a", "an", "any", "their", "its", "his", "her", "our", "your", "or", "and", "of", "number",
    "anything", "information", "info", "details", "data", "posted", "sent",
})  # fmt: skip


_EVENT_PEOPLE = frozenset({
    "applicant", "customer", "parent", "guest", "member", "user", "client", "patient", "student", "renter",
    "tenant", "buyer", "caller", "visitor", "requester", "lead", "rider", "donor", "reader", "camper",
})  # fmt: skip
_PLUMBING = frozenset({"channel", "webhook", "notify", "http", "https", "post", "send", "sent", "message"})


@dataclass(frozen=True)
class Withheld:
    """`what` (its words, singular) kept out of messages to `where` (a channel, or its words)."""

    text: str
    what: frozenset[str]
    channel: str | None
    where: frozenset[str]


def _words(text: str) -> frozenset[str]:
    words = re.findall(r"[a-z][a-z0-9]*", text.lower().replace("'s", ""))
    return frozenset(_stem(w) for w in words if w not in _STOP)


def _stem(word: str) -> str:
    """ "allergies" and `theres_allergy`, "scores" and `score`: one word."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return word.removesuffix("s") if len(word) > 3 else word


def withheld_rules(sentences: list[str]) -> list[Withheld]:
    """The brief's rules that keep data out of a message, in brief order."""
    out: list[Withheld] = []
    for sentence in sentences:
        for m in _WITHHELD.finditer(sentence):
            where = re.split(r",|\bonly\b|\bwhen\b|\bif\b|\bunless\b", m.group("where"), flags=re.I)[0]
            channel = next(
                (c for word, c in _CHANNELS.items() if re.search(rf"\b{word}\b", where, re.I)), None
            )
            what = _words(m.group("what"))
            if what:
                out.append(Withheld(m.group(0).strip(), what, channel, _words(where)))
        for m in _NEVER_SENT.finditer(sentence):
            what = _words(re.split(r"\b(?:unless|until|if|when|before)\b", m.group("what"), flags=re.I)[0])
            if what:
                channel = _CHANNELS.get(m.group("verb").lower().replace("e-mail", "email"))
                out.append(Withheld(m.group(0).strip(), what, channel, _words(m.group("where"))))
    return out


def _sends_there(step: dict[str, Any], rule: Withheld) -> bool:
    if step.get("type") != "http" or not isinstance(step.get("request"), dict):
        return False
    said = " ".join(
        [
            str(step.get("id", "")),
            str(step["request"].get("url", "")),
            str((step.get("why") or {}).get("brief", "")),
        ]
    ).lower()
    if rule.channel is not None and (
        rule.channel in said or (rule.channel == "pagerduty" and "page" in said)
    ):
        return True
    # who or where, by its content words ("the applicant", "Slack or Jira"), never "to" or "channel"
    if {w for w in rule.where & _words(said) if len(w) >= 4 and w not in _PLUMBING}:
        return True
    # "never mention the readiness score to the applicant": a message to the event's own person
    return (
        rule.channel is None and message_to(step).startswith("{{ event.") and bool(rule.where & _EVENT_PEOPLE)
    )


def _matches(key: str, rule: Withheld) -> bool:
    """`patient_mrn` for "the patient_mrn", `owner_name` for "owner names", `score` for "scores"."""
    parts = [_stem(p) for p in key.lower().split("_") if p]
    return bool(parts) and (key.lower() in rule.what or parts[-1] in rule.what)


def _withheld_keys(body: Any, rule: Withheld, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if not isinstance(body, dict):
        return []
    out: list[tuple[Any, ...]] = []
    for key, value in body.items():
        if key == "to":
            continue  # the recipient is who it goes to, never what it says
        if _matches(str(key), rule):
            out.append((*path, key))
        else:
            out.extend(_withheld_keys(value, rule, (*path, key)))
    return out


def strip_withheld(data: dict[str, Any], sentences: list[str]) -> list[str]:
    """Take what the brief keeps out of messages out of their payloads; one note per step."""
    notes: list[str] = []
    for rule in withheld_rules(sentences):
        for step in flow_steps(data):
            if not _sends_there(step, rule):
                continue
            removed = _split_whole_outputs(step["request"].get("json"), rule, flow_steps(data))
            for path in _withheld_keys(step["request"].get("json"), rule):
                parent = step["request"]["json"]
                for part in path[:-1]:
                    parent = parent[part]
                parent.pop(path[-1], None)
                removed.append(".".join(map(str, path)))
            if removed:
                shown = ", ".join(f"`{r}`" for r in removed)
                notes.append(f"`{step['id']}` leaves out {shown}, as the brief says ({rule.text!r})")
    return notes


def withheld_findings(data: dict[str, Any], brief_sentences: list[str]) -> list[dict[str, Any]]:
    """Steps that still send what the brief keeps out of that message."""
    out: list[dict[str, Any]] = []
    steps = flow_steps(data)
    for rule in withheld_rules(brief_sentences):
        for index, step in enumerate(steps):
            if not _sends_there(step, rule):
                continue
            keys = _withheld_keys(step["request"].get("json"), rule)
            if keys:
                sent = ", ".join(".".join(map(str, k)) for k in keys)
                out.append(
                    finding(
                        "DR007",
                        f"step `{step.get('id')}` sends {sent}, but the brief says {rule.text!r}",
                        ["steps", index, "request", "json"],
                        "take those fields out of the request body",
                        clause=rule.text,
                    )
                )
    return out


def _split_whole_outputs(body: Any, rule: Withheld, steps: list[dict[str, Any]]) -> list[str]:
    """ "fields: {{ steps.check_extract.output }}" when the extraction has `allergies`: each of its
    other fields by name instead, so what the brief keeps out is not sent inside the whole."""
    if not isinstance(body, dict):
        return []
    removed: list[str] = []
    for key, value in list(body.items()):
        if isinstance(value, dict):
            removed += [f"{key}.{r}" for r in _split_whole_outputs(value, rule, steps)]
            continue
        whole = re.fullmatch(r"\{\{\s*steps\.([\w-]+)\.output\s*\}\}", str(value))
        source = next((s for s in steps if whole and s.get("id") == whole.group(1)), None)
        props = list(((source or {}).get("output_schema") or {}).get("properties") or {})
        kept = [p for p in props if not _matches(p, rule)]
        if whole and props and len(kept) < len(props):
            body[key] = {p: f"{{{{ steps.{whole.group(1)}.output.{p} }}}}" for p in kept}
            removed += [f"{key}.{p}" for p in props if p not in kept]
    return removed
