"""Per-call timeouts, clipped by the event's deadline (deadline propagation).

A hot-path call gets the smaller of its own `timeout` and what is left of the SLA; an
off-path call (or one after the response was sent) gets its own timeout only.

A timer can only fire while the call waits: asyncio never interrupts running code. So
the timer is armed the first time the call has to wait (`await_armed`), for the same
moment `asyncio.timeout` would use (start + seconds), and a call that answers without
waiting (a cache hit, an in-process simulator) costs no timer at all. On expiry the
caller's task is cancelled and the cancellation is turned into a timeout exactly the way
`asyncio.timeout` does it (`cancel`, then `uncancel` on the way out, so a cancellation
from elsewhere still propagates).
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

from copilot.run.providers.base import ProviderError

T = TypeVar("T")


def call_budget(step_timeout: float | None, deadline: float | None, now: float) -> float | None:
    """Seconds a call may take: `step_timeout` clipped to `deadline` (both optional)."""
    if deadline is None:
        return step_timeout
    left = max(0.0, deadline - now)
    return left if step_timeout is None else min(step_timeout, left)


@types.coroutine
def await_armed(awaitable: Awaitable[T], arm: Callable[[], asyncio.Handle | None]) -> Generator[Any, Any, T]:
    """`await awaitable`; the first time it has to wait, call `arm()` for a timer handle.

    The handle is cancelled when the awaitable finishes, however it finishes. Driving the
    awaitable by hand is what `await` does (send, throw, close are passed through), with
    one difference: we see whether the first step already finished it.
    """
    step: Any = awaitable if type(awaitable) is types.CoroutineType else awaitable.__await__()
    try:
        waiting = step.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    handle = arm()
    try:
        return (yield from continue_await(step, waiting))  # type: ignore[no-any-return]
    finally:
        if handle is not None:
            handle.cancel()


class _Expiry:
    """The timer's callback: cancel the task that waits, and remember that we did."""

    __slots__ = ("cancelling", "expired", "loop", "task", "when")

    def __init__(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        self.loop = loop
        self.when = when
        self.task: asyncio.Task[Any] | None = None
        self.cancelling = 0
        self.expired = False

    def arm(self) -> asyncio.TimerHandle:
        # Called at the first wait, inside the waiting task: nothing ran in between that
        # could have cancelled it, so its count now is its count at the start.
        task = asyncio.current_task(self.loop)
        if task is None:  # pragma: no cover - a coroutine run by asyncio always has a task
            raise RuntimeError("with_timeout() must run inside an asyncio task")
        self.task = task
        self.cancelling = task.cancelling()
        return self.loop.call_at(self.when, self)

    def __call__(self) -> None:
        self.expired = True
        self.task.cancel()  # type: ignore[union-attr]


@types.coroutine
def with_timeout(
    call: Awaitable[T],
    seconds: float | None,
    *,
    what: str = "call",
    loop: asyncio.AbstractEventLoop | None = None,
    at: float | None = None,
) -> Generator[Any, Any, T]:
    """Await `call`, cancelling it after `seconds`; a timeout becomes `ProviderError('timeout')`.

    `loop` is the running loop, when the caller has it at hand (looking it up costs a
    system call per call on Python 3.11), and `at` the loop time the call started plus
    `seconds`, when the caller has just read the clock. This drives `call` itself, like
    `await_armed`, rather than through one more coroutine: it sits under every model and
    http call.
    """
    if seconds is not None:
        if loop is None:
            loop = asyncio.get_running_loop()
        when = loop.time() + seconds if at is None else at
    step: Any = call if type(call) is types.CoroutineType else call.__await__()
    try:
        waiting = step.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]  # answered without waiting: no timer
    if seconds is None:
        return (yield from continue_await(step, waiting))  # type: ignore[no-any-return]
    expiry = _Expiry(loop, when)  # type: ignore[arg-type]
    handle = expiry.arm()
    try:
        value = yield from continue_await(step, waiting)
    except asyncio.CancelledError:
        if expiry.expired and expiry.task.uncancel() <= expiry.cancelling:  # type: ignore[union-attr]
            raise ProviderError("timeout", f"{what} took longer than {seconds * 1000:.0f}ms") from None
        raise
    except BaseException:
        if expiry.expired:
            expiry.task.uncancel()  # type: ignore[union-attr]  # the call turned our cancel into an error
        raise
    finally:
        handle.cancel()
    if expiry.expired:
        expiry.task.uncancel()  # type: ignore[union-attr]  # the call swallowed our cancel and answered
    return value  # type: ignore[no-any-return]


def continue_await(step: Any, waiting: Any) -> Generator[Any, Any, Any]:
    """Go on awaiting `step`, which has just yielded `waiting` (what `await` does, by hand)."""
    try:
        while True:
            try:
                sent = yield waiting
            except GeneratorExit:
                step.close()
                raise
            except BaseException as exc:  # cancellation and anything else thrown into the await
                waiting = step.throw(exc)
            else:
                waiting = step.send(sent)
    except StopIteration as stop:
        return stop.value
