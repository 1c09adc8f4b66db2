"""Per-call timeouts, clipped by the event's deadline (deadline propagation).

A hot-path call gets the smaller of its own `timeout` and what is left of the SLA; an
off-path call (or one after the response was sent) gets its own timeout only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from copilot.run.providers.base import ProviderError

T = TypeVar("T")


def call_budget(step_timeout: float | None, deadline: float | None, now: float) -> float | None:
    """Seconds a call may take: `step_timeout` clipped to `deadline` (both optional)."""
    if deadline is None:
        return step_timeout
    left = max(0.0, deadline - now)
    return left if step_timeout is None else min(step_timeout, left)


async def with_timeout(call: Awaitable[T], seconds: float | None, *, what: str = "call") -> T:
    """Await `call`, cancelling it after `seconds`; a timeout becomes `ProviderError('timeout')`."""
    if seconds is None:
        return await call
    try:
        async with asyncio.timeout(seconds):
            return await call
    except TimeoutError:
        raise ProviderError("timeout", f"{what} took longer than {seconds * 1000:.0f}ms") from None
