"""A text a model writes *for* a message the brief already sends.

"Post an alert to #melt-shop … A model writes a one-paragraph explanation of the likely cause
for the Slack alert": the explanation goes into that alert, so the clause is no second Slack
post; the alert carries what the writer wrote (and waits for it).
"""

from __future__ import annotations

import re

from copilot.draft.reading import Task

__all__ = ["written_for"]

_FOR_MESSAGE = re.compile(
    r"\bfor\s+(?:the|our|that|this|each)\s+(?:[\w#-]+\s+){0,2}?(?:slack|teams|e-?mail|sms|text|pagerduty|page)\b"
    r"(?:\s+(?:alert|message|post|notice|note|page))?",
    re.I,
)
_WRITERS = ("reply", "answer", "summarise")


def written_for(tasks: list[Task]) -> list[Task]:
    """`tasks` without the sends that only name the message a writer's text is for; that
    message (the brief's own send on the channel) carries the writer's text instead."""
    out = list(tasks)
    for task in tasks:
        if task.kind != "notify" or task.start < 0 or not _FOR_MESSAGE.search(task.quote or task.text):
            continue
        writer = next(
            (
                t
                for t in tasks
                if t.kind in _WRITERS
                and t.sentence == task.sentence
                and t.start >= 0
                and (t.text in (task.quote or task.text))
            ),
            None,
        )
        sent = next(
            (t for t in tasks if t is not task and t.kind == "notify" and t.channel == task.channel), None
        )
        if writer is None or sent is None:
            continue
        out.remove(task)
        sent.source = sent.source or writer.kind
        sent.after = list(dict.fromkeys([*sent.after, writer.kind]))
        sent.also.append(task)  # the alert quotes the clause too
    return out
