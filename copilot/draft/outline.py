"""A compact, generated summary of the flow schema for the drafting prompt.

The full JSON Schema is about 10,000 tokens; a model needs the shape, not the prose. The
outline is one line per block, generated from the same JSON Schema as `flowgen schema`
(so it cannot drift from the models), with the fields a draft must give marked required
like the strict wire schema does (`copilot.draft.wire.DRAFT_REQUIRED`: a step's `why`):

    Sla — The service level the flow promises…: latency_p95: duration; max_cost_per_event: number; …
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from copilot.draft.wire import DRAFT_REQUIRED, compact_block
from copilot.flow.units import DURATION_PATTERN, RATE_PATTERN

LEGEND = (
    "`*` marks a required field; `duration` is a string with a unit (250ms, 1.5s, 2m, 24h, 7d); "
    "`rate` is events per period (50/s, 600/m); `A | B` is one of; `[T]` a list; `{key: T}` a map; "
    '`"x"` a literal; `json-schema` a JSON Schema object; `any` any JSON value.'
)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type(node: Any, field: str = "") -> str:
    if not isinstance(node, dict) or not node:
        return "any"
    if "$ref" in node:
        return _ref_name(node["$ref"])
    if "const" in node:
        return f'"{node["const"]}"'
    branches = node.get("oneOf") or node.get("anyOf")
    if branches:
        parts = [_type(b, field) for b in branches if b.get("type") != "null"]
        return " | ".join(dict.fromkeys(parts))
    if "enum" in node:
        return "|".join(f'"{v}"' if isinstance(v, str) else str(v) for v in node["enum"])
    kind = node.get("type")
    if kind == "string":
        pattern = node.get("pattern")
        if pattern == DURATION_PATTERN:
            return "duration"
        if pattern == RATE_PATTERN:
            return "rate"
        return "str"
    if kind == "array":
        return f"[{_type(node.get('items', {}), field)}]"
    if kind == "object":
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            key = "alias" if field == "models" else "key"
            return f"{{{key}: {_type(extra, field)}}}"
        return "json-schema" if field.endswith("schema") else "object"
    return {"integer": "int", "number": "number", "boolean": "bool"}.get(kind, "any")


def _summary(description: str | None) -> str:
    if not description:
        return ""
    first = description.strip().split("\n")[0]
    return first.split(": ")[0].rstrip(".")


def _line(name: str, node: dict[str, Any], skip: frozenset[str] = frozenset(), prefix: str = "") -> str:
    required = set(node.get("required", []))
    fields = []
    for field, sub in node.get("properties", {}).items():
        if field in skip:
            continue
        mark = "*" if field in required or field in DRAFT_REQUIRED else ""  # what a draft must give
        fields.append(f"{field}{mark}: {_type(sub, field)}")
    head = f"{name} — {_summary(node.get('description'))}" if node.get("description") else name
    return f"{head}: {prefix}" + "; ".join(fields)


def _shared(defs: dict[str, Any], names: list[str]) -> list[str]:
    """Fields every one of `names` declares (the common base of steps, of triggers)."""
    props = [list(defs[n].get("properties", {})) for n in names if n in defs]
    if len(props) < 2:
        return []
    return [f for f in props[0] if all(f in p for p in props[1:]) and f != "type"]


def _union_members(schema: dict[str, Any]) -> dict[str, list[str]]:
    """Discriminated unions of the top level: `trigger` and the items of `steps`."""
    out = {}
    props = schema.get("properties", {})
    for field, node in (
        ("trigger", props.get("trigger", {})),
        ("steps", props.get("steps", {}).get("items", {})),
    ):
        members = [_ref_name(b["$ref"]) for b in node.get("oneOf", []) if "$ref" in b]
        if members:
            out[field] = members
    return out


def _refs(node: Any) -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        if "$ref" in node:
            out.append(_ref_name(node["$ref"]))
        for value in node.values():
            out.extend(_refs(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_refs(value))
    return out


@lru_cache(maxsize=2)
def _outline(compact: bool = False) -> tuple[str, ...]:
    from copilot.flow.schema import flow_schema

    schema = flow_schema()
    defs = schema.get("$defs", {})
    root = {k: v for k, v in schema.items() if k not in ("$defs",)}
    if compact:  # the blocks without what flowgen fills (copilot.draft.wire.COMPACT_LEAVE_OUT)
        root = compact_block("Flow", root)
        defs = {name: compact_block(name, node) for name, node in defs.items()}
    root["description"] = "the top level of a flow file"
    lines = [_line("Flow", root)]
    # Fields shared by every step type (and every trigger type) are listed once.
    common: dict[str, frozenset[str]] = {}
    for field, members in _union_members(schema).items():
        shared = _shared(defs, members)
        if shared:
            base = {"properties": {f: defs[members[0]]["properties"][f] for f in shared}}
            base["required"] = [f for f in defs[members[0]].get("required", []) if f in shared]
            label = "every step" if field == "steps" else "every trigger"
            lines.append(_line(f"({label})", base))
            for member in members:
                common[member] = frozenset(shared)
    seen: set[str] = set()
    queue = list(dict.fromkeys(_refs(root.get("properties", {}))))
    # Breadth-first from the top level: blocks appear in the order a reader meets them.
    while queue:
        name = queue.pop(0)
        if name in seen or name not in defs:
            continue
        seen.add(name)
        skip = common.get(name, frozenset())
        lines.append(_line(name, defs[name], skip, "(common fields) + " if skip else ""))
        queue.extend(r for r in dict.fromkeys(_refs(defs[name].get("properties", {}))) if r not in seen)
    return tuple(lines)


def schema_outline(compact: bool = False) -> list[str]:
    """One line per block of the flow schema (or of its compact form), top level first."""
    return list(_outline(compact))
