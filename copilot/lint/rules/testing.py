"""FG8xx: the flow's own load test, chaos and thresholds (`tests:`, run by `flowgen test`).

The fixes write a `tests:` skeleton sized from the flow: load at the trigger's rate limit
(10/s without one) with bursts, the default chaos set on the flow's models, and thresholds
equal to the SLA and the budget.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from copilot import policy
from copilot.flow.thresholds import plain_number
from copilot.lint.rule import Context, Hit, Loc, fixer, rule

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

    from copilot.flow.models import Flow, RateLimit
    from copilot.flow.thresholds import Threshold

LOAD_RATE_DEFAULT = 10.0  # events per second when the trigger has no rate limit
LOAD_SECONDS = 6.0  # long enough for several bursts, short enough to run in CI
ERROR_RATE_THRESHOLD = policy.ERROR_THRESHOLD
# Threshold names `flowgen test` reports (`tests.thresholds`; docs/architecture.md, "The flow file").
LATENCY_METRIC, ERRORS_METRIC, COST_METRIC = "latency", "errors", "cost_per_event"


def _tests_loc(ctx: Context, key: str) -> tuple[Loc, bool]:
    tests = ctx.doc.data.get("tests")
    if isinstance(tests, dict) and key in tests:
        return ("tests", key), True
    return ctx.block_loc("tests")


def _missing_tests(ctx: Context, part: str, why: str, fix_hint: str) -> Hit:
    """FG801, FG802: the flow has no `tests.<part>` (at it when empty, else where `tests` goes)."""
    loc, key = _tests_loc(ctx, part)
    return Hit(loc, f"no `tests.{part}`: {why}", key=key, fix_hint=fix_hint)


# ---------------------------------------------------------------------------- skeleton


def load_rate(flow: Flow, limit: RateLimit | None = None) -> tuple[float, int]:
    """(events per second, burst size) of the load: the trigger's rate limit, or 10/s."""
    limit = limit if limit is not None else flow.trigger.rate_limit
    if limit is None or limit.period <= 0:
        return LOAD_RATE_DEFAULT, int(2 * LOAD_RATE_DEFAULT)
    rate = limit.limit / limit.period
    return rate, limit.burst or max(1, math.ceil(2 * rate))


def _rate_text(rate: float) -> str:
    if rate >= 1:
        return f"{plain_number(round(rate, 3))}/s"
    return f"{max(1, round(rate * 60))}/m"


def load_skeleton(flow: Flow, limit: RateLimit | None = None) -> dict[str, Any]:
    """A burst load at the trigger's rate: ~6 seconds of events, a burst every 2 seconds."""
    rate, burst = load_rate(flow, limit)
    events = max(20, math.ceil(rate * LOAD_SECONDS))
    return {
        "executor": "burst",
        "events": events,
        "rate": _rate_text(rate),
        "burst": {"size": burst, "every": "2s"},
    }


def _model_aliases(ctx: Context) -> list[str]:
    """Primary aliases of the model steps, hot-path ones first, in file order."""
    hot = set(ctx.analysis.hot_path)
    ordered = sorted(ctx.steps("model"), key=lambda pair: (pair[1].id not in hot, pair[0]))
    aliases: list[str] = []
    for _, step in ordered:
        alias = step.model or (step.route.candidates[0] if step.route else None)
        estimate = ctx.analysis.estimates.get(step.id)
        if estimate is not None and estimate.model:
            alias = estimate.model
        if alias and alias not in aliases:
            aliases.append(alias)
    return aliases


def chaos_skeleton(ctx: Context) -> list[dict[str, Any]]:
    """The default chaos set: jitter and hangs on the primary models, 503s on every model.

    The same set the drafter writes (docs/architecture.md, "The flow file").

    A flow without model steps gets the same faults on its HTTP calls, or latency on its
    first step.
    """
    aliases = _model_aliases(ctx)
    if aliases:
        chaos: list[dict[str, Any]] = [
            {
                "target": f"model:{a}",
                "type": "latency",
                "latency": "500ms",
                "jitter": "300ms",
                "toxicity": 0.5,
            }
            for a in aliases
        ]
        chaos.append({"target": "model:*", "type": "error", "status": 503, "toxicity": 0.05})
        chaos.append({"target": f"model:{aliases[0]}", "type": "timeout", "toxicity": 0.02})
        return chaos
    if any(True for _ in ctx.steps("http")):
        return [
            {"target": "http:*", "type": "latency", "latency": "300ms", "jitter": "200ms", "toxicity": 0.5},
            {"target": "http:*", "type": "error", "status": 503, "toxicity": 0.05},
            {"target": "http:*", "type": "timeout", "toxicity": 0.02},
        ]
    first = ctx.flow.steps[0].id
    return [
        {"target": f"step:{first}", "type": "latency", "latency": "200ms", "jitter": "100ms", "toxicity": 0.5}
    ]


