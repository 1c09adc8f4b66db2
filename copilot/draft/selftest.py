"""The draft's own test: run the flow's `tests:` before it is written, harden it until it passes.

A drafted flow carries a load test, chaos and thresholds (its `tests:` block). Estimates from the
catalog say whether the hot path *should* fit the SLA; the own test says whether it does
under the flow's own chaos, on the sim provider in virtual time. This module holds the
closed loop (`close_loop`): it alternates the own test (`copilot.draft.virtual_test`,
`own_test`) and hardening (`copilot.draft.hardening`, `harden`) for a bounded number of
rounds, and says why a flow that cannot pass does not (the reason names the failing
threshold and the chaos that hurts). A flow that cannot pass is still returned: the
caller decides what that means. The names of both halves are re-exported here, so
callers keep importing the own test from one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.catalog import Catalog
from copilot.draft.hardening import (
    HEDGE_Z,
    MIN_TIMEOUT_OVER_HEDGE,
    Z95,
    Hardening,
    HardeningContext,
    Loc,
    allowed_models,
    estimated_cost,
    harden,
    harden_located,
    hardening_context,
    ms_floor,
)
from copilot.draft.virtual_test import DEFAULT_SEEDS, OwnTest, SeedRun, ms_text, own_test
from copilot.errors import FlowgenError
from copilot.flow.units import format_duration

__all__ = [
    "DEFAULT_ROUNDS",
    "DEFAULT_SEEDS",
    "HEDGE_Z",
    "MIN_TIMEOUT_OVER_HEDGE",
    "Z95",
    "Hardening",
    "Loc",
    "LoopResult",
    "OwnTest",
    "SeedRun",
    "close_loop",
    "estimated_cost",
    "harden",
    "harden_located",
    "own_test",
]


DEFAULT_ROUNDS = 3


# ---------------------------------------------------------------------------- the loop


@dataclass
class LoopResult:
    """The flow after the closed loop, every round's test, what changed, and the verdict."""

    data: dict[str, Any]
    rounds: list[OwnTest]
    changes: list[str]
    passed: bool
    reason: str | None = None  # why it does not pass, when it does not
    notes: dict[Loc, str] = field(default_factory=dict)  # comments beside the changed nodes

    @property
    def final(self) -> OwnTest:
        return self.rounds[-1]

    def summary(self) -> str:
        line = self.final.summary()
        if len(self.rounds) > 1:
            line += f" after {len(self.rounds) - 1} round(s) of hardening"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "summary": self.summary(),
            "reason": self.reason,
            "changes": list(self.changes),
            "final": self.final.to_dict(),
            "rounds": [r.to_dict() for r in self.rounds],
        }


def close_loop(
    data: dict[str, Any],
    request: Any = None,
    *,
    catalog: Catalog | None = None,
    base_dir: str | Path | None = None,
    rounds: int = DEFAULT_ROUNDS,
    seeds: int = DEFAULT_SEEDS,
    seed: int = 0,
) -> LoopResult:
    """Test, harden, test again, at most `rounds` hardenings; the flow as it ends up.

    `request` is the `DraftRequest` (its catalog and budget are used); `catalog` overrides it.
    """
    catalog = catalog or getattr(request, "catalog", None)
    if catalog is None:
        from copilot.catalog import default_catalog

        catalog = default_catalog()
    budget = getattr(request, "budget", None)
    results = [own_test(data, catalog, seed=seed, seeds=seeds, base_dir=base_dir)]
    changes: list[str] = []
    notes: dict[Loc, str] = {}
    current = data
    for _ in range(rounds):
        last = results[-1]
        if last.passed or last.error is not None:
            break
        try:
            hardened, made = harden_located(current, last, catalog, budget=budget)
        except FlowgenError:
            break
        applied = [c for c in made if c.applied]
        changes.extend(c.text for c in made)
        for change in applied:
            notes[change.loc] = "own test: " + change.text.split(": ", 1)[-1]
        if not applied:
            break
        current = hardened
        results.append(own_test(current, catalog, seed=seed, seeds=seeds, base_dir=base_dir))
    final = results[-1]
    passed = final.passed
    reason = None if passed else _reason(current, final, catalog, len(results) - 1)
    return LoopResult(current, results, changes, passed, reason, notes)


def _reason(data: dict[str, Any], result: OwnTest, catalog: Catalog, rounds: int) -> str:
    """Why the flow does not pass, in one sentence with the numbers behind it."""
    if result.error is not None:
        return f"the own test could not run: {result.error}"
    worst = result.worst
    failed = worst.failed if worst else []
    parts = []
    for t in failed:
        if t["metric"] == "latency" and result.sla_ms and worst is not None:
            parts.insert(0, f"p95 {ms_text(worst.p95_ms)} vs SLA {ms_text(result.sla_ms)}")
        else:
            parts.append(f"{t['metric']} {_measured(t)} vs {t['threshold']}")
    text = f"{', '.join(parts) or 'no threshold failed'} after {rounds} round(s) of hardening"
    try:
        ctx = hardening_context(data, catalog)
    except (ValueError, FlowgenError):  # the reason must not fail the draft
        return text
    allowed = allowed_models(ctx)
    cp = ctx.analysis.critical_path
    if allowed and cp is not None and ctx.sla is not None:
        fastest = min(allowed, key=lambda m: m.p95)
        calls = [s for s in cp.steps if ctx.analysis.estimates[s].model]
        if calls:
            need = len(calls) * fastest.p50
            text += (
                f": the hot path calls a model {len(calls)} time(s) in a row ({' → '.join(calls)}) and the "
                f"fastest model the cost tier allows, {fastest.id}, has p50 {format_duration(fastest.p50)} / "
                f"p95 {format_duration(fastest.p95)}"
            )
            if need > ctx.sla or fastest.p95 > ctx.sla:
                text += f", so even a typical event needs about {format_duration(ms_floor(need))} "
                text += f"against the {format_duration(ctx.sla)} SLA"
            slowed = _chaos_latency(ctx)
            if slowed:
                text += f"; the test's chaos adds {slowed}"
            text += "; raise the SLA, allow a faster tier, or move work off the hot path"
    if any(t["metric"] == "cost_per_event" for t in failed):
        text += (
            "; the cost threshold needs cheaper models or fewer calls (hardening never adds cost over budget)"
        )
    return text


def _chaos_latency(ctx: HardeningContext) -> str:
    """The test's latency faults, e.g. ``latency +300ms±200ms on model:fast (50% of calls)``."""
    faults = ctx.flow.tests.chaos if ctx.flow.tests is not None else []
    out = []
    for fault in faults:
        if fault.type in ("latency", "slow_first_token") and fault.latency:
            spread = f"±{format_duration(fault.jitter)}" if fault.jitter else ""
            share = "" if fault.toxicity >= 1 else f" ({fault.toxicity:.0%} of calls)"
            out.append(f"latency +{format_duration(fault.latency)}{spread} on {fault.target}{share}")
    return ", ".join(out)


def _measured(threshold: dict[str, Any]) -> str:
    value = threshold.get("measured")
    if value is None:
        return "no data"
    unit = threshold.get("unit") or ""
    if unit == "ms":
        return ms_text(value)
    if unit == "USD":
        return f"${value:.6f}"
    return f"{value:.4g}"
