"""The scenario graph: what to draw, decided once for every output format.

Built from the one analysed flow (`copilot.flow.load.LoadedFlow`): its graph (hot path,
async steps, `needs`), its analysis (each step's estimated p95 and cost, the critical
path, the SLA and the budget) and its lint findings (`findings_of`), plus optionally the
evidence of runs (`copilot.graph.evidence`). The writers (`mermaid`, `dot`, `svg`, `html`)
only spell this model; none of them looks at the flow.

Nodes: the trigger, one per step, and the response. Edges: trigger -> each step that
needs nothing, each `needs` edge, and each step the response needs -> the response. An
edge carries the `if` of the step it enters, is *hot* when both ends are on the hot path,
and *async* (drawn dashed) when it enters or leaves an async step.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from copilot.flow.expressions import WHOLE_EXPRESSION
from copilot.flow.units import format_duration

if TYPE_CHECKING:
    from copilot.flow.load import LoadedFlow
    from copilot.graph.evidence import Evidence, StepEvidence
    from copilot.lint.rule import Finding

TRIGGER, RESPOND = "trigger", "respond"  # node keys; step nodes are keyed "step_<id>"
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class Badge:
    """A lint finding shown on a node: its code, and the message and fix hint on hover."""

    code: str
    name: str
    severity: str
    message: str
    fix_hint: str | None
    line: int
    col: int
    json_path: str
    node: str | None  # the node key it is drawn on; None: the flow as a whole

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Node:
    """One box of the picture."""

    key: str  # safe in every format: [a-z0-9_]
    kind: str  # a step type (model, validate, retrieve, transform, http), trigger or respond
    title: str
    details: list[str] = field(default_factory=list)  # "model fast", "timeout 900ms", ...
    step_id: str | None = None
    hot: bool = False
    critical: bool = False
    is_async: bool = False
    p95: float | None = None  # estimated, seconds (None: unknown or not a step)
    cost: float | None = None  # estimated, USD per event
    badges: list[Badge] = field(default_factory=list)
    measured: StepEvidence | None = None
    blamed: int = 0  # deadline answers this step caused (evidence)

    @property
    def worst_severity(self) -> str | None:
        if not self.badges:
            return None
        return min((b.severity for b in self.badges), key=lambda s: SEVERITY_ORDER.get(s, 9))

    def label_lines(self) -> list[str]:
        """Title, details, the estimate and what runs measured: the text of the box."""
        lines = [self.title, *self.details]
        if self.p95 is not None:
            estimate = f"est. p95 {approx(self.p95)}"
            if self.cost:
                estimate += f" · {money(self.cost)}"
            lines.append(estimate)
        if self.measured is not None and self.measured.runs:
            lines.extend(measured_lines(self.measured))
        if self.blamed:
            lines.append(f"caused {self.blamed} deadline answer{'s' if self.blamed != 1 else ''}")
        return lines


@dataclass
class Edge:
    source: str
    target: str
    condition: str | None = None
    hot: bool = False
    is_async: bool = False


@dataclass
class BudgetRow:
    """One hot-path step in the budget table: its share of the SLA."""

    step_id: str
    p95: float | None
    cumulative: float | None  # along the critical path (None off it)
    critical: bool
    share: float | None  # p95 / SLA
    measured_p95_ms: float | None = None


@dataclass
class Scenario:
    """The whole picture of one flow."""

    name: str
    path: str
    nodes: list[Node]
    edges: list[Edge]
    sla: float | None
    hot_path_p95: float | None  # the critical path's estimated p95 (None: unknown)
    worst_case: float | None
    critical_path: list[str]
    cost_per_event: float | None
    budget: float | None
    flow_badges: list[Badge]  # findings on no node (observability, tests, ...)
    budget_rows: list[BudgetRow]
    evidence: Evidence | None = None

    def node(self, key: str) -> Node:
        return next(n for n in self.nodes if n.key == key)

    @property
    def badges(self) -> list[Badge]:
        """Every finding, in file order."""
        out = [b for n in self.nodes for b in n.badges] + self.flow_badges
        return sorted(out, key=lambda b: (b.line, b.col, b.code))

    @property
    def headline(self) -> str:
        """The hot path's estimated p95 against the SLA, in one phrase."""
        if self.hot_path_p95 is None:
            p95 = "hot path p95 unknown"
        else:
            p95 = f"hot path p95 ≈ {approx(self.hot_path_p95)}"
        if self.sla is None:
            return f"{p95} (no SLA)"
        verdict = "" if self.hot_path_p95 is None else (" ✓" if self.hot_path_p95 <= self.sla else " ✗ over")
        return f"{p95} / SLA {approx(self.sla)}{verdict}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "headline": self.headline,
            "sla_ms": ms(self.sla),
            "hot_path_p95_ms": ms(self.hot_path_p95),
            "worst_case_ms": ms(self.worst_case),
            "critical_path": self.critical_path,
            "cost_per_event_usd": self.cost_per_event,
            "budget_usd": self.budget,
            "nodes": [
                {
                    "key": n.key,
                    "kind": n.kind,
                    "step": n.step_id,
                    "label": n.label_lines(),
                    "hot": n.hot,
                    "critical": n.critical,
                    "async": n.is_async,
                    "p95_ms": ms(n.p95),
                    "findings": [b.code for b in n.badges],
                    "measured": n.measured.to_dict() if n.measured else None,
                    "deadline_answers_caused": n.blamed,
                }
                for n in self.nodes
            ],
            "edges": [
                {"from": e.source, "to": e.target, "if": e.condition, "hot": e.hot, "async": e.is_async}
                for e in self.edges
            ],
            "findings": [b.to_dict() for b in self.badges],
            "evidence": self.evidence.to_dict() if self.evidence else None,
        }


