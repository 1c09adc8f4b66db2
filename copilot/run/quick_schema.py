"""A JSON Schema's common subset as one compiled predicate: "surely valid", before jsonschema.

`jsonschema` interprets a schema on every call (a validator object per keyword level, the
type checker's registry, the error machinery): ~16 µs for a three-field event, a tenth of
what `flowgen serve` spends per delivery outside the engine. Most `event_schema`s use a
small subset (type, properties, required, additionalProperties, items, enum of strings,
lengths and bounds), which compiles once per flow into nested closures: ~1 µs.

`quick_check(schema)` is that predicate, or None when the schema uses anything outside the
subset (`$ref`, `pattern`, `format`, `not`, `oneOf`, a `$schema` other than draft 6 to
2020-12, …). The predicate only ever answers True when jsonschema would find the value
valid; False means "not sure": the caller then asks jsonschema, which decides and words
the error (`Engine.check_event`). So the answer a caller gets never changes, only how fast
a valid event gets it. `tests/run/test_quick_schema.py` holds it to jsonschema.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Number
from typing import Any

Check = Callable[[Any], bool]

# Keywords that never make a value invalid (annotations).
_ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly"}
    | {"$defs", "definitions"}  # only a `$ref` reads them, and a `$ref` is not compiled
)
# Drafts whose meaning of the subset is the one compiled here (draft 4's boolean
# exclusiveMinimum differs; draft 3 differs widely).
_DRAFTS = frozenset(
    {
        "https://json-schema.org/draft/2020-12/schema",
        "https://json-schema.org/draft/2019-09/schema",
        "http://json-schema.org/draft-07/schema#",
        "http://json-schema.org/draft-07/schema",
        "http://json-schema.org/draft-06/schema#",
        "http://json-schema.org/draft-06/schema",
    }
)


class _Unsupported(Exception):
    """The schema leaves the compiled subset: no quick check."""


def quick_check(schema: Any) -> Check | None:
    """The predicate of `schema` (True: surely valid), or None outside the subset."""
    if isinstance(schema, dict) and "$schema" in schema and schema["$schema"] not in _DRAFTS:
        return None
    try:
        return _compile(schema, top=True)
    except (_Unsupported, TypeError, ValueError):
        return None


def _is_number(value: Any) -> bool:
    return (type(value) is int) or (type(value) is float)


# A keyword that only concerns one JSON type passes any value of another type. "Another
# type" is decided as jsonschema decides it (isinstance: a dict subclass is an object, a
# Decimal a number), so that a value jsonschema checks is never waved through here.


def _not_object(value: Any) -> bool:
    return not isinstance(value, dict)


def _not_array(value: Any) -> bool:
    return not isinstance(value, list)


def _not_string(value: Any) -> bool:
    return not isinstance(value, str)


def _not_number(value: Any) -> bool:
    return isinstance(value, bool) or not isinstance(value, Number)


def _type_check(name: str) -> Check:
    # Exact types: a subclass (or a bool for a number) is left to jsonschema.
    if name == "string":
        return lambda v: type(v) is str
    if name == "object":
        return lambda v: type(v) is dict
    if name == "array":
        return lambda v: type(v) is list
    if name == "boolean":
        return lambda v: type(v) is bool
    if name == "null":
        return lambda v: v is None
    if name == "integer":
        return lambda v: type(v) is int or (type(v) is float and v.is_integer())
    if name == "number":
        return _is_number
    raise _Unsupported(name)


def _compile(schema: Any, *, top: bool = False) -> Check:
    if schema is True or schema == {}:
        return lambda v: True
    if schema is False:
        return lambda v: False
    if not isinstance(schema, dict):
        raise _Unsupported("not a schema")
    checks: list[Check] = []
    for key, value in schema.items():
        if key in _ANNOTATIONS or (key == "$schema" and top):
            continue
        if key == "type":
            names = [value] if isinstance(value, str) else value
            if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
                raise _Unsupported("type")
            types = [_type_check(n) for n in names]
            if len(types) == 1:
                checks.append(types[0])
            else:
                checks.append(lambda v, types=tuple(types): any(t(v) for t in types))
        elif key == "properties":
            if not isinstance(value, dict):
                raise _Unsupported(key)
            props = tuple((name, _compile(sub)) for name, sub in value.items())
            checks.append(lambda v, props=props: _not_object(v) or _properties(v, props))
        elif key == "required":
            if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
                raise _Unsupported(key)
            names = tuple(value)
            checks.append(lambda v, names=names: _not_object(v) or all(n in v for n in names))
        elif key == "additionalProperties":
            if "patternProperties" in schema:
                raise _Unsupported(key)
            known = frozenset(schema.get("properties") or ())
            extra = _compile(value)
            checks.append(
                lambda v, known=known, extra=extra: (
                    _not_object(v) or all(k in known or extra(item) for k, item in v.items())
                )
            )
        elif key == "items":
            if isinstance(value, list):  # tuple validation (older drafts): not compiled
                raise _Unsupported(key)
            item = _compile(value)
            checks.append(lambda v, item=item: _not_array(v) or all(item(x) for x in v))
        elif key == "enum":
            if not isinstance(value, list) or not value or not all(type(x) is str for x in value):
                raise _Unsupported(key)  # 1 == True == 1.0 in Python, not in JSON Schema
            allowed = frozenset(value)
            checks.append(lambda v, allowed=allowed: type(v) is str and v in allowed)
        elif key == "const":
            if type(value) is not str:
                raise _Unsupported(key)
            checks.append(lambda v, const=value: type(v) is str and v == const)
        elif key in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
            checks.append(_size(key, value))
        elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            checks.append(_bound(key, value))
        elif key in ("allOf", "anyOf"):
            if not isinstance(value, list) or not value:
                raise _Unsupported(key)
            subs = tuple(_compile(sub) for sub in value)
            if key == "allOf":
                checks.append(lambda v, subs=subs: all(s(v) for s in subs))
            else:
                checks.append(lambda v, subs=subs: any(s(v) for s in subs))
        else:
            raise _Unsupported(key)
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    every = tuple(checks)
    return lambda v: all(c(v) for c in every)


def _properties(value: dict[str, Any], props: tuple[tuple[str, Check], ...]) -> bool:
    for name, check in props:  # noqa: SIM110  (a loop: no generator per call)
        if name in value and not check(value[name]):
            return False
    return True


def _size(key: str, limit: Any) -> Check:
    if type(limit) is not int or limit < 0:
        raise _Unsupported(key)
    other = _not_string if key.endswith("Length") else _not_array if key.endswith("Items") else _not_object
    if key.startswith("min"):
        return lambda v: other(v) or len(v) >= limit
    return lambda v: other(v) or len(v) <= limit


def _bound(key: str, limit: Any) -> Check:
    if not _is_number(limit):
        raise _Unsupported(key)  # draft 4's boolean exclusiveMinimum, or not a number
    # An int or a float is compared; another number (Decimal, Fraction) is left to jsonschema.
    if key == "minimum":
        return lambda v: (_is_number(v) and v >= limit) or (not _is_number(v) and _not_number(v))
    if key == "maximum":
        return lambda v: (_is_number(v) and v <= limit) or (not _is_number(v) and _not_number(v))
    if key == "exclusiveMinimum":
        return lambda v: (_is_number(v) and v > limit) or (not _is_number(v) and _not_number(v))
    return lambda v: (_is_number(v) and v < limit) or (not _is_number(v) and _not_number(v))
