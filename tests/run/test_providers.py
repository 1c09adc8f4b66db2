"""The sim provider (offline) and the openai provider against a real loopback server."""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema
import pytest

from copilot.catalog import ModelProfile
from copilot.run.providers.base import ModelRequest, ProviderError
from copilot.run.providers.openai import OpenAIProvider, strict_schema
from copilot.run.providers.schema_sample import sample
from copilot.run.providers.sim import SimProvider, answer

PROFILE = ModelProfile("openai/m", "openai", "m", p50=0.4, p95=1.2, input_per_mtok=1.0, output_per_mtok=4.0)
SCHEMA = {
    "type": "object",
    "required": ["category", "score", "tags", "meta"],
    "properties": {
        "category": {"enum": ["faq", "billing", "bug"]},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "count": {"type": "integer", "minimum": 3, "maximum": 9},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 4},
        "meta": {"type": "object", "required": ["ok", "email"],
                 "properties": {"ok": {"type": "boolean"}, "email": {"type": "string", "format": "email"}}},
        "short": {"type": "string", "maxLength": 5},
    },
}  # fmt: skip


def request(user: str = "hello billing", schema=SCHEMA, seed: int = 0, **kw) -> ModelRequest:
    return ModelRequest(alias="a", profile=PROFILE, system="sys", user=user, max_tokens=200,
                        output_schema=schema, step_id="s", seed=seed, **kw)  # fmt: skip


def test_sim_output_satisfies_the_schema_and_is_deterministic():
    for i in range(50):
        value = json.loads(answer(request(f"prompt {i}")))
        jsonschema.validate(value, SCHEMA)
    assert answer(request("same")) == answer(request("same"))
    assert answer(request("same")) != answer(request("same", seed=1))
    # An enum value the prompt names is the one chosen (a simulated classifier reads the ticket).
    assert json.loads(answer(request("question about billing")))["category"] == "billing"


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "minLength": 20},
        {"type": ["null", "integer"], "exclusiveMinimum": 5, "exclusiveMaximum": 7},
        {"anyOf": [{"type": "boolean"}, {"type": "string"}]},
        {"allOf": [{"properties": {"a": {"const": 1}}, "required": ["a"]}, {"required": ["b"]}]},
        {"type": "array", "items": {"enum": [1, 2]}, "minItems": 3},
    ],
)
def test_schema_sample_shapes(schema):
    import random

    for seed in range(10):
        jsonschema.validate(sample(schema, random.Random(seed)), schema)


def test_sim_latency_is_lognormal_fitted_to_p50_p95_and_seeded():
    sim = SimProvider(seed=3)
    draws = sorted(sim.latency(request()) for _ in range(20_000))
    assert statistics.median(draws) == pytest.approx(0.4, rel=0.05)
    assert draws[int(0.95 * len(draws))] == pytest.approx(1.2, rel=0.06)
    again = SimProvider(seed=3)
    assert [again.latency(request()) for _ in range(5)] == draws_first(5, 3)


def draws_first(n: int, seed: int) -> list[float]:
    sim = SimProvider(seed=seed)
    return [sim.latency(request()) for _ in range(n)]


def test_sim_reports_tokens_and_cost(virtual):
    sim = SimProvider(latency_scale=0)
    response = virtual(sim.complete(request(schema=None, user="x" * 400)))
    assert response.input_tokens == math.ceil(3 / 4) + 100
    assert 1 <= response.output_tokens <= 200
    assert response.cost == pytest.approx(PROFILE.cost(response.input_tokens, response.output_tokens))
    assert sim.calls == 1


def test_strict_schema_closes_objects():
    strict = strict_schema(SCHEMA)
    assert strict["additionalProperties"] is False
    assert strict["properties"]["meta"]["additionalProperties"] is False
    assert set(strict["required"]) == set(SCHEMA["properties"])
    assert "additionalProperties" not in SCHEMA  # the flow's own schema is untouched


# ---------------------------------------------------------------------------- openai, real HTTP


class _Server:
    """A tiny OpenAI-compatible server on 127.0.0.1: answers /v1/chat/completions from a script."""

    def __init__(self, replies: list[tuple[int, dict, dict]]) -> None:
        self.replies = replies
        self.requests: list[tuple[dict, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length))
                outer.requests.append((dict(self.headers), body))
                status, payload, headers = (
                    outer.replies.pop(0) if outer.replies else (200, _completion("{}"), {})
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _completion(content: str, model: str = "m-2025") -> dict:
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
        ],
        "usage": {"prompt_tokens": 31, "completion_tokens": 7, "total_tokens": 38},
    }


def test_openai_provider_structured_output_over_real_http():
    with _Server([(200, _completion('{"category": "faq"}'), {})]) as server:
        provider = OpenAIProvider(base_url=server.url, api_key="test-key")

        async def main():
            try:
                return await provider.complete(request(idempotency_key="T-1:classify", timeout=5.0))
            finally:
                await provider.aclose()

        response = asyncio.run(main())
    assert response.content == '{"category": "faq"}'
    assert (response.input_tokens, response.output_tokens, response.model) == (31, 7, "m-2025")
    assert response.cost == pytest.approx(PROFILE.cost(31, 7))
    headers, body = server.requests[0]
    assert body["model"] == "m" and body["max_tokens"] == 200
    assert body["messages"] == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "hello billing"},
    ]
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["properties"]["category"] == {"enum": ["faq", "billing", "bug"]}
    lowered = {k.lower(): v for k, v in headers.items()}
    assert lowered["authorization"] == "Bearer test-key"
    assert lowered["idempotency-key"] == "T-1:classify"


def test_openai_errors_map_to_provider_error_kinds():
    replies = [
        (429, {"error": {"message": "slow down"}}, {"retry-after": "2"}),
        (503, {"error": {"message": "overloaded"}}, {}),
        (400, {"error": {"message": "bad request"}}, {}),
    ]
    with _Server(replies) as server:
        provider = OpenAIProvider(base_url=server.url, api_key="k", model_override="other")

        async def main():
            errors = []
            for _ in range(3):
                try:
                    await provider.complete(request(schema=None))
                except ProviderError as exc:
                    errors.append(exc)
            await provider.aclose()
            return errors

        errors = asyncio.run(main())
    assert [(e.kind, e.status) for e in errors] == [
        ("rate_limit", 429),
        ("server_error", 503),
        ("client_error", 400),
    ]
    assert errors[0].retry_after == 2.0
    assert server.requests[0][1]["model"] == "other"  # --model-override
    assert "response_format" not in server.requests[0][1]


def test_openai_connection_refused_is_a_connection_error():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    provider = OpenAIProvider(base_url=f"http://127.0.0.1:{port}/v1", api_key="k")

    async def main():
        try:
            await provider.complete(request(schema=None, timeout=2.0))
        finally:
            await provider.aclose()

    with pytest.raises(ProviderError) as info:
        asyncio.run(main())
    assert info.value.kind in ("connection_error", "timeout")
