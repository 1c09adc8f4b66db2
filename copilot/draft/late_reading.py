"""Readings made once the tasks are known: what a verdict or a message is asked to carry, and a
writer said in several branches."""

from __future__ import annotations

import re

from copilot.draft.asked_outputs import ASKED
from copilot.draft.message_content import LISTED
from copilot.draft.phrases import Match
from copilot.draft.reading import Task

__all__ = ["one_writer_for_all_branches", "read_content_lists"]


def one_writer_for_all_branches(sentences: list[str], tasks: list[Task]) -> None:
    """A reply or answer said again in another branch runs on every branch."""
    for task in tasks:
        # "For missing_reward, … reply with the tracking link … if it has passed, reply that the
        # address is locked": one writer said in several branches runs on all of them (each message
        # that sends its text keeps its own condition)
        if task.kind in ("reply", "answer") and any(
            m.sentence != task.sentence
            and re.match(r"\W*(?:if|for|when|otherwise|unless)\b", sentences[m.sentence], re.I)
            for m in task.also
            if 0 <= m.sentence < len(sentences) and m.start >= 0
        ):
            task.condition = task.unmapped_condition = None


def read_content_lists(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """What a verdict is asked to list and what a message is asked to carry: read, never "not understood"."""
    for task in tasks:  # "…, listing the handbook section numbers": a field of the verdict, read
        if task.kind in ("decide", "classify", "score", "moderate") and task.start >= 0:
            for m in ASKED.finditer(sentences[task.sentence], task.start):
                matches.append(Match("fields", m.group(0), task.sentence, m.start(), m.end()))
        elif task.kind in ("notify", "act", "store") and task.start >= 0:
            # "email the family …, with the available plots": what the message carries, read
            listed = LISTED.search(sentences[task.sentence], task.start)
            if listed is not None:
                matches.append(Match("fields", listed.group(0), task.sentence, listed.start(), listed.end()))
