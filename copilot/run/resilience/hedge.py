"""Hedged requests: if the primary has not answered by `after`, start a backup too.

The first success wins and the other call is cancelled; a failure of one leaves the other
running. Hedging trades a little extra cost for a much shorter latency tail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

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


async def hedged(
    primary: Callable[[], Awaitable[T]],
    backup: Callable[[], Awaitable[T]],
    after: float,
    *,
    may_hedge: Callable[[], bool] = lambda: True,
    failures: tuple[type[BaseException], ...] = (Exception,),
) -> HedgeOutcome[T]:
    """Run `primary`; start `backup` after `after` seconds unless it answered already.

    Exceptions in `failures` count as a failed call; anything else propagates (and
    cancels the other call).
    """
    first = asyncio.ensure_future(primary())
    try:
        done, _ = await asyncio.wait({first}, timeout=after)
    except BaseException:
        first.cancel()
        raise
    if done:
        exc = first.exception()
        if exc is None:
            return HedgeOutcome(first.result(), hedge_won=False, hedged=False)
        if isinstance(exc, failures):
            raise HedgeFailed(exc, None, hedged=False)
        raise exc
    if not may_hedge():
        try:
            return HedgeOutcome(await first, hedge_won=False, hedged=False)
        except failures as exc:
            raise HedgeFailed(exc, None, hedged=False) from None
    second = asyncio.ensure_future(backup())
    pending = {first, second}
    errors: dict[asyncio.Future[T], BaseException] = {}
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            # Prefer the primary when both finished in the same tick: no hedge was needed.
            for task in sorted(done, key=lambda t: t is not first):
                exc = task.exception()
                if exc is None:
                    for loser in pending:
                        loser.cancel()
                    if pending:
                        await asyncio.wait(pending)
                    return HedgeOutcome(task.result(), hedge_won=task is second, hedged=True)
                if not isinstance(exc, failures):
                    raise exc
                errors[task] = exc
    except BaseException:
        for task in (first, second):
            task.cancel()
        raise
    raise HedgeFailed(errors[first], errors[second], hedged=True)
