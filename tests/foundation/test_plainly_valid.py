"""`plainly_valid` never passes a schema jsonschema's metaschema check would refuse.

`flowgen validate` decides the plain embedded schemas (`type`, `properties`, `required`, …)
without importing jsonschema; anything else goes to `check_schema`. Held here against
`check_schema` itself on generated schemas, valid and not.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from jsonschema import Draft202012Validator, SchemaError, validators

from copilot.flow.load import embedded_schema_errors, parse_yaml
from copilot.flow.local_schema import plainly_valid

from .conftest import EXAMPLES

VALUES: list[Any] = [
    "string",
    "integer",
    "object",
    "nope",
    42,
    -1,
    0,
    1.5,
    float("inf"),
    float("nan"),
    True,
    None,
    [],
    ["string"],
    ["string", "string"],
    ["string", "null"],
    ["a", 1],
    {},
    {"type": "string"},
    "^a+$",
    "(",
    "[",
    "a{2,1}",
    "x",
    1.0,
    [1, 2],
    {"a": {"type": 3}},
]
KEYWORDS = [
    "type",
    "properties",
    "items",
    "additionalProperties",
    "required",
    "enum",
    "examples",
    "title",
    "description",
    "$comment",
    "format",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "uniqueItems",
    "pattern",
    "const",
    "default",
    "$ref",
    "allOf",
    "$schema",
    "multipleOf",
    "unknownKw",
]


def random_schema(rng: random.Random, depth: int = 0) -> Any:
    if depth > 2 or rng.random() < 0.1:
        return rng.choice([True, False, {}, {"type": "string"}])
    schema: dict[str, Any] = {}
    for keyword in rng.sample(KEYWORDS, rng.randint(1, 4)):
        if keyword in ("properties",) and rng.random() < 0.7:
            schema[keyword] = {f"p{i}": random_schema(rng, depth + 1) for i in range(rng.randint(0, 3))}
        elif keyword in ("items", "additionalProperties") and rng.random() < 0.7:
            schema[keyword] = random_schema(rng, depth + 1)
        else:
            schema[keyword] = rng.choice(VALUES)
    return schema


def jsonschema_accepts(schema: Any) -> bool:
    try:
        validators.validator_for(schema, default=Draft202012Validator).check_schema(schema)
    except SchemaError:
        return False
    except Exception:
        return False  # a ref that does not resolve, …: not something to pass silently
    return True


def test_plain_schemas_are_decided_without_jsonschema() -> None:
    schema = {
        "type": "object",
        "required": ["id", "body"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "minLength": 1, "pattern": "^[a-z0-9-]+$"},
            "body": {"type": ["string", "null"], "maxLength": 10000, "description": "text"},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "level": {"enum": ["low", "high"], "default": "low"},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
        },
    }
    assert plainly_valid(schema)
    assert jsonschema_accepts(schema)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": 42},
        {"type": "nope"},
        {"type": []},
        {"type": ["string", "string"]},
        {"required": ["a", "a"]},
        {"pattern": "("},
        {"minLength": -1},
        {"minLength": 1.5},
        {"enum": "a"},
        {"properties": {"a": {"type": 3}}},
        {"$ref": "#/$defs/x"},
        {"$schema": "http://json-schema.org/draft-07/schema#", "type": "string"},
        {"allOf": [{"type": "string"}]},
        {"x-custom": 1},
    ],
)
def test_anything_else_is_left_to_jsonschema(schema: dict[str, Any]) -> None:
    assert not plainly_valid(schema)


def test_never_passes_what_the_metaschema_refuses() -> None:
    rng = random.Random(16)
    passed = 0
    for _ in range(3000):
        schema = random_schema(rng)
        if plainly_valid(schema):
            assert jsonschema_accepts(schema), schema
            passed += 1
    assert passed > 100  # the generator reaches the plain schemas, not only the unsure ones


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_the_examples_schemas_are_plain_and_valid(path) -> None:
    doc = parse_yaml(path.read_text(), str(path))
    assert embedded_schema_errors(doc) == []
