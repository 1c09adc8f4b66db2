"""The flow as a graph: DAG by `needs`, hot path, async set, critical path.

The semantics are in docs/architecture.md ("The analysed flow" and "Critical path").

This is the one implementation of the semantics the linter, the draft summary, the
engine (deadlines) and `flowgen graph` share. It tolerates broken flows (unknown
references, cycles) so the linter can still report everything else about them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from copilot.catalog import Catalog, ModelProfile
from copilot.flow.estimate import StepEstimate, estimate_step, flow_cost, model_profiles, step_index

if TYPE_CHECKING:
    from copilot.flow.models import Flow


@dataclass
class FlowGraph:
    """Steps and their `needs` edges, in file order."""

    order: list[str]  # step ids in file order (first occurrence wins for duplicates)
    needs: dict[str, list[str]]  # step -> steps it waits for (known ones only)
    unknown_needs: dict[str, list[str]]  # step -> names in `needs` that are no step
    respond_needs: list[str]
    async_steps: set[str]
    dependants: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dependants = {s: [] for s in self.order}
        for step, needs in self.needs.items():
            for need in needs:
                self.dependants[need].append(step)

    # ------------------------------------------------------------------ structure

    def cycle(self) -> list[str] | None:
        """One cycle as ``[a, b, c, a]`` (each needs the next), or None for a DAG."""
        state: dict[str, int] = {}
        stack: list[str] = []

        def visit(node: str) -> list[str] | None:
            state[node] = 1
            stack.append(node)
            for need in self.needs[node]:
                if state.get(need) == 1:
                    return [*stack[stack.index(need) :], need]
                if need not in state:
                    found = visit(need)
                    if found:
                        return found
            stack.pop()
            state[node] = 2
            return None

        for node in self.order:
            if node not in state:
                found = visit(node)
                if found:
                    return found
        return None

    def topological_order(self) -> list[str]:
        """Steps so that each comes after everything it needs (file order breaks ties).

        Steps on a cycle, and steps that depend on one, are left out.
        """
        remaining = {s: len(self.needs[s]) for s in self.order}
        ready = [s for s in self.order if remaining[s] == 0]
        position = {s: i for i, s in enumerate(self.order)}
        out: list[str] = []
        import heapq

        heap = [(position[s], s) for s in ready]
        heapq.heapify(heap)
        while heap:
            _, step = heapq.heappop(heap)
            out.append(step)
            for dependant in self.dependants[step]:
                remaining[dependant] -= 1
                if remaining[dependant] == 0:
                    heapq.heappush(heap, (position[dependant], dependant))
        return out

    def ancestors(self, steps: list[str]) -> set[str]:
        """`steps` and everything they need, transitively."""
        seen: set[str] = set()
        todo = [s for s in steps if s in self.needs]
        while todo:
            step = todo.pop()
            if step in seen:
                continue
            seen.add(step)
            todo.extend(self.needs[step])
        return seen

    def descendants(self, step: str) -> set[str]:
        seen: set[str] = set()
        todo = list(self.dependants.get(step, []))
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.dependants[current])
        return seen

    @property
    def hot_path(self) -> set[str]:
        """Every step the response waits for, transitively: the hot path."""
        return self.ancestors(self.respond_needs)

    @property
    def off_path(self) -> set[str]:
        """Steps the response does not wait for: async ones and sync side branches."""
        return set(self.order) - self.hot_path

    def sync_needs_async(self) -> list[tuple[str, str]]:
        """(sync hot-path step or respond, async step it waits for) pairs: FG005."""
        pairs: list[tuple[str, str]] = []
        for step in self.order:
            if step in self.async_steps:
                continue
            pairs.extend((step, need) for need in self.needs[step] if need in self.async_steps)
        pairs.extend(("respond", need) for need in self.respond_needs if need in self.async_steps)
        return pairs


def build_graph(flow: Flow) -> FlowGraph:
    """The graph of a validated `Flow` (duplicate ids: the first one counts)."""
    order: list[str] = []
    needs: dict[str, list[str]] = {}
    unknown: dict[str, list[str]] = {}
    async_steps: set[str] = set()
    ids = {s.id for s in flow.steps}
    for step in flow.steps:
        if step.id in needs:
            continue
        order.append(step.id)
        known = []
        kept: set[str] = set()  # `known` as a set: a list scan per need was quadratic in a wide `needs`
        for need in step.needs:
            if need in ids and need not in kept:
                known.append(need)
                kept.add(need)
            elif need not in ids:
                unknown.setdefault(step.id, []).append(need)
        needs[step.id] = known
        if step.mode == "async":
            async_steps.add(step.id)
    respond = [n for n in (flow.respond.needs if flow.respond else []) if n in ids]
    return FlowGraph(order, needs, unknown, respond, async_steps)


@dataclass
class Path:
    """A chain of steps with its summed estimate."""

    steps: list[str]
    p95: float
    worst: float


@dataclass
class Analysis:
    """The numbers behind the latency and cost rules, the draft summary and the picture."""

    graph: FlowGraph
    estimates: dict[str, StepEstimate]
    cycle: list[str] | None
    hot_path: list[str]  # in topological order
    async_steps: list[str]
    off_path: list[str]
    critical_path: Path | None  # slowest chain by p95; None when the hot path is empty or cyclic
    worst_path: Path | None  # slowest chain by worst case
    sla: float | None
    cost_per_event: float
    budget: float | None

    @property
    def p95(self) -> float:
        return self.critical_path.p95 if self.critical_path else 0.0

    @property
    def unknown_steps(self) -> list[str]:
        """Steps whose model is not in the catalog: their latency and cost are unknown, not 0."""
        return [sid for sid, e in self.estimates.items() if not e.known]

    @property
    def unpriced_steps(self) -> list[str]:
        """Steps whose alias sends a model the catalog does not price, with no `price` of its
        own (a local model standing in for a catalog entry): their cost is unknown, not 0."""
        return [sid for sid, e in self.estimates.items() if e.known and not e.priced]

    @property
    def cost_known(self) -> bool:
        """True when every step's cost is estimated: then `cost_per_event` is the estimate."""
        return all(e.known and e.priced for e in self.estimates.values())

    @property
    def hot_path_known(self) -> bool:
        """False when a hot-path step could not be estimated (the critical path is then unknown)."""
        return not any(not self.estimates[s].known for s in self.hot_path if s in self.estimates)

    @property
    def worst(self) -> float:
        return self.worst_path.worst if self.worst_path else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (durations in milliseconds, infinity as null)."""

        def ms(x: float | None) -> float | None:
            return None if x is None or math.isinf(x) else round(x * 1000, 3)

        unknown = self.unknown_steps
        hot_known = self.hot_path_known

        return {
            "topological_order": self.graph.topological_order(),
            "cycle": self.cycle,
            "hot_path": self.hot_path,
            "async_steps": self.async_steps,
            "off_path": self.off_path,
            "critical_path": {
                "steps": self.critical_path.steps,
                # null when a hot-path model is not in the catalog: unknown, never 0
                "p95_ms": ms(self.critical_path.p95) if hot_known else None,
                "worst_ms": ms(self.critical_path.worst) if hot_known else None,
            }
            if self.critical_path
            else None,
            "worst_case": {
                "steps": self.worst_path.steps,
                "worst_ms": ms(self.worst_path.worst) if hot_known else None,
            }
            if self.worst_path
            else None,
            "sla_ms": ms(self.sla),
            "cost_per_event_usd": round(self.cost_per_event, 8) if self.cost_known else None,
            "unknown_steps": unknown,
            "unpriced_steps": self.unpriced_steps,
            "budget_usd": self.budget,
            "steps": {
                sid: {
                    "model": e.model,
                    "p50_ms": ms(e.p50) if e.known else None,
                    "p95_ms": ms(e.p95) if e.known else None,
                    "worst_ms": ms(e.worst),
                    "cost_usd": round(e.cost, 8) if e.known and e.priced else None,
                    "input_tokens": e.input_tokens,
                    "output_tokens": e.output_tokens,
                }
                for sid, e in self.estimates.items()
            },
        }


def _longest(graph: FlowGraph, members: set[str], weight: dict[str, float]) -> tuple[float, list[str]]:
    """Heaviest chain through `members` (a DAG) by `weight`: dynamic programming in topo order.

    Each step keeps its total and a pointer to the step before it on its heaviest chain; the
    chain is walked back once at the end (copying it at every step was quadratic).
    """
    total: dict[str, float] = {}
    previous: dict[str, str | None] = {}
    for step in graph.topological_order():
        if step not in members:
            continue
        prior = [n for n in graph.needs[step] if n in total]
        before = max(prior, key=total.__getitem__) if prior else None
        total[step] = (total[before] if before is not None else 0.0) + weight[step]
        previous[step] = before
    if not total:
        return 0.0, []
    end = max(total, key=total.__getitem__)
    chain: list[str] = []
    at: str | None = end
    while at is not None:
        chain.append(at)
        at = previous[at]
    return total[end], chain[::-1]


def analyze(
    flow: Flow,
    catalog: Catalog | None = None,
    *,
    graph: FlowGraph | None = None,
    profiles: dict[str, ModelProfile] | None = None,
) -> Analysis:
    """Graph, per-step estimates, hot and critical paths, and cost of a validated flow.

    `graph` and `profiles`, when the caller has them (the analysed flow,
    `copilot.flow.load.LoadedFlow`), are used instead of being built again.
    """
    graph = graph if graph is not None else build_graph(flow)
    profiles = profiles if profiles is not None else model_profiles(flow, catalog)
    sla = flow.latency_sla
    budget = flow.cost_budget
    seen: set[str] = set()
    estimates: dict[str, StepEstimate] = {}
    producers = step_index(flow)
    for step in flow.steps:
        if step.id in seen:
            continue
        seen.add(step.id)
        estimates[step.id] = estimate_step(step, flow, profiles, deadline=sla, producers=producers)
    cycle = graph.cycle()
    topo = graph.topological_order()
    hot = graph.hot_path
    hot_ordered = [s for s in topo if s in hot]
    critical = worst = None
    if hot_ordered and cycle is None:
        p95s = {s: estimates[s].p95 for s in hot}
        worsts = {s: estimates[s].worst for s in hot}
        p95_total, p95_chain = _longest(graph, hot, p95s)
        critical = Path(p95_chain, p95_total, sum(worsts[s] for s in p95_chain))
        worst_total, worst_chain = _longest(graph, hot, worsts)
        worst = Path(worst_chain, sum(p95s[s] for s in worst_chain), worst_total)
    return Analysis(
        graph=graph,
        estimates=estimates,
        cycle=cycle,
        hot_path=hot_ordered,
        async_steps=[s for s in graph.order if s in graph.async_steps],
        off_path=[s for s in graph.order if s not in hot and s not in graph.async_steps],
        critical_path=critical,
        worst_path=worst,
        sla=sla,
        cost_per_event=flow_cost(estimates),
        budget=budget,
    )


def summary_of(flow: Flow, analysis: Analysis) -> dict[str, Any]:
    """The few numbers a person wants first: steps, hot path, p95 vs SLA, cost vs budget.

    `flowgen validate --summary` prints them, and `flowgen lint` reports them per file.
    """
    data = analysis.to_dict()
    return {
        "name": flow.name,
        "trigger": flow.trigger.type,
        "steps": len(flow.steps),
        "hot_path": analysis.hot_path,
        "async_steps": analysis.async_steps,
        "critical_path": data["critical_path"],
        "worst_case": data["worst_case"],
        "sla_ms": data["sla_ms"],
        "cost_per_event_usd": data["cost_per_event_usd"],
        "budget_usd": data["budget_usd"],
        "unknown_steps": data["unknown_steps"],
        "unpriced_steps": data["unpriced_steps"],
        "on_deadline": flow.respond is not None and flow.respond.on_deadline is not None,
    }
