"""What the draft says it assumed of the event's listed fields, type by type, as the schema has
them: "are strings (a, b) and numbers (c: named or compared like one)"."""

from __future__ import annotations

from copilot.draft.event import EventShape
from copilot.draft.reading import Reading

__all__ = ["listed_types"]


def listed_types(reading: Reading, event: EventShape) -> str:
    """What the draft assumed of the fields the brief lists, type by type, as the schema has them:
    "are strings (a, b) and numbers (c: named or compared like one)"."""
    properties = event.schema.get("properties", {})
    by_type: dict[str, list[str]] = {}
    for name in reading.event_fields:
        kind = (properties.get(name) or {}).get("type", "string")
        if isinstance(kind, list):  # `order_id`: ["string", "integer"], said as a string or an integer
            kind = " or ".join(kind)
        by_type.setdefault(kind, []).append(name)
    if list(by_type) == ["string"]:
        return (
            f"the event fields the brief lists ({', '.join(reading.event_fields)}) are strings; "
            "pass --event sample.json for the real shape"
        )
    words = {"string": "strings", "number": "numbers", "integer": "integers", "boolean": "booleans",
             "array": "lists", "string or integer": "strings or integers"}  # fmt: skip
    parts = [
        f"{words.get(kind, kind)} ({', '.join(names)}"
        + (
            ": ids, sent as text or as numbers"
            if kind == "string or integer"
            else ": named, stated or compared like one"
            if kind != "string"
            else ""
        )
        + ")"
        for kind, names in by_type.items()
    ]
    joined = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    return f"the event fields the brief lists are {joined}; pass --event sample.json for the real shape"
