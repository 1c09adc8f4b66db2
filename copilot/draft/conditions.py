"""Reading conditions: when a task runs, from the if/when/unless clauses of its sentence.

An if-clause is read into atoms (a score or event-field threshold, a severity, a
sentiment or state, urgency, a moderation flag) joined by and/or (`read_conditions`);
a clause no rule can read is kept, so the draft can say so. `attach_conditions` gives
each task of a sentence the condition that governs it, "otherwise" branches included
(`negate`).
"""

# ruff: noqa: E501  (the vocabulary below is regular expressions, one family per line, easier to read whole)
from __future__ import annotations

import dataclasses
import itertools
import re

from copilot.draft.condition_names import condition_field
from copilot.draft.condition_words import EQUALS, FLAGGED_AS, PRESENCE, QUOTED_VALUE, UNCOVERED
from copilot.draft.field_tests import (
    OF_AMOUNT,
    SIGN,
    band_atoms,
    bigger_than_atoms,
    contains_atoms,
    signed,
    truth_condition,
)
from copilot.draft.governing import governed, leads
from copilot.draft.labels import snake
from copilot.draft.phrases import Match
from copilot.draft.reading import Condition, Task
from copilot.draft.relative_conditions import gap_atoms, qualified_leads, relative_thresholds
from copilot.draft.score_atoms import OPS, SCORE_ATOM, score_atoms
from copilot.draft.subjects import qualified_subject

# ---------------------------------------------------------------------------- conditions

# an order right after a condition with no comma: an action verb and its object
_ORDER_AFTER = (
    r"(?:(?:also|then|just)\s+)?(?:email|e-mail|send|post|text|page|notify|alert|cancel|create|open|mark|add|"
    r"update|refund|block|forward|escalate|put|hold|assign|book|schedule|charge|call|ping|tag|move|log|flag)\s+"
    r"(?:the|a|an|our|their|them|it|him|her|me|us)\b"
)
_IF_CLAUSE = re.compile(
    # an aside in parentheses is part of it: "If the applicant is ineligible (e.g. GPA below the minimum)"
    r"\b(only if|if|when|whenever|where|in case|unless)\b(?:\([^()]*\)|[^,.;]|\.\d|,\d{3}|"
    # ", or the temperature exceeds the alarm limit, page …": the condition goes on past its comma
    r",(?=\s*(?:or|and)\s+(?:the|a|an|its|their|if|when|[a-z]+_[a-z0-9_]+)\b))*?"
    r"(?=,(?!\d{3})(?!\s*(?:or|and)\s+(?:the|a|an|its|their|if|when|[a-z]+_[a-z0-9_]+)\b)|\.(?!\d)|;|:|\s[—–-]\s|\bthen\b|"
    # "If turbidity is above 0.5 NTU we have to close that pool": the consequence starts, no comma
    r"\s(?:we|you|they)\s+(?:also\s+|then\s+|still\s+)?(?:have\s+to|need\s+to|must|should|will)\b|"
    # "if the danger level is 4 or more email the guests …": after a threshold, an order begins
    + "|".join(
        rf"(?<={w})\s(?={_ORDER_AFTER})" for w in (r"\d", "more", "less", "above", "below", "higher", "lower")
    )
    + r"|"
    r"\botherwise\b|\belse\b|$)",
    re.I,
)
# "When a ticket comes in" names the trigger, not a condition.
_EVENT_VERB = re.compile(
    r"\b(comes?|coming|arriv\w*|fires?|fired|land\w*|opens?|opened|sends?|sent|posts?|posted|submit\w*|upload\w*|"
    r"creat\w*|receiv\w*|happen\w*|trigger\w*|signs? up|signed up|places?|placed|hits?|files?|filed|starts?|"
    r"finish\w*|runs?|publish\w*|writes?|calls?|pushe[sd]|drops?|get(?:s)? (?:created|posted|filed|opened))\b",
    re.I,
)
# "if the cart value is over $50", "orders above 1,000 EUR": a threshold on a field of the event
_EVENT_ATOM = re.compile(
    r"\b(?:(?:if|when|whenever|where|unless|only|and|or|any\s+\w+\s+where)\s+)?(?:the\s+|its\s+|their\s+|a\s+)?((?:[a-z][a-z0-9_]*\s+){0,2}?[a-z][a-z0-9_]*)\s+(?:is\s+|are\s+|was\s+)?"
    # "for parties up to 10 people": at most that many
    r"(above|over|greater than|higher than|more than|exceeds|>=|>|at least|at most|up to|below|under|less than|lower than|<=|<)\s*"
    # "above -10" (a freezer), "below minus 5": a number below zero keeps its sign
    r"[$€£]?\s*("
    + SIGN
    + r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?))\s*(k|m|million|%|percent|usd|eur|gbp|dollars|euros)?\b"
    # "above 0.5 NTU", "below 1.0 ppm": a unit of measure belongs to the threshold
    r"(?:\s*(?:ppm|ppb|ntu|psi|kpa|bar|kg|g|lbs?|mm|cm|km|mph|kph|km/h|°\s?[cf]|degrees|celsius|fahrenheit|kwh|kw|mw|hz|db)\b)?",
    re.I,
)

