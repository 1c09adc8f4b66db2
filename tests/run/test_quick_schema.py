"""The compiled event-schema predicate never calls valid what jsonschema calls invalid.

`copilot.run.quick_schema.quick_check` answers True only for a value jsonschema accepts;
False sends the value to jsonschema. Random schemas of the compiled subset and random
values (JSON ones and a few that are not: a Decimal, a dict subclass, a bool for a number)
are checked both ways; on plain JSON values of the subset the two agree exactly.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from copilot.run.quick_schema import quick_check


class Sub(dict):  # type: ignore[type-arg]
    pass


def valid(schema: Any, value: Any) -> bool:
    return bool(Draft202012Validator(schema).is_valid(value))


def random_schema(rng: random.Random, depth: int = 0) -> Any:
    if depth > 2 or rng.random() < 0.25:
        kind = rng.choice(["string", "integer", "number", "boolean", "null", None, "enum", "const"])
        if kind is None:
            return rng.choice([True, False, {}, {"description": "x"}])
        if kind == "enum":
            return {"enum": rng.sample(["a", "b", "c", "d"], rng.randint(1, 3))}
        if kind == "const":
            return {"const": rng.choice(["a", "b"])}
        schema: dict[str, Any] = {"type": kind if rng.random() < 0.8 else [kind, "null"]}
        if kind == "string" and rng.random() < 0.5:
            schema["minLength"] = rng.randint(0, 3)
            schema["maxLength"] = rng.randint(2, 6)
        if kind in ("integer", "number") and rng.random() < 0.6:
            key = rng.choice(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"])
            schema[key] = rng.choice([0, 1, 2.5, -3])
        return schema
    shape = rng.choice(["object", "array", "anyOf", "allOf", "untyped"])
    if shape == "array":
        schema = {"type": "array", "items": random_schema(rng, depth + 1)}
        if rng.random() < 0.4:
            schema["minItems"] = rng.randint(0, 2)
            schema["maxItems"] = rng.randint(1, 4)
        return schema
    if shape in ("anyOf", "allOf"):
        return {shape: [random_schema(rng, depth + 1) for _ in range(rng.randint(1, 3))]}
    names = rng.sample(["id", "text", "n", "tags", "meta"], rng.randint(1, 4))
    schema = {"properties": {n: random_schema(rng, depth + 1) for n in names}}
    if shape == "object":
        schema["type"] = "object"
    if rng.random() < 0.6:
        schema["required"] = rng.sample(names, rng.randint(0, len(names)))
    if rng.random() < 0.4:
        schema["additionalProperties"] = rng.choice([False, True, {"type": "string"}])
    if rng.random() < 0.3:
        schema["minProperties" if rng.random() < 0.5 else "maxProperties"] = rng.randint(0, 3)
    return schema


def random_value(rng: random.Random, depth: int = 0, odd: bool = False) -> Any:
    leaves: list[Any] = ["a", "b", "", "abcdefg", 0, 1, 2, -3, 2.5, 3.0, True, False, None]
    if odd:
        leaves += [Decimal("-5"), Decimal("1.5"), 1e400]
    if depth > 2 or rng.random() < 0.4:
        return rng.choice(leaves)
    if rng.random() < 0.3:
        return [random_value(rng, depth + 1, odd) for _ in range(rng.randint(0, 4))]
    names = ["id", "text", "n", "tags", "meta", "other"]
    value = {n: random_value(rng, depth + 1, odd) for n in rng.sample(names, rng.randint(0, 5))}
    return Sub(value) if odd and rng.random() < 0.2 else value


def test_random_schemas_never_wave_an_invalid_value_through() -> None:
    rng = random.Random(13)
    agreed = compiled = 0
    for _ in range(400):
        schema = random_schema(rng)
        quick = quick_check(schema)
        if quick is None:
            continue
        compiled += 1
        for _ in range(25):
            odd = rng.random() < 0.3
            value = random_value(rng, odd=odd)
            truth = valid(schema, value)
            fast = quick(value)
            assert not (fast and not truth), (schema, value)
            if not odd and fast == truth:
                agreed += 1
    assert compiled > 300
    assert agreed > 0


@pytest.mark.parametrize(
    ("schema", "value", "expected"),
    [
        ({"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}, {"id": "x"}, True),
        ({"type": "object", "required": ["id"]}, {}, False),
        ({"type": "integer"}, 3.0, True),  # draft 6 and later: a float with no fraction is an integer
        ({"type": "number"}, True, False),
        ({"minimum": 0}, Decimal("-1"), False),  # jsonschema compares a Decimal: not waved through
        ({"required": ["a"]}, Sub(), False),  # a dict subclass is an object to jsonschema
        ({"enum": ["1"]}, 1, False),
        ({"type": "object", "additionalProperties": False, "properties": {"a": True}}, {"a": 1}, True),
        ({"type": "object", "additionalProperties": False, "properties": {"a": True}}, {"b": 1}, False),
    ],
)
def test_cases(schema: Any, value: Any, expected: bool) -> None:
    quick = quick_check(schema)
    assert quick is not None
    assert quick(value) is expected
    if expected:
        assert valid(schema, value)


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#/$defs/x", "$defs": {"x": {}}},
        {"type": "string", "pattern": "^a"},
        {"type": "string", "format": "email"},
        {"not": {"type": "string"}},
        {"oneOf": [{"type": "string"}]},
        {"enum": [1, 2]},  # 1 == True in Python, not in JSON Schema
        {"$schema": "http://json-schema.org/draft-04/schema#", "type": "integer"},
        {"items": [{"type": "string"}]},
        {"type": "object", "patternProperties": {"^a": {}}, "additionalProperties": False},
        {"exclusiveMinimum": True},
    ],
)
def test_outside_the_subset_there_is_no_quick_check(schema: Any) -> None:
    assert quick_check(schema) is None
