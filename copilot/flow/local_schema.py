"""JSON Schemas from a flow, compiled so that they never fetch anything.

A flow's schemas (`trigger.event_schema`, `output_schema` of steps and of `respond`) come
from untrusted files, and jsonschema's default `$ref` retrieval would fetch `http://`,
`https://` and `file://` URLs while validating (SSRF, local file reads, a hang on a host
that never answers). Every validator built from a flow is built here (`validator`), with a
`referencing.Registry` whose retrieval refuses every URI, so only refs inside the schema
itself (`#/...`, `#anchor`) resolve.

The same walk (`ref_problems`) finds, before anything runs, what would fail or loop at
validation time: a `$ref` that is not local, an `$id` that moves the base URI elsewhere, a
local ref to nothing, refs that lead back to themselves without descending into the
instance (infinite recursion), and refs that fan out: `a1: {allOf: [$ref a0, $ref a0]}`,
`a2` twice `a1`… doubles the work at each level, so forty lines would take 2**40 visits.
The size of a schema with its refs expanded (`expanded_size`) must stay under
`MAX_EXPANDED`. `flowgen validate`, `lint` (FG711) and the engine all use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

from copilot.errors import FlowgenError

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator
    from referencing import Registry

Loc = tuple[str | int, ...]

_REF_KEYS = ("$ref", "$dynamicRef", "$recursiveRef")
# Keywords that apply a subschema to the same instance (no descent): a cycle through only
# these never terminates.
_IN_PLACE_ONE = ("not", "if", "then", "else")
_IN_PLACE_MANY = ("allOf", "anyOf", "oneOf")
_IN_PLACE_MAP = ("dependentSchemas",)
_DATA_KEYWORDS = frozenset({"enum", "const", "examples", "default"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_DEFINITIONS = frozenset({"$defs", "definitions"})  # reached through refs only

MAX_EXPANDED = 100_000
"""Most subschemas one validation may visit per value, refs expanded (each use counted)."""


class SchemaRefError(FlowgenError):
    """A schema that names something outside itself, or loops on itself."""


def _refuse(uri: str) -> NoReturn:
    raise SchemaRefError(
        f"the schema refers to `{uri}`: flow schemas are self-contained, only local refs "
        "(`#/...`) are resolved, nothing is fetched"
    )


@cache
def local_registry() -> Registry[Any]:  # Any: the registry holds JSON documents
    """A registry that holds nothing and retrieves nothing: every non-local ref fails."""
    from referencing import Registry

    return Registry(retrieve=_refuse)  # type: ignore[call-arg]  # an attrs field mypy does not see


def _pointer(schema: Any, fragment: str) -> Any:
    """The node at a JSON pointer fragment (`/properties/a`), or KeyError."""
    node = schema
    if not fragment:
        return node
    if not fragment.startswith("/"):
        raise KeyError(fragment)
    from urllib.parse import unquote

    for raw in fragment[1:].split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(fragment)
    return node


def _anchors(schema: Any, loc: Loc = ()) -> Iterator[tuple[str, Loc]]:
    if isinstance(schema, dict):
        for key in ("$anchor", "$dynamicAnchor"):
            if isinstance(schema.get(key), str):
                yield schema[key], loc
        for key, value in schema.items():
            if key not in _DATA_KEYWORDS:
                yield from _anchors(value, (*loc, key))
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from _anchors(value, (*loc, i))


def _target(schema: Any, ref: str, anchors: dict[str, Loc]) -> Loc | None:
    """Where a local ref points, as a location inside `schema`; None when nowhere."""
    fragment = ref[1:]
    if fragment and not fragment.startswith("/"):
        return anchors.get(fragment)
    try:
        _pointer(schema, fragment)
    except KeyError:
        return None
    from urllib.parse import unquote

    if not fragment:
        return ()
    return tuple(
        int(p) if p.isdigit() else p
        for p in (unquote(raw).replace("~1", "/").replace("~0", "~") for raw in fragment[1:].split("/"))
    )


def _at(schema: Any, loc: Loc) -> Any:
    node = schema
    for part in loc:
        node = node[part]
    return node


def _walk(node: Any, loc: Loc = ()) -> Iterator[tuple[Loc, dict[str, Any]]]:
    """Every subschema (mapping) with its location; data keywords are not descended."""
    if isinstance(node, dict):
        yield loc, node
        for key, value in node.items():
            if key in _DATA_KEYWORDS:
                continue
            if key in _SCHEMA_MAPS and isinstance(value, dict):
                # `properties: {$ref: …}` names a property; its value is the schema
                for name, sub in value.items():
                    yield from _walk(sub, (*loc, key, name))
                continue
            yield from _walk(value, (*loc, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*loc, i))


def _ref_targets(node: dict[str, Any], schema: Any, anchors: dict[str, Loc]) -> Iterator[Loc]:
    """Where the local refs of `node` (`$ref`, `$dynamicRef`, …) point, those that resolve."""
    for key in _REF_KEYS:
        ref = node.get(key)
        if isinstance(ref, str) and ref.startswith("#"):
            target = _target(schema, ref, anchors)
            if target is not None:
                yield target


def _in_place(node: dict[str, Any], loc: Loc, schema: Any, anchors: dict[str, Loc]) -> Iterator[Loc]:
    """The subschemas `node` applies to the same instance."""
    yield from _ref_targets(node, schema, anchors)
    for key in _IN_PLACE_ONE:
        if isinstance(node.get(key), dict):
            yield (*loc, key)
    for key in _IN_PLACE_MANY:
        if isinstance(node.get(key), list):
            yield from ((*loc, key, i) for i, sub in enumerate(node[key]) if isinstance(sub, dict))
    for key in _IN_PLACE_MAP:
        if isinstance(node.get(key), dict):
            yield from ((*loc, key, name) for name, sub in node[key].items() if isinstance(sub, dict))


def _node_at(schema: Any, loc: Loc) -> Any:
    try:
        return _at(schema, loc)
    except (KeyError, IndexError, TypeError):
        return None


def _children(schema: Any, loc: Loc, anchors: dict[str, Loc]) -> Iterator[Loc]:
    """The subschemas validation may visit from the one at `loc`: its own, and its refs' targets."""
    node = _node_at(schema, loc)
    if not isinstance(node, dict):
        return
    yield from _ref_targets(node, schema, anchors)
    for key, value in node.items():
        if key in _DATA_KEYWORDS or key in _DEFINITIONS:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            yield from ((*loc, key, name) for name, sub in value.items() if isinstance(sub, dict))
        elif isinstance(value, dict):
            yield (*loc, key)
        elif isinstance(value, list):
            yield from ((*loc, key, i) for i, sub in enumerate(value) if isinstance(sub, dict))