_FIELD_VS_FIELD = re.compile(
    r"\b([a-z][a-z0-9_]*)\s+(?:is\s+|are\s+)?(above|over|greater than|higher than|more than|exceeds|below|under|"
    r"less than|lower than)\s+"
    # "above that silo's max_safe_moisture", "over the customer's credit_limit": whose value it is
    r"(?:(?:the|that|this|its|their|each)\s+(?:[\w-]+['’]s\s+)?|[\w-]+['’]s\s+)?([a-z][a-z0-9]*_[a-z0-9_]+)\b"
)
# "keg_count is greater than the kegs checked out in Odoo": the event's number against a value a
# named system holds (the lookup of that system returns it)
_FIELD_VS_SYSTEM = re.compile(
    r"\b([a-z][a-z0-9]*_[a-z0-9_]+)\s+(?:is\s+|are\s+|does\s+(?:not\s+)?)?(greater than or equal to|less than or equal to|"
    r"above|over|greater than|higher than|more than|exceeds|exceed|below|under|less than|lower than|at least|at most)\s+"
    r"(?:the\s+|their\s+|its\s+)((?:[a-z]+\s+){0,3}?[a-z]+)"
    # "… in Odoo": the system that holds it; else where the value's words end
    r"(?:\s+(?:in|from|on|per)\s+(?:the\s+|our\s+)?([A-Z][\w-]*)|(?=\s*(?:$|[,.;)]|\s+(?:and|or|then|stored|recorded)\b)))"
)
_DIFFERENCE = re.compile(
    r"\b([a-z][a-z0-9]*_[a-z0-9_]+)\s+(?:is\s+|are\s+|runs\s+)?(more|less|at least|at most)\s+(?:than\s+)?"
    r"(\d+(?:\.\d+)?)\s*(?:[a-z%°]+\s+){0,2}?(above|over|below|under|higher than|lower than)\s+(?:the\s+)?"
    r"([a-z][a-z0-9]*_[a-z0-9_]+)\b",
    re.I,
)
_EVENT_AFTER = re.compile(
    # "filament_used_g is 200 g or more": a unit may follow the number
    r"\b([a-z][a-z0-9]*_[a-z0-9_]+|[a-z]{2,})\s+(?:is|are)\s+[$€£]?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(?:%|[a-z°]{1,7}))?\s+or\s+"
    r"(more|above|higher|greater|over|less|below|lower|fewer|under)\b",
    re.I,
)
_NOT_EVENT_FIELDS = re.compile(
    r"^(?:score|risk|probability|confidence|likelihood|rating|risk score|fraud score|it|its|that|this|they|we|cost|is|are|was|"
    r"latency|time|budget|p95|sla|respond|answer|reply|finish|\w+ in|\w+ within|"
    # "we dont want to spend more than $0.003 per ticket": the budget, not a field
    r"(?:\w+\s+){0,2}(?:to\s+)?(?:spend|pay|cost|costs|charge|charged|spent))$",
    re.I,
)
# "over 2500, flag it; under that, mark it informal": "that" is the threshold just said; in "above
# that silo's max_safe_moisture" it is a determiner and the comparison goes on
OTHER_SIDE = (
    r"(?:under|below|above|over) that\b(?!\s+(?:[\w-]+['’]s\b|[a-z][a-z0-9]*_[a-z0-9_]+\b))"
    # "0.9 or higher are posted …; anything lower goes into a summary email"
    r"|(?:anything|everything|those|ones)\s+(?:lower|less|below|under|higher|more|above|over)\b(?!\s+than)"
)
_PRESENT_WORDS = frozenset({"present", "set", "given", "provided", "filled", "filled in", "there"})
_PRESENCE_WORDS = _PRESENT_WORDS | {
    "missing",
    "empty",
    "blank",
    "absent",
    "filled",
    "above",
    "over",
    "below",
    "under",
}
# A noun phrase that ends in a preposition or a relative word names no field by itself.
_COUNTED_PAIR = re.compile(
    r"\s*([a-z]+(?<!s))\s+(?!(?:this|was|is|has|as|its|plus|thus|less)\b)([a-z]+s)\b", re.I
)
_DANGLING = re.compile(
    # "… with", or a relative clause's verb ("drugs that fall below 10 units": the units are measured)
    r"\b(?:with|that|who|which|whose|having|has|have|of|for|where|than|at|in|on|by)$|\b(?:that|which|who)\s+\w+$",
    re.I,
)
_VERB_AFTER = re.compile(
    r"get|gets|are|is|go|goes|receive|receives|should|must|will|can|need|needs|have|has|pay|pays", re.I
)
_SEVERITY_ATOM = re.compile(
    r"\b(?:severity|sev)\s+(?:is\s+|=+\s*|of\s+|level\s+)?(critical|high|major|sev-?1|p1|1)\b", re.I
)
_SENTIMENT_WORDS = r"negative|angry|upset|frustrated|unhappy|furious|annoyed|irate|positive|happy"
_STATE_WORDS = (
    # "flagged critical" is one state, not "flagged" or "critical"
    r"flagged\s+(?:as\s+)?(?:critical|urgent|high|abnormal|severe|red)|"
    # "the emergency contacts", "the clinic emergency line": a thing named, not a state
    r"urgent|critical|high[- ]priority|p1|sev(?:erity)?[- ]?1|"
    r"emergenc\w*(?!\s+(?:contacts?|lines?|numbers?|rooms?|services?|funds?|kits?|exits?|phones?|plans?|"
    r"procedures?|care|dispatch|broadcasts?|lists?|roster)\b)|high[- ]risk|risky|likely fraud\w*|"
    r"suspicious|flagged|unsafe|toxic|violat\w*|not allowed|spam|blocked|held|rejected|declined|denied|approved|"
    r"eligible|ineligible|accepted"
)
# "true positive", "false negative" are detection outcomes, not sentiment
# "flagged as on_credit_hold" names a flag of a record, not a moderation verdict
_STATE_ATOM = re.compile(
    rf"\b(?<!true )(?<!false )({_SENTIMENT_WORDS}|{_STATE_WORDS})\b(?!\s+as\s+[a-z]+_)", re.I
)
_NOUN_FORM = re.compile(
    rf"\b(?:(?:anything|everything|whatever|all|any|those|ones)\s+(?:that(?:'s| is| are| seems?| looks?)\s+|(?:'s|is|are)\s+)?"
    rf"({_SENTIMENT_WORDS}|{_STATE_WORDS})\b|({_SENTIMENT_WORDS}|{_STATE_WORDS})\s+(?:ones|feedback|[a-z]+s))\b",
    re.I,
)


