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

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Required, TypedDict, Unpack

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from copilot.errors import FlowgenError
from copilot.temporal.compiled import CompiledFlow
from copilot.temporal.messages import (
    ACTIVITY_MODES,
    DATA_CONVERTER,
    FLOW_WORKFLOW,
    RESPONSE_UPDATE,
    FlowInput,
)

DEFAULT_ADDRESS = "127.0.0.1:7233"
DEFAULT_DEDUPE_WINDOW = 24 * 3600.0  # seconds, as the local engine's idempotency store


@dataclass(frozen=True)
class Credentials:
    """How a client proves itself to a Temporal service that wants it (Temporal Cloud).

    - `tls`: connect over TLS, verifying the server against the system's roots (or `tls_ca`);
    - `tls_cert` + `tls_key`: the client certificate and its private key (PEM files), for
      a namespace that authenticates by mTLS; they imply `tls`;
    - `api_key`: a `${env:NAME}` reference, never the key itself (it would be in the shell's
      history and the process list); read from the environment at connect time, sent as
      the `Authorization: Bearer` header, and never logged. It implies `tls`.

    The files and the variable are read by `tls_config` and `api_key_value`, when the client
    connects, so a mistake is a one-line error that names the option.
    """

    tls: bool = False
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_ca: str | None = None
    api_key: str | None = None

    def __post_init__(self) -> None:
        from copilot.flow.units import is_env_ref

        if (self.tls_cert is None) != (self.tls_key is None):
            raise FlowgenError("--tls-cert and --tls-key go together (the client certificate and its key)")
        if self.api_key is not None and not is_env_ref(self.api_key):
            raise FlowgenError(
                "--api-key takes `${env:NAME}`, the variable that holds the key, not the key itself"
            )

    @property
    def uses_tls(self) -> bool:
        return self.tls or self.tls_cert is not None or self.tls_ca is not None or self.api_key is not None

    def tls_config(self) -> Any:
        """`TLSConfig` for `Client.connect`, or False (plain gRPC)."""
        from temporalio.client import TLSConfig

        if not self.uses_tls:
            return False
        return TLSConfig(
            server_root_ca_cert=_pem(self.tls_ca, "--tls-ca"),
            client_cert=_pem(self.tls_cert, "--tls-cert"),
            client_private_key=_pem(self.tls_key, "--tls-key"),
        )

    def api_key_value(self) -> str | None:
        """The API key, from the variable `api_key` names."""
        from copilot.flow.units import resolve_env

        if self.api_key is None:
            return None
        try:
            return resolve_env(self.api_key, dict(os.environ))
        except KeyError as exc:
            raise FlowgenError(f"--api-key: the environment variable {exc.args[0]} is not set") from None


NO_CREDENTIALS = Credentials()


def _pem(path: str | None, option: str) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise FlowgenError(f"{option} {path}: {exc.strerror or exc}") from None


async def connect(
    address: str = DEFAULT_ADDRESS,
    namespace: str = "default",
    *,
    tracing: bool = True,
    tracer: Any = None,
    credentials: Credentials = NO_CREDENTIALS,
) -> Client:
    """A client of the Temporal server at `address`.

    With `tracing`, `temporalio.contrib.opentelemetry` carries the trace from the client
    through the workflow into the activities (`tracer`: default the global one); workers
    built on this client inherit it. `credentials`: TLS, a client certificate, an API key
    (Temporal Cloud); none by default (the dev server, or a cluster in a private network).
    A failure is one line (`FlowgenError`) that never quotes the API key.
    """
    interceptors: list[Any] = []
    if tracing:
        from temporalio.contrib.opentelemetry import TracingInterceptor

        interceptors.append(TracingInterceptor(tracer))
    api_key = credentials.api_key_value()
    try:
        return await Client.connect(
            address,
            namespace=namespace,
            interceptors=interceptors,
            data_converter=DATA_CONVERTER,
            tls=credentials.tls_config(),
            api_key=api_key,
        )
    except RuntimeError as exc:
        raise FlowgenError(f"cannot reach Temporal at {address}: {connect_failure(exc, api_key)}") from None