def expanded_size(
    schema: Any, start: Loc = (), *, anchors: dict[str, Loc] | None = None, memo: dict[Loc, int] | None = None
) -> int:
    """How many subschemas validating one value against `schema` (at `start`) may visit, refs expanded.

    Each use of a ref counts its target's whole size again, so refs that repeat refs
    multiply; a ref back to a subschema being counted (recursion into the value) counts
    one. Memoised per location and iterative; the count stops just past `MAX_EXPANDED`.
    """
    anchors = dict(_anchors(schema)) if anchors is None else anchors
    memo = {} if memo is None else memo
    if start in memo:
        return memo[start]
    cap = MAX_EXPANDED + 1
    on_path = {start}
    frames: list[tuple[Loc, Iterator[Loc], list[int]]] = [(start, _children(schema, start, anchors), [1])]
    while frames:
        loc, children, total = frames[-1]
        child = next(children, None)
        if child is None:
            frames.pop()
            on_path.discard(loc)
            memo[loc] = min(total[0], cap)
            if frames:
                parent = frames[-1][2]
                parent[0] = min(parent[0] + memo[loc], cap)
        elif child in memo:
            total[0] = min(total[0] + memo[child], cap)
        elif child in on_path:
            total[0] = min(total[0] + 1, cap)
        else:
            on_path.add(child)
            frames.append((child, _children(schema, child, anchors), [1]))
    return memo[start]


def _fan_out(schema: Any, nodes: list[tuple[Loc, dict[str, Any]]], anchors: dict[str, Loc]) -> Loc | None:
    """The first `$ref` whose expansion is over `MAX_EXPANDED`, when the schema's is."""
    memo: dict[Loc, int] = {}
    if expanded_size(schema, (), anchors=anchors, memo=memo) <= MAX_EXPANDED:
        return None
    for loc, node in nodes:
        key = next((k for k in _REF_KEYS if isinstance(node.get(k), str)), None)
        if key is not None and expanded_size(schema, loc, anchors=anchors, memo=memo) > MAX_EXPANDED:
            return (*loc, key)
    return ()


