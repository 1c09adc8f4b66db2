"""`flowgen run FLOW`: load the flow and an event, run it once on the engine, report."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.errors import FlowgenError
from copilot.run.records import EventResult


@dataclass
class RunOutcome:
    flow: Any
    result: EventResult
    notes: list[str] = field(default_factory=list)
    scrub: Any = None
    hints: list[str] = field(default_factory=list)
    """Advice that is true on every run of this flow here (tracing not configured): shown
    with `--verbose`, not as noise on each run."""

    @property
    def exit_code(self) -> int:
        return 0 if self.result.error is None or self.result.deadline_hit else 1


def read_event(source: str | None, flow: Any) -> dict[str, Any]:
    """The event from a file, `-` (stdin) or the trigger's example; bad input is one line."""
    from copilot.flow.load import read_text

    if source is None:
        if flow.trigger.example is None:
            raise FlowgenError("no --event given and the trigger has no `example`; pass --event FILE or -")
        return flow.trigger.example
    from copilot.flow.load import strict_json

    name = "<stdin>" if source == "-" else source
    text = read_text(source, what="events")
    event = strict_json(text, name, what="event")
    if not isinstance(event, dict):
        raise FlowgenError(f"an event is a JSON object, not {type(event).__name__}", path=name)
    surrogate = lone_surrogate(event)
    if surrogate is not None:
        raise FlowgenError(
            f"event: {surrogate} holds a lone UTF-16 surrogate (an unpaired `\\uD800`-`\\uDFFF` escape), "
            "which is not Unicode text",
            path=name,
        )
    return event


_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate(value: Any) -> str | None:
    """Where a string of `value` (keys included) holds a lone surrogate, as a dotted path; else None.

    JSON lets `"\\ud800"` through, and nothing can encode it afterwards: the response, the
    trace and the dead letter would each fail to write. Walks without recursion.
    """
    stack: list[tuple[str, Any]] = [("event", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return where
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and _SURROGATE.search(key):
                    return f"a key of {where}"
                stack.append((f"{where}.{key}", child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", child) for i, child in enumerate(item))
    return None


def run_flow(
    flow_path: str,
    *,
    event_source: str | None = None,
    provider_name: str = "sim",
    seed: int = 0,
    trace_path: str | None = None,
    base_url: str | None = None,
    model_override: str | None = None,
    dead_letter: str | None = None,
    live_http: bool | None = None,
    latency_scale: float = 1.0,
    engine_name: str = "local",
    temporal_address: str | None = None,
    temporal: dict[str, Any] | None = None,
) -> RunOutcome:
    """Run one event through the flow at `flow_path` and return what happened.

    `engine_name="temporal"` runs it as a workflow on the Temporal server at
    `temporal_address`, with a worker in this process (`copilot.temporal.client.run_once`);
    `temporal` holds run_once's other options (namespace, credentials, activities).
    """
    from copilot.flow.load import load_flow
    from copilot.run.engine_setup import choose_provider, engine_for, require_models_found, require_sound
    from copilot.run.telemetry import Telemetry

    loaded = load_flow(flow_path)
    require_sound(loaded)
    flow = loaded.flow
    event = read_event(event_source, flow)
    base_dir = Path(flow_path).resolve().parent if flow_path != "-" else Path.cwd()
    notes: list[str] = []
    provider = choose_provider(
        provider_name,
        seed=seed,
        latency_scale=latency_scale,
        base_url=base_url,
        model_override=model_override,
    )
    # The simulator's http steps by default; `--live-http` sends real requests.
    if provider_name == "sim":
        http: Any = None if live_http else _sim_http(seed, latency_scale)
    else:
        http = None if live_http is None or live_http else _sim_http(seed, 1.0)
    hints: list[str] = []
    # the span names the model actually sent when an OpenAI-compatible server gets an override
    sent_model = model_override if provider_name == "openai" else None
    telemetry = Telemetry.for_flow(
        flow, trace_path=trace_path, base_dir=base_dir, notes=hints, model_override=sent_model
    )
    if engine_name == "temporal":
        from copilot.temporal.client import run_once

        try:
            result = run_once(flow_path, event, provider=provider, http=http, seed=seed,
                              address=temporal_address, telemetry=telemetry, **(temporal or {}))  # fmt: skip
        finally:
            if telemetry is not None:
                telemetry.shutdown()
        require_models_found(provider)
        notes.extend(getattr(provider, "notes", []))  # the worker's provider is this process's
        return RunOutcome(flow, result, notes, _redactor(flow, event), hints)
    engine = engine_for(
        loaded,
        provider=provider,
        http=http,
        base_dir=base_dir,
        telemetry=telemetry,
        seed=seed,
        dead_letter_path=Path(dead_letter) if dead_letter else None,
    )
    engine.check_event(event)

    async def main() -> EventResult:
        try:
            result = await engine.handle(event)
            await engine.drain()
            return result
        finally:
            await engine.aclose()
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()

    try:
        result = asyncio.run(main())
    finally:
        if telemetry is not None:
            telemetry.shutdown()
    require_models_found(provider)
    # The run's own redactor knows the tainted steps' outputs (copilot.flow.taint) too.
    scrub = result.scrub if result.scrub is not None else _redactor(flow, event)
    if result.dead_lettered and engine.dead_letter_path is not None:
        notes.append(f"dead letter written to {engine.dead_letter_path}")
    # what an OpenAI-compatible server turned out to need (json_object, /v1, max_completion_tokens)
    notes.extend(getattr(provider, "notes", []))
    return RunOutcome(flow, result, notes, scrub, hints)


def _sim_http(seed: int, latency_scale: float) -> Any:
    from copilot.run.providers.sim import SimHttpClient

    return SimHttpClient(seed, latency_scale=latency_scale)


def _redactor(flow: Any, event: Any) -> Any:
    from copilot.run.redact import Redactor, redacted_values

    paths = flow.observability.redact if flow.observability is not None else []
    return Redactor(redacted_values(event, paths))