# ---------------------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class ThresholdGap:
    """One way the thresholds fall short of the SLA or the budget."""

    metric: str
    message: str
    wanted: str | None  # the threshold that closes the gap (None: a malformed one to edit)
    loc: Loc
    key: bool = False


def _unbounded(
    here: list[Threshold], bounding: list[Threshold], what: str, target: str, wanted: str
) -> str | None:
    """Why a metric's thresholds (`here`, of which `bounding` hold it to the SLA or the budget,
    `target`) leave it unbounded; None when one bounds it."""
    if not here:
        return f"no {what} threshold; the {target} wants {wanted}"
    if not bounding:
        shown = ", ".join(str(t) for t in here)
        return f"{what} threshold {shown} is looser than the {target} ({wanted})"
    return None


def required_thresholds(flow: Flow, k6_compatible: bool = False) -> dict[str, str]:
    """Metric -> the threshold that enforces the flow's SLA, error rate and budget.

    The latency has flowgen's unit (`p(95)<2s`), or is k6's bare milliseconds
    (`p(95)<2000`) when `k6_compatible`.
    """
    from copilot.flow.thresholds import latency_threshold

    out: dict[str, str] = {}
    sla = flow.sla
    if sla is not None and sla.latency_p95 is not None:
        out[LATENCY_METRIC] = latency_threshold(sla.latency_p95, k6_compatible=k6_compatible)
    out[ERRORS_METRIC] = ERROR_RATE_THRESHOLD
    if sla is not None and sla.max_cost_per_event is not None:
        out[COST_METRIC] = f"avg<{plain_number(sla.max_cost_per_event)}"
    return out


def _latency_bounds(threshold: Threshold, sla: float) -> bool:
    """p(q>=95) or max, capped from above at or under the SLA, bounds the p95 within it."""
    strong = threshold.aggregate == "max" or (
        threshold.aggregate == "p" and (threshold.percentile or 0) >= 95
    )
    return strong and threshold.upper_bound and threshold.seconds <= sla


def _cost_bounds(threshold: Threshold, budget: float) -> bool:
    """avg or max of the cost capped at or under the budget (a percentile does not bound the mean)."""
    return threshold.aggregate in ("avg", "max") and threshold.upper_bound and threshold.value <= budget


def k6_compatible(ctx: Context) -> bool:
    """Whether thresholds must be plain k6 (lint's `--k6-compatible` / `k6-compatible`)."""
    return ctx.config is not None and ctx.config.k6_compatible


