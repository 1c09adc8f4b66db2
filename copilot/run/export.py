"""Where the engine's telemetry goes: OTLP endpoints (HTTP or gRPC), the Prometheus scrape
endpoint, and the metric readers a flow's `observability.metrics` asks for.

`copilot.run.telemetry` builds the tracer and meter; this module only chooses and builds
exporters, so each exporter package is imported when a flow asks for it and not before.

- OTLP: the flow's `endpoint` (`${env:…}` resolved), else the standard variables
  (`OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, `OTEL_EXPORTER_OTLP_ENDPOINT`). The protocol is
  the standard `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`:
  `http/protobuf` (the default, `/v1/traces` or `/v1/metrics` goes on the path) or `grpc`
  (the `flowgen[grpc]` extra). Metrics leave through a PeriodicExportingMetricReader that
  the meter provider's shutdown flushes, so a one-event `run` exports them too.
- Prometheus: a PrometheusMetricReader (opentelemetry-exporter-prometheus) on
  prometheus_client's HTTP server, started once per address and served for the rest of
  the process. It binds 127.0.0.1 unless `OTEL_EXPORTER_PROMETHEUS_HOST` says otherwise;
  the port is the flow's `metrics.port`, else `OTEL_EXPORTER_PROMETHEUS_PORT`, else 9464.
  A port in use is one line on stderr, and the run goes on without the endpoint.
"""

from __future__ import annotations

import sys
from typing import Any

from copilot.flow.units import resolve_env

PROMETHEUS_HOST = "127.0.0.1"
PROMETHEUS_PORT = 9464  # the OpenTelemetry Prometheus exporter's default (copilot.policy.METRICS_PORT)

# prometheus_client HTTP servers of this process, by (host, port): one per address, kept
# for the life of the process (a `test --compare` runs two engines on the same port).
_SERVERS: dict[tuple[str, int], Any] = {}


def signal_url(endpoint: str, signal: str) -> str:
    """The OTLP/HTTP URL of one signal (`traces`, `metrics`): `/v1/{signal}` goes on the path,
    before a query.

    `https://otel.example.com/?token=X` becomes `https://otel.example.com/v1/traces?token=X`.
    """
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(endpoint)
    path = parts.path.rstrip("/")
    if not path.endswith(f"/v1/{signal}"):
        path += f"/v1/{signal}"
    return urlunsplit(parts._replace(path=path))


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL of `endpoint` (see signal_url)."""
    return signal_url(endpoint, "traces")


def otlp_protocol(signal: str, environ: dict[str, str]) -> str:
    """`grpc` or `http/protobuf`, from the standard OTEL_EXPORTER_OTLP_*PROTOCOL variables."""
    value = environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL") or environ.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
    )
    return "grpc" if value.strip().lower() == "grpc" else "http/protobuf"


def resolve_endpoint(
    configured: str | None, signal: str, environ: dict[str, str], notes: list[str] | None
) -> str:
    """The OTLP endpoint of a flow's block, or "" (with a note) when its variable is unset."""
    endpoint = configured or (
        f"${{env:OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT}}"
        if environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT")
        else "${env:OTEL_EXPORTER_OTLP_ENDPOINT}"
    )
    block = "tracing" if signal == "traces" else "metrics"
    try:
        return resolve_env(endpoint, environ)
    except KeyError as exc:
        if notes is not None:
            what = "spans are" if signal == "traces" else "metrics are"
            extra = ", or pass --trace FILE" if signal == "traces" else ""
            notes.append(
                f"{block}: {what} not exported; set {exc.args[0]} (the flow's "
                f"observability.{block}.endpoint) to send them to a collector{extra}"
            )
        return ""


def otlp_span_exporter(url: str, environ: dict[str, str], notes: list[str] | None) -> Any | None:
    """An OTLP span exporter for `url` over the configured protocol (None: gRPC not installed)."""
    if otlp_protocol("traces", environ) == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        except ImportError:
            _grpc_missing("tracing", notes)
            return None
        hide_in_exporter_logs(url)
        return OTLPSpanExporter(endpoint=url)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter

    url = signal_url(url, "traces")
    hide_in_exporter_logs(url)
    return HttpSpanExporter(endpoint=url)


