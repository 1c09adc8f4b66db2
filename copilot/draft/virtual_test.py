"""Measuring a draft: its own `tests:` block run on the sim provider in virtual time.

`own_test` runs the flow's load test and chaos (the machinery of `flowgen test
--virtual-time`, `copilot.run.loadtest`, reused as is) for several seeds on a test copy
of the flow, and returns an `OwnTest`: every seed's `SeedRun`, the worst seed as the
verdict, and the thresholds that failed. A retrieve step whose documents are not there
yet is stood in by its `on_empty` value in the test copy only, which the result notes.
Hardening a failing flow is `copilot.draft.hardening`; the loop of both is
`copilot.draft.selftest`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.catalog import Catalog
from copilot.errors import FlowgenError
from copilot.jsonview import json_view

DEFAULT_SEEDS = 2  # two seeds: enough that a pass is not luck, cheap enough for every draft


# ---------------------------------------------------------------------------- the own test


@dataclass
class SeedRun:
    """What one seed of the flow's own test measured."""

    seed: int
    p95_ms: float | None
    within_sla: float | None  # any non-error response within the SLA (full or on_deadline)
    full_within_sla: float | None  # the full answer within the SLA
    error_rate: float | None
    deadline_answers: float | None
    cost_avg: float | None  # USD per event
    thresholds: list[dict[str, Any]]  # metric, threshold, measured, unit, passed
    events: int

    @property
    def passed(self) -> bool:
        return all(t["passed"] for t in self.thresholds)

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [t for t in self.thresholds if not t["passed"]]

    def to_dict(self) -> dict[str, Any]:
        return json_view(
            self,
            "seed events p95_ms within_sla full_answers_within_sla error_rate deadline_answers"
            " cost_per_event_avg thresholds passed",
            full_answers_within_sla=self.full_within_sla,
            cost_per_event_avg=self.cost_avg,
        )


def _worst_seeds(figure: str) -> Any:
    """A property of `OwnTest`: the worst seed's `figure` (None when no seed ran)."""

    def of_worst(own: OwnTest) -> Any:
        worst = own.worst
        return getattr(worst, figure) if worst else None

    return property(of_worst, doc=f"The worst seed's `{figure}`.")


@dataclass
class OwnTest:
    """The flow's own `tests:` over several seeds; the worst seed is the verdict."""

    sla_ms: float | None
    runs: list[SeedRun] = field(default_factory=list)
    error: str | None = None  # the test could not run (the flow's tests block is unusable)
    notes: list[str] = field(default_factory=list)

    @property
    def worst(self) -> SeedRun | None:
        """A failing seed before a passing one; then the highest p95."""
        if not self.runs:
            return None
        return max(self.runs, key=lambda r: (not r.passed, r.p95_ms or 0.0))

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.runs) and all(r.passed for r in self.runs)

    # The worst seed's figures, for callers that want one number each.
    p95_ms = _worst_seeds("p95_ms")
    within_sla = _worst_seeds("within_sla")
    full_within_sla = _worst_seeds("full_within_sla")
    error_rate = _worst_seeds("error_rate")
    cost_avg = _worst_seeds("cost_avg")

    @property
    def thresholds(self) -> list[dict[str, Any]]:
        return self.worst.thresholds if self.worst else []

    def summary(self) -> str:
        """One line, e.g. ``own test: p95 1,310 ms vs 1,500 ms, 99.7% within SLA: pass``."""
        if self.error is not None:
            return f"own test: could not run: {self.error}"
        worst = self.worst
        if worst is None:
            return "own test: no run"
        parts = [f"p95 {ms_text(worst.p95_ms)}" + (f" vs {ms_text(self.sla_ms)}" if self.sla_ms else "")]
        if worst.within_sla is not None:
            parts.append(f"{_pct(worst.within_sla)} within SLA")
        if worst.full_within_sla is not None and worst.full_within_sla != worst.within_sla:
            parts.append(f"{_pct(worst.full_within_sla)} full answers")
        if worst.error_rate:
            parts.append(f"{_pct(worst.error_rate)} errors")
        seeds = f" (worst of {len(self.runs)} seeds)" if len(self.runs) > 1 else ""
        if self.passed:
            verdict = "pass"
        else:
            verdict = "FAIL (" + ", ".join(f"{t['metric']} {t['threshold']}" for t in worst.failed) + ")"
        return f"own test: {', '.join(parts)}{seeds}: {verdict}"

    def to_dict(self) -> dict[str, Any]:
        worst = self.worst
        return {
            "passed": self.passed,
            "summary": self.summary(),
            "error": self.error,
            "sla_ms": self.sla_ms,
            "seeds": [r.seed for r in self.runs],
            "worst": worst.to_dict() if worst else None,
            "runs": [r.to_dict() for r in self.runs],
            "notes": list(self.notes),
        }


