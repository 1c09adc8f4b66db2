"""A step with an `idempotency_key`: replay what was recorded for it, else call and record.

One key per step and event (`step:<id>:<rendered key>`), stored with a fingerprint of the
request, so the same key with another request is a conflict (the step fails as a client
error), never a silently wrong answer. A side effect (an http step) also *claims* its key
in a store shared by processes (`SqliteIdempotencyStore.claim`), so two processes
handling the same delivery never both call; a model call has no side effect, so it only
looks up and records (a second process calls the model again rather than wait).
"""

from __future__ import annotations

import asyncio
from typing import Any

from copilot.run.plans import StepFailure, StepPlan
from copilot.run.resilience.idempotency import Claimed, IdempotencyConflict, InFlight

_CLAIM_POLL = 0.05  # seconds between looks at a key another process holds


class StepReplay:
    """The idempotency of one keyed step of one event: `recorded()`, then `record` or `release`."""

    __slots__ = ("claimed", "engine", "key", "plan", "request_id", "store_key")

    def __init__(self, engine: Any, plan: StepPlan, key: str, request: Any) -> None:
        self.engine = engine
        self.plan = plan
        self.key = key
        self.store_key = f"step:{plan.id}:{key}"
        self.request_id = engine.fingerprint(request)
        self.claimed: Claimed | None = None

    async def recorded(self, *, side_effect: bool) -> Any | None:
        """The value recorded for this key and request (replay it), or None (call, then `record`).

        A side effect claims the key first where the store can (across processes): call
        `release` if the call fails, so a later delivery may try again.
        """
        store = self.engine.idempotency
        try:
            if side_effect and hasattr(store, "claim"):
                recorded = await self._claim()
            else:
                recorded = store.lookup(self.store_key, self.request_id)
        except IdempotencyConflict as exc:
            raise StepFailure(str(exc), "client_error") from None
        return None if recorded is None else recorded.value

    def record(self, value: Any) -> None:
        """Keep `value` for the dedupe window (a tuple: a store keeps one per call)."""
        engine = self.engine
        engine.idempotency.record(self.store_key, self.request_id, value, engine.dedupe_window)

    def release(self) -> None:
        """Give the claim up after a failed call (nothing to do when none was taken)."""
        if self.claimed is not None:
            self.engine.idempotency.release(self.store_key, self.claimed.token)
            self.claimed = None

    async def _claim(self) -> Any:
        """The recorded result, or None once this caller holds the key (across processes).

        A key another process holds is waited for, never called again: its result is
        replayed when it is recorded; when its holder's lease runs out with no result (it
        crashed) the step fails cleanly, and a later delivery takes the claim over
        (`claim(recover=True)`).
        """
        store: Any = self.engine.idempotency
        policy = self.plan.policy
        # The lease outlasts the whole call: every attempt at its timeout, and the waits between.
        timeout = self.plan.step.timeout or 30.0
        lease = timeout * (policy.attempts + 1) + policy.cap * policy.attempts + 1.0
        recover = True
        while True:
            state = store.claim(self.store_key, self.request_id, lease, recover=recover)
            if isinstance(state, Claimed):
                self.claimed = state
                return None
            if not isinstance(state, InFlight):
                return state
            if state.expired:
                raise StepFailure(
                    f"idempotency key {self.key!r} was claimed by another process whose "
                    "lease ran out without a result; not calling again (a later delivery takes it over)",
                    "unavailable",
                )
            recover = False
            await asyncio.sleep(_CLAIM_POLL)
