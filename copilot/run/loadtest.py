"""`flowgen test FLOW`: a load test with chaos against the local engine, and its results.

The run: the load generator (`copilot.run.load`) says when each event is due; at that
moment the event is handed to the engine (waiting for a `trigger.concurrency` slot
first, if the flow has one), with the provider and the HTTP client wrapped in the
fault injector (`copilot.run.chaos`). Latency is measured from the event's *intended*
start, so a flow that falls behind is charged for the queue it builds (k6's correction
for coordinated omission), and recorded in HDR histograms, never in lists: what the
recorder holds does not grow with the number of events.

Attainment is reported twice, because a deadline answer is not an answer:
- *responded within SLA*: any non-error response (the full answer or the 202
  `on_deadline` answer) within `sla.latency_p95`;
- *full answer within SLA*: the full answer (no deadline answer, no error) within it.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.errors import FlowgenError, Position, did_you_mean
from copilot.run.chaos import Fault
from copilot.run.load import EventFactory, LoadShape

US = 1_000_000  # histograms count microseconds (latency) and nano-dollars (cost)
MAX_LATENCY_US = 3600 * US
NANO_USD = 1_000_000_000
MAX_COST_NANO = 100 * NANO_USD  # $100 per event
SERIES_POINTS = 60  # windows of the latency-over-time chart
IDEMPOTENCY_ENTRIES = 20_000  # every test event has its own key; a bound keeps memory flat
DRAIN_LIMIT = 120.0  # seconds after the last arrival before still-running events are cancelled

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
            "latency": _seconds_to_ms(self.latency.summary()),
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
        self.total_cost += result.cost
        self.cost.record(result.cost)
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


# ---------------------------------------------------------------------------- the run


@dataclass
class TestSetup:
    """Everything one flow's test needs, checked before anything runs."""

    path: str
    loaded: Any
    shape: LoadShape
    faults: list[Fault]
    thresholds: list[tuple[str, str, Any, Position | None]]  # metric, text, Threshold, where
    seed: int
    planned_events: int
    planned_duration: float
    default_note: str | None = None  # set when the thresholds are the flow's SLA and budget


@dataclass
class ThresholdResult:
    metric: str
    threshold: str
    measured: float | None
    unit: str
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "threshold": self.threshold,
            "measured": self.measured,
            "unit": self.unit,
            "passed": self.passed,
        }


