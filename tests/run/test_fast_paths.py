"""The engine's cheap paths keep their semantics: lazy timers, inline hedges, one deadline
timer, one task per chain of steps, compact idempotency records."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest

from copilot.run.clock import VirtualTimeLoop
from copilot.run.engine import Engine
from copilot.run.providers.base import ProviderError
from copilot.run.resilience.hedge import HedgeFailed, hedged
from copilot.run.resilience.idempotency import (
    IdempotencyConflict,
    MemoryIdempotencyStore,
    SqliteIdempotencyStore,
    local_fingerprint,
    request_hash,
)
from copilot.run.resilience.timeout import with_timeout

from .conftest import Behaviour, ScriptedProvider, flow_from


class CountingLoop(VirtualTimeLoop):
    """A virtual-time loop that counts the timers it was asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.timers = 0

    def call_at(self, when, callback, *args, context=None):  # type: ignore[no-untyped-def, override]
        self.timers += 1
        return super().call_at(when, callback, *args, context=context)


def run_counting(main):  # type: ignore[no-untyped-def]
    loop = CountingLoop()
    try:
        return loop.run_until_complete(main()), loop
    finally:
        loop.close()


async def _instant(value: str = "x") -> str:
    return value


async def _after(delay: float, value: str = "x", fail: bool = False) -> str:
    await asyncio.sleep(delay)
    if fail:
        raise ProviderError("server_error", value)
    return value


# ---------------------------------------------------------------------------- timeouts


def test_a_call_that_answers_without_waiting_arms_no_timer():
    async def main():
        return [await with_timeout(_instant(str(i)), 0.5) for i in range(100)]

    values, loop = run_counting(main)
    assert values == [str(i) for i in range(100)] and loop.timers == 0


def test_a_call_that_waits_is_still_timed_out_exactly():
    async def main():
        loop = asyncio.get_running_loop()
        start = loop.time()
        assert await with_timeout(_after(0.1, "ok"), 0.5) == "ok"
        with pytest.raises(ProviderError) as info:
            await with_timeout(_after(10.0), 0.25, what="slow call")
        return info.value, loop.time() - start

    (error, took), loop = run_counting(main)
    assert error.kind == "timeout" and "slow call" in str(error)
    assert took == pytest.approx(0.35)
    assert loop.timers >= 2  # one per call that waited


def test_a_timeout_never_swallows_a_cancellation_from_elsewhere(virtual):
    async def main():
        inner = asyncio.ensure_future(with_timeout(_after(10.0), 5.0))
        await asyncio.sleep(0.1)
        inner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await inner
        return asyncio.current_task().cancelling()  # type: ignore[union-attr]

    assert virtual(main()) == 0


# ---------------------------------------------------------------------------- hedges


def test_a_hedge_whose_primary_answers_at_once_costs_no_timer_and_no_task():
    started = []

    async def backup():
        started.append(1)
        return "b"

    async def main():
        before = len(asyncio.all_tasks())
        outcome = await hedged(lambda: _instant("a"), backup, 0.5)
        return outcome, len(asyncio.all_tasks()) - before

    (outcome, new_tasks), loop = run_counting(main)
    assert outcome.value == "a" and not outcome.hedged and started == []
    assert loop.timers == 0 and new_tasks == 0


def test_a_won_hedge_cancels_and_awaits_the_loser(virtual):
    cancelled = []

    async def slow_backup():
        try:
            return await _after(5.0, "b")
        except asyncio.CancelledError:
            cancelled.append("b")
            raise

    async def main():
        outcome = await hedged(lambda: _after(0.8, "a"), slow_backup, 0.5)
        # The loser is already finished when hedged() returns: nothing is left pending.
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return outcome, pending

    outcome, pending = virtual(main())
    assert outcome.value == "a" and outcome.hedged and not outcome.hedge_won
    assert cancelled == ["b"] and pending == []


