"""A prohibition with a threshold limits the action it names, and "those" go elsewhere.

"Never reverse a charge over $50 without a human; those go to the disputes supervisor queue":
the reversal runs only at $50 or less (besides its own condition), and the supervisor queue
gets exactly the ones the rule keeps from it: the reversal's events over $50. Said as a
threshold on the event's amount, the rule is held by the flow's `if:`, not by a prompt.
"""

from __future__ import annotations

import dataclasses
import re

from copilot.draft.labels import snake
from copilot.draft.phrases import NEVER
from copilot.draft.reading import Condition, Task
from copilot.draft.verbs import base_verb

__all__ = [
    "never_without",
    "qualified_prohibitions",
    "rule_threshold",
    "those_named_by_a_prohibition",
    "threshold_prohibitions",
]

_NEVER_PAST = re.compile(
    r"\b(?:never|don'?t|do\s+not|must\s+not|mustn'?t|should\s+not|shouldn'?t|cannot|can'?t)\s+"
    r"(?:ever\s+)?(?:auto-?)?(?P<verb>[a-z]+)\s+(?P<object>(?:[\w'-]+\s+){0,4}?)"
    r"(?P<op>over|above|more\s+than|greater\s+than|exceeding|under|below|less\s+than)\s+"
    r"(?P<cur>[$€£])?(?P<n>\d[\d,]*(?:\.\d+)?)",
    re.I,
)
_ALLOWED = {"over": "<=", "above": "<=", "more than": "<=", "greater than": "<=", "exceeding": "<="}
_THOSE = re.compile(r"^\W*(?:and\s+)?(?:those|these|such\s+\w+|them)\b", re.I)


def _with(cond: Condition | None, more: Condition) -> Condition | None:
    """`cond and more`, or None when `cond` is an "or" that cannot take another "and"."""
    if cond is None:
        return more
    if cond.alternatives and not cond.all_of:
        return None
    return dataclasses.replace(cond, alternatives=[*cond.alternatives, more], all_of=True)


def threshold_prohibitions(sentences: list[str], tasks: list[Task], fields: list[str] | None = None) -> None:
    """Give the action a "never … over N" rule names the allowed side of N, and the "those" of
    the same sentence the forbidden side (with the action's own condition)."""
    for index, sentence in enumerate(sentences):
        for m in _NEVER_PAST.finditer(sentence):
            verb = base_verb(m.group("verb"))
            said = " ".join(m.group("op").lower().split())
            allowed = _ALLOWED.get(said, ">=")
            forbidden = {"<=": ">", ">=": "<"}[allowed]
            head = (m.group("object").split() or ["amount"])[-1]
            field = "amount" if m.group("cur") else snake(head)
            # "facilities over 100,000 square feet" with `square_footage`: the field its unit names
            unit = {
                w.removesuffix("s")
                for w in re.findall(r"[a-z]{4,}", sentence[m.end() : m.end() + 24].lower())
            }
            by_unit = [
                f
                for f in fields or []
                if "." not in f and unit & {w.removesuffix("s") for w in f.lower().split("_")}
            ]
            field = by_unit[0] if field not in (fields or []) and len(by_unit) == 1 else field
            value = float(m.group("n").replace(",", ""))
            # "Never send a price …": a message that carries it is sent, whatever its verb
            carried = [
                w for w in re.findall(r"[a-z]{4,}", m.group("object").lower()) if w not in ("their", "with")
            ]
            doers = [
                t
                for t in tasks
                if t.kind in ("act", "store", "notify")
                and t.start >= 0
                and (
                    (
                        base_verb((re.findall(r"[A-Za-z'-]+", t.action or t.text) or [""])[0]) == verb
                        and re.search(rf"\b{re.escape(verb[:4])}", t.quote or t.text, re.I) is not None
                    )
                    or (
                        verb in ("send", "give", "quote", "share")
                        and t.kind == "notify"
                        and bool(carried)
                        and re.search(rf"\b{re.escape(carried[0])}", t.quote or t.text, re.I) is not None
                    )
                )
                and not (t.sentence == index and m.start() <= t.start < m.end())
            ]
            for doer in doers:
                limit = Condition("event", m.group(0), allowed, value, output_field=field)
                both = _with(doer.condition, limit)
                if both is None:
                    continue
                original, doer.condition = doer.condition, both
                for those in tasks:
                    if (
                        # "…; those go to …": its own clause, or the next sentence after a semicolon
                        ((those.sentence == index and those.start > m.end()) or those.sentence == index + 1)
                        and those.condition is None
                        # "…; create a HubSpot task for a site visit instead": what replaces it
                        and (
                            _THOSE.match(those.quote or those.text)
                            or re.search(r"\binstead\b", those.quote or those.text, re.I)
                        )
                    ):
                        past = Condition("event", m.group(0), forbidden, value, output_field=field)
                        those.condition = _with(original, past)
                        those.unmapped_condition = None


# "Never confirm an order for a cafe with an overdue balance; those go to the accounts queue":
# the events the prohibition names, which "those" then acts on
_NEVER_FOR = re.compile(
    r"\b(?:never|don'?t|do\s+not)\s+(?:ever\s+)?[a-z]+\b[^;.]*?\b(?:with|whose|that\s+(?:has|have|is|are))\s+"
    r"(?P<cond>(?:an?\s+|the\s+)?[^;.,]{3,60}?)\s*(?:[;.,]|$)",
    re.I,
)


