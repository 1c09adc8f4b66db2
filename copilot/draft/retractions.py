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


# "… refund the deposit thru stripe - wait no, dont auto refund, put them on the waitlist",
# "email the caseworker - actually no, don't email the caseworker ourselves, just create a task"
_NO_DONT = re.compile(
    r"\b(?:wait|actually|oops|sorry)\W+no\W+(?:don['’]?t|dont|do\s+not|never)\s+(?:auto\W?|automatically\s+)?(?P<verb>[a-z]+)",
    re.I,
)


def _no_dont(sentences: list[str], tasks: list[Task], matches: list[Match]) -> list[Task]:
    """The actions a "wait no, dont <verb>" takes back in its sentence: those said before it with
    that verb (the replacements after it keep their events)."""
    out = list(tasks)
    for index, sentence in enumerate(sentences):
        for m in _NO_DONT.finditer(sentence):
            verb = m.group("verb").lower()
            taken = [
                t
                for t in out
                if t.sentence == index
                and t.kind in ACTING
                and 0 <= t.start < m.start()
                and re.search(rf"\b{re.escape(verb[:5])}", t.action or t.quote or t.text, re.I)
            ]
            if not taken:
                continue
            out = [t for t in out if t not in taken]
            matches.append(Match("constraint", m.group(0), index, m.start(), m.end()))
            for task in out:
                if task.sentence == index and task.start > m.end() and task.condition is None:
                    task.condition = next(
                        (dataclasses.replace(t.condition) for t in taken if t.condition), None
                    )
                    task.unmapped_condition = task.unmapped_condition or next(
                        (t.unmapped_condition for t in taken if t.unmapped_condition), None
                    )
    return out


def retracted(sentences: list[str], tasks: list[Task], matches: list[Match]) -> list[Task]:
    """`tasks` without the ones the brief takes back; each replacement said after it keeps the
    taken-back action's condition."""
    out = _no_dont(sentences, tasks, matches)
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
