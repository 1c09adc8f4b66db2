"""Drafting with an LLM, against a scripted OpenAI-compatible server on 127.0.0.1.

Real HTTP and the real openai client: every class of bad answer and transport failure is
either repaired or ends in one clear line, with no file written.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from copilot.draft.drafting import DraftOptions, draft
from copilot.draft.request import DraftRequest
from copilot.draft.wire import to_wire
from copilot.flow.load import load_document

from .fake_llm import Reply, chat, closed_port_url, error

ROOT = Path(__file__).resolve().parents[2]
BRIEF = (ROOT / "examples/briefs/support-triage.md").read_text()
ANSWERS = Path(__file__).resolve().parent / "answers"


def good_flow() -> dict:
    """A flow that lints clean and covers BRIEF: every step says why (answers/support-triage.yaml)."""
    return copy.deepcopy(load_document(ANSWERS / "support-triage.yaml").data)


def naive_flow() -> dict:
    """The same flow as a careless first draft: no timeouts and no fallbacks anywhere."""
    data = good_flow()
    for step in data["steps"]:
        step.pop("timeout", None)
        step.pop("fallback", None)
    return data


def run(fake, tmp_path: Path, *replies: Reply, sleeps: list | None = None, **options):
    fake.script(*replies)
    out = tmp_path / "flow.yaml"
    opts = DraftOptions(
        provider="openai",
        base_url=fake.base_url if fake is not None else options.pop("base_url"),
        api_key="test-key",
        model="gpt-4o-mini",
        out=str(out),
        timeout=options.pop("timeout", 5.0),
        retries=options.pop("retries", 2),
        sleep=(sleeps.append if sleeps is not None else (lambda s: None)),
        **options,
    )
    outcome = draft(DraftRequest(brief=BRIEF), opts)
    return outcome, out


def user_texts(request: dict) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "user"]


def test_strict_answer_in_wire_shape_is_written_clean(fake_llm, tmp_path):
    outcome, out = run(fake_llm, tmp_path, chat(json.dumps(to_wire(good_flow()))))
    assert outcome.error is None and outcome.exit_code == 0
    assert outcome.written and out.exists()
    first = fake_llm.requests[0]
    assert first["response_format"]["type"] == "json_schema"
    assert first["response_format"]["json_schema"]["strict"] is True
    # the schema is resent on every call: no field prose on the wire, the JSON-text hint kept
    wire = json.dumps(first["response_format"], separators=(",", ":"))
    assert len(wire) < 24_000 and "JSON text of the value" in wire
    assert "Steps the response waits for" not in wire  # a field description (Respond.needs)
    assert first["model"] == "gpt-4o-mini"
    assert fake_llm.headers[0]["authorization"] == "Bearer test-key"
    text = out.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert "# Drafted by `flowgen draft` (gpt-4o-mini via" in text
    # the reasoning is in the file: model fit, fallback provider, timeout origin
    assert "fits this step's" in text and "another provider" in text and "the model's p95" in text
    assert outcome.llm["input_tokens"] == 1000 and outcome.llm["output_tokens"] == 500
    # gpt-4o-mini is in the catalog: 1000 in x $0.15/M + 500 out x $0.60/M
    assert outcome.llm["cost_usd"] == pytest.approx(0.00045)


def test_repair_loop_converges_when_the_first_answer_lacks_timeouts_and_fallbacks(fake_llm, tmp_path):
    outcome, _out = run(fake_llm, tmp_path, chat(json.dumps(naive_flow())), chat(json.dumps(good_flow())))
    assert outcome.exit_code == 0 and outcome.written, outcome.error
    assert len(fake_llm.requests) == 2
    repair = user_texts(fake_llm.requests[1])[-1]
    # every finding is named with its code and JSON path, and a fix hint
    assert "FG101" in repair and "$.steps[0]" in repair
    assert "FG201" in repair
    assert "Fix:" in repair
    assert "## Your previous flow" in repair and "id: classify" in repair
    codes = {f["code"] for f in outcome.rounds[0]["findings"]}
    assert {"FG101", "FG201"} <= codes
    assert outcome.rounds[1]["valid"] is True


def test_markdown_fences_are_unwrapped(fake_llm, tmp_path):
    content = "Here is the flow:\n```json\n" + json.dumps(good_flow(), indent=1) + "\n```\nEnjoy!"
    outcome, out = run(fake_llm, tmp_path, chat(content))
    assert outcome.exit_code == 0 and out.exists()
    assert outcome.rounds[0]["extracted_as"] == "fenced"


def test_prose_around_json_is_extracted(fake_llm, tmp_path):
    content = "Sure! I designed it carefully. " + json.dumps(good_flow()) + " Let me know if you need more."
    outcome, out = run(fake_llm, tmp_path, chat(content))
    assert outcome.exit_code == 0 and out.exists()
    assert outcome.rounds[0]["extracted_as"] == "prose"


def test_non_json_is_repaired(fake_llm, tmp_path):
    outcome, out = run(
        fake_llm, tmp_path, chat("I think you should use a webhook."), chat(json.dumps(good_flow()))
    )
    assert outcome.exit_code == 0 and out.exists()
    assert "was not JSON" in user_texts(fake_llm.requests[1])[-1]


def test_non_json_every_time_ends_in_one_line_and_no_file(fake_llm, tmp_path):
    outcome, out = run(fake_llm, tmp_path, *[chat("no JSON here, sorry")] * 3)
    assert outcome.exit_code == 2 and not out.exists()
    assert "not JSON" in outcome.error and "\n" not in outcome.error
    assert len(fake_llm.requests) == 3  # the first answer and --max-repairs 2


def test_truncated_json_is_asked_again(fake_llm, tmp_path):
    cut = json.dumps(good_flow())[:700]
    outcome, out = run(fake_llm, tmp_path, chat(cut, finish_reason="length"), chat(json.dumps(good_flow())))
    assert outcome.exit_code == 0 and out.exists()
    assert outcome.rounds[0]["problem"]["kind"] == "truncated"
    assert "cut off" in user_texts(fake_llm.requests[1])[-1]


def test_truncated_every_time_names_max_tokens(fake_llm, tmp_path):
    cut = json.dumps(good_flow())[:500]
    outcome, out = run(fake_llm, tmp_path, *[chat(cut, finish_reason="length")] * 2, max_repairs=1)
    assert outcome.exit_code == 2 and not out.exists()
    assert "--max-tokens" in outcome.error and "finish_reason=length" in outcome.error


def test_valid_json_in_the_wrong_shape_gets_schema_findings_then_converges(fake_llm, tmp_path):
    outcome, out = run(
        fake_llm, tmp_path, chat(json.dumps({"answer": "use a webhook"})), chat(json.dumps(good_flow()))
    )
    assert outcome.exit_code == 0 and out.exists()
    repair = user_texts(fake_llm.requests[1])[-1]
    assert "FG002" in repair and "apiVersion" in repair


def test_wrong_shape_every_time_is_one_line(fake_llm, tmp_path):
    outcome, out = run(fake_llm, tmp_path, *[chat(json.dumps({"steps": "none"}))] * 3)
    assert outcome.exit_code == 2 and not out.exists()
    assert "does not match the flowgen/v1 schema" in outcome.error and "\n" not in outcome.error


def test_empty_content_is_repaired(fake_llm, tmp_path):
    outcome, out = run(fake_llm, tmp_path, chat(""), chat(json.dumps(good_flow())))
    assert outcome.exit_code == 0 and out.exists()
    assert "was empty" in user_texts(fake_llm.requests[1])[-1]


def test_empty_content_every_time(fake_llm, tmp_path):
    outcome, out = run(fake_llm, tmp_path, chat(None), chat(None), max_repairs=1)
    assert outcome.exit_code == 2 and not out.exists()
    assert "empty content" in outcome.error


def test_refusal_ends_at_once(fake_llm, tmp_path):
    outcome, out = run(fake_llm, tmp_path, chat(None, refusal="I can't help with that."))
    assert outcome.exit_code == 2 and not out.exists()
    assert "refused" in outcome.error and "I can't help with that." in outcome.error
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (error(401, "Incorrect API key provided"), ["HTTP 401", "OPENAI_API_KEY", "--api-key"]),
        (error(404, "The model `gpt-4o-mini` does not exist"), ["`gpt-4o-mini` was not found", "--model"]),
        # a 404 that names no model (a web server's page): the path may be wrong
        (Reply(404, "404 page not found", content_type="text/plain"), ["HTTP 404", "--model", "--base-url"]),
    ],
)
def test_client_errors_are_one_line_without_retry(fake_llm, tmp_path, reply, words):
    outcome, out = run(fake_llm, tmp_path, reply)
    assert outcome.exit_code == 2 and not out.exists()
    for word in words:
        assert word in outcome.error
    assert "\n" not in outcome.error
    assert "test-key" not in outcome.error  # the key itself is never printed
    assert len(fake_llm.requests) == 1


def test_429_waits_as_retry_after_says_then_succeeds(fake_llm, tmp_path):
    sleeps: list[float] = []
    outcome, out = run(
        fake_llm,
        tmp_path,
        error(429, "Rate limit reached", headers={"retry-after": "3"}),
        chat(json.dumps(good_flow())),
        sleeps=sleeps,
    )
    assert outcome.exit_code == 0 and out.exists()
    assert sleeps == [3.0]
    assert outcome.rounds[0]["response"]["attempts"] == 2


def test_429_every_time_is_one_line(fake_llm, tmp_path):
    sleeps: list[float] = []
    limited = error(429, "Rate limit reached", headers={"retry-after-ms": "1500"})
    outcome, out = run(fake_llm, tmp_path, limited, limited, limited, sleeps=sleeps)
    assert outcome.exit_code == 2 and not out.exists()
    assert "HTTP 429" in outcome.error and "3 attempts" in outcome.error
    assert sleeps == [1.5, 1.5]


def test_500_is_retried_with_backoff_then_reported(fake_llm, tmp_path):
    sleeps: list[float] = []
    boom = error(500, "internal error")
    outcome, out = run(fake_llm, tmp_path, boom, boom, sleeps=sleeps, retries=1)
    assert outcome.exit_code == 2 and not out.exists()
    assert "HTTP 500" in outcome.error and "2 attempts" in outcome.error
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 1.0  # full jitter under the first cap


def test_500_then_success(fake_llm, tmp_path):
    outcome, out = run(fake_llm, tmp_path, error(503, "overloaded"), chat(json.dumps(good_flow())))
    assert outcome.exit_code == 0 and out.exists()


def test_connection_refused_is_one_line(tmp_path):
    class Nobody:
        base_url = closed_port_url()

        def script(self, *replies):
            pass

    outcome, out = run(Nobody(), tmp_path)
    assert outcome.exit_code == 2 and not out.exists()
    assert "cannot connect" in outcome.error and "--provider offline" in outcome.error
    assert len(outcome.error.splitlines()) == 1 and base_url_of(outcome) in outcome.error
    assert outcome.llm["calls"] == 0  # nothing answered: the summary prints no drafting stats


def base_url_of(outcome) -> str:
    return outcome.llm["settings"]["base_url"]


def test_timeout_is_one_line(fake_llm, tmp_path):
    slow = chat(json.dumps(good_flow()))
    slow.delay = 2.0
    outcome, out = run(fake_llm, tmp_path, slow, timeout=0.3, retries=0)
    assert outcome.exit_code == 2 and not out.exists()
    assert "within 0.3s" in outcome.error and "--timeout" in outcome.error


def test_server_rejecting_json_schema_falls_back_to_json_object(fake_llm, tmp_path):
    outcome, out = run(
        fake_llm,
        tmp_path,
        error(400, "response_format of type json_schema is not supported", param="response_format"),
        chat(json.dumps(good_flow())),
    )
    assert outcome.exit_code == 0 and out.exists()
    formats = [r.get("response_format", {}).get("type") for r in fake_llm.requests]
    assert formats == ["json_schema", "json_object"]
    assert outcome.llm["mode"] == "json_object"


def test_server_rejecting_every_format_falls_back_to_text(fake_llm, tmp_path):
    outcome, out = run(
        fake_llm,
        tmp_path,
        error(400, "response_format json_schema unsupported"),
        error(400, "'response_format' is not supported by this server"),
        chat("```json\n" + json.dumps(good_flow()) + "\n```"),
    )
    assert outcome.exit_code == 0 and out.exists()
    assert "response_format" not in fake_llm.requests[2]
    assert outcome.llm["mode"] == "text"


def over_budget(data: dict) -> dict:
    """A budget no model meets: FG503 is an error no autofix may touch (a person's decision)."""
    data["sla"]["max_cost_per_event"] = 0.000001
    return data


def test_safe_autofixes_clear_fixable_errors_before_the_final_lint(fake_llm, tmp_path):
    outcome, out = run(fake_llm, tmp_path, chat(json.dumps(naive_flow())), max_repairs=0)
    assert outcome.exit_code == 0 and out.exists()
    assert any(f.startswith("FG101") for f in outcome.fixes)
    assert outcome.counts()["error"] == 0


def test_lint_errors_left_after_repairs_exit_1_and_write_nothing(fake_llm, tmp_path):
    outcome, out = run(fake_llm, tmp_path, *[chat(json.dumps(over_budget(good_flow())))] * 3)
    assert outcome.exit_code == 1 and not out.exists()
    assert [f["code"] for f in outcome.findings if f["severity"] == "error"] == ["FG503"]
    assert len(fake_llm.requests) == 3


def test_allow_findings_writes_a_valid_flow_with_errors(fake_llm, tmp_path):
    outcome, out = run(
        fake_llm, tmp_path, chat(json.dumps(over_budget(naive_flow()))), max_repairs=0, allow_findings=True
    )
    assert outcome.exit_code == 1 and out.exists()
    # safe autofixes ran before the final lint: timeouts are back, the budget error stays
    assert "timeout:" in out.read_text()
    assert any(f.startswith("FG101") for f in outcome.fixes)
    assert "FG503" in {f["code"] for f in outcome.findings}


def test_transcript_records_prompts_answers_and_findings_but_not_the_key(fake_llm, tmp_path):
    transcript = tmp_path / "t.json"
    _outcome, _out = run(
        fake_llm,
        tmp_path,
        chat(json.dumps(naive_flow())),
        chat(json.dumps(good_flow())),
        transcript=str(transcript),
    )
    data = json.loads(transcript.read_text())
    assert [r["kind"] for r in data["rounds"]] == ["draft", "repair"]
    assert data["rounds"][0]["messages"][0]["role"] == "system"
    assert json.loads(data["rounds"][0]["response"]["content"])["name"] == "support-triage"
    assert any(f["code"] == "FG101" for f in data["rounds"][0]["findings"])
    assert "test-key" not in transcript.read_text()
    assert data["llm"]["settings"]["api_key"] == "set (--api-key)"


def test_transcript_is_written_on_failure_too(fake_llm, tmp_path):
    transcript = tmp_path / "t.json"
    outcome, _out = run(fake_llm, tmp_path, error(401, "bad key"), transcript=str(transcript))
    data = json.loads(transcript.read_text())
    assert outcome.exit_code == 2 and "HTTP 401" in data["error"]
    assert data["rounds"][0]["error"].startswith("the LLM server")


# ---------------------------------------------------------------------------- the brief's coverage


def step(data: dict, step_id: str) -> dict:
    return next(s for s in data["steps"] if s["id"] == step_id)


def test_a_quote_not_in_the_brief_goes_back_for_repair_naming_the_step(fake_llm, tmp_path):
    misquoted = good_flow()
    step(misquoted, "page_oncall")["why"] = {"brief": "Page the on-call engineer for every ticket"}
    outcome, out = run(fake_llm, tmp_path, chat(json.dumps(misquoted)), chat(json.dumps(good_flow())))
    assert outcome.exit_code == 0 and out.exists(), outcome.error
    repair = user_texts(fake_llm.requests[1])[-1]
    index = [s["id"] for s in misquoted["steps"]].index("page_oncall")
    assert f"DR003 (error) at `$.steps[{index}].why.brief`: step `page_oncall` quotes" in repair
    assert "'Page the on-call engineer for every ticket', which is not in the brief" in repair
    assert "quote the brief word for word in `why.brief`" in repair  # said once, for every DR finding
    # the round failed like a lint error, and the transcript keeps its coverage table
    assert outcome.rounds[0]["valid"] is True and "kept" not in outcome.rounds[0]
    assert "DR003" in {f["code"] for f in outcome.rounds[0]["findings"]}
    page = next(r for r in outcome.rounds[0]["coverage"] if r["clause"].startswith("Page the on-call"))
    assert page["mapped"] is False
    assert outcome.rounds[1]["kept"] is True and outcome.gaps == []
    assert "why:" in out.read_text() and "Page the on-call engineer for urgent tickets" in out.read_text()


def test_an_invented_step_without_why_gets_dr002_in_the_repair_prompt(fake_llm, tmp_path):
    invented = good_flow()
    invented["steps"].append(
        {
            "id": "tweet",
            "type": "http",
            "mode": "async",
            "needs": ["checked"],
            "request": {"method": "POST", "url": "${env:TWITTER_URL}", "json": {"ticket": "{{ event.id }}"}},
            "timeout": "1s",
            "retry": {
                "attempts": 3,
                "backoff": "exponential",
                "initial": "200ms",
                "max": "2s",
                "jitter": True,
            },
            "idempotency_key": "{{ event.id }}:tweet",
        }
    )
    outcome, out = run(fake_llm, tmp_path, chat(json.dumps(invented)), chat(json.dumps(good_flow())))
    assert outcome.exit_code == 0 and out.exists(), outcome.error
    repair = user_texts(fake_llm.requests[1])[-1]
    at = f"$.steps[{len(invented['steps']) - 1}].id"
    assert f"DR002 (error) at `{at}`: step `tweet` says nothing of why it exists" in repair
    assert "tweet" not in out.read_text()


def test_a_gap_asks_for_repair_while_rounds_remain_and_the_draft_in_hand_survives_a_failed_call(
    fake_llm, tmp_path
):
    unpaged = good_flow()
    unpaged["steps"] = [s for s in unpaged["steps"] if s["id"] != "page_oncall"]
    outcome, out = run(fake_llm, tmp_path, chat(json.dumps(unpaged)), error(400, "context length exceeded"))
    # the unmapped clause went back as a warning; the repair call failed; the first answer stands
    assert "DR001 (warning) at `$.brief`" in user_texts(fake_llm.requests[1])[-1]
    assert outcome.rounds[0]["kept"] is True and "HTTP 400" in outcome.rounds[1]["error"]
    assert outcome.error is None and outcome.exit_code == 1 and out.exists()
    assert [g["code"] for g in outcome.gaps] == ["DR001"]


def test_nothing_in_the_brief_maps_exits_2_and_writes_nothing(fake_llm, tmp_path):
    # The support-triage example as it was before `why`: no step says which clause it implements.
    unexplained = load_document(ROOT / "examples/flows/support-triage.yaml").data
    outcome, out = run(fake_llm, tmp_path, *[chat(json.dumps(unexplained))] * 3)
    assert outcome.exit_code == 2 and not out.exists() and not outcome.written
    assert outcome.error.startswith("nothing in the brief maps to a step")
    assert len(fake_llm.requests) == 3
    repair = user_texts(fake_llm.requests[1])[-1]
    assert "DR002 (error) at `$.steps[0].id`: step `classify` says nothing of why" in repair
    assert "DR001 (warning) at `$.brief`" in repair
