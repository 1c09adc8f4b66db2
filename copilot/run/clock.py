"""Time for the engine: the event loop's clock by default, virtual time in tests.

Deadlines, timeouts, backoff waits and hedges are all asyncio timers, so the one clock
that matters is the event loop's. `LoopClock` reads it. `virtual_loop()` builds an event
loop whose clock jumps straight to the next timer instead of waiting, so a test of a
1.5 s deadline runs in microseconds and its offsets are exact. `ManualClock` serves the
primitives that only read the time (circuit breaker, routing, idempotency windows).
"""

from __future__ import annotations

import asyncio
import math
import selectors
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

SPIN_STEP = 1e-9
"""Virtual seconds a pass of the loop takes when it has nothing to run but timers already due.

One nanosecond: the resolution of the monotonic clock, and far below any wait a flow
declares, yet large enough that a leaky bucket's drain over it (rate x 1 ns) is representable
next to the bucket's level.
"""


class Clock(Protocol):
    """Monotonic seconds and a way to wait."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class LoopClock:
    """The running event loop's clock (virtual when the loop is a `virtual_loop()`)."""

    __slots__ = ()

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that moves only when told: `advance()`, or `sleep()` which advances at once."""

    def __init__(self, start: float = 0.0) -> None:
        self.time = start

    def now(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds

    async def sleep(self, seconds: float) -> None:
        self.time += max(0.0, seconds)
        await asyncio.sleep(0)


class _FastForwardSelector:
    """Polls real I/O without blocking; when nothing is ready, moves the loop's time forward.

    asyncio's loop asks its selector to wait exactly until the next timer is due; instead
    of waiting, the virtual clock advances by that amount and the timer fires at once.
    Real I/O (sockets, threads) still works, but its waiting time is not virtual: use the
    real loop for tests that talk to a server. While a thread of `run_in_executor` (or
    `asyncio.to_thread`) works, the loop waits for it for real, as long as the next timer
    allows, instead of jumping over it: a write off the loop (the dead-letter file) takes
    no virtual time and lets no timer fire early.
    """

    def __init__(self, inner: selectors.BaseSelector, loop: VirtualTimeLoop) -> None:
        self._inner = inner
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[Any]:
        events = self._inner.select(0)
        if events:
            return events
        if timeout == 0:
            if self._loop.only_due_timers():
                self._loop.step_past_now()
            return events
        if timeout is None:
            # No timer pending: only real I/O can wake the loop, so wait for it for real.
            return self._inner.select(None)
        if self._loop.threads_working:
            events = self._inner.select(timeout)  # the thread's end wakes the loop
            if events:
                return events
        self._loop.advance(timeout)
        return events

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose `time()` is virtual and skips idle waits."""

    def __init__(self, start: float = 0.0) -> None:
        self._virtual_time = start
        self.threads_working = 0  # executor jobs in flight: the loop waits for them for real
        selector = selectors.DefaultSelector()
        super().__init__(_FastForwardSelector(selector, self))  # type: ignore[arg-type]

    def run_in_executor(self, executor: Any, func: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        future = super().run_in_executor(executor, func, *args)
        self.threads_working += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, _future: asyncio.Future[Any]) -> None:
        self.threads_working -= 1

    def time(self) -> float:
        return self._virtual_time

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`, and by at least one representable step if positive."""
        if seconds > 0:
            now = self._virtual_time
            self._virtual_time = max(now + seconds, math.nextafter(now, math.inf))

    def only_due_timers(self) -> bool:
        """Nothing is ready to run but timers that are already due (the loop would spin)."""
        return not self._ready and not self._stopping and bool(self._scheduled)  # type: ignore[attr-defined]

    def step_past_now(self) -> None:
        """Move time forward by `SPIN_STEP`, and by at least one representable step.

        A pass of a real loop takes microseconds, so a timer armed for "now" finds the clock
        moved on when it fires. Without this, a timer that re-arms itself at "now" spins
        forever at one instant: aiolimiter's wake-up does, when the wait it computes is below
        the float spacing of the current time (a 4,000 rpm bucket at 76.6 s waits 7e-15 s,
        which rounds to "now", and its level never drains because no time passes).
        """
        now = self._virtual_time
        self._virtual_time = max(now + SPIN_STEP, math.nextafter(now, math.inf))


def virtual_loop(start: float = 0.0) -> VirtualTimeLoop:
    """A new virtual-time event loop (close it when done, or use `run_virtual`)."""
    return VirtualTimeLoop(start)


def run_virtual(main: Callable[[], Awaitable[T]] | Awaitable[T], start: float = 0.0) -> T:
    """Run a coroutine on a fresh virtual-time loop and close it: `run_virtual(engine_test())`."""
    loop = virtual_loop(start)
    try:
        coro = main() if callable(main) else main
        return loop.run_until_complete(coro)  # type: ignore[arg-type]
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
