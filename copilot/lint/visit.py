"""What a flow's templates read: shared by the rules that follow data.

Where the templates are (`Site`, `template_sites`) is `copilot.flow.sites`, which the
structural check shares; it is re-exported here for the rules.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from copilot.flow.sites import Site, template_sites  # noqa: F401  (re-exported: rules import them here)

_ID_NAMES = ("id", "event_id", "delivery_id", "message_id", "request_id", "uuid", "key")


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


@lru_cache(maxsize=16384)
def template_free_names(text: str, expression: bool = False) -> tuple[str, ...]:
    """Top-level names a template reads that are not in scope (`env`, `evnt`…); () when it does not parse."""
    from copilot.flow.expressions import ExpressionError, free_names

    try:
        return tuple(free_names(text, expression=expression))
    except ExpressionError:
        return ()


def site_references(site: Site) -> tuple[tuple[str, ...], ...]:
    """The references of a site; a template that does not parse reads nothing (FG006 reports it)."""
    found = template_references(site.text, site.expression)
    return () if isinstance(found, str) else found


def steps_read(sites: list[Site]) -> dict[str, set[str]]:
    """owner -> the step ids whose output its templates read."""
    out: dict[str, set[str]] = {}
    for site in sites:
        for parts in site_references(site):
            if parts[0] == "steps" and len(parts) > 1:
                out.setdefault(site.owner, set()).add(parts[1])
    return out


def event_id_field(flow: Any) -> str | None:
    """The event field that names an event uniquely: the trigger key's field, else an id-like property."""
    key = flow.trigger.idempotency_key
    if key:
        from copilot.flow.expressions import ExpressionError, references

        try:
            refs = [r for r in references(key) if r.root == "event" and len(r.parts) > 1]
        except ExpressionError:
            refs = []
        if refs:
            return ".".join(refs[0].parts[1:])
    schema = flow.trigger.event_schema or {}
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        example = flow.trigger.example or {}
        props = dict.fromkeys(example) if isinstance(example, dict) else {}
    names = [n for n in props if isinstance(n, str)]
    for wanted in _ID_NAMES:
        if wanted in names:
            return wanted
    for name in names:
        if re.fullmatch(r"[a-z][a-z0-9_]*_(id|uuid|key)", name) or name.endswith("Id"):
            return name
    return None
