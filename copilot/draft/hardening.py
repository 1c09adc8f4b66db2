"""Hardening a draft that fails its own test, cheapest technique first, within the budget.

`harden` (and `harden_located`, which also says where each change landed) applies what
a production engineer would: an `on_deadline` answer, a fallback from another provider,
a retry and a hedge on every hot-path model step that lacks them; then earlier hedges
and tighter timeouts; then a faster primary model, the fastest the cost tier allows.
Each edit is kept only when the estimated cost per event (`estimated_cost`) stays within
the budget, and the chaos is never weakened (a new model alias inherits the chaos of the
alias it replaces). `HardeningContext` is the analysed flow every technique reads.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from copilot.catalog import COST_TIER_TIERS, Catalog, ModelProfile
from copilot.draft.virtual_test import OwnTest
from copilot.errors import FlowgenError
from copilot.flow.units import format_duration

HEDGE_Z = 0.674  # the standard normal's 75th percentile: hedge the slowest quarter of calls
Z95 = 1.6448536269514722
MIN_TIMEOUT_OVER_HEDGE = 0.05  # a hedge must start clearly before the call times out

Loc = tuple[str | int, ...]


# ---------------------------------------------------------------------------- hardening


@dataclass
class Hardening:
    """One change to the flow: what was done and why, and the node it belongs to."""

    text: str
    loc: Loc
    applied: bool = True  # False: considered and left out (the text says why)


@dataclass
class HardeningContext:
    """The flow being hardened, validated and analysed: what every technique reads."""

    data: dict[str, Any]
    flow: Any
    analysis: Any
    profiles: dict[str, ModelProfile]
    catalog: Catalog
    sla: float | None
    budget: float | None


def hardening_context(data: dict[str, Any], catalog: Catalog) -> HardeningContext:
    """`data` validated and analysed against `catalog`, with its model profiles, SLA and budget."""
    from copilot.flow.estimate import model_profiles
    from copilot.flow.graph import analyze
    from copilot.flow.models import Flow

    flow = Flow.model_validate(data)
    analysis = analyze(flow, catalog)
    return HardeningContext(
        data, flow, analysis, model_profiles(flow, catalog), catalog, analysis.sla, analysis.budget
    )


def estimated_cost(data: dict[str, Any], catalog: Catalog) -> float:
    """Estimated USD per event, counting a hedged step's backup call as always made.

    The shared analysis counts first attempts only; a hedge fires on a share of calls that
    depends on traffic, so the budget check assumes every call is hedged.
    """
    ctx = hardening_context(data, catalog)
    return _cost(ctx)


def _cost(ctx: HardeningContext) -> float:
    from copilot.flow.estimate import candidates

    total = ctx.analysis.cost_per_event
    for step in ctx.flow.steps:
        if step.type != "model" or step.hedge is None:
            continue
        estimate = ctx.analysis.estimates.get(step.id)
        order = candidates(step)
        chosen = estimate.model if estimate and estimate.model else (order[0] if order else None)
        backups = [a for a in order if a != chosen and a in ctx.profiles]
        if estimate is not None and backups:
            total += ctx.profiles[backups[0]].cost(estimate.input_tokens, estimate.output_tokens)
    return total


def _quantile(profile: ModelProfile, z: float) -> float:
    """A latency quantile of the model's lognormal fit through its catalog p50 and p95."""
    if profile.p50 <= 0 or profile.p95 <= profile.p50:
        return profile.p50
    return profile.p50 * (profile.p95 / profile.p50) ** (z / Z95)


def ms_floor(seconds: float, step_ms: int = 10) -> float:
    """`seconds` rounded down to a multiple of `step_ms` milliseconds (at least one step)."""
    return max(step_ms, math.floor(seconds * 1000 / step_ms) * step_ms) / 1000


def allowed_models(ctx: HardeningContext) -> list[ModelProfile]:
    """The catalog models the flow's cost tier allows (standard when it names none)."""
    tier = (ctx.flow.sla.cost_tier if ctx.flow.sla else None) or "standard"
    return ctx.catalog.by_tier(COST_TIER_TIERS.get(tier, COST_TIER_TIERS["standard"]))


def _use_id(profile: ModelProfile) -> str:
    """Pin to the dated snapshot where the catalog has one (FG704)."""
    return f"{profile.provider}/{profile.snapshot}" if profile.snapshot else profile.id


def _hot_model_steps(ctx: HardeningContext) -> list[tuple[int, Any]]:
    hot = set(ctx.analysis.hot_path)
    return [(i, s) for i, s in enumerate(ctx.flow.steps) if s.type == "model" and s.id in hot]


