"""What a validation gate answers when a model's output is unusable: the answer under which the
fewest actions reach the outside world.

A gate's `on_fail` default stands in for the model on every broken answer (a timeout, bad JSON,
a label outside the enum). Picked by name alone ("needs_substitution" looks like a human look),
it can send the order to the kitchen, email an approval, or charge a fee whenever the model
fails. Here each candidate value of each decided field (the enum's labels, true and false) is
tried against the `if:` of every step that acts, and the default keeps the value that fires the
fewest outward actions: an email or text to a person the event or a lookup names, or any call
that changes a record. A message to the team (Slack, Teams, a page, an address the brief gives)
costs nothing: on a broken answer, telling a person is the safe thing to do. A tie keeps the
value the drafter chose, and so does a gate whose answer a webhook's caller receives: there the
answer itself is the action ("approve"), and the cautious value by name stands. An answer that
lets the thing through ("approve", "ok", "compliant") is never moved to: the world acts on it
even where no step of the flow does.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from copilot.draft.event import sample_from_schema
from copilot.flow.expressions import compiled_expression, expression_source

# an answer that lets the thing through: the world acts on it even where no step of the flow does
_PERMISSIVE = re.compile(
    r"(?:approv|accept|allow|pass|ok\b|okay|compliant|go\b|publish|release|clear|safe|valid|legit|yes|auto)",
    re.I,
)
_STAFF_CHANNELS = ("slack", "teams", "page", "pagerduty", "discord", "opsgenie")


def settle_defaults(data: dict[str, Any]) -> list[str]:
    """Move each gate's default to its safest value (see the module doc); what changed, said."""
    steps = [s for s in data.get("steps", []) if isinstance(s, dict)]
    acting = [s for s in steps if _weight(s) > 0 and s.get("if")]
    if not acting:
        return []
    context = _context(data, steps)
    # a webhook's caller reads the response ("approve" is an action too, taken by the caller)
    trigger = data.get("trigger") or {}
    answered = str(data.get("respond") or "") if trigger.get("type", "webhook") == "webhook" else ""
    notes: list[str] = []
    for gate in steps:
        fail = gate.get("on_fail") if gate.get("type") == "validate" else None
        if not isinstance(fail, dict) or not isinstance(fail.get("value"), dict):
            continue
        reference = f"steps.{gate['id']}.output"
        judged = [s for s in acting if reference in str(s["if"])]
        if not judged or (answered and f"steps.{gate['id']}." in answered):
            continue  # the caller acts on what the gate answers: its default stays the cautious one
        default: dict[str, Any] = fail["value"]
        properties = (gate.get("output_schema") or {}).get("properties") or {}
        for field, spec in properties.items():
            if field not in default or not isinstance(spec, dict):
                continue
            candidates = (
                list(spec["enum"])
                if isinstance(spec.get("enum"), list)
                else [False, True]
                if spec.get("type") == "boolean"
                else []
            )
            if len(candidates) < 2:
                continue

            chosen = default[field]
            best = _fired(judged, context, gate["id"], {**default, field: chosen})
            for value in candidates:
                if isinstance(value, str) and _PERMISSIVE.match(value):
                    continue  # "approve" acts by itself, with or without a step: never the fallback
                cost = _fired(judged, context, gate["id"], {**default, field: value})
                if cost < best:
                    chosen, best = value, cost
            if chosen != default[field]:
                notes.append(
                    f"`{gate['id']}` answers `{field}: {_shown(chosen)}` when the model's output is "
                    f"unusable (not {_shown(default[field])}): under it the fewest actions reach anyone "
                    "outside the team"
                )
                default[field] = chosen
    return notes


def _fired(judged: list[dict[str, Any]], context: dict[str, Any], gate: str, output: dict[str, Any]) -> float:
    """How many outward actions of `judged` run when `gate` answers `output`."""
    trial = {**context, "steps": {**context["steps"], gate: {"output": output}}}
    return sum(_weight(s) for s in judged if _fires(str(s["if"]), trial))


def _shown(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _context(data: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """A plausible event and every step's output (its default, else a sample of its schema)."""
    schema = (data.get("trigger") or {}).get("event_schema") or {}
    outputs: dict[str, Any] = {}
    for step in steps:
        fail = step.get("on_fail")
        if isinstance(fail, dict) and "value" in fail:
            outputs[step["id"]] = {"output": copy.deepcopy(fail["value"])}
        elif isinstance(step.get("output_schema"), dict):
            outputs[step["id"]] = {"output": sample_from_schema(step["output_schema"])}
        else:
            outputs[step["id"]] = {"output": {}}
    return {"event": sample_from_schema(schema) or {}, "steps": outputs}


def _fires(condition: str, context: dict[str, Any]) -> bool:
    """Whether `condition` holds in `context`; a condition that cannot be worked out counts as
    not firing (the same for every candidate, so it never decides between them)."""
    try:
        return bool(compiled_expression(expression_source(condition))(**context))
    except Exception:
        return False


def _weight(step: dict[str, Any]) -> float:
    """1 for an action that reaches outside the team, 0 for a message to it or a read."""
    if step.get("type") != "http":
        return 0.0
    request = step.get("request") or {}
    if str(request.get("method", "POST")).upper() == "GET":
        return 0.0
    sid = str(step.get("id", "")).lower()
    body = request.get("json") if isinstance(request.get("json"), dict) else {}
    to = str(body.get("to", "")) if body else ""
    if any(channel in sid for channel in _STAFF_CHANNELS):
        return 0.0
    if ("email" in sid or "sms" in sid or "text" in sid) and not ("event." in to or "steps." in to):
        return 0.0  # an address the brief gives or the team configures: the team's own
    return 1.0
