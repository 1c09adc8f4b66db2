"""`flowgen draft` end to end (offline): where it writes, what it refuses, what it explains."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from copilot.cli import app
from copilot.flow.load import load_flow
from copilot.flow.sources import pin_for

BRIEF = (
    "When a support ticket arrives by webhook, classify it, answer FAQ tickets from our docs "
    "within 1.5 seconds and page on-call for urgent ones."
)


def invoke(*args: str):
    return CliRunner().invoke(app, ["draft", *args])


def test_default_out_is_the_flow_name_in_the_current_folder(tmp_path):
    result = invoke(BRIEF)
    assert result.exit_code == 0, result.output
    written = tmp_path / "support-triage.flow.yaml"
    assert written.exists() and "wrote      support-triage.flow.yaml" in result.stdout
    # a second run refuses to overwrite, and says how to go on
    again = invoke(BRIEF)
    assert again.exit_code == 2
    assert "already exists; pass --force" in again.stderr


def test_explicit_out_that_exists_is_refused_before_drafting(tmp_path):
    target = tmp_path / "flow.yaml"
    target.write_text("keep me\n")
    result = invoke(BRIEF, "--out", str(target))
    assert result.exit_code == 2 and target.read_text() == "keep me\n"
    forced = invoke(BRIEF, "--out", str(target), "--force")
    assert forced.exit_code == 0 and target.read_text().startswith("# yaml-language-server")


def test_out_dash_prints_yaml_and_sends_the_summary_to_stderr(tmp_path):
    result = invoke(BRIEF, "--out", "-", "--format", "json")
    assert result.exit_code == 0
    assert result.stdout.startswith("# yaml-language-server")
    summary = json.loads(result.stderr)
    assert summary["written"] is True and summary["out"] == "-"
    assert list(tmp_path.iterdir()) == []


def test_json_summary_shape(tmp_path):
    result = invoke(BRIEF, "--out", "f.yaml", "--format", "json")
    data = json.loads(result.stdout)
    assert data["provider"] == "offline" and data["exit_code"] == 0
    assert data["flow"] == {"name": "support-triage", "trigger": "webhook"}
    assert {s["id"] for s in data["steps"]} >= {"classify", "check_classify", "docs", "answer", "page_oncall"}
    classify = next(s for s in data["steps"] if s["id"] == "classify")
    assert classify["hot_path"] and classify["fallback"] and classify["timeout_ms"] > 0
    assert data["hot_path"]["sla_ms"] == 1500 and data["hot_path"]["fits"] is True
    assert data["cost"]["fits"] is True and data["lint"]["error"] == 0


def test_event_sample_fields_reach_the_templates(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "ticket_id": "T-9",
                "title": "Card declined",
                "description": "My card was declined twice",
                "customer_email": "x@y.z",
            }
        )
    )
    result = invoke(BRIEF, "--event", str(event), "--out", "f.yaml")
    assert result.exit_code == 0, result.output
    flow = load_flow(tmp_path / "f.yaml").flow
    classify = flow.step("classify")
    assert "event.title" in classify.prompt.user and "event.description" in classify.prompt.user
    assert flow.trigger.idempotency_key == "{{ event.ticket_id }}"
    assert classify.idempotency_key == "{{ event.ticket_id }}:classify"
    assert flow.observability.redact == ["event.customer_email"]
    assert flow.trigger.example["ticket_id"] == "T-9"


def test_pin_is_computed_when_the_documents_exist(tmp_path):
    docs = tmp_path / "docs" / "faq.md"
    docs.parent.mkdir()
    docs.write_text("# Reset your password\nUse the link.\n")
    assert invoke(BRIEF, "--out", "f.yaml").exit_code == 0
    text = (tmp_path / "f.yaml").read_text()
    source = load_flow(tmp_path / "f.yaml").flow.step("docs").sources[0]
    assert source.pin == pin_for(source.path, tmp_path)
    assert "1 file matched when drafted" in text


def test_a_pin_of_no_documents_says_how_to_pin_them(tmp_path):
    assert invoke(BRIEF, "--out", "f.yaml").exit_code == 0
    text = (tmp_path / "f.yaml").read_text()
    assert "pins nothing yet" in text and "flowgen pin" in text
    assert "# Assumed: documents under docs/**/*.md" in text


def test_written_file_explains_its_choices(tmp_path):
    assert (
        invoke(
            BRIEF, "--out", "f.yaml", "--sla", "2s", "--budget", "0.01", "--cost-tier", "economy"
        ).exit_code
        == 0
    )
    text = (tmp_path / "f.yaml").read_text()
    assert "latency_p95: 2s  # from --sla" in text
    assert "cost_tier: economy  # from --cost-tier" in text
    assert "fast tier, allowed by cost tier economy" in text
    assert "the model's p95" in text and "of the 2s SLA" in text
    assert "off the hot path: the response never waits for it" in text
    assert "another provider" in text


def test_unmapped_phrases_are_listed(tmp_path):
    result = invoke(BRIEF + " Our mascot is a llama named Gerald.", "--out", "f.yaml")
    assert "not understood 'Our mascot is a llama named Gerald'" in result.stdout
    assert (
        "# Not understood (check by hand): 'Our mascot is a llama named Gerald'"
        in (tmp_path / "f.yaml").read_text()
    )


def test_fallback_model_option_is_used_on_the_hot_path(tmp_path):
    assert invoke(BRIEF, "--out", "f.yaml", "--fallback-model", "anthropic/claude-haiku-4-5").exit_code == 0
    flow = load_flow(tmp_path / "f.yaml").flow
    backup = flow.step("classify").fallback[0]
    assert flow.models[backup].use == "anthropic/claude-haiku-4-5-20251001"


def test_bad_event_file_is_one_line(tmp_path):
    event = tmp_path / "e.json"
    event.write_text("{not json")
    result = invoke(BRIEF, "--event", str(event))
    assert result.exit_code == 2 and "e.json:1:2: --event: not JSON" in result.stderr
    assert list(p.name for p in tmp_path.iterdir()) == ["e.json"]


def test_offline_draft_is_deterministic(tmp_path):
    invoke(BRIEF, "--out", "a.yaml")
    invoke(BRIEF, "--out", "b.yaml")
    assert (tmp_path / "a.yaml").read_text() == (tmp_path / "b.yaml").read_text()