def _primary(ctx: HardeningContext, step: Any) -> str | None:
    estimate = ctx.analysis.estimates.get(step.id)
    if estimate is not None and estimate.model:
        return estimate.model
    return step.model or (step.route.candidates[0] if step.route else None)


def _first_backup(ctx: HardeningContext, step: Any) -> str | None:
    from copilot.flow.estimate import candidates

    primary = _primary(ctx, step)
    return next((a for a in candidates(step) if a != primary and a in ctx.profiles), None)


def _step_share(ctx: HardeningContext, step_id: str) -> float | None:
    """The part of the SLA this step may use: the SLA split along the critical path by estimate."""
    cp = ctx.analysis.critical_path
    if ctx.sla is None or cp is None or cp.p95 <= 0 or step_id not in cp.steps:
        return ctx.sla
    return ctx.sla * ctx.analysis.estimates[step_id].p95 / cp.p95


def harden(
    data: dict[str, Any], result: OwnTest, catalog: Catalog, *, budget: float | None = None
) -> tuple[dict[str, Any], list[str]]:
    """`data` changed so its own test is more likely to pass, and each change in a sentence.

    `data` itself is not modified. Estimated cost (hedges counted as always firing) never
    goes over `sla.max_cost_per_event` (or `budget` when given); a change that would is
    left out and said so.
    """
    hardened, changes = harden_located(data, result, catalog, budget=budget)
    return hardened, [c.text for c in changes]


def harden_located(
    data: dict[str, Any], result: OwnTest, catalog: Catalog, *, budget: float | None = None
) -> tuple[dict[str, Any], list[Hardening]]:
    """`harden`, with the node each change belongs to (for the comment beside it)."""
    if result.passed or result.error is not None:
        return data, []
    data = copy.deepcopy(data)
    changes: list[Hardening] = []
    limit = budget if budget is not None else hardening_context(data, catalog).budget
    failed = {t["metric"] for t in (result.worst.failed if result.worst else [])}
    slow = bool(failed & {"latency", "sla_attainment", "full_answers", "deadline_answers"}) or any(
        m.startswith("latency{") for m in failed
    )
    erring = bool(failed & {"errors", "dead_letters"})
    if not (slow or erring):
        return data, changes  # a cost (or throughput) threshold: nothing here makes it cheaper
    # Cheapest techniques first; the next level only when the previous one changed nothing.
    levels = [_level_resilience, _level_tighter, _level_faster_model]
    context = hardening_context(data, catalog)
    cp = context.analysis.critical_path
    if cp is not None and context.sla is not None and cp.p95 > context.sla:
        levels.insert(0, levels.pop())  # the estimate alone misses the SLA: the model is the problem
    for level in levels:
        found = level(data, catalog, limit, changes)
        if found:
            break
    return data, changes


def _try(data: dict[str, Any], catalog: Catalog, limit: float | None, edit: Any) -> tuple[bool, str | None]:
    """Apply `edit(data)` if the estimated cost stays within `limit`; else leave `data` as it was."""
    trial = copy.deepcopy(data)
    edit(trial)
    try:
        ctx = hardening_context(trial, catalog)
    except (ValueError, FlowgenError) as exc:  # a change that breaks the flow is not made
        return False, f"not valid: {exc}"
    if limit is not None and _cost(ctx) > limit + 1e-12:
        return False, f"estimated ${_cost(ctx):.5f}/event would exceed the ${limit:g} budget"
    data.clear()
    data.update(trial)
    return True, None