def threshold_gaps(ctx: Context) -> list[ThresholdGap]:
    """Everything FG803 reports, in a fixed order: malformed, latency, errors, cost."""
    from copilot.flow.thresholds import ThresholdError, method_problem, parse_threshold

    flow = ctx.flow
    strict = k6_compatible(ctx)
    tests = flow.tests
    thresholds = tests.thresholds if tests is not None else {}
    if not thresholds:
        block, key = _tests_loc(ctx, "thresholds")
        wanted = ", ".join(f"{m}: {t}" for m, t in required_thresholds(flow, strict).items())
        return [
            ThresholdGap(
                "*", f"no `tests.thresholds`: the load test cannot fail ({wanted} wanted)", None, block, key
            )
        ]
    gaps: list[ThresholdGap] = []
    parsed: dict[str, list[Threshold]] = {}
    for metric, texts in thresholds.items():
        for index, text in enumerate(texts):
            where: Loc = ("tests", "thresholds", metric, index)
            try:
                threshold = parse_threshold(text, k6_compatible=strict)
            except ThresholdError as exc:
                gaps.append(ThresholdGap(metric, exc.message, None, where))
                continue
            problem = method_problem(metric, threshold, k6_compatible=strict)
            if problem is not None:
                gaps.append(ThresholdGap(metric, problem, None, where))
                continue
            parsed.setdefault(metric, []).append(threshold)
    required = required_thresholds(flow, strict)
    for metric, wanted in required.items():
        here = parsed.get(metric, [])
        loc: Loc = ("tests", "thresholds", metric) if metric in thresholds else ("tests", "thresholds")
        key = metric not in thresholds
        if metric == LATENCY_METRIC:
            limit = flow.latency_sla
            assert limit is not None  # a latency threshold is required only under a latency SLA
            message = _unbounded(
                here, [t for t in here if _latency_bounds(t, limit)], "latency", "SLA", wanted
            )
            if message is not None:
                gaps.append(ThresholdGap(metric, message, wanted, loc, key))
        elif metric == ERRORS_METRIC:
            if not here:
                gaps.append(
                    ThresholdGap(metric, f"no error-rate threshold (e.g. {wanted})", wanted, loc, key)
                )
        elif metric == COST_METRIC:
            budget = flow.cost_budget
            assert budget is not None  # a cost threshold is required only under a budget
            message = _unbounded(here, [t for t in here if _cost_bounds(t, budget)], "cost", "budget", wanted)
            if message is not None:
                gaps.append(ThresholdGap(metric, message, wanted, loc, key))
    return gaps


# ---------------------------------------------------------------------------- rules


@rule("FG801", "missing-load-test", "warning", fixable=True, missing_block=True)
def missing_load_test(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a flow without `tests.load`.

    Why it matters
    Rate limits, routing, hedges, deadline answers and the provider's own limits only show
    their behaviour under concurrent load. A flow tried one event at a time has not been
    tested for the traffic it will get.

    Example
    Failing:

        tests:
          thresholds: {latency: ["p(95)<1500ms"]}

    Passing:

        tests:
          load: {executor: burst, events: 300, rate: 50/s, burst: {size: 100, every: 2s}}

    Fix
    Add `tests.load`. The autofix adds a burst load at the trigger's rate limit (10/s
    without one): about six seconds of events with a burst every two seconds.
    """
    tests = ctx.flow.tests
    if tests is None or tests.load is None:
        hint = "add tests.load: {executor: burst, events: …, rate: <trigger rate>}"
        yield _missing_tests(ctx, "load", "the flow is never tried under concurrent load", hint)


def _rate_limit_in(tree: CommentedMap) -> RateLimit | None:
    """The trigger's rate limit as the tree has it now: FG501's fix may have just added it."""
    from pydantic import ValidationError

    from copilot.errors import FlowgenError
    from copilot.flow.load import to_plain
    from copilot.flow.models import RateLimit

    trigger = tree.get("trigger") if isinstance(tree, dict) else None
    node = trigger.get("rate_limit") if isinstance(trigger, dict) else None
    if not isinstance(node, dict):
        return None
    try:
        return RateLimit.model_validate(to_plain(node))
    except (ValidationError, ValueError, FlowgenError):
        return None


@fixer("FG801")
def _fix_load(tree: CommentedMap, ctx: Context) -> list[str]:
    from copilot.flow.dump import merge_into

    load = load_skeleton(ctx.flow, _rate_limit_in(tree))
    merge_into(tree, "tests", {"load": load})
    return [f"tests.load: burst of {load['events']} events at {load['rate']}"]


@rule("FG802", "missing-chaos-test", "warning", fixable=True, missing_block=True)
def missing_chaos_test(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a flow without `tests.chaos`.

    Why it matters
    Fallbacks, hedges, retries, circuit breakers and deadline answers run only when
    something fails. Injecting model latency, errors and hangs under load makes them run
    in a test, before a provider incident runs them in production.

    Example
    Failing:

        tests:
          load: {executor: burst, events: 300, rate: 50/s}

    Passing:

        tests:
          load: {executor: burst, events: 300, rate: 50/s}
          chaos:
            - {target: "model:fast", type: latency, latency: 500ms, jitter: 300ms, toxicity: 0.5}
            - {target: "model:*", type: error, status: 503, toxicity: 0.05}
            - {target: "model:fast", type: timeout, toxicity: 0.02}

    Fix
    Add `tests.chaos`. The autofix adds latency with jitter on each primary model, 503s on
    5% of all model calls and hangs on 2% of the first model's calls.
    """
    tests = ctx.flow.tests
    if tests is None or not tests.chaos:
        hint = "add tests.chaos with latency, error 503 and timeout faults on the models"
        yield _missing_tests(
            ctx, "chaos", "fallbacks, retries and deadline answers are never exercised", hint
        )


