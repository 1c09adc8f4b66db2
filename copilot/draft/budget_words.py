"""The brief's limits are no work and no condition: "hold the per-report cost at or below 0.6
cents" is the budget, not an action "hold" gated on a field `cost_at_or`; "posted back within 3
seconds p95, at no more than $0.005 per message" limits the flow, not the post.

`read_cost` and `read_sla` have already read these words (their `Match` spans); whatever a task
or a condition reads inside them again is dropped here.
"""

from __future__ import annotations

import re

from copilot.draft.phrases import Match
from copilot.draft.reading import Condition, Task
from copilot.draft.tasks import quote_for

_LIMIT_KINDS = ("budget", "cost", "sla")
# "hold the per-report cost at …", "keep the spend under …": a limit said as an order
_KEEP_LIMIT = re.compile(
    r"^\W*(?:and\s+|also\s+)?(?:hold|keep|cap|limit)\s+(?:the\s+|our\s+|each\s+|every\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?:cost|costs|spend|spending|budget|price|latency|time)\b",
    re.I,
)


def drop_limit_words(sentences: list[str], tasks: list[Task], matches: list[Match]) -> list[Task]:
    """`tasks` without the orders that only state a limit, and with no condition read in a limit."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for m in matches:
        if m.kind in _LIMIT_KINDS:
            spans.setdefault(m.sentence, []).append((m.start, m.end))
    out: list[Task] = []
    for task in tasks:
        sentence = sentences[task.sentence] if 0 <= task.sentence < len(sentences) else ""
        said = task.quote or (quote_for(sentence, task.start) if task.start >= 0 else "")
        if task.kind in ("act", "store") and spans.get(task.sentence) and _KEEP_LIMIT.match(said):
            continue
        if task.condition is not None and spans.get(task.sentence):
            task.condition = _without_limits(task.condition, sentence, spans[task.sentence])
        out.append(task)
    return out


def _without_limits(cond: Condition, sentence: str, spans: list[tuple[int, int]]) -> Condition | None:
    """`cond` without its parts read inside a limit's words (None when nothing else is left)."""
    parts = [cond, *cond.alternatives]
    kept = [p for p in parts if not (p.kind == "event" and _inside(p.text, sentence, spans))]
    if len(kept) == len(parts):
        return cond
    if not kept:
        return None
    first = kept[0]
    first.alternatives = [p for p in kept[1:] if p is not first]
    first.all_of = cond.all_of and len(kept) > 1
    first.scope = first.scope or cond.scope
    return first


def _inside(text: str, sentence: str, spans: list[tuple[int, int]]) -> bool:
    said = text.strip()
    at = sentence.find(said) if said else -1
    return at >= 0 and any(a < at + len(said) and at < b for a, b in spans)