def _level_resilience(
    data: dict[str, Any], catalog: Catalog, limit: float | None, out: list[Hardening]
) -> bool:
    """on_deadline, fallbacks, one retry, and hedges near the primary's p75."""
    before = len(out)
    ctx = hardening_context(data, catalog)
    if ctx.flow.respond is not None and ctx.flow.respond.on_deadline is None and ctx.sla is not None:
        data["respond"]["on_deadline"] = {"status": 202, "body": {"status": "queued"}}
        out.append(
            Hardening(
                "respond.on_deadline: answer 202 when the SLA passes (the rest finishes as async work)",
                ("respond", "on_deadline"),
            )
        )
    need = _in_flight(ctx)
    if need is not None and ctx.flow.trigger.concurrency is not None and ctx.flow.trigger.concurrency < need:
        data["trigger"]["concurrency"] = need
        out.append(
            Hardening(
                f"trigger.concurrency {ctx.flow.trigger.concurrency} → {need}: a burst the trigger accepts, "
                "plus the events its rate keeps in flight for one SLA, must not wait for a slot",
                ("trigger", "concurrency"),
            )
        )
    for index, step in _hot_model_steps(ctx):
        ctx = hardening_context(data, catalog)
        step = ctx.flow.steps[index]
        primary = _primary(ctx, step)
        if primary is None or primary not in ctx.profiles:
            continue
        if _first_backup(ctx, step) is None and step.route is None:
            alias = _add_fallback(data, ctx, index, primary, limit, out)
            if alias is None:
                continue
            ctx = hardening_context(data, catalog)
            step = ctx.flow.steps[index]
        if step.retry is None or not step.retry.attempts:
            from copilot.draft import blocks

            ok, _ = _try(
                data,
                catalog,
                limit,
                lambda d, i=index: d["steps"][i].update(retry=blocks.retry(1, 0.05, 0.2)),
            )
            if ok:
                out.append(
                    Hardening(
                        f"{step.id}: one retry on timeouts, rate limits and 5xx", ("steps", index, "retry")
                    )
                )
                ctx = hardening_context(data, catalog)
                step = ctx.flow.steps[index]
        if step.hedge is None:
            profile = ctx.profiles[primary]
            after = ms_floor(_quantile(profile, HEDGE_Z))
            if step.timeout is not None:
                after = min(after, ms_floor(step.timeout - MIN_TIMEOUT_OVER_HEDGE))
            backup = _first_backup(ctx, step)
            ok, why = _try(
                data,
                catalog,
                limit,
                lambda d, i=index, a=after: d["steps"][i].update(hedge={"after": format_duration(a)}),
            )
            text = (
                f"{step.id}: hedge after {format_duration(after)} (about the p75 of {primary}, "
                f"{profile.id}): the slowest quarter of calls also goes to {backup}, first answer wins"
            )
            if ok:
                out.append(Hardening(text, ("steps", index, "hedge")))
            else:
                out.append(Hardening(f"{step.id}: no hedge: {why}", ("steps", index), applied=False))
    return any(c.applied for c in out[before:])


def _in_flight(ctx: HardeningContext) -> int | None:
    """Events in flight at the test's peak: a burst plus rate × SLA (Little's law)."""
    load = ctx.flow.tests.load if ctx.flow.tests is not None else None
    if load is None or ctx.sla is None:
        return None
    rate = load.rate.per_second if load.rate is not None else 0.0
    burst = load.burst.size if load.burst is not None else 0
    return burst + math.ceil(rate * ctx.sla) if burst or rate else None


def _add_fallback(
    data: dict[str, Any],
    ctx: HardeningContext,
    index: int,
    primary: str,
    limit: float | None,
    out: list[Hardening],
) -> str | None:
    """A fallback alias from another provider with at least the primary's context window."""
    main = ctx.profiles[primary]
    options = [
        m
        for m in allowed_models(ctx)
        if m.provider != main.provider and (m.context_window or 0) >= (main.context_window or 0)
    ]
    options.sort(key=lambda m: (m.p95, m.input_per_mtok + m.output_per_mtok))
    step_id = data["steps"][index]["id"]
    for profile in options:
        alias = next(
            (a for a, p in ctx.profiles.items() if p.id == profile.id or _use_id(p) == _use_id(profile)), None
        )
        new_alias = alias is None
        if new_alias:
            alias = _free_alias(data, "backup")

        def edit(d: dict[str, Any], a: str = alias, p: ModelProfile = profile, n: bool = new_alias) -> None:
            if n:
                d.setdefault("models", {})[a] = {"use": _use_id(p)}
            d["steps"][index]["fallback"] = [a]

        ok, _ = _try(data, ctx.catalog, limit, edit)
        if ok:
            out.append(
                Hardening(
                    f"{step_id}: fallback {alias} ({profile.id}, another provider) when {primary} fails",
                    ("steps", index, "fallback"),
                )
            )
            return alias
    out.append(
        Hardening(
            f"{step_id}: no fallback: none from another provider fits the budget",
            ("steps", index),
            applied=False,
        )
    )
    return None


def _free_alias(data: dict[str, Any], stem: str) -> str:
    models = data.get("models") or {}
    if stem not in models:
        return stem
    n = 2
    while f"{stem}{n}" in models:
        n += 1
    return f"{stem}{n}"


