"""What the server asks of an engine, and the factory that builds one per flow served.

`Server` (copilot.serve.app) runs each event through `served.engine`; by default that is
the local engine (`copilot.run.engine_setup.engine_for`). Another engine plugs in as an
`EngineFactory` passed to `Server` by the command: `flowgen serve --engine temporal`
passes `copilot.temporal.serving.TemporalEngines`, whose engines start workflows instead of
running steps. The serve layer never imports an engine above `run` (docs/architecture.md,
"Layers").
"""

from __future__ import annotations

from typing import Any, Protocol

from copilot.run.records import EventResult


class ServedEngine(Protocol):
    """The engine of one served flow: the event's checks, its run, and its stop."""

    trigger_key: Any  # the compiled `trigger.idempotency_key` template, or None
    sla: float | None  # seconds: the budget of rendering the key

    def check_event(self, event: Any) -> None: ...  # raise FlowgenError: not the flow's event
    def redactor(self, event: Any) -> Any: ...  # what hides the event's redacted values
    async def handle(self, event: dict[str, Any]) -> EventResult: ...  # returns once answered
    async def cancel(self) -> None: ...  # stop what runs (the drain timed out)
    async def aclose(self) -> None: ...


class EngineFactory(Protocol):
    """Builds the engine of one flow; the keyword options are `engine_for`'s."""

    def __call__(self, loaded: Any, **options: Any) -> ServedEngine: ...


def local_engine(loaded: Any, **options: Any) -> ServedEngine:
    """The local engine (`copilot.run.engine.Engine`): the steps run in the server's process."""
    from copilot.run.engine_setup import engine_for

    engine: ServedEngine = engine_for(loaded, **options)
    return engine
