"""Rate limits in virtual time at scale: no hang at 10,000 events, and the observed rate is the limit.

The hang these hold off (issue 16): at a large virtual time aiolimiter's wake-up delay can be
below the float spacing of the clock (a 4,000 rpm bucket at 76.6 s, level 3999.0000000000005,
waits 7e-15 s), so its timer is armed at "now", fires at "now", finds the level unchanged
and re-arms at "now" forever. The virtual loop now lets a pass that runs only due timers
take `SPIN_STEP` of time (`copilot/run/clock.py`). Each test runs under a wall-clock alarm,
so a regression fails instead of hanging the suite.

100,000 events through the whole `flowgen test` pipeline take about two minutes on the
shared 2-core machine, so that size is in `bench/bench_loadtest.py --rate-limits`; here the
limiter alone takes 100,000 acquisitions, and the pipeline 10,000 events.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tracemalloc
from collections.abc import Iterator

import pytest

from copilot.run.clock import run_virtual
from copilot.run.loadtest import TestOptions, prepare, run_setup
from copilot.run.resilience.ratelimit import ModelLimiter

from .conftest import mini_flow


@contextlib.contextmanager
def wall_limit(seconds: int) -> Iterator[None]:
    """Fail (not hang) when the block runs longer than `seconds` of real time."""

    def expire(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s of wall time: virtual time is stuck")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def limited_run(rpm: int, calls: int, waiters: int, start: float) -> tuple[list[float], int]:
    """`calls` acquisitions of one request each by `waiters` tasks; their times and the peak memory."""

    async def main() -> tuple[list[float], int]:
        limiter = ModelLimiter(rpm, None)
        loop = asyncio.get_running_loop()
        times: list[float] = []
        remaining = iter(range(calls))

        async def worker() -> None:
            for _ in remaining:
                await limiter.acquire(1)
                times.append(loop.time())

        tracemalloc.start()
        await asyncio.gather(*(worker() for _ in range(waiters)))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return times, peak

    return run_virtual(main, start=start)


@pytest.mark.parametrize("calls", [10_000, 100_000])
def test_the_limiter_admits_every_call_at_its_rate_in_virtual_time(calls):
    # The case: 4,000 rpm, 25 waiters, virtual time past 76 s.
    rpm, start = 4000, 76.5
    with wall_limit(60):
        times, peak = limited_run(rpm, calls, waiters=25, start=start)
    assert len(times) == calls
    # The bucket holds 4,000 at once; after the burst it admits rpm/60 per second.
    after_burst = times[rpm:]
    rate = (len(after_burst) - 1) / (after_burst[-1] - after_burst[0])
    assert rate == pytest.approx(rpm / 60, rel=1e-3)
    assert times[-1] - start == pytest.approx((calls - rpm) / (rpm / 60), rel=1e-3)
    # Nothing is kept per call but the test's own list of times (8 bytes a float + list slot).
    assert peak < 64 * calls + 1_000_000


def test_flowgen_test_finishes_10000_events_in_virtual_time_with_rate_limits_on(write_flow):
    # One model limited to 6,000 rpm (100/s) and events offered at 1,000/s for 10 s: the
    # bucket fills at t = 6.67 s (6,667 admitted), then the limiter, not the arrivals, sets
    # the pace: 3,333 more at 100/s, the last at t = 40 s, past where the hang began. The
    # step's timeout and the SLA are long enough that every event waits its turn.
    text = (
        mini_flow(
            tests="tests:\n  load: {executor: constant-arrival-rate, rate: 1000/s, events: 10000}",
            on_deadline=False,
        )
        .replace(
            "latency: {p50: 100ms, p95: 100ms}}", "latency: {p50: 100ms, p95: 100ms}, limits: {rpm: 6000}}"
        )
        .replace("timeout: 500ms", "timeout: 60s")
        .replace("sla: {latency_p95: 1s}", "sla: {latency_p95: 120s}")
    )
    path = write_flow(text)
    with wall_limit(240):
        result = run_setup(prepare(path, TestOptions(flow_chaos=False, virtual_time=True, latency_scale=0.0)))
    data = result.to_dict()
    assert data["events"] == 10_000
    assert data["counts"]["errors"] == 0
    assert data["counts"]["responses"] == 10_000
    assert data["counts"]["unanswered"] == data["counts"]["unfinished"] == 0
    # Virtual seconds from the first arrival to the last response: the limiter's pace.
    assert result.wall_time == pytest.approx(6_667 / 1000 + 3_333 / 100, rel=0.01)
