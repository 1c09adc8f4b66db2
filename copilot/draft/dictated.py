"""A message the brief dictates word for word: `send an SMS … saying "STOP LIFTING: gusts at <gust>
km/h on crane <crane_id>"`. The text is the brief's, its placeholders the event's fields."""

from __future__ import annotations

import re

__all__ = ["dictated_text"]

# the quoted words after what introduces a message's text
_DICTATED = re.compile(
    r"\b(?:saying|says|that\s+says|reading|with\s+the\s+(?:text|message|words)|the\s+(?:text|message)\s+is)"
    r"\s*:?\s*[\"“](?P<text>[^\"”]{3,400})[\"”]",
    re.I,
)
# <gust>, {crane_id}, {{ crane_id }}, [gust]: a place for a value
_PLACEHOLDER = re.compile(r"<\s*([\w ]+?)\s*>|\{\{?\s*([\w ]+?)\s*\}?\}|\[\s*([\w ]+?)\s*\]")


def _field_for(name: str, fields: list[str]) -> str | None:
    """The event field a placeholder names: itself, or the one field it begins or ends."""
    name = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if name in fields:
        return name
    found = [f for f in fields if f.startswith(f"{name}_") or f.endswith(f"_{name}")]
    return found[0] if len(found) == 1 else None


def dictated_text(sentence: str, start: int, end: int, fields: list[str]) -> str | None:
    """The message text the brief dictates between `start` and `end` of `sentence`, its
    placeholders filled with the event's fields (`{{ event.gust_kmh }}`), or None."""
    m = _DICTATED.search(sentence, start, end)
    if m is None:
        return None

    def fill(p: re.Match[str]) -> str:
        name = next(g for g in p.groups() if g)
        field = _field_for(name, fields)
        return f"{{{{ event.{field} }}}}" if field else p.group(0)

    return _PLACEHOLDER.sub(fill, m.group("text").strip())


# "text them a 30%-off comeback offer for three months via Twilio": what the message is, described
_DESCRIBED = re.compile(
    r"\b(?:text|sms|e-?mail|message|send)\w*\s+(?:(?:them|him|her|the\s+[\w-]+)\s+)?(?:an?|the|our|their|your)\s+"
    r"(?P<what>(?:[\w%'’-]+\s+){0,5}?(?:offer|note|notice|message|reminder|confirmation|decline|apology|"
    r"request|invitation|invite|update|warning|receipt|quote|estimate|thank-you|welcome|instructions|link)\b"
    r"[^,.;]*?)(?=\s+(?:via|through|using|by)\s+[\w-]+\s*$|\s*$)",
    re.I,
)


def described_text(clause: str) -> str | None:
    """The brief's description of a message, as its text until someone writes the words ("30%-off
    comeback offer for three months."), or None when the clause describes none."""
    m = _DESCRIBED.search(clause.strip(" ,.;"))
    if m is None:
        return None
    what = m.group("what").strip()
    return what[:1].upper() + what[1:] + "."