def _atom(word: str, text: str) -> Condition:
    word = word.lower()
    if word in ("approved", "accepted", "eligible", "ineligible"):
        # a verdict some step decides: the decide step's option when there is one (offline.plan)
        return Condition("field", text, "==", True, output_field=word)
    if re.fullmatch(_SENTIMENT_WORDS, word):
        value = "positive" if word in ("positive", "happy") else "negative"
        return Condition("field", text, "==", value, output_field="sentiment")
    if word in ("high-risk", "high risk", "risky", "suspicious") or word.startswith("likely fraud"):
        return Condition("score", text, ">", 0.8)
    if word in (
        "flagged",
        "unsafe",
        "toxic",
        "not allowed",
        "blocked",
        "held",
        "rejected",
        "declined",
        "denied",
    ) or word.startswith(("violat", "flagged")):
        return Condition("flagged", text)
    if word == "spam":
        return Condition("label", text, "==", "spam")
    return Condition("urgent", text)


def _atoms(sentence: str, a: int, b: int, inside_if: bool) -> list[tuple[int, int, Condition]]:
    """The condition phrases between a and b: thresholds, severity, states ("negative", "urgent")."""
    found: list[tuple[int, int, Condition]] = []
    part = sentence[a:b]
    found.extend(band_atoms(part, a, lambda noun: bool(_NOT_EVENT_FIELDS.match(noun))))
    # "between 2 and 8" of an event field is its band, not a score's
    found.extend(t for t in score_atoms(part, a) if not any(s < t[1] and e > t[0] for s, e, _ in found))
    for m in _SEVERITY_ATOM.finditer(part):
        found.append(
            (
                a + m.start(),
                a + m.end(),
                Condition("field", m.group(0), "==", "critical", output_field="severity"),
            )
        )
    found += [g for g in gap_atoms(part, a) if not _DIFFERENCE.search(g[2].text)]
    for m in _DIFFERENCE.finditer(part):
        # "temp_c is more than 60 degrees above ambient_c": the gap between two fields of the event
        if not any(s < a + m.end() and e > a + m.start() for s, e, _ in found):
            above = m.group(4).lower() in ("above", "over", "higher than")
            op = ">" if m.group(2).lower() in ("more", "at least") else "<"
            op += "=" if m.group(2).lower() in ("at least", "at most") else ""
            first, second = (m.group(1), m.group(5)) if above else (m.group(5), m.group(1))
            found.append(
                (
                    a + m.start(),
                    a + m.end(),
                    Condition("difference", m.group(0), op, (float(m.group(3)), second), output_field=first),  # type: ignore[arg-type]
                )
            )
    for pattern in (_FIELD_VS_FIELD, _FIELD_VS_SYSTEM):
        # "If value is over reference_high": two fields of the event compared, no model needed;
        # "… greater than the kegs checked out in Odoo": a value a named system holds
        for m in pattern.finditer(part):
            if inside_if and not any(s < a + m.end() and e > a + m.start() for s, e, _ in found):
                other = m.group(3) if pattern is _FIELD_VS_FIELD else snake(m.group(3))
                found.append(
                    (
                        a + m.start(1),
                        a + m.end(),
                        Condition(
                            "fields", m.group(0), OPS[m.group(2).lower()], other, output_field=m.group(1)
                        ),
                    )
                )
    if inside_if:
        found.extend(contains_atoms(part, a, lambda noun: bool(_NOT_EVENT_FIELDS.match(noun))))
    for m in itertools.chain(_EVENT_AFTER.finditer(part), OF_AMOUNT.finditer(part)):
        # "only when mrr is 500 or more": the number first, then its direction
        if (
            _NOT_EVENT_FIELDS.match(m.group(1))
            or any(s < a + m.end() and e > a + m.start() for s, e, _ in found)
            or _CHANGE.search(part)
        ):
            continue
        op = ">=" if m.group(3).lower() in ("more", "above", "higher", "greater", "over") else "<="
        found.append(
            (
                a + m.start(),
                a + m.end(),
                Condition(
                    "event", m.group(0), op, float(m.group(2).replace(",", "")), output_field=m.group(1)
                ),
            )
        )
    for m in _EVENT_ATOM.finditer(part):
        # "refer when loan_amount is over …", "US and declared_value is over …": the field is the
        # last words, after the clause's own "when" or "and"
        noun = re.split(r"\b(?:if|when|whenever|where|unless|and|or|for)\s+", m.group(1).strip(), flags=re.I)[
            -1
        ] or m.group(1)
        # "If free chlorine drops below 1.0 ppm": the field is what drops, not "free_chlorine_drops"
        noun = re.sub(
            r"\s+(?:drops?|falls?|rises?|climbs?|goes|gets|reaches|hits|dips?)$", "", noun, flags=re.I
        )
        if (
            part[max(0, m.start(1) - 1) : m.start(1)] in ("'", "’")
            and m.group(1).strip().lower() in ("re", "s", "ll", "ve", "d", "m")
        ) or re.match(
            r"\s*(?:hours?|hrs?|minutes?|mins?|days?|weeks?|months?)\s+(?:away|from now|ago|left|before|after|until|out)\b",
            part[m.end() :],
            re.I,
        ):
            # "if they're under 18": who, not a field; "less than 4 hours away": a time from now,
            # which no field holds as such. Left unread, so the draft says it guessed
            continue
        counted = False
        counted_words = 0
        if noun.lower() in ("if", "when", "where", "unless", "only", "and", "or", "whenever"):
            counted = True
            # "if more than 10 builds failed": what is counted comes after the number
            after = re.match(r"\s*([a-z]+(?:\s+[a-z]+)?)", part[m.end() :], re.I)
            if after is None:
                continue
            noun = after.group(1)
        if _NOT_EVENT_FIELDS.match(noun) or _CHANGE.search(part):
            continue  # "answer in under 4 seconds": a deadline, not a field; "dropped by 2 kg": a change
        if not counted and _DANGLING.search(noun):
            # "sellers with more than 3 rejections", "customers with more than 12 months of tenure":
            # the words before the comparison end in a preposition or a relative word, so what is
            # measured is the noun after the number ("rejections", "tenure"), not "sellers with"
            after = re.match(r"\s*([a-z]+)(?:\s+of\s+([a-z]+))?", part[m.end() :], re.I)
            if after is None:
                continue
            noun = after.group(2) or after.group(1)
            if _VERB_AFTER.fullmatch(noun):
                # "Groups of more than 10 get an email": what is counted is the subject itself
                noun = m.group(1).split()[0]
            # "a plate with more than 3 prior citations": an adjective and the plural it counts
            pair = _COUNTED_PAIR.match(part, m.end()) if not after.group(2) else None
            if pair is not None:
                noun, counted_words = f"{pair.group(1)} {pair.group(2)}", pair.end() - m.end()
            if re.search(r"[$€£]|\b(?:usd|eur|gbp|dollars|euros)\b", m.group(0), re.I):
                noun = "amount"  # "Applications asking for more than $250,000 go …": money, not "go"
            if re.fullmatch(
                r"(?:ms|milliseconds?|s|secs?|seconds?|minutes?|mins?|hours?|days?|weeks?)", noun, re.I
            ):
                continue  # a duration is a deadline or a window, never a field of the event
        at = m.group(1).lower().rfind(noun.lower())
        # "above that silo's max_safe_moisture and temp_c is above 25": the atom begins at its
        # field, so a comparison read before it does not hide it
        begins = a + m.start(1) + at if not counted and at > 0 else a + m.start()
        if _NOT_EVENT_FIELDS.match(noun) or any(s < a + m.end() and e > begins for s, e, _ in found):
            continue
        if re.match(
            r"\s*(?:%|percent|per ?cent|x|times)\s+(?:above|below|over|under|more than|less than|of|higher|lower)\b",
            part[m.end() :],
            re.I,
        ):
            continue  # "more than 40% above their 12-month average": relative to a value the event lacks
        if counted and re.match(
            r"\s*[a-z]+\s+[a-z]+\s+(?!and\b|or\b|in\b|from\b|of\b|today\b|this\b|last\b)[a-z]{3,}",
            part[m.end() :],
            re.I,
        ):
            continue  # "more than 20 responses mention billing": a subset of what was fetched, not its count
        suffix = (m.group(4) or "").lower()
        value = signed(m.group(3)) * {"k": 1e3, "m": 1e6, "million": 1e6}.get(suffix, 1)
        start = begins  # "closed AND wind_kmh over 70": the atom starts at its field
        found.append(
            (
                start,
                a + m.end() + counted_words,
                Condition(
                    "count" if counted else "event",
                    sentence[start : a + m.end() + counted_words],
                    OPS[m.group(2).lower()],
                    value,
                    output_field=snake(noun),
                ),
            )
        )
    # "bigger groups than 10 get an email", "walls bigger than 60 ft wide get flagged"
    found.extend(bigger_than_atoms(part, a, found))
    for m in QUOTED_VALUE.finditer(part):
        # 'the reason is "too expensive"': an event field equal to the quoted value
        if inside_if and not any(s < a + m.end() and e > a + m.start() for s, e, _ in found):
            noun = snake(m.group(1))
            if noun and not _NOT_EVENT_FIELDS.match(m.group(1)):
                more = re.findall(
                    r"[\"'\u201c\u2018]([^\"'\u201d\u2019{}%]{1,40})[\"'\u201d\u2019]", m.group(3)
                )
                values = [m.group(2), *more]
                found.append(
                    (
                        a + m.start(),
                        a + m.end(),
                        Condition("event", m.group(0), "in", values, output_field=noun)
                        if more
                        else Condition("event", m.group(0), "==", m.group(2), output_field=noun),
                    )
                )
    for m in UNCOVERED.finditer(part):
        # "if they don't cover it" (the documents): the answer step says so in `grounded`
        if inside_if and not any(s < a + m.end() and e > a + m.start() for s, e, _ in found):
            found.append((a + m.start(), a + m.end(), Condition("ungrounded", m.group(0))))
    for m in PRESENCE.finditer(part):
        # "When applicant_id is present": a field of the event, set or not, needs no model
        if inside_if and not any(s < a + m.end() and e > a + m.start() for s, e, _ in found):
            op = "!=" if m.group(2).lower() in _PRESENT_WORDS else "=="
            found.append(
                (a + m.start(), a + m.end(), Condition("event", m.group(0), op, "", output_field=m.group(1)))
            )
    for m in FLAGGED_AS.finditer(part):
        # "the dentist's account is flagged as on_credit_hold": that flag, true, wherever it is kept
        if inside_if and not any(s < a + m.end() and e > a + m.start() for s, e, _ in found):
            found.append(
                (
                    a + m.start(),
                    a + m.end(),
                    Condition("present", m.group(0), "!=", "", output_field=m.group(1)),
                )
            )
    for m in EQUALS.finditer(part):
        value = m.group(2)
        if (
            inside_if
            and value.lower() not in _PRESENCE_WORDS
            and value.lower() not in OPS
            and not any(s < a + m.end() and e > a + m.start() for s, e, _ in found)
        ):
            found.append(
                (
                    a + m.start(),
                    a + m.end(),
                    truth_condition(m.group(0), m.group(1), value)
                    or Condition("event", m.group(0), "==", value, output_field=m.group(1)),
                )
            )
    states = _STATE_ATOM if inside_if else _NOUN_FORM
    for m in states.finditer(part):
        start, end = a + m.start(), a + m.end()
        if any(s < end and e > start for s, e, _ in found):
            continue
        word = next(g for g in m.groups() if g) if m.groups() else m.group(0)
        if inside_if and re.match(
            r"\s+(?:list|lists|products?|vendors?|suppliers?|items?|senders?|domains?)\b",
            part[m.end() :],
            re.I,
        ):
            continue  # "isn't in the approved list": the name of a list, not a verdict on the event
        if part[max(0, m.start() - 1) : m.start()] in ('"', "“", "'", "‘"):
            continue  # 'our "Approved Products" folder': a quoted name
        atom = _atom(word, m.group(0))
        if re.search(
            r"\b(?:not|isn'?t|aren'?t|wasn'?t|weren'?t|never)\s+(?:been\s+|yet\s+)?$", part[: m.start()], re.I
        ):
            # "if the status is not approved": the verdict's opposite, never the verdict
            atom.negated = not atom.negated
        found.append((start, end, atom))
    return sorted(found, key=lambda f: f[0])


