"""What runs measured, per step: read from the files the engine writes, never from the engine.

Two sources, one shape (`Evidence`):

- a trace, `flowgen run --trace FILE` (OpenTelemetry spans as JSON lines): one
  `step ID` span per step and event with `flowgen.step.*` attributes, a `respond` span
  with `flowgen.deadline_hit`, one `invoke_workflow NAME` span per event;
- results, `flowgen test --format json`: per-step aggregates (`steps[]`: runs, statuses,
  latency percentiles, retries, fallbacks, hedges won, cost) and the deadline-answer count.

"The step that made the deadline answer happen": in a trace, for each event answered at
the deadline, the hot-path step still running when the answer went out (the earliest
started, if several). Results hold aggregates only, so there the step is inferred: the
hot-path step that most often failed or was cancelled, else the one with the slowest
measured p99. `Evidence.blame_exact` says which of the two it is.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from copilot.errors import FlowgenError
from copilot.jsonlines import json_objects
from copilot.jsonview import json_view

MAX_EVIDENCE_BYTES = 256 * 1024 * 1024  # a trace of a long load test, not an accident


@dataclass
class StepEvidence:
    """One step as measured: how often it ran and how it went (latencies in milliseconds)."""

    runs: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    errors: int = 0
    retries: int = 0
    fallbacks: int = 0
    hedges: int = 0
    cost_usd: float = 0.0  # over all runs

    def rate(self, count: int) -> float:
        return count / self.runs if self.runs else 0.0

    @property
    def cost_per_run(self) -> float:
        return self.cost_usd / self.runs if self.runs else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "error_rate": round(self.rate(self.errors), 4),
            "retry_rate": round(self.rate(self.retries), 4),
            "fallback_rate": round(self.rate(self.fallbacks), 4),
            "hedge_rate": round(self.rate(self.hedges), 4),
            "cost_usd_per_run": round(self.cost_per_run, 8),
        }


@dataclass
class Evidence:
    """Measured figures of one flow, from a trace or from load-test results."""

    source: str  # "trace" or "results"
    path: str
    flow: str | None  # the flow name the file says it measured
    events: int
    deadline_answers: int
    steps: dict[str, StepEvidence] = field(default_factory=dict)
    blame: dict[str, int] = field(default_factory=dict)  # step -> deadline answers it caused
    blame_exact: bool = True
    p95_ms: float | None = None  # end-to-end, trigger to response

    @property
    def blamed_step(self) -> str | None:
        """The step that most often made the deadline answer happen (None: it never happened)."""
        if not self.blame:
            return None
        return max(self.blame.items(), key=lambda item: (item[1], item[0]))[0]

    def to_dict(self) -> dict[str, Any]:
        return json_view(
            self,
            "source path events deadline_answers p95_ms blamed_step blame blame_exact steps",
            steps={sid: s.to_dict() for sid, s in self.steps.items()},
        )


def percentile(values: list[float], q: float) -> float | None:
    """The `q` quantile (0..1) by the nearest-rank method, as load-test tools report it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return round(ordered[rank - 1], 3)


