"""The draft's own test: run the flow's `tests:` before it is written, harden it until it passes.

A drafted flow carries a load test, chaos and thresholds (its `tests:` block). Estimates from the
catalog say whether the hot path *should* fit the SLA; the own test says whether it does
under the flow's own chaos, on the sim provider in virtual time (the machinery of
`flowgen test --virtual-time`: `copilot.run.loadtest`, reused as is). Several seeds run,
so a pass is not one lucky draw of latencies; the worst seed is the verdict.

When a threshold fails, `harden` applies the techniques a production engineer would,
cheapest first, each only when the estimated cost per event stays within the budget:

1. an `on_deadline` answer, a fallback from another provider and one retry on every
   hot-path model step that lacks them, and a hedge (`hedge.after` near the primary's p75:
   the slow quarter of calls gets a second chance on the fallback);
2. earlier hedges (at the primary's p50) and tighter timeouts, so that a timed-out call's
   fallback still fits in the step's share of the SLA;
3. a faster primary model, the fastest the cost tier allows.

`close_loop` alternates test and hardening for a bounded number of rounds. A flow that
cannot pass is still returned (with the reason): the caller decides what that means.

Honesty rules: the chaos is never weakened (a new model alias inherits the chaos of the
alias it replaces), and a retrieve step whose documents are not there yet is stood in by
its `on_empty` value in the test copy only (retrieval is local and takes no virtual
time), which the result notes.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from copilot.catalog import COST_TIER_TIERS, Catalog, ModelProfile
from copilot.errors import FlowgenError
from copilot.flow.units import format_duration

DEFAULT_SEEDS = 2  # two seeds: enough that a pass is not luck, cheap enough for every draft
DEFAULT_ROUNDS = 3
HEDGE_Z = 0.674  # the standard normal's 75th percentile: hedge the slowest quarter of calls
Z95 = 1.6448536269514722
MIN_TIMEOUT_OVER_HEDGE = 0.05  # a hedge must start clearly before the call times out

Loc = tuple[str | int, ...]


# ---------------------------------------------------------------------------- the own test


@dataclass
class SeedRun:
    """What one seed of the flow's own test measured."""

    seed: int
    p95_ms: float | None
    within_sla: float | None  # any non-error response within the SLA (full or on_deadline)
    full_within_sla: float | None  # the full answer within the SLA
    error_rate: float | None
    deadline_answers: float | None
    cost_avg: float | None  # USD per event
    thresholds: list[dict[str, Any]]  # metric, threshold, measured, unit, passed
    events: int

    @property
    def passed(self) -> bool:
        return all(t["passed"] for t in self.thresholds)

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [t for t in self.thresholds if not t["passed"]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "events": self.events,
            "p95_ms": self.p95_ms,
            "within_sla": self.within_sla,
            "full_answers_within_sla": self.full_within_sla,
            "error_rate": self.error_rate,
            "deadline_answers": self.deadline_answers,
            "cost_per_event_avg": self.cost_avg,
            "thresholds": self.thresholds,
            "passed": self.passed,
        }


