"""Taint: which step outputs carry data from `observability.redact` fields.

A redacted field copied, reshaped or summarised by a step is still the same secret
(`{{ event.ssn|replace('-', '') }}` is the SSN without dashes). So a step whose templates
read a redacted field, the whole event while any field is redacted, or the output of a
tainted step is tainted itself, transitively. The engine hides a tainted step's output
(and any text quoting it) in logs, timelines, spans, dead letters and reports, though not
in the response, which is the product; the linter (FG713) follows the same taint to http
requests. `if:` conditions do not carry data into an output and are not followed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from copilot.flow.expressions import ExpressionError, references, template_strings

if TYPE_CHECKING:
    from copilot.flow.models import AnyStep, Flow


def redacted_parts(flow: Flow) -> list[tuple[str, ...]]:
    """The flow's `observability.redact` paths as parts, each starting with `event`."""
    obs = flow.observability
    out: list[tuple[str, ...]] = []
    for path in obs.redact if obs is not None else ():
        parts = tuple(path.split("."))
        out.append(parts if parts[0] == "event" else ("event", *parts))
    return out


# `{{ event.ssn }}`, `{{ event | tojson }}`, `{{ steps.a.output.b | string }}`: a value
# interpolated as it is (through filters that keep its content), not computed from.
_COPY = re.compile(
    r"\{\{-?\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*"
    r"((?:\|\s*(?:tojson|string|trim|e|escape|upper|lower|list|pprint)\s*)*)-?\}\}"
)


def step_reads(step: AnyStep, copies_only: bool = False) -> list[tuple[str, ...]]:
    """The dotted paths the templates of `step` read (its `if:` left out).

    `copies_only`: only the paths interpolated as they are (`_COPY`), not those a
    template computes something from (`{{ event.email.split('@')[-1] }}`).
    """
    data = step.model_dump(mode="json", by_alias=True, exclude_none=True)
    data.pop("if", None)
    out: list[tuple[str, ...]] = []
    for text in template_strings(data):
        if copies_only:
            out.extend(tuple(match.group(1).split(".")) for match in _COPY.finditer(text))
            continue
        try:
            out.extend(ref.parts for ref in references(text))
        except ExpressionError:
            continue  # a template that does not parse renders nothing (FG002)
    return out


def tainting_read(
    parts: tuple[str, ...], redacted: list[tuple[str, ...]], tainted: dict[str, str]
) -> str | None:
    """What makes a read of `parts` carry redacted data (a phrase), or None."""
    if not redacted:
        return None
    if parts == ("event",):
        return "the whole event"
    if parts[0] == "event":
        hit = next((p for p in redacted if parts[: len(p)] == p or p[: len(parts)] == parts), None)
        return f"the redacted field `{'.'.join(hit)}`" if hit is not None else None
    if parts[0] == "steps" and len(parts) >= 2 and parts[1] in tainted:
        return tainted[parts[1]]
    return None


def tainted_steps(flow: Flow, *, copies_only: bool = False) -> dict[str, str]:
    """Step id -> what redacted data its output holds (a phrase), for every tainted step.

    The engine hides every tainted output (any step type, any computation). The linter
    asks for `copies_only`: transform and validate steps that interpolate redacted data
    as it is, since a finding must be certain (a model's answer is new text; a domain
    computed from an email is a judgement the reviewer makes).
    """
    redacted = redacted_parts(flow)
    if not redacted:
        return {}
    reads = {
        step.id: step_reads(step, copies_only)
        for step in flow.steps
        if not copies_only or step.type in ("transform", "validate")
    }
    tainted: dict[str, str] = {}
    changed = True
    while changed:  # steps may be listed before the ones they read: iterate to a fixed point
        changed = False
        for step_id, paths in reads.items():
            if step_id in tainted:
                continue
            for parts in paths:
                why = tainting_read(parts, redacted, tainted)
                if why is not None:
                    tainted[step_id] = why
                    changed = True
                    break
    return tainted