def metric_readers(metrics: Any, environ: dict[str, str], notes: list[str] | None) -> list[Any]:
    """The metric readers of a flow's `observability.metrics` block (none for None or `none`)."""
    if metrics is None or metrics.exporter == "none":
        return []
    if metrics.exporter == "prometheus":
        return prometheus_readers(metrics.port, environ)
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    if metrics.exporter == "console":
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

        return [PeriodicExportingMetricReader(ConsoleMetricExporter(out=sys.stderr))]
    url = resolve_endpoint(metrics.endpoint, "metrics", environ, notes)
    if not url:
        return []
    if otlp_protocol("metrics", environ) == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        except ImportError:
            _grpc_missing("metrics", notes)
            return []
        hide_in_exporter_logs(url)
        return [PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=url))]
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
        OTLPMetricExporter as HttpMetricExporter,
    )

    url = signal_url(url, "metrics")
    hide_in_exporter_logs(url)
    return [PeriodicExportingMetricReader(HttpMetricExporter(endpoint=url))]


def prometheus_readers(port: int | None, environ: dict[str, str]) -> list[Any]:
    """A PrometheusMetricReader served on host:port, or none when the port cannot be bound."""
    host = environ.get("OTEL_EXPORTER_PROMETHEUS_HOST") or PROMETHEUS_HOST
    if port is None:
        try:
            port = int(environ.get("OTEL_EXPORTER_PROMETHEUS_PORT") or PROMETHEUS_PORT)
        except ValueError:
            port = PROMETHEUS_PORT
    if not serve_prometheus(host, port):
        return []
    from opentelemetry.exporter.prometheus import PrometheusMetricReader

    return [PrometheusMetricReader()]


def serve_prometheus(host: str, port: int) -> bool:
    """Serve prometheus_client's default registry on host:port for the rest of the process.

    Idempotent per address. False, after one line on stderr, when the address is taken.
    """
    if (host, port) in _SERVERS:
        return True
    from prometheus_client import start_http_server

    try:
        _SERVERS[(host, port)] = start_http_server(port, addr=host)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        sys.stderr.write(
            f"flowgen: metrics: cannot serve Prometheus on {host}:{port} ({reason}); metrics are not "
            "served. Free the port, or set observability.metrics.port or OTEL_EXPORTER_PROMETHEUS_PORT\n"
        )
        return False
    return True


def _grpc_missing(block: str, notes: list[str] | None) -> None:
    line = (
        f"{block}: OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs the gRPC exporter "
        "(pip install 'flowgen[grpc]'); nothing is exported"
    )
    if notes is not None:
        notes.append(line)
    else:
        sys.stderr.write(f"flowgen: {line}\n")


# The loggers the OTLP exporters report failures on (their retry warnings quote the error,
# and a connection error quotes the URL).
_EXPORTER_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.exporter.otlp.common.http",
    "opentelemetry.sdk._shared_internal",
    "opentelemetry.sdk.trace.export",
    "opentelemetry.sdk.metrics._internal.export",
    "urllib3.connectionpool",  # its debug lines quote the request line, query included
)


class _HideSecrets:
    """A logging filter that replaces an endpoint's query string and password in messages."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()

    def filter(self, record: Any) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own handling
            return True
        hidden = message
        for secret in sorted(self.secrets, key=len, reverse=True):
            hidden = hidden.replace(secret, "[redacted]")
        if hidden != message:
            record.msg, record.args = hidden, None
        return True


_HIDE = _HideSecrets()


def hide_in_exporter_logs(url: str) -> None:
    """Keep the query string (tokens) and password of `url` out of the exporters' log lines."""
    import logging
    from urllib.parse import quote, urlsplit

    parts = urlsplit(url)
    for secret in (parts.query, parts.password):
        if secret and len(secret) >= 4:
            _HIDE.secrets.update({secret, quote(secret, safe="")})
    for name in _EXPORTER_LOGGERS:
        logger = logging.getLogger(name)
        if _HIDE not in logger.filters:
            logger.addFilter(_HIDE)
