"""Label tests inside a condition no rule read as a whole: "If the class starts more than 72
hours after the cancellation and the reason is not dissatisfied" holds a test of the
classifier's label ("the reason is not dissatisfied") beside a condition the classifier is asked
to decide; each is read for what it is, never one guess with the label's "not" on the whole."""

from __future__ import annotations

import re

from copilot.draft.labels import snake
from copilot.draft.reading import Condition

# "the reason is not dissatisfied", "it's a refund", "the category isn't billing"
_LABEL_IS = re.compile(
    r"^\W*(?:if\s+|when\s+)?(?:the\s+[\w-]+(?:\s+[\w-]+)?\s+(?:is|was)|it['’]?s|it\s+is)\s+"
    r"(?P<not>not\s+|n['’]?t\s+)?(?:an?\s+)?(?P<label>[\w-]+)\W*$",
    re.I,
)


def label_tests(text: str, labels: list[str]) -> tuple[list[Condition], str]:
    """The label tests among the "and" parts of `text`, and the rest of it as written ("" when
    every part is a label test, or `text` when none is)."""
    parts = re.split(r"\s+and\s+", text)
    tests: list[Condition] = []
    rest: list[str] = []
    for part in parts:
        m = _LABEL_IS.match(part)
        label = snake(m.group("label")) if m else ""
        if m is not None and label in labels:
            tests.append(Condition("label", part.strip(), "!=" if m.group("not") else "==", label))
        else:
            rest.append(part)
    if not tests:
        return [], text
    return tests, " and ".join(rest).strip()
