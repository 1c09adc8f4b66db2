"""FG5xx: ingress limits, provider rate limits and the cost budget."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from copilot import policy
from copilot.flow.thresholds import plain_number
from copilot.lint.rule import Context, Hit, fixer, rule, set_on_trigger

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

    from copilot.flow.models import Flow


@dataclass(frozen=True)
class ModelDemand:
    """What one event asks of a model alias: primary calls and tokens (retries not counted)."""

    alias: str
    calls: int
    tokens: int


def model_demand(ctx: Context) -> dict[str, ModelDemand]:
    """Per alias, the calls and tokens of one event, from the shared step estimates.

    Every model step counts once with the model its estimate used (the routed choice for
    `route`), including steps behind an `if`: a limit must hold for the events that take
    every branch.
    """
    calls: dict[str, int] = {}
    tokens: dict[str, int] = {}
    for _, step in ctx.steps("model"):
        estimate = ctx.analysis.estimates.get(step.id)
        if estimate is None or estimate.model is None or estimate.model not in ctx.profiles:
            continue
        calls[estimate.model] = calls.get(estimate.model, 0) + 1
        tokens[estimate.model] = (
            tokens.get(estimate.model, 0) + estimate.input_tokens + estimate.output_tokens
        )
    return {alias: ModelDemand(alias, calls[alias], tokens[alias]) for alias in calls}


def ingress_rate(flow: Flow) -> float | None:
    """Events per second the trigger admits (its rate limit), or None when unbounded."""
    limit = flow.trigger.rate_limit
    return limit.limit / limit.period if limit is not None and limit.period > 0 else None


@dataclass(frozen=True)
class ProviderLimit:
    """One provider limit of a model alias (rpm or tpm) against what one event asks of it."""

    alias: str
    unit: str  # "rpm" (calls per minute) or "tpm" (tokens per minute)
    per_minute: int  # the limit
    per_event: int  # the calls (rpm) or tokens (tpm) of one event, above zero
    asked: str  # `per_event` as a message says it: "2 call(s)", "~1,200 tokens"


def provider_limits(ctx: Context) -> Iterator[ProviderLimit]:
    """Every known rpm and tpm limit of the models one event calls, by alias, rpm first."""
    for alias, demand in sorted(model_demand(ctx).items()):
        profile = ctx.profiles[alias]
        if profile.rpm and demand.calls:
            yield ProviderLimit(alias, "rpm", profile.rpm, demand.calls, f"{demand.calls} call(s)")
        if profile.tpm and demand.tokens:
            yield ProviderLimit(alias, "tpm", profile.tpm, demand.tokens, f"~{demand.tokens:,} tokens")


def sustainable_rate(ctx: Context) -> float | None:
    """The most events per second the models' provider limits allow, or None when none is known."""
    return min((limit.per_minute / 60.0 / limit.per_event for limit in provider_limits(ctx)), default=None)


def default_rate_limit(ctx: Context) -> dict[str, Any]:
    """50 events/s with bursts of 100, lowered to what the models' rpm/tpm sustain."""
    rate = float(policy.INGRESS_RATE)
    sustainable = sustainable_rate(ctx)
    if sustainable is not None:
        rate = min(rate, sustainable)
    return policy.rate_limit(rate)


def default_concurrency(ctx: Context) -> int:
    """Events in flight at the trigger's rate for as long as one takes (Little's law), doubled."""
    flow = ctx.flow
    if flow.trigger.type == "schedule":
        return 1  # one tick at a time: a slow run must not overlap the next
    rate = ingress_rate(flow)
    if rate is None:  # what the FG501 fix would admit
        limit = default_rate_limit(ctx)
        rate = limit["limit"] / (60.0 if limit["period"] == "1m" else 1.0)
    sla = flow.latency_sla or 0.0
    return policy.concurrency(rate, max(sla, ctx.analysis.p95))