def ref_problems(schema: Any) -> list[tuple[Loc, str]]:
    """What in `schema` would fetch, fail or loop, each with its location inside the schema."""
    if not isinstance(schema, dict):
        return []
    anchors = dict(_anchors(schema))
    out: list[tuple[Loc, str]] = []
    nodes = list(_walk(schema))
    for loc, node in nodes:
        for key in _REF_KEYS:
            ref = node.get(key)
            if key not in node:
                continue
            if not isinstance(ref, str) or not ref.startswith("#"):
                out.append(
                    (
                        (*loc, key),
                        f"`{key}: {ref}` is not a local ref: flow schemas are self-contained "
                        "(nothing is fetched); copy the definition under `$defs` and refer to "
                        "it as `#/$defs/NAME`",
                    )
                )
            elif _target(schema, ref, anchors) is None:
                out.append(((*loc, key), f"`{key}: {ref}` points at nothing in this schema"))
        base = node.get("$id")
        if isinstance(base, str) and not base.startswith("#"):
            out.append(
                ((*loc, "$id"), f"`$id: {base}` makes refs resolve against another document; remove it")
            )
    cycle = _in_place_cycle(schema, nodes, anchors)
    if cycle is not None:
        out.append(
            (
                cycle,
                "this `$ref` leads back to itself without descending into the value "
                "(validation would never end); break the loop",
            )
        )
        return out
    fan_out = _fan_out(schema, nodes, anchors)
    if fan_out is not None:
        out.append(
            (
                fan_out,
                f"this schema expands to more than {MAX_EXPANDED:,} subschemas with its refs "
                "followed (refs that repeat refs multiply the work of validating every value); "
                "refer to each definition once, or flatten it",
            )
        )
    return out


def _in_place_cycle(
    schema: Any, nodes: list[tuple[Loc, dict[str, Any]]], anchors: dict[str, Loc]
) -> Loc | None:
    """The location of a `$ref` on an in-place cycle, if there is one (iterative DFS)."""
    done: set[Loc] = set()
    for start, _ in nodes:
        if start in done:
            continue
        path: list[Loc] = [start]
        stack: list[Iterator[Loc]] = [_in_place(_at(schema, start), start, schema, anchors)]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                done.add(path.pop())
            elif child in path:
                loop = path[path.index(child) :]
                for loc in loop:
                    node = _at(schema, loc)
                    key = next((k for k in _REF_KEYS if isinstance(node.get(k), str)), None)
                    if key is not None:
                        return (*loc, key)
                return loop[0]
            elif child not in done:
                node = _at(schema, child)
                path.append(child)
                stack.append(_in_place(node, child, schema, anchors) if isinstance(node, dict) else iter(()))
    return None


def flow_schemas(data: dict[str, Any]) -> Iterator[tuple[Loc, Any]]:
    """Each JSON Schema a flow document holds, with its location."""
    trigger = data.get("trigger")
    if isinstance(trigger, dict) and isinstance(trigger.get("event_schema"), dict):
        yield ("trigger", "event_schema"), trigger["event_schema"]
    for index, step in enumerate(data.get("steps") or []):
        if isinstance(step, dict) and isinstance(step.get("output_schema"), dict):
            yield ("steps", index, "output_schema"), step["output_schema"]
    respond = data.get("respond")
    if isinstance(respond, dict) and isinstance(respond.get("output_schema"), dict):
        yield ("respond", "output_schema"), respond["output_schema"]


# The keywords `plainly_valid` decides, by what Draft 2020-12's metaschema asks of their value.
_TYPE_NAMES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})
_TEXT_KEYWORDS = frozenset({"title", "description", "$comment", "format"})
_COUNT_KEYWORDS = frozenset(
    {"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"}
)
_NUMBER_KEYWORDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
_ANY_VALUE_KEYWORDS = frozenset({"const", "default"})


