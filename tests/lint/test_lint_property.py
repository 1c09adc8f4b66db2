"""Property: linting (and fixing) any schema-valid flow never raises.

Flows are built from strategies over the flow models: every step type, random `needs`
(cycles, self-references and unknown names included), templates that read declared,
undeclared and nonsense fields or do not parse, optional blocks everywhere.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copilot.flow.models import Flow
from copilot.lint.engine import lint_text
from copilot.lint.fixes import fix_text

IDS = ["a", "b", "c", "d", "e"]
ALIASES = ["fast", "backup", "custom", "ghost"]
TEMPLATES = [
    "{{ event.id }}",
    "{{ event.body }}",
    "{{ event.nested.deep }}",
    "{{ event.missing }}",
    "{{ steps.a.output }}",
    "{{ steps.b.output.category }}",
    "{{ steps.c.output[0].text }}",
    "{{ steps.nope.output }}",
    "{{ steps.a.status }}",
    "{{ input.category }}",
    "{{ event.body | upper }} and {{ steps.d.output | tojson }}",
    "{% for x in steps.e.output %}{{ x }}{% endfor %}",
    "{{ broken",
    "plain text",
]
SCHEMAS = [
    None,
    {"type": "object"},
    {"type": "object", "properties": {"category": {"type": "string"}, "text": {"type": "string"}}},
    {"type": "array", "items": {"type": "object", "properties": {"text": {"type": "string"}}}},
    {"type": "string"},
    {"anyOf": [{"type": "object"}, {"type": "string"}]},
]
DURATIONS = ["50ms", "300ms", "900ms", "1s", "1.5s", "5s", "30s"]


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


retries = st.fixed_dictionaries(
    {},
    optional={
        "attempts": st.integers(0, 20),
        "backoff": st.sampled_from(["none", "constant", "exponential"]),
        "initial": st.sampled_from(DURATIONS),
        "max": st.sampled_from(DURATIONS),
        "jitter": st.booleans(),
        "on": st.lists(
            st.one_of(st.sampled_from(["timeout", "client_error", "server_error"]), st.integers(400, 599))
        ),
    },
)


def common(step_id: str) -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {"id": st.just(step_id)},
        optional={
            "needs": st.lists(st.sampled_from([*IDS, "zz"]), max_size=3),
            "if": st.sampled_from(TEMPLATES),
            "mode": st.sampled_from(["sync", "async"]),
            "timeout": st.sampled_from(DURATIONS),
            "retry": retries,
            "idempotency_key": st.sampled_from(TEMPLATES),
        },
    )


def model_fields() -> st.SearchStrategy:
    primary = st.one_of(
        st.fixed_dictionaries({"model": st.sampled_from(ALIASES)}),
        st.fixed_dictionaries(
            {
                "route": st.fixed_dictionaries(
                    {"candidates": st.lists(st.sampled_from(ALIASES), min_size=1, max_size=3)},
                    optional={
                        "strategy": st.sampled_from(["cheapest-within-deadline", "fastest", "ordered"])
                    },
                )
            }
        ),
    )
    rest = st.fixed_dictionaries(
        {"type": st.just("model"), "prompt": st.fixed_dictionaries({"user": st.sampled_from(TEMPLATES)})},
        optional={
            "fallback": st.lists(st.sampled_from(ALIASES), max_size=2),
            "hedge": st.fixed_dictionaries({"after": st.sampled_from(DURATIONS)}),
            "max_tokens": st.integers(1, 4000),
            "output_schema": st.sampled_from([s for s in SCHEMAS if s is not None]),
        },
    )
    return st.tuples(primary, rest).map(lambda p: p[0] | p[1])


def typed(step_type: str) -> st.SearchStrategy:
    if step_type == "model":
        return model_fields()
    if step_type == "validate":
        return st.fixed_dictionaries(
            {"type": st.just("validate"), "input": st.sampled_from(TEMPLATES)},
            optional={
                "rules": st.lists(st.fixed_dictionaries({"expr": st.sampled_from(TEMPLATES)}), max_size=2),
                "on_fail": st.fixed_dictionaries({"action": st.sampled_from(["retry", "default", "fail"])}),
                "output_schema": st.sampled_from([s for s in SCHEMAS if s is not None]),
            },
        )
    if step_type == "retrieve":
        return st.fixed_dictionaries(
            {
                "type": st.just("retrieve"),
                "query": st.sampled_from(TEMPLATES),
                "sources": st.lists(
                    st.fixed_dictionaries(
                        {"path": st.just("docs/*.md")}, optional={"pin": st.just("sha256:00")}
                    ),
                    min_size=1,
                    max_size=2,
                ),
            },
            optional={"top_k": st.integers(1, 50), "freshness": st.sampled_from(["1h", "30d", "400d"])},
        )
    if step_type == "transform":
        return st.fixed_dictionaries(
            {
                "type": st.just("transform"),
                "output": st.dictionaries(st.sampled_from(["x", "y"]), st.sampled_from(TEMPLATES)),
            },
            optional={"output_schema": st.sampled_from([s for s in SCHEMAS if s is not None])},
        )
    return st.fixed_dictionaries(
        {
            "type": st.just("http"),
            "request": st.fixed_dictionaries(
                {"url": st.sampled_from(["${env:URL}", "http://example.com/x", "https://api.example.com"])},
                optional={
                    "method": st.sampled_from(["GET", "POST"]),
                    "json": st.dictionaries(st.sampled_from(["t"]), st.sampled_from(TEMPLATES)),
                },
            ),
        }
    )


@st.composite
def flows(draw: Any) -> dict[str, Any]:
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=5, unique=True))
    if draw(st.booleans()):
        ids.append(ids[0])  # a duplicate id
    steps = []
    for step_id in ids:
        kind = draw(st.sampled_from(["model", "validate", "retrieve", "transform", "http"]))
        steps.append(draw(common(step_id)) | draw(typed(kind)))
    trigger = draw(
        st.one_of(
            st.fixed_dictionaries(
                {"type": st.just("webhook"), "path": st.just("/hooks/x")},
                optional={
                    "auth": st.fixed_dictionaries({"scheme": st.sampled_from(["none", "hmac-sha256"])}),
                    "idempotency_key": st.sampled_from(TEMPLATES),
                    "rate_limit": st.fixed_dictionaries({"limit": st.integers(1, 100000)}),
                    "concurrency": st.integers(1, 1000),
                },
            ),
            st.fixed_dictionaries({"type": st.just("schedule"), "every": st.sampled_from(["5m", "1h"])}),
            st.fixed_dictionaries(
                {"type": st.just("queue"), "source": st.just("kafka://b"), "topic": st.just("t")}
            ),
        )
    )
    schema = draw(st.sampled_from(SCHEMAS))
    if schema is not None:
        trigger["event_schema"] = {
            "type": "object",
            "properties": {"id": {"type": "string"}, "body": {"type": "string"}, "nested": schema},
        }
    flow: dict[str, Any] = {"apiVersion": "flowgen/v1", "kind": "Flow", "name": "prop", "trigger": trigger}
    flow["models"] = {
        alias: spec
        for alias, spec in (
            ("fast", {"use": "openai/gpt-4o-mini"}),
            ("backup", {"use": "anthropic/claude-haiku-4-5", "context_window": 1000}),
            ("custom", {"provider": "local", "model": "m", "tier": "heavy"}),
        )
        if draw(st.booleans())
    }
    flow["steps"] = steps
    if draw(st.booleans()):
        flow["sla"] = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "latency_p95": st.sampled_from(DURATIONS),
                    "max_cost_per_event": st.floats(0, 1),
                },
            )
        )
    if draw(st.booleans()):
        flow["respond"] = draw(
            st.fixed_dictionaries(
                {"needs": st.lists(st.sampled_from([*ids, "zz"]), max_size=3)},
                optional={
                    "body": st.dictionaries(st.sampled_from(["a"]), st.sampled_from(TEMPLATES)),
                    "on_deadline": st.fixed_dictionaries({"body": st.sampled_from(TEMPLATES)}),
                },
            )
        )
    if draw(st.booleans()):
        flow["on_error"] = {}
    return flow


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flows())
def test_linting_any_valid_flow_never_raises(data: dict[str, Any]) -> None:
    Flow.model_validate(data)  # the strategy only builds schema-valid flows
    text = json.dumps(data, indent=1)  # JSON is YAML
    findings = lint_text(text, "prop.yaml")
    assert all(f.line >= 1 and f.col >= 1 for f in findings)
    assert not any(f.code == "FG001" for f in findings)
    # FG002 only for a template that does not parse (the schema itself is valid)
    assert all(f.message.startswith("template syntax") for f in findings if f.code == "FG002")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flows())
def test_fixing_any_valid_flow_never_raises_and_keeps_it_valid(data: dict[str, Any]) -> None:
    from copilot.flow.load import load_flow_text

    fixed, _ = fix_text(json.dumps(data, indent=1), "prop.yaml")
    load_flow_text(fixed, "prop.yaml")
