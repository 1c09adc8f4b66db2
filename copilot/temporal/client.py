"""Starting events on Temporal: the workflow id, idempotency, and reading the outcome back.

The workflow id is the flow's name and the trigger's idempotency key
(`{flow}:{key}`). It is started with `id_conflict_policy=USE_EXISTING` (a duplicate
while the first runs gets the running one) and `id_reuse_policy=REJECT_DUPLICATE` (a
duplicate after it closed gets the closed one): a duplicate event never runs twice. The
reuse window is the trigger's `dedupe_window`: once the first run closed longer ago than
that, the same key starts a new run (`ALLOW_DUPLICATE`), as the local engine's
idempotency store forgets a key after the window. (The namespace's retention must be at
least the window: the dev server keeps closed workflows a day by default.)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from copilot.errors import FlowgenError
from copilot.temporal.compiled import CompiledFlow
from copilot.temporal.messages import DATA_CONVERTER, FLOW_WORKFLOW, RESPONSE_UPDATE, FlowInput

DEFAULT_ADDRESS = "127.0.0.1:7233"
DEFAULT_DEDUPE_WINDOW = 24 * 3600.0  # seconds, as the local engine's idempotency store


async def connect(
    address: str = DEFAULT_ADDRESS, namespace: str = "default", *, tracing: bool = True, tracer: Any = None
) -> Client:
    """A client of the Temporal server at `address`.

    With `tracing`, `temporalio.contrib.opentelemetry` carries the trace from the client
    through the workflow into the activities (`tracer`: default the global one); workers
    built on this client inherit it.
    """
    interceptors: list[Any] = []
    if tracing:
        from temporalio.contrib.opentelemetry import TracingInterceptor

        interceptors.append(TracingInterceptor(tracer))
    try:
        return await Client.connect(
            address, namespace=namespace, interceptors=interceptors, data_converter=DATA_CONVERTER
        )
    except RuntimeError as exc:
        raise FlowgenError(
            f"cannot reach Temporal at {address}: {exc} (start one: `flowgen dev-server`)"
        ) from None


def event_key(compiled: CompiledFlow, event: dict[str, Any]) -> str | None:
    """The trigger's idempotency key for `event`, rendered (None when the trigger has none)."""
    if compiled.trigger_key is None:
        return None
    from copilot.flow.expressions import ExpressionError
    from copilot.flow.sandbox import render_budget

    try:
        with render_budget(None):
            return str(compiled.trigger_key({"event": event}))
    except ExpressionError as exc:
        raise FlowgenError(f"trigger.idempotency_key: {exc.message}") from None


def traced(client: Client) -> bool:
    """Whether the client traces (a `TracingInterceptor`): the workflow then records its spans."""
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return any(isinstance(i, TracingInterceptor) for i in client.config()["interceptors"])


def workflow_id(compiled: CompiledFlow, key: str | None) -> str:
    """`{flow}:{key}`; an event without a key gets a fresh id (every delivery runs)."""
    return f"{compiled.flow.name}:{key if key is not None else uuid.uuid4()}"


async def start_event(
    client: Client,
    compiled: CompiledFlow,
    flow_text: str,
    event: dict[str, Any],
    *,
    task_queue: str,
    seed: int = 0,
) -> WorkflowHandle[Any, Any]:
    """Start the workflow of one event, or find the one its idempotency key already started."""
    key = event_key(compiled, event)
    wid = workflow_id(compiled, key)
    given = FlowInput(
        flow_text=flow_text, flow_id=compiled.flow_id, event=event, seed=seed, key=key, traced=traced(client)
    )
    try:
        return await client.start_workflow(
            FLOW_WORKFLOW,
            given,
            id=wid,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        pass
    handle = client.get_workflow_handle(wid)
    described = await handle.describe()
    window = compiled.flow.trigger.dedupe_window or DEFAULT_DEDUPE_WINDOW
    closed = described.close_time
    if closed is not None and (datetime.now(UTC) - closed).total_seconds() > window:
        return await client.start_workflow(
            FLOW_WORKFLOW, given, id=wid, task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )  # fmt: skip
    return handle


async def await_response(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    """The event's response as soon as the workflow decides it (an update that waits for it)."""
    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.service import RPCError

    try:
        response = await handle.execute_update(RESPONSE_UPDATE)
    except (WorkflowUpdateFailedError, RPCError):
        # the workflow closed already (a duplicate of a finished event): its result holds it
        response = (await handle.result())["response"]
    return dict(response)


async def outcome(
    client: Client, handle: WorkflowHandle[Any, Any], *, branches: bool = True
) -> dict[str, Any]:
    """The workflow's result; with `branches`, the async branches' step records merged in."""
    result: dict[str, Any] = await handle.result()
    if branches:
        for child_id in result.get("children", {}).values():
            child = await client.get_workflow_handle(child_id).result()
            result["steps"].update(child["steps"])
            result["cost"] += child["cost"]
            result["error"] = result["error"] or child["error"]
    return result


def event_result(result: dict[str, Any]) -> Any:
    """A workflow's result as the local engine's `EventResult` (what `flowgen run` renders)."""
    from copilot.run.records import EventResult, StepRecord

    response = result["response"] or {}
    steps = {}
    for step_id, fields in result["steps"].items():
        fields = dict(fields)
        reason = fields.pop("route_reason", None)
        record = steps[step_id] = StepRecord(**fields)
        if reason is not None:
            from types import SimpleNamespace

            record.route = SimpleNamespace(reason=reason)
    return EventResult(
        response_status=response.get("status", 0),
        response_body=response.get("body"),
        deadline_hit=bool(response.get("deadline_hit")),
        latency=response.get("latency") or 0.0,
        cost=result.get("cost", 0.0),
        error=result.get("error"),
        steps=steps,
        idempotency_key=result.get("key"),
        total_time=result.get("total_time"),
    )


def run_once(
    flow_path: str,
    event: dict[str, Any],
    *,
    provider: Any,
    http: Any = None,
    seed: int = 0,
    address: str | None = None,
    namespace: str = "default",
    telemetry: Any = None,
) -> Any:
    """`flowgen run --engine temporal`: one event as a workflow, with a worker in this process.

    The worker polls a task queue of its own, so the run never lands on another worker's
    (possibly older) copy of the flow; the result, async branches included, is the
    workflow's, read back from the server.
    """
    import asyncio

    from copilot.temporal.activities import FlowRegistry
    from copilot.temporal.worker import running_workers

    if flow_path == "-":
        raise FlowgenError("--engine temporal needs a flow file (workers load it by path), not stdin")
    registry = FlowRegistry()
    served = registry.add(flow_path, provider=provider, http=http, seed=seed, telemetry=telemetry)
    tracer = telemetry.tracer if telemetry is not None else None

    async def main() -> Any:
        client = await connect(address or DEFAULT_ADDRESS, namespace, tracer=tracer)
        task_queue = f"flowgen-run-{uuid.uuid4().hex[:12]}"
        async with running_workers(client, registry, task_queue):
            handle = await start_event(
                client, served.compiled, served.text, event, task_queue=task_queue, seed=seed
            )
            return event_result(await outcome(client, handle))

    return asyncio.run(main())


def exit_now(code: int) -> None:
    """End the process without interpreter teardown, once a Temporal command is done.

    The SDK's Rust runtime keeps threads that may call into Python while the interpreter
    finalizes, which aborts the process (`PyGILState_Release: thread state … must be
    current`, temporalio/sdk-python#300): the output is written, the exit code lost. The
    console entry point (`copilot.cli.app.main`) calls this after the command's output is
    flushed; in-process callers (tests) never reach it.
    """
    import os
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
