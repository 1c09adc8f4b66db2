"""The shared OpenAI-compatible cascade (`copilot.openai_compat`) under the engine's concurrency.

Steps run side by side: several requests can meet the same rejection at once. The server's
record moves one mode at a time (compare-and-set), so no mode is skipped, and the JSON of
a text answer is found however it is wrapped.
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

from copilot import openai_compat
from copilot.catalog import ModelProfile
from copilot.run.providers.base import ModelRequest
from copilot.run.providers.openai import OpenAIProvider
from tests.draft.fake_llm import FakeLLM, rejects_json_schema

PROFILE = ModelProfile("openai/m", "openai", "m", p50=0.4, p95=1.2, input_per_mtok=1.0, output_per_mtok=4.0)
SCHEMA = {"type": "object", "required": ["label"], "properties": {"label": {"type": "string"}}}


def test_concurrent_rejections_move_the_server_one_mode_only():
    with FakeLLM(behaviour=rejects_json_schema('{"label": "x"}')) as server:
        provider = OpenAIProvider(base_url=server.base_url, api_key="k")

        async def main():
            try:
                calls = [
                    provider.complete(
                        ModelRequest("a", PROFILE, None, f"u{i}", output_schema=SCHEMA, timeout=5.0)
                    )
                    for i in range(4)
                ]
                return await asyncio.gather(*calls)
            finally:
                await provider.aclose()

        answers = asyncio.run(main())
    assert [json.loads(a.content) for a in answers] == [{"label": "x"}] * 4
    record = openai_compat.server(server.base_url, "m")
    assert record.format == "json_object"  # not `text`, however many 400s were in flight
    assert len(record.learnt) == 1 and provider.notes == record.learnt
    sent = [(b.get("response_format") or {}).get("type") for b in server.requests]
    assert sent.count("json_object") == 4 and "text" not in sent


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('Sure:\n```json\n{"a": 1}\n```\nDone.', {"a": 1}),
        ("```\n[1, 2]\n```", [1, 2]),
        ('I think {"a": {"b": 2}} is right, not {"c": 3}.', {"a": {"b": 2}}),
        ('<think>maybe {"a": 0}?</think>\n{"a": 1}', {"a": 1}),
    ],
    ids=["bare", "fenced", "fenced-array", "prose", "think"],
)
def test_json_text_finds_the_json(content, expected):
    assert json.loads(openai_compat.json_text(content)) == expected


def test_json_text_leaves_an_answer_without_json_as_it_was():
    assert openai_compat.json_text("no JSON here") == "no JSON here"


@pytest.mark.parametrize(
    ("status", "message", "kind"),
    [
        (400, "response_format json_schema is not supported", "format"),
        (422, "value is not a valid enumeration member; permitted: 'text', 'json_object'", "format"),
        (500, "Input should be 'text' or 'json_object' [input_value='json_schema']", "format"),
        # llama.cpp: a schema its json-schema-to-grammar cannot take
        (400, "Failed to parse grammar", "format"),
        (500, "JSON schema conversion failed:\nPattern must start with '^' and end with '$'", "format"),
        (500, "internal error", None),
        (429, "response_format requests are rate limited", None),
        (400, "Use 'max_completion_tokens' instead of 'max_tokens'", "max_tokens"),
        (400, "context length exceeded", None),
    ],
)
def test_rejection_is_known_by_what_it_says(status, message, kind):
    refused = SimpleNamespace(status_code=status, body={"error": {"message": message}}, message=message)
    assert openai_compat.rejection(refused) == kind


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        # Ollama, a model not pulled
        (
            {
                "error": {
                    "message": 'model "gpt-4o-mini" not found, try pulling it first',
                    "type": "api_error",
                }
            },
            True,
        ),
        # vLLM: the message at the top level of the body
        ({"object": "error", "message": "The model `gpt-4o-mini` does not exist.", "code": 404}, True),
        # a web server's page or a framework's 404: the path is wrong, not the model
        ("404 page not found", False),
        ({"detail": "Not Found"}, False),
    ],
    ids=["ollama", "vllm", "text-page", "fastapi"],
)
def test_a_missing_model_is_told_from_a_wrong_path(body, missing):
    said = f"Error code: 404 - {body}"
    answer = SimpleNamespace(status_code=404, body=body, message=said)
    assert openai_compat.model_missing(answer) is missing
    assert openai_compat.model_missing(SimpleNamespace(status_code=400, body=body, message=said)) is False
