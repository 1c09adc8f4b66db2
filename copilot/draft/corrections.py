"""A number the brief corrects as it goes: "text the customer for parties up to 8 people --
actually no make that 10" limits the text to parties up to 10. A chatty brief is written, not
edited; the last word on a number is the one that holds."""

from __future__ import annotations

import re

from copilot.draft.reading import Task

__all__ = ["corrected_numbers"]

_CORRECTION = re.compile(
    r"(?P<old>\d[\d,]*(?:\.\d+)?)(?:(?!\d)[^.;])*?\b(?:actually|sorry|wait|oops|correction|scratch\s+that)\b"
    r"[\s,:-]*(?:no\b[\s,:-]*)?(?:make\s+(?:that|it)|i\s+mean|should\s+be|change\s+(?:that|it)\s+to|"
    r"it['’]?s|its|not\s+\d[\d,.]*\s*,?\s*(?:but\s+)?)\s*(?P<new>\d[\d,]*(?:\.\d+)?)",
    re.I,
)


def corrected_numbers(sentences: list[str], tasks: list[Task]) -> None:
    """Each condition of a sentence that tests the number the sentence then corrects tests the
    corrected one."""
    for index, sentence in enumerate(sentences):
        for m in _CORRECTION.finditer(sentence):
            old, new = (float(m.group(g).replace(",", "")) for g in ("old", "new"))
            for task in tasks:
                if task.sentence != index or task.condition is None:
                    continue
                for part in [task.condition, *task.condition.alternatives]:
                    if part.kind in ("event", "count", "returned") and part.value == old:
                        part.value = new
                        part.text = f"{part.text} ({m.group(0)[len(m.group('old')) :].strip(' -–—,')})"
