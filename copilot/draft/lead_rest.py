"""What follows a label that opens an if-clause: "if price or not using it and theyve been
active more then 6 months" reads `price`, then more labels after "or", then a further
condition after "and" (the step's `scope`), else leaves that part to the classifier as an
unread condition, said as a guess. Used by `copilot.draft.task_conditions.lead_labels`.
"""

from __future__ import annotations

import re

from copilot.draft.conditions import read_conditions
from copilot.draft.labels import snake
from copilot.draft.reading import Condition, Task


def rest_of_lead(rest: str, cond: Condition, task: Task, labels: list[str]) -> None:
    """More labels after "or", then a further condition after "and": read, else left to the
    classifier as an unread condition (a guess the draft says it made)."""
    more = re.match(r"\s*or\s+(.+?)(?=\s+and\b|$)", rest)
    if more is not None and snake(more.group(1)) in labels:
        cond.alternatives = [*cond.alternatives, Condition("label", cond.text, "==", snake(more.group(1)))]
        rest = rest[more.end() :]
    further = re.match(r"\s*and\s+(.+)$", rest)
    if further is None:
        task.unmapped_condition = rest.strip() or None
        return
    text = re.sub(r"\b(more|less|greater|higher|lower|fewer)\s+then\b", r"\1 than", further.group(1))
    mapped, unread, _ = read_conditions(f"if {text}")
    if mapped and not unread:
        cond.scope = mapped[0][2]
        task.unmapped_condition = None
    else:
        task.unmapped_condition = f"if {further.group(1).strip()}"
