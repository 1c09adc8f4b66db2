"""A message a model writes for a person is also sent to them: "Write the customer a results email
explaining what their level means" is the writing and the email, to the customer. Without the
send, the words would only reach the flow's response (and a queue's or a schedule's run has no
one reading that)."""

from __future__ import annotations

import dataclasses
import re

from copilot.draft.conditions import negate, read_conditions
from copilot.draft.overrides import add_scope
from copilot.draft.reading import Task

__all__ = ["send_written_messages"]

_WRITTEN = re.compile(
    r"\b(?:write|draft|compose|prepare)s?\s+(?:(?:the|each|every|our)\s+)?(?P<who>[a-z][\w-]*)\s+(?:an?|the)\s+"
    r"(?:[\w-]+\s+){0,3}?(?P<channel>e-?mail|text\s+message|sms|letter)\b"
    r"|\b(?:write|draft|compose|prepare)s?\s+(?:an?|the)\s+(?:[\w-]+\s+){0,3}?(?P<channel2>e-?mail|sms)\s+"
    r"(?:to|for)\s+(?:the|each|every|our)\s+(?P<who2>[a-z][\w-]*)",
    re.I,
)
# "If test_days is less than 2, do not send results at all": the send the condition stops
_NOT_SENT = re.compile(
    r"^\W*(?:if|when)\s+(?P<cond>[^,;]+),\s*(?:then\s+)?(?:do\s+not|don['’]?t|never)\s+send\b", re.I
)


# "The reply goes back to the guest over WhatsApp", "the answer is sent to the customer by email"
_GOES_BACK = re.compile(
    r"\b(?:the|our|its|that)\s+(?:reply|answer|response)\s+(?:goes|is\s+sent|gets\s+sent|should\s+go|must\s+go)\s+"
    r"(?:back\s+)?(?:to\s+(?:the|our|each)\s+[\w-]+\s+)?(?:over|via|by|through|on|as\s+an?)\s+"
    r"(?P<channel>whatsapp|sms|text|e-?mail)\b",
    re.I,
)


def send_written_messages(tasks: list[Task], sentences: list[str]) -> None:
    """After each model task that writes a person an email or a text, a task that sends it to
    them, unless the brief already sends it; limited by any "if …, do not send" of the brief."""
    _sent_back(tasks, sentences)
    for task in list(tasks):
        if task.kind not in ("reply", "answer") or task.start < 0:
            continue
        m = _WRITTEN.search(task.quote or task.text)
        if m is None:
            continue
        said = (m.group("channel") or m.group("channel2")).lower()
        channel = "email" if said.replace("-", "") in ("email", "letter") else "sms"
        if any(t.kind == "notify" and t.channel == channel and t.sentence == task.sentence for t in tasks):
            continue
        send = Task("notify", task.quote or task.text, task.sentence, task.start, channel=channel)
        send.quote = task.quote
        # its own copy: the send's further limits are not the writer's
        send.condition = dataclasses.replace(task.condition) if task.condition else None
        for sentence in sentences:
            stop = _NOT_SENT.match(sentence)
            mapped = read_conditions(f"if {stop.group('cond')}")[0] if stop else []
            if mapped:
                never = negate(mapped[0][2], f"not ({mapped[0][2].text})")
                same = (never.negated, never.output_field, never.value)
                if send.condition is None:
                    send.condition = never
                elif (send.condition.negated, send.condition.output_field, send.condition.value) != same:
                    add_scope(send.condition, never)  # besides its own, unless it is that already
        tasks.insert(tasks.index(task) + 1, send)


def _sent_back(tasks: list[Task], sentences: list[str]) -> None:
    """ "The reply goes back to the guest over WhatsApp": the answer the flow writes is sent there
    (WhatsApp goes through the SMS provider, Twilio), to whoever wrote in."""
    writer = next((t for t in tasks if t.kind in ("answer", "reply") and t.start >= 0), None)
    for index, sentence in enumerate(sentences):
        m = _GOES_BACK.search(sentence)
        if m is None or writer is None:
            continue
        said = m.group("channel").lower().replace("-", "")
        channel = "email" if said == "email" else "sms"
        if any(t.kind == "notify" and t.channel == channel and t.sentence == index for t in tasks):
            continue
        send = Task("notify", m.group(0), index, m.start(), channel=channel)
        send.quote = m.group(0)
        send.condition = dataclasses.replace(writer.condition) if writer.condition else None
        tasks.insert(tasks.index(writer) + 1, send)
