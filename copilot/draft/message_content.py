"""What a message or a write carries when the brief lists it: "send an SMS to the on-call physio
with the patient's name, phone and the red flags", "open a Jira ticket with the run_id,
employee_id, score and reason".

Each item the clause lists becomes a field of the request body, by name, from where the flow has
it: a field of the event, or an output of the model step that produced it. An item the flow does
not have is left out (the details beside it still carry what the flow knows).
"""

from __future__ import annotations

import re
from typing import Any

from copilot.draft.event import EventShape
from copilot.draft.word_stems import word_stems

__all__ = ["LISTED", "asked_content", "set_value"]

LISTED = re.compile(r"\b(?:with|including|listing|containing|carrying|plus)\s+(?P<items>[^.;:()]+)", re.I)
# what ends the list: the next instruction ("… and do not offer a booking")
_LIST_END = re.compile(
    r"\s*(?:,\s*)?\b(?:and\s+)?(?:do not|don'?t|never|then|so that|so|but|if|when|unless|because|right away|"
    r"immediately|within|instead)\b.*$",
    re.I,
)
_SAID = re.compile(
    r"^(?:what (?:they|he|she|the \w+) (?:said|wrote|sent)|their (?:message|text)|the (?:message|text|body))$"
)
_DROP = re.compile(r"^(?:the|a|an|our|their|its|his|her|any|all|each|every)\s+", re.I)


# "email the artist (…) the notes": the thing sent, after whom it goes to
_SENT_OBJECT = re.compile(
    r"\b(?:e-?mail|text|send|message|forward)\w*\s+(?:the|our|their|each)\s+[\w-]+(?:\s*\([^()]*\))?\s+"
    r"(?:the|their|its)\s+(?P<item>[a-z][\w-]*(?:\s+[a-z][\w-]*)?)\b",
    re.I,
)


def _items(quote: str) -> list[str]:
    m = LISTED.search(quote)
    if m is None:
        sent = _SENT_OBJECT.search(quote)
        return [sent.group("item").lower().split()[0]] if sent is not None else []
    listed = _LIST_END.sub("", m.group("items"))
    out = []
    for part in re.split(r"\s*,\s*|\s+and\s+|\s+plus\s+|\s*&\s*|\s*\+\s*", listed):
        part = _DROP.sub("", part.strip().lower())
        part = re.sub(r"(\w)['’]s\b", r"\1", part)  # "the patient's name" -> "patient name"
        if part and len(part.split()) <= 4:
            out.append(part)
    return out


def _event_field(item: str, event: EventShape) -> str | None:
    words = item.split()
    snake = "_".join(words)
    fields = [f for f in event.fields if "." not in f]
    if snake in fields:
        return snake
    named = event.field_named_in(item)
    if named is not None and "." not in named:
        return named
    if _SAID.match(item) and event.named_text_field:
        return event.named_text_field  # "what they said": the text the event carries
    # "the patient's name" -> `patient_name`; "phone" -> `phone`: the last word names it, the
    # owner (if the field has one) is in the item
    for f in fields:
        parts = f.lower().split("_")
        if parts[-1] == words[-1] and all(p in words for p in parts[:-1]):
            return f
    # "the serial number" is `instrument_serial`, "the notes" `tech_condition_notes`: the one
    # field its head noun ends (before a word any value has: number, code) and no other
    head = words[:-1] if len(words) > 1 and words[-1] in ("number", "no", "code", "value") else words
    ending = [f for f in fields if f.lower().split("_")[-len(head) :] == head]
    return ending[0] if len(ending) == 1 else None


def _model_output(
    item: str, producers: dict[str, str], steps: list[dict[str, Any]]
) -> tuple[str, str] | None:
    """(check step, output field) of the model output the item names ("the red flags" from an
    extraction of `red_flag_symptoms`, "score", "reason")."""
    said = word_stems(item)
    for check in dict.fromkeys(producers.values()):
        gate = next((s for s in steps if s.get("id") == check), None)
        properties = ((gate or {}).get("output_schema") or {}).get("properties") or {}
        for name in properties:
            if name in ("confidence", "grounded"):
                continue
            named = word_stems(name.replace("_", " "))
            # the item's head noun names the output ("the cited sections" -> handbook_section_numbers)
            head = word_stems(item.split()[-1])
            if name == "_".join(item.split()) or (said and said <= named) or (head and head <= named):
                return check, name
    return None


def asked_content(
    quote: str, event: EventShape, producers: dict[str, str], steps: list[dict[str, Any]]
) -> tuple[dict[str, str], list[str]]:
    """({body key: template} for each item the clause lists that the flow has, the checks read)."""
    body: dict[str, str] = {}
    reads: list[str] = []
    for item in _items(quote):
        field = _event_field(item, event)
        if field is not None:
            body.setdefault(field, f"{{{{ event.{field} }}}}")
            continue
        found = _model_output(item, producers, steps)
        if found is not None:
            check, name = found
            body.setdefault(name, f"{{{{ steps.{check}.output.{name} }}}}")
            if check not in reads:
                reads.append(check)
            continue
        looked = _looked_up(item, producers, steps)
        if looked is not None:
            # "with the available plots" after "look up available plots in PlotBox": what it returned
            body.setdefault("_".join(re.findall(r"[a-z0-9]+", item))[:40], f"{{{{ steps.{looked}.output }}}}")
            if looked not in reads:
                reads.append(looked)
    return body, reads


def _looked_up(item: str, producers: dict[str, str], steps: list[dict[str, Any]]) -> str | None:
    """The lookup whose clause names the item ("available plots"), by its head noun."""
    lookup = producers.get("lookup")
    step = next((s for s in steps if s.get("id") == lookup), None)
    why = (step or {}).get("why") or {}
    quoted = " ".join(
        why.get("brief") if isinstance(why.get("brief"), list) else [str(why.get("brief") or "")]
    )
    head = word_stems(item.split()[-1]) if item.split() else set()
    return lookup if lookup and head and head <= word_stems(quoted) else None


# "set the Zendesk ticket priority to urgent", "mark the order status as on_hold": the field and
# the value the brief gives it
_SET_TO = re.compile(
    r"\b(?:set|change|switch|update|mark)\s+(?:the\s+|its\s+|their\s+)?(?:[\w-]+\s+){0,3}?(?P<field>[a-z][\w-]*)\s+"
    r"(?:to|as)\s+[\"'`“]?(?P<value>[A-Za-z][\w-]*)[\"'`”]?(?=\s*(?:$|[,.;]|\s+(?:and|in|on|so|for|then)\b))",
    re.I,
)


def set_value(action: str) -> dict[str, str]:
    """{field: value} an action sets, as the brief says it ("… priority to urgent"), or {}."""
    given = re.search(
        r"\(\s*(?:field|column|property)\s+`?([\w-]+)`?\s*(?:=|:|to)\s*[\"'`]?([\w-]+)", action, re.I
    )
    if given is not None:
        return {given.group(1): given.group(2)}  # "get flagged … (field site_visit = yes)"
    m = _SET_TO.search(action)
    if m is None or m.group("value").lower() in ("the", "a", "an", "our", "their", "its"):
        return {}
    field = m.group("field")
    # a field written as an identifier keeps its case (`Background_Check__c`); a word is a key
    return {field if "_" in field else field.lower().replace("-", "_"): m.group("value")}
