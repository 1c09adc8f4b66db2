"""Per-call overhead of flowgen's engine against LiteLLM's Router, and a plain asyncio stack.

One model call with a fallback, a timeout and one retry, made N times at concurrency 1 and
at concurrency 100, with no network on any side:

- flowgen: `Engine.handle` on a one-step flow (model `fast`, `fallback: [backup]`,
  `timeout: 2s`, `retry: {attempts: 2}`), the zero-latency sim provider, no telemetry, no
  rate limits. It also checks the event against `trigger.event_schema`, renders the prompt
  template and the response body: the work of one webhook event.
- LiteLLM: `Router.acompletion` with `mock_response` (LiteLLM's own no-network answer),
  `fallbacks=[{"fast": ["backup"]}]`, `timeout=2`, `num_retries=1`: LiteLLM's documented way
  to get fallbacks and timeouts.
- plain: what a programmer writes with the libraries for each concern: `asyncio.timeout`,
  tenacity's `AsyncRetrying` (2 attempts), a fallback by `except`, and aiolimiter's
  `AsyncLimiter` (never full here), around the same sim provider call flowgen makes.

Each side runs once per round, in an order that rotates from round to round (paired); the
per-call time (wall time / calls) is reported as the median of the rounds with its spread,
and the ratio against flowgen is taken within each round. The machine is shared: read the
spread.

LiteLLM is a bench-only dependency; it pins its own versions of openai and others, so it
goes in a venv of its own, with flowgen from the source tree:

    python -m venv /tmp/peer-venv
    /tmp/peer-venv/bin/pip install -r bench/requirements-peer.txt
    PYTHONPATH=. /tmp/peer-venv/bin/python bench/bench_peer_litellm.py            # 2,000 calls, 5 rounds
    PYTHONPATH=. /tmp/peer-venv/bin/python bench/bench_peer_litellm.py --calls 500 --rounds 3 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download of the price list

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: peer
sla: {latency_p95: 5s}
trigger:
  type: webhook
  path: /peer
  event_schema:
    type: object
    required: [id, text]
    properties: {id: {type: string}, text: {type: string}}
  example: {id: "E-1", text: "Where is my order?"}
models:
  fast: {use: openai/gpt-4o-mini}
  backup: {use: openai/gpt-4.1-nano}
steps:
  - id: reply
    type: model
    model: fast
    fallback: [backup]
    prompt: {user: "{{ event.text }}"}
    max_tokens: 20
    timeout: 2s
    retry: {attempts: 2, backoff: exponential, initial: 100ms, max: 400ms}
respond:
  needs: [reply]
  body: {text: "{{ steps.reply.output }}"}
"""

Call = Callable[[int], Awaitable[object]]


def flowgen_side() -> Call:
    from copilot.flow.load import load_flow_text
    from copilot.run.engine import Engine
    from copilot.run.providers.sim import SimHttpClient, SimProvider

    flow = load_flow_text(FLOW, "peer.yaml").flow
    engine = Engine(
        flow,
        provider=SimProvider(0, latency_scale=0),
        http=SimHttpClient(0, latency_scale=0),
        base_dir=ROOT,
        rate_limits=False,
        dead_letter_path=None,
    )
    engine.dead_letter_path = None

    async def call(i: int) -> object:
        result = await engine.handle({"id": f"E-{i}", "text": "Where is my order?"})
        assert result.response_status == 200, result.error
        return result.response_body

    return call


def litellm_side() -> Call:
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    logging.getLogger("LiteLLM").setLevel(logging.CRITICAL)
    logging.getLogger("LiteLLM Router").setLevel(logging.CRITICAL)
    params = {"mock_response": "Your order ships today.", "api_key": "sk-none", "timeout": 2}
    router = litellm.Router(
        model_list=[
            {"model_name": "fast", "litellm_params": {"model": "openai/gpt-4o-mini", **params}},
            {"model_name": "backup", "litellm_params": {"model": "openai/gpt-4.1-nano", **params}},
        ],
        fallbacks=[{"fast": ["backup"]}],
        num_retries=1,
        timeout=2,
    )

    async def call(i: int) -> object:
        response = await router.acompletion(
            model="fast", messages=[{"role": "user", "content": "Where is my order?"}], max_tokens=20
        )
        return response.choices[0].message.content

    return call


def plain_side() -> Call:
    from aiolimiter import AsyncLimiter
    from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

    from copilot.flow.estimate import model_profiles
    from copilot.flow.load import load_flow_text
    from copilot.run.providers.base import ModelRequest
    from copilot.run.providers.sim import SimProvider

    flow = load_flow_text(FLOW, "peer.yaml").flow
    profiles = model_profiles(flow)
    provider = SimProvider(0, latency_scale=0)
    limiter = AsyncLimiter(10_000_000, 60)  # never full: its cost, not its waits

    async def once(alias: str, text: str) -> object:
        async with limiter, asyncio.timeout(2.0):
            request = ModelRequest(alias, profiles[alias], None, text, 20, None, "reply")
            return (await provider.complete(request)).content

    async def call(i: int) -> object:
        for alias in ("fast", "backup"):
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(2), retry=retry_if_exception_type(TimeoutError), reraise=True
                ):
                    with attempt:
                        return await once(alias, "Where is my order?")
            except TimeoutError:
                continue
        raise RuntimeError("every model failed")

    return call


async def run(call: Call, calls: int, concurrency: int) -> float:
    """Seconds for `calls` calls, `concurrency` at a time."""
    todo = iter(range(calls))

    async def worker() -> None:
        for i in todo:
            await call(i)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start


def spread(values: list[float], digits: int = 0) -> str:
    return f"{statistics.median(values):,.{digits}f} ({min(values):,.{digits}f}-{max(values):,.{digits}f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    async def measure() -> dict:
        sides = {"flowgen": flowgen_side(), "litellm": litellm_side(), "plain": plain_side()}
        for call in sides.values():  # warm-up: imports, caches, first-call set-up
            await run(call, 50, 1)
        names = list(sides)
        out: dict = {}
        for concurrency in (1, 100):
            per_call: dict[str, list[float]] = {name: [] for name in names}
            for r in range(args.rounds):
                for name in names[r % len(names) :] + names[: r % len(names)]:
                    seconds = await run(sides[name], args.calls, concurrency)
                    per_call[name].append(seconds / args.calls * 1e6)
            ratios = {
                name: [x / f for x, f in zip(per_call[name], per_call["flowgen"], strict=True)]
                for name in names
                if name != "flowgen"
            }
            out[str(concurrency)] = {"us_per_call": per_call, "ratio_to_flowgen": ratios}
        return out

    results = asyncio.run(measure())
    import litellm

    version = getattr(litellm, "__version__", None) or _version("litellm")
    print(
        f"{args.calls:,} calls per side per round, {args.rounds} paired rounds, median (min-max); "
        "machine shared"
    )
    print(f"LiteLLM {version}; one model call with a fallback, a 2 s timeout and one retry, no network")
    for concurrency, data in results.items():
        print(f"concurrency {concurrency}:")
        for name, values in data["us_per_call"].items():
            ratio = data["ratio_to_flowgen"].get(name)
            against = f"   {spread(ratio, 1)}x flowgen's" if ratio else ""
            print(f"  {name:8s} {spread(values)} µs/call{against}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    sys.exit(main())
