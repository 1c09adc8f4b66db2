"""An action the brief takes back as it goes: "for spoiled boxes issue a $15 store credit… wait
actually no, scratch that, just tag the ticket and ping #cx-leads". A chatty brief is written,
not edited: the action said right before "scratch that" is gone, and what replaces it runs on
the events it was for."""

from __future__ import annotations

import dataclasses
import re

from copilot.draft.conditions import ACTING
from copilot.draft.phrases import Match
from copilot.draft.reading import Task

__all__ = ["deferred_actions", "retracted"]

_TAKEN_BACK = re.compile(
    r"(?:\bwait\W+)?(?:\bactually\W+)?(?:\bno\W+)?\b(?:scratch\s+that|never\s*mind|forget\s+(?:that|it)|ignore\s+that|"
    r"cancel\s+that|strike\s+that)\b",
    re.I,
)


def retracted(sentences: list[str], tasks: list[Task], matches: list[Match]) -> list[Task]:
    """`tasks` without the ones the brief takes back; each replacement said after it keeps the
    taken-back action's condition."""
    out = list(tasks)
    for index, sentence in enumerate(sentences):
        m = _TAKEN_BACK.search(sentence)
        if m is None:
            continue
        opens = not sentence[: m.start()].strip(" .,;:-–—")
        before = [
            t
            for t in out
            if t.kind in ACTING
            and t.start >= 0
            and ((t.sentence == index and t.start < m.start()) or (opens and t.sentence == index - 1))
        ]
        if not before:
            continue
        taken = max(before, key=lambda t: (t.sentence, t.start))
        out.remove(taken)
        matches.append(Match("constraint", m.group(0), index, m.start(), m.end()))
        for task in out:
            if (
                task.sentence == index
                and task.start > m.end()
                and task.kind in ACTING
                and task.condition is None
                and not task.unmapped_condition
                and taken.condition is not None
            ):
                task.condition = dataclasses.replace(taken.condition)
    return out


# "hold the text until the fare ends": a message put off until later, which no step can do
_DEFERRED = re.compile(r"^\W*(?:just\s+)?(?:hold|delay|defer|postpone|wait\s+with)\b[^.;]*\buntil\b", re.I)


def deferred_actions(sentences: list[str], tasks: list[Task], matches: list[Match]) -> list[Task]:
    """`tasks` without "hold the text until the fare ends": a flow acts on its event or not at all,
    so the clause stays unread (said as not understood), never a POST to an invented endpoint."""
    out = []
    for task in tasks:
        said = task.quote or task.text
        if task.kind == "act" and task.start >= 0 and _DEFERRED.match(said):
            end = task.start + len(said)
            matches[:] = [
                m
                for m in matches
                if not (
                    m.sentence == task.sentence
                    and m.kind in ("task", "action")
                    and task.start <= m.start < end
                )
            ]
            continue
        out.append(task)
    return out