# What the SDK's core says when a connection fails → what it means, in the words of the options.
CONNECT_FAILURES = (
    ("InvalidContentType", "it does not speak TLS (the dev server does not: drop --tls and --api-key)"),
    ("ConnectionRefused", "nothing listens there (start one: `flowgen dev-server`)"),
    ("UnknownIssuer", "its certificate is not signed by a trusted CA (give it with --tls-ca)"),
    ("NotValidForName", "its certificate is for another name"),
    ("Unauthenticated", "it refused the credentials (--api-key, or --tls-cert and --tls-key)"),
    ("PermissionDenied", "it refused the credentials for this namespace"),
)


def connect_failure(error: BaseException, api_key: str | None = None) -> str:
    """One line saying why `Client.connect` failed; the core's own text when it is not known."""
    text = " ".join(str(error).split())  # the core's message may span lines
    if api_key:
        text = text.replace(api_key, "<api key>")
    return next((meaning for cause, meaning in CONNECT_FAILURES if cause in text), text)


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


class EventStart(TypedDict, total=False):
    """How an event's workflow is started: the keywords of `start_event` and
    `start_and_await_response`, read (and defaulted) in one place, `_event_input`.

    `task_queue`: the queue the flow's workers poll. `seed` (default 0): of the simulated
    provider. `activities` (`messages.ACTIVITY_MODES`, default `remote`): how the workflow
    runs the event's calls: activities (`remote`), or local activities where nothing waits
    behind them (`local`). `carry_text` (default False): the flow's text travels in the
    input, for a worker that would interpret it without having it. `model_override`: the model
    the workers' provider sends instead of the aliases' (`routing.sent_model`), which the
    workflow's router prices by, as the local engine's does; in the input, so a replay routes
    the same way.
    """

    task_queue: Required[str]
    seed: int
    activities: str
    carry_text: bool
    model_override: str | None


async def start_event(
    client: Client, compiled: CompiledFlow, flow_text: str, event: dict[str, Any], **start: Unpack[EventStart]
) -> WorkflowHandle[Any, Any]:
    """Start the workflow of one event, or find the one its idempotency key already started.

    The input names the flow by its hash: the workers serving the queue were started with
    the flow file (they need it for the activities anyway); with `carry_text`, `flow_text`
    travels too. `activities` travels in the input, so a replay, and the event's async
    branches, run the calls the same way. The input also carries the event's hash
    (`request`): a server that finds the workflow by its key tells a reused key from a
    duplicate by it.
    """
    wid, given = _event_input(client, compiled, flow_text, event, start)
    task_queue = start["task_queue"]
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


def _event_input(
    client: Client, compiled: CompiledFlow, flow_text: str, event: dict[str, Any], start: EventStart
) -> tuple[str, FlowInput]:
    """The event's workflow id and input (`start_event`), with `start`'s defaults."""
    from copilot.run.resilience.idempotency import request_hash

    activities = start.get("activities", "remote")
    if activities not in ACTIVITY_MODES:
        raise FlowgenError(f"activities: `{activities}`: one of {', '.join(ACTIVITY_MODES)}")
    key = event_key(compiled, event)
    given = FlowInput(
        flow_text=flow_text if start.get("carry_text", False) else "", flow_id=compiled.flow_id,
        event=event, seed=start.get("seed", 0), key=key, traced=traced(client), activities=activities,
        request=request_hash(event), model_override=start.get("model_override"),
    )  # fmt: skip
    return workflow_id(compiled, key), given


