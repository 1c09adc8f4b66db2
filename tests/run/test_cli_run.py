"""`flowgen run` end to end: output, exit codes, bad input as one line, every example flow."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from copilot.cli import app
from copilot.run.command import run_flow

from .conftest import EXAMPLES

runner = CliRunner()
TRIAGE = str(EXAMPLES / "support-triage.yaml")


def test_run_prints_response_then_timeline():
    result = runner.invoke(app, ["run", TRIAGE, "--seed", "0", "--instant"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("response 200")
    assert '"ticket": "T-1001"' in out
    for step in ("classify", "checked", "docs", "answer", "page_oncall", "enrich"):
        assert step in out
    assert "route: cheapest within deadline" in out
    assert "(after response)" in out  # the async enrich step


def test_run_json_and_trace_file(tmp_path):
    trace = tmp_path / "spans.jsonl"
    result = runner.invoke(app, ["run", TRIAGE, "--format", "json", "--trace", str(trace), "--instant"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["response"]["status"] == 200 and data["flow"] == "support-triage"
    assert {s["id"] for s in data["steps"]} == {
        "classify",
        "checked",
        "docs",
        "answer",
        "page_oncall",
        "enrich",
        "crm",
    }
    spans = [json.loads(line) for line in trace.read_text().splitlines()]
    assert any(s["name"] == "invoke_workflow support-triage" for s in spans)
    # The example's redacted field never reaches the trace file.
    assert "a@b.c" not in trace.read_text()


def test_event_from_stdin_and_bad_events_exit_2(tmp_path):
    good = json.dumps({"id": "T-9", "subject": "billing", "body": "Why was I billed twice?"})
    result = runner.invoke(app, ["run", TRIAGE, "--event", "-", "--instant", "-f", "json"], input=good)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["response"]["body"]["ticket"] == "T-9"

    result = runner.invoke(app, ["run", TRIAGE, "--event", "-"], input='{"id": 1,')
    assert result.exit_code == 2
    assert (
        result.stderr.strip().count("\n") == 0
        and "<stdin>:1:" in result.stderr
        and "not JSON" in result.stderr
    )

    missing = tmp_path / "e.json"
    missing.write_text(json.dumps({"id": "x"}))
    result = runner.invoke(app, ["run", TRIAGE, "--event", str(missing)])
    assert result.exit_code == 2 and "event_schema" in result.stderr and "Traceback" not in result.output

    result = runner.invoke(app, ["run", TRIAGE, "--event", str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_pin_mismatch_is_one_positioned_line(tmp_path):
    import shutil

    shutil.copytree(EXAMPLES / "docs", tmp_path / "docs")
    flow = tmp_path / "flow.yaml"
    flow.write_text((EXAMPLES / "support-triage.yaml").read_text())
    (tmp_path / "docs" / "help-centre" / "billing.md").write_text("edited\n")
    result = runner.invoke(app, ["run", str(flow)])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line
    assert line.startswith(f"{flow}:") and "does not match its pin: expected sha256:ed3a" in line


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_flow_runs_on_sim(path):
    outcome = run_flow(str(path), seed=1, latency_scale=0.0, dead_letter=None)
    result = outcome.result
    assert result.response_status < 500, result.error
    assert result.done
    ran = [r for r in result.steps.values() if r.status not in ("skipped",)]
    assert ran, "no step ran"
    assert all(r.status in ("ok", "defaulted") for r in ran), [(r.step_id, r.status, r.error) for r in ran]
