"""What the engine reports about one event and each of its steps.

`Engine.handle` returns an `EventResult` as soon as the response is decided; the same
object keeps filling in (async steps, cost, dead-lettering) until `wait_done()` returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from copilot.flow.expressions import ExpressionError
from copilot.flow.sandbox import render_budget

StepStatus = Literal["pending", "running", "ok", "skipped", "failed", "defaulted", "cancelled"]


@dataclass(slots=True)
class Attempt:
    """One call of one step (a model call, an http request): the dead letter's history."""

    step: str
    model: str | None
    attempt: int  # 0 = first call of this model/request, 1 = first retry…
    start: float  # seconds from arrival
    end: float
    status: Literal["ok", "error", "cancelled"]
    kind: str | None = None  # error class: timeout, rate_limit, server_error…
    error: str | None = None
    hedge: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "model": self.model,
            "attempt": self.attempt,
            "start_ms": round(self.start * 1000, 3),
            "end_ms": round(self.end * 1000, 3),
            "status": self.status,
            "kind": self.kind,
            "error": self.error,
            "hedge": self.hedge,
        }


@dataclass(slots=True)
class StepRecord:
    """How one step went: timing (offsets from arrival, seconds), model, attempts, cost."""

    step_id: str
    # What the step is, first: the engine makes a record per step per event, positionally.
    type: str = ""
    mode: str = "sync"
    hot: bool = False  # on the hot path
    status: StepStatus = "pending"
    start: float | None = None
    end: float | None = None
    model: str | None = None  # the alias actually used
    attempts: int = 0  # calls made (retries, fallbacks and hedges included)
    retries: int = 0
    fallback_used: bool = False
    hedge_won: bool = False
    route: Any = field(default=None, repr=False)  # a routed step's RouteDecision (see route_reason)
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    error: str | None = None
    output: Any = None
    kind: str | None = None  # error class of a failure
    replayed: bool = False  # answered from the idempotency store
    after_response: bool = False  # finished after the response was sent
    cost_known: bool = True  # False: a call sent a model with no price (`cost` leaves it out)

    @property
    def route_reason(self) -> str | None:
        """Which candidate a routed step chose and why (its estimate against the deadline)."""
        return None if self.route is None else self.route.reason  # type: ignore[no-any-return]

    @property
    def duration(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        def ms(x: float | None) -> float | None:
            return None if x is None else round(x * 1000, 3)

        return {
            "id": self.step_id,
            "type": self.type,
            "status": self.status,
            "start_ms": ms(self.start),
            "duration_ms": ms(self.duration),
            "model": self.model,
            "attempts": self.attempts,
            "retries": self.retries,
            "fallback_used": self.fallback_used,
            "hedge_won": self.hedge_won,
            "route_reason": self.route_reason,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": round(self.cost, 8) if self.cost_known else None,
            "error": self.error,
            "kind": self.kind,
            "replayed": self.replayed,
            "hot_path": self.hot,
            "mode": self.mode,
            "after_response": self.after_response,
        }


@dataclass(slots=True)
class EventResult:
    """The outcome of one event: the response, when it was sent, and every step."""

    response_status: int = 0
    response_body: Any = None
    deadline_hit: bool = False
    latency: float = 0.0  # seconds from arrival to response
    cost: float = 0.0  # USD, every step so far (final after `wait_done()`)
    error: str | None = None
    dead_lettered: bool = False
    steps: dict[str, StepRecord] = field(default_factory=dict)
    replayed: bool = False  # a duplicate delivery answered from the idempotency store
    idempotency_key: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    total_time: float | None = None  # arrival to the end of the last step (async ones too)
    cost_known: bool = True  # False: some call's model has no price, so `cost` is a lower bound
    # What hides redacted values, derived ones included, in any text of this event
    # (copilot.run.redact.Redactor); None when the flow redacts nothing.
    scrub: Any = field(default=None, repr=False, compare=False)
    _done: asyncio.Future[None] | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.deadline_hit

    @property
    def retries(self) -> int:
        return sum(r.retries for r in self.steps.values())

    @property
    def fallbacks(self) -> int:
        return sum(1 for r in self.steps.values() if r.fallback_used)

    @property
    def hedges_won(self) -> int:
        return sum(1 for r in self.steps.values() if r.hedge_won)

    @property
    def done(self) -> bool:
        return self._done is None or self._done.done()

    async def wait_done(self) -> None:
        """Wait until every step of the event, async ones included, has finished."""
        if self._done is not None and not self._done.done():
            await asyncio.shield(self._done)

    def to_dict(self) -> dict[str, Any]:
        return {
            "response": {"status": self.response_status, "body": self.response_body},
            "deadline_hit": self.deadline_hit,
            "latency_ms": round(self.latency * 1000, 3),
            "total_ms": None if self.total_time is None else round(self.total_time * 1000, 3),
            "cost_usd": round(self.cost, 8) if self.cost_known else None,
            "error": self.error,
            "dead_lettered": self.dead_lettered,
            "replayed": self.replayed,
            "steps": [r.to_dict() for r in self.steps.values()],
        }


def failure_answer(
    step_id: str, record: StepRecord, records: Iterable[StepRecord], *, deadline_cut: bool
) -> tuple[int, str] | None:
    """The response when a hot-path step did not complete: (status, message), or None when
    the SLA deadline itself cut the step (`deadline_cut`), so the deadline answer applies.

    One decision for the local engine and the Temporal workflow: a cancelled step reports
    the hot-path failure that cancelled it (the root cause, not the chain); a timeout is a
    504, anything else a 500.
    """
    if deadline_cut:
        return None
    message = f"step `{step_id}` {'failed' if record.status == 'failed' else 'was not run'}: {record.error}"
    if record.status == "cancelled":
        root = next((r for r in records if r.status == "failed" and r.hot), None)
        if root is not None:
            message = f"step `{root.step_id}` failed: {root.error}"
    return (504 if record.kind == "timeout" else 500), message


def deadline_answer(
    respond: Any,
    reason: str,
    render_body: Callable[[], Any],
    on_render_error: Callable[[ExpressionError], None] | None = None,
) -> tuple[int, Any, str | None]:
    """The response when the SLA deadline passes first: (status, body, error).

    `respond.on_deadline`'s status and body (`render_body` renders it), or 504 when the
    flow has none; a body that cannot render is a 500 that says why (`on_render_error` is
    told first). One decision for the local engine and the Temporal workflow.
    """
    on_deadline = respond.on_deadline if respond is not None else None
    if on_deadline is None:
        return 504, {"error": "deadline exceeded"}, f"deadline: {reason}"
    try:
        with render_budget(None):  # the deadline has passed: the hard cap alone
            body = render_body()
    except ExpressionError as exc:
        if on_render_error is not None:
            on_render_error(exc)
        error = f"respond.on_deadline.body: {exc.message}"
        return 500, {"error": error}, error
    return on_deadline.status, body, None
