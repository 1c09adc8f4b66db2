"""The other side of a condition said in the sentence before: "If X, escalate. Otherwise submit
it", "For other faults, open a normal job only when …"."""

from __future__ import annotations

import re

from copilot.draft.conditions import ACTING, OTHER_SIDE, negate
from copilot.draft.reading import Condition, Task

__all__ = ["otherwise_across"]


def otherwise_across(sentences: list[str], tasks: list[Task]) -> None:
    """'If X, escalate; otherwise submit it': an "otherwise" sentence negates the condition of
    the sentence before it (the brief's ; and . split them)."""
    for task in tasks:
        if task.start < 0 or task.kind not in ACTING:
            continue
        if task.scope is not None and task.scope.text.lower().startswith("otherwise"):
            continue  # read already (this runs again once the leads are read)
        if task.condition is not None:
            prior = (
                _before(sentences, tasks, task)
                if task.condition.scope is None
                # "Otherwise, if the impact score …", "Otherwise email …, and only if urgent also put a hold"
                and re.match(r"\W*(?:otherwise|else)\b", sentences[task.sentence], re.I)
                and not task.condition.text.lower().startswith("otherwise")
                else None
            )
            if prior is not None:
                # "Otherwise, if the impact score is 3 or below, …": its own test, on the other events
                task.condition.scope = negate(prior, f"otherwise (not {prior.text})")
            _other_cases(sentences, tasks, task)
            continue
        if _lower_others(sentences, tasks, task):
            continue
        if not re.match(
            r"\W*(?:otherwise|else|if not|if it isn'?t|if not so|" + OTHER_SIDE + "|"
            r"for (?:everyone|everybody|everything|all) else|for (?:all )?(?:the )?others|for the rest|"
            # "For every other exception, text the recipient a link"
            r"for (?:every|each|any|all(?: the)?) other\b|"
            r"(?:anything|everything|everyone) else|all (?:the )?others?|the rest)\b",
            sentences[task.sentence],
            re.I,
        ):
            continue
        cond = _before(sentences, tasks, task)
        if cond is None:
            continue
        other = negate(cond, f"otherwise (not {cond.text})")
        if task.unmapped_condition and re.match(
            r"\W*(?:otherwise|else)\s*,?\s*(?:if|when|only if)\b", sentences[task.sentence], re.I
        ):
            # "Otherwise, if a copy is available, email …": the unread test still limits the step
            # (read later, or decided and said), on the other events only
            other.scope, task.scope = task.scope, other
            continue
        task.condition, task.unmapped_condition = other, None


def _before(sentences: list[str], tasks: list[Task], task: Task) -> Condition | None:
    """The condition of the sentence before `task`'s: its tasks' own, else read from its words."""
    earlier = [t for t in tasks if t.sentence == task.sentence - 1 and t.condition is not None]
    if earlier:
        return earlier[-1].condition
    unread = [t for t in tasks if t.sentence == task.sentence - 1 and t.unmapped_condition]
    if unread:
        # "If the license is expired, do not answer …; just email the contractor … Otherwise answer
        # …": the test the sentence before still has to read (read later, or decided and said)
        from copilot.draft.conditions import condition_field

        text = unread[-1].unmapped_condition or ""
        return Condition("field", text, "==", True, condition_field(text))
    # "If guest_count is over 180 we can't fit them, so … don't create a deal. Otherwise create a
    # deal": the sentence before has a condition and no task to carry it
    from copilot.draft.conditions import read_conditions

    read = read_conditions(sentences[task.sentence - 1]) if task.sentence > 0 else ([], [], [])
    mapped, unread = read[0], read[1]
    if mapped:
        return mapped[0][2]
    if unread:
        # "If the membership is expired, … don't create a job. Otherwise create a dispatch job": the
        # classifier decides the unread condition (DR010 says so), negated by the caller
        from copilot.draft.conditions import condition_field

        text = unread[0][2]
        return Condition("field", text, "==", True, condition_field(text))
    return None


_OTHER_CASES = re.compile(r"\W*(?:for|with|on|in)\s+(?:all\s+|any\s+)?(?:the\s+)?other\s+[\w-]+\b", re.I)


def _other_cases(sentences: list[str], tasks: list[Task], task: Task) -> None:
    """ "If passengers_trapped is true, create an emergency job. For other faults, open a normal
    job only when door_cycles_today is above 800": this step's own condition holds besides the
    opposite of the case the sentence before handled."""
    cond = task.condition
    if (
        cond is None
        or not _OTHER_CASES.match(sentences[task.sentence])
        or (cond.alternatives and not cond.all_of)
    ):
        return
    earlier = [t for t in tasks if t.sentence == task.sentence - 1 and t.condition is not None]
    if not earlier or earlier[-1].condition is None or earlier[-1].condition.alternatives:
        return
    prior = earlier[-1].condition
    cond.alternatives.append(negate(prior, f"not ({prior.text})"))
    cond.all_of = True


# "Lower severities just get a work order", "Smaller orders are auto-approved": the other side of
# an earlier test on that same measure, named by a comparative in front of it
_COMPARATIVE = re.compile(
    r"\W*(?:(?:all|any|the)\s+)?(lower|smaller|lesser|milder|minor|less\s+severe|low|"
    r"higher|larger|bigger|more\s+severe|high)(?:-|\s+)([a-z_]{3,})",
    re.I,
)
_DOWN = ("lower", "smaller", "lesser", "milder", "minor", "less", "low")


def _lower_others(sentences: list[str], tasks: list[Task], task: Task) -> bool:
    """ "If severity is 4 or 5 …, page the tech. … Lower severities just get a work order": the
    step runs on the other side of the earlier test that names the measure (only that part of
    it: "or cars_waiting is over 10" is not a severity)."""
    m = _COMPARATIVE.match(sentences[task.sentence])
    if m is None:
        return False
    down = m.group(1).lower().split()[0] in _DOWN
    noun = m.group(2).lower()
    stem = re.sub(r"(?:ies|es|s)$", "", noun)[: max(4, len(noun) - 3)]
    for earlier in reversed([t for t in tasks if t.sentence < task.sentence and t.condition]):
        cond = earlier.condition
        assert cond is not None
        parts = [a for a in cond.alternatives if stem in a.text.lower()]
        if not parts and stem in cond.text.lower():
            parts = [Condition(cond.kind, cond.text, cond.op, cond.value, cond.output_field, cond.negated)]
        if len(parts) != 1 or parts[0].negated:
            continue
        part = parts[0]
        # the comparative must point away from the test: "lower" is the other side of "4 or 5"
        # and "over 0.8", not of "below 2"
        above = part.op in (">", ">=", "range", "==")
        below = part.op in ("<", "<=", "==")
        if (down and not above) or (not down and not below):
            return False
        task.condition, task.unmapped_condition = (
            negate(part, f"{m.group(0).strip()} (not {part.text})"),
            None,
        )
        return True
    return False
