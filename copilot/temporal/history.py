"""`flowgen run --engine temporal`'s timeline, read from the workflow history.

The local engine's timeline (`copilot.run.timeline`: the text tree and `--format json`)
is an `EventResult`: a `StepRecord` per step. On Temporal it is built here from what the
server recorded, the parent's history and each async branch's (a child workflow), so it
shows what happened, retries included, not what the workflow believed:

- the workflow's own step records, as it returned them (the `WorkflowExecutionCompleted`
  event's result): status, output, error, route, after-response, and the timing of the
  steps the workflow runs itself (validate, transform), in workflow time;
- each call (`ActivityTaskScheduled` → `Started` → `Completed`, `Failed`, `TimedOut` or
  `Canceled`), mapped to its step and model alias by its input (`ModelCall`, `HttpCall`,
  `RetrieveCall`): the step's end (the call that decided it: the answer, or the last
  failure; a hedge's loser, cancelled, never decides), its start (the workflow's own, when
  its needs were done, or its first call's scheduling if that came first), its attempts
  (each call's last attempt number: Temporal retries within one activity, and records
  the last attempt's start only), its retries, the model that answered (a fallback, a
  hedge's backup), tokens and cost (`cost_known` too), and `EventResult.attempts`;
- a local activity (an event run with `--activities local`) is a `core_local_activity`
  marker: its attempt, schedule and completion time (the worker's clock), and the step
  and alias its result (or its failure's details) names (`copilot.temporal.activities`).
  A marker that names no step (a local activity's timeout; histories recorded before)
  leaves its step's figures as the workflow recorded them.

Offsets count from the workflow's arrival as the workflow measures it (`workflow.time()`
at its first task, the first `WorkflowTaskStarted`), so the workflow's own timings and
the history's share one zero. An async branch counts from its parent's (`FlowInput.t0`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from copilot.run.records import Attempt, EventResult

LOCAL_ACTIVITY_MARKER = "core_local_activity"
CALL_STEPS = ("model", "http")  # the steps whose calls the local engine counts as attempts


@dataclass
class Call:
    """One activity (or local activity) of one step, as its history events tell it."""

    step: str | None
    alias: str | None  # the model alias called (model steps)
    hedge: bool
    scheduled: float  # offsets from the arrival, seconds
    started: float | None = None  # the last attempt's start
    closed: float | None = None
    attempt: int = 0  # the last attempt's number (1 = no retry); 0: never started
    status: str = "running"  # ok | error | cancelled | running
    kind: str | None = None
    error: str | None = None
    result: dict[str, Any] | None = None
    cancel_requested: bool = False  # a hedge's loser: what it answers later counts for nothing


def _seconds(stamp: Any) -> float:
    """A protobuf Timestamp (or the `{seconds, nanos}` of a marker's data) as epoch seconds."""
    if isinstance(stamp, dict):
        return float(stamp.get("seconds", 0)) + float(stamp.get("nanos", 0)) / 1e9
    return float(stamp.seconds) + float(stamp.nanos) / 1e9


def _decode(payloads: Any) -> Any:
    from copilot.temporal.messages import DATA_CONVERTER

    values = DATA_CONVERTER.payload_converter.from_payloads(list(payloads))
    return values[0] if values else None


def _failure(failure: Any) -> tuple[str, str, dict[str, Any]]:
    """(error class, message, details) of a call's failure, as the workflow names them
    (`copilot.temporal.workflow.failure_kind`)."""
    details: dict[str, Any] = {}
    if failure.HasField("application_failure_info"):
        info = failure.application_failure_info
        if info.details.payloads:
            decoded = _decode(info.details.payloads)
            details = decoded if isinstance(decoded, dict) else {}
        return info.type or "error", failure.message, details
    if failure.HasField("timeout_failure_info"):
        from temporalio.api.enums.v1 import TimeoutType

        name = TimeoutType.Name(failure.timeout_failure_info.timeout_type)
        return "timeout", f"timed out ({name.removeprefix('TIMEOUT_TYPE_').lower()})", details
    if failure.HasField("canceled_failure_info"):
        return "cancelled", "cancelled", details
    if failure.HasField("cause"):
        return _failure(failure.cause)
    return "error", failure.message, details


def arrival(events: list[Any]) -> float:
    """When the workflow's clock started (its first `WorkflowTaskStarted`), epoch seconds."""
    for event in events:
        if event.HasField("workflow_task_started_event_attributes"):
            return _seconds(event.event_time)
    return _seconds(events[0].event_time)


def workflow_result(events: list[Any]) -> dict[str, Any] | None:
    """The workflow's return value, from its `WorkflowExecutionCompleted` event."""
    for event in reversed(events):
        if event.HasField("workflow_execution_completed_event_attributes"):
            value = _decode(event.workflow_execution_completed_event_attributes.result.payloads)
            return value if isinstance(value, dict) else None
    return None


def calls(events: list[Any], t0: float) -> list[Call]:
    """Every call of one workflow's history, in the order they were scheduled."""
    found: dict[int, Call] = {}  # the scheduling event's id → its call
    ordered: list[Call] = []
    for event in events:
        at = _seconds(event.event_time) - t0
        if event.HasField("activity_task_scheduled_event_attributes"):
            given = _decode(event.activity_task_scheduled_event_attributes.input.payloads) or {}
            call = Call(given.get("step_id"), given.get("alias"), bool(given.get("hedge")), at)
            found[event.event_id] = call
            ordered.append(call)
        elif event.HasField("activity_task_started_event_attributes"):
            attributes = event.activity_task_started_event_attributes
            call = found.get(attributes.scheduled_event_id)  # type: ignore[assignment]
            if call is not None:
                call.started, call.attempt = at, attributes.attempt
        elif event.HasField("activity_task_completed_event_attributes"):
            attributes = event.activity_task_completed_event_attributes
            call = found.get(attributes.scheduled_event_id)  # type: ignore[assignment]
            if call is not None and call.cancel_requested:
                # the workflow had moved on (the hedge's winner answered): a loser's late answer
                call.closed, call.status, call.kind = at, "cancelled", "cancelled"
            elif call is not None:
                result = _decode(attributes.result.payloads)
                call.closed, call.status = at, "ok"
                call.result = result if isinstance(result, dict) else None
        elif event.HasField("activity_task_cancel_requested_event_attributes"):
            call = found.get(event.activity_task_cancel_requested_event_attributes.scheduled_event_id)  # type: ignore[assignment]
            if call is not None:
                call.cancel_requested = True
        elif event.HasField("activity_task_failed_event_attributes"):
            attributes = event.activity_task_failed_event_attributes
            _close(found.get(attributes.scheduled_event_id), at, attributes.failure)
        elif event.HasField("activity_task_timed_out_event_attributes"):
            attributes = event.activity_task_timed_out_event_attributes
            _close(found.get(attributes.scheduled_event_id), at, attributes.failure)
        elif event.HasField("activity_task_canceled_event_attributes"):
            call = found.get(event.activity_task_canceled_event_attributes.scheduled_event_id)  # type: ignore[assignment]
            if call is not None:
                call.closed, call.status, call.kind = at, "cancelled", "cancelled"
        elif event.HasField("marker_recorded_event_attributes"):
            marker = _marker(event.marker_recorded_event_attributes, t0)
            if marker is not None:
                ordered.append(marker)
    return ordered


def _close(call: Call | None, at: float, failure: Any) -> None:
    if call is None:
        return
    call.closed, call.status = at, "error"
    call.kind, call.error, _ = _failure(failure)
    if call.kind == "cancelled":
        call.status = "cancelled"


def _marker(marker: Any, t0: float) -> Call | None:
    """A local activity's marker as a call, when it names its step."""
    if marker.marker_name != LOCAL_ACTIVITY_MARKER or "data" not in marker.details:
        return None
    data = _decode(marker.details["data"].payloads) or {}
    result: dict[str, Any] | None = None
    names: dict[str, Any] = {}
    kind = error = None
    if "result" in marker.details and marker.details["result"].payloads:
        decoded = _decode(marker.details["result"].payloads)
        result = names = decoded if isinstance(decoded, dict) else {}
    elif marker.HasField("failure"):
        kind, error, names = _failure(marker.failure)
    if not names.get("step"):
        return None
    # The worker's clock: the completion, and the last attempt's start (its measured
    # duration before it); the first schedule when the core kept it.
    closed = _seconds(data["complete_time"]) - t0 if data.get("complete_time") else None
    elapsed = (result or {}).get("elapsed")
    started = closed - elapsed if closed is not None and elapsed is not None else closed
    scheduled = started
    if data.get("original_schedule_time"):
        first = _seconds(data["original_schedule_time"]) - t0
        scheduled = first if started is None else min(first, started)
    if scheduled is None:
        return None
    return Call(
        step=names["step"], alias=names.get("alias"), hedge=bool(names.get("hedge")),
        scheduled=scheduled, started=started, closed=closed if closed is not None else scheduled,
        attempt=int(data.get("attempt") or 1), status="ok" if result is not None else "error",
        kind=kind, error=error, result=result,
    )  # fmt: skip


def merged_result(histories: list[list[Any]]) -> dict[str, Any]:
    """The parent's result with its async branches' step records merged in, as
    `copilot.temporal.client.outcome` merges them, from the histories' completion events."""
    parent = workflow_result(histories[0])
    if parent is None:
        raise ValueError("the workflow has not completed: its history holds no result")
    merged = {**parent, "steps": dict(parent["steps"])}
    for events in histories[1:]:
        child = workflow_result(events)
        if child is None:
            continue
        merged["steps"].update(child["steps"])
        merged["cost"] += child["cost"]
        merged["error"] = merged["error"] or child["error"]
    return merged


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
        cost_known=all(r.cost_known for r in steps.values()),
    )


