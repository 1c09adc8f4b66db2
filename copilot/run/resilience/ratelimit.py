"""Rate limits: per model (the provider's rpm/tpm) and per flow (ingress), via aiolimiter.

aiolimiter's leaky bucket admits `max_rate` units per `time_period` and reads the event
loop's clock, so limits also hold (and are exact) on a virtual-time loop.
"""

from __future__ import annotations

from typing import Any


class ModelLimiter:
    """Requests per minute and tokens per minute of one model alias."""

    __slots__ = ("_requests", "_tokens", "rpm", "tpm")

    def __init__(self, rpm: int | None, tpm: int | None) -> None:
        from aiolimiter import AsyncLimiter

        self.rpm, self.tpm = rpm, tpm
        self._requests = AsyncLimiter(rpm, 60.0) if rpm else None
        self._tokens = AsyncLimiter(tpm, 60.0) if tpm else None

    async def acquire(self, tokens: int) -> None:
        """Wait until a call of about `tokens` tokens may start."""
        if self._requests is not None:
            await self._requests.acquire()
        if self._tokens is not None and tokens > 0:
            # A call larger than the whole bucket would wait forever; it takes the bucket.
            await self._tokens.acquire(min(tokens, self._tokens.max_rate))

    def has_capacity(self, tokens: int) -> bool:
        if self._requests is not None and not self._requests.has_capacity():
            return False
        return self._tokens is None or self._tokens.has_capacity(min(tokens, self._tokens.max_rate))


def model_limiters(profiles: dict[str, Any]) -> dict[str, ModelLimiter]:
    """A limiter for every alias that has an rpm or tpm limit (flow override or catalog)."""
    return {
        alias: ModelLimiter(profile.rpm, profile.tpm)
        for alias, profile in profiles.items()
        if profile.rpm or profile.tpm
    }


def flow_limiter(rate_limit: Any) -> Any:
    """The ingress limiter of `trigger.rate_limit`: `limit` per `period`, bursting to `burst`.

    A leaky bucket of capacity `burst` draining at `limit/period` admits bursts up to
    `burst` and a sustained rate of `limit` per `period`.
    """
    from aiolimiter import AsyncLimiter

    if rate_limit is None:
        return None
    burst = rate_limit.burst or rate_limit.limit
    return AsyncLimiter(burst, burst * rate_limit.period / rate_limit.limit)
