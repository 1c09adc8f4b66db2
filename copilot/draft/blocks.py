"""The building blocks of a production-ready flow, shared by the offline drafter and the prompt.

The offline drafter assembles flows from these functions; the drafting prompt states the
same choices as rules of thumb (`rules_of_thumb`), built from the same constants, so an
LLM draft and an offline draft follow one policy.
"""

from __future__ import annotations

import copy
from typing import Any

from copilot import policy
from copilot.flow.estimate import HTTP_LATENCY, RETRIEVE_LATENCY
from copilot.flow.units import format_duration
from copilot.policy import (  # noqa: F401  (re-exported: the offline drafter reads them here)
    DEAD_LETTER_THRESHOLD,
    DEDUPE_WINDOW,
    ERROR_RATE_ALERT,
    ERROR_THRESHOLD,
    FRESHNESS,
    HTTP_TIMEOUT,
    METRICS_PORT,
    RETRIEVE_TIMEOUT,
    RETRY_ON,
    TIMEOUT_HEADROOM,
    TOP_K,
    round_down_ms,
    round_up_ms,
)

# ---------------------------------------------------------------------------- policy
# Every value is decided in `copilot.policy`, which `flowgen lint --fix` uses too; these
# names stay for the drafter's modules.

HOT_RETRIES = policy.HOT_RETRY.attempts
ASYNC_RETRIES = policy.ASYNC_RETRY.attempts
SIDE_EFFECT_RETRIES = policy.SIDE_EFFECT_RETRY.attempts
DEFAULT_RATE_PER_SECOND = policy.INGRESS_RATE
DEAD_LETTER_PATH = policy.dead_letter_path()


def rules_of_thumb() -> list[str]:
    """The drafting policy in sentences, for the system prompt."""
    return [
        "The hot path is every step `respond.needs` depends on, transitively. Use fast-tier models "
        "there; put heavy models, enrichment, notifications and storage in `mode: async` steps that "
        "no sync step and no `respond.needs` waits for.",
        "Give every model, retrieve and http step a `timeout`: about "
        f"{TIMEOUT_HEADROOM:g}× its model's p95 when the SLA leaves room for it, never more than the "
        "share of `sla.latency_p95` left for that step; add `respond.on_deadline` (status 202) so a "
        "late hot path still answers within the SLA.",
        "Give every model step a `fallback` alias from another provider whose context window is at "
        "least the primary's; pin aliases to dated snapshots (`use: openai/gpt-4o-mini-2024-07-18`).",
        "Give every model step `max_tokens` and an `output_schema`, and check its output with a "
        "`validate` step (rules plus `on_fail`; on the hot path `action: default` with a safe value) "
        "before anything uses it.",
        "Pin every retrieve source (`pin: sha256:…` or `version:`), and set `freshness` (at most "
        f"30d), `top_k` (at most 20, e.g. {TOP_K}) and `on_empty`.",
        "Give anything that is retried an `idempotency_key` built from the event's id "
        "(`{{ event.id }}:<step>`); bound retries (hot path "
        f"{HOT_RETRIES}, async {ASYNC_RETRIES}, side effects {SIDE_EFFECT_RETRIES}) with "
        f"`backoff: exponential` and `jitter: true`, only on {', '.join(RETRY_ON)}.",
        "Give the trigger `idempotency_key`, `dedupe_window` "
        f"({DEDUPE_WINDOW}), a `rate_limit` below the models' provider limits and `concurrency`; "
        "a webhook needs `auth` with a `${env:NAME}` secret. Secrets and URLs of other services are "
        "always `${env:NAME}` references.",
        "Add `on_error.dead_letter`, observability (tracing exporter otlp, metrics exporter "
        "prometheus, `redact` for personal event fields such as email, name and phone, alerts on "
        "error_rate, latency_p95 and cost_per_event) and `tests` (a `load` shaped like the trigger: "
        "bursts for a webhook, a steady rate for a queue, a handful of runs for a schedule; `chaos` on the "
        "fast model: latency, 503 errors, timeouts; `thresholds` no looser than the SLA and budget).",
        "Templates may only read `event.<field>` declared in `event_schema` and "
        "`steps.<id>.output.<field>` declared in that step's `output_schema`; keep event data out "
        "of `prompt.system` (prompt injection).",
        "Independent hot-path calls run in parallel: a step `needs` another only when it uses that "
        "step's output. Keep the estimated cost per event under `sla.max_cost_per_event`.",
        'A side effect the brief limits to some events ("for urgent tickets", "if the score is above '
        "0.8\") gets an `if:` on the output field that decides it; that field is in the deciding step's "
        "`output_schema` with the brief's own labels and thresholds (`urgency: {enum: [urgent, normal]}`, "
        "`score` compared with 0.8).",
        "When the brief says answers come only from documents, every answer that reaches the response "
        "comes from a model that reads `retrieve` output and returns `{text, grounded}`, behind a "
        "`validate` step (why.block grounding-gate) with the rule `input.grounded` and `on_fail` "
        "`action: default` with a safe fallback (`grounded: false`, a text saying a person will follow "
        "up); `respond` reads the gate's output.",
    ]


# ---------------------------------------------------------------------------- small helpers


def dur(seconds: float) -> str:
    return format_duration(seconds)


def parse(duration: str) -> float:
    from copilot.flow.units import parse_duration

    return parse_duration(duration)


def money(usd: float) -> str:
    """USD as a plain decimal (thresholds are k6 syntax: never `5.8e-05`)."""
    from decimal import Decimal

    return format(Decimal(repr(float(usd))).normalize(), "f")


def retry(attempts: int, initial: float, cap: float) -> dict[str, Any]:
    """Bounded exponential backoff with full jitter, only on transient failures."""
    return policy.RetryPolicy(attempts, initial, cap).block()


