"""`flowgen draft --provider openai` against loopback servers that act like real ones.

The same imitations as tests/run/test_openai_servers.py (tests/draft/fake_llm.py), through
the same cascade (`copilot.openai_compat`): each draft succeeds, and a second draft in the
same process goes straight to what worked, so the fallback is paid once per server. Ollama
(issue 17) through the command itself: a model it has not pulled is one line naming the
model and `ollama pull`, and its fenced answer is read.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from copilot.cli import app

from .fake_llm import (
    FakeLLM,
    llama_cpp_python,
    ollama,
    rejects_json_schema,
    rejects_max_tokens,
    text_only,
    v1_only,
    web_page,
)
from .test_llm_draft import BRIEF, good_flow, run
from .test_local_servers import compact_flow


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


# ---------------------------------------------------------------- Ollama, through the command


def draft_command(base_url: str, *args: str):
    """`flowgen draft` as a user types it against a local server (no API key)."""
    brief = "brief.md"
    with open(brief, "w") as handle:
        handle.write(BRIEF)
    command = ["draft", f"@{brief}", "--provider", "openai", "--base-url", base_url, "--out", "flow.yaml"]
    return CliRunner().invoke(app, [*command, "--no-own-test", *args])


@pytest.mark.parametrize(
    ("where", "model", "pull"),
    [
        # the default drafting model, which no Ollama has: how to see and fetch one
        (
            "base_url",
            None,
            "; `ollama list` shows the models the server has, `ollama pull NAME` fetches another",
        ),
        (
            "root_url",
            None,
            "; `ollama list` shows the models the server has, `ollama pull NAME` fetches another",
        ),
        # a model the user asked for: fetch it
        ("base_url", "qwen2.5:3b", ", or fetch it with `ollama pull qwen2.5:3b`"),
    ],
    ids=["default-v1", "default-without-v1", "chosen"],
)
def test_ollama_without_the_model_is_one_line_naming_it_and_ollama_pull(tmp_path, where, model, pull):
    with FakeLLM(behaviour=ollama(json.dumps(good_flow()))) as server:
        result = draft_command(getattr(server, where), *(["--model", model] if model else []))
    sent = model or "gpt-4o-mini"
    assert result.exit_code == 2 and not (tmp_path / "flow.yaml").exists()
    assert result.stderr.strip() == (
        f"flowgen: error: model `{sent}` was not found at {server.base_url} (HTTP 404: model "
        f'"{sent}" not found, try pulling it first): pick one the server has with --model / FLOWGEN_MODEL'
        + pull
    )
    assert "Traceback" not in result.output
    # No retry of the 404; without /v1, the probe finds the API there and stops at its answer.
    assert [body["model"] for body in server.requests] == [sent] * len(server.paths)
    assert server.paths == (
        ["/v1/chat/completions"] if where == "base_url" else ["/chat/completions", "/v1/chat/completions"]
    )


def test_ollama_fenced_answer_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("FLOWGEN_SCHEMA")  # on loopback: the compact schema, as a user gets it
    with FakeLLM(behaviour=ollama(json.dumps(compact_flow()))) as server:
        result = draft_command(server.base_url, "--model", "llama3.2:1b", "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["llm"]["mode"] == "json_schema" and summary["llm"]["schema"] == "compact"
    assert summary["llm"]["rounds"] == 1 and len(server.requests) == 1
    assert "```" not in (tmp_path / "flow.yaml").read_text()
    assert server.requests[0]["model"] == "llama3.2:1b"