@dataclass
class OwnTest:
    """The flow's own `tests:` over several seeds; the worst seed is the verdict."""

    sla_ms: float | None
    runs: list[SeedRun] = field(default_factory=list)
    error: str | None = None  # the test could not run (the flow's tests block is unusable)
    notes: list[str] = field(default_factory=list)

    @property
    def worst(self) -> SeedRun | None:
        """A failing seed before a passing one; then the highest p95."""
        if not self.runs:
            return None
        return max(self.runs, key=lambda r: (not r.passed, r.p95_ms or 0.0))

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.runs) and all(r.passed for r in self.runs)

    # The worst seed's figures, for callers that want one number each.
    @property
    def p95_ms(self) -> float | None:
        return self.worst.p95_ms if self.worst else None

    @property
    def within_sla(self) -> float | None:
        return self.worst.within_sla if self.worst else None

    @property
    def full_within_sla(self) -> float | None:
        return self.worst.full_within_sla if self.worst else None

    @property
    def error_rate(self) -> float | None:
        return self.worst.error_rate if self.worst else None

    @property
    def cost_avg(self) -> float | None:
        return self.worst.cost_avg if self.worst else None

    @property
    def thresholds(self) -> list[dict[str, Any]]:
        return self.worst.thresholds if self.worst else []

    def summary(self) -> str:
        """One line, e.g. ``own test: p95 1,310 ms vs 1,500 ms, 99.7% within SLA: pass``."""
        if self.error is not None:
            return f"own test: could not run: {self.error}"
        worst = self.worst
        if worst is None:
            return "own test: no run"
        parts = [f"p95 {_ms_text(worst.p95_ms)}" + (f" vs {_ms_text(self.sla_ms)}" if self.sla_ms else "")]
        if worst.within_sla is not None:
            parts.append(f"{_pct(worst.within_sla)} within SLA")
        if worst.full_within_sla is not None and worst.full_within_sla != worst.within_sla:
            parts.append(f"{_pct(worst.full_within_sla)} full answers")
        if worst.error_rate:
            parts.append(f"{_pct(worst.error_rate)} errors")
        seeds = f" (worst of {len(self.runs)} seeds)" if len(self.runs) > 1 else ""
        if self.passed:
            verdict = "pass"
        else:
            verdict = "FAIL (" + ", ".join(f"{t['metric']} {t['threshold']}" for t in worst.failed) + ")"
        return f"own test: {', '.join(parts)}{seeds}: {verdict}"

    def to_dict(self) -> dict[str, Any]:
        worst = self.worst
        return {
            "passed": self.passed,
            "summary": self.summary(),
            "error": self.error,
            "sla_ms": self.sla_ms,
            "seeds": [r.seed for r in self.runs],
            "worst": worst.to_dict() if worst else None,
            "runs": [r.to_dict() for r in self.runs],
            "notes": list(self.notes),
        }


def _ms_text(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:,.0f} ms"


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def own_test(
    text_or_flow: str | dict[str, Any],
    catalog: Catalog | None = None,
    *,
    seed: int = 0,
    seeds: int = DEFAULT_SEEDS,
    base_dir: str | Path | None = None,
    stop_at_failure: bool = True,
) -> OwnTest:
    """Run the flow's own `tests:` on the sim provider in virtual time, seeds `seed`… `seed+seeds-1`.

    `text_or_flow` is the flow as YAML text or as plain data (what the drafter produces).
    `base_dir` is where the flow will live: retrieve sources are resolved from there. With
    `stop_at_failure`, the seeds after a failing one are not run (the verdict is known).
    """
    from copilot.flow.load import load_flow_text
    from copilot.run.loadtest import prepare_loaded, run_setup

    base = Path(base_dir) if base_dir is not None else Path.cwd()
    data = text_or_flow if isinstance(text_or_flow, dict) else None
    result = OwnTest(sla_ms=None)
    try:
        if data is None:
            from copilot.flow.load import parse_yaml

            data = parse_yaml(str(text_or_flow), "<own test>").data
        data, notes = _test_copy(data, base)
        result.notes.extend(notes)
        text = _with_tests(data)
        loaded = load_flow_text(text, str(base / "own-test.flow.yaml"))
        flow = loaded.flow
        sla = flow.latency_sla
        result.sla_ms = None if sla is None else round(sla * 1000, 3)
        setup = prepare_loaded(loaded, seed=seed)
        for offset in range(max(1, seeds)):
            run = run_setup(replace(setup, seed=seed + offset), virtual_time=True, catalog=catalog)
            result.runs.append(_seed_run(run))
            if stop_at_failure and not result.runs[-1].passed:
                break
    except FlowgenError as exc:
        result.error = exc.message if hasattr(exc, "message") else str(exc)
    return result


def _seed_run(run: Any) -> SeedRun:
    rec = run.recorder
    p95 = rec.latency.percentile(95)
    return SeedRun(
        seed=run.setup.seed,
        p95_ms=None if p95 is None else round(p95 * 1000, 3),
        within_sla=run.rate("sla_attainment"),
        full_within_sla=run.rate("full_answers"),
        error_rate=run.rate("errors"),
        deadline_answers=run.rate("deadline_answers"),
        cost_avg=rec.total_cost / rec.events if rec.events else None,
        thresholds=[t.to_dict() for t in run.thresholds],
        events=rec.events,
    )


def _with_tests(data: dict[str, Any]) -> str:
    """The flow as YAML; when its `tests` block is incomplete, with the lint autofix's
    load, chaos and thresholds (what `finalize` will add before the file is written)."""
    from copilot.draft.checks import yaml_of

    text = yaml_of(data)
    tests = data.get("tests") or {}
    if all(tests.get(key) for key in ("load", "chaos", "thresholds")):
        return text
    from copilot.lint.fixes import fix_text

    fixed, _ = fix_text(text, "<own test>")
    return fixed


