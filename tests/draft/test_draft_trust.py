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