def _read(path: str | Path, option: str) -> str:
    file = Path(path)
    try:
        if file.stat().st_size > MAX_EVIDENCE_BYTES:
            raise FlowgenError(f"{option} {path}: larger than {MAX_EVIDENCE_BYTES >> 20} MiB")
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FlowgenError(f"{option} {path}: no such file") from None
    except IsADirectoryError:
        raise FlowgenError(f"{option} {path}: is a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowgenError(f"{option} {path}: cannot read: {exc}") from None


# ---------------------------------------------------------------------------- results


def read_results(path: str | Path) -> Evidence:
    """Evidence from `flowgen test --format json` output."""
    text = _read(path, "--results")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FlowgenError(f"--results {path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    return results_evidence(data, path)


def results_evidence(data: Any, path: str | Path = "<test>") -> Evidence:
    """Evidence from the results `flowgen test --format json` writes, already parsed (the
    test's HTML report draws its own graph from them)."""
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = data[0]  # `--compare` writes two results; the first is the flow under test
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise FlowgenError(
            f"--results {path}: not the output of `flowgen test --format json` (no `steps` list)"
        )
    counts = data.get("counts") if isinstance(data.get("counts"), dict) else {}
    evidence = Evidence(
        source="results",
        path=str(path),
        flow=data.get("flow") if isinstance(data.get("flow"), str) else None,
        events=int(data.get("events") or 0),
        deadline_answers=int(counts.get("deadline_answers") or 0),
        blame_exact=False,
        p95_ms=_number((data.get("latency_ms") or {}).get("p95")),
    )
    hot: list[tuple[str, dict[str, Any]]] = []
    for step in data["steps"]:
        if not isinstance(step, dict) or not isinstance(step.get("id"), str):
            continue
        latency = step.get("latency") if isinstance(step.get("latency"), dict) else {}
        statuses = step.get("statuses") if isinstance(step.get("statuses"), dict) else {}
        runs = int(latency.get("count") or 0)
        evidence.steps[step["id"]] = StepEvidence(
            runs=runs,
            p50_ms=_number(latency.get("p50")),
            p95_ms=_number(latency.get("p95")),
            errors=int(statuses.get("failed", 0)),
            retries=int(step.get("retries") or 0),
            fallbacks=int(step.get("fallbacks") or 0),
            hedges=int(step.get("hedges_won") or 0),
            cost_usd=float(step.get("cost_usd") or 0.0),
        )
        if step.get("hot_path"):
            hot.append((step["id"], {**statuses, "p99": _number(latency.get("p99")) or 0.0}))
    if evidence.deadline_answers and hot:
        # Aggregates only: the step that failed or was cut most often, else the slowest tail.
        stuck = {sid: int(s.get("cancelled", 0)) + int(s.get("failed", 0)) for sid, s in hot}
        if any(stuck.values()):
            culprit = max(stuck, key=lambda sid: stuck[sid])
        else:
            culprit = max(hot, key=lambda item: item[1]["p99"])[0]
        evidence.blame = {culprit: evidence.deadline_answers}
    return evidence


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# ---------------------------------------------------------------------------- trace


def _time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def read_trace(path: str | Path) -> Evidence:
    """Evidence from the JSON-lines spans `flowgen run --trace` (and `test --trace`) write."""
    text = _read(path, "--trace")
    spans = json_objects(text, lambda n, exc: f"--trace {path}:{n}:{exc.colno}: not a JSON span: {exc.msg}")
    if not any(isinstance(s.get("attributes"), dict) and "flowgen.step.id" in s["attributes"] for s in spans):
        raise FlowgenError(f"--trace {path}: no step spans (write one with `flowgen run FLOW --trace FILE`)")

    by_trace: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        trace_id = (span.get("context") or {}).get("trace_id", "")
        by_trace[trace_id].append(span)

    latencies: dict[str, list[float]] = defaultdict(list)
    steps: dict[str, StepEvidence] = {}
    evidence = Evidence(source="trace", path=str(path), flow=None, events=0, deadline_answers=0)
    end_to_end: list[float] = []
    for trace_spans in by_trace.values():
        respond_end = None
        deadline_hit = False
        for span in trace_spans:
            attrs = span.get("attributes") or {}
            name = span.get("name", "")
            if name.startswith("invoke_workflow"):
                evidence.events += 1
                evidence.flow = attrs.get("gen_ai.workflow.name", evidence.flow)
                if isinstance(attrs.get("flowgen.latency_ms"), int | float):
                    end_to_end.append(float(attrs["flowgen.latency_ms"]))
            elif name == "respond":
                respond_end = _time(span.get("end_time"))
                deadline_hit = bool(attrs.get("flowgen.deadline_hit"))
        running: list[tuple[float, str]] = []
        for span in trace_spans:
            attrs = span.get("attributes") or {}
            if not str(span.get("name", "")).startswith("step ") or "flowgen.step.id" not in attrs:
                continue
            sid = str(attrs["flowgen.step.id"])
            status = attrs.get("flowgen.step.status")
            if status == "skipped":
                continue
            start, end = _time(span.get("start_time")), _time(span.get("end_time"))
            measured = steps.setdefault(sid, StepEvidence())
            measured.runs += 1
            if start is not None and end is not None:
                latencies[sid].append((end - start) * 1000)
            measured.errors += status == "failed"
            measured.retries += int(attrs.get("flowgen.retries") or 0)
            measured.fallbacks += bool(attrs.get("flowgen.fallback_used"))
            measured.hedges += bool(attrs.get("flowgen.hedge_won"))
            measured.cost_usd += float(attrs.get("flowgen.cost_usd") or 0.0)
            if (
                deadline_hit
                and attrs.get("flowgen.hot_path")
                and respond_end is not None
                and start is not None
                and (end is None or end > respond_end or status == "cancelled")
            ):
                running.append((start, sid))
        if deadline_hit:
            evidence.deadline_answers += 1
            if running:
                culprit = min(running)[1]
                evidence.blame[culprit] = evidence.blame.get(culprit, 0) + 1
    for sid, measured in steps.items():
        measured.p50_ms = percentile(latencies[sid], 0.50)
        measured.p95_ms = percentile(latencies[sid], 0.95)
    evidence.steps = steps
    evidence.p95_ms = percentile(end_to_end, 0.95)
    return evidence
