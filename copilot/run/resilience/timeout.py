"""Per-call timeouts, clipped by the event's deadline (deadline propagation).

A hot-path call gets the smaller of its own `timeout` and what is left of the SLA; an
off-path call (or one after the response was sent) gets its own timeout only.

Why not `asyncio.timeout`: it arms a timer for every call when it enters, and every
model and http call of the engine goes through here. A timer can only fire while the
call waits (asyncio never interrupts running code), so `with_timeout` drives the call
itself and arms the timer the first time it has to wait, for the same moment
`asyncio.timeout_at` would use (start + seconds): a call that answers without waiting
(the zero-latency simulator, a cache hit) costs no timer at all. Measured side by side
(`bench/bench_timeout.py`, CPU time per call on the 2-core machine, best of 5 rounds of
100,000): a call that answers at once costs 0.59 µs here against 4.4 µs through
`asyncio.timeout_at` (a bare await: 0.09 µs); one that waits a loop iteration, 5.6 µs
against 6.9 µs (bare: 2.7 µs). In the engine (`bench/bench_engine.py`, 5 calls an event)
the `asyncio.timeout_at` version took 7-11 % more CPU per event (two rounds of 4,000
events each side: 2.12 s and 2.12 s against 1.91 s and 2.00 s).

On expiry the caller's task is cancelled and the cancellation is turned into a timeout
exactly the way `asyncio.timeout` does it (`cancel`, then `uncancel` on the way out, so a
cancellation from elsewhere still propagates); `tests/run/test_fast_paths.py` and
`tests/run/test_primitives.py` hold it to that.
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


class TaskTimer:
    """A timer at loop time `when` for the task that waits now, which it may interrupt.

    The interrupt is `asyncio.timeout`'s: `interrupt` cancels the task and notes that it
    did; on the way out, the task's `uncancel()` coming back to `cancelling` tells our own
    interrupt from a cancellation from elsewhere, which must propagate. Shared by
    `with_timeout` (the timer is the timeout) and `hedged` (the timer starts the backup,
    whose win interrupts the primary).
    """

    __slots__ = ("cancelling", "interrupted", "loop", "task", "when")

    def __init__(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        self.loop = loop
        self.when = when
        self.task: asyncio.Task[Any] | None = None
        self.cancelling = 0
        self.interrupted = False

    def arm(self, fire: Callable[[], object]) -> asyncio.TimerHandle:
        """Call `fire` at `when`, noting the task to interrupt.

        Called at the call's first wait, inside the waiting task: nothing ran in between
        that could have cancelled it, so its count now is its count at the start.
        """
        task = asyncio.current_task(self.loop)
        if task is None:  # pragma: no cover - a coroutine run by asyncio always has a task
            raise RuntimeError("a timed call must run inside an asyncio task")
        self.task = task
        self.cancelling = task.cancelling()
        return self.loop.call_at(self.when, fire)

    def interrupt(self) -> None:
        """Cancel the waiting task, and remember that we did."""
        self.interrupted = True
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
    `seconds`, when the caller has just read the clock. This drives `call` itself rather
    than through one more coroutine: it sits under every model and http call.
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
    expiry = TaskTimer(loop, when)  # type: ignore[arg-type]
    handle = expiry.arm(expiry.interrupt)
    try:
        value = yield from continue_await(step, waiting)
    except asyncio.CancelledError:
        if expiry.interrupted and expiry.task.uncancel() <= expiry.cancelling:  # type: ignore[union-attr]
            raise ProviderError("timeout", f"{what} took longer than {seconds * 1000:.0f}ms") from None
        raise
    except BaseException:
        if expiry.interrupted:
            expiry.task.uncancel()  # type: ignore[union-attr]  # the call turned our cancel into an error
        raise
    finally:
        handle.cancel()
    if expiry.interrupted:
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
