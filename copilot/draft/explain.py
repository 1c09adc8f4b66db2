"""The reasoning written into a drafted flow as YAML comments.

The user reads why each model fits its latency budget and cost tier, where each timeout
comes from (the SLA budget left for the step vs the model's p95), and why a step is
async, in the file itself. The numbers come from the shared analysis
(`copilot.flow.graph.analyze`), so a comment never disagrees with `flowgen lint`.
"""

from __future__ import annotations

import math
from typing import Any

from copilot.draft.blocks import money
from copilot.flow.dump import Comments
from copilot.flow.units import format_duration


def _ms(seconds: float) -> str:
    """A duration for a reader: whole ms below a second, tenths of a second above (`59.3s`)."""
    if math.isinf(seconds):
        return "unbounded"
    return format_duration(round(seconds, 3) if seconds < 1 else round(seconds, 1))


def _within(timeout: float, budget: float | None, sla: float | None) -> str:
    """Where a hot-path timeout stands against the SLA left for its step: compared, never assumed."""
    if budget is None or not sla:
        return "no SLA"
    if timeout <= budget:
        return f"inside this step's {_ms(max(budget, 0))} of the {_ms(sla)} SLA"
    return (
        f"ABOVE this step's {_ms(max(budget, 0))} of the {_ms(sla)} SLA: a call that runs to the timeout "
        "ends on respond.on_deadline"
    )


def step_budgets(analysis: Any) -> dict[str, float]:
    """Per hot-path step: the SLA minus the slowest chain of *other* steps through it.

    That is the latency a step may take before the response misses the SLA, given the
    estimates of everything it shares a chain with.
    """
    graph = analysis.graph
    sla = analysis.sla
    if sla is None or analysis.cycle is not None:
        return {}
    hot = set(analysis.hot_path)
    p95 = {s: analysis.estimates[s].p95 for s in hot}
    before: dict[str, float] = {}
    for step in analysis.hot_path:  # topological order
        before[step] = max((before[n] + p95[n] for n in graph.needs[step] if n in hot), default=0.0)
    after: dict[str, float] = {}
    for step in reversed(analysis.hot_path):
        after[step] = max((after[d] + p95[d] for d in graph.dependants[step] if d in hot), default=0.0)
    return {s: sla - before[s] - after[s] for s in hot}


def step_comments(flow: Any, analysis: Any, catalog: Any) -> Comments:
    """Comments on every model, retrieve and http step: model, fallback, timeout, mode."""
    from copilot.catalog import COST_TIER_TIERS
    from copilot.flow.estimate import model_profiles

    profiles = model_profiles(flow, catalog)
    budgets = step_budgets(analysis)
    hot = set(analysis.hot_path)
    cost_tier = flow.sla.cost_tier if flow.sla else "standard"
    allowed = COST_TIER_TIERS.get(cost_tier, ())
    sla = analysis.sla
    out: Comments = {}
    for index, step in enumerate(flow.steps):
        loc = ("steps", index)
        budget = budgets.get(step.id)
        estimate = analysis.estimates.get(step.id)
        if step.mode == "async":
            out[(*loc, "mode")] = "off the hot path: the response never waits for it"
        elif step.id not in hot and step.type in ("model", "http", "retrieve"):
            out[(*loc, "needs")] = "not in respond.needs: runs after its needs, beside the response"
        if step.type == "model":
            alias = estimate.model if estimate else step.model
            profile = profiles.get(alias) if alias else None
            if profile is not None and step.model is not None:
                tier_note = (
                    f"{profile.tier} tier, allowed by cost tier {cost_tier}"
                    if profile.tier in allowed
                    else f"{profile.tier} tier, outside cost tier {cost_tier} ({', '.join(allowed)})"
                )
                fit = ""
                if step.id in hot and budget is not None:
                    fit = (
                        f"; p95 {_ms(profile.p95)} fits this step's {_ms(budget)} of the SLA"
                        if profile.p95 <= budget
                        else f"; p95 {_ms(profile.p95)} is above this step's {_ms(max(budget, 0))} of the SLA"
                    )
                elif step.mode == "async":
                    fit = f"; p95 {_ms(profile.p95)}, fine off the hot path"
                price = f"${profile.input_per_mtok:g}/${profile.output_per_mtok:g} per Mtok"
                out[(*loc, "model")] = f"{profile.id}: {tier_note}{fit}; {price}"
            if step.route is not None and estimate and estimate.model:
                out[(*loc, "route")] = f"{step.route.strategy} picks `{estimate.model}` from catalog figures"
            if step.fallback:
                names = []
                for fb in step.fallback:
                    p = profiles.get(fb)
                    names.append(f"{p.id} ({p.provider})" if p else fb)
                primary = profiles.get(step.model) if step.model else None
                other = primary is not None and all(
                    profiles.get(fb) is not None and profiles[fb].provider != primary.provider
                    for fb in step.fallback
                )
                out[(*loc, "fallback")] = ", ".join(names) + (
                    ": another provider, so one outage does not take both" if other else ""
                )
            if step.timeout is not None and profile is not None:
                out[(*loc, "timeout")] = _timeout_note(step.timeout, profile.p95, budget, sla, step.id in hot)
        elif step.type in ("http", "retrieve") and step.timeout is not None:
            if step.id in hot and budget is not None:
                out[(*loc, "timeout")] = _within(step.timeout, budget, sla)
            elif step.mode == "async" or step.id not in hot:
                out[(*loc, "timeout")] = "off the hot path: bounded so a hung call cannot hold a worker"
    return out


