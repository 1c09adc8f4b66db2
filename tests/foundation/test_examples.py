"""The examples: briefs, loading, and the production-readiness checklist's items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copilot.catalog import default_catalog
from copilot.flow.estimate import model_profiles
from copilot.flow.expressions import condition, render_value
from copilot.flow.graph import analyze
from copilot.flow.load import load_flow
from copilot.flow.sources import pin_for
from copilot.flow.units import ENV_REF_RE, is_env_ref

from .conftest import EXAMPLES, EXAMPLES_DIR, HARDENED, ROOT, flowgen

REQUIRED = {
    "support-triage",
    "fraud-scoring",
    "lead-enrichment",
    "content-moderation",
    "incident-summary",
    "naive-support-triage",
}


def test_the_required_examples_exist_each_with_its_brief() -> None:
    assert {p.stem for p in EXAMPLES} >= REQUIRED
    for path in EXAMPLES:
        brief = ROOT / "examples" / "briefs" / f"{path.stem}.md"
        assert brief.is_file(), f"missing brief {brief}"
        assert len(brief.read_text().split()) > 40


@pytest.mark.parametrize("path", HARDENED, ids=lambda p: p.stem)
def test_hardened_examples_meet_the_checklist(path: Path) -> None:
    flow = load_flow(path).flow
    analysis = analyze(flow)
    catalog = default_catalog()
    profiles = model_profiles(flow, catalog)
    assert set(profiles) == set(flow.models), "every alias resolves in the catalog"

    # SLA and budget, met by the estimates
    assert flow.sla.latency_p95 and flow.sla.max_cost_per_event
    assert analysis.critical_path.p95 <= flow.sla.latency_p95
    assert analysis.cost_per_event <= flow.sla.max_cost_per_event
    assert flow.respond.on_deadline is not None

    # trigger: authenticated, idempotent, bounded
    trigger = flow.trigger
    if trigger.type == "webhook":
        assert trigger.auth.scheme != "none" and is_env_ref(trigger.auth.secret)
    assert trigger.idempotency_key and trigger.dedupe_window
    assert trigger.rate_limit and trigger.concurrency
    assert trigger.event_schema and trigger.example

    hot = set(analysis.hot_path)
    for step in flow.steps:
        if step.type in ("model", "retrieve", "http"):
            assert step.timeout is not None, step.id
            if step.id in hot:
                assert step.timeout <= flow.sla.latency_p95, step.id
        if step.retry is not None and step.retry.attempts:
            assert step.retry.attempts <= 10
            assert step.retry.backoff == "exponential" and step.retry.jitter, step.id
            assert step.idempotency_key, f"{step.id} retries without an idempotency key"
        if step.type == "http":
            assert step.idempotency_key, step.id
            assert is_env_ref(step.request.url), step.id
        if step.type == "model":
            aliases = [step.model, *step.fallback] if step.model else step.route.candidates
            primary = profiles[aliases[0]]
            others = [profiles[a] for a in aliases[1:]]
            assert others, f"{step.id} has no fallback"
            assert any(o.provider != primary.provider for o in others), step.id
            assert step.max_tokens, step.id
            used = analysis.graph.dependants[step.id] or step.id in flow.respond.needs
            gated = any(flow.step(d).type == "validate" for d in analysis.graph.dependants[step.id])
            if used:
                assert step.output_schema or gated, f"{step.id}: output used downstream unvalidated"
            if step.id in hot:
                assert primary.tier != "heavy", f"heavy model on the hot path: {step.id}"
                if step.model:
                    assert step.hedge is not None, step.id
            assert "event." not in (step.prompt.system or ""), "event data in a system prompt"
            for alias in aliases:
                spec = flow.models[alias]
                entry = catalog.models.get(spec.use or "")
                if entry is not None and spec.use == f"{entry.provider}/{entry.model}":
                    floating = [m for m in catalog.entries() if m.id == spec.use and m.snapshot]
                    assert not floating, f"{alias}: pin the snapshot of {spec.use}"
        if step.type == "validate":
            assert step.on_fail is not None
        if step.type == "retrieve":
            assert step.freshness and step.freshness <= 30 * 86_400
            assert step.top_k and step.top_k <= 20
            assert step.on_empty is not None
            for source in step.sources:
                assert source.pin == pin_for(source.path, path.parent), f"stale pin for {source.path}"

    assert flow.on_error.dead_letter.path
    obs = flow.observability
    assert obs.tracing.exporter != "none" and obs.metrics.exporter != "none"
    assert {a.metric for a in obs.alerts} >= {"error_rate", "latency_p95", "cost_per_event"}
    assert flow.tests.load and flow.tests.chaos
    assert set(flow.tests.thresholds) >= {"latency", "errors", "cost_per_event"}


@pytest.mark.parametrize("path", HARDENED, ids=lambda p: p.stem)
def test_no_literal_secrets(path: Path) -> None:
    text = path.read_text()
    for marker in ("sk-", "whsec_", "Bearer ey", "pd_live", "xoxb-", "AKIA"):
        assert marker not in text
    for line in text.splitlines():
        if "Bearer" in line or "secret:" in line:
            assert ENV_REF_RE.search(line), line


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_templates_render_on_the_example_event(path: Path) -> None:
    """The respond body, transforms and http bodies render against the example event."""
    flow = load_flow(path).flow
    ctx: dict = {"event": flow.trigger.example or {}, "steps": {}}
    for step in flow.steps:
        if step.type == "transform":
            ctx["steps"][step.id] = {"output": render_value(step.output, ctx)}
        elif step.type == "validate" and step.on_fail and step.on_fail.value is not None:
            value = step.on_fail.value
            for rule in step.rules:
                assert isinstance(condition(rule.expr, {**ctx, "input": value}), bool)
            ctx["steps"][step.id] = {"output": value}
    fraud = path.stem == "fraud-scoring"
    if fraud:
        features = ctx["steps"]["features"]["output"]
        assert features == {
            "amount": 742.5,
            "currency": "EUR",
            "merchant_category": "5732",
            "cross_border": True,
            "ip_mismatch": True,
            "velocity": 6,
        }


def lint_codes(path: Path) -> tuple[int, set[str], int]:
    run = flowgen("lint", "--format", "json", str(path))
    data = json.loads(run.stdout)
    findings = [f for file in data["files"] for f in file["findings"]]
    errors = sum(1 for f in findings if f["severity"] == "error")
    return run.code, {f["code"] for f in findings}, errors


def test_the_naive_draft_trips_at_least_twelve_rules() -> None:
    path = EXAMPLES_DIR / "naive-support-triage.yaml"
    assert flowgen("validate", str(path)).code == 0  # it loads: the problems are readiness, not syntax
    code, codes, errors = lint_codes(path)
    assert code == 1 and errors > 0
    expected = {
        "FG101",  # no timeouts
        "FG104",  # heavy model on the hot path
        "FG201",  # no fallback
        "FG203",  # retries without idempotency key
        "FG207",  # no dead letter
        "FG301",  # no tracing
        "FG401",  # unpinned RAG
        "FG501",  # no rate limit
        "FG701",  # literal secret
        "FG705",  # event in the system prompt
        "FG801",  # no load test
        "FG802",  # no chaos test
    }
    assert expected <= codes
    assert len(codes) >= 12


@pytest.mark.parametrize("path", HARDENED, ids=lambda p: p.stem)
def test_hardened_examples_lint_clean(path: Path) -> None:
    code, codes, errors = lint_codes(path)
    assert errors == 0 and code == 0, codes
