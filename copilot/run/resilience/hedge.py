"""Hedged requests: if the primary has not answered by `after`, start a backup too.

The first success wins and the other call is cancelled; a failure of one leaves the other
running. Hedging trades a little extra cost for a much shorter latency tail.

Most calls answer before `after`, so the primary is awaited in the caller's own task,
with one timer, armed only if the primary has to wait: no task, no `asyncio.wait`. Only
when the timer fires does the backup get a task of its own. If the backup wins while the
primary is still running, the caller's task is interrupted the way `asyncio.timeout`
does it (cancel, then `uncancel` on the way out), so the primary's call is cancelled
where it waits. A loser is always cancelled and awaited before `hedged` returns or
raises: no task is left pending behind it.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from copilot.run.resilience.timeout import TaskTimer, continue_await

T = TypeVar("T")


@dataclass(slots=True)
class HedgeOutcome(Generic[T]):
    """The winner's value, whether the backup won, and whether the backup was started."""

    value: T
    hedge_won: bool
    hedged: bool


class HedgeFailed(Exception):
    """Both calls failed (or the primary failed and no backup was allowed)."""

    def __init__(self, primary: BaseException, backup: BaseException | None, hedged: bool) -> None:
        super().__init__(str(backup or primary))
        self.primary = primary
        self.backup = backup
        self.hedged = hedged


class _Race(TaskTimer):
    """The backup's side of a hedge: started by the timer, it may interrupt the primary."""

    __slots__ = ("backup", "factory", "may_hedge", "primary_over")

    def __init__(
        self, factory: Callable[[], Awaitable[Any]], may_hedge: Callable[[], bool],
        loop: asyncio.AbstractEventLoop, when: float,
    ) -> None:  # fmt: skip
        super().__init__(loop, when)  # `interrupted`: the backup won and cancelled the caller's task
        self.factory = factory
        self.may_hedge = may_hedge
        self.backup: asyncio.Future[Any] | None = None
        self.primary_over = False  # the primary returned or raised: nothing to interrupt

    def start(self) -> None:
        """The timer fired and the primary is still running: start the backup if allowed."""
        if self.primary_over or not self.may_hedge():
            return
        self.backup = self.loop.create_task(self.factory())
        self.backup.add_done_callback(self._backup_done)

    def _backup_done(self, backup: asyncio.Future[Any]) -> None:
        if self.primary_over or backup.cancelled() or backup.exception() is not None:
            return  # a failed backup leaves the primary running
        self.interrupt()

    async def cancel_backup(self) -> None:
        """Cancel the backup (if running) and wait until it has finished."""
        backup = self.backup
        if backup is None or backup.done():
            return
        backup.cancel()
        try:
            await asyncio.wait((backup,))
        finally:
            if not backup.done():  # the caller is cancelled again while waiting: still no leak
                backup.cancel()


@types.coroutine
def hedged(
    primary: Callable[[], Awaitable[T]],
    backup: Callable[[], Awaitable[T]],
    after: float,
    *,
    may_hedge: Callable[[], bool] = lambda: True,
    failures: tuple[type[BaseException], ...] = (Exception,),
    loop: asyncio.AbstractEventLoop | None = None,
) -> Generator[Any, Any, HedgeOutcome[T]]:
    """Run `primary`; start `backup` after `after` seconds unless it answered already.

    Exceptions in `failures` count as a failed call; anything else propagates (and
    cancels the other call). `loop` is the running loop, if the caller has it at hand.
    (A generator-based coroutine, so it can drive the primary itself: it sits under every
    hedged model call.)
    """
    if loop is None:
        loop = asyncio.get_running_loop()
    when = loop.time() + after
    call: Any = primary()
    step = call if type(call) is types.CoroutineType else call.__await__()
    try:
        waiting = step.send(None)
    except StopIteration as stop:
        return HedgeOutcome(stop.value, hedge_won=False, hedged=False)  # answered without waiting
    except failures as exc:
        raise HedgeFailed(exc, None, hedged=False) from None
    # The primary waits: from here on there is a race to keep, and the hedge timer runs.
    race = _Race(backup, may_hedge, loop, when)
    try:
        handle = race.arm(race.start)  # the primary waits: the hedge timer runs
        try:
            value = yield from continue_await(step, waiting)
        finally:
            handle.cancel()
    except asyncio.CancelledError:
        race.primary_over = True
        if race.interrupted and race.task.uncancel() <= race.cancelling:  # type: ignore[union-attr]
            # Our own interrupt: the backup won while the primary was still running.
            return HedgeOutcome(race.backup.result(), hedge_won=True, hedged=True)  # type: ignore[union-attr]
        yield from race.cancel_backup()
        raise
    except failures as exc:
        race.primary_over = True
        if race.interrupted:
            # The backup won and interrupted a primary that turned the cancel into a failure.
            race.task.uncancel()  # type: ignore[union-attr]
            return HedgeOutcome(race.backup.result(), hedge_won=True, hedged=True)  # type: ignore[union-attr]
        if race.backup is None:
            raise HedgeFailed(exc, None, hedged=False) from None
        return (yield from _backup_after_primary_failed(race, exc, failures))
    except BaseException:
        race.primary_over = True
        if race.interrupted:
            race.task.uncancel()  # type: ignore[union-attr]
        yield from race.cancel_backup()
        raise
    race.primary_over = True
    if race.backup is None:
        return HedgeOutcome(value, hedge_won=False, hedged=False)
    if race.interrupted:
        # The primary answered although the backup's win had asked to stop it: keep the primary's.
        race.task.uncancel()  # type: ignore[union-attr]
    yield from race.cancel_backup()
    return HedgeOutcome(value, hedge_won=False, hedged=True)


async def _backup_after_primary_failed(
    race: _Race, primary_error: BaseException, failures: tuple[type[BaseException], ...]
) -> HedgeOutcome[Any]:
    backup = race.backup
    assert backup is not None
    try:
        value = await asyncio.shield(backup)
    except asyncio.CancelledError:
        if backup.cancelled():
            raise HedgeFailed(primary_error, asyncio.CancelledError(), hedged=True) from None
        await race.cancel_backup()  # the caller was cancelled: take the backup down with it
        raise
    except failures as exc:
        raise HedgeFailed(primary_error, exc, hedged=True) from None
    return HedgeOutcome(value, hedge_won=True, hedged=True)