def _test_copy(data: dict[str, Any], base: Path) -> tuple[dict[str, Any], list[str]]:
    """The flow as the test runs it: a retrieve step whose documents are not there yet
    answers its `on_empty` value (a `transform` in the copy; the draft keeps its retrieve)."""
    from copilot.flow import sources

    notes = []
    steps = data.get("steps") or []
    missing = []
    for index, step in enumerate(steps):
        if not isinstance(step, dict) or step.get("type") != "retrieve":
            continue
        for source in step.get("sources") or []:
            path = source.get("path") if isinstance(source, dict) else None
            if isinstance(path, str) and not sources.resolve(path, base):
                missing.append(index)
                notes.append(
                    f"step `{step.get('id')}`: `{path}` matches no files under {base}; "
                    "the test stood in its on_empty value (retrieval takes no time in the test)"
                )
                break
    if not missing:
        return data, notes
    data = copy.deepcopy(data)
    for index in missing:
        step = data["steps"][index]
        empty = (step.get("on_empty") or {}).get("value", [])
        stand_in = {k: step[k] for k in ("id", "mode", "needs", "if") if k in step}
        stand_in.update(type="transform", output=empty)
        data["steps"][index] = stand_in
    return data, notes


# ---------------------------------------------------------------------------- hardening


@dataclass
class Hardening:
    """One change to the flow: what was done and why, and the node it belongs to."""

    text: str
    loc: Loc
    applied: bool = True  # False: considered and left out (the text says why)


@dataclass
class _Context:
    data: dict[str, Any]
    flow: Any
    analysis: Any
    profiles: dict[str, ModelProfile]
    catalog: Catalog
    sla: float | None
    budget: float | None


def _context(data: dict[str, Any], catalog: Catalog) -> _Context:
    from copilot.flow.estimate import model_profiles
    from copilot.flow.graph import analyze
    from copilot.flow.models import Flow

    flow = Flow.model_validate(data)
    analysis = analyze(flow, catalog)
    return _Context(
        data, flow, analysis, model_profiles(flow, catalog), catalog, analysis.sla, analysis.budget
    )


def estimated_cost(data: dict[str, Any], catalog: Catalog) -> float:
    """Estimated USD per event, counting a hedged step's backup call as always made.

    The shared analysis counts first attempts only; a hedge fires on a share of calls that
    depends on traffic, so the budget check assumes every call is hedged.
    """
    ctx = _context(data, catalog)
    return _cost(ctx)


def _cost(ctx: _Context) -> float:
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


def _ms_floor(seconds: float, step_ms: int = 10) -> float:
    return max(step_ms, math.floor(seconds * 1000 / step_ms) * step_ms) / 1000


def _allowed(ctx: _Context) -> list[ModelProfile]:
    tier = (ctx.flow.sla.cost_tier if ctx.flow.sla else None) or "standard"
    return ctx.catalog.by_tier(COST_TIER_TIERS.get(tier, COST_TIER_TIERS["standard"]))


def _use_id(profile: ModelProfile) -> str:
    """Pin to the dated snapshot where the catalog has one (FG704)."""
    return f"{profile.provider}/{profile.snapshot}" if profile.snapshot else profile.id


def _hot_model_steps(ctx: _Context) -> list[tuple[int, Any]]:
    hot = set(ctx.analysis.hot_path)
    return [(i, s) for i, s in enumerate(ctx.flow.steps) if s.type == "model" and s.id in hot]


def _primary(ctx: _Context, step: Any) -> str | None:
    estimate = ctx.analysis.estimates.get(step.id)
    if estimate is not None and estimate.model:
        return estimate.model
    return step.model or (step.route.candidates[0] if step.route else None)


def _first_backup(ctx: _Context, step: Any) -> str | None:
    from copilot.flow.estimate import candidates

    primary = _primary(ctx, step)
    return next((a for a in candidates(step) if a != primary and a in ctx.profiles), None)


