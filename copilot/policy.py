"""Production defaults: the one place that decides them.

Two parts of flowgen write defaults into flow files: the offline drafter
(`copilot.draft.blocks`, `copilot.draft.offline`) into new flows, and `flowgen lint --fix`
(the fixers in `copilot.lint.rules`) into existing ones. They used to choose separately
and disagreed (a drafted timeout of 1.25×p95 and a fixed one of 1.5×p95, freshness 30d
and 24h, top_k 4 and 5), so a user who drafted and then fixed got churn, and the docs of
one contradicted the other. Every default either writes is decided here, once: as a
constant, or as a small function of what the caller knows (a model's p95, the step's
share of the SLA, the ingress rate). Callers decide *what they know* (the drafter plans
shares from its outline, the linter from the shared graph analysis); this module decides
*what to write*. `tests/test_policy.py` holds the drafter's blocks and the fixers to it.

Nothing here imports the linter or the drafter: both import this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

# ---------------------------------------------------------------------------- rounding


def round_down_ms(seconds: float, step_ms: int = 10) -> float:
    """`seconds` rounded down to whole `step_ms`, at least one step (850ms reads better than 847ms)."""
    return max(step_ms, math.floor(round(seconds * 1000, 6) / step_ms) * step_ms) / 1000


def round_up_ms(seconds: float, step_ms: int = 50) -> float:
    """`seconds` rounded up to whole `step_ms` (a timeout is never rounded below what it must hold)."""
    return math.ceil(round(seconds * 1000, 6) / step_ms) * step_ms / 1000


# ---------------------------------------------------------------------------- timeouts

# A timeout this far above the call's p95 cuts only the real stragglers (about the slowest
# 2% of calls) and leaves the fallback time to answer them.
TIMEOUT_HEADROOM = 1.25
# ...and never less than this above it: a fast call's tail is network jitter, not a stall.
TIMEOUT_MIN_HEADROOM = 0.1
# Nothing waits on a background (async or off-path) model call: cut only calls that hang.
BACKGROUND_TIMEOUT_FACTOR = 3.0
BACKGROUND_TIMEOUT_MIN = 10.0
# I/O calls with no estimate of their own: a vector search is fast (3× its 50 ms p95);
# other services have long tails, and a side effect cut early is retried for nothing.
RETRIEVE_TIMEOUT = 0.15
HTTP_TIMEOUT = 2.0
# At most this share of the SLA for one hot-path retrieve or http call.
HOT_IO_SHARE = 0.4
# Below this timeout a retry cannot fit: one call, then the fallback.
MIN_RETRY_TIMEOUT = 0.2


def _generous(p95: float) -> float:
    return max(p95 * TIMEOUT_HEADROOM, p95 + TIMEOUT_MIN_HEADROOM)


def model_timeout(p95: float, share: float | None = None, *, fallback: bool = True) -> float:
    """The timeout of a model call someone waits for.

    `p95` is the model's p95 (the routed choice's, for a `route`); `share` is what the SLA
    leaves for this step (None without an SLA). The timeout is ``max(1.25 × p95, p95 +
    100 ms)`` rounded up to 50 ms when the share holds it; else the share itself (rounded
    down to 10 ms) while that is still above p95. When the share cannot even hold the p95,
    a step with a fallback is cut at half its share so the fallback still fits (most calls
    then end on the fallback or the deadline answer); one without a fallback keeps its p95
    (the SLA is infeasible: FG103 says so, and cutting every call would only fail them).
    """
    generous = round_up_ms(_generous(p95))
    if share is None or generous <= share:
        return generous
    if round_down_ms(share) > p95:
        return round_down_ms(share)
    if fallback:
        return round_down_ms(share / 2)
    return round_up_ms(p95)


def background_model_timeout(p95: float) -> float:
    """The timeout of a model call nothing waits for: 3 × p95 rounded up to 1 s, at least 10 s."""
    return max(BACKGROUND_TIMEOUT_MIN, round_up_ms(p95 * BACKGROUND_TIMEOUT_FACTOR, 1000))


def io_timeout(kind: Literal["retrieve", "http"], p95: float, share: float | None = None) -> float:
    """The timeout of a retrieve or http call with estimated `p95`.

    Off the hot path: the kind's default (150 ms for retrieve, 2 s for http), raised to
    ``max(1.25 × p95, p95 + 100 ms)`` for a call declared slower. With a `share` of the SLA
    (on the hot path, see `HOT_IO_SHARE`): capped by the share rounded down to 10 ms, but
    never below p95 (a call cut before its usual answer only fails).
    """
    base = max(RETRIEVE_TIMEOUT if kind == "retrieve" else HTTP_TIMEOUT, round_up_ms(_generous(p95)))
    if share is None:
        return base
    return min(base, max(round_down_ms(share), p95))


# ---------------------------------------------------------------------------- retries

RETRY_ON = ("timeout", "rate_limit", "server_error")  # transient failures only (FG206)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a call is retried (exponential backoff, full jitter)."""

    attempts: int  # retries after the first call
    initial: float  # first backoff, seconds
    max: float  # longest backoff, seconds

    def block(self) -> dict[str, Any]:
        """The flow's `retry:` mapping (durations as text, only on transient failures)."""
        from copilot.flow.units import format_duration

        return {
            "attempts": self.attempts,
            "backoff": "exponential",
            "initial": format_duration(self.initial),
            "max": format_duration(self.max),
            "jitter": True,
            "on": list(RETRY_ON),
        }


