"""`flowgen draft --provider openai` against loopback servers that act like real ones.

The same imitations as tests/run/test_openai_servers.py (tests/draft/fake_llm.py), through
the same cascade (`copilot.openai_compat`): each draft succeeds, and a second draft in the
same process goes straight to what worked, so the fallback is paid once per server.
"""

from __future__ import annotations

import json

import pytest

from .fake_llm import (
    FakeLLM,
    llama_cpp_python,
    rejects_json_schema,
    rejects_max_tokens,
    text_only,
    v1_only,
    web_page,
)
from .test_llm_draft import good_flow, run


def formats(server: FakeLLM) -> list[str]:
    return [(body.get("response_format") or {}).get("type", "text") for body in server.requests]


@pytest.mark.parametrize(
    ("behaviour", "sent", "mode"),
    [
        (rejects_json_schema, ["json_schema", "json_object", "json_object"], "json_object"),
        (llama_cpp_python, ["json_schema", "json_object", "json_object"], "json_object"),
        (text_only, ["json_schema", "json_object", "text", "text"], "text"),
    ],
    ids=["vllm-400", "llama-cpp-python-500", "fenced-text"],
)
def test_two_drafts_pay_the_format_fallback_once(tmp_path, behaviour, sent, mode):
    sleeps: list[float] = []
    with FakeLLM(behaviour=behaviour(json.dumps(good_flow()))) as server:
        first, out = run(server, tmp_path, sleeps=sleeps)
        assert first.exit_code == 0 and out.exists(), first.error
        out.unlink()
        second, out = run(server, tmp_path, sleeps=sleeps)
    assert second.exit_code == 0 and out.exists(), second.error
    assert formats(server) == sent
    assert first.llm["mode"] == second.llm["mode"] == mode
    assert sleeps == []  # a format rejection (llama-cpp-python's 500 too) is not an outage to wait out


def test_max_completion_tokens_once_per_server(tmp_path):
    with FakeLLM(behaviour=rejects_max_tokens(json.dumps(good_flow()))) as server:
        for _ in range(2):
            outcome, out = run(server, tmp_path)
            assert outcome.exit_code == 0 and out.exists(), outcome.error
            out.unlink()
    assert ["max_tokens" in body for body in server.requests] == [True, False, False]
    assert all(body.get("max_completion_tokens") for body in server.requests[1:])


def test_a_base_url_without_v1_is_found(tmp_path):
    with FakeLLM(behaviour=v1_only(json.dumps(good_flow()))) as server:

        class WithoutV1:
            base_url = server.root_url

            def script(self, *replies):
                pass

        outcome, out = run(WithoutV1(), tmp_path)
    assert outcome.exit_code == 0 and out.exists(), outcome.error
    assert server.paths == ["/chat/completions", "/v1/chat/completions"]


def test_a_base_url_that_serves_no_chat_completions_is_one_line_with_the_v1_hint(tmp_path):
    with FakeLLM(behaviour=web_page("")) as server:

        class WithoutV1:
            base_url = server.root_url

            def script(self, *replies):
                pass

        outcome, out = run(WithoutV1(), tmp_path)
    assert outcome.exit_code == 2 and not out.exists()
    assert "/v1 endpoint?" in outcome.error and "--base-url" in outcome.error
    assert "\n" not in outcome.error
    assert server.paths == ["/chat/completions", "/v1/chat/completions"]  # tried once, not retried
