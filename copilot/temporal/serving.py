"""`flowgen serve --engine temporal`: the webhook server's engine, with the steps on Temporal.

`copilot.serve` runs an event through whatever its engine factory builds
(`copilot.serve.engines.EngineFactory`, the local engine by default); this module builds
one whose `handle` starts the event's workflow and waits for the hot-path response with
the workflow's update, in one request (`copilot.temporal.client.start_and_await_response`,
update-with-start: the workflow id is the trigger's idempotency key, so a duplicate never
runs twice, even across serve processes); the update answers `respond.body`, or
`respond.on_deadline` once the SLA passed. The steps run on the workers polling the task
queue (`flowgen worker`), never in the server.

The event's checks (schema, redaction, the idempotency key's template) are the local
engine's, built for the same flow, so serve refuses the same deliveries on both engines.
The result's `wait_done` waits for the workflow and its async branches (child workflows)
and fills in the steps, so serve marks the event done or dead-letters it as it does for
the local engine. Draining does not cancel workflows: they are durable and finish on the
workers.

The serve layer and this one are siblings (docs/architecture.md, "Layers"): neither
imports the other; the command (`copilot.cli.serve`) hands this factory to the server.
"""

from __future__ import annotations

import asyncio
from typing import Any

from copilot.errors import FlowgenError
from copilot.run.records import EventResult
from copilot.temporal.client import (
    DEFAULT_ADDRESS,
    NO_CREDENTIALS,
    Credentials,
    connect,
    outcome,
    start_and_await_response,
)
from copilot.temporal.compiled import CompiledFlow, compile_loaded, flow_id
from copilot.temporal.history import event_result
from copilot.temporal.messages import ACTIVITY_MODES, DEFAULT_TASK_QUEUE

KEY_CONFLICT = "this idempotency key was used for a different event"  # as `copilot.serve.app` says it


class TemporalEngines:
    """An engine factory for `copilot.serve.app.Server`: one `TemporalEngine` per flow served.

    The engines share one client, connected on the first event (inside the server's loop).
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        namespace: str = "default",
        task_queue: str = DEFAULT_TASK_QUEUE,
        *,
        credentials: Credentials = NO_CREDENTIALS,
        activities: str = "remote",
    ) -> None:
        if activities not in ACTIVITY_MODES:
            raise FlowgenError(f"--activities {activities}: one of {', '.join(ACTIVITY_MODES)}")
        # read the certificate files and the key's variable now: a mistake stops the command
        credentials.tls_config()
        credentials.api_key_value()
        self.address = address
        self.namespace = namespace
        self.task_queue = task_queue
        self.credentials = credentials
        self.activities = activities
        self._client: Any = None
        self._connecting: asyncio.Lock | None = None

    def __call__(self, loaded: Any, **options: Any) -> TemporalEngine:
        """The engine of one flow; `options` are the local engine's (`engine_for`), for its checks."""
        from copilot.flow.load import read_text
        from copilot.run.engine_setup import engine_for

        text = read_text(loaded.path, what="flows")
        checks = engine_for(loaded, **options)
        compiled = compile_loaded(loaded, flow_id(text))
        return TemporalEngine(self, compiled, text, checks, options.get("seed", 0))

    async def client(self) -> Any:
        if self._client is None:
            if self._connecting is None:
                self._connecting = asyncio.Lock()
            async with self._connecting:
                if self._client is None:
                    self._client = await connect(self.address, self.namespace, credentials=self.credentials)
        return self._client


class TemporalEngine:
    """What the server asks of an engine (`copilot.serve.engines.ServedEngine`), on Temporal."""

    def __init__(
        self, engines: TemporalEngines, compiled: CompiledFlow, text: str, checks: Any, seed: int
    ) -> None:
        self.engines = engines
        self.compiled = compiled
        self.text = text
        self.checks = checks  # the local engine of the same flow: it only checks events
        self.seed = seed
        self.trigger_key = checks.trigger_key
        self.sla = checks.sla
        self.waiting: set[asyncio.Task[None]] = set()

    def check_event(self, event: Any) -> None:
        self.checks.check_event(event)

    def redactor(self, event: Any) -> Any:
        return self.checks.redactor(event)

    async def handle(self, event: dict[str, Any]) -> EventResult:
        """Start (or find) the event's workflow; return once its response is decided.

        A key whose workflow was started for another event (another server's delivery, so
        this server's store did not see it) is answered 409, as the store answers it.
        """
        from copilot.run.resilience.idempotency import request_hash

        client = await self.engines.client()
        handle, response = await start_and_await_response(
            client, self.compiled, self.text, event, task_queue=self.engines.task_queue, seed=self.seed,
            activities=self.engines.activities,
        )  # fmt: skip
        if response.get("request") not in (None, request_hash(event)):
            return EventResult(response_status=409, response_body={"error": KEY_CONFLICT}, error=KEY_CONFLICT)
        loop = asyncio.get_running_loop()

        async def finished() -> None:
            done = event_result(await outcome(client, handle))
            result.steps, result.cost, result.error = done.steps, done.cost, done.error
            result.total_time = done.total_time

        task = loop.create_task(finished())  # runs once `result` below is bound
        self.waiting.add(task)
        task.add_done_callback(self.waiting.discard)
        result = EventResult(
            response_status=response.get("status", 0),
            response_body=response.get("body"),
            deadline_hit=bool(response.get("deadline_hit")),
            latency=response.get("latency") or 0.0,
            idempotency_key=handle.id,
            _done=task,
        )
        return result

    async def cancel(self) -> None:
        """Stop waiting for the workflows in flight (they go on, durable, on the workers)."""
        for task in list(self.waiting):
            task.cancel()
        await asyncio.gather(*self.waiting, return_exceptions=True)

    async def aclose(self) -> None:
        await self.checks.aclose()