def _step_share(ctx: _Context, step_id: str) -> float | None:
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
    limit = budget if budget is not None else _context(data, catalog).budget
    failed = {t["metric"] for t in (result.worst.failed if result.worst else [])}
    slow = bool(failed & {"latency", "sla_attainment", "full_answers", "deadline_answers"}) or any(
        m.startswith("latency{") for m in failed
    )
    erring = bool(failed & {"errors", "dead_letters"})
    if not (slow or erring):
        return data, changes  # a cost (or throughput) threshold: nothing here makes it cheaper
    # Cheapest techniques first; the next level only when the previous one changed nothing.
    levels = [_level_resilience, _level_tighter, _level_faster_model]
    context = _context(data, catalog)
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
        ctx = _context(trial, catalog)
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
    ctx = _context(data, catalog)
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
        ctx = _context(data, catalog)
        step = ctx.flow.steps[index]
        primary = _primary(ctx, step)
        if primary is None or primary not in ctx.profiles:
            continue
        if _first_backup(ctx, step) is None and step.route is None:
            alias = _add_fallback(data, ctx, index, primary, limit, out)
            if alias is None:
                continue
            ctx = _context(data, catalog)
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
                ctx = _context(data, catalog)
                step = ctx.flow.steps[index]
        if step.hedge is None:
            profile = ctx.profiles[primary]
            after = _ms_floor(_quantile(profile, HEDGE_Z))
            if step.timeout is not None:
                after = min(after, _ms_floor(step.timeout - MIN_TIMEOUT_OVER_HEDGE))
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


def _in_flight(ctx: _Context) -> int | None:
    """Events in flight at the test's peak: a burst plus rate × SLA (Little's law)."""
    load = ctx.flow.tests.load if ctx.flow.tests is not None else None
    if load is None or ctx.sla is None:
        return None
    rate = load.rate.per_second if load.rate is not None else 0.0
    burst = load.burst.size if load.burst is not None else 0
    return burst + math.ceil(rate * ctx.sla) if burst or rate else None


def _add_fallback(
    data: dict[str, Any], ctx: _Context, index: int, primary: str, limit: float | None, out: list[Hardening]
) -> str | None:
    """A fallback alias from another provider with at least the primary's context window."""
    main = ctx.profiles[primary]
    options = [
        m
        for m in _allowed(ctx)
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
    ctx = _context(data, catalog)
    for index, step in _hot_model_steps(ctx):
        ctx = _context(data, catalog)
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
            timeout = _ms_floor(room)
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
                            f"{format_duration(_ms_floor(share))} of the SLA",
                            ("steps", index, "timeout"),
                        )
                    )
                    ctx = _context(data, catalog)
                    step = ctx.flow.steps[index]
        p50 = _ms_floor(profile.p50)
        if step.timeout is not None:
            p50 = min(p50, _ms_floor(step.timeout - MIN_TIMEOUT_OVER_HEDGE))
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
    ctx = _context(data, catalog)
    allowed = sorted(_allowed(ctx), key=lambda m: (m.p95, m.input_per_mtok + m.output_per_mtok))
    hot = set(ctx.analysis.hot_path)
    done: set[str] = set()
    for index, step in _hot_model_steps(ctx):
        ctx = _context(data, catalog)
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


def _backup_provider(ctx: _Context, step: Any) -> str | None:
    backup = _first_backup(ctx, step)
    return ctx.profiles[backup].provider if backup in ctx.profiles else None


# ---------------------------------------------------------------------------- the loop


@dataclass
class LoopResult:
    """The flow after the closed loop, every round's test, what changed, and the verdict."""

    data: dict[str, Any]
    rounds: list[OwnTest]
    changes: list[str]
    passed: bool
    reason: str | None = None  # why it does not pass, when it does not
    notes: dict[Loc, str] = field(default_factory=dict)  # comments beside the changed nodes

    @property
    def final(self) -> OwnTest:
        return self.rounds[-1]

    def summary(self) -> str:
        line = self.final.summary()
        if len(self.rounds) > 1:
            line += f" after {len(self.rounds) - 1} round(s) of hardening"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "summary": self.summary(),
            "reason": self.reason,
            "changes": list(self.changes),
            "final": self.final.to_dict(),
            "rounds": [r.to_dict() for r in self.rounds],
        }


