"""The "nothing found" label said as an absence: "classify the severity as none, cosmetic or
structural … If there is no damage, text the customer a thank-you" tests the label `none` (or
`no_damage`), the classifier's own answer, never a second guess beside it."""

from __future__ import annotations

import re

from copilot.draft.conditions import ACTING
from copilot.draft.phrases import Match
from copilot.draft.reading import Condition, Task

__all__ = ["absence_labels"]

# "If there is no damage", "when no issue is found", "if it has no defects": the absence of a thing
_ABSENT = re.compile(
    r"^\W*(?:only\s+)?(?:if|when|where)\s+(?:there\s+(?:is|was|are|were)\s+no|(?:it|they)\s+(?:has|have|shows?)\s+no|"
    r"no)\s+(?P<noun>[a-z][\w-]*)(?:\s+(?:at\s+all|(?:is|was|are|were)\s+)?(?:found|reported|noted|seen))?\W*$",
    re.I,
)


def absence_labels(tasks: list[Task], labels: list[str], matches: list[Match] | None = None) -> None:
    """A step limited to "no <thing>" runs on the classifier's label for nothing: `no_<thing>`
    when it has one, else `none`."""
    for task in tasks:
        said = task.unmapped_condition or ""
        m = _ABSENT.match(said)
        if task.condition is not None or task.kind not in ACTING or m is None:
            continue
        noun = m.group("noun").lower().replace("-", "_")
        label = next(
            (
                lb
                for lb in (f"no_{noun}", f"no_{noun}s", f"no_{noun.removesuffix('s')}", "none")
                if lb in labels
            ),
            None,
        )
        if label is None:
            continue
        task.condition, task.unmapped_condition = Condition("label", said, "==", label), None
        for match in matches or []:
            if match.kind == "unread_condition" and match.sentence == task.sentence and said in match.text:
                match.kind = "condition"  # read, as that label