@rule("FG501", "ingress-without-rate-limit", "warning", fixable=True)
def ingress_without_rate_limit(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a webhook or queue trigger without `rate_limit`.

    Why it matters
    Every event becomes several model calls. A burst of events with no ingress limit is a
    burst of provider calls: it exhausts the rpm/tpm quota (429s, then retries, then
    fallbacks), memory and the budget at once, for every event in flight.

    Example
    Failing:

        trigger:
          type: webhook
          path: /hooks/ticket

    Passing:

        trigger:
          type: webhook
          path: /hooks/ticket
          rate_limit: {limit: 50, period: 1s, burst: 100}

    Fix
    Add `rate_limit`. The autofix admits 50 events/s with bursts of 100, lowered to what
    the flow's models sustain under their catalog rpm/tpm limits.
    """
    if ctx.flow.trigger.type in ("webhook", "queue"):
        yield from ctx.trigger_missing(
            "rate_limit",
            "the {type} trigger has no `rate_limit`: bursts go straight to the model providers",
            "add trigger.rate_limit: {limit: 50, period: 1s, burst: 100}",
        )


@fixer("FG501")
def _fix_rate_limit(tree: CommentedMap, ctx: Context) -> list[str]:
    value = default_rate_limit(ctx)
    shown = f"{value['limit']} per {value['period']}, burst {value['burst']}"
    return set_on_trigger(tree, "rate_limit", value, shown)


@rule("FG502", "model-without-rate-limit", "warning")
def model_without_rate_limit(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a model alias for which neither the flow (`limits:`) nor the catalog knows an
    rpm or tpm limit.

    Why it matters
    The engine paces calls to each model under its provider limits, and the linter checks
    the ingress rate against them (FG506). With no limit known, the first sign of one is a
    wall of 429s under load.

    Example
    Failing (the catalog has no limits for this model):

        models:
          chat: {use: deepseek/deepseek-chat}

    Passing:

        models:
          chat: {use: deepseek/deepseek-chat, limits: {rpm: 600, tpm: 1000000}}

    Fix
    Set `limits: {rpm, tpm}` on the alias from your account's quota page. No autofix: the
    numbers are your account's.
    """
    for alias, profile in ctx.profiles.items():
        if profile.rpm is None and profile.tpm is None:
            yield Hit(
                ("models", alias),
                f"model alias `{alias}` ({profile.id}) has no known rpm/tpm limit",
                key=True,
                fix_hint=f"add limits: {{rpm: …, tpm: …}} to models.{alias} from your provider account",
            )


@rule("FG503", "cost-over-budget", "error")
def cost_over_budget(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a flow whose estimated cost per event, over every step including async ones,
    exceeds `sla.max_cost_per_event`. The estimate is the catalog's: prompt length (about
    four characters a token) plus `max_tokens`, at each model's price.

    Why it matters
    Cost scales with traffic. A flow over budget on paper is over budget on every event,
    and the difference shows up on the invoice, multiplied by the volume.

    Example
    Failing (a heavy model writing 4,000 tokens on a 0.004 USD budget):

        sla: {max_cost_per_event: 0.004}
        models: {heavy: {use: openai/gpt-4.1-2025-04-14}}
        steps:
          - {id: write, type: model, model: heavy, max_tokens: 4000, prompt: {user: "{{ event.body }}"}}

    Passing: a fast model, a tighter `max_tokens`, or a budget that matches the work.

    Fix
    Use cheaper models (a fast tier, a `route` with `cheapest-within-deadline`), shorter
    prompts, smaller `max_tokens` or `top_k`, or raise the budget. No autofix: this is a
    decision about models and money.
    """
    analysis = ctx.analysis
    budget = analysis.budget
    if budget is None or analysis.cost_per_event <= budget:
        return
    costly = sorted(((e.cost, sid) for sid, e in analysis.estimates.items() if e.cost > 0), reverse=True)[:3]
    detail = ", ".join(f"`{sid}` ${cost:.5f}" for cost, sid in costly)
    yield Hit(
        ("sla", "max_cost_per_event"),
        f"estimated cost per event ${analysis.cost_per_event:.5f} exceeds the budget ${plain_number(budget)}"
        + (f" (most: {detail})" if detail else ""),
        fix_hint="use cheaper models or fewer tokens, or raise sla.max_cost_per_event",
    )


@rule("FG504", "missing-cost-budget", "warning", missing_block=True)
def missing_cost_budget(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a flow without `sla.max_cost_per_event`.

    Why it matters
    Without a budget per event, cost is not a checked property: a prompt that doubles or a
    model swap that triples the price passes every check until the invoice arrives.

    Example
    Failing:

        sla: {latency_p95: 1500ms}

    Passing:

        sla: {latency_p95: 1500ms, max_cost_per_event: 0.004}

    Fix
    Set `sla.max_cost_per_event` in USD (`flowgen lint` prints the current estimate).
    No autofix: the budget is a business decision.
    """
    sla = ctx.flow.sla
    if sla is None or sla.max_cost_per_event is None:
        loc, key = ctx.block_loc("sla")
        analysis = ctx.analysis
        if analysis.unknown_steps:
            shown = "unknown: a model is not in the catalog"
        elif analysis.unpriced_steps:
            shown = "unknown: a model sent is not the one the catalog prices"
        else:
            shown = f"estimated ${analysis.cost_per_event:.5f}"
        yield Hit(
            loc,
            f"no `sla.max_cost_per_event`: the cost per event ({shown}) is unchecked",
            key=key,
            fix_hint="add sla.max_cost_per_event (USD per event)",
        )


@rule("FG505", "unbounded-concurrency", "warning", fixable=True)
def unbounded_concurrency(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a trigger without `concurrency`, the most events processed at once.

    Why it matters
    A rate limit bounds arrivals, not work in flight: when a provider slows down, events
    pile up, each holding memory, connections and open model calls, until the process falls
    over. A concurrency cap turns overload into back-pressure (429 to the sender, or
    messages left on the queue).

    Example
    Failing:

        trigger: {type: webhook, path: /hooks/ticket, rate_limit: {limit: 50, period: 1s}}

    Passing:

        trigger: {type: webhook, path: /hooks/ticket, rate_limit: {limit: 50, period: 1s}, concurrency: 150}

    Fix
    Set `concurrency`. The autofix uses Little's law: the trigger's rate times the time an
    event takes (the SLA, or the hot path's estimate if longer; 1 s when neither is known),
    doubled for bursts, at least 10; 1 for a schedule, so that runs do not overlap.
    """
    if ctx.flow.trigger.concurrency is None:  # the default is worked out only when it is needed
        yield from ctx.trigger_missing(
            "concurrency",
            "the {type} trigger has no `concurrency` cap: events in flight are unbounded",
            f"add trigger.concurrency: {default_concurrency(ctx)}",
        )


@fixer("FG505")
def _fix_concurrency(tree: CommentedMap, ctx: Context) -> list[str]:
    value = default_concurrency(ctx)
    return set_on_trigger(tree, "concurrency", value, str(value))


@rule("FG506", "rate-limit-above-provider", "warning")
def rate_limit_above_provider(ctx: Context) -> Iterator[Hit]:
    """What it does
    Flags a trigger `rate_limit` that admits more events than a model's provider limit
    serves: the events per minute times the model's calls (or tokens) per event, against
    its rpm (or tpm) from the flow's `limits:` or the catalog.

    Why it matters
    If the flow admits 50 events/s and each makes two calls to a model allowed 4,000 rpm,
    the provider refuses a third of the calls at full load with 429s: retries, fallbacks
    and missed SLAs follow. The lower limit should be the one you set.

    Example
    Failing (two calls per event at 50/s = 6,000 rpm, above the model's 4,000 rpm):

        trigger: {type: webhook, path: /hooks/ticket, rate_limit: {limit: 50, period: 1s}}
        models: {fast: {use: anthropic/claude-haiku-4-5-20251001}}

    Passing:

        trigger: {type: webhook, path: /hooks/ticket, rate_limit: {limit: 30, period: 1s}}

    Fix
    Lower the trigger's `rate_limit` below what the models sustain, move calls to a model
    with higher limits, or raise the alias's `limits:` if your account has more quota.
    """
    rate = ingress_rate(ctx.flow)
    if rate is None:
        return
    per_minute = rate * 60.0
    for limit in provider_limits(ctx):
        if per_minute * limit.per_event > limit.per_minute:
            yield Hit(
                ("trigger", "rate_limit"),
                f"the trigger admits {per_minute:,.0f} events/min x {limit.asked} of `{limit.alias}` = "
                f"{per_minute * limit.per_event:,.0f} {limit.unit}, above its {limit.per_minute:,} "
                f"{limit.unit} limit",
                fix_hint="lower trigger.rate_limit to at most "
                # the events/s this limit serves, divided as FG506 always has (not as
                # `sustainable_rate` does: the last digit of a few hints would move)
                f"{plain_number(round(limit.per_minute / limit.per_event / 60, 2))} events/s",
            )
