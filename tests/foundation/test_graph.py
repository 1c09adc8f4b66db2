"""The graph: DAG order, cycles, hot/async/off path, critical path and worst case by hand."""

from __future__ import annotations

import math

import pytest

from copilot.catalog import default_catalog
from copilot.flow.check import structural_problems
from copilot.flow.estimate import backoff_total, route_choice
from copilot.flow.graph import analyze, build_graph
from copilot.flow.load import load_flow_text
from copilot.flow.models import Retry

from .conftest import flowgen

# Two models with round figures, so every estimate below can be worked out by hand.
# a: p50 200ms, p95 500ms; b: p50 100ms, p95 150ms (another provider).
HAND = """\
apiVersion: flowgen/v1
kind: Flow
name: hand
sla: {latency_p95: 2s, max_cost_per_event: 0.01}
trigger:
  type: webhook
  path: /h
  example: {body: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}   # 40 characters = 10 tokens
models:
  a: {provider: p1, model: m-a, latency: {p50: 200ms, p95: 500ms},
      price: {input_per_mtok: 1, output_per_mtok: 2}}
  b: {provider: p2, model: m-b, latency: {p50: 100ms, p95: 150ms},
      price: {input_per_mtok: 3, output_per_mtok: 4}}
steps:
  - id: s1
    type: transform
    output: {x: 1}
  - id: m1                     # timeout above a's p95: p95 = 500ms
    type: model
    needs: [s1]
    model: a
    fallback: [b]
    prompt: {user: "{{ event.body }}"}
    max_tokens: 100
    timeout: 1s
    retry: {attempts: 2, backoff: exponential, initial: 100ms, max: 150ms, jitter: true}
  - id: m2                     # timeout below a's p95: 400ms + b's p95 150ms = 550ms
    type: model
    needs: [s1]
    model: a
    fallback: [b]
    prompt: {user: "{{ event.body }}"}
    max_tokens: 100
    timeout: 400ms
  - id: m3                     # hedged after 300ms: min(500, 300 + 150) = 450ms
    type: model
    needs: [m1]
    model: a
    fallback: [b]
    hedge: {after: 300ms}
    prompt: {user: "{{ event.body }}"}
    max_tokens: 100
    timeout: 1s
  - id: h1                     # no timeout: default http p95 300ms, worst case unbounded
    type: http
    needs: [m2]
    request: {url: "${env:URL}"}
  - id: side                   # sync, but nothing on the hot path waits for it
    type: transform
    needs: [s1]
    output: {y: 2}
  - id: later
    type: model
    mode: async
    needs: [m1]
    model: b
    prompt: {user: "{{ event.body }}"}
    max_tokens: 100
    timeout: 5s
respond:
  needs: [m3, h1]
"""

LOCAL_P95 = 0.002  # validate and transform steps (in-process)


@pytest.fixture(scope="module")
def analysis():
    return analyze(load_flow_text(HAND, "hand.yaml").flow)


def test_per_step_estimates_by_hand(analysis) -> None:
    e = analysis.estimates
    assert e["s1"].p95 == pytest.approx(LOCAL_P95)
    assert e["m1"].p95 == pytest.approx(0.5)
    # two calls (a, then b) x (1 + 2 retries) x 1s timeout + backoff min(150, 100) + min(150, 200)
    assert e["m1"].worst == pytest.approx(2 * (3 * 1.0 + 0.25))
    assert e["m2"].p95 == pytest.approx(0.4 + 0.15)
    assert e["m2"].worst == pytest.approx(2 * 0.4)
    assert e["m3"].p95 == pytest.approx(0.3 + 0.15)
    assert e["m3"].worst == pytest.approx(2 * 1.0)
    assert e["h1"].p95 == pytest.approx(0.3)
    assert math.isinf(e["h1"].worst)
    assert e["m1"].p50 == pytest.approx(0.2)
    assert e["m1"].model == "a" and e["later"].model == "b"


