"""A circuit breaker per model: stop calling a model that keeps failing, probe it later.

Closed: calls go through; failures inside `window` are counted. `threshold` failures
open it: calls are refused (the fallback is used instead) for `cooldown`. Then it is
half-open: one probe call goes through; success closes it, failure opens it again.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from copilot.run.clock import Clock

State = Literal["closed", "open", "half_open"]

DEFAULT_THRESHOLD = 5
DEFAULT_WINDOW = 30.0
DEFAULT_COOLDOWN = 15.0


@dataclass(slots=True)
class CircuitBreaker:
    clock: Clock
    threshold: int = DEFAULT_THRESHOLD
    window: float = DEFAULT_WINDOW
    cooldown: float = DEFAULT_COOLDOWN
    _failures: deque[float] = field(default_factory=deque)
    _opened_at: float | None = None
    _probing: bool = False

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return "closed"
        if self.clock.now() - self._opened_at >= self.cooldown:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """May a call start now? In half-open state only one probe at a time may."""
        if self._opened_at is None:
            return True  # closed: the common case, without reading the clock
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._probing:
            self._probing = True
            return True
        return False

    def healthy(self) -> bool:
        """Would a call be allowed (without claiming the half-open probe)?"""
        if self._opened_at is None:
            return True
        state = self.state
        return state == "closed" or (state == "half_open" and not self._probing)

    def record_success(self) -> None:
        if self._failures:
            self._failures.clear()
        self._opened_at = None
        self._probing = False

    def record_failure(self) -> None:
        now = self.clock.now()
        if self._opened_at is not None:
            # A failed probe (or a call that started before the circuit opened): open again.
            self._opened_at = now
            self._probing = False
            return
        self._failures.append(now)
        while self._failures and now - self._failures[0] > self.window:
            self._failures.popleft()
        if len(self._failures) >= self.threshold:
            self._opened_at = now
            self._failures.clear()

    def release_probe(self) -> None:
        """A probe that ended without a verdict (cancelled, not a provider failure)."""
        self._probing = False


class BreakerBoard:
    """One breaker per model alias, created on first use."""

    def __init__(
        self,
        clock: Clock,
        threshold: int = DEFAULT_THRESHOLD,
        window: float = DEFAULT_WINDOW,
        cooldown: float = DEFAULT_COOLDOWN,
    ) -> None:
        self.clock = clock
        self.threshold, self.window, self.cooldown = threshold, window, cooldown
        self._breakers: dict[str, CircuitBreaker] = {}

    def __getitem__(self, alias: str) -> CircuitBreaker:
        breaker = self._breakers.get(alias)
        if breaker is None:
            breaker = CircuitBreaker(self.clock, self.threshold, self.window, self.cooldown)
            self._breakers[alias] = breaker
        return breaker

    def states(self) -> dict[str, State]:
        return {alias: b.state for alias, b in self._breakers.items()}
