"""The person a message's clause names: "send an SMS to the on-call physio with …" -> "on-call
physio", "text the route driver right away" -> "route driver"."""

from __future__ import annotations

import re

__all__ = ["message_destination", "people_differ", "recipient_phrase", "recipient_phrases"]

_VERBS = r"(?:e-?mail|text|sms|message|notify|ping|page|dm|alert|tell|remind|call)"
_DETERMINERS = r"(?:the|our|their|its|his|her|a|an|each|every|that|this|whoever|[\w-]+['’]s)"
# what ends a recipient: what the message says, carries or how it goes
_ENDS = (
    r"(?=\s+(?:with|that|about|saying|asking|telling|to|right|immediately|at|and|if|when|for|via|by|through|on|"
    r"in|listing|including|a|an|the|up|now|asap|within|so|instead|too|also|back|first|directly|only|unless|once|"
    r"who|whose|but|from)\b(?![-'’])|\s*[,.;:(]|$)"
)
_TO = re.compile(rf"\bto\s+(?P<who>(?:{_DETERMINERS}\s+)*(?:[\w'’-]+\s+){{0,3}}?[\w'’-]+?){_ENDS}", re.I)
_WHO = rf"(?P<who>(?:{_DETERMINERS}\s+)*(?:[\w'’-]+\s+){{0,3}}?[\w'’-]+?){_ENDS}"
# "text the route driver", never "on-call physio" read as "call physio"
_DIRECT = re.compile(rf"(?<![-'’])\b{_VERBS}\s+(?!to\b){_WHO}", re.I)


# "send the parent a tour invite": the person before what is sent
_SEND_TO = re.compile(
    r"\bsend\s+(?:the|our|their|each|every|that)\s+(?P<who>[\w'’-]+(?:\s+(?!to\b)[\w'’-]+)?)\s+(?:a|an|the|their|our)\s+",
    re.I,
)


# "will-call customers get an SMS with …": the subject receives the message (its last word, one of them)
_GETS = re.compile(
    r"^\W*(?:and\s+|but\s+|while\s+)?(?:[\w'’-]+\s+){0,3}?(?P<who>[a-z][\w'’-]*?)s?\s+"
    # "applicants above the income limit get a polite email": who, then which of them
    r"(?:(?:above|below|over|under|with|without|who|whose|from|in|on|at)\s+(?:[\w'’$-]+\s+){1,5}?)?"
    r"(?:get|gets|receive|receives|(?:should|will|must|also)\s+(?:get|receive))\s+(?:an?\s+|the\s+)?"
    r"(?:[\w-]+\s+){0,2}?(?:sms|text|e-?mail|message|notification)\b",
    re.I,
)


def recipient_phrase(clause: str) -> str | None:
    """ "send an SMS to the on-call physio with …" -> "on-call physio"; "text the route driver
    right away" -> "route driver"; None when the clause names no one."""
    sent = _SEND_TO.search(clause)
    if sent is not None:
        return sent.group("who").lower()
    gets = _GETS.match(clause)
    if gets is not None and gets.group("who").lower() not in ("it", "they", "one", "reading", "event"):
        return gets.group("who").lower()
    m = _DIRECT.search(clause)
    if m is not None and (
        # "by SMS with the applicant's name": how it goes, then what it carries; "a polite email
        # referral": the message named as a noun, no one after it
        re.match(
            r"(?:with|that|about|saying|asking|telling|and|if|when|for|via|by|through|on|in)\b",
            m.group("who"),
            re.I,
        )
        or re.search(
            r"\b(?:a|an|the|by|via|polite|short|quick|friendly|brief)\s+$", clause[: m.start()], re.I
        )
    ):
        m = None
    if m is None or re.match(
        r"(?:a|an|the)?\s*(?:summary|digest|report|note|message|reply|link|answer|response|results?|draft|"
        r"estimate|quote|statement)\b",
        m.group("who"),
        re.I,
    ):
        m = _TO.search(clause)
    if m is None:
        return None
    words = [
        w
        for w in re.findall(r"[\w'’-]+", m.group("who").lower())
        if not re.fullmatch(r"the|our|their|its|his|her|a|an|each|every|that|this|whoever|[\w-]+['’]s", w)
    ]
    if words and words[0] == "it" and m.re is _DIRECT:
        m = _TO.search(clause)  # "email it to that department's HRBP": what is sent, then to whom
        words = (
            [
                w
                for w in re.findall(r"[\w'’-]+", m.group("who").lower())
                if w not in ("the", "our", "their", "that", "this")
            ]
            if m
            else []
        )
    if words and words[0] in ("them", "him", "her", "they"):
        return None  # "text them a comeback offer": the event's own person, whom it names
    return " ".join(words) or None


# what a message carries, never a second person ("email the lead and the summary")
_CARRIED = re.compile(
    r"(?:summary|digest|report|note|notes|message|reply|link|details|list|file|photo|photos|invoice|"
    r"number|id|reason|text|date|amount|total|level|reading)$",
    re.I,
)


def recipient_phrases(clause: str) -> list[str]:
    """Every person the clause names: "send an SMS to the crane operator and the site supervisor"
    -> ["crane operator", "site supervisor"]; [] when it names no one."""
    first = recipient_phrase(clause)
    if first is None:
        return []
    out = [first]
    said = re.search(r"\W+".join(re.escape(w) for w in first.split()), clause, re.I)
    at = said.end() if said else len(clause)
    while len(out) < 4:
        more = re.match(
            rf"\s*(?:,\s*(?:and\s+)?|\s+and\s+)(?:the|our|their|his|her|its|each|every)\s+"
            rf"(?P<who>(?:[\w'’-]+\s+){{0,3}}?[\w'’-]+?){_ENDS}",
            clause[at:],
            re.I,
        )
        if more is None or _CARRIED.search(more.group("who")):
            break
        out.append(more.group("who").lower())
        at += more.end()
    return list(dict.fromkeys(out))


def message_destination(sentence: str) -> str | None:
    """The named place a message goes: "#licensing-deals", a direct message, else None."""
    m = re.search(r"#[\w-]+|\bDMs?\b|\bdirect message", sentence, re.I)
    return m.group(0).lower() if m else None


def people_differ(first: str, then: str) -> bool:
    """Whether two messages' clauses name different recipients ("the project manager", "the site
    safety officer"); a pronoun or no one named is the same person said again."""
    a, b = recipient_phrase(first), recipient_phrase(then)
    pronouns = {"them", "him", "her", "it", "they", "you"}
    return bool(a and b and a != b and a not in pronouns and b not in pronouns)
