"""The brief's prohibitions and filters held against the drafted side effects: a forbidden action
that runs on every event (DR007), events the brief leaves alone that every side effect still
acts on (DR005), and limits by the day or the hour that no `if:` can read (DR010)."""

from __future__ import annotations

import re
from typing import Any

from copilot.draft.clauses import locate
from copilot.draft.findings import finding, message_to
from copilot.draft.prohibitions import DAYS_OF_WEEK, HOURS_OF_DAY, constraints

__all__ = ["constraints_kept", "is_side_effect", "runs_always"]


def is_side_effect(step: dict[str, Any]) -> bool:
    """An http call that changes something outside (not a GET, not a question whose answer is read)."""
    request = step.get("request")
    method = request.get("method", "POST") if isinstance(request, dict) else "POST"
    # a call whose answer the flow validates and reads ("our rule engine decides") is a question
    # to that service, not a change made outside
    return step.get("type") == "http" and str(method).upper() != "GET" and not step.get("output_schema")


_REPLY_WORDS = frozenset({"reply", "answer", "respond", "response"})


def runs_always(step: dict[str, Any], steps: list[dict[str, Any]]) -> bool:
    """Whether `step` runs on every event: no `if:`, and not only after steps that may all be
    skipped (the engine skips a step whose needs were all skipped)."""
    by_id = {str(s.get("id")): s for s in steps}
    seen: set[str] = set()

    def always(s: dict[str, Any]) -> bool:
        sid = str(s.get("id"))
        if s.get("if") or sid in seen:
            return False
        seen.add(sid)
        needs = [by_id[n] for n in s.get("needs") or [] if n in by_id]
        return not needs or any(always(n) for n in needs)

    return always(step)


def constraints_kept(
    data: dict[str, Any], brief: str, steps: list[dict[str, Any]], quotes: dict[str, list[tuple[int, int]]]
) -> list[dict[str, Any]]:
    """The brief's prohibitions and filters against the side effects that run on every event."""
    out: list[dict[str, Any]] = []
    unconditional = [s for s in steps if is_side_effect(s) and runs_always(s, steps)]
    # a forbidden reply is any unconditional step that writes the reply, side effect or not
    # a scheduled run answers no one: its writer's text is a digest, never a reply to a sender
    scheduled = (data.get("trigger") or {}).get("type") == "schedule"
    replies = [
        s
        for s in steps
        if not scheduled
        and runs_always(s, steps)
        and s.get("type") == "model"
        and set(re.split(r"[^a-z]+", str(s.get("id")))) & _REPLY_WORDS
    ]
    effects = [s for s in steps if is_side_effect(s)]
    for constraint in constraints(brief):
        if effects and (DAYS_OF_WEEK.search(constraint.text) or HOURS_OF_DAY.search(constraint.text)):
            # "Never dispatch anything on Saturday or Sunday for ambient machines": no `if:` reads
            # the clock, so the side effects it limits run on any day
            ids = ", ".join(f"`{s.get('id')}`" for s in effects)
            out.append(
                finding(
                    "DR010",
                    f"the brief limits side effects by the day or the hour ({constraint.text!r}); a step's "
                    f"`if:` cannot read the clock, so {ids} run at any time",
                    ["brief"],
                    "add the day to the event (or a lookup) and test it in the steps' `if:`",
                    clause=constraint.text,
                )
            )
            continue
        if constraint.verb is None:
            if unconditional and len(unconditional) == len([s for s in steps if is_side_effect(s)]):
                ids = ", ".join(f"`{s.get('id')}`" for s in unconditional)
                out.append(
                    finding(
                        "DR005",
                        f"the brief leaves some events alone ({constraint.text!r}), and every side effect "
                        f"({ids}) runs on every event",
                        ["brief"],
                        "give the side effects an `if:` that leaves those events out",
                    )
                )
            continue
        at = locate(constraint.text, brief)
        candidates = unconditional + (
            [s for s in replies if s not in unconditional] if constraint.verb in _REPLY_WORDS else []
        )
        for step in candidates:
            sid = str(step.get("id"))
            quoted = at is not None and any(min(b, at[1]) > max(a, at[0]) for a, b in quotes.get(sid, []))
            words = set(re.split(r"[^a-z]+", sid.lower()))
            named = constraint.verb in words or (
                constraint.verb in _REPLY_WORDS and bool(words & _REPLY_WORDS)
            )
            allowed = re.search(r"\b(?:other\s+than|except|besides|but)\s+(.+)$", constraint.text, re.I)
            to = message_to(step)
            owner = re.search(r"event\.([a-z]+)_", to)
            if allowed and owner and re.search(rf"\b{re.escape(owner.group(1))}", allowed.group(1), re.I):
                continue  # "never email anyone other than the student and instructor": to the student
            person = re.search(
                rf"\b{re.escape(constraint.verb)}\w*\s+(?:the|our|their|any|a|an)\s+([a-z]{{3,}})",
                constraint.text,
                re.I,
            )
            if person and to and person.group(1).lower().rstrip("s") not in to.lower():
                continue  # "dont ever email the teacher directly": this one goes to the parent
            if quoted or named:
                out.append(
                    finding(
                        "DR007",
                        f"step `{sid}` runs on every event, but the brief says {constraint.text!r}",
                        ["steps", steps.index(step), "id"],
                        "remove it, or give it an `if:` for the events the brief allows it on",
                    )
                )
    return out
