"""OpenTelemetry for the engine: one trace per event, GenAI spans and metrics.

Span `invoke_workflow {flow}` per event; under it one `step {id}` span per step, and under
a model step one `chat {model}` span per call, with the GenAI semantic-convention
attributes. A `respond` span covers arrival to response, so the hot path's length is
visible next to async work. Span times come from the engine's clock (the event loop's),
so traces of a virtual-time test are exact.

Redaction: the values of the event fields listed in `observability.redact` are replaced
by `[redacted]` in every attribute the engine sets, error messages included.

Metrics: `gen_ai.client.operation.duration` and `gen_ai.client.token.usage` with the
convention's bucket boundaries, and the `flowgen.*` counters, read by the readers the
flow's `observability.metrics` asks for (copilot.run.export: OTLP or Prometheus).
Sampling: `observability.tracing.sample_ratio` is the SDK's
ParentBased(TraceIdRatioBased(ratio)) sampler; an unsampled event costs no span work.
Names: `gen_ai.provider.name` is the GenAI registry's well-known value of the catalog's
provider (GENAI_PROVIDER_NAMES), and `gen_ai.request.model` is the model sent (a
`--model-override` included).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider, sampling
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics
from opentelemetry.semconv.attributes import error_attributes
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from copilot.errors import FlowgenError
from copilot.run.export import metric_readers as readers_for
from copilot.run.export import otlp_span_exporter, resolve_endpoint
from copilot.run.export import traces_url as traces_url  # re-exported: the URL rule's old home
from copilot.run.redact import Redactor, redacted_values

# Bucket boundaries the GenAI metric conventions prescribe (they are advice in the spec,
# not constants in the Python package).
OPERATION_DURATION_BUCKETS = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
TOKEN_USAGE_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip

GEN_AI_PROVIDER_NAME = getattr(gen_ai, "GEN_AI_PROVIDER_NAME", "gen_ai.provider.name")
ERROR_TYPE = error_attributes.ERROR_TYPE

# The catalog's provider ids (`use: google/gemini-2.5-flash`) as the GenAI registry's
# well-known `gen_ai.provider.name` values. `google` alone does not say which endpoint
# (Gemini API or Vertex AI), so it is the registry's "any Google generative AI endpoint".
GENAI_PROVIDER_NAMES = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "gcp.gen_ai",
    "gemini": "gcp.gemini",
    "vertex": "gcp.vertex_ai",
    "vertex_ai": "gcp.vertex_ai",
    "mistral": "mistral_ai",
    "mistral_ai": "mistral_ai",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "groq": "groq",
    "xai": "x_ai",
    "x_ai": "x_ai",
    "perplexity": "perplexity",
    "bedrock": "aws.bedrock",
    "aws": "aws.bedrock",
    "azure": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "azure_ai_inference": "azure.ai.inference",
    "watsonx": "ibm.watsonx.ai",
    "ibm": "ibm.watsonx.ai",
}


def genai_provider_name(provider: str) -> str:
    """The registry's `gen_ai.provider.name` of a catalog provider; others pass through as is."""
    return GENAI_PROVIDER_NAMES.get(provider.lower(), provider)


