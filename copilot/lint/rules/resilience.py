"""FG2xx: what happens when a call fails — fallbacks, retries, idempotency, dead letters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from copilot import policy
from copilot.flow.estimate import candidates
from copilot.flow.units import format_duration
from copilot.lint.rule import Context, Hit, fixer, rule
from copilot.lint.visit import event_id_field

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    from copilot.flow.models import AnyStep, ModelStep

TRANSIENT_STATUSES = {408, 429}
NON_TRANSIENT_CLASSES = {"client_error", "validation_error"}
MAX_ATTEMPTS = 10


def _fallbacks(step: ModelStep) -> list[str]:
    """The aliases tried after the primary: `fallback`, or the route candidates not chosen."""
    order = candidates(step)
    return order[1:]


def _quoted(template: str) -> DoubleQuotedScalarString:
    """A template written in double quotes, as flow files write them."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    quoted: DoubleQuotedScalarString = DoubleQuotedScalarString(template)  # ruamel's constructor is untyped
    return quoted


def _side_effect(step: AnyStep) -> bool:
    """A call whose repetition changes the world: an http call other than GET."""
    return step.type == "http" and step.request.method != "GET"


@rule("FG201", "missing-fallback", "warning")
def missing_fallback(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a hot-path model step with no `fallback` (or a `route` with a single candidate),
    and any model step whose `hedge.after` is not shorter than its `timeout`: that hedge
    never starts (the call times out first), so the step has no hedge at all.

    Why it matters
    Every provider has outages, rate-limit storms and slow hours. With one model the flow is
    exactly as available as that provider; a fallback on another provider keeps answering.

    Example
        - id: classify
          type: model
          model: fast            # no fallback

    Fix
    Add `fallback: [backup]` with an alias on another provider (and consider
    `hedge: {after: …}`). Which model is a person's choice, so there is no autofix.
    """
    for index, step in ctx.steps("model"):
        if step.id in ctx.hot_path and not _fallbacks(step):
            yield Hit(
                ("steps", index, "id"),
                f"hot-path model step `{step.id}` has no fallback model",
                fix_hint="add `fallback: [<alias on another provider>]`",
            )
        if step.hedge is not None and step.timeout is not None and step.hedge.after >= step.timeout:
            yield Hit(
                ("steps", index, "hedge", "after"),
                f"hedge of `{step.id}` starts after {format_duration(step.hedge.after)}, not before its "
                f"timeout of {format_duration(step.timeout)}: it never starts",
                fix_hint="set hedge.after below the timeout (about the primary model's p95)",
            )


@rule("FG202", "fallback-same-provider", "warning")
def fallback_same_provider(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a model step whose every fallback (or every other route candidate) is served by
    the same provider as its primary model.

    Why it matters
    Outages and rate limits are per provider: when the primary's provider fails, a fallback
    on the same provider usually fails with it (correlated failure).

    Example
        models:
          fast: {use: openai/gpt-4o-mini}
          fast2: {use: openai/gpt-4.1-mini}
        steps:
          - {id: classify, type: model, model: fast, fallback: [fast2], ...}

    Fix
    Make at least one fallback a model of another provider (`flowgen models` lists them).
    """
    profiles = ctx.profiles
    for index, step in ctx.steps("model"):
        order = [a for a in candidates(step) if a in profiles]
        if step.route is not None:
            chosen = ctx.analysis.estimates[step.id].model
            order = [chosen, *[a for a in order if a != chosen]] if chosen in profiles else order
        if len(order) < 2:
            continue
        primary = profiles[order[0]].provider
        if all(profiles[a].provider == primary for a in order[1:]):
            loc = ("steps", index, "fallback") if step.fallback else ("steps", index, "route", "candidates")
            yield Hit(
                loc,
                f"every fallback of `{step.id}` ({', '.join(order[1:])}) is on {primary}, "
                "like its primary: one outage takes them all",
            )


@rule("FG203", "retry-without-idempotency-key", "error", fixable=True)
def retry_without_idempotency_key(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a step with side effects (an http call other than GET) that retries without an
    `idempotency_key`.

    Why it matters
    A timeout does not mean the call failed: the first attempt may have paged on-call,
    charged the card or created the ticket. Retrying without a key does it twice.

    Example
        - id: page_oncall
          type: http
          request: {method: POST, url: "${env:PAGER_URL}"}
          retry: {attempts: 3}   # no idempotency_key

    Fix
    Add `idempotency_key: "{{ event.<id> }}:<step id>"`, which every retry and fallback of
    the call carries (send it to the API as its Idempotency-Key header). `--fix` writes it
    from the event's id field (the trigger key's field, else an id-like property).
    """
    for index, step in ctx.steps():
        if not _side_effect(step) or step.retry is None or step.retry.attempts == 0:
            continue
        if step.idempotency_key is None:
            yield Hit(
                ("steps", index, "retry"),
                f"step `{step.id}` has side effects and retries without an idempotency_key: "
                "a retry after a timeout can repeat the effect",
                key=True,
                fix_hint='add `idempotency_key: "{{ event.id }}:<step id>"`',
            )


@fixer("FG203")
def fix_retry_without_idempotency_key(tree: CommentedMap, ctx: Context) -> list[str]:
    """Add `idempotency_key: "{{ event.<id field> }}:<step id>"` (no change without an id field)."""
    from copilot.flow.dump import merge_into

    field = event_id_field(ctx.flow)
    if field is None:
        return []
    changes = []
    for index, step in ctx.steps_to_fix("FG203"):
        key = _quoted(f"{{{{ event.{field} }}}}:{step.id}")
        merge_into(tree["steps"][index], "idempotency_key", key, ("steps", index))
        changes.append(f'steps[{index}] ({step.id}): idempotency_key "{key}"')
    return changes


@rule("FG204", "unbounded-retry", "error")
def unbounded_retry(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a `retry` block without `attempts`, or with more than 10.

    Why it matters
    Unbounded retries turn one failing dependency into a retry storm that keeps it down,
    and hold events far past any SLA.

    Example
        retry: {backoff: exponential}        # how many times?
        retry: {attempts: 50}

    Fix
    Set `attempts` (retries after the first call) to a small number: 1–3 on the hot path.
    """
    for index, step in ctx.steps():
        retry = step.retry
        if retry is None:
            continue
        if retry.attempts is None:
            yield Hit(("steps", index, "retry"), f"retry of `{step.id}` has no `attempts` bound", key=True)
        elif retry.attempts > MAX_ATTEMPTS:
            yield Hit(
                ("steps", index, "retry", "attempts"),
                f"retry of `{step.id}` allows {retry.attempts} attempts (more than {MAX_ATTEMPTS})",
            )


@rule("FG205", "retry-without-backoff", "warning", fixable=True)
def retry_without_backoff(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports retries without exponential `backoff`, or without `jitter: true`.

    Why it matters
    Immediate or fixed-interval retries hammer a provider that is already overloaded or
    rate-limiting; without jitter, every event that failed together retries together
    (a thundering herd).

    Example
        retry: {attempts: 3}                              # no backoff, no jitter
        retry: {attempts: 3, backoff: constant, initial: 1s}

    Fix
    `retry: {attempts: 2, backoff: exponential, initial: 100ms, max: 1s, jitter: true}`.
    `--fix` sets `backoff: exponential` and `jitter: true`, and `initial`/`max` when they are
    missing, as the drafter does (`copilot.policy`): 50 ms and 200 ms on the hot path,
    200 ms and 2 s for a side effect off it, 1 s and 5 s for other background calls.
    """
    for index, step in ctx.steps():
        retry = step.retry
        if retry is None or not retry.attempts:
            continue
        missing = []
        if retry.backoff != "exponential":
            missing.append("exponential backoff")
        if retry.jitter is not True:
            missing.append("jitter")
        if missing:
            yield Hit(
                ("steps", index, "retry"),
                f"retry of `{step.id}` has no {' and no '.join(missing)}",
                key=True,
                fix_hint="use `backoff: exponential` with `jitter: true`",
            )


@fixer("FG205")
def fix_retry_without_backoff(tree: CommentedMap, ctx: Context) -> list[str]:
    """Set exponential backoff with jitter (and bounds when missing) on each flagged retry."""
    from copilot.flow.dump import merge_into

    changes = []
    for index, step in ctx.steps_to_fix("FG205"):
        wanted = policy.retry_policy(hot=step.id in ctx.hot_path, side_effect=_side_effect(step))
        retry = step.retry
        assert retry is not None  # FG205 flags retries only
        patch: dict[str, Any] = {"backoff": "exponential", "jitter": True}
        if retry.initial is None:
            patch["initial"] = format_duration(wanted.initial)
        if retry.max is None:
            patch["max"] = format_duration(max(wanted.max, retry.initial or wanted.initial))
        merge_into(tree["steps"][index], "retry", patch, ("steps", index))
        shown = ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in patch.items())
        changes.append(f"steps[{index}] ({step.id}): retry {shown}")
    return changes


@rule("FG206", "retry-on-non-transient", "warning")
def retry_on_non_transient(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports `retry.on` entries that are not transient: `client_error`, `validation_error`,
    or an HTTP status 400–499 other than 408 (timeout) and 429 (rate limit).

    Why it matters
    A bad request or an invalid input fails the same way every time: retrying it only adds
    latency, cost and load, and delays the dead letter that would get it fixed.

    Example
        retry: {attempts: 2, on: [timeout, client_error, 400]}

    Fix
    Retry only `timeout`, `rate_limit`, `server_error`, `connection_error` (and, for model
    output that failed its schema, `invalid_output`), or 408/429/5xx statuses.
    """
    for index, step in ctx.steps():
        retry = step.retry
        if retry is None or not retry.on:
            continue
        for n, cls in enumerate(retry.on):
            bad = (
                cls in NON_TRANSIENT_CLASSES
                if isinstance(cls, str)
                else (400 <= cls < 500 and cls not in TRANSIENT_STATUSES)
            )
            if bad:
                yield Hit(
                    ("steps", index, "retry", "on", n),
                    f"retry of `{step.id}` on `{cls}`: a non-transient error fails the same way again",
                )


@rule("FG207", "missing-dead-letter", "warning", fixable=True, missing_block=True)
def missing_dead_letter(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a flow without `on_error.dead_letter`.

    Why it matters
    An event that fails after its retries and fallbacks is otherwise gone: no record, no
    replay, no way to tell the customer. A dead-letter file keeps it with its error for
    `flowgen replay`.

    Example
        respond: {needs: [answer]}
        # no on_error block

    Fix
    `on_error: {dead_letter: {path: .flowgen/dead-letter.jsonl}}`; `--fix` adds
    `.flowgen/dead-letter/<flow name>.jsonl`.
    """
    on_error = ctx.flow.on_error
    if on_error is None or on_error.dead_letter is None:
        loc, key = ctx.block_loc("on_error")
        yield Hit(loc, "no `on_error.dead_letter`: events that fail are lost", key=key)


@fixer("FG207")
def fix_missing_dead_letter(tree: CommentedMap, ctx: Context) -> list[str]:
    """Add `on_error.dead_letter.path: .flowgen/dead-letter/<flow name>.jsonl`."""
    from copilot.flow.dump import merge_into

    path = policy.dead_letter_path(ctx.flow.name)
    if tree.get("on_error") is None and "on_error" in tree:
        del tree["on_error"]
    merge_into(tree, "on_error", {"dead_letter": {"path": path}})
    return [f"on_error.dead_letter.path {path}"]


@rule("FG208", "fallback-smaller-context", "warning")
def fallback_smaller_context(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a fallback model whose context window (from the catalog, or the alias's
    `context_window`) is smaller than the primary model's.

    Why it matters
    The fallback runs exactly when things already went wrong; a prompt that fits the
    primary but not the fallback fails there too, and the flow has no second chance.

    Example
        models:
          big: {use: openai/gpt-4.1-mini}          # 1M tokens
          small: {use: openai/gpt-4o-mini}         # 128k tokens
        steps:
          - {id: answer, type: model, model: big, fallback: [small], ...}

    Fix
    Choose a fallback with at least the primary's context window, or bound the prompt
    (`top_k`, truncation) so it fits the smallest one and set the window explicitly.
    """
    profiles = ctx.profiles
    for index, step in ctx.steps("model"):
        if step.model is None or step.model not in profiles:
            continue
        window = profiles[step.model].context_window
        if not window:
            continue
        for n, alias in enumerate(step.fallback):
            fallback = profiles.get(alias)
            if fallback is not None and fallback.context_window and fallback.context_window < window:
                yield Hit(
                    ("steps", index, "fallback", n),
                    f"fallback `{alias}` of `{step.id}` has a {fallback.context_window:,}-token context "
                    f"window, smaller than the primary's {window:,}",
                )


@rule("FG209", "trigger-without-idempotency", "warning", fixable=True)
def trigger_without_idempotency(ctx: Context) -> Iterator[Hit]:
    """What it does
    Reports a webhook or queue trigger without `idempotency_key`.

    Why it matters
    Webhook senders and queues deliver at least once: a retried delivery runs the whole flow
    again — every model call paid twice, every side effect repeated.

    Example
        trigger:
          type: webhook
          path: /hooks/ticket
          # no idempotency_key

    Fix
    `idempotency_key: "{{ event.id }}"` with a `dedupe_window` (24h). `--fix` writes the
    event schema's id-like field (`id`, `event_id`, `*_id`…) and, when missing,
    `dedupe_window: 24h`; without such a field there is nothing safe to write.
    """
    if ctx.flow.trigger.type in ("webhook", "queue"):
        yield from ctx.trigger_missing(
            "idempotency_key",
            "{type} trigger without idempotency_key: duplicate deliveries run the flow twice",
            'add `idempotency_key: "{{ event.id }}"` and `dedupe_window: 24h`',
            key=True,
        )


@fixer("FG209")
def fix_trigger_without_idempotency(tree: CommentedMap, ctx: Context) -> list[str]:
    """Add the trigger's idempotency key from the event's id-like field, and a dedupe window."""
    from copilot.flow.dump import merge_into

    field = event_id_field(ctx.flow)
    if field is None or not ctx.hits_to_fix("FG209"):
        return []
    key = _quoted(f"{{{{ event.{field} }}}}")
    patch: dict[str, Any] = {"idempotency_key": key}
    if ctx.flow.trigger.dedupe_window is None:
        patch["dedupe_window"] = policy.DEDUPE_WINDOW
    merge_into(tree, "trigger", patch)
    window = f", dedupe_window {policy.DEDUPE_WINDOW}" if "dedupe_window" in patch else ""
    return [f'trigger: idempotency_key "{key}"' + window]