def _timeout_note(
    timeout: float, p95: float, budget: float | None, sla: float | None, on_hot_path: bool
) -> str:
    if not on_hot_path:
        return f"async: {timeout / p95:.1f}× the model's p95 {_ms(p95)}, outside the SLA"
    where = _within(timeout, budget, sla)
    if timeout > p95:
        return f"{timeout / p95:.2f}× the model's p95 {_ms(p95)} (cuts only stragglers), {where}"
    return (
        f"below the model's p95 {_ms(p95)}: the SLA leaves too little, so the fallback takes over "
        f"after {_ms(timeout)}; {where}"
    )


def header_lines(
    flow: Any,
    analysis: Any,
    *,
    drafted_by: str,
    unmapped: list[str],
    assumptions: list[str],
    warnings: list[str] | None = None,
) -> list[str]:
    """The comment block under the modeline: what drafted it, the numbers, what to check."""
    lines = [f"Drafted by `flowgen draft` ({drafted_by}). Comments explain each choice; review them."]
    cp = analysis.critical_path
    if cp is not None and analysis.sla is not None:
        verdict = "fits" if cp.p95 <= analysis.sla else "OVER the SLA"
        lines.append(
            f"Hot path {' -> '.join(cp.steps)}: estimated p95 {_ms(cp.p95)} "
            f"vs SLA {_ms(analysis.sla)} ({verdict})."
        )
    if analysis.budget is not None:
        lines.append(
            f"Estimated cost ${analysis.cost_per_event:.5f}/event vs budget ${money(analysis.budget)} "
            "(catalog prices; latency figures are estimates)."
        )
    for warning in warnings or []:
        lines.append(f"WARNING: {warning}")
    for note in assumptions:
        lines.append(f"Assumed: {note}")
    shown, more = capped(unmapped)
    for phrase in shown:
        lines.append(f"Not understood (check by hand): {phrase!r}")
    if more:
        lines.append(f"Not understood: …and {more} more")
    return lines


UNMAPPED_SHOWN = 20


def capped(phrases: list[str], limit: int = UNMAPPED_SHOWN) -> tuple[list[str], int]:
    """The first `limit` distinct phrases, and how many more there are."""
    distinct = list(dict.fromkeys(phrases))
    return distinct[:limit], max(0, len(distinct) - limit)
