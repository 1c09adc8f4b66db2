"""`/metrics` of `flowgen serve`: the engine's metrics and the server's HTTP metrics, for Prometheus.

The engine's metrics are the ones `run` exports (`copilot.run.telemetry.Telemetry`: the
GenAI histograms `gen_ai.client.operation.duration` and `gen_ai.client.token.usage`, the
`flowgen.*` counters). The server builds one `Telemetry` per process, shared by every
flow's engine (`flowgen.events` carries the flow's name), with one PrometheusMetricReader
(opentelemetry-exporter-prometheus, as `copilot.run.export` uses for
`observability.metrics: {exporter: prometheus}`) registered on the server's own
prometheus_client registry, not the process-wide one: `/metrics` renders that registry
with `generate_latest`, on the app's own port, and no second HTTP server is started.

HTTP: `http.server.request.duration` (OpenTelemetry's HTTP semantic conventions: seconds,
the convention's advised buckets) per `http.request.method`, `http.route` and
`http.response.status_code`, recorded by an ASGI middleware around every request, probes
and refusals included (a 405 never reaches an endpoint). Its `_count` series is the
request count by route and status. A path no route serves is `http.route="other"`, so a
scanner cannot grow the label set.

With `--workers N` each worker process keeps its own registry, and a scrape is answered
by whichever worker takes the connection: sum over scrapes, or run one worker per port.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from opentelemetry.semconv.attributes import http_attributes
from opentelemetry.semconv.metrics import http_metrics

# The bucket boundaries the HTTP metric conventions advise for request durations (seconds).
HTTP_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
OTHER_ROUTE = "other"


class ServeMetrics:
    """The telemetry every engine of this server records into, and the registry `/metrics` shows."""

    def __init__(self) -> None:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import CollectorRegistry

        from copilot.run.telemetry import Telemetry

        self.registry = CollectorRegistry(auto_describe=True)
        self.telemetry = Telemetry(
            metric_readers=[PrometheusMetricReader(registry=self.registry)], service_name="flowgen-serve"
        )
        meter = self.telemetry.meter_provider.get_meter("flowgen.serve")
        self.request_duration = meter.create_histogram(
            http_metrics.HTTP_SERVER_REQUEST_DURATION,
            unit="s",
            description="Duration of HTTP server requests.",
            explicit_bucket_boundaries_advisory=HTTP_DURATION_BUCKETS,
        )

    def render(self) -> tuple[bytes, str]:
        """The registry in Prometheus' text format, and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def middleware(self, routes: Iterable[str]) -> type:
        """An ASGI middleware class (for `starlette.middleware.Middleware`) timing every request."""
        known = frozenset(routes)
        record = self.request_duration.record
        method_key = http_attributes.HTTP_REQUEST_METHOD
        route_key = http_attributes.HTTP_ROUTE
        status_key = http_attributes.HTTP_RESPONSE_STATUS_CODE

        class RequestMetrics:
            def __init__(self, app: Any) -> None:
                self.app = app

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                if scope["type"] != "http":
                    await self.app(scope, receive, send)
                    return
                started = time.perf_counter()
                status = 500  # what the client sees when the app raises before it answers

                async def timed_send(message: Any) -> None:
                    nonlocal status
                    if message["type"] == "http.response.start":
                        status = message["status"]
                    await send(message)

                try:
                    await self.app(scope, receive, timed_send)
                finally:
                    path = scope["path"]
                    record(
                        time.perf_counter() - started,
                        {
                            method_key: scope["method"],
                            route_key: path if path in known else OTHER_ROUTE,
                            status_key: status,
                        },
                    )

        return RequestMetrics

    def shutdown(self) -> None:
        self.telemetry.shutdown()