def close_loop(
    data: dict[str, Any],
    request: Any = None,
    *,
    catalog: Catalog | None = None,
    base_dir: str | Path | None = None,
    rounds: int = DEFAULT_ROUNDS,
    seeds: int = DEFAULT_SEEDS,
    seed: int = 0,
) -> LoopResult:
    """Test, harden, test again, at most `rounds` hardenings; the flow as it ends up.

    `request` is the `DraftRequest` (its catalog and budget are used); `catalog` overrides it.
    """
    catalog = catalog or getattr(request, "catalog", None)
    if catalog is None:
        from copilot.catalog import default_catalog

        catalog = default_catalog()
    budget = getattr(request, "budget", None)
    results = [own_test(data, catalog, seed=seed, seeds=seeds, base_dir=base_dir)]
    changes: list[str] = []
    notes: dict[Loc, str] = {}
    current = data
    for _ in range(rounds):
        last = results[-1]
        if last.passed or last.error is not None:
            break
        try:
            hardened, made = harden_located(current, last, catalog, budget=budget)
        except FlowgenError:
            break
        applied = [c for c in made if c.applied]
        changes.extend(c.text for c in made)
        for change in applied:
            notes[change.loc] = "own test: " + change.text.split(": ", 1)[-1]
        if not applied:
            break
        current = hardened
        results.append(own_test(current, catalog, seed=seed, seeds=seeds, base_dir=base_dir))
    final = results[-1]
    passed = final.passed
    reason = None if passed else _reason(current, final, catalog, len(results) - 1)
    return LoopResult(current, results, changes, passed, reason, notes)


def _reason(data: dict[str, Any], result: OwnTest, catalog: Catalog, rounds: int) -> str:
    """Why the flow does not pass, in one sentence with the numbers behind it."""
    if result.error is not None:
        return f"the own test could not run: {result.error}"
    worst = result.worst
    failed = worst.failed if worst else []
    parts = []
    for t in failed:
        if t["metric"] == "latency" and result.sla_ms and worst is not None:
            parts.insert(0, f"p95 {_ms_text(worst.p95_ms)} vs SLA {_ms_text(result.sla_ms)}")
        else:
            parts.append(f"{t['metric']} {_measured(t)} vs {t['threshold']}")
    text = f"{', '.join(parts) or 'no threshold failed'} after {rounds} round(s) of hardening"
    try:
        ctx = _context(data, catalog)
    except (ValueError, FlowgenError):  # the reason must not fail the draft
        return text
    allowed = _allowed(ctx)
    cp = ctx.analysis.critical_path
    if allowed and cp is not None and ctx.sla is not None:
        fastest = min(allowed, key=lambda m: m.p95)
        calls = [s for s in cp.steps if ctx.analysis.estimates[s].model]
        if calls:
            need = len(calls) * fastest.p50
            text += (
                f": the hot path calls a model {len(calls)} time(s) in a row ({' → '.join(calls)}) and the "
                f"fastest model the cost tier allows, {fastest.id}, has p50 {format_duration(fastest.p50)} / "
                f"p95 {format_duration(fastest.p95)}"
            )
            if need > ctx.sla or fastest.p95 > ctx.sla:
                text += f", so even a typical event needs about {format_duration(_ms_floor(need))} "
                text += f"against the {format_duration(ctx.sla)} SLA"
            slowed = _chaos_latency(ctx)
            if slowed:
                text += f"; the test's chaos adds {slowed}"
            text += "; raise the SLA, allow a faster tier, or move work off the hot path"
    if any(t["metric"] == "cost_per_event" for t in failed):
        text += (
            "; the cost threshold needs cheaper models or fewer calls (hardening never adds cost over budget)"
        )
    return text


def _chaos_latency(ctx: _Context) -> str:
    """The test's latency faults, e.g. ``latency +300ms±200ms on model:fast (50% of calls)``."""
    faults = ctx.flow.tests.chaos if ctx.flow.tests is not None else []
    out = []
    for fault in faults:
        if fault.type in ("latency", "slow_first_token") and fault.latency:
            spread = f"±{format_duration(fault.jitter)}" if fault.jitter else ""
            share = "" if fault.toxicity >= 1 else f" ({fault.toxicity:.0%} of calls)"
            out.append(f"latency +{format_duration(fault.latency)}{spread} on {fault.target}{share}")
    return ", ".join(out)


def _measured(threshold: dict[str, Any]) -> str:
    value = threshold.get("measured")
    if value is None:
        return "no data"
    unit = threshold.get("unit") or ""
    if unit == "ms":
        return _ms_text(value)
    if unit == "USD":
        return f"${value:.6f}"
    return f"{value:.4g}"
