"""Metrics and spans as the outside world reads them (issue 12).

Prometheus: `flowgen test` is scraped while it runs and the page is parsed with
prometheus_client's own text parser. OTLP: a loopback receiver decodes what `flowgen run`
sends with opentelemetry-proto, as a collector would. Then sampling, the GenAI registry's
provider names and the request model actually sent.
"""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from copilot.run.engine import Engine
from copilot.run.telemetry import (
    GENAI_PROVIDER_NAMES,
    OPERATION_DURATION_BUCKETS,
    TOKEN_USAGE_BUCKETS,
    Telemetry,
    genai_provider_name,
)

from .conftest import ROOT, ScriptedProvider, flow_from

# The flow every test here runs: one model step on the hot path, one async, sim provider.
FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: metered
trigger: {{type: webhook, path: /m, example: {{body: "where is my order?"}}}}
models:
  fast: {{use: openai/gpt-4o-mini}}
  summary: {{use: google/gemini-2.5-flash}}
steps:
  - {{id: classify, type: model, model: fast, prompt: {{user: "{{{{ event.body }}}}"}}, timeout: 5s}}
  - {{id: summarize, type: model, model: summary, mode: async, needs: [classify],
     prompt: {{user: "{{{{ event.body }}}}"}}, timeout: 5s}}
respond: {{needs: [classify], body: ok}}
observability:
{observability}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flowgen(*args: str) -> list[str]:
    return [sys.executable, "-m", "copilot", *args]