@dataclass
class TestResult:
    """What one flow's test measured: JSON-ready, plus the histograms for the charts."""

    setup: TestSetup
    recorder: Recorder
    wall_time: float
    virtual_time: bool
    injected: Counter[str]
    model_calls: int
    thresholds: list[ThresholdResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.thresholds)

    @property
    def flow(self) -> Any:
        return self.setup.loaded.flow

    def rate(self, metric: str) -> float | None:
        rec = self.recorder
        if metric in ("sla_attainment", "full_answers") and rec.sla is None:
            return None
        answers = ("errors", "deadline_answers", "sla_attainment", "full_answers")
        base = rec.sent if metric in answers else rec.events
        return rec.counts[metric] / base if base else None

    @property
    def throughput(self) -> float | None:
        if not self.recorder.responses or self.wall_time <= 0:
            return None
        return self.recorder.responses / self.wall_time

    def to_dict(self) -> dict[str, Any]:
        rec = self.recorder
        latency = _seconds_to_ms(rec.latency.summary())
        cost = rec.cost.summary()
        return {
            "flow": self.flow.name,
            "path": self.setup.path,
            "seed": self.setup.seed,
            "load": {
                "executor": self.setup.shape.executor,
                "description": self.setup.shape.describe(),
                "events": self.setup.planned_events,
                "planned_duration_s": round(self.setup.planned_duration, 3),
            },
            "chaos": [f.to_dict() for f in self.setup.faults],
            "faults_injected": dict(self.injected.most_common()),
            "model_calls": self.model_calls,
            "clock": "virtual" if self.virtual_time else "real",
            "wall_time_s": round(self.wall_time, 3),
            "events": rec.events,
            "throughput_per_s": _round(self.throughput, 2),
            "sla_ms": None if rec.sla is None else round(rec.sla * 1000, 3),
            "latency_ms": latency,
            "sla_attainment": _round(self.rate("sla_attainment"), 6),
            "full_answers": _round(self.rate("full_answers"), 6),
            "rates": {
                m: _round(self.rate(m), 6)
                for m in RATE_METRICS
                if m not in ("sla_attainment", "full_answers")
            },
            "counts": {
                "responses": rec.responses,
                "unanswered": rec.unanswered,
                "unfinished": rec.unfinished,
                **{m: rec.counts[m] for m in RATE_METRICS},
                "retry_calls": rec.retry_total,
            },
            "outcomes": dict(rec.outcomes.most_common()),
            "statuses": {str(k): v for k, v in sorted(rec.statuses.items())},
            "call_errors": dict(rec.attempt_errors.most_common()),
            "cost_usd": {
                "total": round(rec.total_cost, 8),
                "per_event_avg": _round(rec.total_cost / rec.events if rec.events else None, 8),
                "per_event_p95": _round(cost["p95"], 8),
                "per_event_max": _round(cost["max"], 8),
            },
            "steps": [s.to_dict() for s in rec.steps.values()],
            "thresholds": [t.to_dict() for t in self.thresholds],
            "notes": list(self.notes),
            "passed": self.passed,
        }

    def series(self) -> list[dict[str, float]]:
        """Latency over time: per window of intended start, p50/p95/max in ms."""
        rec = self.recorder
        out = []
        for slot in sorted(rec.series):
            summary = rec.series[slot].summary()
            out.append(
                {
                    "t": round(slot * rec.window, 3),
                    "count": summary["count"],
                    "p50": summary["p50"] * 1000,  # type: ignore[operator]
                    "p95": summary["p95"] * 1000,  # type: ignore[operator]
                    "max": summary["max"] * 1000,  # type: ignore[operator]
                }
            )
        return out

    def latency_buckets(
        self, count: int = 30, high_ms: float | None = None
    ) -> list[tuple[float, float, int]]:
        """The latency histogram in `count` equal buckets up to `high_ms`: (from ms, to ms, events)."""
        trend = self.recorder.latency
        if not trend.count:
            return []
        high = high_ms if high_ms is not None else (trend.max or 0) * 1000
        width = max(high / count, 0.001)
        buckets = [0] * count
        for value, n in trend.recorded():
            buckets[min(count - 1, int(value * 1000 / width))] += n
        return [(i * width, (i + 1) * width, n) for i, n in enumerate(buckets)]


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _seconds_to_ms(summary: dict[str, float | None]) -> dict[str, float | None]:
    return {k: (v if k == "count" or v is None else round(v * 1000, 3)) for k, v in summary.items()}


def prepare(
    path: str,
    *,
    events: int | None = None,
    rate: float | None = None,
    duration: float | None = None,
    seed: int = 0,
    chaos: list[str] | None = None,
    flow_chaos: bool = True,
    tests_from: Any = None,
) -> TestSetup:
    """Load and check the flow, the load, the chaos and the thresholds: fail before running.

    `tests_from` is another `TestSetup`'s loaded flow whose `tests` block is used instead
    of this flow's own (`--compare` runs both flows under the first one's test).
    """
    from copilot.flow.load import load_flow

    return prepare_loaded(
        load_flow(path),
        events=events,
        rate=rate,
        duration=duration,
        seed=seed,
        chaos=chaos,
        flow_chaos=flow_chaos,
        tests_from=tests_from,
    )


