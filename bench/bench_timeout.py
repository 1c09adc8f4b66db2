"""Per-call timeout: flowgen's `with_timeout` against the same contract on `asyncio.timeout_at`.

Every model and http call of the engine goes through `with_timeout`, so its cost is paid
per step. Both sides, alternating, in one process, CPU time per call (best and worst of
the rounds), for a call that answers without waiting (the zero-latency simulator, a cache
hit) and for one that waits one loop iteration; a bare `await` of the same coroutine is
the baseline.

    .venv/bin/python bench/bench_timeout.py
    .venv/bin/python bench/bench_timeout.py --calls 200000 --rounds 7
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable
from typing import Any

from copilot.run.providers.base import ProviderError
from copilot.run.resilience.timeout import with_timeout


async def with_asyncio_timeout(
    call: Awaitable[Any], seconds: float | None, *, what: str = "call", loop: Any = None
) -> Any:
    """`with_timeout`'s contract on `asyncio.timeout_at` (what the standard library offers)."""
    if seconds is None:
        return await call
    timeout = asyncio.timeout_at((loop or asyncio.get_running_loop()).time() + seconds)
    try:
        async with timeout:
            return await call
    except TimeoutError:
        if timeout.expired():
            raise ProviderError("timeout", f"{what} took longer than {seconds * 1000:.0f}ms") from None
        raise


async def answers_at_once() -> int:
    return 1


async def waits_one_iteration() -> int:
    await asyncio.sleep(0)
    return 1


async def per_call(side: Any, call: Any, calls: int) -> float:
    """CPU microseconds per call of `side` (None: a bare await)."""
    loop = asyncio.get_running_loop()
    started = time.process_time()
    if side is None:
        for _ in range(calls):
            await call()
    else:
        for _ in range(calls):
            await side(call(), 0.5, loop=loop)
    return (time.process_time() - started) / calls * 1e6


async def main(calls: int, rounds: int) -> None:
    sides = {
        "bare await": None,
        "flowgen with_timeout": with_timeout,
        "asyncio.timeout_at": with_asyncio_timeout,
    }
    kinds = {"answers at once": answers_at_once, "waits one iteration": waits_one_iteration}
    results: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for kind, call in kinds.items():
            for name, side in sides.items():
                results.setdefault((kind, name), []).append(await per_call(side, call, calls))
    print(f"{calls:,} calls per side and round, {rounds} alternating rounds, CPU time per call")
    for (kind, name), times in results.items():
        print(f"{kind:20s} {name:22s} best {min(times):6.2f} µs   worst {max(times):6.2f} µs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.rounds))
