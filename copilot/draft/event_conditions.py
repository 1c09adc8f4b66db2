"""Conditions the event itself settles, no model guessing them: whether it carries a field
("only if reporter_email was given"), a boolean it carries ("if injury is true", "the segment
isn't in a maintenance window" with `in_maintenance_window`), a value of a field ("For Platinum
loyalty members" with `loyalty_tier`, "the service is full_groom"). `presence_conditions` is
called by `copilot.draft.planning` once the event's shape is known.
"""

from __future__ import annotations

import re

from copilot.draft.conditions import condition_field
from copilot.draft.event import EventShape
from copilot.draft.field_tests import truth_condition
from copilot.draft.reading import Condition, Task
from copilot.draft.threshold_fields import valued_field

# "only if reporter_email was given", "when there's a crash_dump_url", "if the phone is missing":
# whether the event carries a value, which the event itself says (no model guesses it)
_PRESENT = re.compile(
    r"\b(?:is|was|are|were|gets?|got|has been)\s+(?:given|provided|present|set|filled(?:\s+in)?|supplied|"
    r"included|available|there|known)\b|\bnon-?empty\b|\bnot\s+(?:empty|blank)\b|"
    r"\b(?:if|when|whenever)\s+(?:there(?:'s|’s|\s+is|\s+are)|it\s+has|they\s+(?:gave|give|provided?))\s+(?:a|an|any)\s+",
    re.I,
)
_ABSENT = re.compile(
    r"\b(?:is|was|are|were)\s+(?:missing|empty|blank|absent|not\s+given|not\s+provided|not\s+set)\b|"
    r"\bthere(?:'s|’s|\s+is)\s+no\b|\bwithout\s+(?:a|an)\b",
    re.I,
)


_SAYS_TRUTH = re.compile(r"\b([a-z][a-z0-9_]*)\s+(?:is|=|==|equals)\s+(true|false|yes|no)\b", re.I)


def _boolean_named_in(text: str, booleans: list[str]) -> str | None:
    """The one boolean field of the event whose words the condition says ("isn't in a
    maintenance window" -> `in_maintenance_window`)."""
    found = [
        name
        for name in booleans
        if (words := [w for w in name.lower().split("_") if len(w) >= 3 and w not in ("has", "was", "the")])
        and all(re.search(rf"\b{re.escape(w[:5])}", text, re.I) for w in words)
    ]
    return found[0] if len(found) == 1 else None


# a state word and its opposite: "negative results" when the event says `positive: false`
_OPPOSITE_STATES = {
    "positive": "negative", "negative": "positive", "approved": "rejected", "rejected": "approved",
    "valid": "invalid", "invalid": "valid", "eligible": "ineligible", "ineligible": "eligible",
    "paid": "unpaid", "unpaid": "paid", "active": "inactive", "inactive": "active",
}  # fmt: skip


def _state_field(part: Condition, booleans: list[str]) -> tuple[str, bool] | None:
    """(boolean field, the truth the condition wants) when a state word the classifier would guess
    ("negative", "approved") or its opposite is a boolean of the event (`positive`, `is_approved`)."""
    if part.kind != "field" or not isinstance(part.value, str):
        return None
    word = part.value.lower()
    for name in booleans:
        bare = name.lower().removeprefix("is_")
        if bare == word:
            return name, not part.negated
        if _OPPOSITE_STATES.get(word) == bare:
            return name, part.negated
    return None


def _booleans_in_parts(text: str, booleans: list[str]) -> Condition | None:
    """ "If an accessible plot is needed and one is free" with `accessible_plot_needed`: the part
    a boolean of the event names is read from the event, the other stays the classifier's
    (said as its guess); None when no part names a boolean."""
    joiner = re.search(r"\s+(and|or)\s+", text, re.I)
    pieces = re.split(r"\s+(?:and|or)\s+", text, flags=re.I) if joiner else [text]
    parts: list[Condition] = []
    for piece in pieces:
        named = _boolean_named_in(piece, booleans)
        negative = re.search(r"\b(?:not|isn'?t|aren'?t|wasn'?t|no|never|without|outside)\b", piece, re.I)
        read = truth_condition(piece, named, "false" if negative else "true") if named else None
        guess = Condition("field", piece.strip(), "==", True, output_field=condition_field(piece))
        parts.append(read or guess)
    if all(p.kind == "field" for p in parts):
        return None
    first, *rest = parts
    first.alternatives, first.all_of = rest, bool(joiner and joiner.group(1).lower() == "and")
    return first


