"""Each resilience primitive on its own, with a controllable clock."""

from __future__ import annotations

import asyncio
import random
import statistics

import pytest

from copilot.flow.models import Retry
from copilot.run.clock import ManualClock
from copilot.run.providers.base import ProviderError, parse_retry_after
from copilot.run.resilience.breaker import CircuitBreaker
from copilot.run.resilience.fallback import ChainFailed, run_chain
from copilot.run.resilience.hedge import HedgeFailed, hedged
from copilot.run.resilience.idempotency import (
    IdempotencyConflict,
    MemoryIdempotencyStore,
    SqliteIdempotencyStore,
    request_hash,
)
from copilot.run.resilience.ratelimit import ModelLimiter, flow_limiter
from copilot.run.resilience.retry import RetryPolicy
from copilot.run.resilience.routing import LatencyEstimate, Router
from copilot.run.resilience.timeout import call_budget, with_timeout

# ---------------------------------------------------------------------------- timeout


def test_call_budget_is_the_smaller_of_timeout_and_remaining():
    assert call_budget(0.9, None, 10.0) == 0.9
    assert call_budget(0.9, 10.5, 10.0) == pytest.approx(0.5)
    assert call_budget(None, 10.5, 10.0) == pytest.approx(0.5)
    assert call_budget(0.9, 9.0, 10.0) == 0.0


def test_with_timeout_cancels_and_classifies(virtual):
    async def main():
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(ProviderError) as info:
            await with_timeout(asyncio.sleep(60), 0.25, what="x")
        return info.value, loop.time() - start

    error, waited = virtual(main())
    assert error.kind == "timeout" and waited == pytest.approx(0.25)


# ---------------------------------------------------------------------------- retry


def policy(**kw):
    return RetryPolicy.from_spec(Retry(**kw))


def test_full_jitter_is_uniform_below_the_exponential_cap():
    p = policy(attempts=5, backoff="exponential", initial="100ms", max="1s", jitter=True)
    rng = random.Random(1)
    for n, cap in enumerate([0.1, 0.2, 0.4, 0.8, 1.0, 1.0]):
        draws = [p.delay(n, rng) for _ in range(2000)]
        assert min(draws) >= 0 and max(draws) <= cap
        assert statistics.mean(draws) == pytest.approx(cap / 2, rel=0.08)


def test_no_jitter_is_exact_and_retry_after_is_a_floor():
    p = policy(attempts=3, backoff="exponential", initial="100ms", max="300ms")
    rng = random.Random(0)
    assert [p.delay(i, rng) for i in range(3)] == [0.1, 0.2, 0.3]
    assert p.delay(0, rng, retry_after=2.0) == 2.0
    assert policy(attempts=1, backoff="none").delay(0, rng) == 0.0


def test_only_listed_classes_and_statuses_are_retried():
    p = policy(attempts=2, on=["timeout", 503])
    assert p.retryable(ProviderError("timeout"))
    assert p.retryable(ProviderError("server_error", status=503))
    assert not p.retryable(ProviderError("server_error", status=500))
    assert not p.retryable(ProviderError("rate_limit", status=429))
    default = policy(attempts=2)
    assert default.retryable(ProviderError("rate_limit")) and not default.retryable(
        ProviderError("client_error")
    )
    assert policy(attempts=99).attempts == 10  # bounded


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past


# ---------------------------------------------------------------------------- breaker


def test_breaker_opens_after_n_failures_in_window_and_probes():
    clock = ManualClock()
    breaker = CircuitBreaker(clock, threshold=3, window=10, cooldown=5)
    breaker.record_failure()
    clock.advance(11)  # out of the window: forgotten
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.advance(5)
    assert breaker.state == "half_open"
    assert breaker.allow()  # the one probe
    assert not breaker.allow()  # a second caller waits for the probe's verdict
    breaker.record_failure()  # the probe failed: open again for a full cooldown
    assert breaker.state == "open"
    clock.advance(5)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


# ---------------------------------------------------------------------------- hedge and fallback


async def _answer(value, delay, fail=False):
    await asyncio.sleep(delay)
    if fail:
        raise ProviderError("server_error", value)
    return value


def test_hedge_not_started_when_primary_is_fast(virtual):
    started = []

    async def backup():
        started.append(1)
        return "b"

    outcome = virtual(hedged(lambda: _answer("a", 0.1), backup, 0.5))
    assert outcome.value == "a" and not outcome.hedged and started == []


def test_hedge_first_success_wins_and_loser_is_cancelled(virtual):
    cancelled = []

    async def slow():
        try:
            return await _answer("a", 3.0)
        except asyncio.CancelledError:
            cancelled.append("a")
            raise

    async def main():
        loop = asyncio.get_running_loop()
        start = loop.time()
        outcome = await hedged(slow, lambda: _answer("b", 0.2), 0.5)
        return outcome, loop.time() - start

    outcome, took = virtual(main())
    assert outcome.value == "b" and outcome.hedge_won and took == pytest.approx(0.7)
    assert cancelled == ["a"]


def test_hedge_survives_one_failure_and_reports_both(virtual):
    outcome = virtual(hedged(lambda: _answer("a", 1.0), lambda: _answer("b", 0.1, fail=True), 0.5))
    assert outcome.value == "a" and not outcome.hedge_won
    with pytest.raises(HedgeFailed) as info:
        virtual(hedged(lambda: _answer("a", 1.0, True), lambda: _answer("b", 0.1, True), 0.5))
    assert info.value.primary is not None and info.value.backup is not None


