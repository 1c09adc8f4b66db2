"""Evidence from runs: traces and load-test results read as files, overlaid on the nodes."""

from __future__ import annotations

import json

import pytest

from copilot.errors import FlowgenError
from copilot.graph.evidence import read_results, read_trace

from .conftest import DATA, scenario_for


def test_trace_gives_per_step_figures_and_the_deadline_culprit() -> None:
    evidence = read_trace(DATA / "trace-deadline.jsonl")
    assert evidence.flow == "support-triage"
    assert evidence.events == 2 and evidence.deadline_answers == 1
    classify = evidence.steps["classify"]
    assert classify.runs == 2
    assert classify.p50_ms == 300.0 and classify.p95_ms == 900.0
    assert classify.rate(classify.retries) == 0.5
    assert classify.rate(classify.fallbacks) == 0.5 and classify.rate(classify.hedges) == 0.5
    assert "docs" not in evidence.steps  # skipped: not a run
    answer = evidence.steps["answer"]
    assert answer.rate(answer.errors) == 0.5
    # event 0x02 answered at the deadline (2.5s) while `answer` was still running
    assert evidence.blame == {"answer": 1} and evidence.blame_exact
    assert evidence.blamed_step == "answer"


def test_results_give_rates_and_an_inferred_culprit() -> None:
    evidence = read_results(DATA / "results-small.json")
    assert evidence.events == 20 and evidence.deadline_answers == 2
    answer = evidence.steps["answer"]
    assert answer.runs == 19 and answer.p95_ms == 800.0
    assert answer.errors == 1
    assert evidence.blamed_step == "answer" and not evidence.blame_exact  # it failed; classify never did
    assert evidence.steps["enrich"].cost_per_run == pytest.approx(0.0002)


def test_overlay_marks_the_blamed_node() -> None:
    scenario = scenario_for("support-triage", read_trace(DATA / "trace-deadline.jsonl"))
    answer = scenario.node("step_answer")
    assert answer.blamed == 1
    lines = answer.label_lines()
    assert any(line.startswith("measured p50 500ms · p95 1.2s (2 runs)") for line in lines)
    assert "caused 1 deadline answer" in lines
    assert any("errors 50%" in line for line in lines)
    respond = scenario.node("respond").details
    assert "measured p95 1.5s · 1/2 deadline answers" in respond


@pytest.mark.parametrize(
    ("reader", "text", "message"),
    [
        (read_results, "{not json", "not JSON"),
        (read_results, '{"flow": "x"}', "no `steps` list"),
        (read_trace, "{}\n", "no step spans"),
        (read_trace, '{"name": "step x"\n', "not a JSON span"),
    ],
)
def test_bad_evidence_files_are_one_clear_error(tmp_path, reader, text, message) -> None:
    path = tmp_path / "evidence"
    path.write_text(text)
    with pytest.raises(FlowgenError, match=message):
        reader(path)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(FlowgenError, match="no such file"):
        read_results(tmp_path / "nope.json")


def test_results_of_the_real_engine_shape_are_read(tmp_path) -> None:
    # The keys `flowgen test --format json` writes (copilot/run/report.py), one step.
    data = {
        "version": 1,
        "flow": "support-triage",
        "events": 3,
        "latency_ms": {"p95": 900.0},
        "counts": {"deadline_answers": 0},
        "steps": [
            {
                "id": "classify",
                "hot_path": True,
                "statuses": {"ok": 3},
                "latency": {"count": 3, "p50": 400.0, "p95": 700.0, "p99": 700.0},
                "retries": 0,
                "fallbacks": 1,
                "hedges_won": 1,
                "cost_usd": 0.00003,
            }
        ],
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    evidence = read_results(path)
    assert evidence.blame == {} and evidence.steps["classify"].rate(1) == pytest.approx(1 / 3)