def _combine(sentence: str, atoms: list[tuple[int, int, Condition]], text: str) -> Condition:
    if len(atoms) == 1:
        cond = atoms[0][2]
        cond.text = text
        return cond
    # "negative or urgent": any of them. "X and Y" between two conditions means both must hold
    # ("if it's hot and the company has more than 500 employees").
    first = atoms[0][2]
    # the words between two conditions, and a joiner a condition's own match starts with
    joiners = [
        f"{sentence[e:s2]} {' '.join(c.text.split()[:1])}".strip().lower()
        for (_, e, _), (s2, _, c) in itertools.pairwise(atoms)
    ]
    both = bool(joiners) and all(re.match(r"(?:,\s*)?and\b", j) and " or " not in f" {j} " for j in joiners)
    parts = [c for _, _, c in atoms]
    # a head's "not" negates the whole condition: "water_flow_ok is false or …" leads with a part
    # said positively, and when every part is negative, "not A or not B" is "not (A and B)"
    positive = next((c for c in parts if not c.negated), None)
    every_negative = positive is None
    if positive is not None:
        parts.remove(positive)
        parts.insert(0, positive)
    first = parts[0]
    return Condition(
        first.kind,
        text,
        first.op,
        first.value,
        first.output_field,
        negated=every_negative,
        alternatives=[dataclasses.replace(c, negated=False) if every_negative else c for c in parts[1:]],
        all_of=(not both) if every_negative else both,
        factor=first.factor,
        optional=first.optional,
    )