def test_chain_falls_back_in_order_and_skips_open_circuits(virtual):
    calls = []

    async def call(alias, is_hedge):
        calls.append(alias)
        return await _answer(alias, 0.1, fail=alias == "a")

    verdicts = {"b": ("skip", "circuit open")}
    result = virtual(
        run_chain(["a", "b", "c"], call, may_start=lambda alias, i: verdicts.get(alias, ("go", "")))
    )
    assert result.alias == "c" and result.index == 2 and calls == ["a", "c"]
    assert [e[0] for e in result.errors] == ["a", "b"]

    with pytest.raises(ChainFailed) as info:
        virtual(run_chain(["a"], call))
    assert isinstance(info.value.last_error, ProviderError)
    with pytest.raises(ChainFailed, match="deadline"):
        virtual(run_chain(["a", "c"], call, may_start=lambda a, i: ("stop", "deadline") if i else ("go", "")))


# ---------------------------------------------------------------------------- rate limits


def test_model_limiter_spaces_requests_beyond_rpm(virtual):
    limiter = ModelLimiter(rpm=60, tpm=None)  # one a second, a bucket of 60

    async def main():
        loop = asyncio.get_running_loop()
        start = loop.time()
        for _ in range(62):
            await limiter.acquire(10)
        return loop.time() - start

    assert virtual(main()) == pytest.approx(2.0, abs=0.05)


def test_tpm_limits_tokens_and_flow_limiter_bursts(virtual):
    limiter = ModelLimiter(rpm=None, tpm=6000)  # 100 tokens a second

    async def tokens():
        loop = asyncio.get_running_loop()
        start = loop.time()
        await limiter.acquire(6000)  # the whole bucket
        await limiter.acquire(500)  # must wait for 500 tokens to drain: 5 s
        return loop.time() - start

    assert virtual(tokens()) == pytest.approx(5.0, abs=0.05)

    class Spec:
        limit, period, burst = 50, 1.0, 100

    ingress = flow_limiter(Spec())

    async def burst():
        loop = asyncio.get_running_loop()
        start = loop.time()
        for _ in range(100):
            await ingress.acquire()
        burst_time = loop.time() - start
        for _ in range(50):
            await ingress.acquire()
        return burst_time, loop.time() - start

    burst_time, total = virtual(burst())
    assert burst_time == 0.0  # the burst is admitted at once
    assert total == pytest.approx(1.0, abs=0.05)  # then 50/s


# ---------------------------------------------------------------------------- routing


def test_latency_estimate_is_seeded_from_percentiles_and_decays():
    estimate = LatencyEstimate.from_percentiles(0.4, 0.85)
    assert estimate.p50 == pytest.approx(0.4) and estimate.p95 == pytest.approx(0.85)
    for _ in range(30):
        estimate.observe(2.0)
    assert estimate.p50 == pytest.approx(2.0, rel=0.1)  # recent calls dominate within a few dozen
    for _ in range(90):
        estimate.observe(2.0)
    assert estimate.p95 == pytest.approx(2.0, rel=0.1)  # the spread decays too


def test_router_strategies():
    from copilot.catalog import ModelProfile

    profiles = {
        "cheap_slow": ModelProfile(
            "x/1", "x", "1", p50=1.0, p95=2.0, input_per_mtok=0.1, output_per_mtok=0.1
        ),
        "pricey_fast": ModelProfile("x/2", "x", "2", p50=0.2, p95=0.4, input_per_mtok=5, output_per_mtok=5),
        "mid": ModelProfile("x/3", "x", "3", p50=0.5, p95=0.9, input_per_mtok=1, output_per_mtok=1),
    }
    router = Router(profiles)
    names = list(profiles)
    assert router.choose(names, "cheapest-within-deadline", 3.0).chosen == "cheap_slow"
    decision = router.choose(names, "cheapest-within-deadline", 1.0)
    assert decision.chosen == "mid" and decision.order == ["mid", "cheap_slow", "pricey_fast"]
    assert "≤" in decision.reason
    assert router.choose(names, "cheapest-within-deadline", 0.1).chosen == "pricey_fast"  # none fits
    assert router.choose(names, "fastest", None).chosen == "pricey_fast"
    assert router.choose(names, "cheapest", None).chosen == "cheap_slow"
    assert router.choose(names, "ordered", None, healthy=lambda a: a != "cheap_slow").chosen == "pricey_fast"
    for _ in range(40):
        router.observe("mid", 3.0)  # mid got slow: it no longer fits a 1 s budget
    assert router.choose(names, "cheapest-within-deadline", 1.0).chosen == "pricey_fast"


# ---------------------------------------------------------------------------- idempotency


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_idempotency_store_replay_conflict_expiry(kind, tmp_path):
    clock = ManualClock(1000.0)
    store = (
        MemoryIdempotencyStore(clock)
        if kind == "memory"
        else SqliteIdempotencyStore(tmp_path / "i.db", clock)
    )
    request = request_hash({"b": 2, "a": 1})
    assert request == request_hash({"a": 1, "b": 2})
    assert store.lookup("k", request) is None
    store.record("k", request, {"out": [1, 2]}, window=60)
    assert store.lookup("k", request).value == {"out": [1, 2]}
    with pytest.raises(IdempotencyConflict):
        store.lookup("k", request_hash({"a": 2}))
    clock.advance(61)
    assert store.lookup("k", request) is None


def test_sqlite_store_survives_a_restart(tmp_path):
    path = tmp_path / "state" / "idem.db"
    first = SqliteIdempotencyStore(path)
    first.record("evt-1", "h", {"status": 200}, window=3600)
    first.close()
    second = SqliteIdempotencyStore(path)
    assert second.lookup("evt-1", "h").value == {"status": 200}
    assert second.purge() == 0