def prepare_loaded(
    loaded: Any,
    *,
    events: int | None = None,
    rate: float | None = None,
    duration: float | None = None,
    seed: int = 0,
    chaos: list[str] | None = None,
    flow_chaos: bool = True,
    tests_from: Any = None,
) -> TestSetup:
    """`prepare` for a flow already loaded (`load_flow_text`): the draft's own test runs on
    a flow that is not on disk yet. Its path's folder is where sources are resolved."""
    from copilot.flow.check import structural_problems
    from copilot.run.chaos import fault_from_entry, parse_chaos
    from copilot.run.load import planned, resolve_load

    problems = structural_problems(loaded)
    if problems:
        first = problems[0]
        raise FlowgenError(f"{first.message} [{first.code}]", path=loaded.path, position=first.position)
    source = tests_from or loaded
    tests = source.flow.tests
    where = source.path
    locate = source.doc.position
    shape = resolve_load(
        tests.load if tests is not None else None,
        events=events,
        rate=rate,
        duration=duration,
        where=where,
        locate=locate,
    )
    faults: list[Fault] = []
    if flow_chaos and tests is not None:
        for index, entry in enumerate(tests.chaos):
            faults.append(fault_from_entry(entry, where=where, position=locate(("tests", "chaos", index))))
    for spec in chaos or []:
        faults.append(parse_chaos(spec))
    step_ids = [s.id for s in source.flow.steps]
    spec = tests.thresholds if tests is not None else {}
    default_note = None
    if not spec:
        spec, default_note = default_thresholds(source.flow)
    thresholds = _thresholds(spec, where, locate, step_ids)
    count, last = planned(shape)
    if count == 0:
        raise FlowgenError("the load sends no event at all; check its rate, stages and duration", path=where)
    return TestSetup(
        path=loaded.path,
        loaded=loaded,
        shape=shape,
        faults=faults,
        thresholds=thresholds,
        seed=seed,
        planned_events=count,
        planned_duration=last,
        default_note=default_note,
    )


DEFAULT_ERROR_RATE = "rate<0.01"


def default_thresholds(flow: Any) -> tuple[dict[str, list[str]], str]:
    """The thresholds of a flow that sets none: its own SLA (p95), its budget (average cost
    per event) and errors below 1%, with the sentence that says so in the report."""
    spec: dict[str, list[str]] = {}
    used: list[str] = []
    sla = flow.sla
    if sla is not None and sla.latency_p95 is not None:
        spec["latency"] = [f"p(95)<{sla.latency_p95 * 1000:g}ms"]
        used.append("the SLA")
    if sla is not None and sla.max_cost_per_event is not None:
        budget = f"{sla.max_cost_per_event:.12f}".rstrip("0").rstrip(".") or "0"
        spec["cost_per_event"] = [f"avg<{budget}" if sla.max_cost_per_event > 0 else "avg<=0"]
        used.append("the budget")
    spec["errors"] = [DEFAULT_ERROR_RATE]
    used.append("errors < 1%")
    listed = used[0] if len(used) == 1 else ", ".join(used[:-1]) + " and " + used[-1]
    return spec, f"no thresholds in the flow: using {listed}"


def _thresholds(
    spec: dict[str, list[str]],
    where: str,
    locate: Callable[[tuple[str | int, ...]], Position | None],
    step_ids: list[str],
) -> list[tuple[str, str, Any, Position | None]]:
    from copilot.flow.thresholds import parse_threshold

    out = []
    for metric, texts in spec.items():
        key_at = locate(("tests", "thresholds", metric))
        base, step = _metric_parts(metric)
        if base not in METRICS or (step is not None and base != "latency"):
            known = [*METRICS, "latency{step:ID}"]
            raise FlowgenError(
                f"unknown threshold metric `{metric}`{did_you_mean(base, known)}; known: {', '.join(known)}",
                path=where,
                position=key_at,
            )
        if step is not None and step not in step_ids:
            raise FlowgenError(
                f"threshold `{metric}`: the flow has no step `{step}`{did_you_mean(step, step_ids)}",
                path=where,
                position=key_at,
            )
        for index, text in enumerate(texts):
            at = locate(("tests", "thresholds", metric, index)) or key_at
            try:
                threshold = parse_threshold(text)
            except FlowgenError as exc:
                raise FlowgenError(exc.message, path=where, position=at) from None
            allowed = _aggregates(base)
            if threshold.aggregate not in allowed:
                raise FlowgenError(
                    f"`{text}`: {base} has no `{threshold.name}`; use {', '.join(allowed)}",
                    path=where,
                    position=at,
                )
            out.append((metric, text, threshold, at))
    return out