def timeline(histories: list[list[Any]]) -> EventResult:
    """The event's `EventResult` (what `flowgen run` renders) from the histories of its
    workflow (first) and of its async branches' child workflows."""
    result: EventResult = event_result(merged_result(histories))
    t0 = arrival(histories[0])
    every: list[Call] = []
    for events in histories:
        every.extend(calls(events, t0))
    for step_id, record in result.steps.items():
        own = [c for c in every if c.step == step_id]
        if own:
            _apply(record, own, result.attempts)
    ends = [r.end for r in result.steps.values() if r.end is not None]
    if ends:
        result.total_time = max([result.total_time or 0.0, *ends])
    result.cost = sum(r.cost for r in result.steps.values())
    result.cost_known = all(r.cost_known for r in result.steps.values())
    return result


def _apply(record: Any, own: list[Call], attempts: list[Attempt]) -> None:
    """A step's record, from its calls: timing, attempts, the model that answered, cost."""
    own.sort(key=lambda c: c.scheduled)
    answered = [c for c in own if c.status == "ok"]
    # The round each call belongs to starts after the previous answer (a validate step's
    # `on_fail` re-runs its model step): its first call is that round's primary.
    winner = primary = None
    round_primary = None
    for call in own:
        if round_primary is None:
            round_primary = call
        if call.status == "ok":
            winner, primary, round_primary = call, round_primary, None
    closed = [c for c in own if c.closed is not None and c.status != "cancelled"]
    deciding = winner or (max(closed, key=lambda c: c.closed or 0.0) if closed else None)
    record.start = own[0].scheduled if record.start is None else min(record.start, own[0].scheduled)
    if deciding is not None and deciding.closed is not None:
        record.end = deciding.closed
    if record.type in CALL_STEPS:  # a retrieve step makes no calls the engine counts
        made = sum(max(c.attempt, 1) for c in own)
        answered_retries = sum(max(c.attempt, 1) - 1 for c in answered)
        # The workflow counts the retries of the calls that answered, and a validate step's
        # re-runs of its model step; the history adds those of the calls that failed.
        record.retries = max(record.retries, record.retries - answered_retries + made - len(own))
        record.attempts = max(record.attempts, made)
    if own[0].alias is not None:  # a model step
        if winner is not None and primary is not None:
            record.model = winner.alias
            record.fallback_used = winner.alias != primary.alias
            record.hedge_won = winner.hedge
        elif deciding is not None:
            record.model = deciding.alias
        results = [c.result for c in answered if c.result is not None]
        if results:
            record.input_tokens = sum(int(r.get("input_tokens") or 0) for r in results)
            record.output_tokens = sum(int(r.get("output_tokens") or 0) for r in results)
            record.cost = sum(float(r.get("cost") or 0.0) for r in results)
            record.cost_known = record.cost_known and all(r.get("cost_known", True) for r in results)
    for call in own:
        if call.attempt == 0 and call.status == "cancelled":
            continue  # a hedge's backup cancelled before it started: no call was made
        status = "ok" if call.status == "ok" else "cancelled" if call.status == "cancelled" else "error"
        start = call.started if call.started is not None else call.scheduled
        attempts.append(
            Attempt(record.step_id, call.alias, max(call.attempt, 1) - 1, start,
                    call.closed if call.closed is not None else start, status,  # type: ignore[arg-type]
                    call.kind, call.error, call.hedge)
        )  # fmt: skip
