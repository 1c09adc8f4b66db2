"""The scenario model: what every format draws, decided from the analysed flow."""

from __future__ import annotations

from copilot.graph.model import RESPOND, TRIGGER, approx, money

from .conftest import EXAMPLES, scenario_for


def test_nodes_are_trigger_steps_and_response(triage) -> None:
    keys = [n.key for n in triage.nodes]
    assert keys[0] == TRIGGER and keys[-1] == RESPOND
    assert [n.step_id for n in triage.nodes[1:-1]] == [
        "classify",
        "checked",
        "docs",
        "answer",
        "page_oncall",
        "enrich",
        "crm",
    ]
    kinds = {n.step_id: n.kind for n in triage.nodes if n.step_id}
    assert kinds == {
        "classify": "model",
        "checked": "validate",
        "docs": "retrieve",
        "answer": "model",
        "page_oncall": "http",
        "enrich": "model",
        "crm": "http",
    }


def test_labels_name_model_timeout_and_fallback(triage) -> None:
    classify = triage.node("step_classify").label_lines()
    assert "model fast" in classify
    assert "timeout 900ms · retry ×2" in classify
    assert "fallback lite · hedge 400ms" in classify
    assert "route cheapest-within-deadline: fast, lite, backup" in triage.node("step_answer").label_lines()


def test_hot_path_async_and_conditions(triage) -> None:
    hot = {n.step_id for n in triage.nodes if n.hot and n.step_id}
    assert hot == {"classify", "checked", "docs", "answer"}
    assert {n.step_id for n in triage.nodes if n.is_async} == {"enrich", "crm"}
    edges = {(e.source, e.target): e for e in triage.edges}
    assert edges[("step_checked", "step_docs")].condition == "steps.checked.output.category == 'faq'"
    assert edges[("step_checked", "step_docs")].hot
    assert edges[("step_checked", "step_enrich")].is_async
    assert edges[("step_enrich", "step_crm")].is_async
    assert edges[("step_answer", RESPOND)].hot
    assert not edges[("step_checked", "step_page_oncall")].hot  # a sync side branch


def test_headline_compares_hot_path_p95_with_sla(triage, naive) -> None:
    assert triage.headline == "hot path p95 ≈ 1.35s / SLA 1.5s ✓"
    assert naive.headline.endswith("✗ over")
    assert triage.headline in triage.node(RESPOND).details


def test_findings_land_on_their_nodes(naive) -> None:
    classify = {b.code for b in naive.node("step_classify").badges}
    assert {"FG101", "FG108", "FG201"} <= classify
    assert "FG209" in {b.code for b in naive.node(TRIGGER).badges}
    assert "FG103" in {b.code for b in naive.node(RESPOND).badges}  # the SLA lives on the response
    # every finding is shown exactly once, on a node or for the whole flow
    from copilot.flow.load import load_flow
    from copilot.graph.model import findings_of

    assert len(naive.badges) == len(findings_of(load_flow(EXAMPLES / "naive-support-triage.yaml")))
    badge = naive.node("step_classify").badges[0]
    assert badge.json_path.startswith("$.") and badge.line > 0


def test_budget_rows_follow_the_critical_path(triage) -> None:
    rows = {r.step_id: r for r in triage.budget_rows}
    assert list(rows) == ["classify", "checked", "docs", "answer"]
    assert abs(rows["answer"].cumulative - triage.hot_path_p95) < 1e-9
    assert abs(rows["classify"].share - 0.65 / 1.5) < 1e-9


def test_every_example_flow_builds() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        scenario = scenario_for(path.stem)
        assert scenario.nodes[-1].key == RESPOND, path


def test_formatting() -> None:
    assert approx(0.652) == "650ms"
    assert approx(1.352) == "1.35s"
    assert approx(0.0004) == "<1ms"
    assert money(0.0000268) == "$0.000027"
    assert money(0.0034) == "$0.0034"
