"""The building blocks of a production-ready flow, shared by the offline drafter and the prompt.

The offline drafter assembles flows from these functions; the drafting prompt states the
same choices as rules of thumb (`rules_of_thumb`), built from the same constants, so an
LLM draft and an offline draft follow one policy.
"""

from __future__ import annotations

import math
from typing import Any

from copilot.flow.units import format_duration

# ---------------------------------------------------------------------------- policy

HOT_RETRIES = 1  # one retry on the hot path: a second rarely fits the SLA
ASYNC_RETRIES = 2
SIDE_EFFECT_RETRIES = 3
RETRY_ON = ["timeout", "rate_limit", "server_error"]
DEDUPE_WINDOW = "24h"
FRESHNESS = "30d"  # help-centre style documents; FG403 flags anything longer
TOP_K = 4
DEFAULT_RATE_PER_SECOND = 50
CONCURRENCY = 200
ASYNC_MODEL_TIMEOUT = 30.0
HTTP_TIMEOUT = 2.0
RETRIEVE_TIMEOUT = 0.15
TIMEOUT_HEADROOM = 1.25  # a timeout this far above the model's p95 cuts only the real stragglers
DEAD_LETTER_PATH = ".flowgen/dead-letter.jsonl"
ERROR_RATE_ALERT = 0.02
ERROR_THRESHOLD = "rate<0.01"
METRICS_PORT = 9464


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
        "error_rate, latency_p95 and cost_per_event) and `tests` (a burst `load`, `chaos` on the "
        "fast model: latency, 503 errors, timeouts; `thresholds` no looser than the SLA and budget).",
        "Templates may only read `event.<field>` declared in `event_schema` and "
        "`steps.<id>.output.<field>` declared in that step's `output_schema`; keep event data out "
        "of `prompt.system` (prompt injection).",
        "Independent hot-path calls run in parallel: a step `needs` another only when it uses that "
        "step's output. Keep the estimated cost per event under `sla.max_cost_per_event`.",
    ]


# ---------------------------------------------------------------------------- small helpers


def round_down_ms(seconds: float, step_ms: int = 10) -> float:
    """`seconds` rounded down to whole `step_ms` (timeouts read better as 850ms than 847ms)."""
    return max(step_ms, math.floor(seconds * 1000 / step_ms) * step_ms) / 1000


def round_up_ms(seconds: float, step_ms: int = 50) -> float:
    return math.ceil(seconds * 1000 / step_ms) * step_ms / 1000


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
    return {
        "attempts": attempts,
        "backoff": "exponential",
        "initial": dur(initial),
        "max": dur(cap),
        "jitter": True,
        "on": list(RETRY_ON),
    }


def env_name(*parts: str) -> str:
    """`SLACK_WEBHOOK_URL` from ("slack", "webhook", "url")."""
    import re

    return "_".join(re.sub(r"[^A-Za-z0-9]+", "_", p).strip("_").upper() for p in parts if p)


# ---------------------------------------------------------------------------- blocks


def dead_letter() -> dict[str, Any]:
    return {"dead_letter": {"path": DEAD_LETTER_PATH}}


def observability(sla: float, budget: float, redact: list[str]) -> dict[str, Any]:
    return {
        "tracing": {
            "exporter": "otlp",
            "endpoint": "${env:OTEL_EXPORTER_OTLP_ENDPOINT}",
            "sample_ratio": 1.0,
        },
        "metrics": {"exporter": "prometheus", "port": METRICS_PORT},
        "redact": redact,
        "alerts": [
            {"metric": "error_rate", "above": ERROR_RATE_ALERT, "window": "5m"},
            {"metric": "latency_p95", "above": dur(sla), "window": "5m"},
            {"metric": "cost_per_event", "above": budget, "window": "1h"},
        ],
    }


def tests_block(sla: float, budget: float, rate_per_second: float, chaos_alias: str) -> dict[str, Any]:
    """A burst load at the ingress rate, the DESIGN chaos on the hot-path model, SLA thresholds."""
    rate = max(1, int(rate_per_second))
    return {
        "load": {
            "executor": "burst",
            "events": max(50, rate * 6),
            "rate": f"{rate}/s",
            "burst": {"size": max(5, rate * 2), "every": "2s"},
        },
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
        "on_empty": {"action": "default", "value": []},
        "timeout": dur(RETRIEVE_TIMEOUT),
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
    step["timeout"] = dur(HTTP_TIMEOUT)
    step["retry"] = retry(SIDE_EFFECT_RETRIES, 0.2, 2.0)
    step["idempotency_key"] = f"{id_template}:{step_id}"
    return step
