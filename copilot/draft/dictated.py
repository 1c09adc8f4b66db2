"""A message the brief dictates word for word: `send an SMS … saying "STOP LIFTING: gusts at <gust>
km/h on crane <crane_id>"`. The text is the brief's, its placeholders the event's fields."""

from __future__ import annotations

import re

__all__ = ["described_text", "dictated_text", "said_text"]

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
    r"request|invitation|invite|update|warning|receipt|quote|estimate|thank-you|thank\s+you|welcome|instructions|link)\b"
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


# "… that a roof inspection is needed", "… saying solar may not pay off": what a message says,
# a clause of its own (a verb in it), never a relative clause ("the customer that placed it")
_SAYING = re.compile(
    # "that we'll quote on site": a contraction carries the verb
    r"(?<!after )(?<!before )\b(?:that|saying|to say|telling (?:them|him|her) that)\s+"
    r"(?P<content>(?:we['’]ll|they['’]ll|you['’]ll|"
    r"it['’]ll|we['’]re|they['’]re|it['’]s|there['’]s)\b[^;]*$|(?:[\w'’-]+\s+){0,6}?"
    r"(?:is|are|was|were|will|may|might|can|could|has|have|had|needs?|must|should|won'?t|isn'?t|aren'?t|"
    r"can'?t|did|does)\b[^;]*)$",
    re.I,
)
# "… telling them to raise the arm manually", "asking the guest to check in at the desk": what the
# message asks of its reader
_ASKING = re.compile(
    r"\b(?:telling|asking|reminding|instructing|urging|advising)\s+(?:them|him|her|(?:the|our)\s+[\w-]+)\s+"
    r"to\s+(?P<content>[^;,.:]+?)\s*$",
    re.I,
)


_TO_YOU = {
    "their": "your", "they": "you", "they're": "you're", "they'll": "you'll", "they've": "you've",
    "they'd": "you'd", "them": "you", "themselves": "yourself",
}  # fmt: skip


def said_text(clause: str, headline: str | None = None) -> str | None:
    """What a message says when its clause says it: "… that a roof inspection is needed" ("A roof
    inspection is needed."), "… telling them to raise the arm manually" ("Please raise the arm
    manually.", after `headline` when given: what to do, and where), or None."""
    said = _SAYING.search(clause)
    if said is not None:
        # "email the renter that their deposit will be refunded": said to them, "Your deposit …"
        text = re.sub(
            r"\b(?:their|they(?:['’](?:re|ll|ve|d))?|them|themselves)\b",
            lambda m: _TO_YOU[m.group(0).lower().replace("’", "'")],
            said.group("content").strip(" ."),
            flags=re.I,
        )
    elif (asked := _ASKING.search(clause.strip(" .;"))) is not None:
        text = f"please {asked.group('content').strip()}"
        if headline:
            return f"{headline}: {text}."  # "Fault gate 4: please raise the arm manually."
    else:
        return None
    return text[:1].upper() + text[1:] + "." if text else None