def test_cancelling_a_hedge_from_outside_leaves_no_task_behind(virtual):
    cancelled = []

    async def call(name: str) -> str:
        try:
            return await _after(10.0, name)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise

    async def main():
        racing = asyncio.ensure_future(hedged(lambda: call("a"), lambda: call("b"), 0.5))
        await asyncio.sleep(1.0)  # both calls are running now
        racing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await racing
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert virtual(main()) == []
    assert sorted(cancelled) == ["a", "b"]


def test_a_failed_primary_leaves_the_backup_to_answer(virtual):
    async def main():
        loop = asyncio.get_running_loop()
        start = loop.time()
        outcome = await hedged(lambda: _after(0.7, "a", fail=True), lambda: _after(0.5, "b"), 0.5)
        return outcome, loop.time() - start

    outcome, took = virtual(main())
    assert outcome.value == "b" and outcome.hedge_won and took == pytest.approx(1.0)
    with pytest.raises(HedgeFailed):
        virtual(hedged(lambda: _after(0.1, "a", fail=True), lambda: _instant("b"), 0.5))


# ---------------------------------------------------------------------------- the engine

HEAD = """
apiVersion: flowgen/v1
kind: Flow
name: t
trigger: {type: webhook, path: /t, idempotency_key: "{{ event.id }}"}
models:
  a: {use: openai/gpt-4o-mini}
  b: {use: anthropic/claude-haiku-4-5}
"""


def _engine(text: str, provider, tmp_path: Path, **kw) -> Engine:  # type: ignore[no-untyped-def]
    return Engine(flow_from(HEAD + text), provider=provider, base_dir=tmp_path, **kw)


def test_each_event_gets_its_own_deadline_from_one_timer(virtual, tmp_path):
    # "slow" hangs for events whose id starts with "h"; the others answer in 100 ms.
    class Provider(ScriptedProvider):
        async def complete(self, request):  # type: ignore[no-untyped-def]
            self.behaviours["a"] = Behaviour(latency=None if request.user.startswith("h") else 0.1)
            return await super().complete(request)

    eng = _engine(
        """
sla: {latency_p95: 1s}
steps:
  - {id: slow, type: model, model: a, prompt: {user: "{{ event.id }}"}, timeout: 30s}
respond: {needs: [slow], body: done, on_deadline: {status: 202, body: queued}}
""",
        Provider(),
        tmp_path,
    )

    async def main():
        loop = asyncio.get_running_loop()
        results = {}

        async def one(event_id: str, at: float) -> None:
            await asyncio.sleep(at)
            result = await eng.handle({"id": event_id})
            results[event_id] = (result.response_body, loop.time())

        await asyncio.gather(one("h1", 0.0), one("f1", 0.3), one("h2", 0.6), one("f2", 2.0), one("h3", 2.5))
        return results

    results = virtual(main())
    assert results["h1"] == ("queued", pytest.approx(1.0))
    assert results["f1"] == ("done", pytest.approx(0.4))
    assert results["h2"] == ("queued", pytest.approx(1.6))
    assert results["f2"] == ("done", pytest.approx(2.1))
    assert results["h3"] == ("queued", pytest.approx(3.5))


def test_a_chain_of_steps_runs_in_one_task_and_branches_get_their_own(virtual, tmp_path):
    provider = ScriptedProvider(default=Behaviour(latency=0.1))
    eng = _engine(
        """
steps:
  - {id: one, type: model, model: a, prompt: {user: one}, timeout: 1s}
  - {id: two, type: model, model: a, needs: [one], prompt: {user: two}, timeout: 1s}
  - {id: side, type: model, model: b, needs: [one], mode: async, prompt: {user: side}, timeout: 1s}
respond: {needs: [two], body: "{{ steps.two.output }}"}
""",
        provider,
        tmp_path,
    )

    async def main():
        created = []
        loop = asyncio.get_running_loop()
        factory = loop.get_task_factory()

        def counting(loop, coro, **kw):  # type: ignore[no-untyped-def]
            created.append(getattr(coro, "__qualname__", ""))
            task = asyncio.Task(coro, loop=loop, **kw)
            return task

        loop.set_task_factory(counting)
        try:
            result = await eng.handle({"id": "e"})
            await eng.drain()
        finally:
            loop.set_task_factory(factory)
        return result, created

    result, created = virtual(main())
    assert [r.status for r in result.steps.values()] == ["ok", "ok", "ok"]
    assert result.latency == pytest.approx(0.2)  # `two` started as soon as `one` ended
    assert len(created) == 2  # one task for one → two, one for the async branch


