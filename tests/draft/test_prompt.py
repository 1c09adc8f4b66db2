"""The drafting prompt: templates rendered from the schema, the checklist and the catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copilot.checklist import load_checklist
from copilot.cli import app
from copilot.draft.event import shape_from
from copilot.draft.prompt import draft_messages, estimate_tokens, render_prompt_text, repair_message
from copilot.draft.request import DraftRequest, make_request

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = ROOT / "examples/briefs/support-triage.md"
TOKEN_GOAL = 6000


def default_request() -> DraftRequest:
    return make_request(f"@{SUPPORT}")


def test_system_prompt_carries_every_checklist_guidance_verbatim():
    system = draft_messages(default_request())[0]["content"]
    for item in load_checklist():
        assert item.guidance in system


def test_system_prompt_outline_is_generated_from_the_schema():
    system = draft_messages(default_request())[0]["content"]
    # fields that exist only in the models, never typed into the template
    assert "ModelStep — Calls a language model" in system
    assert "hedge: Hedge" in system and "on_deadline: DeadlineAnswer" in system
    assert "latency_p95: duration" in system


def test_draft_prompt_lists_only_models_the_cost_tier_allows():
    economy = draft_messages(make_request("classify tickets", cost_tier="economy"))[1]["content"]
    premium = draft_messages(make_request("classify tickets", cost_tier="premium"))[1]["content"]
    assert "| fast |" in economy and "| balanced |" not in economy and "| heavy |" not in economy
    assert "| heavy |" in premium
    assert "openai/gpt-4o-mini-2024-07-18" in economy  # pinned snapshots, not floating names


def test_draft_prompt_carries_the_constraints_and_event():
    request = make_request(
        "score payments", sla="300ms", budget=0.002, fallback_model="anthropic/claude-haiku-4-5"
    )
    request.event = shape_from({"txn_id": "t1", "amount": 12.5, "merchant": "Shop"})
    user = draft_messages(request)[1]["content"]
    assert "300ms" in user and "0.002" in user and "anthropic/claude-haiku-4-5" in user
    assert '"txn_id": "t1"' in user and '"amount": {' in user


def test_default_draft_prompt_is_under_the_token_goal():
    tokens = estimate_tokens(draft_messages(default_request()))
    assert 1500 < tokens <= TOKEN_GOAL


def test_system_prompt_asks_every_step_for_its_why():
    from typing import get_args

    from copilot.flow.models import BuildingBlock

    system = draft_messages(default_request())[0]["content"]
    assert "why*: Why" in system  # a draft must give it, though a flow file may leave it out
    assert "quoted word for word from the brief" in system
    for block in get_args(BuildingBlock):  # every building block the models allow, explained
        assert f"`{block}` (" in system, block
    # the rules the coverage checks hold an answer to, stated before the answer is written
    assert "gets an `if:` on the output field that decides it" in system
    assert "never async enrichment it does not use" in system  # the checklist's urgent-not-delayed
    assert "with the rule `input.grounded`" in system
    user = draft_messages(default_request())[1]["content"]
    assert "Every step's `why.brief` quotes a clause of this brief word for word" in user


def test_repair_prompt_says_what_coverage_findings_compare_only_when_there_are_some():
    dr = {
        "code": "DR003",
        "severity": "error",
        "json_path": "$.steps[2].why.brief",
        "message": "m",
        "fix_hint": None,
    }
    fg = {
        "code": "FG101",
        "severity": "error",
        "json_path": "$.steps[0]",
        "message": "no timeout",
        "fix_hint": None,
    }
    sentence = "The DR findings compare the flow with the brief"
    assert sentence in repair_message(flow_yaml="name: x\n", findings=[fg, dr])
    assert sentence not in repair_message(flow_yaml="name: x\n", findings=[fg])


def test_repair_prompt_names_each_finding_with_path_and_hint():
    text = repair_message(
        flow_yaml="apiVersion: flowgen/v1\n",
        findings=[
            {
                "code": "FG201",
                "severity": "warning",
                "json_path": "$.steps[0]",
                "message": "no fallback",
                "fix_hint": "add one",
            },
            {
                "code": "FG101",
                "severity": "error",
                "json_path": "$.steps[1]",
                "message": "no timeout",
                "fix_hint": None,
            },
        ],
    )
    assert text.index("FG101") < text.index("FG201")  # errors first
    assert "`$.steps[1]`: no timeout" in text and "Fix: add one" in text
    assert "apiVersion: flowgen/v1" in text


def test_rendered_prompts_snapshot(snapshot):
    request = default_request()
    request.event = shape_from({"id": "T-1", "subject": "Reset", "body": "How do I reset?", "email": "a@b.c"})
    messages = draft_messages(request)
    assert render_prompt_text(messages) == snapshot
    repair = repair_message(
        flow_yaml="name: x\n",
        findings=[
            {"code": "FG101", "severity": "error", "json_path": "$.steps[0]", "message": "m", "fix_hint": "h"}
        ],
    )
    assert repair == snapshot
    assert repair_message(flow_yaml=None, findings=[], problem="Your answer was empty.") == snapshot


def test_prompt_text_shows_each_message_under_its_role():
    # That the JSON form is what `draft` sends is checked against the scripted server's
    # recorded request: test_cli_failures.test_prompt_command_prints_exactly_what_draft_sends.
    runner = CliRunner()
    messages = json.loads(runner.invoke(app, ["prompt", f"@{SUPPORT}", "--format", "json"]).stdout)
    text = runner.invoke(app, ["prompt", f"@{SUPPORT}"])
    assert text.stdout.startswith("===== system =====\n") and "===== user =====" in text.stdout
    assert messages[0]["content"] in text.stdout and messages[1]["content"] in text.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["prompt", "x", "--sla", "fast"], "--sla"),
        (["prompt", "x", "--cost-tier", "cheap"], "--cost-tier"),
        (["prompt", "x", "--budget", "-1"], "--budget"),
        (["prompt", "x", "--fallback-model", "openai/gpt-9"], "not in the model catalog"),
        (["prompt", "@/nonexistent/brief.md"], "no such file"),
        (["prompt", ""], "empty"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(args, words):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