class JsonLinesSpanExporter(SpanExporter):
    """Spans as JSON lines (OpenTelemetry's own JSON form of each span).

    By default the file is written once, atomically, at shutdown (a `run` never leaves a
    half-written trace); `streaming=True` appends as spans end (for `serve`). `append=True`
    (the flow's own `observability.tracing.path`, which the flow file chooses) adds the
    lines at shutdown to an existing span file and never replaces anything else: the
    trust boundary (copilot.flow.trust) is checked again right before writing.
    """

    def __init__(self, path: str | Path, *, streaming: bool = False, append: bool = False) -> None:
        self.path = Path(path)
        self.streaming = streaming
        self.append = append
        self._lines: list[str] = []
        self._file: Any = None
        if streaming:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = [json.dumps(json.loads(span.to_json(indent=None)), separators=(",", ":")) for span in spans]
        if self._file is not None:
            self._file.write("".join(line + "\n" for line in lines))
            self._file.flush()
        else:
            self._lines.extend(lines)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            return
        text = "".join(line + "\n" for line in self._lines)
        if self.append:
            from copilot.flow.trust import SPAN_KEYS, existing_file_problem

            problem = existing_file_problem(self.path, SPAN_KEYS, "span")
            if problem is not None:
                raise FlowgenError(f"observability.tracing.path: {problem}")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(text)
            return
        from copilot.flow.dump import write_atomic

        write_atomic(self.path, text)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class Telemetry:
    """Tracer and meter for one engine, with the flowgen counters and GenAI histograms."""

    def __init__(
        self,
        *,
        span_exporters: Sequence[SpanExporter] = (),
        batch_exporters: Sequence[SpanExporter] = (),
        metric_readers: Sequence[Any] = (),
        redact: Sequence[str] = (),
        capture_content: bool = False,
        service_name: str = "flowgen",
        sample_ratio: float = 1.0,
        model_override: str | None = None,
    ) -> None:
        resource = Resource.create({"service.name": service_name})
        # No span exporter (metrics only): no span is recorded, so none costs anything.
        ratio = sample_ratio if span_exporters or batch_exporters else 0.0
        sampler = sampling.ParentBased(sampling.TraceIdRatioBased(ratio))
        self.tracer_provider = TracerProvider(resource=resource, sampler=sampler)
        for exporter in span_exporters:
            self.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
        for exporter in batch_exporters:
            self.tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
        # Nothing exports spans (metrics only, as `flowgen serve`): a no-op tracer, since the
        # SDK's still samples, numbers and builds each unrecorded span (~5 µs each).
        exported = bool(span_exporters or batch_exporters)
        self.tracer = self.tracer_provider.get_tracer("flowgen.run") if exported else trace.NoOpTracer()
        self.meter_provider = MeterProvider(resource=resource, metric_readers=list(metric_readers))
        meter = self.meter_provider.get_meter("flowgen.run")
        self.operation_duration = meter.create_histogram(
            gen_ai_metrics.GEN_AI_CLIENT_OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=OPERATION_DURATION_BUCKETS,
        )
        self.token_usage = meter.create_histogram(
            gen_ai_metrics.GEN_AI_CLIENT_TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=TOKEN_USAGE_BUCKETS,
        )
        self.counters = {
            name: meter.create_counter(f"flowgen.{name}", unit=unit, description=text)
            for name, unit, text in (
                ("retries", "{retry}", "Calls retried after a failure."),
                ("fallbacks", "{fallback}", "Steps answered by a fallback model."),
                ("hedges_won", "{hedge}", "Hedged calls won by the hedge."),
                ("validation_failures", "{failure}", "Validate steps whose input failed a check."),
                ("cost", "USD", "Model spend in US dollars."),
                ("events", "{event}", "Events handled."),
                ("deadline_answers", "{event}", "Events answered with on_deadline."),
                ("dead_letters", "{event}", "Events written to the dead-letter file."),
                ("template_budget_exceeded", "{render}", "Renders stopped over their time or size budget."),
            )
        }
        self.redact_paths = list(redact)
        self.capture_content = capture_content
        self.model_override = model_override
        # Span times: the engine's clock is the event loop's (monotonic, maybe virtual);
        # spans need epoch nanoseconds. One anchor per engine keeps offsets exact.
        self._anchor: tuple[float, int] | None = None

    # ------------------------------------------------------------------ construction

    @classmethod
    def for_flow(
        cls,
        flow: Any,
        *,
        trace_path: str | Path | None = None,
        base_dir: Path | None = None,
        console: bool = False,
        environ: dict[str, str] | None = None,
        notes: list[str] | None = None,
        spans: bool = True,
        model_override: str | None = None,
    ) -> Telemetry | None:
        """Exporters as the flow's `observability.tracing` and `.metrics` say, plus `--trace FILE`.

        Returns None when nothing would be exported (the engine then skips all span work).
        An OTLP endpoint that references an unset variable is skipped with a note. A jsonl
        `path` is relative to `base_dir` (the flow file's folder; default the working
        directory) and must stay inside it (copilot.flow.trust): else a FlowgenError.
        `tracing.sample_ratio` chooses the traced events; `--trace FILE` and `console` ask
        for this run's trace, so they trace every event. `spans=False` (a load test's
        synthetic events) exports metrics only. `model_override` is the model name every
        call sends instead of the catalog's (`run --model-override`), for the spans.
        """
        import os

        environ = dict(os.environ) if environ is None else environ
        obs = flow.observability
        tracing = obs.tracing if obs is not None and spans else None
        simple: list[SpanExporter] = []
        batch: list[SpanExporter] = []
        if trace_path is not None:
            simple.append(JsonLinesSpanExporter(trace_path))
        if console or (tracing is not None and tracing.exporter == "console"):
            simple.append(ConsoleSpanExporter(out=sys.stderr))
        if tracing is not None and tracing.exporter == "jsonl" and tracing.path:
            from copilot.flow.trust import trace_file_problem

            base = Path.cwd() if base_dir is None else base_dir
            problem = trace_file_problem(tracing.path, base)
            if problem is not None:
                raise FlowgenError(problem)
            simple.append(JsonLinesSpanExporter(base / tracing.path, append=True))
        if tracing is not None and tracing.exporter == "otlp":
            url = resolve_endpoint(tracing.endpoint, "traces", environ, notes)
            exporter = otlp_span_exporter(url, environ, notes) if url else None
            if exporter is not None:
                batch.append(exporter)
        readers = readers_for(obs.metrics if obs is not None else None, environ, notes)
        if not simple and not batch and not readers:
            return None
        ratio = tracing.sample_ratio if tracing is not None else 1.0
        return cls(
            span_exporters=simple,
            batch_exporters=batch,
            metric_readers=readers,
            redact=obs.redact if obs is not None else (),
            sample_ratio=1.0 if trace_path is not None or console else ratio,
            model_override=model_override,
        )

    def request_model(self, profile: Any) -> str:
        """The model name a call of `profile` sends: the override, else the catalog's."""
        return self.model_override or profile.model

    def shutdown(self) -> None:
        """End both providers: spans still batched are sent, and every metric reader is
        collected and exported one last time (a one-event `run` exports its metrics)."""
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()

    # ------------------------------------------------------------------ spans

    def ns(self, loop_time: float) -> int:
        """Epoch nanoseconds of an event-loop time."""
        if self._anchor is None:
            self._anchor = (loop_time, time.time_ns())
        base, epoch = self._anchor
        return epoch + int((loop_time - base) * 1e9)

    def redactor(self, event: Any) -> Redactor:
        return Redactor(redacted_values(event, self.redact_paths) if self.redact_paths else ())

    def start_event(self, flow_name: str, start: float, attributes: dict[str, Any], scrub: Redactor) -> Span:
        attrs = {gen_ai.GEN_AI_OPERATION_NAME: "invoke_workflow", gen_ai.GEN_AI_WORKFLOW_NAME: flow_name}
        attrs.update({k: scrub(v) for k, v in attributes.items() if v is not None})
        return self.tracer.start_span(
            f"invoke_workflow {flow_name}", kind=SpanKind.SERVER, start_time=self.ns(start), attributes=attrs
        )

    def start_child(self, parent: Span, name: str, start: float, attributes: dict[str, Any]) -> Span:
        context = trace.set_span_in_context(parent)
        return self.tracer.start_span(
            name,
            context=context,
            kind=SpanKind.INTERNAL,
            start_time=self.ns(start),
            attributes={k: v for k, v in attributes.items() if v is not None},
        )

    def chat_attributes(self, profile: Any) -> dict[str, Any]:
        """What names a chat call, on its span and its metrics alike (GenAI semantic conventions)."""
        return {
            gen_ai.GEN_AI_OPERATION_NAME: "chat",
            GEN_AI_PROVIDER_NAME: genai_provider_name(profile.provider),
            gen_ai.GEN_AI_REQUEST_MODEL: self.request_model(profile),
        }

    def start_chat(
        self, parent: Span, alias: str, profile: Any, request: Any, start: float, hedge: bool, scrub: Redactor
    ) -> Span:
        model = self.request_model(profile)
        attrs: dict[str, Any] = {
            **self.chat_attributes(profile),
            "flowgen.model.alias": alias,
            "flowgen.attempt": request.attempt,
            "flowgen.hedge": hedge,
            "flowgen.step.id": request.step_id,
        }
        if request.max_tokens is not None:
            attrs[gen_ai.GEN_AI_REQUEST_MAX_TOKENS] = request.max_tokens
        if request.timeout is not None:
            attrs["flowgen.timeout_ms"] = round(request.timeout * 1000, 3)
        if self.capture_content:
            messages = []
            if request.system:
                messages.append({"role": "system", "parts": [{"type": "text", "content": request.system}]})
            messages.append({"role": "user", "parts": [{"type": "text", "content": request.user}]})
            attrs[gen_ai.GEN_AI_INPUT_MESSAGES] = scrub(json.dumps(messages, ensure_ascii=False))
        context = trace.set_span_in_context(parent)
        return self.tracer.start_span(
            f"chat {model}",
            context=context,
            kind=SpanKind.CLIENT,
            start_time=self.ns(start),
            attributes=attrs,
        )

    def end_chat(
        self,
        span: Span,
        end: float,
        duration: float,
        profile: Any,
        response: Any | None,
        error: BaseException | None,
        scrub: Redactor,
    ) -> None:
        model = self.request_model(profile)
        metric_attrs = self.chat_attributes(profile)
        if response is not None:
            span.set_attribute(gen_ai.GEN_AI_RESPONSE_MODEL, response.model)
            span.set_attribute(gen_ai.GEN_AI_USAGE_INPUT_TOKENS, response.input_tokens)
            span.set_attribute(gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS, response.output_tokens)
            if getattr(response, "cost_known", True):  # no price for the model sent: no cost said
                span.set_attribute("flowgen.cost_usd", response.cost)
            if self.capture_content:
                out = [{"role": "assistant", "parts": [{"type": "text", "content": response.content}]}]
                span.set_attribute(gen_ai.GEN_AI_OUTPUT_MESSAGES, scrub(json.dumps(out, ensure_ascii=False)))
            metric_attrs[gen_ai.GEN_AI_RESPONSE_MODEL] = response.model
            for kind, count in (("input", response.input_tokens), ("output", response.output_tokens)):
                self.token_usage.record(count, {**metric_attrs, gen_ai.GEN_AI_TOKEN_TYPE: kind})
            if response.cost:
                self.counters["cost"].add(response.cost, {gen_ai.GEN_AI_REQUEST_MODEL: model})
        if error is not None:
            kind = error_kind(error)
            span.set_attribute(ERROR_TYPE, kind)
            span.set_status(Status(StatusCode.ERROR, scrub(str(error))))
            metric_attrs[ERROR_TYPE] = kind
        self.operation_duration.record(duration, metric_attrs)
        span.end(end_time=self.ns(end))

    def end_span(
        self,
        span: Span,
        end: float,
        attributes: dict[str, Any],
        error: str | None,
        scrub: Redactor,
        error_type: str | None = None,
    ) -> None:
        for key, value in attributes.items():
            if value is not None:
                span.set_attribute(key, scrub(value))
        if error is not None:
            span.set_attribute(ERROR_TYPE, error_type or "error")
            span.set_status(Status(StatusCode.ERROR, scrub(error)))
        span.end(end_time=self.ns(end))

    def count(self, name: str, value: float = 1, attributes: dict[str, Any] | None = None) -> None:
        self.counters[name].add(value, attributes or {})


def error_kind(error: BaseException) -> str:
    """The `error.type` of a failure: the provider error class, else the exception name."""
    kind = getattr(error, "kind", None)
    if isinstance(kind, str):
        return kind
    if isinstance(error, TimeoutError):
        return "timeout"
    return type(error).__qualname__