def clean_env() -> dict[str, str]:
    """The environment of a child flowgen: this checkout first, no OTEL_* of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# ---------------------------------------------------------------------------- Prometheus


def test_prometheus_endpoint_serves_genai_histograms_and_counters_during_flowgen_test(tmp_path):
    from prometheus_client.parser import text_string_to_metric_families

    port = free_port()
    flow = tmp_path / "metered.yaml"
    flow.write_text(FLOW.format(observability=f"  metrics: {{exporter: prometheus, port: {port}}}"))
    # 20 s of load at most: the test stops it as soon as the page shows what it needs.
    command = flowgen("test", str(flow), "--events", "400", "--rate", "20/s")
    child = subprocess.Popen(
        command, cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    families: dict = {}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.5)
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
            except (urllib.error.URLError, ConnectionError):
                continue
            families = {f.name: f for f in text_string_to_metric_families(page.decode())}
            duration = families.get("gen_ai_client_operation_duration_seconds")
            if duration is not None and "flowgen_events" in families:
                break
    finally:
        child.terminate()
        _, stderr = child.communicate(timeout=30)
    assert "gen_ai_client_operation_duration_seconds" in families, stderr
    duration = families["gen_ai_client_operation_duration_seconds"]
    assert duration.type == "histogram"
    buckets = [s for s in duration.samples if s.name.endswith("_bucket")]
    bounds = sorted({float(s.labels["le"]) for s in buckets} - {float("inf")})
    assert tuple(bounds) == OPERATION_DURATION_BUCKETS  # the GenAI convention's boundaries
    assert {s.labels["gen_ai_provider_name"] for s in buckets} <= {"openai", "gcp.gen_ai"}
    assert any(s.value > 0 for s in buckets)
    tokens = families["gen_ai_client_token_usage"]
    token_bounds = {float(s.labels["le"]) for s in tokens.samples if s.name.endswith("_bucket")}
    assert tuple(sorted(token_bounds - {float("inf")})) == TOKEN_USAGE_BUCKETS
    events = families["flowgen_events"]
    assert events.type == "counter"
    assert sum(s.value for s in events.samples if s.name == "flowgen_events_total") > 0


def test_a_taken_prometheus_port_is_one_line_not_a_traceback(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        flow = flow_from(FLOW.format(observability=f"  metrics: {{exporter: prometheus, port: {port}}}"))
        assert Telemetry.for_flow(flow, environ={}) is None  # nothing else to export
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"cannot serve Prometheus on 127.0.0.1:{port}" in err


# ---------------------------------------------------------------------------- OTLP


class Receiver:
    """An OTLP/HTTP receiver on 127.0.0.1 that keeps every decoded request by path."""

    def __init__(self) -> None:
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
            ExportMetricsServiceRequest,
        )
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        decoders = {"/v1/traces": ExportTraceServiceRequest, "/v1/metrics": ExportMetricsServiceRequest}
        received: dict[str, list] = {"/v1/traces": [], "/v1/metrics": []}
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                decoder = decoders.get(self.path)
                if decoder is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                message = decoder()
                message.ParseFromString(body)
                received[self.path].append(message)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_an_otlp_receiver_gets_traces_and_metrics_from_flowgen_run(tmp_path):
    with Receiver() as receiver:
        observability = (
            f"  tracing: {{exporter: otlp, endpoint: '{receiver.url}'}}\n"
            f"  metrics: {{exporter: otlp, endpoint: '{receiver.url}'}}"
        )
        flow = tmp_path / "metered.yaml"
        flow.write_text(FLOW.format(observability=observability))
        done = subprocess.run(
            flowgen("run", str(flow), "--instant"),
            cwd=tmp_path,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    spans = [
        span
        for request in receiver.received["/v1/traces"]
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    chats = {span.name: span for span in spans if span.name.startswith("chat ")}
    assert set(chats) == {"chat gpt-4o-mini", "chat gemini-2.5-flash"}
    attributes = {a.key: a.value.string_value for a in chats["chat gemini-2.5-flash"].attributes}
    assert attributes["gen_ai.provider.name"] == "gcp.gen_ai"
    assert attributes["gen_ai.request.model"] == "gemini-2.5-flash"
    metrics = {
        metric.name: metric
        for request in receiver.received["/v1/metrics"]
        for resource in request.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    duration = metrics["gen_ai.client.operation.duration"]
    points = duration.histogram.data_points
    assert {p.attributes[0].key for p in points}  # attributed points
    assert all(tuple(p.explicit_bounds) == OPERATION_DURATION_BUCKETS for p in points)
    assert sum(p.count for p in points) == 2  # one call per model step
    assert "gen_ai.client.token.usage" in metrics
    events = metrics["flowgen.events"].sum.data_points
    assert sum(p.as_int or p.as_double for p in events) == 1


def test_otlp_protocol_grpc_chooses_the_grpc_exporters_when_installed():
    pytest.importorskip("opentelemetry.exporter.otlp.proto.grpc")
    from copilot.run.export import metric_readers, otlp_span_exporter

    environ = {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
    metrics = flow_from(
        FLOW.format(observability="  metrics: {exporter: otlp, endpoint: 'http://127.0.0.1:4317'}")
    ).observability.metrics
    (reader,) = metric_readers(metrics, environ, [])
    spans = otlp_span_exporter("http://127.0.0.1:4317", environ, [])
    try:
        assert type(reader._exporter).__module__ == "opentelemetry.exporter.otlp.proto.grpc.metric_exporter"
        assert type(spans).__module__ == "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"
    finally:
        reader.shutdown()
        spans.shutdown()


# ---------------------------------------------------------------------------- sampling


def _run_once(virtual, engine) -> None:
    async def main():
        await engine.handle({"body": "where is my order?"})
        await engine.drain()

    virtual(main())


@pytest.mark.parametrize(("ratio", "expect_spans"), [(0, False), (1, True)])
def test_sample_ratio_is_honoured_by_the_sampler(tmp_path, virtual, ratio, expect_spans):
    observability = f"  tracing: {{exporter: jsonl, path: spans.jsonl, sample_ratio: {ratio}}}"
    flow = flow_from(FLOW.format(observability=observability))
    telemetry = Telemetry.for_flow(flow, base_dir=tmp_path, environ={})
    assert telemetry is not None
    memory = InMemorySpanExporter()
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    telemetry.tracer_provider.add_span_processor(SimpleSpanProcessor(memory))
    _run_once(virtual, Engine(flow, provider=ScriptedProvider(), base_dir=tmp_path, telemetry=telemetry))
    telemetry.shutdown()
    written = (tmp_path / "spans.jsonl").read_text() if (tmp_path / "spans.jsonl").exists() else ""
    assert bool(memory.get_finished_spans()) is expect_spans
    assert bool(written.strip()) is expect_spans


# ---------------------------------------------------------------------------- GenAI names


def test_provider_names_are_the_genai_registry_values():
    from opentelemetry.semconv._incubating.attributes.gen_ai_attributes import GenAiProviderNameValues

    from copilot.catalog import default_catalog

    registry = {member.value for member in GenAiProviderNameValues}
    assert set(GENAI_PROVIDER_NAMES.values()) <= registry
    catalog_providers = {profile.provider for profile in default_catalog().models.values()}
    assert {genai_provider_name(p) for p in catalog_providers} <= registry
    assert genai_provider_name("google") == "gcp.gen_ai"
    assert genai_provider_name("mistral") == "mistral_ai"
    assert genai_provider_name("my-gateway") == "my-gateway"  # a custom value passes through


def test_the_span_names_the_model_sent_not_the_catalog_model(virtual):
    memory = InMemorySpanExporter()
    telemetry = Telemetry(span_exporters=[memory], model_override="llama-3.1-8b-instruct")
    flow = flow_from(FLOW.format(observability="  redact: []"))
    _run_once(virtual, Engine(flow, provider=ScriptedProvider(), base_dir=".", telemetry=telemetry))
    chats = [s for s in memory.get_finished_spans() if s.attributes.get("gen_ai.operation.name") == "chat"]
    assert chats
    for span in chats:
        assert span.name == "chat llama-3.1-8b-instruct"
        assert span.attributes["gen_ai.request.model"] == "llama-3.1-8b-instruct"
