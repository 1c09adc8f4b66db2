"""Time for the engine: the event loop's clock by default, virtual time in tests.

Deadlines, timeouts, backoff waits and hedges are all asyncio timers, so the one clock
that matters is the event loop's. `LoopClock` reads it. `virtual_loop()` builds an event
loop whose clock jumps straight to the next timer instead of waiting, so a test of a
1.5 s deadline runs in microseconds and its offsets are exact. `ManualClock` serves the
primitives that only read the time (circuit breaker, routing, idempotency windows).
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


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
        if events or timeout == 0:
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
        self._virtual_time += max(0.0, seconds)


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
