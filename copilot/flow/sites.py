"""Where a flow holds templates and conditions: one walk shared by the structural check
(templates that do not parse) and the linter's data-flow rules.

A `Site` is one template string (or condition) with its location in the document, whether
it is parsed as a bare expression, and its owner (whose `needs` decide what is in scope).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Site:
    """One template or condition in the flow."""

    loc: Loc
    text: str
    expression: bool  # a condition (`if`, rules[].expr): parsed as a bare expression
    owner: str  # a step id, "respond", "on_deadline" or "trigger"
    field: str  # what it is: prompt.user, if, query, request.json, idempotency_key...


def located_strings(value: Any, loc: Loc = ()) -> list[tuple[Loc, str]]:
    """Every string in a JSON-like value with its location."""
    if isinstance(value, str):
        return [(loc, value)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in located_strings(v, (*loc, k))]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in located_strings(v, (*loc, i))]
    return []


def _templates(value: Any, loc: Loc) -> list[tuple[Loc, str]]:
    return [(where, s) for where, s in located_strings(value, loc) if "{{" in s or "{%" in s]


def _add(
    out: list[Site], base: Loc, owner: str, field: str, value: Any, *, expression: bool, loc: Loc | None
) -> None:
    where = loc if loc is not None else (*base, *field.split("."))
    if isinstance(value, str):
        if expression or "{{" in value or "{%" in value:
            out.append(Site(where, value, expression, owner, field))
    else:
        out.extend(Site(sub, text, False, owner, field) for sub, text in _templates(value, where))


def template_sites(flow: Any, data: dict[str, Any]) -> list[Site]:
    """Every template and condition of a flow, in file order.

    `data` is the document's plain data: bodies are read from it (not the model) so that
    locations use the YAML keys (`json`, not `json_body`).
    """
    out: list[Site] = []
    steps_data = data.get("steps") or []
    for index, step in enumerate(flow.steps):
        raw = steps_data[index] if index < len(steps_data) and isinstance(steps_data[index], dict) else {}
        base: Loc = ("steps", index)
        owner = step.id

        def add(field: str, value: Any, *, expression: bool = False, loc: Loc | None = None) -> None:
            _add(out, base, owner, field, value, expression=expression, loc=loc)  # noqa: B023

        if step.if_ is not None:
            add("if", step.if_, expression=True)
        if step.type == "model":
            if step.prompt.system:
                add("prompt.system", step.prompt.system)
            add("prompt.user", step.prompt.user)
        elif step.type == "validate":
            add("input", step.input)
            for n, rule in enumerate(step.rules):
                add("rules.expr", rule.expr, expression=True, loc=(*base, "rules", n, "expr"))
        elif step.type == "retrieve":
            add("query", step.query)
        elif step.type == "transform":
            add("output", raw.get("output"))
        elif step.type == "http":
            request = raw.get("request") or {}
            add("request.url", step.request.url)
            add("request.headers", request.get("headers"))
            add("request.json", request.get("json"))
        if step.idempotency_key is not None:
            add("idempotency_key", step.idempotency_key)
    respond = data.get("respond")
    if isinstance(respond, dict):
        for loc, text in _templates(respond.get("body"), ("respond", "body")):
            out.append(Site(loc, text, False, "respond", "body"))
        deadline = respond.get("on_deadline")
        if isinstance(deadline, dict):
            for loc, text in _templates(deadline.get("body"), ("respond", "on_deadline", "body")):
                out.append(Site(loc, text, False, "on_deadline", "body"))
    key = flow.trigger.idempotency_key
    if key is not None:
        out.append(Site(("trigger", "idempotency_key"), key, False, "trigger", "idempotency_key"))
    return out