_FILLER_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "is",
        "are",
        "was",
        "were",
        "be",
        "it",
        "its",
        "their",
        "his",
        "her",
        "this",
        "that",
        "these",
        "those",
        "only",
        "also",
        "both",
        "either",
        "any",
        "all",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "than",
        "then",
        "so",
        "just",
    ]
)


def _unread_parts(
    sentence: str, a: int, b: int, atoms: list[tuple[int, int, Condition]]
) -> list[tuple[int, int, str]]:
    """The conjuncts of an if-clause no atom covers: "if the status is closed and the amount is over
    50" reads the amount; the status part is reported, never silently dropped."""
    blank = "".join("," if any(s <= i < e for s, e, _ in atoms) else ch for i, ch in enumerate(sentence[:b]))
    out: list[tuple[int, int, str]] = []
    for piece in re.finditer(r"[^,;]+?(?=\s+(?:and|or|but)\s+|[,;]|$)", blank[a:b], re.I):
        text = re.sub(r"^\s*(?:and|or|but)\s+", "", piece.group(0), flags=re.I).strip()
        if re.search(r"\((?:i\.?e\.?|e\.?g\.?|that is|meaning),?\s*$", text, re.I):
            continue  # "brighter than 18.5 (i.e. the number is below 18.5)": said again, and read there
        words = [w for w in re.findall(r"[A-Za-z_']+", text) if w.lower() not in _FILLER_WORDS]
        if len(words) >= 2 or (words and re.search(r"\b(?:is|was|are|were|gets?|got)\s+\w+", text, re.I)):
            # "it was late": one word of its own, still a condition
            start = a + piece.start() + piece.group(0).find(text)
            out.append((start, start + len(text), text))
    return out


