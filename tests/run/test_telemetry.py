"""Spans, GenAI attributes, metrics and redaction, read back from the SDK's in-memory exporters."""

from __future__ import annotations

import json

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from copilot.run.engine import Engine
from copilot.run.providers.base import ProviderError
from copilot.run.telemetry import OPERATION_DURATION_BUCKETS, TOKEN_USAGE_BUCKETS, Telemetry

from .conftest import Behaviour, ScriptedProvider, flow_from

FLOW = """
apiVersion: flowgen/v1
kind: Flow
name: traced
trigger: {type: webhook, path: /t}
models:
  a: {use: openai/gpt-4o-mini}
  b: {use: anthropic/claude-haiku-4-5}
steps:
  - {id: classify, type: model, model: a, fallback: [b],
     prompt: {user: "Ticket from {{ event.email }}: {{ event.body }}"},
     timeout: 1s, retry: {attempts: 1, backoff: none}}
  - {id: enrich, type: model, model: b, mode: async, needs: [classify], prompt: {user: "{{ event.body }}"},
     timeout: 10s}
respond: {needs: [classify], body: ok}
observability: {redact: [event.email]}
"""


def traced(provider, capture=False):
    spans = InMemorySpanExporter()
    metrics = InMemoryMetricReader()
    telemetry = Telemetry(span_exporters=[spans], metric_readers=[metrics], redact=["event.email"],
                          capture_content=capture)  # fmt: skip
    flow = flow_from(FLOW)
    return Engine(flow, provider=provider, base_dir=".", telemetry=telemetry), spans, metrics


def run(virtual, engine):
    async def main():
        result = await engine.handle({"email": "jane@corp.example", "body": "my invoice is wrong"})
        await engine.drain()
        return result

    return virtual(main())


def test_span_tree_and_genai_attributes(virtual):
    provider = ScriptedProvider({"a": Behaviour(0.2, errors=[ProviderError("server_error", "x", status=503)]),
                                 "b": Behaviour(2.0)})  # fmt: skip
    engine, spans, _ = traced(provider)
    run(virtual, engine)
    finished = spans.get_finished_spans()
    by_name = {}
    for span in finished:
        by_name.setdefault(span.name, []).append(span)
    root = by_name["invoke_workflow traced"][0]
    assert root.attributes["gen_ai.operation.name"] == "invoke_workflow"
    chats = by_name["chat gpt-4o-mini"]
    assert len(chats) == 2  # the failed call and its retry
    failed, ok = sorted(chats, key=lambda s: s.start_time)
    assert failed.attributes["error.type"] == "server_error"
    for chat in chats:
        assert chat.attributes["gen_ai.operation.name"] == "chat"
        assert chat.attributes["gen_ai.provider.name"] == "openai"
        assert chat.attributes["gen_ai.request.model"] == "gpt-4o-mini"
        assert chat.context.trace_id == root.context.trace_id
    assert ok.attributes["gen_ai.response.model"] == "gpt-4o-mini"
    assert ok.attributes["gen_ai.usage.input_tokens"] == 10
    assert ok.attributes["gen_ai.usage.output_tokens"] == 5
    step_span = by_name["step classify"][0]
    assert ok.parent.span_id == step_span.context.span_id
    assert step_span.parent.span_id == root.context.span_id


def test_async_steps_never_delay_the_response_measured_from_spans(virtual):
    engine, spans, _ = traced(ScriptedProvider({"a": Behaviour(0.3), "b": Behaviour(4.0)}))
    run(virtual, engine)
    finished = {s.name: s for s in spans.get_finished_spans()}
    root, respond, enrich = finished["invoke_workflow traced"], finished["respond"], finished["step enrich"]
    response_ns = respond.end_time - root.start_time
    assert response_ns == pytest.approx(0.3e9, abs=1e3)  # the hot path only
    assert enrich.end_time - root.start_time == pytest.approx(4.3e9, abs=1e3)
    assert enrich.start_time <= respond.end_time < enrich.end_time
    assert root.end_time == enrich.end_time  # the trace covers the async work too


def test_histograms_use_the_convention_buckets_and_counters_count(virtual):
    provider = ScriptedProvider({"a": Behaviour(0.2, errors=[ProviderError("server_error", "x", status=503)]),
                                 "b": Behaviour(0.5)})  # fmt: skip
    engine, _, metrics = traced(provider)
    run(virtual, engine)
    data = metrics.get_metrics_data()
    found = {m.name: m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    duration = found["gen_ai.client.operation.duration"]
    assert duration.unit == "s"
    point = duration.data.data_points[0]
    assert tuple(point.explicit_bounds) == OPERATION_DURATION_BUCKETS
    tokens = found["gen_ai.client.token.usage"]
    assert tuple(tokens.data.data_points[0].explicit_bounds) == TOKEN_USAGE_BUCKETS
    token_types = {p.attributes["gen_ai.token.type"] for p in tokens.data.data_points}
    assert token_types == {"input", "output"}
    retries = found["flowgen.retries"].data.data_points
    assert sum(p.value for p in retries) == 1
    assert found["flowgen.cost"].data.data_points[0].value > 0


def test_redacted_fields_never_reach_spans(virtual):
    error = ProviderError("client_error", "rejected prompt for jane@corp.example", status=400)
    provider = ScriptedProvider({"a": Behaviour(0.1, errors=[error]), "b": Behaviour(0.1)})
    engine, spans, _ = traced(provider, capture=True)
    run(virtual, engine)
    dumped = "\n".join(s.to_json() for s in spans.get_finished_spans())
    assert "jane@corp.example" not in dumped
    assert "[redacted]" in dumped  # the prompt content and the error message were scrubbed, not dropped
    inputs = [s.attributes.get("gen_ai.input.messages") for s in spans.get_finished_spans()]
    assert any(i and "my invoice is wrong" in json.loads(i)[0]["parts"][0]["content"] for i in inputs)


def test_for_flow_without_exporters_is_none_and_jsonl_file_is_written(tmp_path, virtual):
    flow = flow_from(FLOW)
    assert Telemetry.for_flow(flow, environ={}) is None
    notes: list[str] = []
    otlp = flow_from(FLOW.replace("observability: {", "observability: {tracing: {exporter: otlp}, "))
    assert Telemetry.for_flow(otlp, environ={}, notes=notes) is None
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in notes[0]
    path = tmp_path / "spans.jsonl"
    telemetry = Telemetry.for_flow(flow, trace_path=path, environ={})
    engine = Engine(flow, provider=ScriptedProvider(), base_dir=".", telemetry=telemetry)
    run(virtual, engine)
    telemetry.shutdown()
    names = [json.loads(line)["name"] for line in path.read_text().splitlines()]
    assert "invoke_workflow traced" in names and "chat gpt-4o-mini" in names