def test_critical_path_and_worst_case_by_hand(analysis) -> None:
    # s1 -> m1 -> m3 = 2 + 500 + 450 = 952 ms beats s1 -> m2 -> h1 = 2 + 550 + 300 = 852 ms.
    assert analysis.critical_path.steps == ["s1", "m1", "m3"]
    assert analysis.critical_path.p95 == pytest.approx(LOCAL_P95 + 0.5 + 0.45)
    assert analysis.critical_path.worst == pytest.approx(LOCAL_P95 + 6.5 + 2.0)
    # The worst case is the chain with the call that has no timeout: unbounded.
    assert analysis.worst_path.steps == ["s1", "m2", "h1"]
    assert math.isinf(analysis.worst_path.worst)
    assert analysis.worst_path.p95 == pytest.approx(LOCAL_P95 + 0.55 + 0.3)
    assert analysis.p95 == analysis.critical_path.p95
    assert analysis.sla == 2.0 and analysis.budget == 0.01
    data = analysis.to_dict()
    assert data["critical_path"] == {"steps": ["s1", "m1", "m3"], "p95_ms": 952.0, "worst_ms": 8502.0}
    assert data["worst_case"] == {"steps": ["s1", "m2", "h1"], "worst_ms": None}  # infinity as null


def test_cost_by_hand(analysis) -> None:
    # 10 input tokens, max_tokens 100 output tokens per model call, first attempt only.
    cost_a = (10 * 1 + 100 * 2) / 1e6
    cost_b = (10 * 3 + 100 * 4) / 1e6
    assert analysis.estimates["m1"].input_tokens == 10
    assert analysis.estimates["m1"].cost == pytest.approx(cost_a)
    assert analysis.cost_per_event == pytest.approx(3 * cost_a + cost_b)  # async steps count too


def test_hot_path_async_and_off_path(analysis) -> None:
    assert analysis.hot_path == ["s1", "m1", "m2", "m3", "h1"]
    assert analysis.async_steps == ["later"]
    assert analysis.off_path == ["side"]
    graph = analysis.graph
    assert graph.hot_path == {"s1", "m1", "m2", "m3", "h1"}
    assert graph.off_path == {"side", "later"}
    assert graph.dependants["s1"] == ["m1", "m2", "side"]
    assert graph.descendants("m1") == {"m3", "later"}
    assert graph.ancestors(["h1"]) == {"h1", "m2", "s1"}


REVERSED = """\
apiVersion: flowgen/v1
kind: Flow
name: reversed
trigger: {type: webhook, path: /r}
steps:
  - {id: last, type: transform, needs: [middle, other], output: 1}
  - {id: other, type: transform, output: 2}
  - {id: middle, type: transform, needs: [first], output: 3}
  - {id: first, type: transform, output: 4}
respond: {needs: [last]}
"""


def test_topological_order_puts_needs_first_and_breaks_ties_by_file_order() -> None:
    graph = build_graph(load_flow_text(REVERSED, "r.yaml").flow)
    assert graph.order == ["last", "other", "middle", "first"]
    assert graph.topological_order() == ["other", "first", "middle", "last"]
    assert build_graph(load_flow_text(HAND, "h.yaml").flow).topological_order() == [
        "s1",
        "m1",
        "m2",
        "m3",
        "h1",
        "side",
        "later",
    ]


CYCLE = """\
apiVersion: flowgen/v1
kind: Flow
name: cyclic
trigger: {type: webhook, path: /c}
steps:
  - {id: a, type: transform, needs: [c], output: 1}
  - {id: b, type: transform, needs: [a], output: 2}
  - {id: c, type: transform, needs: [b], output: 3}
  - {id: d, type: transform, output: 4}
respond: {needs: [c]}
"""


def test_a_cycle_is_named_step_by_step() -> None:
    loaded = load_flow_text(CYCLE, "cyclic.yaml")
    graph = build_graph(loaded.flow)
    assert graph.cycle() == ["a", "c", "b", "a"]  # a needs c, c needs b, b needs a
    assert graph.topological_order() == ["d"]  # steps on the cycle have no order
    problems = structural_problems(loaded)
    assert [(p.code, p.message) for p in problems] == [
        ("FG004", "dependency cycle: a -> c -> b -> a (each needs the next)")
    ]
    assert problems[0].position.line == 6
    analysis = analyze(loaded.flow)
    assert analysis.cycle == ["a", "c", "b", "a"] and analysis.critical_path is None


