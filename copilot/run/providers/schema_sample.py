"""A value that satisfies a JSON Schema, chosen deterministically from a random source.

The sim provider answers structured-output requests with it, so a flow's downstream
steps (validate rules, templates reading `steps.x.output.field`) see realistic shapes:
enums pick one of their values (the one the prompt names, if any), required keys are
present, arrays have items, strings are words.

Why not a maintained generator: hypothesis-jsonschema (the one that covers the whole
of JSON Schema) builds Hypothesis strategies for test-case search. It would make
Hypothesis, a test tool, a runtime dependency of `flowgen run`; drawing one value per
call from a seed is what Hypothesis discourages outside tests (`.example()`), and
resolving a schema into a strategy costs milliseconds where the simulator answers in
microseconds; its values are built to find edge cases (empty strings, odd Unicode), not
to look like traffic; and it cannot pick the enum value a prompt names. The subset here
is what flows' output schemas use: const, enum, oneOf/anyOf (the first), allOf (merged),
the six types with their bounds, and a few string formats.
"""

from __future__ import annotations

import random
from typing import Any

# fmt: off
_WORDS = [
    "account", "billing", "reset", "password", "answer", "order", "refund", "customer", "ticket",
    "update", "status", "summary", "request", "issue", "help", "access", "login", "export", "report",
    "invoice", "plan", "team",
]
# fmt: on
MAX_DEPTH = 12


def sample(schema: Any, rng: random.Random, words: list[str] | None = None, depth: int = 0) -> Any:
    """A value valid against `schema` (a JSON Schema dict; `True`/`{}` accept anything)."""
    vocabulary = words or _WORDS
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return _text(rng, vocabulary, 6)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return _enum(schema["enum"], rng, vocabulary)
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return sample(schema[key][0], rng, vocabulary, depth + 1)
    if isinstance(schema.get("allOf"), list) and schema["allOf"]:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            if isinstance(part, dict):
                for k, v in part.items():
                    if k == "properties" and isinstance(v, dict):
                        merged.setdefault("properties", {}).update(v)
                    elif k == "required" and isinstance(v, list):
                        merged.setdefault("required", []).extend(v)
                    else:
                        merged.setdefault(k, v)
        return sample(merged, rng, vocabulary, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        props = schema.get("properties") or {}
        out = {}
        for name, sub in props.items():
            out[name] = sample(sub, rng, vocabulary, depth + 1)
        for name in schema.get("required") or []:
            if name not in out:
                out[name] = _text(rng, vocabulary, 3)
        return out
    if kind == "array":
        low = int(schema.get("minItems", 1))
        high = int(schema.get("maxItems", max(low, 3)))
        count = rng.randint(low, max(low, min(high, low + 2)))
        return [sample(schema.get("items", {}), rng, vocabulary, depth + 1) for _ in range(count)]
    if kind == "integer":
        low, high = _bounds(schema, 0, 100, integer=True)
        return rng.randint(int(low), int(high))
    if kind == "number":
        low, high = _bounds(schema, 0.0, 1.0, integer=False)
        return round(rng.uniform(low, high), 4)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    return _string(schema, rng, vocabulary)


def _enum(values: list[Any], rng: random.Random, words: list[str]) -> Any:
    """A value the prompt names, else the first value half the time (the common case), else any.

    So a simulated classifier answers `billing` for a ticket about billing, and most
    other tickets fall in the first class, as real traffic tends to.
    """
    named = {w.lower() for w in words}
    for value in values:
        if isinstance(value, str) and value.lower() in named:
            return value
    return values[0] if rng.random() < 0.5 else rng.choice(values)


def _bounds(schema: dict[str, Any], low: float, high: float, *, integer: bool) -> tuple[float, float]:
    lo = schema.get("minimum", schema.get("exclusiveMinimum", low))
    hi = schema.get("maximum", schema.get("exclusiveMaximum", max(high, lo)))
    if "exclusiveMinimum" in schema and "minimum" not in schema:
        lo = lo + 1 if integer else lo + 1e-6
    if "exclusiveMaximum" in schema and "maximum" not in schema:
        hi = hi - 1 if integer else hi - 1e-6
    return lo, max(lo, hi)


def _string(schema: dict[str, Any], rng: random.Random, words: list[str]) -> str:
    fmt = schema.get("format")
    if fmt == "email":
        return f"{rng.choice(words)}@example.com"
    if fmt == "date":
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if fmt == "date-time":
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T12:00:00Z"
    if fmt in ("uri", "url"):
        return f"https://example.com/{rng.choice(words)}"
    text = _text(rng, words, 8)
    low = int(schema.get("minLength", 0))
    high = schema.get("maxLength")
    while len(text) < low:
        text += " " + rng.choice(words)
    if high is not None:
        text = text[: int(high)]
    return text


def _text(rng: random.Random, words: list[str], count: int) -> str:
    return " ".join(rng.choice(words) for _ in range(count))
