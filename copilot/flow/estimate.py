"""Latency and cost estimates of steps: flow analysis over the model catalog's figures.

One implementation serves the linter (FG103, FG105, FG503), the draft summary, the
engine's routing seed and the graph picture (docs/architecture.md, "Estimates"). It is
flow analysis (it reads templates, retries, fallbacks and routes), so it lives in
`copilot.flow` and reads the catalog as data; `copilot.flow.graph.analyze` adds the
critical path on top.

A model step's estimated p95 is its model's p95 when the timeout is above that;
otherwise the timeout plus what comes next (the hedge or first fallback). Its worst
case adds every retry at full timeout, every backoff wait at its cap, and every
fallback's attempts.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from copilot.catalog import Catalog, ModelProfile, default_catalog, resolve_alias

if TYPE_CHECKING:
    from copilot.flow.models import AnyStep, Flow, HttpStep, ModelStep, RetrieveStep, Retry

CHARS_PER_TOKEN = 4
DEFAULT_MAX_TOKENS = 1024  # assumed when a model step has none (FG108 flags it)
UNKNOWN_FIELD_TOKENS = 64  # an event field with no example value
RETRIEVE_PASSAGE_TOKENS = 150
# Local lookups and APIs have no catalog row; these defaults are overridable per step
# with `latency: {p50, p95}`.
RETRIEVE_LATENCY = (0.02, 0.05)
HTTP_LATENCY = (0.1, 0.3)
LOCAL_LATENCY = (0.0005, 0.002)  # validate and transform: in-process template work
DEFAULT_BACKOFF_INITIAL = 0.1
DEFAULT_BACKOFF_MAX = 2.0


@dataclass
class StepEstimate:
    """What one step is expected to cost in time and money."""

    step_id: str
    p50: float
    p95: float
    worst: float  # math.inf when a call has no timeout
    cost: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    model: str | None = None  # the alias the estimate used (the routed choice for `route`)
    notes: list[str] = field(default_factory=list)
    # False when the step's model is not in the catalog: p50/p95/cost are then 0 placeholders
    # and summaries must say "unknown" (FG003 reports the alias).
    known: bool = True
    # False when the alias sends another model than the one the catalog prices (its `model:`
    # differs) and has no `price` of its own: the cost is then a 0 placeholder, said "unknown",
    # as `run` and `test` say of such a call (`ModelProfile.priced_for`).
    priced: bool = True


def estimate_tokens(text: str) -> int:
    """About four characters a token (no tokenizer is assumed to be available offline)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def model_profiles(flow: Flow, catalog: Catalog | None = None) -> dict[str, ModelProfile]:
    """The profile of every model alias the catalog can resolve.

    Unknown ones are left out: `copilot.flow.check.unknown_models` reports them (FG003) and
    the estimates of the steps that call them are marked `known=False`.
    """
    from copilot.errors import FlowgenError

    catalog = catalog or default_catalog()
    out: dict[str, ModelProfile] = {}
    for alias, spec in flow.models.items():
        try:
            out[alias] = resolve_alias(spec, catalog, alias)
        except FlowgenError:
            continue
    return out


def backoff_total(retry: Retry | None) -> float:
    """Longest total wait between the attempts of one call (full jitter: at most the cap)."""
    if retry is None or not retry.attempts:
        return 0.0
    attempts = min(retry.attempts, 1000)
    initial = retry.initial if retry.initial is not None else DEFAULT_BACKOFF_INITIAL
    cap = retry.max if retry.max is not None else max(DEFAULT_BACKOFF_MAX, initial)
    if retry.backoff in (None, "none"):
        return 0.0 if retry.backoff == "none" else initial * attempts
    if retry.backoff == "constant":
        return initial * attempts
    return sum(min(cap, initial * 2.0**i) for i in range(attempts))


def retries(step: AnyStep) -> int:
    return step.retry.attempts if step.retry is not None and step.retry.attempts else 0


def candidates(step: ModelStep) -> list[str]:
    """The aliases a model step may call, in the order it would try them."""
    if step.route is not None:
        return list(step.route.candidates)
    return [step.model, *step.fallback] if step.model else list(step.fallback)


def route_choice(step: ModelStep, profiles: dict[str, ModelProfile], deadline: float | None) -> str | None:
    """The candidate a `route` strategy picks from catalog figures (the engine's seed too)."""
    route = step.route
    assert route is not None, "route_choice is for a step with a `route`"
    known = [c for c in route.candidates if c in profiles]
    if not known:
        return None
    strategy = route.strategy

    def price(alias: str) -> float:
        # An alias that sends a model the catalog does not price (and has no `price` of its
        # own) costs an unknown amount: ranked after the priced ones, as the engine's router does.
        profile = profiles[alias]
        if not profile.priced_for(profile.model):
            return math.inf
        return profile.input_per_mtok + profile.output_per_mtok

    if strategy == "fastest":
        return min(known, key=lambda a: profiles[a].p95)
    if strategy == "cheapest":
        return min(known, key=price)
    if strategy == "ordered":
        return known[0]
    fits = [a for a in known if deadline is None or profiles[a].p95 <= deadline]
    return min(fits, key=price) if fits else min(known, key=lambda a: profiles[a].p95)


