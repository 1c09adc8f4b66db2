"""How the flow holds each prohibition of the brief, said beside its requirements.

"Never refund change-of-mind requests": the refund runs only for weather cancellations, so the
flow holds it (and says by which `if:`). "Never post the customer names in Slack": the Slack post
sends what the summary wrote, and nothing in the flow keeps names out, so it is a gap (DR013)
instead of a silent promise. A step that runs on every event is DR007's (`constraints_kept`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from copilot.draft.clauses import locate, normalise
from copilot.draft.constraints_kept import is_side_effect, runs_always
from copilot.draft.event import CONTACT_WORDS
from copilot.draft.findings import finding, message_to
from copilot.draft.prohibited_thresholds import rule_threshold
from copilot.draft.prohibitions import DAYS_OF_WEEK, HOURS_OF_DAY, constraints
from copilot.draft.sentences import split_sentences

__all__ = ["Held", "constraints_held"]

# the steps a forbidden verb or a channel the rule names can be: "text" is the SMS step
_CHANNEL_WORDS = {
    "sms": ("text", "sms", "texts", "texted"),
    "email": ("email", "e-mail", "mail", "emailed"),
    "page": ("page", "paged", "pagerduty", "opsgenie"),
    "slack": ("slack", "post"),
    "teams": ("teams", "post"),
}
_STOP = frozenset(
    {"the", "a", "an", "any", "to", "for", "of", "in", "on", "is", "are", "it", "them", "and", "or"}
)


@dataclass
class Held:
    """One prohibition: the steps that could break it, and how the flow holds it (or a gap)."""

    text: str
    sentence: int
    verb: str
    steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    held: bool = True


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP}


def _matches(step: dict[str, Any], verb: str, text: str) -> bool:
    """Whether `step` does what the rule forbids: its id names the verb, or the channel the rule names."""
    ids = set(re.split(r"[^a-z]+", str(step.get("id")).lower()))
    if verb in ids:
        return True
    if verb in ("message", "notify", "contact", "tell", "ping", "alert") and ids & {"notify", "page"}:
        return True  # "never message the operator …": any message the flow sends
    said = _words(text)
    return any(
        name in ids and (verb in words or said & set(words) - {"post"})
        for name, words in _CHANNEL_WORDS.items()
    )


def _tested_options(expr: str) -> set[str]:
    """The labels or decisions an `if:` tests for equality or membership."""
    return {v.lower() for v in re.findall(r"['\"]([a-z0-9_]+)['\"]", expr) if "==" in expr or " in [" in expr}


def _options(steps: list[dict[str, Any]]) -> set[str]:
    """Every label or decision a model step of the flow may give."""
    out: set[str] = set()
    for step in steps:
        props = (step.get("output_schema") or {}).get("properties") or {}
        for name in ("label", "decision"):
            out |= {str(o).lower() for o in (props.get(name) or {}).get("enum") or []}
    return out


def _tests_limit(rule: str, test: str) -> bool:
    """Whether an `if:` tests what limits the rule ("for readings under 25 ppm": 25;
    "for housekeeping findings": housekeeping), not only something else."""
    limit = re.search(
        r"\b(?:for|when|if|whose|who|unless|about|below|under|above|over|without)\b(.*)$", rule, re.I
    )
    words = re.findall(r"[a-z]{4,}|\d+(?:\.\d+)?", (limit.group(1) if limit else rule).lower())
    return any(w[:5] in test.lower() for w in words)


_OPPOSITE = {">=": "<", ">": "<=", "<": ">=", "<=": ">"}


def _kept_sides(rule: str) -> list[tuple[str, float]]:
    """The tests that keep an action inside a rule's threshold: "never reverse a charge over $50"
    -> `<= 50`; "Claims of $600 or more must never be auto-approved" -> `< 600`."""
    from copilot.draft.conditions import read_conditions

    kept = rule_threshold(rule)
    sides = [kept] if kept is not None else []
    for _, _, cond in read_conditions(rule)[0]:
        if cond.kind in ("event", "score") and isinstance(cond.value, float) and cond.op in _OPPOSITE:
            sides.append((_OPPOSITE[cond.op], cond.value))
    return sides


def _excludes(sides: list[tuple[str, float]], test: str) -> bool:
    """Whether an `if:` holds one of those tests (and no "or" lets the rest through)."""
    if re.search(r"\bor\b", test):
        return False
    return any(re.search(rf"{re.escape(op)}\s*{value:g}\b", test) for op, value in sides)


def _requires_flag(rule: str, test: str) -> bool:
    """ "never email anyone whose marketing_opt_in is false" held by an `if:` that requires
    `event.marketing_opt_in` (and no "or" lets the rest through)."""
    m = re.search(
        r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\s+(?:is|=)\s+(?:false|no|not\s+(?:true|set))\b", rule, re.I
    )
    if re.search(r"\bor\b", test):
        return False
    if m is not None:
        return f"event.{m.group(1)} | default('')" in test or f"event.{m.group(1)} == true" in test.lower()
    # "never text anyone who did not give a phone number": an `if:` that requires the phone
    given = re.search(
        r"\b(?:did\s+not|didn['’]?t|has\s+not|hasn['’]?t|have\s+not|haven['’]?t)\s+"
        r"(?:give|provide|leave|share|have|enter)\w*\s+(?:an?\s+|their\s+|any\s+)?([a-z]{3,})",
        rule,
        re.I,
    )
    return given is not None and bool(
        re.search(rf"event\.\w*{given.group(1).lower()}\w* \| default\(''\)", test)
    )


def _addressed_elsewhere(to: str) -> bool:
    """Whether a message's `to` names someone ("dscsa@…", `${env:IACUC_OFFICE_EMAIL}`,
    `site_manager_email`), rather than a bare address of whoever the event is about."""
    if not to:
        return False
    if "@" in to or "${env:" in to:
        return True
    field = re.findall(r"\.([A-Za-z0-9_]+)\s*}}", to)
    words = set(re.split(r"_+", field[-1].lower())) if field else set()
    bare = {"email", "e", "mail", "phone", "from", "to", "mobile", "cell", "", *CONTACT_WORDS}
    return bool(words - bare)


def _gates(step: dict[str, Any], steps: list[dict[str, Any]]) -> list[str]:
    """The `if:` tests that decide whether `step` runs: its own, else those of the steps it
    needs when every one of them may be skipped (the engine skips a step whose needs all were)."""
    if step.get("if"):
        return [str(step["if"]).strip("{} ")]
    by_id = {str(s.get("id")): s for s in steps}
    needs = [by_id[n] for n in step.get("needs") or [] if n in by_id]
    if not needs or any(runs_always(n, steps) for n in needs):
        return []
    return list(dict.fromkeys(t for n in needs for t in _gates(n, steps)))


# "never put the gate code in the email", "never tell the player their risk score": what a message
# may not carry, rather than when it may go
_CARRIES = re.compile(
    r"\b(?:put|include|mention|say|share|give|show|list|reveal|tell|post|send|e-?mail|text)\w*\s+"
    # "tell the player their risk score": whom first, when a second determiner follows
    r"(?:(?:the|a|an|any)\s+[a-z]+\s+(?=(?:the|their|its|his|her|any|a|an)\s))?"
    r"(?:the\s+|their\s+|its\s+|his\s+|her\s+|any\s+|a\s+|an\s+)?"
    r"(?P<what>(?:[a-z]+(?:['’]s)?\s+){0,2}?(?:codes?|names?|address(?:es)?|numbers?|scores?|prices?|diagnos[ie]s|"
    r"amounts?|estimates?|phones?|emails?|details|ids?|balances?|dates?|links?))\b",
    re.I,
)


def _content_rule(text: str) -> list[str] | None:
    """The words of what a rule keeps out of a message, or None when it limits when an action runs."""
    m = _CARRIES.search(text)
    if m is None:
        return None
    return [w for w in m.group("what").lower().split() if w not in _STOP]


def _may_carry(step: dict[str, Any], what: list[str]) -> bool:
    """Whether a step's body may carry it: a field named by its words, a whole output or a model's
    text (which the rule may not be in)."""
    request = step.get("request")
    body = str(request.get("json") if isinstance(request, dict) else "")
    named = re.findall(r"\b(?:event|output)\.([a-z0-9_]+)", body)
    stems = [w[:4] for w in what if len(w) >= 4]
    return (
        any(all(st in n for st in stems) for n in named)
        or re.search(r"output\s*}}|output\.(?:text|summary|answer|reply)\b|\|\s*tojson", body) is not None
    )


def _instructed(step: dict[str, Any], text: str) -> bool:
    """Whether a model step's prompt carries the rule, in the brief's words."""
    asked = step.get("prompt")
    said = " ".join(str(v) for v in asked.values()) if isinstance(asked, dict) else str(asked or "")
    return step.get("type") == "model" and normalise(text).strip(" .") in normalise(said)


def constraints_held(
    brief: str,
    steps: list[dict[str, Any]],
    quotes: dict[str, list[tuple[int, int]]],
    listed: frozenset[str] = frozenset(),
) -> tuple[list[Held], list[dict[str, Any]]]:
    """Each prohibition with a verb and how the flow holds it, and a DR013 finding for each one
    that a side effect may break with nothing in the flow holding the rule. `listed` holds the
    values the event's fields list."""
    # the flow's labels and decisions, and the values its event's fields list ("fruiting")
    options = _options(steps) | {v.lower() for v in listed}
    held_rows: list[Held] = []
    out: list[dict[str, Any]] = []
    sentences = split_sentences(brief)
    for constraint in constraints(brief):
        if (
            constraint.verb is None
            or DAYS_OF_WEEK.search(constraint.text)
            or HOURS_OF_DAY.search(constraint.text)
        ):
            continue  # a filter (DR005) or a limit by the clock (DR010), read elsewhere
        text = constraint.text
        sides = _kept_sides(text)  # once per rule, not per step
        row = Held(text, constraint.sentence, constraint.verb)
        held_rows.append(row)
        instructed = [str(s.get("id")) for s in steps if _instructed(s, constraint.text)]
        at = locate(constraint.text, brief)
        # the options the rule names; "… ; do not answer them": those its sentence (and the one
        # before a semicolon) names
        said = (
            " ".join(sentences[max(0, constraint.sentence - 1) : constraint.sentence + 1])
            if re.search(r"\b(?:them|it|those|these|they)\b", constraint.text, re.I)
            and constraint.sentence < len(sentences)
            else constraint.text
        ).replace("-", " ")
        named = {o for o in options if re.search(rf"\b{re.escape(o.replace('_', ' '))}s?\b", said, re.I)}
        doers = [
            s
            for s in steps
            if (is_side_effect(s) or s.get("type") == "model")
            and _matches(s, constraint.verb, constraint.text)
        ]
        # "never message the operator …": the messages that go to that person, when some do
        person = (
            re.search(
                rf"\b{re.escape(constraint.verb)}\w*\s+(?:the\s+|our\s+|any\s+)?([a-z]{{4,}})", text, re.I
            )
            # whom a message goes to: "message the operator", never "post anything to Slack"
            if constraint.verb
            in ("message", "text", "email", "notify", "page", "contact", "tell", "call", "ping")
            else None
        )
        theirs = [
            s for s in doers if person and person.group(1).rstrip("s").upper() in str(message_to(s)).upper()
        ]
        if person and not theirs and person.group(1).lower() not in ("anyone", "anybody", "everyone"):
            # "Never message crew directly": a post to a channel or a page reaches no one person
            # and a message addressed to someone else ("email the compliance officer (dscsa@…)")
            # is not to them either
            doers = [
                s
                for s in doers
                if not set(re.split(r"[^a-z]+", str(s.get("id")).lower()))
                & {"slack", "teams", "discord", "page"}
                and not _addressed_elsewhere(message_to(s))
            ]
        doers = theirs or doers
        # "never send the roommate's name … to the RA": only what goes to the RA can break it
        bound = re.search(r"\bto\s+(?:the|our|their|any)\s+([a-z]{2,})\b", text, re.I)
        addressed = [
            s
            for s in steps
            if is_side_effect(s)
            and bound
            and re.search(
                rf"\b{re.escape(bound.group(1))}\b",
                f"{message_to(s)} {(s.get('why') or {}).get('brief', '')}",
                re.I,
            )
        ]
        doers = addressed or doers
        row.steps = [str(s.get("id")) for s in doers]
        if not doers:
            row.notes.append("held: no step of the flow does it")
            continue
        loose: list[str] = []
        carried = _content_rule(text)
        for step in doers:
            sid = str(step.get("id"))
            gate = " and ".join(f"({t})" for t in _gates(step, steps))
            if gate and _requires_flag(text, gate):
                # "never text anyone who did not give a phone number": it runs only with one
                row.notes.append(f"held: {sid} runs only if {gate}")
                continue
            if carried is not None:
                # "never put the gate code in the email": held by what the step sends, not by when
                leaks = _may_carry(step, carried)
                if instructed:
                    row.notes.append(
                        f"held by the instructions of {', '.join(instructed)}: no step checks it"
                    )
                elif leaks:
                    row.held = False
                    loose.append(sid)
                else:
                    row.notes.append(f"held: {sid} sends no {' '.join(carried)} and no model-written text")
                continue
            tests = _gates(step, steps)
            test = " and ".join(f"({t})" if len(tests) > 1 else t for t in tests)
            quoted = at is not None and any(min(b, at[1]) > max(a, at[0]) for a, b in quotes.get(sid, []))
            tested = set().union(*(_tested_options(t) for t in tests)) & options if tests else set()
            # "If the license is expired, do not answer the question at all": the sentence's lead limits it
            lead = (
                re.match(r"\W*(?:if|when)\s+[^,;]+", sentences[constraint.sentence], re.I)
                if sentences
                else None
            )
            limited = _tests_limit(text, test) or (lead is not None and _tests_limit(lead.group(0), test))
            if (
                (test and (quoted or "not (" in test) and limited)
                or (test and named and tested and not (named & tested))
                or (test and _excludes(sides, test))
            ):
                # "Never refund change-of-mind requests": the refund runs for weather cancellations only
                row.notes.append(f"held: {sid} runs only if {test}")
            elif instructed:
                row.notes.append(f"held by the instructions of {', '.join(instructed)}: no step checks it")
            elif (
                not tests
                and is_side_effect(step)
                and (quoted or constraint.verb in re.split(r"[^a-z]+", sid.lower()))
            ):
                row.held = False  # DR007 says it: the step runs on every event
            else:
                row.held = False
                loose.append(sid)
        if loose:
            shown = ", ".join(f"`{sid}`" for sid in loose)
            out.append(
                finding(
                    "DR013",
                    f"the brief says {text!r}, and {shown} may still do it: no `if:` or instruction of the "
                    "flow holds that rule",
                    ["steps", steps.index(next(s for s in steps if str(s.get("id")) == loose[0])), "id"],
                    "give those steps an `if:` that leaves those events out, or put the rule in the "
                    "instructions of the model that writes what they send",
                    clause=text,
                )
            )
    return held_rows, out
