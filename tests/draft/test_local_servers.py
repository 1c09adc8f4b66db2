"""Drafting against a model on this machine (issue 17): the compact schema, grammar mode, transcripts.

A server on loopback gets the compact wire schema by default (`--schema`, FLOWGEN_SCHEMA or
`[tool.flowgen] schema` decide otherwise); llama.cpp in grammar mode loads both schemas;
the transcript is on disk after every round, so an interrupted draft leaves a record.
"""

from __future__ import annotations

import json

import pytest

from copilot.draft.settings import on_loopback, resolve_settings
from copilot.draft.wire import COMPACT_LEAVE_OUT
from copilot.errors import FlowgenError

from .fake_llm import FakeLLM, chat, llama_cpp_grammar, llama_cpp_python
from .test_llm_draft import good_flow, naive_flow, run


def compact_flow() -> dict:
    """good_flow() as a model answers the compact schema: without what flowgen fills."""
    data = good_flow()
    for key in COMPACT_LEAVE_OUT["Flow"]:
        data.pop(key, None)
    kinds = {"model": "ModelStep", "validate": "ValidateStep", "retrieve": "RetrieveStep"}
    kinds |= {"transform": "TransformStep", "http": "HttpStep"}
    for step in data["steps"]:
        for key in COMPACT_LEAVE_OUT[kinds[step["type"]]]:
            step.pop(key, None)
    trigger = data["trigger"]
    for key in COMPACT_LEAVE_OUT[f"{trigger['type'].capitalize()}Trigger"]:
        trigger.pop(key, None)
    for spec in data.get("models", {}).values():
        for key in COMPACT_LEAVE_OUT["ModelSpec"]:
            spec.pop(key, None)
    return data


def sent_schema(server: FakeLLM, index: int = 0) -> dict:
    return server.requests[index]["response_format"]["json_schema"]["schema"]


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8080/v1", True),
        ("http://localhost:11434/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://127.0.0.2:1234/v1", True),
        ("https://api.openai.com/v1", False),
        ("http://10.0.0.5:8000/v1", False),
        (None, False),
    ],
)
def test_loopback_is_known_by_the_base_url(url, local):
    assert on_loopback(url) is local


def test_the_schema_setting_flag_then_environment_then_config_then_loopback(tmp_path):
    local = "http://127.0.0.1:11434/v1"
    config = (tmp_path / "pyproject.toml", {"schema": "full"})
    assert resolve_settings(base_url=local, environ={}).schema == "compact"
    assert resolve_settings(base_url="https://example.com/v1", api_key="k", environ={}).schema == "full"
    assert resolve_settings(base_url=local, environ={}, config=config).schema == "full"
    assert (
        resolve_settings(base_url=local, environ={"FLOWGEN_SCHEMA": "full"}).schema_source == "FLOWGEN_SCHEMA"
    )
    assert resolve_settings(base_url=local, schema="full", environ={}).schema == "full"
    with pytest.raises(FlowgenError, match="compact or full"):
        resolve_settings(base_url=local, environ={"FLOWGEN_SCHEMA": "tiny"})


def test_a_loopback_server_gets_the_compact_schema_and_flowgen_fills_the_rest(tmp_path, monkeypatch):
    monkeypatch.delenv("FLOWGEN_SCHEMA")
    with FakeLLM(behaviour=llama_cpp_grammar(json.dumps(compact_flow()))) as server:
        outcome, out = run(server, tmp_path)
    assert out.exists(), outcome.error
    assert outcome.llm["schema"] == "compact" and outcome.llm["mode"] == "json_schema"
    assert len(server.requests) == 1  # no repair round asks for the timeouts flowgen adds itself
    schema = sent_schema(server)
    assert "tests" not in schema["properties"] and "timeout" not in schema["$defs"]["ModelStep"]["properties"]
    assert "flowgen itself adds timeouts" in server.requests[0]["messages"][0]["content"]
    written = out.read_text()
    for filled in ("timeout:", "tests:", "observability:", "brief:"):
        assert filled in written
    from rich.console import Console

    from copilot.draft.summary import render_text

    console = Console(record=True, width=200)
    render_text(outcome, console)
    assert "format     json_schema, compact schema" in console.export_text()


@pytest.mark.parametrize("schema", ["full", "compact"])
def test_llama_cpp_grammar_mode_loads_either_schema(tmp_path, schema):
    """Before issue 17 the full schema's `\\d` patterns failed here (and crashed the server)."""
    answer = good_flow() if schema == "full" else compact_flow()
    with FakeLLM(behaviour=llama_cpp_grammar(json.dumps(answer))) as server:
        outcome, out = run(server, tmp_path, schema=schema)
    assert out.exists(), outcome.error
    assert outcome.llm["mode"] == "json_schema"  # the grammar loaded: no fallback to JSON mode


def test_the_transcript_is_on_disk_after_each_round(tmp_path):
    """What the file holds when each call is made: the rounds so far, said to be unfinished."""
    transcript = tmp_path / "draft.json"
    on_disk: list[dict] = []
    answers = iter([naive_flow(), good_flow()])

    def behaviour(path: str, body: dict):
        on_disk.append(json.loads(transcript.read_text()))
        return chat(json.dumps(next(answers)))

    with FakeLLM(behaviour=behaviour) as server:
        outcome, out = run(server, tmp_path, transcript=str(transcript))
    assert out.exists(), outcome.error
    first, second = on_disk
    assert first["done"] is False and first["rounds"][0]["messages"] and "response" not in first["rounds"][0]
    assert second["rounds"][0]["response"]["content"] and second["rounds"][0]["findings"]
    assert second["rounds"][1]["kind"] == "repair" and "response" not in second["rounds"][1]
    assert json.loads(transcript.read_text())["done"] is True


def test_an_interrupted_draft_leaves_its_rounds(tmp_path, monkeypatch):
    from copilot.draft.llm import ChatClient

    transcript = tmp_path / "draft.json"
    real, calls = ChatClient.complete, []

    def complete(self, messages):  # Ctrl-C during the repair call
        calls.append(messages)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, messages)

    monkeypatch.setattr(ChatClient, "complete", complete)
    with (
        FakeLLM(behaviour=lambda path, body: chat(json.dumps(naive_flow()))) as server,
        pytest.raises(KeyboardInterrupt),
    ):
        run(server, tmp_path, transcript=str(transcript))
    record = json.loads(transcript.read_text())
    assert record["done"] is False and record["error"] == "interrupted"
    assert record["rounds"][0]["findings"] and record["rounds"][1]["kind"] == "repair"
    assert record["llm"]["calls"] == 1


def test_the_summary_says_what_the_server_needed(tmp_path):
    with FakeLLM(behaviour=llama_cpp_python(json.dumps(good_flow()))) as server:
        outcome, out = run(server, tmp_path)
    assert out.exists(), outcome.error
    assert outcome.llm["mode"] == "json_object"
    assert any("HTTP 500): using json_object" in line for line in outcome.llm["learnt"])