async def start_and_await_response(
    client: Client, compiled: CompiledFlow, flow_text: str, event: dict[str, Any], **start: Unpack[EventStart]
) -> tuple[WorkflowHandle[Any, Any], dict[str, Any]]:
    """`start_event` then `await_response`, in one request to the server (update-with-start).

    The update rides with the start (or reaches the run the key already started:
    `USE_EXISTING`), so the workflow's first task already has it: one round trip less per
    event than starting, then updating (`flowgen serve --engine temporal`). A key whose
    workflow has closed (`REJECT_DUPLICATE` refuses the start, and the update with it)
    takes `start_event`'s path: the closed run's response, or a new run past `dedupe_window`.
    """
    from temporalio.client import WithStartWorkflowOperation, WorkflowUpdateFailedError

    wid, given = _event_input(client, compiled, flow_text, event, start)
    operation = WithStartWorkflowOperation(
        FLOW_WORKFLOW, given, id=wid, task_queue=start["task_queue"],
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )  # fmt: skip
    try:
        response = await client.execute_update_with_start_workflow(
            RESPONSE_UPDATE, start_workflow_operation=operation
        )
        return await operation.workflow_handle(), dict(response)
    except (WorkflowAlreadyStartedError, WorkflowUpdateFailedError):
        pass  # closed already, or closed before it answered the update
    handle = await start_event(client, compiled, flow_text, event, **start)
    return handle, await await_response(handle)


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


async def fetch_timeline(client: Client, handle: WorkflowHandle[Any, Any]) -> Any:
    """Wait for the event's workflow and its async branches, then read their histories."""
    from copilot.temporal.history import timeline

    result = await outcome(client, handle, branches=True)
    ids = [handle.id, *result.get("children", {}).values()]
    histories = []
    for workflow_id in ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        histories.append(list(history.events))
    return timeline(histories)


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
    credentials: Credentials = NO_CREDENTIALS,
    activities: str = "remote",
) -> Any:
    """`flowgen run --engine temporal`: one event as a workflow, with a worker in this process.

    The worker polls a task queue of its own, so the run never lands on another worker's
    (possibly older) copy of the flow; the result, async branches included, is the
    workflow's, read back from the server: the timeline from the workflow histories
    (`copilot.temporal.history`). `credentials` and `activities` are those of
    `flowgen worker` and `serve --engine temporal` (the same options, `copilot.cli.temporal`).
    """
    import asyncio

    from copilot.temporal.activities import FlowRegistry
    from copilot.temporal.worker import running_workers

    if flow_path == "-":
        raise FlowgenError("--engine temporal needs a flow file (workers load it by path), not stdin")
    if activities not in ACTIVITY_MODES:
        raise FlowgenError(f"--activities {activities}: one of {', '.join(ACTIVITY_MODES)}")
    from copilot.run.resilience.routing import sent_model

    registry = FlowRegistry()
    served = registry.add(flow_path, provider=provider, http=http, seed=seed, telemetry=telemetry)
    tracer = telemetry.tracer if telemetry is not None else None

    async def main() -> Any:
        client = await connect(address or DEFAULT_ADDRESS, namespace, tracer=tracer, credentials=credentials)
        task_queue = f"flowgen-run-{uuid.uuid4().hex[:12]}"
        async with running_workers(client, registry, task_queue):
            handle = await start_event(
                client, served.compiled, served.text, event, task_queue=task_queue, seed=seed,
                activities=activities, model_override=sent_model(provider),
            )  # fmt: skip
            # the local engine's timeline, read from the histories of the workflow and its branches
            return await fetch_timeline(client, handle)

    return asyncio.run(main())


def exit_now(code: int) -> None:
    """End the process without interpreter teardown, once a Temporal command is done.

    The SDK's Rust runtime keeps threads that may call into Python while the interpreter
    finalizes, which aborts the process (`PyGILState_Release: thread state … must be
    current`, temporalio/sdk-python#300): the output is written, the exit code lost. The
    console entry point (`copilot.cli.entry.run_guarded`) calls this after the command's output is
    flushed; in-process callers (tests) never reach it.
    """
    import os
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