# ---------------------------------------------------------------------------- formatting


def ms(seconds: float | None) -> float | None:
    return None if seconds is None or math.isinf(seconds) else round(seconds * 1000, 3)


def approx(seconds: float) -> str:
    """An estimate for reading, not for parsing: 0.652 -> 650ms, 1.352 -> 1.35s."""
    if math.isinf(seconds):
        return "unbounded"
    if seconds < 0.001:
        return "<1ms"
    if seconds < 1:
        return f"{round(seconds * 1000, -1 if seconds >= 0.1 else 0):g}ms"
    return f"{seconds:.3g}s"


def money(usd: float) -> str:
    text = f"{usd:.6f}" if usd < 0.001 else f"{usd:.4f}"
    return "$" + (text.rstrip("0").rstrip(".") or "0")


def percent(rate: float) -> str:
    return f"{rate * 100:.0f}%" if rate >= 0.01 or rate == 0 else f"{rate * 100:.1f}%"


def measured_lines(m: StepEvidence) -> list[str]:
    """The measured figures of a step, as label lines (only the rates that happened)."""
    p50 = "?" if m.p50_ms is None else approx(m.p50_ms / 1000)
    p95 = "?" if m.p95_ms is None else approx(m.p95_ms / 1000)
    lines = [f"measured p50 {p50} · p95 {p95} ({m.runs} runs)"]
    rates = [
        (label, m.rate(count))
        for label, count in (
            ("errors", m.errors),
            ("retries", m.retries),
            ("fallbacks", m.fallbacks),
            ("hedges", m.hedges),
        )
        if count
    ]
    if rates:
        lines.append(" · ".join(f"{label} {percent(rate)}" for label, rate in rates))
    if m.cost_usd:
        lines.append(f"cost {money(m.cost_per_run)}/run")
    return lines


def condition_text(condition: str) -> str:
    """`{{ steps.x.output.y == 'z' }}` as `steps.x.output.y == 'z'`: the bare expression."""
    match = WHOLE_EXPRESSION.match(condition)
    return (match.group(1) if match else condition).strip()