def _metric_parts(metric: str) -> tuple[str, str | None]:
    """`latency{step:answer}` → ("latency", "answer"); plain names → (name, None)."""
    if metric.endswith("}") and "{" in metric:
        base, _, tag = metric[:-1].partition("{")
        key, _, value = tag.partition(":")
        if key.strip() == "step" and value.strip():
            return base.strip(), value.strip()
        return metric, None
    return metric, None


def _aggregates(metric: str) -> tuple[str, ...]:
    if metric in TREND_METRICS:
        return ("p", "avg", "med", "min", "max", "count")
    if metric in COUNTER_METRICS:
        return ("rate", "count")
    return ("rate", "count")


def check_thresholds(result: TestResult) -> list[ThresholdResult]:
    """Each threshold against what was measured; an unmeasurable one fails (no data, no pass)."""
    out = []
    rec = result.recorder
    for metric, text, threshold, _ in result.setup.thresholds:
        base, step = _metric_parts(metric)
        measured: float | None
        unit = ""
        if base in TREND_METRICS:
            if base == "latency":
                trend, unit = rec.latency, "ms"
                if step is not None:
                    # Under --compare the other flow may lack the step: no data, no pass.
                    stats = rec.steps.get(step)
                    trend = stats.latency if stats is not None else Trend(US, MAX_LATENCY_US)
            else:
                trend, unit = rec.cost, "USD"
            measured = _aggregate(trend, threshold)
            if measured is None:
                passed = False
            elif base == "latency" and threshold.aggregate != "count":
                passed = threshold.check_seconds(measured)
            else:
                passed = threshold.check(measured)
            if base == "latency" and measured is not None and threshold.aggregate != "count":
                measured = measured * 1000
        elif base in COUNTER_METRICS:
            if threshold.aggregate == "count":
                measured = float(rec.responses)
            else:
                measured, unit = result.throughput, "/s"
            passed = measured is not None and threshold.check(measured)
        else:
            if threshold.aggregate == "count":
                measured = float(rec.retry_total if base == "retries" else rec.counts[base])
            else:
                measured = result.rate(base)
            passed = measured is not None and threshold.check(measured)
        out.append(ThresholdResult(metric, text, measured, unit, passed))
    # Whatever the thresholds say, a test where every event failed has not passed.
    errors = result.rate("errors")
    if errors is not None and errors >= 1.0 and not any(t.metric == "errors" and not t.passed for t in out):
        out.append(ThresholdResult("errors", "rate<1 (every event failed)", errors, "", False))
    return out


def _aggregate(trend: Trend, threshold: Any) -> float | None:
    if threshold.aggregate == "count":
        return float(trend.count)
    if threshold.aggregate == "p":
        return trend.percentile(threshold.percentile)
    if threshold.aggregate == "avg":
        return trend.mean
    if threshold.aggregate == "med":
        return trend.percentile(50)
    if threshold.aggregate == "min":
        return trend.min
    return trend.max


Progress = Callable[[int, int], None]  # (responses so far, events planned)


