"""Yes-or-no fields an extraction answers, and the conditions that read them.

"Extract the property address, the insurance carrier if mentioned, and whether the caller
reports an active leak. … If there is an active leak, text the caller": the extraction was asked
the question, so its boolean `active_leak` decides the text, never a classifier's second guess.
"""

from __future__ import annotations

import re

from copilot.draft.reading import Condition, Task
from copilot.draft.word_stems import word_stems

__all__ = ["extracted_answers", "whether_fields"]

# "whether the caller reports an active leak": the subject and its verb, then what is asked
_WHETHER = re.compile(
    r"^\W*(?:and\s+)?whether\s+(?:(?:the\s+[\w-]+|it|they|he|she|there)\s+"
    # "whether theres water damage": a hurried "there's"
    r"(?:\w+s|is|are|was|were|has|have|had|did|does)\s+|there['’]?s\s+)?"
    r"(?:an?\s+|the\s+|any\s+)?(?P<what>[\w -]+?)\s*$",
    re.I,
)
_COMMON = frozenset({"there", "their", "about", "which", "where", "whether", "reports", "mentions", "says"})


def whether_fields(listed: str) -> dict[str, str]:
    """The yes-or-no fields a list of things to extract asks for: {name: "boolean"}."""
    out: dict[str, str] = {}
    for item in re.split(r",\s*(?:and\s+)?|\s+and\s+(?=whether\b)", listed):
        m = _WHETHER.match(item)
        if m is not None:
            words = [
                w for w in re.findall(r"[a-z0-9]+", m.group("what").lower()) if w not in ("a", "an", "the")
            ]
            if 1 <= len(words) <= 4:
                out["_".join(words)] = "boolean"
    return out


def extracted_answers(tasks: list[Task]) -> None:
    """Bind each unread condition to the extraction's yes-or-no field that holds every one of its
    words ("If there is an active leak" -> `active_leak`)."""
    asked = [
        (t, name)
        for t in tasks
        if t.kind == "extract"
        for name, kind in t.returns.items()
        if kind == "boolean"
    ]
    for task in tasks:
        text = task.unmapped_condition
        if task.condition is not None or not text:
            continue
        said = word_stems(re.sub(r"^\W*(?:only\s+)?(?:if|when|whenever)\b", "", text, flags=re.I), 3, _COMMON)
        found = [(t, name) for t, name in asked if word_stems(name.replace("_", " "), 3, _COMMON) <= said]
        if len(found) == 1:
            negated = bool(re.search(r"\b(?:no|not|isn'?t|never|without)\b", text, re.I))
            task.condition = Condition(
                "extracted", text, "==", True, output_field=found[0][1], negated=negated
            )
            task.unmapped_condition = None
