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

The names, units and label names are the exporter's, learnt from its public
`PrometheusMetricReader` (one probe measurement per instrument at start-up, per new
attribute key at a scrape), not copied from its private naming module.

The measurements themselves do not go through the OpenTelemetry SDK: each instrument the
engines and the middleware record into is a `Tally` (put in place of the `Telemetry`'s SDK
instruments, which keep their names, units and descriptions), which keeps sums and bucket
counts by attribute set and is rendered by a collector on the same registry as the
exporter renders the SDK's data: the same names, units, labels (the `otel_scope_*` ones
too), buckets and `target_info`. Why not the SDK: its `record` costs ~10 µs (a
measurement object, attribute hashing, view matching, a lock) and a served event records
about 13 measurements, a sixth of a delivery's CPU (bench/README.md, "Serve"); a tally's
costs ~1 µs. `tests/serve/test_metrics_and_ingress.py` records the same measurements both
ways and compares the parsed output. The exporter stays registered for anything that
still records through the SDK.
"""

from __future__ import annotations

import json
import threading
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from opentelemetry.semconv.attributes import http_attributes
from opentelemetry.semconv.metrics import http_metrics

# The bucket boundaries the HTTP metric conventions advise for request durations (seconds).
HTTP_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
OTHER_ROUTE = "other"
SERVICE_NAME = "flowgen-serve"


class ServeMetrics:
    """The telemetry every engine of this server records into, and the registry `/metrics` shows."""

    def __init__(self) -> None:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import CollectorRegistry

        from copilot.run.telemetry import Telemetry

        self.registry = CollectorRegistry(auto_describe=True)
        # The exporter renders what still goes through the SDK (nothing, today); `target_info`
        # comes from the tallies' collector, which is there whether or not the SDK has data.
        reader = PrometheusMetricReader(registry=self.registry, disable_target_info=True)
        self.telemetry = Telemetry(metric_readers=[reader], service_name=SERVICE_NAME)
        meter = self.telemetry.meter_provider.get_meter("flowgen.serve")
        http = meter.create_histogram(
            http_metrics.HTTP_SERVER_REQUEST_DURATION,
            unit="s",
            description="Duration of HTTP server requests.",
            explicit_bucket_boundaries_advisory=HTTP_DURATION_BUCKETS,
        )
        self.tallies = tally_instruments(self.telemetry)
        self.request_duration = Tally(http, "flowgen.serve", HTTP_DURATION_BUCKETS)
        self.tallies.append(self.request_duration)
        self.registry.register(TallyCollector(self.tallies, target_info(SERVICE_NAME)))

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


class Tally:
    """One instrument's measurements in this process: by attribute set, a sum (counter) or
    a sum and bucket counts (histogram, `bounds`), shown as the OpenTelemetry exporter
    shows the SDK's (see the module docstring). `record` and `add` take the SDK's arguments.
    """

    __slots__ = ("bounds", "description", "lock", "name", "points", "scope", "unit")

    def __init__(self, instrument: Any, scope: str, bounds: Sequence[float] | None = None) -> None:
        # The name and unit the exporter writes for this instrument, learnt from the exporter.
        self.name, self.unit = exporter_name(instrument.name, instrument.unit or "", bounds is not None)
        self.description = instrument.description or ""
        self.scope = scope
        self.bounds = None if bounds is None else tuple(bounds)
        self.points: dict[tuple[tuple[str, Any], ...], Any] = {}
        self.lock = threading.Lock()

    def record(self, value: float, attributes: Any = None, context: Any = None) -> None:
        """A histogram measurement (bucket i holds bounds[i-1] < value <= bounds[i], as the SDK's)."""
        bounds = self.bounds
        assert bounds is not None
        # The attributes' sorted items are the key (`point_key`) unless a value is a list.
        key = tuple(sorted(attributes.items())) if attributes else ()
        with self.lock:
            try:
                point = self.points.get(key)
            except TypeError:  # a list value: unhashable
                key = point_key(attributes)
                point = self.points.get(key)
            if point is None:
                point = self.points[key] = [0, [0] * (len(bounds) + 1)]
            point[0] += value
            point[1][bisect_left(bounds, value)] += 1

    def add(self, value: float, attributes: Any = None, context: Any = None) -> None:
        """A counter increment."""
        key = tuple(sorted(attributes.items())) if attributes else ()
        with self.lock:
            points = self.points
            try:
                points[key] = points.get(key, 0) + value
            except TypeError:  # a list value: unhashable
                key = point_key(attributes)
                points[key] = points.get(key, 0) + value

    def family(self) -> Any:
        """The prometheus_client metric family, or None before the first measurement."""
        from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

        with self.lock:
            points = [(key, value if self.bounds is None else (value[0], list(value[1])))
                      for key, value in self.points.items()]  # fmt: skip
        if not points:
            return None
        scope = (("otel_scope_name", self.scope), ("otel_scope_version", ""), ("otel_scope_schema_url", ""))
        rows = [label_values(scope + key) for key, _ in points]
        names = sorted({name for row in rows for name in row})
        if self.bounds is None:
            counter = CounterMetricFamily(self.name, self.description, labels=names, unit=self.unit)
            for row, (_, total) in zip(rows, points, strict=True):
                counter.add_metric([row.get(name, "") for name in names], total)
            return counter
        histogram = HistogramMetricFamily(self.name, self.description, labels=names, unit=self.unit)
        for row, (_, (total, counts)) in zip(rows, points, strict=True):
            buckets, seen = [], 0
            for bound, count in zip([*self.bounds, "+Inf"], counts, strict=True):
                seen += count
                buckets.append((f"{bound}", seen))
            histogram.add_metric([row.get(name, "") for name in names], buckets, sum_value=total)
        return histogram


def point_key(attributes: Any) -> tuple[tuple[str, Any], ...]:
    """An attribute set as a key: the same set in any order is one point, as in the SDK."""
    if not attributes:
        return ()
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in attributes.items()))