def run_setup(
    setup: TestSetup,
    *,
    virtual_time: bool = False,
    provider: str = "sim",
    base_url: str | None = None,
    latency_scale: float = 1.0,
    progress: Progress | None = None,
    dead_letter: str | None = None,
    rate_limits: bool = True,
    drain_limit: float = DRAIN_LIMIT,
    catalog: Any = None,
) -> TestResult:
    """Run one flow's load test to the end (async work drained) and check its thresholds.

    `rate_limits=False` lifts the models' rpm/tpm limits (the flow's or the catalog's), to
    measure what the flow and flowgen can do rather than what a provider account allows.
    `catalog` resolves the flow's model aliases (default: the packaged catalog).
    """
    from copilot.run.clock import run_virtual

    with tempfile.TemporaryDirectory(prefix="flowgen-test-") as scratch:
        # Synthetic failures must not land in the flow's real dead-letter file.
        letters = Path(dead_letter) if dead_letter else Path(scratch) / "dead-letter.jsonl"
        coro = _run(
            setup, provider, base_url, latency_scale, progress, letters, rate_limits, drain_limit, catalog
        )
        outcome = run_virtual(coro) if virtual_time else asyncio.run(coro)
    recorder, elapsed, injected, calls = outcome
    result = TestResult(
        setup=setup,
        recorder=recorder,
        wall_time=elapsed,
        virtual_time=virtual_time,
        injected=injected,
        model_calls=calls,
    )
    result.thresholds = check_thresholds(result)
    if setup.default_note is not None:
        result.notes.append(setup.default_note)
    from copilot.run.chaos import unmatched

    for fault in unmatched(setup.faults, setup.loaded.flow):
        result.notes.append(f"the fault {fault.describe()} matches no call of {setup.loaded.flow.name}")
    if recorder.unanswered or recorder.unfinished:
        from copilot.flow.units import format_duration

        result.notes.append(
            f"{recorder.unanswered} event(s) had no response and {recorder.unfinished} had async work "
            f"still running {format_duration(drain_limit)} after the last arrival: cancelled. A call "
            "without a timeout waits as long as its provider does (FG101)"
        )
    return result


