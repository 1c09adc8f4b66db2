"""Thresholds of a load test, in k6's syntax (`p(95)<1500ms`): defaults, parsing, checking.

A flow with no `tests.thresholds` is held to its own SLA (p95), its budget (average cost
per event) and errors below 1% (`default_thresholds`). Each threshold is parsed where the
test is prepared, with its position in the flow file, and checked against the recorder's
figures when the run is over; an unmeasurable threshold fails (no data, no pass).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from copilot.errors import FlowgenError, Position, did_you_mean
from copilot.flow.thresholds import latency_threshold
from copilot.run.recorder import COUNTER_METRICS, MAX_LATENCY_US, METRICS, TREND_METRICS, US, Trend


@dataclass
class ThresholdResult:
    metric: str
    threshold: str
    measured: float | None
    unit: str
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT_ERROR_RATE = "rate<0.01"


def default_thresholds(flow: Any) -> tuple[dict[str, list[str]], str]:
    """The thresholds of a flow that sets none: its own SLA (p95), its budget (average cost
    per event) and errors below 1%, with the sentence that says so in the report."""
    spec: dict[str, list[str]] = {}
    used: list[str] = []
    sla = flow.sla
    if sla is not None and sla.latency_p95 is not None:
        # bare milliseconds: k6 reads a latency that way, so the default is valid k6 too
        spec["latency"] = [latency_threshold(sla.latency_p95, k6_compatible=True)]
        used.append("the SLA")
    if sla is not None and sla.max_cost_per_event is not None:
        budget = f"{sla.max_cost_per_event:.12f}".rstrip("0").rstrip(".") or "0"
        spec["cost_per_event"] = [f"avg<{budget}" if sla.max_cost_per_event > 0 else "avg<=0"]
        used.append("the budget")
    spec["errors"] = [DEFAULT_ERROR_RATE]
    used.append("errors < 1%")
    listed = used[0] if len(used) == 1 else ", ".join(used[:-1]) + " and " + used[-1]
    return spec, f"no thresholds in the flow: using {listed}"


def parse_thresholds(
    spec: dict[str, list[str]],
    where: str,
    locate: Callable[[tuple[str | int, ...]], Position | None],
    step_ids: list[str],
    *,
    k6_compatible: bool = False,
) -> list[tuple[str, str, Any, Position | None]]:
    """Each threshold parsed with its position; `k6_compatible` refuses flowgen's extensions
    (a unit on the value, `count` on a trend or rate)."""
    from copilot.flow.thresholds import method_problem, parse_threshold

    out = []
    for metric, texts in spec.items():
        key_at = locate(("tests", "thresholds", metric))
        base, step = metric_parts(metric)
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
                threshold = parse_threshold(text, k6_compatible=k6_compatible)
            except FlowgenError as exc:
                raise FlowgenError(exc.message, path=where, position=at) from None
            problem = method_problem(base, threshold, k6_compatible=k6_compatible)
            if problem is not None:
                raise FlowgenError(problem, path=where, position=at)
            out.append((metric, text, threshold, at))
    return out


def metric_parts(metric: str) -> tuple[str, str | None]:
    """`latency{step:answer}` → ("latency", "answer"); plain names → (name, None)."""
    if metric.endswith("}") and "{" in metric:
        base, _, tag = metric[:-1].partition("{")
        key, _, value = tag.partition(":")
        if key.strip() == "step" and value.strip():
            return base.strip(), value.strip()
        return metric, None
    return metric, None


def check_thresholds(result: Any) -> list[ThresholdResult]:
    """Each threshold against what was measured; an unmeasurable one fails (no data, no pass)."""
    out = []
    rec = result.recorder
    for metric, text, threshold, _ in result.setup.thresholds:
        base, step = metric_parts(metric)
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
                # With an event of unknown cost (a model with no price) there is no cost to check.
                trend, unit = (rec.cost if not rec.unpriced else Trend(US, MAX_LATENCY_US)), "USD"
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
    if threshold.aggregate == "max":
        return trend.max
    return None  # a method the metric has no figure for: unmeasurable, so it fails
