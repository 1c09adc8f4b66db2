"""FG1xx: will the hot path answer within the SLA.

The estimates come from the one shared analysis (`ctx.analysis`, `copilot.flow.graph`):
FG103 compares its critical path's p95 with the SLA and FG105 its worst case; no rule
here sums latencies itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from copilot import policy
from copilot.flow.estimate import candidates
from copilot.flow.units import format_duration
from copilot.lint.rule import Context, Hit, fixer, rule

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

    from copilot.flow.models import AnyStep, CallStep, ModelStep

CALL_TYPES = ("model", "retrieve", "http")


def _ms(seconds: float) -> str:
    return "unbounded" if math.isinf(seconds) else f"{seconds * 1000:,.0f} ms"


def _fallbacks(step: ModelStep) -> list[str]:
    """The aliases a model step falls back to: `fallback`, or the route candidates not chosen."""
    return candidates(step)[1:]


# ---------------------------------------------------------------------------- FG101


@rule("FG101", "call-without-timeout", "error", fixable=True)
def call_without_timeout(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a model, retrieve or http step without a `timeout`.

    Why it matters
    Model APIs stall: p99 latencies of many seconds and connections that hang are normal.
    Without a timeout one slow call holds the event past its SLA, the retry and fallback
    never start, and the worst case of the whole flow is unbounded.

    Example
        - id: classify
          type: model
          model: fast
          prompt: {user: "{{ event.body }}"}
          # no timeout

    Fix
    Set `timeout:` a little above the call's p95, within what the SLA leaves for it.
    `--fix` writes the timeout the drafter would (`copilot.policy`): for a model call
    `max(1.25 × p95, p95 + 100 ms)` rounded up to 50 ms, on the hot path cut to the SLA's
    share left to the step (`sla − (critical p95 − step p95)`) while that holds the p95
    (half the share when it does not and a fallback exists); at least 10 s (3 × p95) for
    an async model call; 150 ms for a retrieve and 2 s for an http call, on the hot path
    within the step's share and at most 40% of the SLA. Never above the SLA.
    """
    for index, step in ctx.steps(*CALL_TYPES):
        if step.timeout is None:
            yield Hit(
                ("steps", index, "id"),
                f"{step.type} step `{step.id}` has no timeout",
                fix_hint="add `timeout:` slightly above the call's p95 and within the SLA",
            )


def _call_p95(ctx: Context, step: CallStep) -> float:
    """The call's own p95, before any timeout: the model's (routed choice's) or the I/O default."""
    from copilot.flow.estimate import HTTP_LATENCY, RETRIEVE_LATENCY

    if step.type == "model":
        alias = ctx.analysis.estimates[step.id].model
        profile = ctx.profiles.get(alias) if alias else None
        return profile.p95 if profile is not None else 3.0
    if step.latency is not None:
        return step.latency.p95
    return (RETRIEVE_LATENCY if step.type == "retrieve" else HTTP_LATENCY)[1]


def default_timeout(ctx: Context, step: CallStep) -> float:
    """The timeout `--fix` writes for a call without one: `copilot.policy` decides, given the share.

    The share is what the SLA leaves for this step on the hot path, ``sla − (critical-path
    p95 − this step's p95)``; off the hot path, or without an SLA, there is none. A model
    call gets `policy.model_timeout` (unhurried `policy.background_model_timeout` when it is
    `mode: async`, since nothing waits for it), a retrieve or http call `policy.io_timeout`
    (its share also capped at `policy.HOT_IO_SHARE` of the SLA). Never above the SLA on the
    hot path (FG102).
    """
    p95 = _call_p95(ctx, step)
    sla = ctx.flow.latency_sla
    analysis = ctx.analysis
    share = None
    if sla is not None and step.id in ctx.hot_path and analysis.critical_path is not None:
        share = sla - (analysis.critical_path.p95 - analysis.estimates[step.id].p95)
    if step.type == "model":
        if step.mode == "async":
            return policy.background_model_timeout(p95)
        timeout = policy.model_timeout(p95, share, fallback=bool(_fallbacks(step)))
    else:
        if share is not None and sla is not None:
            share = min(share, sla * policy.HOT_IO_SHARE)
        timeout = policy.io_timeout(step.type, p95, share)
    return min(timeout, sla) if share is not None and sla is not None else timeout