def _or_groups(sentence: str, parts: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Unread parts joined by "or" and then "and"-ed with the rest are one conjunct: "if it's a
    shift or drift and wafer_count is 5 or more" is (shift or drift) and the count."""
    out: list[tuple[int, int, str]] = []
    for start, stop, text in parts:
        if (
            out
            and re.fullmatch(r"\s*or\s+", sentence[out[-1][1] : start], re.I)
            and re.match(r"\s*and\b", sentence[stop:], re.I)
        ):
            first = out.pop()
            out.append((first[0], stop, sentence[first[0] : stop]))
            continue
        # "it's a shift or drift and …": a one-word alternative after it belongs to it
        tail = re.match(r"\s+or\s+[A-Za-z_'’-]+(?=\s+and\b)", sentence[stop:], re.I)
        if tail is not None:
            stop += tail.end()
            text = sentence[start:stop]
        out.append((start, stop, text))
    return out


_GLOSSED_TEST = re.compile(
    r"\b(?:and|or|if|when|unless)\s+((?:(?!\b(?:and|or|if|when|unless)\b)[^,;()]){3,60}?)\s*\(\s*([a-z][a-z0-9]*_[a-z0-9_]+\s+(?:is|=|==|equals)\s+"
    r"[\w\"'.-]+)\s*\)",
    re.I,
)


_ASKS_THE_MODEL = re.compile(
    r"\b(?:ask|asks|asking|check with|have)\s+(?:the\s+|an?\s+|our\s+)?(?:model|llm|ai|gpt|classifier)\s*$",
    re.I,
)


# "If the weight dropped more than 2 kg since the last reading": a change between events, which one
# event does not carry (never a threshold on the field itself)
_CHANGE = re.compile(
    r"\b(?:dropped|drops|fell|falls|decreased|decreases|rose|rises|increased|increases|jumped|jumps|"
    r"climbed|grew|changed|changes|slipped)\b[^.;]{0,40}?\b(?:by|more than|over|at least|above)\b|"
    r"\b(?:since|from) the (?:last|previous|prior)\b|\bcompared (?:with|to) (?:the )?(?:last|previous|prior)\b",
    re.I,
)


_BARE_CONDITION = re.compile(
    rf"(\b(?:if|when|unless)\s+(?!(?:we|you|they|i|it|he|she)\b)[a-z_'’]+(?:\s+[a-z_'’]+){{0,3}}?)\s(?={_ORDER_AFTER})",
    re.I,
)


_WISH = re.compile(r"\b(?:love|like|appreciate|prefer|be\s+(?:great|nice|ideal|awesome))\s+(?:it\s+)?$", re.I)


def read_conditions(sentence: str) -> tuple[list[tuple[int, int, Condition]], list[tuple[int, int, str]]]:
    """(mapped conditions with their spans, if/when clauses that no rule could read)."""
    # "and the customer is new (first_order is true)": the parenthesis says how the words are
    # tested, so only it is read (blanked to spaces: every position stays where it was)
    sentence = _GLOSSED_TEST.sub(
        lambda m: (
            m.group(0)[: m.start(1) - m.start()]
            + " " * (m.start(2) - m.start(1))
            + m.group(2)
            + " " * (m.end() - m.end(2))
        ),
        sentence,
    )
    # "if emergency text our on call tech": a one- or two-word condition ends where an order
    # starts, comma or not (a comma in place of the space: every position stays where it was)
    sentence = _BARE_CONDITION.sub(lambda m: m.group(1) + ",", sentence)
    mapped: list[tuple[int, int, Condition]] = []
    unread: list[tuple[int, int, str]] = []
    covered: list[tuple[int, int]] = []
    mapped_events: list[tuple[int, int]] = []
    for m in _IF_CLAUSE.finditer(sentence):
        word = m.group(1).lower()
        clause = m.group(0)
        if (
            word in ("when", "whenever")
            and _EVENT_VERB.search(clause)
            and not _atoms(sentence, m.start(), m.end(), True)
        ):
            covered.append((m.start(), m.end()))
            mapped_events.append((m.start(), m.end()))
            continue  # "when a ticket comes in": the event that starts the flow
        if word == "where" and not _atoms(sentence, m.start(), m.end(), True):
            continue  # "where" is more often a place than a condition
        covered.append((m.start(), m.end()))
        atoms = _atoms(sentence, m.start(), m.end(), True)
        if not atoms:
            if len(re.findall(r"[A-Za-z']+", clause)) >= 2:
                unread.append((m.start(), m.end(), clause.strip()))
            continue
        cond = _combine(sentence, atoms, clause.strip())
        cond.negated = cond.negated != (word == "unless")  # "unless X is false": X is true
        mapped.append((m.start(), m.end(), cond))
        parts = _or_groups(sentence, _unread_parts(sentence, m.start() + len(m.group(1)), m.end(), atoms))
        for start, stop, text in parts:
            joined = re.search(r"\band\s*$", sentence[:start], re.I) or re.match(
                r"\s*and\b", sentence[stop:], re.I
            )
            either = re.search(r"\bor\s*$", sentence[:start], re.I) or re.match(
                r"\s*or\b", sentence[stop:], re.I
            )
            if either and not joined and not cond.all_of:
                # "If it was late or severity_grade is 4 or higher": the unread side is one more way
                # the step runs (the classifier's guess, said), never dropped
                cond.alternatives.append(
                    Condition("field", text, "==", True, output_field=condition_field(text))
                )
                continue
            if joined and (cond.all_of or not cond.alternatives):
                # "if category is pothole and it's a duplicate": the unread half still limits the
                # step; the classifier decides it (said as a guess), never dropped from the `if`
                cond.alternatives.append(
                    Condition("field", text, "==", True, output_field=condition_field(text))
                )
                cond.all_of = True
        unread.extend(parts)
    for start, end, cond in _atoms(sentence, 0, len(sentence), False):
        if not any(s <= start < e for s, e in covered):
            mapped.append((start, end, cond))
    for start, end, cond in _atoms(sentence, 0, len(sentence), True):
        if (
            cond.kind == "score"
            and SCORE_ATOM.match(cond.text)
            and not any(s <= start < e for s, e in covered)
            and not any(s <= start < e for s, e, _ in mapped)
        ):
            mapped.append((start, end, cond))  # "score above 0.8 goes to review": a threshold needs no "if"
    subject = qualified_subject(sentence)
    if subject is not None and not any(s < subject[1] and subject[0] < e for s, e in covered):
        # "Benign alerts get closed", "Leads scoring 75 or above get assigned": the subject is the
        # condition. Read it like an if-clause; when no rule reads it, say so (never unconditional).
        a, b = subject
        inside = [x for x in _atoms(sentence, a, b, True) if not any(s <= x[0] < e for s, e, _ in mapped)]
        if inside:
            mapped.append((a, b, _combine(sentence, inside, sentence[a:b].strip())))
        elif not any(a <= s < b for s, _, _ in mapped):
            unread.append((a, b, sentence[a:b].strip()))
    events = [(s, e, Condition("event", sentence[s:e])) for s, e in mapped_events]
    # "ask the model if it is a leak": the model's question, not a condition on the work; "I'd
    # love it if the AI could …": a wish, not a condition
    unread = [
        u
        for u in unread
        if not _ASKS_THE_MODEL.search(sentence[max(0, u[0] - 40) : u[0]])
        and not _WISH.search(sentence[max(0, u[0] - 30) : u[0]])
    ]
    mapped = relative_thresholds(sentence, mapped, unread)
    qualified_leads(sentence, mapped)
    return sorted(mapped, key=lambda f: f[0]), unread, events


def negate(cond: Condition, text: str) -> Condition:
    """The "otherwise" branch of `cond`, quoting `text`."""
    return Condition(
        cond.kind,
        text,
        cond.op,
        cond.value,
        cond.output_field,
        not cond.negated,
        list(cond.alternatives),
        all_of=cond.all_of,  # "otherwise" of "A and B" is "not (A and B)"
    )


_SUBJECT_TO_TASK = r"\s*(?:gets?|receives?)\s+(?:an?\s+)?(?:[\w-]+\s+){0,3}"
ACTING = ("notify", "store", "answer", "reply", "enrich", "summarise", "act")


def attach_conditions(sentence: str, index: int, found: list[Task], matches: list[Match]) -> None:
    """Give each condition to the task it governs: the nearest acting task in the sentence."""
    # "a digest per component (what changed, anything blocked)": what a parenthesis lists is
    # content, never a condition; blanked to spaces, so every position stays where it was
    listed = re.sub(
        r"\([^()\d]*,[^()\d]*\)", lambda m: " " * len(m.group(0)), sentence
    )  # "(0.4 to 0.8)" stays
    listed = _BARE_CONDITION.sub(lambda m: m.group(1) + ",", listed)  # "If there's a spot email me"
    mapped, unread, events = read_conditions(listed)
    for start, end, event in events:
        matches.append(Match("event", event.text, index, start, end))
    acting = [t for t in found if t.kind in ACTING]
    starts = sorted([s for s, _, _ in mapped] + [s for s, _, _ in unread])

    def _next_condition(end: int) -> int:
        """Where the sentence's next condition after `end` starts ("…, if theres no spot add them …")."""
        return next((s for s in starts if s >= end), len(sentence) + 1)

    def _opens(start: int, end: int) -> bool:
        """A condition that leads the sentence, or the part after a comma ("…, if theres no spot,
        add them to the waitlist and send the parent a note"): it governs what follows it."""
        return leads(listed, start, end) or bool(
            re.search(r"[,;]\s*$", listed[:start])
            and re.match(r"\s*(?:if|when|unless)\b", listed[start:end], re.I)
            and re.match(r"\s*,", listed[end:])
        )

    for start, end, condition in mapped:
        # "bigger groups than 10 get an email": the subject of the task's own clause, before any
        # condition said earlier in the sentence can reach it
        own = [
            t
            for t in acting
            if t.condition is None
            and (t.start == start or re.fullmatch(_SUBJECT_TO_TASK, sentence[end : max(end, t.start)], re.I))
        ]
        if own:
            own[0].condition = condition
    for start, end, condition in mapped:
        matches.append(Match("condition", condition.text, index, start, end))
        if not acting or any(t.condition is condition for t in acting):
            continue
        if _opens(start, end):
            # "For high-risk orders, hold the order and notify #ops": the lead limits every action
            # after it, up to the sentence's next condition
            for task in acting:
                if start < task.start < _next_condition(end) and task.condition is None:
                    task.condition = condition
            continue
        nearest = governed(acting, start, condition.text, sentence[end:])
        if nearest is not None and nearest.condition is None:
            nearest.condition = condition
    lead_of: set[str | None] = set()
    for start, end, clause in unread:
        # Reported, and the task it governs is marked: never silently unconditional.
        inside = [t.start for t in found if start < t.start < end]
        if inside:
            clause = sentence[start : min(inside)].strip(" ,")
        matches.append(Match("unread_condition", clause, index, start, end))
        candidates = [t for t in acting if t.condition is None]
        limited = [
            t for t in acting if t.condition is not None and not t.unmapped_condition and t.start < start
        ]
        if not candidates and limited and re.match(r"\W*(?:but\s+)?only\s+(?:if|when)\b", clause, re.I):
            # "For lane_closed, mark the lane out of service, but only if no game is in progress": a
            # further condition on an action that has one (read from the event later, or said)
            max(limited, key=lambda t: t.start).unmapped_condition = clause
            continue
        if candidates and _opens(start, end):
            # "only if there's a crash_dump_url, fetch the stack and attach the frames": both
            lead_of.add(clause)
            for task in candidates:
                if start < task.start < _next_condition(end):
                    task.unmapped_condition = clause
        elif candidates:
            owner = governed(candidates, start, clause, sentence[end:])
            # "if cancel, sms them plus refund them, if reschedule text them …": the lead's action
            # keeps the lead; the next "if" governs what follows it
            if owner is not None and owner.unmapped_condition not in lead_of:
                owner.unmapped_condition = clause
    # "over 2500, flag it; under that, mark it informal": the other side of a threshold
    for m in re.finditer(rf"\b(otherwise|else|if not|{OTHER_SIDE})\b", sentence, re.I):
        before = [c for s, _, c in mapped if s < m.start()]
        if not before:
            continue
        matches.append(Match("condition", m.group(0), index, m.start(), m.end()))
        after = [t for t in acting if t.start > m.start()]
        if after:
            task = min(after, key=lambda t: t.start)
            if task.condition is None or task.condition is before[-1]:
                if task.condition is before[-1]:
                    # The nearest-task rule gave the "if" to the otherwise branch: move it back.
                    owners = [t for t in acting if t.start < m.start() and t.condition is None]
                    if owners:
                        owners[-1].condition = before[-1]
                task.condition = negate(before[-1], f"{m.group(0)} (not {before[-1].text})")