def those_named_by_a_prohibition(sentences: list[str], tasks: list[Task]) -> None:
    """ "Never confirm an order for a cafe with an overdue balance; those go to the accounts queue
    instead": the "those" action runs on the events the prohibition names, never on every event."""
    from copilot.draft.condition_names import condition_field

    for index, sentence in enumerate(sentences):
        m = _NEVER_FOR.search(sentence)
        if m is None or _NEVER_PAST.search(sentence):
            continue
        said = re.sub(r"^(?:an?|the)\s+", "", m.group("cond").strip(), flags=re.I)
        for those in tasks:
            if (
                ((those.sentence == index and those.start > m.end()) or those.sentence == index + 1)
                and those.condition is None
                and _THOSE.match(those.quote or those.text)
            ):
                those.condition = Condition(
                    "field", m.group(0).strip(" ;.,"), "==", True, output_field=condition_field(said)
                )
                those.unmapped_condition = None


# "we never auto-reject a first-time constructor; those go to the editors' review queue instead":
# a kind of event named by a word of one of its yes/no fields (`is_first_submission`)
_NEVER_KIND = re.compile(
    NEVER
    + r"(?:auto-?|automatically\s+)?(?P<verb>[a-z]+)\s+(?:an?|any|the)\s+(?P<kind>[\w-]+(?:\s+[\w-]+){0,2}?)"
    r"\s+(?P<noun>[a-z]+)\s*(?:[;.,]|$)",
    re.I,
)


def qualified_prohibitions(sentences: list[str], tasks: list[Task], flags: list[str]) -> None:
    """ "Submissions scoring below 4 get a polite rejection email, except that we never auto-reject
    a first-time constructor; those go to the review queue instead": the rejection skips the events
    whose yes/no field (`is_first_submission`, one of `flags`) the kind names, and "those" runs
    on exactly them, with the rejection's own condition."""
    for index, sentence in enumerate(sentences):
        m = _NEVER_KIND.search(sentence)
        if m is None or _NEVER_PAST.search(sentence):
            continue
        words = {w for w in re.split(r"[\s_-]+", m.group("kind").lower()) if len(w) >= 4}
        named = [f for f in flags if words & set(f.lower().split("_"))]
        if len(named) != 1:
            continue
        verb = base_verb(m.group("verb"))
        kind = Condition("present", m.group(0).strip(" ;.,"), "==", True, output_field=named[0])
        doers = [
            t
            for t in tasks
            if t.kind in ("act", "store", "notify")
            and t.start >= 0
            and not _THOSE.match(t.quote or t.text)
            and re.search(rf"\b{re.escape(verb)}", t.action or t.quote or t.text, re.I)
        ]
        for doer in doers:
            original = doer.condition
            both = _with(original, dataclasses.replace(kind, negated=True))
            if both is None:
                continue
            doer.condition = both
            for those in tasks:
                if (
                    ((those.sentence == index and those.start > m.end()) or those.sentence == index + 1)
                    and those.condition is None
                    and _THOSE.match(those.quote or those.text)
                ):
                    those.condition = _with(original, dataclasses.replace(kind))
                    those.unmapped_condition = None


# "Never text anyone who did not give a phone number": the text goes only where the event has one
_NEVER_WITHOUT = re.compile(
    NEVER + r"(?P<verb>text|sms|e-?mail|call|message)\s+(?:anyone|anybody|someone|people|"
    r"customers?|leads?|guests?|users?|those|them)\s+(?:who|that|without)\s+(?:(?:did\s+not|didn['’]?t|does\s+not|doesn['’]?t|"
    r"has\s+not|hasn['’]?t|have\s+not|haven['’]?t)\s+(?:give|gave|provide|provided|leave|left|share|shared|have|enter|entered)\s+)?"
    r"(?:an?\s+|their\s+|any\s+)?(?P<what>[a-z]+(?:\s+[a-z]+)?)",
    re.I,
)


def never_without(sentences: list[str], tasks: list[Task], fields: list[str]) -> list[str]:
    """The messages "never text anyone who did not give a phone number" limits run only when the
    event carries that field; the fields it makes optional (an event may come without one)."""
    optional: list[str] = []
    for sentence in sentences:
        for m in _NEVER_WITHOUT.finditer(sentence):
            words = [w for w in m.group("what").lower().split() if w not in ("number", "address")]
            named = [f for f in fields if words and words[0] in f.lower().split("_")]
            if len(named) != 1:
                continue
            channel = {"text": "sms", "sms": "sms", "call": "sms", "message": "sms"}.get(
                m.group("verb").lower(), "email"
            )
            given = Condition("present", m.group(0).strip(" ;.,"), "!=", "", output_field=named[0])
            for task in tasks:
                if task.kind == "notify" and task.channel == channel:
                    task.condition = _with(task.condition, given) or task.condition
            optional.append(named[0])
    return optional


def rule_threshold(rule: str) -> tuple[str, float] | None:
    """(the operator that keeps an action inside the rule, the number) for "never reverse a charge
    over $50"; None when the rule has no threshold."""
    m = _NEVER_PAST.search(rule)
    if m is None:
        return None
    return _ALLOWED.get(" ".join(m.group("op").lower().split()), ">="), float(m.group("n").replace(",", ""))