@fixer("FG101")
def fix_call_without_timeout(tree: CommentedMap, ctx: Context) -> list[str]:
    """Add `timeout` to each call without one (formula: `default_timeout`)."""
    from copilot.flow.dump import merge_into

    changes = []
    for index, step in ctx.steps_to_fix("FG101"):
        assert step.type != "validate" and step.type != "transform"  # FG101 flags calls only
        value = format_duration(default_timeout(ctx, step))
        merge_into(tree["steps"][index], "timeout", value, ("steps", index))
        changes.append(f"steps[{index}] ({step.id}): timeout {value}")
    return changes


# ---------------------------------------------------------------------------- FG102..FG106


@rule("FG102", "timeout-exceeds-sla", "warning")
def timeout_exceeds_sla(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a hot-path step whose `timeout` alone is longer than `sla.latency_p95`.

    Why it matters
    The timeout is the longest the step may hold the event. One above the SLA means the
    response can be late before the timeout even fires, and its retry or fallback can never
    help within the SLA.

    Example
        sla: {latency_p95: 1500ms}
        ...
        - id: answer
          timeout: 5s            # on the hot path

    Fix
    Lower the timeout below the SLA (leave room for the other hot-path steps), and rely on
    the fallback or `respond.on_deadline` for the slow cases.
    """
    sla = ctx.flow.latency_sla
    if sla is None:
        return
    for index, step in ctx.steps():
        if step.id in ctx.hot_path and step.timeout is not None and step.timeout > sla:
            yield Hit(
                ("steps", index, "timeout"),
                f"timeout {format_duration(step.timeout)} of hot-path step `{step.id}` "
                f"exceeds the SLA ({format_duration(sla)})",
            )


@rule("FG103", "sla-infeasible", "error")
def sla_infeasible(ctx: Context) -> Iterator[Hit]:
    """What it does
    Estimates the p95 of the critical path (the slowest chain of hot-path steps, each at its
    model's catalog p95, or its timeout plus the fallback when the timeout is lower) and
    reports it when it exceeds `sla.latency_p95`.

    Why it matters
    If the typical slow event already misses the SLA on paper, it will in production, where
    models add hundreds of milliseconds of jitter on top.

    Example
        sla: {latency_p95: 1s}
        steps:
          - {id: classify, type: model, model: fast, ...}            # p95 850 ms
          - {id: answer, type: model, model: fast, needs: [classify]} # p95 850 ms -> 1.7 s

    Fix
    A person's decision, so there is no autofix: run independent calls in parallel (drop
    needless `needs`), use faster models, add a hedge, move work to `mode: async`, or agree
    on a looser SLA. `flowgen lint` prints the estimate per flow.
    """
    sla = ctx.flow.latency_sla
    critical = ctx.analysis.critical_path
    if sla is None or critical is None or critical.p95 <= sla:
        return
    chain = " → ".join(critical.steps)
    slowest = max(critical.steps, key=lambda s: ctx.analysis.estimates[s].p95)
    yield Hit(
        ("sla", "latency_p95"),
        f"the critical path {chain} has an estimated p95 of {_ms(critical.p95)}, over the SLA of "
        f"{_ms(sla)} (slowest step: `{slowest}`, {_ms(ctx.analysis.estimates[slowest].p95)})",
    )


@rule("FG104", "heavy-model-on-hot-path", "warning")
def heavy_model_on_hot_path(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a hot-path model step whose model (or routed choice) is of the catalog's
    `heavy` tier.

    Why it matters
    Heavy models answer in seconds with a long tail; on the hot path they set the p95 of
    the whole flow, and they cost the most per call.

    Example
        models: {big: {use: openai/gpt-4.1}}
        steps:
          - {id: answer, type: model, model: big, ...}   # respond needs answer

    Fix
    Move the heavy work to a `mode: async` branch (enrichment, summaries), or use a fast or
    balanced model on the hot path.
    """
    for index, step in ctx.steps("model"):
        if step.id not in ctx.hot_path:
            continue
        alias = ctx.analysis.estimates[step.id].model
        profile = ctx.profiles.get(alias) if alias else None
        if profile is not None and profile.tier == "heavy":
            loc = ("steps", index, "model") if step.model is not None else ("steps", index, "route")
            yield Hit(
                loc,
                f"step `{step.id}` runs heavy-tier model `{alias}` ({profile.id}, p95 "
                f"{_ms(profile.p95)}) on the hot path",
            )


@rule("FG105", "retry-budget-exceeds-sla", "warning")
def retry_budget_exceeds_sla(ctx: Context) -> Iterator[Hit]:
    """What it does
    Takes the worst case of the hot path from the shared analysis (every retry at full
    timeout, every backoff at its cap, every fallback) and reports it when it exceeds
    `sla.latency_p95` while `respond.on_deadline` gives no answer for that case.

    Why it matters
    Retries and fallbacks are what make a flow resilient, but on a bad day they run one
    after the other: without a deadline answer the caller waits for all of them, far past
    the SLA (and often past its own timeout, so it retries too).

    Example
        sla: {latency_p95: 1500ms}
        steps:
          - {id: classify, ..., timeout: 900ms, retry: {attempts: 2}}   # worst case 2.7 s+
        respond: {needs: [classify]}                                     # no on_deadline

    Fix
    Add `respond.on_deadline` (e.g. `{status: 202, body: {status: queued}}`) so the caller
    gets an answer at the SLA while the rest finishes as async work, or cut retries/timeouts.
    """
    sla = ctx.flow.latency_sla
    worst = ctx.analysis.worst_path
    respond = ctx.flow.respond
    if sla is None or worst is None or worst.worst <= sla:
        return
    if respond is not None and respond.on_deadline is not None:
        return
    loc = ("respond",) if respond is not None else ("sla", "latency_p95")
    yield Hit(
        loc,
        f"the hot path's worst case ({' → '.join(worst.steps)}: {_ms(worst.worst)} with every retry, "
        f"backoff and fallback) exceeds the SLA of {_ms(sla)} and `respond.on_deadline` is not set",
        key=True,
    )


@rule("FG106", "missing-sla", "warning", missing_block=True)
def missing_sla(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a flow without `sla.latency_p95`.

    Why it matters
    Without a latency target nothing can be checked against one: timeouts, retries, the
    critical path and the load-test thresholds have no yardstick, and the runtime cannot
    propagate a deadline.

    Example
        name: support-triage
        trigger: {type: webhook, path: /hooks/ticket}   # no sla block

    Fix
    Add `sla: {latency_p95: 1500ms}` (the p95 your caller can wait for), usually with
    `max_cost_per_event`.
    """
    if ctx.flow.sla is None or ctx.flow.sla.latency_p95 is None:
        loc, key = ctx.block_loc("sla")
        yield Hit(loc, "no `sla.latency_p95`: the hot path has no latency target", key=key)


# ---------------------------------------------------------------------------- FG107


@rule("FG107", "serialized-independent-calls", "info")
def serialized_independent_calls(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a hot-path call (model, retrieve, http) that `needs` another hot-path call but
    uses nothing of it: no template or condition of the step reads the other's output, and
    no other step it needs depends on it either.

    Why it matters
    Two calls that could run in parallel run one after the other: the hot path pays both
    latencies instead of the longer one.

    Example
        - {id: sentiment, type: model, ...}
        - id: language
          type: model
          needs: [sentiment]     # never reads steps.sentiment.output
          prompt: {user: "{{ event.body }}"}

    Fix
    Drop the needless `needs` entry so both calls start together.
    """
    graph = ctx.analysis.graph
    for index, step in ctx.steps(*CALL_TYPES):
        if step.id not in ctx.hot_path:
            continue
        reads = ctx.reads.get(step.id, set())
        # Walked once per step when first needed, not once per need (quadratic in a wide
        # `needs` list): what the reads need, and what any need needs. A need outside the
        # second is implied by no other need; one inside it is checked against the others.
        known = [x for x in step.needs if x in graph.needs]
        several = len(set(known)) > 1
        read_upstream: set[str] | None = None
        need_upstream: set[str] | None = None
        for n, need in enumerate(step.needs):
            if need not in graph.needs or need in reads or need not in ctx.hot_path:
                continue
            if ctx.step_by_id[need].type not in CALL_TYPES:
                continue
            if read_upstream is None:
                read_upstream = graph.ancestors([r for r in reads if r in graph.needs])
            if need in read_upstream:
                continue
            if several:
                if need_upstream is None:
                    need_upstream = graph.ancestors([p for x in known for p in graph.needs[x]])
                if need in need_upstream and need in graph.ancestors([x for x in known if x != need]):
                    continue
            yield Hit(
                ("steps", index, "needs", n),
                f"`{step.id}` waits for `{need}` but uses nothing of it: the two calls could run in parallel",
            )


# ---------------------------------------------------------------------------- FG108


@rule("FG108", "missing-max-tokens", "warning", fixable=True)
def missing_max_tokens(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a model step without `max_tokens`.

    Why it matters
    Output tokens dominate both the latency and the price of a call; without a bound one
    rambling answer can take seconds and cost many times the estimate.

    Example
        - id: answer
          type: model
          model: fast
          prompt: {user: "{{ event.body }}"}
          # no max_tokens

    Fix
    Set `max_tokens` to the longest answer you need. `--fix` writes 256 when the step has an
    `output_schema` (structured answers are short) and 512 otherwise, capped at the model's
    output limit.
    """
    unbounded = "model step `{id}` has no max_tokens: latency and cost are unbounded"
    yield from ctx.steps_missing(
        "model", "max_tokens", unbounded, "add `max_tokens:` sized to the longest answer needed"
    )


@fixer("FG108")
def fix_missing_max_tokens(tree: CommentedMap, ctx: Context) -> list[str]:
    """Add `max_tokens` (256 with an output_schema, else 512; capped at the model's limit)."""
    from copilot.flow.dump import merge_into

    changes = []
    for index, step in ctx.steps_to_fix("FG108"):
        assert step.type == "model"  # FG108 flags model steps only
        alias = ctx.analysis.estimates[step.id].model
        profile = ctx.profiles.get(alias) if alias else None
        limit = profile.max_output_tokens if profile is not None else None
        value = policy.max_tokens(structured=bool(step.output_schema), limit=limit)
        merge_into(tree["steps"][index], "max_tokens", value, ("steps", index))
        changes.append(f"steps[{index}] ({step.id}): max_tokens {value}")
    return changes


# ---------------------------------------------------------------------------- FG109

# Words that make a step read as an urgent notification (matched at the start of a word of
# its id or description): paging, alerting, escalating, messaging a channel.
_URGENT = re.compile(
    r"(?:^|[^a-z])(?:page|paging|pager|alert|notif|escalat|slack|on-?call|sms|opsgenie|urgent|incident)"
)


def is_urgent(step: AnyStep) -> bool:
    """An http call, or a step whose id or description reads as paging, alerting or notifying."""
    return step.type == "http" or bool(_URGENT.search(f"{step.id} {step.description or ''}".lower()))


def _idle_async_needs(ctx: Context) -> Iterator[tuple[int, int, AnyStep, str, list[str]]]:
    """(step index, needs index, step, need, async steps behind it) for FG109 and its fix."""
    graph = ctx.analysis.graph
    if not graph.async_steps:
        return
    # The async steps each step waits for, transitively, built once in topological order: a
    # need with none behind it alone is skipped without walking the graph (a walk per need
    # was quadratic in a long flow). Steps on a cycle are not in it and are walked; with many
    # async steps (sets of them per step would grow with the flow) every need is walked.
    async_behind: dict[str, frozenset[str]] = {}
    memo = len(graph.async_steps) <= 64
    if memo:
        none: frozenset[str] = frozenset()
        for sid in graph.topological_order():
            mine = {sid} if sid in graph.async_steps else set()
            for before in graph.needs[sid]:
                mine |= async_behind[before]
            # Shared, not copied, when equal to a need's: a chain costs one set.
            same = next((async_behind[b] for b in graph.needs[sid] if async_behind[b] == mine), None)
            async_behind[sid] = same if same is not None else frozenset(mine) if mine else none

    def asyncs(steps: list[str]) -> set[str]:
        out: set[str] = set()
        for sid in steps:
            known = async_behind.get(sid)
            out |= known if known is not None else graph.ancestors([sid]) & graph.async_steps
        return out

    for index, step in ctx.steps():
        if not is_urgent(step) or ctx.step_by_id.get(step.id) is not step:
            continue
        reads = ctx.reads.get(step.id, set())
        for n, need in enumerate(step.needs):
            if need not in graph.needs:
                continue
            # What the step waits for through this need alone: dropping it must keep in
            # scope everything the step reads.
            others = [x for x in step.needs if x != need]
            if memo and not asyncs([need]) - asyncs([x for x in others if x in graph.needs]):
                continue  # no async step behind this need alone: `waits_on` below is empty
            behind = graph.ancestors([need]) - graph.ancestors(others)
            waits_on = [s for s in graph.order if s in behind and s in graph.async_steps]
            if waits_on and not reads & behind:
                yield index, n, step, need, waits_on


@rule("FG109", "urgent-waits-on-async", "warning", fixable=True)
def urgent_waits_on_async(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a notification step (an http call, or a step whose id or description reads as
    page, alert, notify, escalate, Slack…) that `needs`, directly or transitively, a
    `mode: async` step although none of its templates (request url, headers and json,
    prompt, `if`, idempotency key) reads the output of anything behind that need.

    Why it matters
    Async work is slow on purpose: heavy models, enrichment, writes to other systems. A page
    or an alert that waits for it reaches the on-call engineer seconds or minutes late, and
    not at all when the background work fails, for data it never uses.

    Example
        - id: enrich
          type: model
          mode: async
          model: heavy
          prompt: {user: "Summarise the customer's history: {{ event.body }}"}
        - id: page_oncall
          type: http
          needs: [checked, enrich]      # never reads steps.enrich.output
          request: {method: POST, url: "${env:PAGER_URL}", json: {ticket: "{{ event.id }}"}}

    Fix
    Drop the need, so the notification goes out as soon as what it uses is ready. `--fix`
    removes the `needs` entry (its output is unused, so nothing the step sends changes),
    unless a step behind it has an `if:` (the notification would then also be sent for
    events that skip that branch: a person decides).
    """
    for index, n, step, need, waits_on in _idle_async_needs(ctx):
        shown = ", ".join(f"`{s}`" for s in waits_on)
        yield Hit(
            ("steps", index, "needs", n),
            f"`{step.id}` waits for async work ({shown}) through `{need}` but uses none of its output: "
            "the notification is delayed for nothing",
            fix_hint=f"drop `{need}` from the needs of `{step.id}`",
        )


@fixer("FG109")
def fix_urgent_waits_on_async(tree: CommentedMap, ctx: Context) -> list[str]:
    """Remove each flagged `needs` entry whose branch has no `if:` (dropping it changes nothing sent)."""
    graph = ctx.analysis.graph
    flagged = {(hit.loc[1], hit.loc[3]) for hit in ctx.hits_to_fix("FG109")}
    drops: list[tuple[int, int, str, str]] = []
    for index, n, step, need, _ in _idle_async_needs(ctx):
        if (index, n) not in flagged:
            continue
        others = [x for x in step.needs if x != need]
        behind = graph.ancestors([need]) - graph.ancestors(others)
        if any(ctx.step_by_id[s].if_ is not None for s in behind):
            continue  # the step would run for events that skip that branch: not a safe edit
        drops.append((index, n, step.id, need))
    changes = []
    for index, n, step_id, need in sorted(drops, reverse=True):
        node = tree["steps"][index]
        del node["needs"][n]
        if not node["needs"]:
            del node["needs"]
        changes.append(f"steps[{index}] ({step_id}): dropped need `{need}`")
    return sorted(changes)
