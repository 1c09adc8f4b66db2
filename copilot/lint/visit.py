"""What a flow's templates read: shared by the rules that follow data.

The one template walker (`Site`, `template_sites`, `template_references`,
`template_free_names`, `site_references`, `steps_read`) is `copilot.flow.sites`, which the
structural check and the analysed flow share; it is re-exported here for the rules.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from copilot.flow.sites import (  # re-exported (listed in `__all__`): rules import them here
    Site,
    references_of,
    site_references,
    steps_read,
    template_free_names,
    template_references,
    template_sites,
)

__all__ = [
    "Site",
    "event_id_field",
    "references_of",
    "site_references",
    "steps_read",
    "template_free_names",
    "template_references",
    "template_sites",
]

if TYPE_CHECKING:
    from copilot.flow.models import Flow

_ID_NAMES = ("id", "event_id", "delivery_id", "message_id", "request_id", "uuid", "key")


def event_id_field(flow: Flow) -> str | None:
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