def call_retry(*, hot: bool, side_effect: bool) -> dict[str, Any]:
    """The policy's retry for a call on the hot path, with side effects, or in the background."""
    return policy.retry_policy(hot=hot, side_effect=side_effect).block()


def model_timeout(p95: float, share: float | None = None, *, hot: bool = True) -> float:
    """A model step's timeout (`copilot.policy`): from its share of the SLA, or unhurried off the hot path."""
    return policy.model_timeout(p95, share) if hot else policy.background_model_timeout(p95)


def env_name(*parts: str) -> str:
    """`SLACK_WEBHOOK_URL` from ("slack", "webhook", "url")."""
    import re

    name = "_".join(re.sub(r"[^A-Za-z0-9]+", "_", p).strip("_").upper() for p in parts if p)
    # an environment variable starts with a letter: "990 decline" -> X990_DECLINE_API_URL
    return name if re.match(r"[A-Z]", name) else f"X{name}"


# ---------------------------------------------------------------------------- blocks


def dead_letter(flow_name: str | None = None) -> dict[str, Any]:
    return {"dead_letter": {"path": policy.dead_letter_path(flow_name)}}


def observability(sla: float, budget: float, redact: list[str]) -> dict[str, Any]:
    return {
        "tracing": dict(policy.TRACING),
        "metrics": dict(policy.METRICS),
        "redact": redact,
        "alerts": policy.alerts(sla, budget),
    }


SCHEDULE_TEST_RUNS = 5  # a daily or hourly job: a handful of runs shows its latency and cost


def load_block(trigger: str, rate_per_second: float) -> dict[str, Any]:
    """A load that looks like the trigger's traffic, about six seconds of it.

    A webhook gets bursts on top of its rate (senders retry and batch); a queue is drained
    at a steady rate (the broker smooths bursts out); a schedule fires one run at a time,
    so a handful of runs, one a second (short on a real clock too), not a burst of hundreds.
    """
    rate = max(1, int(rate_per_second))
    if trigger == "schedule":
        return {"executor": "constant-arrival-rate", "events": SCHEDULE_TEST_RUNS, "rate": "1/s"}
    if trigger == "queue":
        return {"executor": "constant-arrival-rate", "events": max(20, rate * 6), "rate": f"{rate}/s"}
    return {
        "executor": "burst",
        "events": max(50, rate * 6),
        "rate": f"{rate}/s",
        "burst": {"size": max(5, rate * 2), "every": "2s"},
    }


def tests_block(
    sla: float, budget: float, rate_per_second: float, chaos_alias: str, *, trigger: str = "webhook"
) -> dict[str, Any]:
    """A load shaped like the trigger's traffic, the default chaos on the hot-path model, SLA thresholds."""
    return {
        "load": load_block(trigger, rate_per_second),
        "chaos": [
            {
                "target": f"model:{chaos_alias}",
                "type": "latency",
                "latency": "300ms",
                "jitter": "200ms",
                "toxicity": 0.5,
            },
            {"target": "model:*", "type": "error", "status": 503, "toxicity": 0.05},
            {"target": f"model:{chaos_alias}", "type": "timeout", "toxicity": 0.02},
        ],
        "thresholds": {
            "latency": [f"p(95)<{dur(sla)}"],
            "errors": [ERROR_THRESHOLD],
            "dead_letters": [DEAD_LETTER_THRESHOLD],
            "cost_per_event": [f"avg<{money(budget)}"],
        },
    }


def validate_step(
    step_id: str,
    producer: str,
    output_schema: dict[str, Any],
    rules: list[dict[str, str]],
    default: Any,
    mode: str,
) -> dict[str, Any]:
    """A validation gate after a model step: schema, rules, and a safe default on failure."""
    step: dict[str, Any] = {
        "id": step_id,
        "type": "validate",
        "needs": [producer],
        "input": f"{{{{ steps.{producer}.output }}}}",
        "output_schema": output_schema,
        "rules": rules,
        "on_fail": {"action": "default", "value": default},
    }
    if mode == "async":
        step["mode"] = "async"
    return step


def retrieve_step(
    step_id: str, query: str, path: str, pin: str, needs: list[str], condition: str | None
) -> dict[str, Any]:
    step: dict[str, Any] = {
        "id": step_id,
        "type": "retrieve",
        "query": query,
        "sources": [{"path": path, "pin": pin}],
        "freshness": FRESHNESS,
        "top_k": TOP_K,
        "on_empty": copy.deepcopy(policy.ON_EMPTY),
        "timeout": dur(policy.io_timeout("retrieve", RETRIEVE_LATENCY[1])),
    }
    if needs:
        step["needs"] = needs
    if condition:
        step["if"] = condition
    return step


def http_step(
    step_id: str,
    url_env: str,
    body: dict[str, Any],
    *,
    needs: list[str],
    condition: str | None,
    id_template: str,
    method: str = "POST",
    mode: str = "async",
    description: str | None = None,
) -> dict[str, Any]:
    """An outgoing call with a bounded, idempotent retry (the key travels as Idempotency-Key)."""
    step: dict[str, Any] = {"id": step_id, "type": "http"}
    if description:
        step["description"] = description
    if mode == "async":
        step["mode"] = "async"
    if needs:
        step["needs"] = needs
    if condition:
        step["if"] = condition
    request: dict[str, Any] = {"method": method, "url": f"${{env:{url_env}}}"}
    if method != "GET":
        request["json"] = body
    step["request"] = request
    step["timeout"] = dur(policy.io_timeout("http", HTTP_LATENCY[1]))
    step["retry"] = call_retry(hot=False, side_effect=method != "GET")
    step["idempotency_key"] = f"{id_template}:{step_id}"
    return step
