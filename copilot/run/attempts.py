"""The one retry loop: every call a step makes (model or http), attempt by attempt.

Each attempt gets a budget (the step's timeout, clipped by what is left of the SLA while
the response is pending: deadline propagation) and is written to the event's attempt
history. A failure the step's retry policy lists is retried after the policy's wait; a
retry that would not fit in what is left of the SLA is still made, but as async work,
after answering `on_deadline`.

What one attempt does (a model call with its breaker, router and span; an http request)
is the caller's (`Calls`); the policy itself (attempts, backoff,
jitter, which failures) is `copilot.run.resilience.retry.RetryPolicy`. No retry library
is used: the project depends on none, and the waits here are decided by the event's
deadline as much as by the policy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Protocol

from copilot.run.plans import StepPlan
from copilot.run.providers.base import ProviderError
from copilot.run.records import Attempt, StepRecord
from copilot.run.resilience.timeout import call_budget


class Calls(Protocol):
    """The calls of one step (one model alias, or one http request), attempt by attempt.

    `start` makes one call and returns what to await (it may raise `StepFailure` before
    anything is sent); `done` takes the answer and returns the step's value, or raises
    `ProviderError` when the answer is no good; `failed` and `cancelled` are told how an
    attempt ended otherwise. Hooks, not a coroutine per attempt: while an event waits on
    its call it holds only the loop's frame (bench/bench_engine.py measures that memory).
    """

    label: str | None  # the model alias the attempts are recorded under (None: an http request)
    hedge: bool  # the calls of a hedge's backup

    def start(self, attempt: int, budget: float | None, started: float) -> Awaitable[Any]: ...

    def done(self, answer: Any, started: float) -> Any: ...

    def failed(self, error: ProviderError, started: float) -> None: ...

    def cancelled(self, error: BaseException, started: float) -> None: ...

    def expected(self) -> float:
        """The median latency of one call, read when a retry is decided."""
        ...


def attempt_budget(run: Any, plan: StepPlan, now: float) -> float | None:
    """Seconds the next call of `plan` may take: its timeout, clipped by the SLA deadline."""
    timeout = plan.step.timeout
    if not plan.hot or run.responded or run.deadline is None:
        return timeout  # type: ignore[no-any-return]
    budget = call_budget(timeout, run.deadline, now)
    if budget is not None and budget <= 0:
        run.give_up_sla(f"no time left for `{plan.id}`")
        return timeout  # type: ignore[no-any-return]
    return budget


def retry_wait(run: Any, plan: StepPlan, record: StepRecord, error: ProviderError, attempt: int,
               expected: float) -> float | None:  # fmt: skip
    """How long to wait before retrying after `error`, or None when the policy does not retry.

    `expected` is the median latency of one call: a retry that would not fit in what is
    left of the SLA is still made, but as async work, after answering `on_deadline`.
    """
    policy = plan.policy
    if attempt >= policy.attempts or not policy.retryable(error):
        return None
    engine = run.engine
    wait = policy.delay(attempt, engine.rng, error.retry_after)
    deadline = run.call_deadline(plan)
    now = engine.now()
    if deadline is not None and now + wait + expected > deadline:
        run.give_up_sla(
            f"retry {attempt + 1} of `{plan.id}` would not fit "
            f"(wait {wait * 1000:.0f}ms + ~{expected * 1000:.0f}ms, "
            f"{max(0.0, deadline - now) * 1000:.0f}ms left)"
        )
    record.retries += 1
    tel = engine.telemetry
    if tel is not None:
        tel.count("retries", 1, {"flowgen.step.id": plan.id, "error.type": error.kind})
    return wait


async def retrying(run: Any, plan: StepPlan, record: StepRecord, calls: Calls) -> Any:
    """Make `calls` under the step's retry policy and the event's deadline; record each attempt.

    `run` is the event (`copilot.run.event_run.EventRun`).
    """
    engine = run.engine
    now = engine.now
    t0 = run.t0
    history = run.result.attempts
    label, hedge = calls.label, calls.hedge
    attempt = 0
    while True:
        started = now()
        budget = attempt_budget(run, plan, started)
        try:
            pending = calls.start(attempt, budget, started)
            record.attempts += 1
            value = calls.done(await pending, started)
        except ProviderError as error:
            calls.failed(error, started)
            history.append(
                Attempt(
                    plan.id, label, attempt, started - t0, now() - t0, "error", error.kind, str(error), hedge
                )
            )
            wait = retry_wait(run, plan, record, error, attempt, calls.expected())
            if wait is None:
                raise
            attempt += 1
            if wait > 0:
                await engine.clock.sleep(wait)
            continue
        except asyncio.CancelledError as error:
            calls.cancelled(error, started)
            history.append(
                Attempt(plan.id, label, attempt, started - t0, now() - t0, "cancelled", None, None, hedge)
            )
            raise
        history.append(Attempt(plan.id, label, attempt, started - t0, now() - t0, "ok", None, None, hedge))
        return value