# One quick retry on the hot path: a second, or a long backoff, rarely fits the SLA.
HOT_RETRY = RetryPolicy(attempts=1, initial=0.05, max=0.2)
# Nothing waits: back off long enough for a provider to recover.
ASYNC_RETRY = RetryPolicy(attempts=2, initial=1.0, max=5.0)
# Notifications and writes are idempotent (FG203) and worth delivering: more, quicker tries.
SIDE_EFFECT_RETRY = RetryPolicy(attempts=3, initial=0.2, max=2.0)


def retry_policy(*, hot: bool, side_effect: bool) -> RetryPolicy:
    """The retry of a call: the SLA first (hot path), then side effects, then background work."""
    if hot:
        return HOT_RETRY
    return SIDE_EFFECT_RETRY if side_effect else ASYNC_RETRY


# ---------------------------------------------------------------------------- model output

# Output tokens by what the step does (the drafter knows; a fixer does not).
MAX_TOKENS_BY_TASK = {
    "classify": 60,
    "score": 120,
    "moderate": 80,
    "extract": 250,
    "summarise": 300,
    "translate": 500,
    "answer": 350,
    "reply": 300,
    "enrich": 400,
}
MAX_TOKENS_STRUCTURED = 256  # an answer that fills an output_schema is short
MAX_TOKENS_TEXT = 512


def max_tokens(task: str | None = None, *, structured: bool, limit: int | None = None) -> int:
    """`max_tokens` for a model step: by task when known, else by whether the answer is structured.

    Capped at the model's output limit when it is known.
    """
    value = MAX_TOKENS_BY_TASK.get(task or "") or (MAX_TOKENS_STRUCTURED if structured else MAX_TOKENS_TEXT)
    return min(value, limit) if limit else value


# A validation gate with no known safe value keeps the event for replay instead of guessing.
VALIDATE_ON_FAIL = {"action": "dead_letter"}

# ---------------------------------------------------------------------------- retrieval

FRESHNESS = "30d"  # help-centre style documents; FG403 flags anything longer
FRESHNESS_MAX = 30 * 86400.0  # seconds: the longest window a realtime answer may rest on
TOP_K = 4  # a few strong passages beat many weak ones (prompt size, latency, cost)
TOP_K_MAX = 20
ON_EMPTY = {"action": "default", "value": []}  # dependants get an empty list they can check

# ---------------------------------------------------------------------------- ingress

DEDUPE_WINDOW = "24h"  # webhook providers redeliver for hours, not days
INGRESS_RATE = 50  # events per second admitted when nothing else bounds the flow
BURST_FACTOR = 2
CONCURRENCY_MIN = 10
CONCURRENCY_HEADROOM = 2.0  # Little's law gives the average in flight; bursts need room above it


def rate_limit(rate: float) -> dict[str, Any]:
    """The trigger's `rate_limit` for `rate` events/s, bursts of twice that; per minute below 1/s."""
    if rate >= 1:
        limit = int(rate)
        return {"limit": limit, "period": "1s", "burst": BURST_FACTOR * limit}
    per_minute = max(1, int(rate * 60))
    return {"limit": per_minute, "period": "1m", "burst": per_minute}


def concurrency(rate: float, seconds: float) -> int:
    """Events in flight at `rate`/s when each takes `seconds` (Little's law), doubled, at least 10.

    `seconds` is how long an event takes (the SLA, or the hot path's estimate if longer);
    when nothing is known, one second.
    """
    seconds = seconds if seconds > 0 else 1.0
    return max(CONCURRENCY_MIN, math.ceil(round(rate * seconds * CONCURRENCY_HEADROOM, 6)))


# ---------------------------------------------------------------------------- failures and telemetry


def dead_letter_path(flow_name: str | None = None) -> str:
    """One dead-letter file per flow, so `flowgen replay` never sends an event to the wrong flow."""
    return f".flowgen/dead-letter/{flow_name}.jsonl" if flow_name else ".flowgen/dead-letter.jsonl"


TRACING = {"exporter": "otlp", "endpoint": "${env:OTEL_EXPORTER_OTLP_ENDPOINT}", "sample_ratio": 1.0}
METRICS_PORT = 9464  # the OpenTelemetry Prometheus exporter's default
METRICS = {"exporter": "prometheus", "port": METRICS_PORT}
ERROR_RATE_ALERT = 0.02  # 2% of events failing over 5 minutes pages someone
ALERT_WINDOWS = {"error_rate": "5m", "latency_p95": "5m", "cost_per_event": "1h"}


def alerts(sla: float | None, budget: float | None) -> list[dict[str, Any]]:
    """Alerts on the error rate, on latency above the SLA and on cost above the budget (when set)."""
    from copilot.flow.units import format_duration

    out: list[dict[str, Any]] = [
        {"metric": "error_rate", "above": ERROR_RATE_ALERT, "window": ALERT_WINDOWS["error_rate"]}
    ]
    if sla is not None:
        out.append(
            {"metric": "latency_p95", "above": format_duration(sla), "window": ALERT_WINDOWS["latency_p95"]}
        )
    if budget is not None:
        out.append({"metric": "cost_per_event", "above": budget, "window": ALERT_WINDOWS["cost_per_event"]})
    return out


# ---------------------------------------------------------------------------- tests

ERROR_THRESHOLD = "rate<0.01"
# Events whose work failed after every retry and fallback: an async side effect that fails on
# every event (a condition that cannot evaluate) answers 200 and is counted only here.
DEAD_LETTER_THRESHOLD = "rate<0.01"