@fixer("FG802")
def _fix_chaos(tree: CommentedMap, ctx: Context) -> list[str]:
    from copilot.flow.dump import merge_into

    chaos = chaos_skeleton(ctx)
    merge_into(tree, "tests", {"chaos": chaos})
    return [f"tests.chaos: {len(chaos)} faults ({', '.join(c['target'] + ' ' + c['type'] for c in chaos)})"]


@rule("FG803", "thresholds-looser-than-sla", "warning", fixable=True, missing_block=True)
def thresholds_looser_than_sla(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags `tests.thresholds` that are missing, malformed, or do not enforce the flow's
    promises: no `latency` threshold at p(95) or above capped at `sla.latency_p95` or
    less; no `errors` threshold; no `cost_per_event` threshold capped at
    `sla.max_cost_per_event` or less. A threshold is malformed when k6 would refuse it,
    or when its aggregation method does not fit the metric's k6 type.
    Thresholds use k6's grammar: METHOD OPERATOR NUMBER, the method one of count, rate,
    value, avg, min, max, med, p(N) with N from 0 to 100, the operator one of <, <=, >, >=,
    ==, ===, !=, the number a float as Go reads it (`1e3`, `-1`, `.5`). Latency is a trend
    (avg, min, max, med, p(N)), cost_per_event too; errors and the other rates take rate;
    throughput (a counter) takes count and rate. flowgen extends k6 with a time unit on the
    number (`p(95)<1500ms`; a bare latency is milliseconds, as in k6) and `count` on trends
    and rates; `flowgen lint --k6-compatible` (or `k6-compatible = true`) refuses both.

    Why it matters
    A load test passes unless a threshold fails it. Thresholds looser than the SLA pass
    while the SLA is being missed, and give a green check to a flow that breaks its promise.

    Example
    Failing (SLA 1500ms):

        thresholds:
          latency: ["p(95)<3s"]

    Passing:

        thresholds:
          latency: ["p(95)<1500ms"]
          errors: ["rate<0.01"]
          cost_per_event: ["avg<0.004"]

    Fix
    Add thresholds equal to the SLA and the budget. The autofix adds each missing one
    (keeping yours): `p(95)<` the SLA (in milliseconds without a unit when
    k6-compatible), `rate<0.01` for errors, `avg<` the budget.
    """
    example = "p(95)<1500" if k6_compatible(ctx) else "p(95)<1500ms or p(95)<1500"
    for gap in threshold_gaps(ctx):
        yield Hit(
            gap.loc,
            gap.message,
            key=gap.key,
            fix_hint=f"add {gap.metric}: ['{gap.wanted}'] to tests.thresholds"
            if gap.wanted
            else f"write the threshold as k6 does, e.g. {example}",
        )


@fixer("FG803")
def _fix_thresholds(tree: CommentedMap, ctx: Context) -> list[str]:
    from copilot.flow.dump import merge_into, to_tree

    gaps = threshold_gaps(ctx)
    wanted: dict[str, str] = {}
    if any(gap.metric == "*" for gap in gaps):
        wanted = required_thresholds(ctx.flow, k6_compatible(ctx))
    else:
        wanted = {gap.metric: gap.wanted for gap in gaps if gap.wanted}
    if not wanted:
        return []
    tests = tree.get("tests")
    existing = tests.get("thresholds") if isinstance(tests, dict) else None
    changes = []
    for metric, text in wanted.items():
        if isinstance(existing, dict) and isinstance(existing.get(metric), list):
            existing[metric].append(text)
        elif isinstance(existing, dict):
            existing[metric] = to_tree([text], ("tests", "thresholds", metric))
        else:
            merge_into(tree, "tests", {"thresholds": {metric: [text]}})
            tests = tree.get("tests")
            existing = tests.get("thresholds")
        changes.append(f"tests.thresholds.{metric}: added {text}")
    return changes