def plainly_valid(schema: Any) -> bool:
    """True when `schema` certainly passes Draft 2020-12's metaschema; False when unsure.

    Why not always jsonschema's `check_schema`: importing jsonschema and building the
    metaschema's validator is ~55 ms, a third of `flowgen validate` on a one-flow file
    (bench/README.md, "Start-up"), for schemas that are nearly always a handful of
    `type`/`properties`/`required`. This decides only those: a schema without `$schema`
    (so jsonschema takes Draft 2020-12) whose keywords are all below, each with the value the
    metaschema requires (`type` a type name or a non-empty list of distinct ones, `required`
    distinct strings, a count a non-negative int, a bound a finite number, `pattern` a
    regex `re` compiles, as jsonschema's format check does, `properties` and `items`
    schemas). Anything else (`$ref`, `allOf`, another draft, an unknown keyword, a value of
    another type) is False, and `check_schema` decides, so an error is always jsonschema's.
    `tests/foundation/test_plainly_valid.py` holds it to `check_schema` on generated schemas.
    """
    import math

    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    for keyword, value in schema.items():
        if keyword == "type":
            names = value if isinstance(value, list) else [value]
            if not names or not all(isinstance(n, str) and n in _TYPE_NAMES for n in names):
                return False
            if len(set(names)) != len(names):
                return False
        elif keyword == "properties":
            if not isinstance(value, dict) or not all(plainly_valid(sub) for sub in value.values()):
                return False
        elif keyword in ("items", "additionalProperties"):
            if not plainly_valid(value):
                return False
        elif keyword == "required":
            if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
                return False
            if len(set(value)) != len(value):
                return False
        elif keyword in ("enum", "examples"):
            if not isinstance(value, list):
                return False
        elif keyword in _TEXT_KEYWORDS:
            if not isinstance(value, str):
                return False
        elif keyword in _COUNT_KEYWORDS:
            if type(value) is not int or value < 0:
                return False
        elif keyword in _NUMBER_KEYWORDS:
            if type(value) not in (int, float) or not math.isfinite(value):
                return False
        elif keyword == "uniqueItems":
            if not isinstance(value, bool):
                return False
        elif keyword == "pattern":
            if not isinstance(value, str) or not _compiles(value):
                return False
        elif keyword not in _ANY_VALUE_KEYWORDS:
            return False
    return True


def _compiles(pattern: str) -> bool:
    import re

    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return False
    return True


def flow_schema_problems(data: dict[str, Any]) -> list[tuple[Loc, str]]:
    """Every ref problem of a flow document's schemas, located in the document."""
    return [
        ((*loc, *inner), message)
        for loc, schema in flow_schemas(data)
        for inner, message in ref_problems(schema)
    ]


def validator(schema: dict[str, Any] | None, where: str) -> Validator | None:
    """A compiled validator for a flow's schema that resolves only local refs, or None.

    Raises a FlowgenError naming `where` for an invalid schema or a ref problem.
    """
    if schema is None:
        return None
    from jsonschema import exceptions, validators

    from copilot.flow.document import loc_path

    problems = ref_problems(schema)
    if problems:
        loc, message = problems[0]
        raise SchemaRefError(f"{loc_path(loc, where)}: {message}")
    from copilot.flow.patterns import safe_patterns

    try:
        # `pattern` and `patternProperties` matched by RE2 (linear time): the text is the event's.
        cls = safe_patterns(validators.validator_for(schema))
        cls.check_schema(schema)
    except exceptions.SchemaError as exc:
        raise FlowgenError(f"{where}: invalid JSON Schema: {exc.message}") from None
    return cls(schema, registry=local_registry())


def first_error(validator: Validator, value: Any) -> ValidationError | None:
    """The most relevant `ValidationError` of `value`, or None when it is valid.

    A ref that still cannot be resolved, or a loop the static check missed, is one clear
    FlowgenError, never a RecursionError or a referencing traceback.
    """
    from jsonschema.exceptions import best_match
    from referencing.exceptions import Unresolvable

    try:
        if validator.is_valid(value):
            return None
        best: ValidationError | None = best_match(validator.iter_errors(value))
        return best
    except RecursionError:
        raise SchemaRefError("the schema refers to itself without end; break the `$ref` loop") from None
    except Unresolvable as exc:
        raise SchemaRefError(f"the schema has a ref that cannot be resolved: {exc}") from None
    except SchemaRefError:
        raise
    except Exception as exc:  # jsonschema wraps retrieval errors in its own types
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, SchemaRefError):
            raise cause from None
        if "Unresolvable" in type(exc).__name__ or "Referencing" in type(exc).__name__:
            raise SchemaRefError(f"the schema has a ref that cannot be resolved: {exc}") from None
        raise
