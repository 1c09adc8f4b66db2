"""The flow schema in the form strict structured output accepts, and the way back.

OpenAI's strict `json_schema` mode (and the grammar engines of vLLM, llama.cpp and Ollama
that copy it) only accept closed objects whose every property is required. A flow has
open parts: `models` and `thresholds` are maps, `event_schema`, `output_schema` and
`example` are arbitrary JSON, response bodies are any value. So the *wire* schema, derived
from the pydantic model's JSON Schema (never written by hand), says:

- an optional field is required but nullable (`null` means "left out");
- a map `{alias: X}` is a list of `{key, value: X}` pairs;
- an arbitrary JSON value is a string holding its JSON text;
- `oneOf` + discriminator becomes `anyOf`; `const` becomes a one-value `enum`;
- keywords strict mode rejects (`default`, `title`, `format`, exclusive bounds) are dropped;
- a field a flow file may leave out but a draft may not (`DRAFT_REQUIRED`: a step's `why`)
  is required and not nullable, so a grammar-constrained model cannot skip it.

`from_wire` undoes all of it by walking the original schema, and is harmless on a flow
that is already in the plain shape (json_object or text mode).

Grammar engines (llama.cpp's json-schema-to-grammar, Outlines, XGrammar) turn every
`pattern` into grammar rules; llama.cpp copies an escape (a backslash and `d`, `.` or `S`) into
the grammar as text and the grammar fails to load (issue 17). So a pattern goes on the wire
with character classes for escapes (`openai_compat.grammar_pattern`, which `run` sends
its output schemas' patterns through too); tests/draft/test_wire_grammar.py
compiles the wire schema with llama.cpp's rules and with outlines-core.

The compact schema (`--schema compact`, the default for a server on loopback) leaves out
what flowgen fills itself (`COMPACT_LEAVE_OUT`: timeouts, retries, idempotency keys, rate
limits, model profiles, observability, on_error and tests come from `lint --fix` and the
policy defaults), so a small model on a CPU has less to read and less to write
(bench/bench_wire_tokens.py measures both).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from copilot.openai_compat import grammar_pattern

_KEEP_STRING = ("pattern",)
_KEEP_NUMBER = ("minimum", "maximum")

# Optional in a flow file, required of a draft: every drafted step says why it exists, a
# quoted clause of the brief or the building block it is (copilot.draft.coverage checks it).
DRAFT_REQUIRED = frozenset({"why"})

_STEP_DETAIL = frozenset({"description", "timeout", "retry", "idempotency_key"})
_TRIGGER_DETAIL = frozenset({"idempotency_key", "dedupe_window", "rate_limit", "concurrency"})
COMPACT_LEAVE_OUT: dict[str, frozenset[str]] = {
    # the root: lint --fix writes observability (FG301-303), on_error (FG207) and tests (FG801-803)
    "Flow": frozenset({"brief", "on_error", "observability", "tests"}),
    # timeouts (FG101), idempotency keys (FG203), the retry policy's defaults
    "ModelStep": _STEP_DETAIL | {"fallback", "hedge", "max_tokens", "temperature"},  # FG108
    "ValidateStep": _STEP_DETAIL | {"on_fail"},  # FG602
    "RetrieveStep": _STEP_DETAIL | {"freshness", "top_k", "on_empty", "latency"},  # FG402, 405, 404
    "TransformStep": _STEP_DETAIL,
    "HttpStep": _STEP_DETAIL | {"latency"},
    # FG209, FG501, FG505: the trigger's idempotency key, rate limit and concurrency
    "WebhookTrigger": _TRIGGER_DETAIL,
    "ScheduleTrigger": _TRIGGER_DETAIL,
    "QueueTrigger": _TRIGGER_DETAIL,
    # a model alias names a catalog entry; its profile comes from the catalog
    "ModelSpec": frozenset({"provider", "model", "tier", "latency", "price", "context_window", "limits"}),
    "Respond": frozenset({"on_deadline"}),
}
"""Optional fields the compact wire schema leaves out, by block: flowgen fills them."""


def _defs(schema: dict[str, Any]) -> dict[str, Any]:
    return schema.get("$defs", {})


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 32:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
        seen += 1
    return node


def _is_free_form(node: dict[str, Any]) -> bool:
    """`Any` (`{}`) or `dict[str, Any]` (an object with no declared properties)."""
    if not node or set(node) <= {"description", "title", "default"}:
        return True
    return (
        node.get("type") == "object"
        and "properties" not in node
        and node.get("additionalProperties")
        in (
            True,
            None,
        )
    )


def _is_map(node: dict[str, Any]) -> bool:
    return node.get("type") == "object" and isinstance(node.get("additionalProperties"), dict)


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    if "anyOf" in node:
        if not any(b.get("type") == "null" for b in node["anyOf"]):
            node = {**node, "anyOf": [*node["anyOf"], {"type": "null"}]}
        return node
    description = node.get("description")
    inner = {k: v for k, v in node.items() if k != "description"}
    out: dict[str, Any] = {"anyOf": [inner, {"type": "null"}]}
    if description:
        out["description"] = description
    return out


def _not_null(node: dict[str, Any]) -> dict[str, Any]:
    """`node` without its `null` branch (`X | None` in the models -> `X` on the wire)."""
    branches = [b for b in node.get("anyOf", []) if b.get("type") != "null"]
    if not branches:
        return node
    if len(branches) > 1:
        return {**node, "anyOf": branches}
    out = dict(branches[0])
    if node.get("description") and "$ref" not in out:
        out["description"] = node["description"]
    return out


def _convert(node: Any, *, describe: bool) -> dict[str, Any]:
    if not isinstance(node, dict):
        return {}
    description = node.get("description") if describe else None

    def with_description(out: dict[str, Any]) -> dict[str, Any]:
        if description and "$ref" not in out:
            out["description"] = description
        return out

    if "$ref" in node:
        return {"$ref": node["$ref"]}
    if _is_free_form(node):
        what = "JSON text of the value (an object, list, string or number), or null"
        return {"type": "string", "description": f"{description + ' ' if description else ''}({what})"}
    branches = node.get("anyOf") or node.get("oneOf")
    if branches:
        converted: list[dict[str, Any]] = []
        for branch in branches:
            sub = _convert(branch, describe=describe)
            for flat in sub.get("anyOf", [sub]) if "$ref" not in sub else [sub]:
                if flat not in converted:
                    converted.append(flat)
        if len(converted) == 1:
            return with_description(converted[0])
        return with_description({"anyOf": converted})
    if "const" in node:
        return with_description({"type": node.get("type", "string"), "enum": [node["const"]]})
    kind = node.get("type")
    if _is_map(node):
        value = _convert(node["additionalProperties"], describe=describe)
        pair = {
            "type": "object",
            "properties": {"key": {"type": "string"}, "value": value},
            "required": ["key", "value"],
            "additionalProperties": False,
        }
        return with_description({"type": "array", "items": pair})
    if kind == "object":
        props = node.get("properties", {})
        required = set(node.get("required", []))
        out_props = {}
        for name, sub in props.items():
            converted_sub = _convert(sub, describe=describe)
            if name in DRAFT_REQUIRED:
                out_props[name] = _not_null(converted_sub)
            else:
                out_props[name] = converted_sub if name in required else _nullable(converted_sub)
        return with_description(
            {
                "type": "object",
                "properties": out_props,
                "required": list(props),
                "additionalProperties": False,
            }
        )
    if kind == "array":
        out = {"type": "array", "items": _convert(node.get("items", {}), describe=describe)}
        return with_description(out)
    out = {"type": kind} if kind else {}
    if "enum" in node:
        out["enum"] = list(node["enum"])
    keep = _KEEP_STRING if kind == "string" else _KEEP_NUMBER if kind in ("integer", "number") else ()
    for key in keep:
        if key in node:
            out[key] = grammar_pattern(node[key]) if key == "pattern" else node[key]
    return with_description(out)


def compact_block(name: str, node: dict[str, Any]) -> dict[str, Any]:
    """Block `name` of the flow schema without the optional properties compact mode leaves out."""
    gone = COMPACT_LEAVE_OUT.get(name, frozenset())
    if not gone:
        return node
    required = set(node.get("required", []))
    assert not gone & required, f"{name}: the compact schema may leave out only optional fields"
    props = {k: v for k, v in node.get("properties", {}).items() if k not in gone}
    return {**node, "properties": props}


def _reachable(root: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The `$defs` that `root` still refers to, directly or through each other."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        text = json.dumps(todo.pop())
        for name in defs:
            if name not in seen and f'"#/$defs/{name}"' in text:
                seen.add(name)
                todo.append(defs[name])
    return {name: sub for name, sub in defs.items() if name in seen}


@lru_cache(maxsize=4)
def _strict(describe: bool, compact: bool = False) -> str:
    from copilot.flow.schema import flow_schema

    schema = flow_schema()
    top = {k: v for k, v in schema.items() if k not in ("$defs", "$schema", "$id")}
    root = _convert(compact_block("Flow", top) if compact else top, describe=describe)
    defs = {
        name: _convert(compact_block(name, sub) if compact else sub, describe=describe)
        for name, sub in _defs(schema).items()
    }
    root["$defs"] = _reachable(root, defs)
    return json.dumps(root)


def strict_schema(*, describe: bool = True, compact: bool = False) -> dict[str, Any]:
    """The strict-mode schema of a flow, full or compact (a fresh copy each call)."""
    return json.loads(_strict(describe, compact))


def response_format(compact: bool = False) -> dict[str, Any]:
    """The `response_format` of a strict structured-output request for a flow.

    Field descriptions stay off the wire: the system prompt's outline already carries the
    shape, and every request resends this schema, so prose here was paid for on each call
    (35.5 KB compact with descriptions, 21.0 KB without; bench/README.md). The hint that a
    free-form value is JSON text stays: a model cannot guess it.
    """
    schema = strict_schema(describe=False, compact=compact)
    return {"type": "json_schema", "json_schema": {"name": "flow", "schema": schema, "strict": True}}


def _loads_json_text(value: str, strict: bool) -> Any:
    """A free-form value: JSON text in a strict answer; as written in a plain one."""
    if not strict:
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value  # the model ignored the schema here; validation will say so


def from_wire(
    value: Any, node: dict[str, Any] | None = None, defs: dict[str, Any] | None = None, *, strict: bool = True
) -> Any:
    """The plain flow data from a wire-shaped answer (`strict`), or a plain one left as it is.

    Maps given as `{key, value}` lists and `null` optional fields are undone either way; only a
    strict answer holds free-form values as JSON text.
    """
    if node is None:
        from copilot.flow.schema import flow_schema

        schema = flow_schema()
        node, defs = schema, _defs(schema)
    defs = defs or {}
    node = _resolve(node, defs)
    if value is None or not isinstance(node, dict):
        return value
    if _is_free_form(node):
        return _loads_json_text(value, strict) if isinstance(value, str) else value
    branches = node.get("anyOf") or node.get("oneOf")
    if branches:
        return _from_union(value, node, branches, defs, strict)
    if _is_map(node):
        inner = node["additionalProperties"]
        if isinstance(value, list) and all(isinstance(p, dict) and "key" in p for p in value):
            return {str(p["key"]): from_wire(p.get("value"), inner, defs, strict=strict) for p in value}
        if isinstance(value, dict):
            return {k: from_wire(v, inner, defs, strict=strict) for k, v in value.items()}
        return value
    if node.get("type") == "object" and isinstance(value, dict):
        props = node.get("properties", {})
        required = set(node.get("required", []))
        out = {}
        for key, item in value.items():
            if item is None and key not in required:
                continue  # strict mode's way of leaving a field out
            out[key] = from_wire(item, props[key], defs, strict=strict) if key in props else item
        return out
    if node.get("type") == "array" and isinstance(value, list):
        return [from_wire(item, node.get("items", {}), defs, strict=strict) for item in value]
    return value


def _from_union(
    value: Any, node: dict[str, Any], branches: list[Any], defs: dict[str, Any], strict: bool
) -> Any:
    discriminator = node.get("discriminator")
    if discriminator and isinstance(value, dict):
        ref = discriminator.get("mapping", {}).get(value.get(discriminator.get("propertyName", "type")))
        if ref:
            return from_wire(value, {"$ref": ref}, defs, strict=strict)
    real = [_resolve(b, defs) for b in branches if _resolve(b, defs).get("type") != "null"]
    for branch in real:
        if _is_free_form(branch):
            return _loads_json_text(value, strict) if isinstance(value, str) else value
        kind = branch.get("type")
        if (
            (kind == "object" and isinstance(value, dict))
            or (_is_map(branch) and isinstance(value, list))
            or (kind == "array" and isinstance(value, list))
        ):
            return from_wire(value, branch, defs, strict=strict)
    return value


def to_wire(value: Any, node: dict[str, Any] | None = None, defs: dict[str, Any] | None = None) -> Any:
    """A plain flow in the wire shape (what a strict-mode server answers); `from_wire` inverts it."""
    if node is None:
        from copilot.flow.schema import flow_schema

        schema = flow_schema()
        node, defs = schema, _defs(schema)
    defs = defs or {}
    node = _resolve(node, defs)
    if _is_free_form(node):
        return None if value is None else json.dumps(value)
    branches = node.get("anyOf") or node.get("oneOf")
    if branches:
        if value is None:
            return None
        discriminator = node.get("discriminator")
        if discriminator and isinstance(value, dict):
            ref = discriminator.get("mapping", {}).get(value.get(discriminator.get("propertyName", "type")))
            if ref:
                return to_wire(value, {"$ref": ref}, defs)
        for branch in (_resolve(b, defs) for b in branches):
            kind = branch.get("type")
            if _is_free_form(branch):
                return json.dumps(value)
            if (kind == "object" and isinstance(value, dict)) or (
                kind == "array" and isinstance(value, list)
            ):
                return to_wire(value, branch, defs)
        return value
    if _is_map(node) and isinstance(value, dict):
        inner = node["additionalProperties"]
        return [{"key": k, "value": to_wire(v, inner, defs)} for k, v in value.items()]
    if node.get("type") == "object" and isinstance(value, dict):
        props = node.get("properties", {})
        return {key: to_wire(value.get(key), sub, defs) for key, sub in props.items()}
    if node.get("type") == "array" and isinstance(value, list):
        return [to_wire(item, node.get("items", {}), defs) for item in value]
    return value
