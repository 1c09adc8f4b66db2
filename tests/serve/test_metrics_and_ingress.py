"""`flowgen serve`: `/metrics` scraped over real HTTP, the ingress rate limit, and `--insecure`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from copilot.errors import FlowgenError
from copilot.serve.app import ServeOptions, Server
from tests.serve.conftest import ROOT, signed, wait_for
from tests.serve.test_serve_http import post

LIMITED = Path(__file__).resolve().parent / "limited"


def scrape(server) -> dict:
    response = httpx.get(server.url + "/metrics", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def samples(family, suffix: str, **labels: str) -> list:
    return [
        s
        for s in family.samples
        if s.name == family.name + suffix and all(s.labels.get(k) == v for k, v in labels.items())
    ]


def test_metrics_has_http_requests_by_status_and_the_engines_genai_histograms(serve, sink):
    server = serve()
    for i in range(3):
        assert post(server, {"id": f"m-{i}", "text": "hello"}).status_code == 200
    body, _ = signed({"id": "m-x", "text": "x"})
    unsigned = httpx.post(
        server.url + "/hooks/sink", content=body, headers={"content-type": "application/json"}
    )
    assert unsigned.status_code == 401
    assert httpx.get(server.url + "/no/such/route").status_code == 404
    wait_for(lambda: sink.count("/archive") == 3, what="async steps")

    families = scrape(server)
    http = families["http_server_request_duration_seconds"]
    assert http.type == "histogram"
    route = {"http_route": "/hooks/sink", "http_request_method": "POST"}
    ok = samples(http, "_count", **route, http_response_status_code="200")
    refused = samples(http, "_count", **route, http_response_status_code="401")
    assert [s.value for s in ok] == [3.0] and [s.value for s in refused] == [1.0]
    unknown = samples(http, "_count", http_route="other", http_response_status_code="404")
    assert [s.value for s in unknown] == [1.0]  # an unserved path is one label value, not many
    buckets = samples(http, "_bucket", **route, http_response_status_code="200")
    assert {s.labels["le"] for s in buckets} >= {"0.005", "0.1", "10.0", "+Inf"}
    assert max(s.value for s in buckets) == 3.0  # the +Inf bucket holds every request
    assert samples(http, "_sum", **route, http_response_status_code="200")[0].value > 0

    chat = families["gen_ai_client_operation_duration_seconds"]
    assert chat.type == "histogram"
    chat_buckets = samples(chat, "_bucket", gen_ai_operation_name="chat", gen_ai_request_model="gpt-4o-mini")
    assert {s.labels["le"] for s in chat_buckets} >= {"0.01", "0.64", "81.92", "+Inf"}  # the GenAI advice
    assert max(s.value for s in chat_buckets) == 3.0  # one model call per delivered event
    assert "gen_ai_client_token_usage" in families
    events = samples(families["flowgen_events"], "_total", flowgen_flow="serve-sink")
    assert [s.value for s in events] == [3.0]

    again = scrape(server)  # a second scrape also counts the first one
    metrics_route = {"http_route": "/metrics", "http_response_status_code": "200"}
    seen = samples(again["http_server_request_duration_seconds"], "_count", **metrics_route)
    assert [s.value for s in seen] == [1.0]


def test_the_ingress_rate_limit_answers_429_with_retry_after(serve):
    server = serve(LIMITED / "rate-limited.yaml")
    answers = []
    for i in range(4):
        body, headers = signed({"text": f"event {i}"})
        answers.append(httpx.post(server.url + "/hooks/limited", content=body, headers=headers, timeout=30))
    assert [r.status_code for r in answers] == [200, 200, 429, 429]
    limited = answers[2]
    assert limited.json() == {"error": "rate limit exceeded"}
    assert limited.headers["retry-after"] == "30"  # 2 a minute: one more every 30 s
    families = scrape(server)
    http = families["http_server_request_duration_seconds"]
    assert [s.value for s in samples(http, "_count", http_response_status_code="429")] == [2.0]


def test_a_flow_without_auth_needs_insecure_off_loopback(tmp_path):
    command = [
        sys.executable, "-m", "copilot", "serve", str(LIMITED / "open.yaml"),
        "--host", "0.0.0.0", "--state-dir", str(tmp_path),
    ]  # fmt: skip
    refused = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "--insecure" in refused.stderr, refused.stderr

    open_flow = [str(LIMITED / "open.yaml")]
    with pytest.raises(FlowgenError, match="without --insecure"):
        Server(ServeOptions(flows=open_flow, host="10.0.0.1", state_dir=str(tmp_path)))
    for allowed in (
        ServeOptions(flows=open_flow, host="0.0.0.0", insecure=True, state_dir=str(tmp_path)),
        ServeOptions(flows=open_flow, host="::1", state_dir=str(tmp_path)),
        ServeOptions(flows=open_flow, state_dir=str(tmp_path)),  # 127.0.0.1
    ):
        assert [s.name for s in Server(allowed).served] == ["serve-open"]


def test_insecure_serves_a_flow_without_auth_on_every_interface(serve):
    server = serve(LIMITED / "open.yaml", args=["--host", "0.0.0.0", "--insecure"])
    answer = httpx.post(server.url + "/hooks/open", json={"text": "hello"}, timeout=30)  # unsigned
    assert answer.status_code == 200 and answer.json() == {"ok": True}


def test_the_tallies_render_what_the_opentelemetry_sdk_would():
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.semconv.metrics import http_metrics
    from prometheus_client import CollectorRegistry, generate_latest

    from copilot.run.telemetry import Telemetry
    from copilot.serve.metrics import HTTP_DURATION_BUCKETS, ServeMetrics

    registry = CollectorRegistry(auto_describe=True)
    sdk = Telemetry(metric_readers=[PrometheusMetricReader(registry=registry)], service_name="flowgen-serve")
    sdk_http = sdk.meter_provider.get_meter("flowgen.serve").create_histogram(
        http_metrics.HTTP_SERVER_REQUEST_DURATION,
        unit="s",
        description="Duration of HTTP server requests.",
        explicit_bucket_boundaries_advisory=HTTP_DURATION_BUCKETS,
    )
    served = ServeMetrics()
    chat = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "m"}
    for telemetry, http in ((sdk, sdk_http), (served.telemetry, served.request_duration)):
        for value in (0.004, 0.01, 0.3, 99.0):  # inside, on a bound, between, above them all
            telemetry.operation_duration.record(value, {**chat, "gen_ai.response.model": "m-1"})
        telemetry.operation_duration.record(0.2, {**chat, "error.type": "timeout"})
        telemetry.token_usage.record(12, {**chat, "gen_ai.token.type": "input"})
        telemetry.token_usage.record(4, {**chat, "gen_ai.token.type": "output"})
        telemetry.token_usage.record(64, {"gen_ai.token.type": "output", **chat})  # same set, other order
        telemetry.count("events", 1, {"flowgen.flow": "f"})
        telemetry.count("events", 2, {"flowgen.flow": "f"})
        telemetry.count("cost", 0.000162, {"gen_ai.request.model": "m"})
        telemetry.count("retries", 1, {"flowgen.step.id": "a", "flowgen.attempt": 2})  # not a string
        route = {"http.request.method": "POST", "http.route": "/x", "http.response.status_code": 200}
        http.record(0.004, route)

    def families(text: str) -> dict:
        return {
            family.name: (
                family.type,
                family.documentation,
                family.unit,
                sorted((s.name, sorted(s.labels.items()), s.value) for s in family.samples),
            )
            for family in text_string_to_metric_families(text)
        }

    expected = families(generate_latest(registry).decode())
    got = families(served.render()[0].decode())
    assert {"gen_ai_client_operation_duration_seconds", "flowgen_cost_USD", "target_info"} <= set(expected)
    assert set(got) == set(expected)
    for name in expected.keys() - {"target_info"}:  # target_info: another instance id
        assert got[name] == expected[name], name
