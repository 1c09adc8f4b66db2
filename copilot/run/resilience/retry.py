"""Retry policy: bounded attempts, exponential backoff with full jitter, listed classes only.

Full jitter (AWS architecture blog, "Exponential Backoff And Jitter") draws each wait
uniformly from [0, min(cap, initial·2^n)], so clients that failed together do not retry
together. A server's Retry-After is a floor on the wait: retrying sooner is refused anyway.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from copilot.flow.estimate import DEFAULT_BACKOFF_INITIAL, DEFAULT_BACKOFF_MAX
from copilot.run.providers.base import TRANSIENT_KINDS, ProviderError

MAX_ATTEMPTS = 10  # the linter's bound (FG204); a larger value in a file is clamped


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How one call is retried. `attempts` counts retries after the first call."""

    attempts: int = 0
    backoff: str = "constant"  # none | constant | exponential
    initial: float = DEFAULT_BACKOFF_INITIAL
    cap: float = DEFAULT_BACKOFF_MAX
    jitter: bool = False
    kinds: frozenset[str] = TRANSIENT_KINDS
    statuses: frozenset[int] = frozenset()

    @classmethod
    def from_spec(cls, retry: Any) -> RetryPolicy:
        """The policy of a step's `retry:` block (None: no retries)."""
        if retry is None:
            return NO_RETRY
        initial = retry.initial if retry.initial is not None else DEFAULT_BACKOFF_INITIAL
        cap = retry.max if retry.max is not None else max(DEFAULT_BACKOFF_MAX, initial)
        kinds: set[str] = set()
        statuses: set[int] = set()
        for item in retry.on if retry.on is not None else sorted(TRANSIENT_KINDS):
            if isinstance(item, int):
                statuses.add(item)
            elif item == "validation_error":
                kinds.add("invalid_output")  # the same failure seen from a validate step's side
            else:
                kinds.add(item)
        return cls(
            attempts=min(retry.attempts or 0, MAX_ATTEMPTS),
            # An unset backoff waits `initial` between attempts, as the estimator assumes.
            backoff=retry.backoff or "constant",
            initial=initial,
            cap=cap,
            jitter=bool(retry.jitter),
            kinds=frozenset(kinds),
            statuses=frozenset(statuses),
        )

    def retryable(self, error: ProviderError) -> bool:
        """Whether this failure class (or HTTP status) is one the policy retries."""
        return error.kind in self.kinds or (error.status is not None and error.status in self.statuses)

    def delay(self, retry_index: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Wait before retry number `retry_index` (0 = the first retry)."""
        if self.backoff == "none":
            base = 0.0
        elif self.backoff == "exponential":
            base = min(self.cap, self.initial * 2.0 ** min(retry_index, 62))
        else:
            base = min(self.cap, self.initial)
        wait = rng.uniform(0.0, base) if self.jitter and base > 0 else base
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait

    def max_delay(self, retry_index: int) -> float:
        """The longest `delay` can be (jitter draws below it)."""
        if self.backoff == "none":
            return 0.0
        if self.backoff == "exponential":
            return min(self.cap, self.initial * 2.0 ** min(retry_index, 62))
        return min(self.cap, self.initial)


NO_RETRY = RetryPolicy(attempts=0)
