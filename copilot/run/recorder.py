"""What a load test measures, as it goes: HDR histograms and counters, never the events.

Latency is recorded in HDR histograms (`Trend`), per flow, per step and per time window,
so what the recorder holds does not grow with the number of events. The metric names
are k6's where k6 has one; thresholds over them are in `copilot.run.load_thresholds`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

US = 1_000_000  # histograms count microseconds (latency) and nano-dollars (cost)
MAX_LATENCY_US = 3600 * US
NANO_USD = 1_000_000_000
MAX_COST_NANO = 100 * NANO_USD  # $100 per event

RATE_METRICS = {
    "errors": "events whose response was an error (status ≥ 400, a deadline answer excepted)",
    "sla_attainment": "events that got a non-error response (full or on_deadline) within the SLA",
    "full_answers": "events that got the full answer (no deadline answer, no error) within the SLA",
    "deadline_answers": "events answered with respond.on_deadline",
    "retries": "events with at least one retry (count: all retries)",
    "fallbacks": "events where a fallback model answered a step",
    "hedges_won": "events where a hedged call won",
    "dead_letters": "events written to the dead-letter file",
}
TREND_METRICS = {
    "latency": "response time from the intended start, seconds (bare numbers in thresholds are ms)",
    "cost_per_event": "USD per event, every step including async ones",
}
COUNTER_METRICS = {"throughput": "responses per second of wall time (rate), responses (count)"}
METRICS = {**TREND_METRICS, **RATE_METRICS, **COUNTER_METRICS}


class Trend:
    """An HDR histogram and the exact sum: percentiles without keeping samples, an exact mean.

    Values go in and come out in base units (seconds, USD); the histogram counts integer
    micro-units (`scale`) with 3 significant digits, so percentiles are within 0.1%.
    """

    __slots__ = ("_summary", "hdr", "highest", "scale", "total")

    def __init__(self, scale: int, highest: int, digits: int = 3) -> None:
        from hdrh.histogram import HdrHistogram

        self.hdr = HdrHistogram(1, highest, digits)
        self.scale = scale
        self.highest = highest
        self.total = 0.0
        self._summary: dict[str, float | None] | None = None

    def record(self, value: float) -> None:
        self.hdr.record_value(min(self.highest, max(1, round(value * self.scale))))
        self.total += value
        self._summary = None

    @property
    def count(self) -> int:
        return self.hdr.get_total_count()

    def percentile(self, p: float) -> float | None:
        return self.hdr.get_value_at_percentile(p) / self.scale if self.count else None

    @property
    def mean(self) -> float | None:
        # hdrh's own mean walks every bucket in Python; the running sum is exact and free.
        return self.total / self.count if self.count else None

    @property
    def min(self) -> float | None:
        return self.hdr.get_min_value() / self.scale if self.count else None

    @property
    def max(self) -> float | None:
        return self.hdr.get_max_value() / self.scale if self.count else None

    def summary(self) -> dict[str, float | None]:
        """count, min, avg, p50, p95, p99, max (computed once per change: percentiles cost a walk)."""
        if self._summary is None:
            if not self.count:
                self._summary = dict.fromkeys(("min", "avg", "p50", "p95", "p99", "max"), None)
            else:
                cuts = self.hdr.get_percentile_to_value_dict([50, 95, 99])
                self._summary = {
                    "min": self.min,
                    "avg": self.mean,
                    "p50": cuts[50] / self.scale,
                    "p95": cuts[95] / self.scale,
                    "p99": cuts[99] / self.scale,
                    "max": self.max,
                }
            self._summary = {"count": self.count, **self._summary}
        return self._summary

    def recorded(self) -> Iterator[tuple[float, int]]:
        """(value, how many) for every bucket that has counts."""
        for item in self.hdr.get_recorded_iterator():
            yield item.value_iterated_to / self.scale, item.count_at_value_iterated_to


def _latency() -> Trend:
    return Trend(US, MAX_LATENCY_US)


# ---------------------------------------------------------------------------- recording


@dataclass
class StepStats:
    """How one step behaved across the run."""

    step_id: str
    type: str
    mode: str
    hot: bool
    latency: Trend = field(default_factory=_latency)
    statuses: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    fallbacks: int = 0
    hedges_won: int = 0
    cost: float = 0.0
    models: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # failure class of failed runs
    runs: int = 0  # times the step started (not skipped, not cancelled before it began)

    def add(self, record: Any, cut: bool = False) -> None:
        # A step still running (or waiting) when the drain limit cut its event was cancelled.
        status = "cancelled" if cut and record.status in ("running", "pending") else record.status
        self.statuses[status] += 1
        if record.start is not None and record.status != "skipped":
            self.runs += 1
            if record.end is not None:
                self.latency.record(record.end - record.start)
        self.retries += record.retries
        self.fallbacks += bool(record.fallback_used)
        self.hedges_won += bool(record.hedge_won)
        self.cost += record.cost
        if record.model:
            self.models[record.model] += 1
        if record.status == "failed":
            self.errors[record.kind or "error"] += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.step_id,
            "type": self.type,
            "mode": self.mode,
            "hot_path": self.hot,
            "runs": self.runs,
            "statuses": dict(sorted(self.statuses.items())),
            "latency": seconds_to_ms(self.latency.summary()),
            "retries": self.retries,
            "fallbacks": self.fallbacks,
            "hedges_won": self.hedges_won,
            "cost_usd": round(self.cost, 8),
            "models": dict(self.models.most_common()),
            "errors": dict(self.errors.most_common()),
        }


class Recorder:
    """Aggregates event results as they come; keeps histograms and counters, never the events."""

    def __init__(self, flow: Any, sla: float | None, window: float) -> None:
        from copilot.flow.graph import build_graph

        hot = build_graph(flow).hot_path
        self.sla = sla
        self.window = window
        self.latency = _latency()
        self.cost = Trend(NANO_USD, MAX_COST_NANO)
        self.total_cost = 0.0
        self.events = 0
        self.responses = 0
        self.counts: Counter[str] = Counter()  # the rate metrics' numerators, and more
        self.retry_total = 0
        self.unpriced = 0  # events with a call whose model has no price: their cost is unknown
        self.statuses: Counter[int] = Counter()
        self.attempt_errors: Counter[str] = Counter()  # failed calls by class (retried or not)
        self.outcomes: Counter[str] = Counter()  # full / deadline / error per event
        self.steps = {s.id: StepStats(s.id, s.type, s.mode, s.id in hot) for s in flow.steps}
        self.series: dict[int, Trend] = {}
        self.first_response: float | None = None
        self.last_response: float | None = None
        self.unanswered = 0  # cancelled at the drain limit before any response
        self.unfinished = 0  # answered, but async work still running at the drain limit

    def response(self, result: Any, latency: float, offset: float, at: float) -> None:
        """An event was answered `latency` seconds after its intended start `offset`."""
        self.responses += 1
        self.latency.record(latency)
        slot = int(offset / self.window) if self.window > 0 else 0
        window = self.series.get(slot)
        if window is None:
            # Two digits are plenty for a chart point and keep each window small.
            window = self.series[slot] = Trend(US, MAX_LATENCY_US, 2)
        window.record(latency)
        self.statuses[result.response_status] += 1
        error = result.response_status >= 400 and not (result.deadline_hit and result.response_status < 500)
        if error:
            self.counts["errors"] += 1
            self.outcomes["error"] += 1
        elif result.deadline_hit:
            self.counts["deadline_answers"] += 1
            self.outcomes["deadline answer"] += 1
        else:
            self.outcomes["full answer"] += 1
        if self.sla is not None and latency <= self.sla and not error:
            self.counts["sla_attainment"] += 1
            if not result.deadline_hit:
                self.counts["full_answers"] += 1
        self.first_response = at if self.first_response is None else min(self.first_response, at)
        self.last_response = at if self.last_response is None else max(self.last_response, at)

    def abandoned(self, result: Any | None) -> None:
        """An event cancelled at the drain limit: before its response (None) or after it."""
        if result is None:
            self.unanswered += 1
            self.counts["errors"] += 1
            self.outcomes["no response"] += 1
            return
        self.unfinished += 1
        self.done(result, cut=True)  # what had finished by then

    @property
    def sent(self) -> int:
        """Events that were due and started: answered or not."""
        return self.responses + self.unanswered

    def done(self, result: Any, cut: bool = False) -> None:
        """Every step of the event has finished (async ones too): cost and per-step figures."""
        self.events += 1
        if getattr(result, "cost_known", True):
            self.total_cost += result.cost
            self.cost.record(result.cost)
        else:
            self.unpriced += 1
        retries = result.retries
        self.retry_total += retries
        self.counts["retries"] += retries > 0
        self.counts["fallbacks"] += result.fallbacks > 0
        self.counts["hedges_won"] += result.hedges_won > 0
        self.counts["dead_letters"] += bool(result.dead_lettered)
        for attempt in result.attempts:
            if attempt.status == "error":
                self.attempt_errors[attempt.kind or "error"] += 1
        for step_id, record in result.steps.items():
            stats = self.steps.get(step_id)
            if stats is not None:
                stats.add(record, cut)


def seconds_to_ms(summary: dict[str, float | None]) -> dict[str, float | None]:
    """A trend's summary in milliseconds (the count as it is)."""
    return {k: (v if k == "count" or v is None else round(v * 1000, 3)) for k, v in summary.items()}
