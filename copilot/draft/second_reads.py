"""A second read said without its verb: "look up the order in Shopify and the serial number in
our warranty database (Postgres, table warranty_units)" reads two systems, so it is two lookups."""

from __future__ import annotations

import re

from copilot.draft.phrases import Match
from copilot.draft.reading import Task

__all__ = ["second_reads"]

_AND_IN = re.compile(
    r"\s+in\s+(?:our\s+|the\s+)?(?P<first>[A-Za-z][\w-]*)(?:\s+[\w-]+){0,2}?\s+and\s+"
    r"(?P<what>(?:the|their|its|our)\s+(?:[\w'’-]+\s+){0,3}?)in\s+(?:our\s+|the\s+)?"
    r"(?P<second>(?:[\w-]+\s+){0,2}?[\w-]+)(?=\s*[(,.;]|\s+to\b|\s+for\b|$)",
    re.I,
)


def second_reads(sentences: list[str], tasks: list[Task], matches: list[Match]) -> list[Task]:
    """`tasks` with a lookup added for each second system a read names after its "and"."""
    added: list[Task] = []
    for task in tasks:
        if task.kind != "enrich" or task.docs or task.start < 0:
            continue
        sentence = sentences[task.sentence]
        m = _AND_IN.search(sentence, task.start)
        if m is None or m.start() - task.start > 60 or re.search(r"[,;.]", sentence[task.start : m.start()]):
            continue
        second = m.group("second").strip()
        system = second.split()[-1].lower() if len(second.split()) > 1 else second.lower()
        if task.target and system == task.target.lower():
            continue
        # the aside names the system it runs on: "(Postgres, table warranty_units)"
        aside = re.match(
            r"\s*\(\s*([A-Za-z][\w-]*)[^()]*\)(?:\s+to\s+(?:get|fetch|read|find|pull)\b[^,.;]*)?",
            sentence[m.end() :],
        )
        start = m.start("what")
        end = m.end() + (aside.end() if aside else 0)
        matches.append(Match("task", sentence[start:end], task.sentence, start, end))
        added.append(
            Task(
                "enrich",
                sentence[start : m.end()],
                task.sentence,
                start,
                target=(aside.group(1) if aside else second).lower(),
                quote=sentence[start : m.end()]
                + (sentence[m.end() : m.end() + aside.end()] if aside else ""),
            )
        )
    return [*tasks, *added] if added else tasks