# ---------------------------------------------------------------------------- building


def step_key(step_id: str) -> str:
    return f"step_{step_id}"


def step_details(step: Any) -> list[str]:
    """Model (or route), timeout, fallback and hedge: what a reader checks first."""
    out = []
    if step.type == "model":
        if step.route is not None:
            out.append(f"route {step.route.strategy}: {', '.join(step.route.candidates)}")
        else:
            out.append(f"model {step.model}")
    elif step.type == "http":
        out.append(f"{step.request.method} {step.request.url}")
    elif step.type == "retrieve":
        out.append(f"top_k {step.top_k}" if step.top_k else "retrieve")
    timing = []
    if step.timeout:
        timing.append(f"timeout {format_duration(step.timeout)}")
    elif step.type in ("model", "retrieve", "http"):
        timing.append("no timeout")
    if step.retry is not None and step.retry.attempts:
        timing.append(f"retry ×{step.retry.attempts}")
    if timing:
        out.append(" · ".join(timing))
    resilience = []
    if getattr(step, "fallback", None):
        resilience.append(f"fallback {', '.join(step.fallback)}")
    if getattr(step, "hedge", None) is not None:
        resilience.append(f"hedge {format_duration(step.hedge.after)}")
    if resilience:
        out.append(" · ".join(resilience))
    if step.mode == "async":
        out.append("async")
    return out


def trigger_title(flow: Any) -> str:
    trigger = flow.trigger
    where = (
        getattr(trigger, "path", None) or getattr(trigger, "cron", None) or getattr(trigger, "source", None)
    )
    return f"{trigger.type} {where}" if where else trigger.type


def node_of_finding(loc: tuple[Any, ...], flow: Any, index_to_key: dict[int, str]) -> list[str]:
    """The node keys a finding at `loc` belongs on ([] for the flow as a whole)."""
    if not loc:
        return []
    head = loc[0]
    if head == "steps" and len(loc) > 1 and isinstance(loc[1], int):
        key = index_to_key.get(loc[1])
        return [key] if key else []
    if head == "trigger":
        return [TRIGGER]
    if head in ("respond", "sla"):
        return [RESPOND]
    if head == "models" and len(loc) > 1:
        alias = loc[1]
        users = []
        for index, step in enumerate(flow.steps):
            if step.type != "model":
                continue
            aliases = [step.model, *step.fallback, *(step.route.candidates if step.route else [])]
            if alias in aliases and index in index_to_key:
                users.append(index_to_key[index])
        return users[:1]  # one badge per finding: on the first step that uses the model
    return []


def findings_of(loaded: LoadedFlow) -> list[Finding]:
    """The lint findings of the analysed flow, with the configuration that applies to its file."""
    from copilot.lint.config import discover
    from copilot.lint.engine import lint_context
    from copilot.lint.rule import Context

    path = loaded.doc.path
    config = discover(path if path and not path.startswith("<") else ".").for_path(path)
    found, _ = lint_context(Context(loaded, loaded.catalog), config, path, loaded.doc.text)
    return found