def test_no_task_is_left_pending_after_drain_with_hedges_firing(virtual, tmp_path):
    provider = ScriptedProvider({"a": Behaviour(latency=0.9), "b": Behaviour(latency=0.2)})
    eng = _engine(
        """
steps:
  - {id: s, type: model, model: a, fallback: [b], hedge: {after: 300ms}, prompt: {user: "{{ event.id }}"},
     timeout: 2s}
respond: {needs: [s], body: "{{ steps.s.output }}"}
""",
        provider,
        tmp_path,
    )

    async def main():
        results = await asyncio.gather(*(eng.handle({"id": f"e{i}"}) for i in range(20)))
        await eng.drain()
        return results, [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    results, pending = virtual(main())
    assert all(r.steps["s"].hedge_won and r.steps["s"].model == "b" for r in results)
    assert sorted(set(provider.cancelled)) == ["a"] and len(provider.cancelled) == 20
    assert pending == []


def test_replays_come_back_from_compact_records_in_both_stores(virtual, tmp_path):
    for store in (MemoryIdempotencyStore(), SqliteIdempotencyStore(tmp_path / "idem.db")):
        provider = ScriptedProvider()
        eng = _engine(
            """
steps:
  - {id: s, type: model, model: a, prompt: {user: "hi"}, timeout: 1s, idempotency_key: "{{ event.id }}:s"}
respond: {needs: [s], body: {out: "{{ steps.s.output }}"}}
""",
            provider,
            tmp_path,
            idempotency=store,
        )

        async def main(eng=eng):
            first = await eng.handle({"id": "k"})
            again = await eng.handle({"id": "k"})  # the same delivery: the recorded response
            other = await eng.handle({"id": "k", "more": 1})  # same key, another event: 409
            return first, again, other

        first, again, other = virtual(main())
        assert provider.count() == 1
        assert again.replayed and again.response_body == first.response_body and again.response_status == 200
        assert other.response_status == 409


# ---------------------------------------------------------------------------- fingerprints


def test_request_hash_is_the_canonical_json_digest():
    for value in (
        ["step", "system", "user é", ("a", "b"), 0],
        {"b": [1, 2.5, None, True], "a": {"z": "y"}},
        ("tuple", ["nested"]),
    ):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
        assert request_hash(value) == hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def test_local_fingerprints_tell_requests_apart_and_stores_use_them():
    call = ("s", "system", "user", ("a", "b"), 0)
    assert local_fingerprint(call) == local_fingerprint(tuple(call))
    assert local_fingerprint(call) != local_fingerprint(("s", "system", "user!", ("a", "b"), 0))
    assert local_fingerprint(call) != local_fingerprint(("s", "system", "user", ("b", "a"), 0))
    # Anything unhashable (an http body) is hashed canonically, key order aside.
    assert local_fingerprint(("h", {"a": 1, "b": 2})) == local_fingerprint(("h", {"b": 2, "a": 1}))
    store = MemoryIdempotencyStore()
    store.record("k", store.fingerprint(call), ("out", "a"), 60)
    assert store.lookup("k", store.fingerprint(call)).value == ("out", "a")  # type: ignore[union-attr]
    with pytest.raises(IdempotencyConflict):
        store.lookup("k", store.fingerprint(("s", "system", "other", ("a", "b"), 0)))
