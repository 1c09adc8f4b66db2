"""Lint and validate do work linear in the flow's size: counted, not timed (issue 16).

Timings are in `bench/bench_lint_scale.py` (chains, fans and the big flow at 1k-10k steps);
here the three places that were quadratic are held by what they do: the critical path keeps
pointers, not a copy of the path per step (and finds the same path as the copying version),
the token estimate indexes the steps once per analysis, and FG107 walks the graph a bounded
number of times per step whatever the width of its `needs`.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from copilot.flow import graph as flow_graph
from copilot.flow.graph import FlowGraph, analyze, build_graph
from copilot.flow.load import load_flow_text
from copilot.lint.engine import lint_text

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_lint_scale import chain_flow, fan_flow


def copying_longest(graph: FlowGraph, members: set[str], weight: dict[str, float]) -> tuple[float, list[str]]:
    """The version before issue 16: every step copies its best chain. The reference answer."""
    best: dict[str, tuple[float, list[str]]] = {}
    for step in graph.topological_order():
        if step not in members:
            continue
        prior = [best[n] for n in graph.needs[step] if n in best]
        base = max(prior, key=lambda p: p[0]) if prior else (0.0, [])
        best[step] = (base[0] + weight[step], [*base[1], step])
    if not best:
        return 0.0, []
    return max(best.values(), key=lambda p: p[0])


@pytest.mark.parametrize("seed", range(20))
def test_the_longest_chain_is_the_one_the_copying_version_finds(seed):
    rng = random.Random(seed)
    steps = [f"s{i}" for i in range(rng.randint(1, 40))]
    needs = {s: rng.sample(steps[:i], rng.randint(0, min(i, 4))) for i, s in enumerate(steps)}
    graph = FlowGraph(order=steps, needs=needs, unknown_needs={}, respond_needs=[], async_steps=set())
    # Few distinct weights, so ties are common and the tie-break has to match too.
    weight = {s: float(rng.choice([0, 1, 2, 5])) for s in steps}
    members = set(rng.sample(steps, rng.randint(0, len(steps))))
    assert flow_graph._longest(graph, members, weight) == copying_longest(graph, members, weight)


def test_the_analysis_indexes_the_steps_once_not_once_per_reference():
    loaded = load_flow_text(chain_flow(300), "chain.yaml")
    flow = loaded.flow

    class CountingSteps(list):
        walks = 0

        def __iter__(self):
            CountingSteps.walks += 1
            return super().__iter__()

    object.__setattr__(flow, "steps", CountingSteps(flow.steps))
    analysis = analyze(flow, graph=build_graph(flow))
    assert len(analysis.critical_path.steps) == 300
    assert CountingSteps.walks < 10  # a few passes; it was one more per `steps.X.output` read: 300+


def test_fg107_walks_the_graph_a_bounded_number_of_times_per_step(monkeypatch):
    walks = []
    real = FlowGraph.ancestors

    def counting(self, steps):
        walks.append(len(steps))
        return real(self, steps)

    monkeypatch.setattr(FlowGraph, "ancestors", counting)
    findings = lint_text(fan_flow(400), "fan.yaml")
    # The join needs 398 steps it does not read: each is reported (its calls could start together).
    assert sum(f.code == "FG107" for f in findings) == 398
    # Steps the walks start from, in all: was two walks per need of the join, each from the
    # other 397 needs (158,000 starts).
    assert sum(walks) <= 4 * 400