def test_a_cycle_through_the_cli_exits_1_with_its_position(tmp_path) -> None:
    path = tmp_path / "cyclic.yaml"
    path.write_text(CYCLE)
    run = flowgen("validate", str(path))
    assert run.code == 1
    assert (
        run.stderr.strip() == f"{path}:6:37: FG004 dependency cycle: a -> c -> b -> a (each needs the next)"
    )


def test_sync_needing_async_and_unknown_references(tmp_path) -> None:
    text = HAND.replace(
        "    needs: [m1]\n    model: a\n    fallback: [b]\n    hedge",
        "    needs: [later]\n    model: a\n    fallback: [bb]\n    hedge",
    )
    loaded = load_flow_text(text, "x.yaml")
    codes = [(p.code, p.message) for p in structural_problems(loaded)]
    assert ("FG003", "model alias `bb` is not defined, did you mean `b`?") in codes
    assert any(code == "FG005" and "sync step `m3` needs async step `later`" in msg for code, msg in codes)
    assert build_graph(loaded.flow).sync_needs_async() == [("m3", "later")]


def test_backoff_totals() -> None:
    assert backoff_total(None) == 0.0
    assert backoff_total(Retry(attempts=0)) == 0.0
    assert backoff_total(Retry(attempts=3, backoff="none")) == 0.0
    assert backoff_total(Retry(attempts=3, backoff="constant", initial="200ms")) == pytest.approx(0.6)
    # exponential, capped: 100 + 200 + 400 + 400 (cap) = 1.1 s
    assert backoff_total(
        Retry(attempts=4, backoff="exponential", initial="100ms", max="400ms")
    ) == pytest.approx(1.1)


def test_route_choice_by_strategy() -> None:
    text = HAND.replace(
        '    fallback: [b]\n    prompt: {user: "{{ event.body }}"}\n    max_tokens: 100\n    timeout: 400ms',
        '    prompt: {user: "{{ event.body }}"}\n    max_tokens: 100\n    timeout: 400ms',
    ).replace(
        "    needs: [s1]\n    model: a\n    prompt",
        "    needs: [s1]\n    route: {candidates: [a, b], strategy: STRATEGY}\n    prompt",
    )
    catalog = default_catalog()
    for strategy, expected in (("fastest", "b"), ("cheapest", "a"), ("ordered", "a")):
        flow = load_flow_text(text.replace("STRATEGY", strategy), "r.yaml").flow
        analysis = analyze(flow, catalog)
        assert analysis.estimates["m2"].model == expected, strategy
    flow = load_flow_text(text.replace("STRATEGY", "cheapest-within-deadline"), "r.yaml").flow
    from copilot.flow.estimate import model_profiles

    profiles = model_profiles(flow, catalog)
    step = flow.step("m2")
    assert route_choice(step, profiles, deadline=1.0) == "a"  # cheapest that fits 1 s
    assert route_choice(step, profiles, deadline=0.2) == "b"  # only b fits 200 ms
    assert route_choice(step, profiles, deadline=0.1) == "b"  # none fits: the fastest


def test_a_model_outside_the_catalog_is_unknown_not_free_and_instant() -> None:
    from tests.foundation.conftest import MINIMAL_FLOW

    text = MINIMAL_FLOW.replace("openai/gpt-4o-mini-2024-07-18", "openai/nope")
    analysis = analyze(load_flow_text(text, "u.yaml").flow, default_catalog())
    assert analysis.unknown_steps == ["classify"]
    assert not analysis.hot_path_known
    data = analysis.to_dict()
    assert data["critical_path"]["p95_ms"] is None and data["worst_case"]["worst_ms"] is None
    assert data["cost_per_event_usd"] is None
    assert data["steps"]["classify"]["p95_ms"] is None and data["steps"]["classify"]["cost_usd"] is None
    known = analyze(load_flow_text(MINIMAL_FLOW, "k.yaml").flow, default_catalog()).to_dict()
    assert known["unknown_steps"] == [] and known["critical_path"]["p95_ms"] > 0