def build_scenario(
    loaded: LoadedFlow, findings: list[Finding] | None = None, evidence: Evidence | None = None
) -> Scenario:
    """The picture of `loaded`, with `findings` as badges and `evidence` overlaid."""
    flow = loaded.flow
    graph = loaded.graph
    analysis = loaded.analysis
    hot = set(analysis.hot_path)
    critical = analysis.critical_path.steps if analysis.critical_path else []
    steps = {}
    index_to_key: dict[int, str] = {}
    for index, step in enumerate(flow.steps):
        if step.id not in steps:
            steps[step.id] = step
            index_to_key[index] = step_key(step.id)

    nodes = [Node(TRIGGER, "trigger", trigger_title(flow), hot=bool(hot))]
    for sid in graph.order:
        step = steps[sid]
        estimate = analysis.estimates.get(sid)
        known = estimate is not None and estimate.known
        node = Node(
            step_key(sid),
            step.type,
            sid,
            step_details(step),
            step_id=sid,
            hot=sid in hot,
            critical=sid in critical,
            is_async=sid in graph.async_steps,
            p95=estimate.p95 if known and estimate else None,
            cost=estimate.cost if known and estimate and estimate.priced else None,
        )
        if evidence is not None:
            node.measured = evidence.steps.get(sid)
            node.blamed = evidence.blame.get(sid, 0)
        nodes.append(node)
    respond = flow.respond
    respond_details = []
    if respond is not None:
        respond_details.append(f"status {respond.status}")
        if respond.on_deadline is not None:
            respond_details.append(f"on deadline: {respond.on_deadline.status}")
        else:
            respond_details.append("no on_deadline answer")
    nodes.append(Node(RESPOND, "respond", "respond", respond_details, hot=bool(hot)))

    p95 = analysis.p95 if analysis.critical_path and analysis.hot_path_known else None
    worst = analysis.worst if analysis.worst_path and analysis.hot_path_known else None
    # The headline goes on the response node too: the hot path ends there.
    headline_node = nodes[-1]

    edges = []
    for sid in graph.order:
        step = steps[sid]
        condition = condition_text(step.if_) if step.if_ else None
        is_async = sid in graph.async_steps
        needs = graph.needs[sid]
        if not needs:
            edges.append(Edge(TRIGGER, step_key(sid), condition, hot=sid in hot, is_async=is_async))
        for need in needs:
            edges.append(
                Edge(
                    step_key(need),
                    step_key(sid),
                    condition,
                    hot=sid in hot and need in hot,
                    is_async=is_async or need in graph.async_steps,
                )
            )
    for need in graph.respond_needs:
        edges.append(Edge(step_key(need), RESPOND, None, hot=True, is_async=need in graph.async_steps))
    if not graph.respond_needs:
        edges.append(Edge(TRIGGER, RESPOND, None, hot=True))

    flow_badges: list[Badge] = []
    by_key = {n.key: n for n in nodes}
    for finding in findings or []:
        keys = node_of_finding(tuple(finding.loc), flow, index_to_key)
        badge = Badge(
            finding.code,
            finding.name,
            finding.severity,
            finding.message,
            finding.fix_hint,
            finding.line,
            finding.col,
            finding.json_path,
            keys[0] if keys else None,
        )
        if keys and keys[0] in by_key:
            by_key[keys[0]].badges.append(badge)
        else:
            flow_badges.append(badge)

    rows = []
    cumulative = 0.0
    for sid in analysis.hot_path:
        estimate = analysis.estimates.get(sid)
        known = estimate is not None and estimate.known
        on_critical = sid in critical
        if on_critical and known and estimate:
            cumulative += estimate.p95
        measured = evidence.steps.get(sid) if evidence else None
        rows.append(
            BudgetRow(
                sid,
                estimate.p95 if known and estimate else None,
                cumulative if on_critical and known else None,
                on_critical,
                (estimate.p95 / analysis.sla) if known and estimate and analysis.sla else None,
                measured.p95_ms if measured else None,
            )
        )
    scenario = Scenario(
        name=flow.name,
        path=loaded.doc.path,
        nodes=nodes,
        edges=edges,
        sla=analysis.sla,
        hot_path_p95=p95,
        worst_case=worst,
        critical_path=list(critical),
        cost_per_event=analysis.cost_per_event if analysis.cost_known else None,
        budget=analysis.budget,
        flow_badges=flow_badges,
        budget_rows=rows,
        evidence=evidence,
    )
    headline_node.details.append(scenario.headline)
    if evidence is not None and evidence.events:
        measured = f"measured p95 {approx(evidence.p95_ms / 1000)}" if evidence.p95_ms is not None else ""
        answers = f"{evidence.deadline_answers}/{evidence.events} deadline answers"
        headline_node.details.append(" · ".join(x for x in (measured, answers) if x))
    return scenario