def label_values(items: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Prometheus labels of attributes, named and written as the exporter does."""
    pairs = list(items)
    names = label_names([key for key, _ in pairs])
    return {
        names[key]: value if isinstance(value, str) else json.dumps(value, default=str)
        for key, value in pairs
    }


# The exporter's naming (OpenTelemetry's Prometheus compatibility rules: sanitised names,
# units mapped and appended, sanitised label names) is not a public function of
# opentelemetry-exporter-prometheus; its public `PrometheusMetricReader` applies it. So the
# names are learnt from the reader itself: a measurement through a throwaway SDK meter
# provider and reader, whose rendered family gives the name, unit and label names. Once per
# instrument at start-up, once per new attribute key at a scrape; never per measurement.
_LABEL_NAMES: dict[str, str] = {}
_LABEL_LOCK = threading.Lock()


def _probe(record: Any) -> Any:
    """The metric family the exporter renders for what `record(meter)` measures."""
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    provider = MeterProvider(
        metric_readers=[PrometheusMetricReader(registry=registry, disable_target_info=True)]
    )
    try:
        record(provider.get_meter("probe"))
        return next(iter(registry.collect()))
    finally:
        provider.shutdown()


def exporter_name(name: str, unit: str, histogram: bool) -> tuple[str, str]:
    """The metric name and unit the exporter gives an instrument's family."""

    def record(meter: Any) -> None:
        if histogram:
            meter.create_histogram(name, unit=unit).record(1.0)
        else:
            meter.create_counter(name, unit=unit).add(1)

    family = _probe(record)
    return family.name, family.unit


def label_names(keys: Iterable[str]) -> dict[str, str]:
    """The label name the exporter gives each attribute key."""
    keys = list(keys)
    with _LABEL_LOCK:
        unknown = sorted({key for key in keys if key not in _LABEL_NAMES})
        if unknown:
            _learn_labels(unknown)
        # Two keys the exporter writes as one label (`a.b`, `a_b`) share a probe's label:
        # each is learnt alone.
        for key in [key for key in unknown if key not in _LABEL_NAMES]:
            _learn_labels([key])
        return {key: _LABEL_NAMES[key] for key in keys}


def _learn_labels(keys: list[str]) -> None:
    marks = {f"probe-{n}": key for n, key in enumerate(keys)}
    attributes = {key: mark for mark, key in marks.items()}
    family = _probe(lambda meter: meter.create_counter("probe").add(1, attributes))
    for label, value in family.samples[0].labels.items():
        if value in marks:
            _LABEL_NAMES[marks[value]] = label


def target_info(service_name: str) -> Any:
    """The `target_info` family of the exporter: the resource's attributes as labels."""
    from opentelemetry.sdk.resources import Resource
    from prometheus_client.core import InfoMetricFamily

    labels = label_values(Resource.create({"service.name": service_name}).attributes.items())
    info = InfoMetricFamily("target", "Target metadata", labels=labels)
    info.add_metric(labels=list(labels), value=labels)
    return info


class TallyCollector:
    """`target_info` and the tallies' families, for a prometheus_client registry."""

    def __init__(self, tallies: list[Tally], info: Any) -> None:
        self.tallies = tallies
        self.info = info

    def collect(self) -> Iterator[Any]:
        yield self.info
        for tally in self.tallies:
            family = tally.family()
            if family is not None:
                yield family


def tally_instruments(telemetry: Any) -> list[Tally]:
    """Put tallies in place of a `Telemetry`'s SDK instruments (its histograms and counters)."""
    from copilot.run.telemetry import OPERATION_DURATION_BUCKETS, TOKEN_USAGE_BUCKETS

    scope = "flowgen.run"  # the meter `Telemetry` creates its instruments on
    telemetry.operation_duration = Tally(telemetry.operation_duration, scope, OPERATION_DURATION_BUCKETS)
    telemetry.token_usage = Tally(telemetry.token_usage, scope, TOKEN_USAGE_BUCKETS)
    telemetry.counters = {name: Tally(counter, scope) for name, counter in telemetry.counters.items()}
    return [telemetry.operation_duration, telemetry.token_usage, *telemetry.counters.values()]