def _level_tighter(data: dict[str, Any], catalog: Catalog, limit: float | None, out: list[Hardening]) -> bool:
    """Hedges at the primary's p50, and timeouts that leave room for the fallback."""
    before = len(out)
    ctx = hardening_context(data, catalog)
    for index, step in _hot_model_steps(ctx):
        ctx = hardening_context(data, catalog)
        step = ctx.flow.steps[index]
        primary = _primary(ctx, step)
        backup = _first_backup(ctx, step)
        if primary not in ctx.profiles or backup is None:
            continue
        profile = ctx.profiles[primary]
        share = _step_share(ctx, step.id)
        if step.timeout is not None and share is not None:
            room = share - ctx.profiles[backup].p95
            floor = max(profile.p50 * 1.2, (step.hedge.after if step.hedge else 0.0) + MIN_TIMEOUT_OVER_HEDGE)
            timeout = ms_floor(room)
            # Only when the fallback then fits: a timeout cut further just times out more calls.
            if floor <= timeout < step.timeout - 0.005:
                ok, _ = _try(
                    data,
                    catalog,
                    limit,
                    lambda d, i=index, t=timeout: d["steps"][i].update(timeout=format_duration(t)),
                )
                if ok:
                    out.append(
                        Hardening(
                            f"{step.id}: timeout {format_duration(step.timeout)} → "
                            f"{format_duration(timeout)} so the fallback {backup} (p95 "
                            f"{format_duration(ctx.profiles[backup].p95)}) fits in this step's "
                            f"{format_duration(ms_floor(share))} of the SLA",
                            ("steps", index, "timeout"),
                        )
                    )
                    ctx = hardening_context(data, catalog)
                    step = ctx.flow.steps[index]
        p50 = ms_floor(profile.p50)
        if step.timeout is not None:
            p50 = min(p50, ms_floor(step.timeout - MIN_TIMEOUT_OVER_HEDGE))
        if step.hedge is None or step.hedge.after > p50 + 0.005:
            was = format_duration(step.hedge.after) if step.hedge else "none"
            ok, _ = _try(
                data,
                catalog,
                limit,
                lambda d, i=index, a=p50: d["steps"][i].update(hedge={"after": format_duration(a)}),
            )
            if ok:
                out.append(
                    Hardening(
                        f"{step.id}: hedge {was} → {format_duration(p50)} (the p50 of {primary}, "
                        f"{profile.id}): half the calls race {backup}",
                        ("steps", index, "hedge"),
                    )
                )
    return any(c.applied for c in out[before:])


def _level_faster_model(
    data: dict[str, Any], catalog: Catalog, limit: float | None, out: list[Hardening]
) -> bool:
    """The fastest model the cost tier allows as the primary of slow hot-path steps."""
    before = len(out)
    ctx = hardening_context(data, catalog)
    allowed = sorted(allowed_models(ctx), key=lambda m: (m.p95, m.input_per_mtok + m.output_per_mtok))
    hot = set(ctx.analysis.hot_path)
    done: set[str] = set()
    for index, step in _hot_model_steps(ctx):
        ctx = hardening_context(data, catalog)
        step = ctx.flow.steps[index]
        primary = _primary(ctx, step)
        if primary is None or primary not in ctx.profiles or primary in done or step.route is not None:
            continue
        current = ctx.profiles[primary]
        main = current
        faster = [m for m in allowed if m.p95 < current.p95 and m.provider != _backup_provider(ctx, step)]
        for candidate in faster:
            users = [s for s in ctx.flow.steps if s.type == "model" and primary in _aliases(s)]
            shared = any(s.id not in hot for s in users)

            def edit(
                d: dict[str, Any], p: ModelProfile = candidate, a: str = primary, sh: bool = shared
            ) -> None:
                if not sh:
                    d["models"][a] = {"use": _use_id(p)}
                    return
                new = _free_alias(d, f"{a}_hot")
                d["models"][new] = {"use": _use_id(p)}
                for s in d["steps"]:
                    if s.get("model") == a and s["id"] in hot:
                        s["model"] = new
                # The chaos aimed at the old alias hits the new one too: a faster model must
                # not also be an untested one.
                tests = d.get("tests") or {}
                for fault in list(tests.get("chaos") or []):
                    if fault.get("target") == f"model:{a}":
                        tests["chaos"].append({**fault, "target": f"model:{new}"})

            ok, _ = _try(data, catalog, limit, edit)
            if ok:
                where = f"models.{primary}" if not shared else f"hot-path steps of {primary}"
                out.append(
                    Hardening(
                        f"{where}: {main.id} (p95 {format_duration(main.p95)}) → {candidate.id} "
                        f"(p95 {format_duration(candidate.p95)}), the fastest the cost tier allows",
                        ("models", primary) if not shared else ("steps", index, "model"),
                    )
                )
                done.add(primary)
                break
    return any(c.applied for c in out[before:])


def _aliases(step: Any) -> list[str]:
    from copilot.flow.estimate import candidates

    return candidates(step)


def _backup_provider(ctx: HardeningContext, step: Any) -> str | None:
    backup = _first_backup(ctx, step)
    return ctx.profiles[backup].provider if backup in ctx.profiles else None
