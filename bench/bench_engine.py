"""Engine overhead: the flow engine against a hand-written asyncio program making the same calls.

Both sides run the 6-step support-triage example on the zero-latency sim provider
(classify → checked → docs → answer on the hot path, page_oncall off it, enrich async),
for the same events, in one process, in two variants: "instant" (the sim answers without
suspending, so no timeout or hedge timer is ever armed) and "one wait" (every model and
http call awaits `asyncio.sleep(0)` once, as any real call waits, so the engine arms its
timers):

- engine: `Engine.handle` per event, then `drain()`; no telemetry, no rate limits.
- hand-written: the same provider calls with the same prompts, the same output-schema
  checks, the same BM25 lookup and http call, and the async step as a task, coded
  directly with asyncio.

Then the memory of in-flight events: N events started at once on a virtual-time loop
with catalog latencies, measured with tracemalloc while all of them wait on their first call.

    .venv/bin/python bench/bench_engine.py            # 10,000 events, 5 paired rounds
    .venv/bin/python bench/bench_engine.py --events 2000 --inflight 1000 --rounds 9

Every round runs all six sides (two variants x engine, by hand, by hand without the event
check) in a rotating order; ratios are taken within a round and reported as the median of
the rounds with their spread (min-max), wall time and CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import tracemalloc
from pathlib import Path

from copilot.flow.estimate import model_profiles
from copilot.flow.load import load_flow
from copilot.flow.local_schema import validator as schema_validator
from copilot.run.engine import Engine
from copilot.run.plans import schema_problem
from copilot.run.providers.base import ModelRequest
from copilot.run.providers.sim import SimHttpClient, SimProvider
from copilot.run.rag import RetrieveIndex
from copilot.run.resilience.routing import Router

ROOT = Path(__file__).resolve().parents[1]
FLOW = ROOT / "examples" / "flows" / "support-triage.yaml"
STEPS = 6


def events(n: int) -> list[dict]:
    # "faq" and "high" in the text make the simulated classifier pick them, so every step runs.
    return [
        {
            "id": f"T-{i}",
            "subject": f"faq high priority {i}",
            "body": "How do I reset my password?",
            "email": "a@b.c",
        }
        for i in range(n)
    ]


class OneWait:
    """Wraps the sim provider or http client so that every call waits once on the loop.

    The zero-latency sim answers without suspending, so a call never waits and the engine's
    timeout and hedge timers are never armed (they are armed only when a call suspends).
    A real provider always waits; one `asyncio.sleep(0)` per call is the smallest real wait,
    and both sides pay it alike.
    """

    def __init__(self, inner) -> None:
        self.inner = inner
        self.wants_hints = getattr(inner, "wants_hints", False)
        self.resolves_env = getattr(inner, "resolves_env", True)

    async def complete(self, request):
        await asyncio.sleep(0)
        return await self.inner.complete(request)

    async def request(self, method, url, headers, json, timeout, **hints):
        await asyncio.sleep(0)
        return await self.inner.request(method, url, headers, json, timeout, **hints)


def sims(wait: bool):
    """The zero-latency sim provider and http client, waiting once per call when `wait`."""
    provider, http = SimProvider(0, latency_scale=0), SimHttpClient(0, latency_scale=0)
    return (OneWait(provider), OneWait(http)) if wait else (provider, http)


async def run_engine(flow, evts: list[dict], wait: bool = False) -> tuple[float, float]:
    provider, http = sims(wait)
    engine = Engine(
        flow,
        provider=provider,
        http=http,
        base_dir=FLOW.parent,
        rate_limits=False,
        dead_letter_path=None,
    )
    engine.dead_letter_path = None
    start, cpu = time.perf_counter(), time.process_time()
    for event in evts:
        result = await engine.handle(event)
        assert result.response_status == 200, result.error
    await engine.drain()
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    last = result.steps
    assert all(r.status == "ok" for r in last.values()), {k: r.status for k, r in last.items()}
    return elapsed


def by_hand(flow, provider, http, check_event: bool = True):
    """The support-triage flow written directly with asyncio: `(handle, drain)`.

    What a careful programmer would write for this one flow: the event checked against
    `trigger.event_schema` before its fields are read (the engine checks it too), the models
    chosen up front (the routed step's pick is computed once from the catalog), the prompts
    as f-strings, the same output-schema checks and validate rule, the BM25 lookup, the page
    as an http call and the enrichment (a summary PUT to the CRM) as a background task, both
    only when the flow would run them. With `check_event=False` it skips the event check (to
    show what it costs).
    """
    profiles = model_profiles(flow)
    classify, checked, docs, answer, enrich, page = (
        flow.step(s) for s in ("classify", "checked", "docs", "answer", "enrich", "page_oncall")
    )
    answer_model = (
        Router(profiles).choose(list(answer.route.candidates), answer.route.strategy, answer.timeout).chosen
    )
    index = RetrieveIndex(docs, FLOW.parent)
    classify_schema = schema_validator(classify.output_schema, "classify")
    checked_schema = schema_validator(checked.output_schema, "checked")
    answer_schema = schema_validator(answer.output_schema, "answer")
    event_schema = schema_validator(flow.trigger.event_schema, "event") if check_event else None
    background: set[asyncio.Task] = set()
    loop = asyncio.get_running_loop()

    async def call(alias: str, step, user: str, system: str | None, validator):
        request = ModelRequest(
            alias, profiles[alias], system, user, step.max_tokens, step.output_schema, step.id
        )
        response = await provider.complete(request)
        if validator is None:
            return response.content
        value = json.loads(response.content)
        assert schema_problem(validator, value) is None
        return value

    enrich_schema = schema_validator(enrich.output_schema, "enrich")
    crm = flow.step("crm")

    async def enrich_crm(event):
        user = f"Summarise the customer's history for the CRM: {event['body']}"
        summary = await call(enrich.model, enrich, user, None, enrich_schema)
        headers = {"Idempotency-Key": f"{event['id']}:crm"}
        body = {"ticket": event["id"], "summary": summary["summary"]}
        return await http.request("PUT", crm.request.url, headers, body, crm.timeout)

    async def page_oncall(event):
        headers = {"Idempotency-Key": f"{event['id']}:page"}
        return await http.request("POST", page.request.url, headers, {"ticket": event["id"]}, page.timeout)

    async def handle(event: dict) -> dict:
        if event_schema is not None:
            problem = schema_problem(event_schema, event) if isinstance(event, dict) else "not an object"
            if problem is not None:
                return {"error": f"the event does not match trigger.event_schema: {problem}"}
        user = f"{event['subject']}\n\n{event['body']}"
        label = await call(classify.model, classify, user, classify.prompt.system, classify_schema)
        if schema_problem(checked_schema, label) is not None or label["category"] not in (
            "faq",
            "billing",
            "bug",
            "other",
        ):
            label = {"category": "other", "urgency": "normal"}
        jobs = [enrich_crm(event)]
        if label["urgency"] == "high":
            jobs.append(page_oncall(event))
        for coro in jobs:
            task = loop.create_task(coro)
            background.add(task)
            task.add_done_callback(background.discard)
        passages = index.search(event["body"], docs.top_k) if label["category"] == "faq" else []
        user = f"{passages}\n\nQ: {event['body']}"
        reply = await call(answer_model, answer, user, answer.prompt.system, answer_schema)
        return {"ticket": event["id"], "answer": reply["text"]}

    async def drain() -> None:
        while background:
            await asyncio.gather(*background)

    return handle, drain


async def run_by_hand(
    flow, evts: list[dict], check_event: bool = True, wait: bool = False
) -> tuple[float, float]:
    handle, drain = by_hand(flow, *sims(wait), check_event=check_event)
    start, cpu = time.perf_counter(), time.process_time()
    for event in evts:
        body = await handle(event)
        assert body["ticket"]
    await drain()
    return time.perf_counter() - start, time.process_time() - cpu


class _Recording:
    """Wraps the sim provider and http client to list the calls made, for `same_calls`.

    A routed step's model is left out: the engine picks it per call from the latencies it
    has seen, the program by hand once from the catalog; the work is the same either way.
    """

    def __init__(self, inner, routed: set[str] = frozenset()) -> None:
        self.inner, self.calls, self.routed = inner, [], routed
        self.wants_hints = getattr(inner, "wants_hints", False)
        self.resolves_env = getattr(inner, "resolves_env", True)

    async def complete(self, request):
        alias = "(routed)" if request.step_id in self.routed else request.alias
        self.calls.append(("model", alias, request.system, request.user, request.max_tokens))
        return await self.inner.complete(request)

    async def request(self, method, url, headers, json, timeout, **hints):
        self.calls.append(("http", method, url, tuple(sorted(headers.items())), repr(json), timeout))
        return await self.inner.request(method, url, headers, json, timeout, **hints)


async def same_calls(flow, event: dict) -> list[tuple]:
    """Check that both sides make the same calls with the same prompts for `event`."""
    sides = []
    routed = {step.id for step in flow.steps if step.type == "model" and step.route is not None}
    for side in ("engine", "by hand"):
        provider = _Recording(SimProvider(0, latency_scale=0), routed)
        http = _Recording(SimHttpClient(0, latency_scale=0))
        if side == "engine":
            engine = Engine(flow, provider=provider, http=http, base_dir=FLOW.parent, rate_limits=False)
            engine.dead_letter_path = None
            result = await engine.handle(event)
            await engine.drain()
            body = result.response_body
        else:
            handle, drain = by_hand(flow, provider, http)
            body = await handle(event)
            await drain()
        sides.append((sorted(provider.calls + http.calls, key=repr), sorted(body)))
    assert sides[0] == sides[1], f"the two sides differ:\n{sides[0]}\n{sides[1]}"
    return sides[0][0]


async def inflight_memory(flow, n: int) -> float:
    engine = Engine(
        flow, provider=SimProvider(0), http=SimHttpClient(0), base_dir=FLOW.parent, rate_limits=False
    )
    engine.dead_letter_path = None
    evts = events(n)
    await engine.handle({**evts[0], "id": "warm-up"})  # warm caches outside the measurement
    await engine.drain()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    tasks = [asyncio.get_running_loop().create_task(engine.handle(e)) for e in evts]
    for _ in range(3):
        await asyncio.sleep(0)  # every event is now waiting on its classify call
    after = tracemalloc.take_snapshot()
    assert len(engine.pending) == n
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    tracemalloc.stop()
    await asyncio.gather(*tasks)
    await engine.drain()
    return grown / n


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--inflight", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds (every side once per round)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    flow = load_flow(FLOW).flow
    evts = events(args.events)
    calls = asyncio.run(same_calls(flow, evts[0]))
    print(f"same calls on both sides: {len(calls)} per event ({', '.join(c[1] for c in calls)})")
    for wait in (False, True):  # warm-up: imports, template and regex caches
        asyncio.run(run_engine(flow, evts[:200], wait))
        asyncio.run(run_by_hand(flow, evts[:200], wait=wait))
    # Every round runs every side once, in an order that rotates from round to round, so a
    # burst of load from other jobs on a shared machine hits the sides alike; each ratio is
    # taken within a round (paired) and the median of the rounds is reported with its spread.
    sides = {
        ("instant", "hand"): lambda: run_by_hand(flow, evts),
        ("instant", "bare"): lambda: run_by_hand(flow, evts, check_event=False),
        ("instant", "engine"): lambda: run_engine(flow, evts),
        ("one wait", "hand"): lambda: run_by_hand(flow, evts, wait=True),
        ("one wait", "bare"): lambda: run_by_hand(flow, evts, check_event=False, wait=True),
        ("one wait", "engine"): lambda: run_engine(flow, evts, wait=True),
    }
    names = list(sides)
    rounds: list[dict[tuple[str, str], tuple[float, float]]] = []
    for r in range(args.rounds):
        row = {}
        for name in names[r % len(names) :] + names[: r % len(names)]:
            row[name] = asyncio.run(sides[name]())
        rounds.append(row)
    print(f"events: {args.events}, steps per event: {STEPS}, {args.rounds} paired rounds: median (min-max)")
    results: dict[str, dict[str, list[float]]] = {}
    for variant in ("instant", "one wait"):
        for column, label in ((0, "wall"), (1, "cpu")):
            engine = [row[(variant, "engine")][column] for row in rounds]
            hand = [row[(variant, "hand")][column] for row in rounds]
            bare = [row[(variant, "bare")][column] for row in rounds]
            ratio = [e / h for e, h in zip(engine, hand, strict=True)]
            ratio_bare = [e / b for e, b in zip(engine, bare, strict=True)]
            per_step = [(e - h) / (args.events * STEPS) * 1e6 for e, h in zip(engine, hand, strict=True)]
            results[f"{variant} {label}"] = {
                "engine_s": engine,
                "hand_s": hand,
                "bare_s": bare,
                "ratio": ratio,
                "ratio_bare": ratio_bare,
                "overhead_us_per_step": per_step,
            }
            print(
                f"{variant:8s} {label:4s} engine {spread(engine)} s  by hand {spread(hand)} s  "
                f"ratio {spread(ratio)}x (goal <= 1.5x; {spread(ratio_bare)}x against the program "
                f"without the event check)  overhead {spread(per_step)} µs/step (goal <= 100 µs)"
            )

    from copilot.run.clock import run_virtual

    per_event = run_virtual(inflight_memory(flow, args.inflight))
    print(f"memory per in-flight event: {per_event / 1024:.1f} KiB  ({args.inflight} events in flight)")
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
