"""Where a flow holds templates and conditions, and what each reads: the one template
walker, shared by the structural check (templates that do not parse), the linter's
data-flow rules and anything else that follows data through a flow.

A `Site` is one template string (or condition) with its location in the document, whether
it is parsed as a bare expression, and its owner (whose `needs` decide what is in scope).
`template_sites` lists them (the analysed flow keeps the list: `LoadedFlow.sites`);
`template_references` and `template_free_names` read one template, cached, through
`copilot.flow.expressions` (its regex fast path first, Jinja's parse tree otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from copilot.flow.expressions import is_template

if TYPE_CHECKING:
    from copilot.flow.models import Flow

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Site:
    """One template or condition in the flow."""

    loc: Loc
    text: str
    expression: bool  # a condition (`if`, rules[].expr): parsed as a bare expression
    owner: str  # a step id, "respond", "on_deadline" or "trigger"
    field: str  # what it is: prompt.user, if, query, request.json, idempotency_key...

    @property
    def step(self) -> str | None:
        """The id of the step the template belongs to; None for the trigger and the response."""
        return self.owner if self.loc[:1] == ("steps",) else None


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
    return [(where, s) for where, s in located_strings(value, loc) if is_template(s)]


def _add(
    out: list[Site], base: Loc, owner: str, field: str, value: Any, *, expression: bool, loc: Loc | None
) -> None:
    where = loc if loc is not None else (*base, *field.split("."))
    if isinstance(value, str):
        if expression or is_template(value):
            out.append(Site(where, value, expression, owner, field))
    else:
        out.extend(Site(sub, text, False, owner, field) for sub, text in _templates(value, where))


def template_sites(flow: Flow, data: dict[str, Any]) -> list[Site]:
    """Every template and condition of a flow, in the flow file's key order (trigger,
    steps, respond).

    `data` is the document's plain data: bodies are read from it (not the model) so that
    locations use the YAML keys (`json`, not `json_body`).
    """
    out: list[Site] = []
    key = flow.trigger.idempotency_key
    if key is not None:
        out.append(Site(("trigger", "idempotency_key"), key, False, "trigger", "idempotency_key"))
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
    return out


@lru_cache(maxsize=16384)
def template_references(text: str, expression: bool = False) -> tuple[tuple[str, ...], ...] | str:
    """The dotted paths a template reads, or the error message when it does not parse (cached).

    Simple templates (`{{ a.b }}`, `a.b == 'x'`) are read without Jinja by `references`.
    """
    from copilot.flow.expressions import ExpressionError, references

    try:
        return tuple(ref.parts for ref in references(text, expression=expression))
    except ExpressionError as exc:
        return exc.message


def references_of(text: str, expression: bool = False) -> tuple[tuple[str, ...], ...]:
    """The dotted paths a template reads; one that does not parse reads nothing (FG002 reports it)."""
    found = template_references(text, expression)
    return () if isinstance(found, str) else found


def site_references(site: Site) -> tuple[tuple[str, ...], ...]:
    """The references of a site; a template that does not parse reads nothing (FG002 reports it)."""
    return references_of(site.text, site.expression)


@lru_cache(maxsize=16384)
def template_free_names(text: str, expression: bool = False) -> tuple[str, ...]:
    """Top-level names a template reads that are not in scope (`env`, `evnt`…); () when it does not parse."""
    from copilot.flow.expressions import ExpressionError, free_names

    try:
        return tuple(free_names(text, expression=expression))
    except ExpressionError:
        return ()


def steps_read(sites: list[Site]) -> dict[str, set[str]]:
    """owner -> the step ids whose output its templates read."""
    out: dict[str, set[str]] = {}
    for site in sites:
        for parts in site_references(site):
            if parts[0] == "steps" and len(parts) > 1:
                out.setdefault(site.owner, set()).add(parts[1])
    return out
