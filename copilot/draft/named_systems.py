"""Systems a brief names once with capitals and then in lower case ("our AppFolio listing" …
"pull the unit rent from appfolio"): the read or write that names it goes there."""

from __future__ import annotations

from copilot.draft.reading import Task
from copilot.draft.subjects import systems_named, systems_said
from copilot.draft.tasks import quote_for


def name_systems(brief: str, sentences: list[str], tasks: list[Task]) -> None:
    """A read or a write with no system of its own gets the one its clause names in lower case."""
    known = systems_named(brief)
    for task in tasks:
        if task.target is not None or task.channel or task.kind not in ("enrich", "act", "store"):
            continue
        said = task.quote or (quote_for(sentences[task.sentence], task.start) if task.start >= 0 else "")
        named = systems_said(said, known)
        if named:
            task.target = named[0].lower()