def ms_text(ms: float | None) -> str:
    """Milliseconds as the summary writes them: `1,234 ms`, or `-` when unmeasured."""
    return "-" if ms is None else f"{ms:,.0f} ms"


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def own_test(
    text_or_flow: str | dict[str, Any],
    catalog: Catalog | None = None,
    *,
    seed: int = 0,
    seeds: int = DEFAULT_SEEDS,
    base_dir: str | Path | None = None,
    stop_at_failure: bool = True,
) -> OwnTest:
    """Run the flow's own `tests:` on the sim provider in virtual time, seeds `seed`… `seed+seeds-1`.

    `text_or_flow` is the flow as YAML text or as plain data (what the drafter produces).
    `base_dir` is where the flow will live: retrieve sources are resolved from there. With
    `stop_at_failure`, the seeds after a failing one are not run (the verdict is known).
    """
    from copilot.flow.load import load_flow_text
    from copilot.run.loadtest import TestOptions, prepare_loaded, run_setup

    base = Path(base_dir) if base_dir is not None else Path.cwd()
    data = text_or_flow if isinstance(text_or_flow, dict) else None
    result = OwnTest(sla_ms=None)
    try:
        if data is None:
            from copilot.flow.load import parse_yaml

            data = parse_yaml(str(text_or_flow), "<own test>").data
        data, notes = _test_copy(data, base)
        result.notes.extend(notes)
        text = _with_tests(data)
        loaded = load_flow_text(text, str(base / "own-test.flow.yaml"))
        flow = loaded.flow
        sla = flow.latency_sla
        result.sla_ms = None if sla is None else round(sla * 1000, 3)
        setup = prepare_loaded(loaded, TestOptions(seed=seed, virtual_time=True))
        for offset in range(max(1, seeds)):
            run = run_setup(setup.with_seed(seed + offset), catalog=catalog)
            result.runs.append(_seed_run(run))
            if stop_at_failure and not result.runs[-1].passed:
                break
    except FlowgenError as exc:
        result.error = exc.message if hasattr(exc, "message") else str(exc)
    return result


def _seed_run(run: Any) -> SeedRun:
    rec = run.recorder
    p95 = rec.latency.percentile(95)
    return SeedRun(
        seed=run.setup.seed,
        p95_ms=None if p95 is None else round(p95 * 1000, 3),
        within_sla=run.rate("sla_attainment"),
        full_within_sla=run.rate("full_answers"),
        error_rate=run.rate("errors"),
        deadline_answers=run.rate("deadline_answers"),
        cost_avg=rec.total_cost / rec.events if rec.events else None,
        thresholds=[t.to_dict() for t in run.thresholds],
        events=rec.events,
    )


def _with_tests(data: dict[str, Any]) -> str:
    """The flow as YAML; when its `tests` block is incomplete, with the lint autofix's
    load, chaos and thresholds (what `finalize` will add before the file is written)."""
    from copilot.draft.checks import yaml_of

    text = yaml_of(data)
    tests = data.get("tests") or {}
    if all(tests.get(key) for key in ("load", "chaos", "thresholds")):
        return text
    from copilot.lint.fixes import fix_text

    fixed, _ = fix_text(text, "<own test>")
    return fixed


def _test_copy(data: dict[str, Any], base: Path) -> tuple[dict[str, Any], list[str]]:
    """The flow as the test runs it: a retrieve step whose documents are not there yet
    answers its `on_empty` value (a `transform` in the copy; the draft keeps its retrieve)."""
    from copilot.flow import sources

    notes = []
    steps = data.get("steps") or []
    missing = []
    for index, step in enumerate(steps):
        if not isinstance(step, dict) or step.get("type") != "retrieve":
            continue
        for source in step.get("sources") or []:
            path = source.get("path") if isinstance(source, dict) else None
            if isinstance(path, str) and not sources.resolve(path, base):
                missing.append(index)
                notes.append(
                    f"step `{step.get('id')}`: `{path}` matches no files under {base}; "
                    "the test stood in its on_empty value (retrieval takes no time in the test)"
                )
                break
    if not missing:
        return data, notes
    data = copy.deepcopy(data)
    for index in missing:
        step = data["steps"][index]
        empty = (step.get("on_empty") or {}).get("value", [])
        stand_in = {k: step[k] for k in ("id", "mode", "needs", "if") if k in step}
        stand_in.update(type="transform", output=empty)
        data["steps"][index] = stand_in
    return data, notes
