"""The wire schema compiles in the grammar engines local servers use (issue 17).

Servers that enforce `json_schema` with a grammar turn every `pattern` into grammar rules.
Two converters hold the wire schema to that here:

- llama.cpp's json-schema-to-grammar (llama.cpp, llama-cpp-python, Ollama and LM Studio
  use it): no wheel of llama-cpp-python installs offline here, so its pattern rules are
  ported as a checker (tests/draft/llama_grammar.py);
- outlines-core (the Rust core of Outlines, vLLM's and SGLang's structured output besides
  XGrammar, which needs torch), from PyPI in the dev extra: `build_regex_from_schema` must
  accept the schema, and a drafted flow in the wire shape must match the regex it builds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from copilot.draft.wire import COMPACT_LEAVE_OUT, grammar_pattern, response_format, to_wire

from .llama_grammar import llama_cpp_pattern_problems, schema_patterns

ROOT = Path(__file__).resolve().parents[2]


def _wire(compact: bool) -> dict[str, Any]:
    return response_format(compact)["json_schema"]["schema"]


@pytest.mark.parametrize("compact", [False, True], ids=["full", "compact"])
def test_every_wire_pattern_loads_in_llama_cpp_grammar(compact: bool) -> None:
    patterns = set(schema_patterns(_wire(compact)))
    assert patterns  # durations, ids, names
    problems = {p: llama_cpp_pattern_problems(p) for p in patterns}
    assert {p: why for p, why in problems.items() if why} == {}


def test_the_checker_refuses_what_crashed_llama_cpp() -> None:
    """The patterns of issue 17, as they were: each escape is one problem."""
    old_duration = r"^\d+(\.\d+)?(ms|s|m|h|d)$"
    assert len(llama_cpp_pattern_problems(old_duration)) == 3
    assert llama_cpp_pattern_problems(r"^(model|step|http):\S+$")
    assert llama_cpp_pattern_problems(r"^(?:a|b)$")
    assert llama_cpp_pattern_problems(r"[a-z]+")  # not anchored
    assert llama_cpp_pattern_problems(r"^[a-z]{0,62}\{x\}$") == []


@pytest.mark.parametrize(
    ("pattern", "wire"),
    [
        (r"^\d+(\.\d+)?(ms|s)$", "^[0-9]+([.][0-9]+)?(ms|s)$"),
        (r"^(model|step|http):\S+$", "^(model|step|http):[^ \\t\\n\\r]+$"),
        (r"^\$\{env:[A-Z]\}$", "^[$]\\{env:[A-Z]\\}$"),
        (r"^[\d.]+$", r"^[\d.]+$"),  # inside brackets: left as written
    ],
)
def test_grammar_pattern_uses_character_classes(pattern: str, wire: str) -> None:
    assert grammar_pattern(pattern) == wire


def test_grammar_pattern_matches_what_the_pattern_matches_in_ascii() -> None:
    for pattern in (r"^\d+(\.\d+)?(ms|s|m|h|d)$", r"^(model|step|http):\S+$"):
        wire = grammar_pattern(pattern)
        for text in ("250ms", "1.5s", "1x5s", "model:fast", "step:*", "http:a b", "model:", "12"):
            assert bool(re.fullmatch(pattern, text)) == bool(re.fullmatch(wire, text)), (pattern, text)


def test_compact_leaves_out_only_optional_fields() -> None:
    from copilot.flow.schema import flow_schema

    schema = flow_schema()
    for name, gone in COMPACT_LEAVE_OUT.items():
        node = schema if name == "Flow" else schema["$defs"][name]
        assert gone <= set(node["properties"]), name
        assert not gone & set(node.get("required", [])), name
    full, compact = _wire(False), _wire(True)
    assert set(compact["$defs"]) < set(full["$defs"])
    assert "tests" not in compact["properties"] and "Tests" not in compact["$defs"]
    assert len(json.dumps(compact)) < len(json.dumps(full)) / 2


outlines = pytest.importorskip("outlines_core.json_schema", reason="outlines-core is in the dev extra")


@pytest.mark.parametrize("compact", [False, True], ids=["full", "compact"])
def test_outlines_core_compiles_the_wire_schema(compact: bool) -> None:
    regex = outlines.build_regex_from_schema(json.dumps(_wire(compact)))
    re.compile(regex)


@pytest.mark.parametrize("name", ["support-triage", "fraud-scoring"])
def test_a_drafted_flow_in_the_wire_shape_matches_the_outlines_grammar(name: str) -> None:
    """What a grammar-constrained server could answer (every key, in order) is in the grammar."""
    from copilot.flow.load import load_flow

    data = load_flow(ROOT / "examples" / "flows" / f"{name}.yaml").flow.model_dump(
        by_alias=True, exclude_none=True, mode="json"
    )
    for step in data["steps"]:
        step.setdefault("why", {"block": "enrichment"})  # a draft must say why (DRAFT_REQUIRED)
    answer = json.dumps(to_wire(data), separators=(",", ":"))
    regex = outlines.build_regex_from_schema(json.dumps(_wire(False)))
    assert re.fullmatch(regex, answer)


COMPACT_ANSWER = {
    "apiVersion": "flowgen/v1",
    "kind": "Flow",
    "name": "ticket-triage",
    "description": None,
    "sla": {"latency_p95": "1500ms", "max_cost_per_event": None, "cost_tier": "economy"},
    "trigger": {
        "event_schema": None,
        "example": '{"text": "my invoice is wrong"}',
        "type": "webhook",
        "path": "/hooks/ticket",
        "method": "POST",
        "auth": None,
    },
    "models": [{"key": "fast", "value": {"use": "gpt-4o-mini", "base_url": None}}],
    "steps": [
        {
            "id": "classify",
            "why": {"brief": "classify each ticket", "block": None, "serves": None},
            "needs": None,
            "if": None,
            "mode": None,
            "type": "model",
            "model": "fast",
            "route": None,
            "prompt": {"system": None, "user": "Classify: {{ event.text }}"},
            "output_schema": None,
        }
    ],
    "respond": {"needs": ["classify"], "status": 200, "body": '"{{ steps.classify.output }}"'},
}


def test_a_compact_answer_matches_the_compact_grammar() -> None:
    answer = json.dumps(COMPACT_ANSWER, separators=(",", ":"))
    regex = outlines.build_regex_from_schema(json.dumps(_wire(True)))
    assert re.fullmatch(regex, answer)


def test_the_flow_schema_patterns_accept_what_the_escaped_ones_did() -> None:
    """`[0-9]` and `[.]` in DURATION_PATTERN and RATE_PATTERN (issue 17) accept the same ASCII
    text as `\\d` and `\\.` did; only other scripts' digits (`١٢ms`), which `\\d` matched in
    Python's `re`, are refused now (ECMA-262, what editors use, never took them)."""
    from itertools import product

    from copilot.flow.units import DURATION_PATTERN, RATE_PATTERN

    before = {
        DURATION_PATTERN: r"^\d+(\.\d+)?(ms|s|m|h|d)$",
        RATE_PATTERN: r"^\d+(\.\d+)?/(s|m|h|\d+(\.\d+)?(ms|s|m|h))$",
    }
    alphabet = "019.msdh/ x-"
    texts = ["".join(chars) for size in range(1, 6) for chars in product(alphabet, repeat=size)]
    for now, was in before.items():
        old, new = re.compile(was), re.compile(now)
        assert [t for t in texts if bool(old.fullmatch(t)) != bool(new.fullmatch(t))] == []
        assert old.fullmatch("١٢ms" if now == DURATION_PATTERN else "١٢/s")
        assert not new.fullmatch("١٢ms" if now == DURATION_PATTERN else "١٢/s")