def replaced(cond: Condition, index: int, read: Condition) -> Condition:
    """`cond` with its part `index` (0: the condition itself, else an alternative) read as `read`;
    the condition keeps its alternatives, scope and an "otherwise" negation."""
    if index == 0:
        read.alternatives, read.all_of, read.scope = cond.alternatives, cond.all_of, cond.scope
        read.negated = read.negated != cond.negated
        return read
    cond.alternatives[index - 1] = read
    return cond


def _read_from_event(part: Condition, event: EventShape, booleans: list[str]) -> Condition | None:
    """A guessed part the event itself answers: a value of a field it lists, a boolean it carries."""
    if part.kind == "field" and (valued := valued_field(part.text, event)) is not None:
        return valued  # "… and the service is full_groom" with "service (bath, full_groom or nail_trim)"
    state = _state_field(part, booleans)
    if state is not None:
        # "Negative results should just be recorded" with a boolean `positive`: the event's
        return truth_condition(part.text, state[0], "true" if state[1] else "false")
    if part.kind != "field":
        return None
    said = _SAYS_TRUTH.search(part.text)
    named = _boolean_named_in(part.text, booleans) if said is None else None
    if named is not None:
        # "the segment isn't in a maintenance window" with `in_maintenance_window`; the words'
        # own "not", never the one `negate` wrapped around them ("not (if …)")
        own = (
            re.sub(r"^\W*(?:otherwise\s*)?\(?\s*not\s*\(", "", part.text, flags=re.I)
            if part.negated
            else part.text
        )
        negative = re.search(r"\b(?:not|isn'?t|aren'?t|wasn'?t|no|never|without|outside)\b", own, re.I)
        return truth_condition(part.text, named, "false" if negative else "true")
    if said is not None and said.group(1) in event.fields:
        return truth_condition(part.text, said.group(1), said.group(2))
    return None


def _from_event(cond: Condition, event: EventShape, booleans: list[str]) -> Condition:
    """`cond` with every part the event answers read from it, its scopes ("Otherwise, if …",
    "never … with pyrotechnics") too."""
    if cond.scope is not None:
        cond.scope = _from_event(cond.scope, event, booleans)
    for index, part in enumerate([cond, *cond.alternatives]):
        read = _read_from_event(part, event, booleans)
        if read is not None:
            cond = replaced(cond, index, read)
    return cond


def presence_conditions(tasks: list[Task], event: EventShape, read_late: list[str] | None = None) -> None:
    """A condition on whether the event carries a field, on a boolean it carries ("if injury is
    true") or on a value of a field it carries ("For Platinum loyalty members" with `loyalty_tier`)
    is read from the event: no model guesses it. `read_late` collects the conditions it reads."""
    booleans = [
        name
        for name, spec in (event.schema.get("properties") or {}).items()
        if isinstance(spec, dict) and spec.get("type") == "boolean"
    ]
    for task in tasks:
        if task.condition is not None:
            task.condition = _from_event(task.condition, event, booleans)
        if task.scope is not None:  # "Otherwise, if …": the other side, read like any condition
            task.scope = _from_event(task.scope, event, booleans)
    for task in tasks:
        text = task.unmapped_condition
        if task.condition is not None and text and not task.condition.alternatives:
            further = _booleans_in_parts(text, booleans) or valued_field(text, event)
            if further is not None:
                # "…, but only if no game is in progress": both hold
                task.condition = Condition(
                    task.condition.kind,
                    task.condition.text,
                    task.condition.op,
                    task.condition.value,
                    task.condition.output_field,
                    task.condition.negated,
                    [further],
                    all_of=True,
                )
                task.unmapped_condition = None
                if read_late is not None:
                    read_late.append(text)
            continue
        if task.condition is not None or not text:
            continue
        read_parts = _booleans_in_parts(text, booleans) or valued_field(text, event)
        if read_parts is not None:
            # "if injury is true", "For Platinum loyalty members" with `loyalty_tier`
            task.condition, task.unmapped_condition = read_parts, None
            if read_late is not None:
                read_late.append(text)
            continue
        absent = _ABSENT.search(text)
        present = _PRESENT.search(text)
        if not (absent or present):
            continue
        said_before = (
            not absent
            and present is not None
            and re.match(r"(?:is|was|are|were|gets?|got|has)\b", present.group(0))
        )
        # "if the phone is given": the field is the subject; "if a copy is available at their
        # branch" is about the copy, never the presence of `branch`
        name = event.field_named_in(text[: present.start()] if said_before and present else text)
        if name is None or "." in name:
            continue
        task.condition = Condition("present", text, "!=", "", output_field=name, negated=bool(absent))
        task.unmapped_condition = None
        required = event.schema.get("required")
        if isinstance(required, list) and name in required:
            required.remove(name)  # "only if it was given": an event may come without it