def _model_latency(
    step: ModelStep, primary: ModelProfile, profiles: dict[str, ModelProfile], order: list[str]
) -> tuple[float, float, float, list[str]]:
    notes: list[str] = []
    timeout = step.timeout
    following = [profiles[a] for a in order[1:] if a in profiles]
    p50 = primary.p50 if timeout is None else min(primary.p50, timeout)
    if timeout is None:
        p95 = primary.p95
        notes.append("no timeout: p95 is the model's own and the worst case is unbounded")
    elif timeout > primary.p95:
        p95 = primary.p95
        if step.hedge is not None and following and step.hedge.after < primary.p95:
            p95 = min(p95, step.hedge.after + min(following[0].p95, timeout))
            notes.append(f"hedged after {step.hedge.after * 1000:g}ms")
    else:
        nxt = min(following[0].p95, timeout) if following else 0.0
        if step.hedge is not None and following:
            p95 = min(timeout, step.hedge.after) + nxt
            notes.append(f"timeout below the model's p95; hedged after {step.hedge.after * 1000:g}ms")
        else:
            p95 = timeout + nxt
            notes.append("timeout below the model's p95: the fallback is on the p95 path")
    if timeout is None:
        worst = math.inf
    else:
        calls = len([a for a in order if a in profiles]) or 1
        worst = calls * ((retries(step) + 1) * timeout + backoff_total(step.retry))
    return p50, p95, worst, notes


def _io_latency(step: RetrieveStep | HttpStep, default: tuple[float, float]) -> tuple[float, float, float]:
    p50, p95 = (step.latency.p50, step.latency.p95) if step.latency is not None else default
    timeout = step.timeout
    if timeout is not None:
        p50, p95 = min(p50, timeout), min(p95, timeout)
        worst = (retries(step) + 1) * timeout + backoff_total(step.retry)
    else:
        worst = math.inf
    return p50, p95, worst


def step_index(flow: Flow) -> dict[str, AnyStep]:
    """Step id -> step (the first one, when an id is duplicated), built once per flow."""
    out: dict[str, AnyStep] = {}
    for step in flow.steps:
        out.setdefault(step.id, step)
    return out


def _field_tokens(ref_parts: tuple[str, ...], flow: Flow, producers: dict[str, AnyStep]) -> int:
    if ref_parts[0] == "event":
        value: Any = flow.trigger.example or {}  # the sample event: JSON
        for part in ref_parts[1:]:
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                return UNKNOWN_FIELD_TOKENS
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        return estimate_tokens(text)
    if ref_parts[0] == "steps" and len(ref_parts) > 1:
        # Looked up in the flow's one index (`step_index`), not scanned per reference: a scan
        # is quadratic in the flow's size (bench/bench_lint_scale.py).
        producer = producers.get(ref_parts[1])
        return output_tokens(producer) if producer is not None else UNKNOWN_FIELD_TOKENS
    return UNKNOWN_FIELD_TOKENS


def output_tokens(step: AnyStep) -> int:
    """Tokens a step's output adds to a prompt that interpolates it."""
    if step.type == "model":
        return step.max_tokens or DEFAULT_MAX_TOKENS
    if step.type == "retrieve":
        return (step.top_k or 20) * RETRIEVE_PASSAGE_TOKENS
    return UNKNOWN_FIELD_TOKENS


def prompt_tokens(step: ModelStep, flow: Flow, producers: dict[str, AnyStep] | None = None) -> int:
    """Estimated input tokens of a model step: its text plus what each reference brings.

    `producers` is the flow's `step_index`; a caller estimating every step passes it in.
    """
    import re

    from copilot.flow.expressions import ExpressionError, references

    producers = producers if producers is not None else step_index(flow)
    total = 0
    for text in (step.prompt.system, step.prompt.user):
        if not text:
            continue
        static = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", text, flags=re.S)
        total += estimate_tokens(static)
        try:
            refs = references(text)
        except ExpressionError:
            refs = []
        total += sum(_field_tokens(r.parts, flow, producers) for r in refs)
    return total


def estimate_step(
    step: AnyStep,
    flow: Flow,
    profiles: dict[str, ModelProfile],
    deadline: float | None = None,
    producers: dict[str, AnyStep] | None = None,
) -> StepEstimate:
    """The p50/p95/worst-case latency and the cost of one step (`producers`: see `prompt_tokens`)."""
    if step.type == "model":
        order = candidates(step)
        alias = step.model
        if step.route is not None:
            alias = route_choice(
                step,
                profiles,
                min(x for x in (step.timeout, deadline) if x is not None)
                if (step.timeout or deadline)
                else None,
            )
            if alias is not None:
                order = [alias, *[c for c in step.route.candidates if c != alias]]
        primary = profiles.get(alias) if alias else None
        if primary is None:
            return StepEstimate(
                step.id,
                0.0,
                0.0,
                step.timeout or math.inf,
                model=alias,
                notes=["model not in the catalog: not estimated"],
                known=False,
            )
        p50, p95, worst, notes = _model_latency(step, primary, profiles, order)
        tokens_in = prompt_tokens(step, flow, producers)
        tokens_out = step.max_tokens or DEFAULT_MAX_TOKENS
        priced = primary.priced_for(primary.model)
        if not priced:
            notes.append(f"`{alias}` sends {primary.model}, which the catalog does not price: cost unknown")
        cost = primary.cost(tokens_in, tokens_out) if priced else 0.0
        return StepEstimate(
            step.id, p50, p95, worst, cost, tokens_in, tokens_out, alias, notes, priced=priced
        )
    if step.type == "retrieve":
        return StepEstimate(step.id, *_io_latency(step, RETRIEVE_LATENCY))
    if step.type == "http":
        return StepEstimate(step.id, *_io_latency(step, HTTP_LATENCY))
    p50, p95 = LOCAL_LATENCY
    return StepEstimate(step.id, p50, p95, p95)


def flow_cost(estimates: dict[str, StepEstimate]) -> float:
    """Estimated USD per event: every model step, async ones included, first attempt (a lower
    bound when a step's model is unknown or unpriced: those count 0, and summaries say unknown)."""
    return sum(e.cost for e in estimates.values())