async def _run(
    setup: TestSetup,
    provider_name: str,
    base_url: str | None,
    latency_scale: float,
    progress: Progress | None,
    dead_letters: Path,
    rate_limits: bool = True,
    drain_limit: float = DRAIN_LIMIT,
    catalog: Any = None,
) -> tuple[Recorder, float, Counter[str], int]:
    from copilot.run.chaos import ChaosHttpClient, ChaosProvider, Injector, begin_event, http_step_urls
    from copilot.run.clock import LoopClock
    from copilot.run.engine import Engine
    from copilot.run.load import arrivals
    from copilot.run.providers.sim import SimHttpClient, SimProvider
    from copilot.run.rag import SourceError
    from copilot.run.resilience.idempotency import MemoryIdempotencyStore

    loaded = setup.loaded
    flow = loaded.flow
    seed = setup.seed
    if provider_name == "sim":
        inner: Any = SimProvider(seed, latency_scale=latency_scale)
    elif provider_name == "openai":
        from copilot.run.providers.openai import OpenAIProvider

        inner = OpenAIProvider(base_url=base_url)
    else:
        raise FlowgenError(f"--provider must be sim or openai, not {provider_name!r}")
    injector = Injector(setup.faults, seed)
    # A load test never sends real HTTP requests: nobody gets paged 300 times.
    http = ChaosHttpClient(SimHttpClient(seed, latency_scale=latency_scale), injector, http_step_urls(flow))
    clock = LoopClock()
    try:
        engine = Engine(
            flow,
            provider=ChaosProvider(inner, injector),
            http=http,
            base_dir=Path(loaded.path).resolve().parent,
            clock=clock,
            # Every test event has keys of its own: the store fills up and evicts in batches.
            idempotency=MemoryIdempotencyStore(clock, max_entries=IDEMPOTENCY_ENTRIES),
            seed=seed,
            dead_letter_path=dead_letters,
            rate_limits=rate_limits,
            catalog=catalog,
        )
    except SourceError as exc:
        position = loaded.doc.position(exc.loc) if exc.loc else None
        raise FlowgenError(exc.message, path=loaded.path, position=position) from None
    except FlowgenError as exc:
        raise (exc.located(loaded.path) if exc.path is None else exc) from None

    sla = flow.latency_sla
    window = max(setup.planned_duration / SERIES_POINTS, 0.05)
    recorder = Recorder(flow, sla, window)
    factory = EventFactory(flow.trigger, seed, where=loaded.path, locate=loaded.doc.position)
    concurrency = flow.trigger.concurrency
    slots = asyncio.Semaphore(concurrency) if concurrency else None
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()
    total = setup.planned_events
    sim_http = http.inner

    async def one(index: int, due: float) -> None:
        begin_event(index)
        event = factory.event(index)
        held = False
        try:
            if slots is not None:
                await slots.acquire()
                held = True
            result = await engine.handle(event)
        except asyncio.CancelledError:
            recorder.abandoned(None)
            raise
        finally:
            if held:
                slots.release()  # type: ignore[union-attr]
        now = loop.time()
        recorder.response(result, now - due, due - start, now - start)
        if progress is not None:
            progress(recorder.responses, total)
        try:
            await result.wait_done()
        except asyncio.CancelledError:
            recorder.abandoned(result)
            raise
        recorder.done(result)
        # SimHttpClient keeps every request it was sent (for `run`'s tests); a load test
        # must not, or memory would grow with the number of events.
        if hasattr(sim_http, "requests"):
            sim_http.requests.clear()

    start = loop.time()
    try:
        for index, offset in enumerate(arrivals(setup.shape)):
            due = start + offset
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            task = loop.create_task(one(index, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        # A call without a timeout hangs as long as its provider does (FG101): past the
        # drain limit, what still runs is cancelled and reported instead of waited for.
        if tasks:
            await asyncio.wait(list(tasks), timeout=drain_limit)
        if tasks:
            await _stop(tasks, engine)
        else:
            await engine.aclose()
    except BaseException:
        # Interrupted (Ctrl-C) or a bug: stop every event now instead of draining them.
        await _stop(tasks, engine)
        raise
    finally:
        close = getattr(inner, "aclose", None)
        if close is not None:
            await close()
    last = recorder.last_response
    elapsed = (last if last is not None else loop.time() - start) or 0.0
    return recorder, elapsed, injector.injected, getattr(inner, "calls", 0)


async def _stop(tasks: set[asyncio.Task[None]], engine: Any) -> None:
    """Cancel the test's event tasks and the engine's step tasks, and wait until they are gone.

    Only what the test started: other tasks of the loop (a provider's, telemetry's) are
    left to their owners. The engine writes the dead letters of the stopped events first.
    """
    events = list(tasks)
    for task in events:
        task.cancel()
    await engine.cancel()
    await asyncio.gather(*events, return_exceptions=True)


def run_tests(
    paths: list[str],
    *,
    compare: bool = False,
    events: int | None = None,
    rate: float | None = None,
    duration: float | None = None,
    seed: int = 0,
    chaos: list[str] | None = None,
    flow_chaos: bool = True,
    virtual_time: bool = False,
    provider: str = "sim",
    base_url: str | None = None,
    latency_scale: float = 1.0,
    progress_factory: Callable[[str, int], Progress | None] | None = None,
    dead_letter: str | None = None,
    rate_limits: bool = True,
    drain_limit: float = DRAIN_LIMIT,
) -> list[TestResult]:
    """Test one flow, or (`compare`) two flows under the first one's load, chaos and thresholds."""
    if compare and len(paths) != 2:
        raise FlowgenError(f"--compare takes exactly two flows, got {len(paths)}")
    if not compare and len(paths) != 1:
        raise FlowgenError("give one flow, or two with --compare to run them side by side")
    options = dict(events=events, rate=rate, duration=duration, seed=seed, chaos=chaos, flow_chaos=flow_chaos)
    first = prepare(paths[0], **options)  # type: ignore[arg-type]
    setups = [first]
    if compare:
        setups.append(prepare(paths[1], tests_from=first.loaded, **options))  # type: ignore[arg-type]
    results = []
    for setup in setups:
        progress = (
            progress_factory(setup.loaded.flow.name, setup.planned_events) if progress_factory else None
        )
        results.append(
            run_setup(
                setup,
                virtual_time=virtual_time,
                provider=provider,
                base_url=base_url,
                latency_scale=latency_scale,
                progress=progress,
                dead_letter=dead_letter,
                rate_limits=rate_limits,
                drain_limit=drain_limit,
            )
        )
    return results


def exit_code(results: list[TestResult]) -> int:
    """0 when every threshold of every flow passed, 1 otherwise."""
    return 0 if all(r.passed for r in results) else 1
