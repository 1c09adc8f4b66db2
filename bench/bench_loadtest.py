"""`flowgen test` throughput and memory: the load generator + recorder + engine on one core.

Three measurements, side by side in one run, on the 6-step support-triage example with
zero-latency sim models (`latency_scale=0`, so the numbers are the CPU cost of flowgen
itself), no chaos, the process pinned to one core:

1. Throughput, as fast as possible: N events all due at once (rate 1,000,000/s),
   `trigger.concurrency` (200) in flight, through `flowgen test`'s own pipeline
   (`prepare` + `run_setup`: event generation, chaos wrappers, engine, HDR recording),
   against the engine alone fed pre-built events by a bare asyncio loop with the same
   concurrency (the floor the generator adds to), in paired rounds (both sides once per
   round, fresh processes, the order alternating; median and min-max of the rounds).
   Goal: ≥ 1,000 events/s for the pipeline.
2. Sustained, on the open model: 1,000 events/s on the real clock for 10 s. It keeps up
   when the achieved rate is the offered one and latency (measured from each event's
   intended start) stays in milliseconds instead of growing with a backlog.
3. Memory across 100,000 events (virtual time, 1,000/s): RSS sampled every 10,000
   responses through the progress callback. Flat means no per-event growth after warm-up.
   Side by side: the same 20,000 events kept as a list of results (what a recorder
   without histograms would hold) shows what per-event memory would look like.

4. With `--rate-limits`: `flowgen test FLOW --virtual-time --events 100000` as the CLI runs
   it (the flow's own load and chaos, catalog latencies, the models' rpm/tpm on), the run
   that hung before issue 16: responses, virtual and wall time, RSS every 10,000 events.

    .venv/bin/python bench/bench_loadtest.py            # full: ~5 minutes
    .venv/bin/python bench/bench_loadtest.py --quick    # smaller counts: ~1 minute
    .venv/bin/python bench/bench_loadtest.py --rate-limits   # + the 100,000-event rate-limited run

Exit status 0 when the throughput goal is met and memory is flat, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOW = ROOT / "examples" / "flows" / "support-triage.yaml"
sys.path.insert(0, str(ROOT))

from copilot.run.loadtest import TestOptions, prepare, run_setup  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pipeline(events: int) -> dict:
    options = TestOptions(
        events=events, rate=1_000_000.0, flow_chaos=False, latency_scale=0.0, rate_limits=False
    )
    setup = prepare(str(FLOW), options)
    started = time.perf_counter()
    result = run_setup(setup)
    wall = time.perf_counter() - started
    data = result.to_dict()
    return {
        "events": data["events"],
        "seconds": wall,
        "per_s": data["events"] / wall,
        "errors": data["counts"]["errors"],
    }


def engine_alone(events: int) -> dict:
    from copilot.run.engine import Engine
    from copilot.run.load import EventFactory
    from copilot.run.providers.sim import SimHttpClient, SimProvider

    setup = prepare(str(FLOW), TestOptions(events=events, flow_chaos=False))
    flow = setup.loaded.flow
    factory = EventFactory(flow.trigger, 0)
    batch = [factory.event(i) for i in range(events)]

    async def main() -> float:
        engine = Engine(
            flow,
            provider=SimProvider(0, latency_scale=0),
            http=SimHttpClient(0, latency_scale=0),
            base_dir=FLOW.parent,
            dead_letter_path=None,
            rate_limits=False,
        )
        slots = asyncio.Semaphore(flow.trigger.concurrency or 200)

        async def one(event: dict) -> None:
            async with slots:
                result = await engine.handle(event)
            await result.wait_done()

        started = time.perf_counter()
        await asyncio.gather(*(one(e) for e in batch))
        await engine.drain()
        return time.perf_counter() - started

    wall = asyncio.run(main())
    return {"events": events, "seconds": wall, "per_s": events / wall}


def sustained(rate: float, seconds: float) -> dict:
    options = TestOptions(
        events=int(rate * seconds), rate=rate, flow_chaos=False, latency_scale=0.0, rate_limits=False
    )
    result = run_setup(prepare(str(FLOW), options))
    data = result.to_dict()
    return {
        "offered_per_s": rate,
        "achieved_per_s": data["throughput_per_s"],
        "events": data["events"],
        "latency_ms": {k: data["latency_ms"][k] for k in ("p50", "p99", "max")},
    }


def memory(events: int, every: int) -> dict:
    options = TestOptions(
        events=events, rate=1000.0, flow_chaos=False, latency_scale=0.0, virtual_time=True, rate_limits=False
    )
    setup = prepare(str(FLOW), options)
    samples: list[tuple[int, float]] = []

    def progress(done: int, total: int) -> None:
        if done % every == 0:
            gc.collect()
            samples.append((done, rss_mib()))

    started = time.perf_counter()
    run_setup(setup, progress=progress)
    return {"events": events, "seconds": time.perf_counter() - started, "rss_mib": samples}


def limited(events: int, every: int) -> dict:
    """`flowgen test FLOW --virtual-time --events N`: the flow's own load and chaos, catalog
    latencies and the models' rate limits on (the run that hung before issue 16)."""
    setup = prepare(str(FLOW), TestOptions(events=events, virtual_time=True))
    samples: list[tuple[int, float]] = []

    def progress(done: int, total: int) -> None:
        if done % every == 0:
            gc.collect()
            samples.append((done, rss_mib()))

    started = time.perf_counter()
    result = run_setup(setup, progress=progress)
    data = result.to_dict()
    return {
        "events": events,
        "seconds": time.perf_counter() - started,
        "virtual_s": data["wall_time_s"],
        "responses": data["counts"]["responses"],
        "unanswered": data["counts"]["unanswered"],
        "model_calls": data["model_calls"],
        "rss_mib": samples,
    }


def memory_as_list(events: int, every: int) -> dict:
    """The same run, but every EventResult is also kept (what histograms avoid)."""
    from copilot.run import loadtest

    kept: list = []
    original = loadtest.Recorder.done

    def done(self, result):  # type: ignore[no-untyped-def]
        kept.append(result)
        original(self, result)

    loadtest.Recorder.done = done  # type: ignore[method-assign]
    try:
        return memory(events, every)
    finally:
        loadtest.Recorder.done = original  # type: ignore[method-assign]
        kept.clear()


MEASURES = {
    "alone": lambda a: engine_alone(a.events),
    "pipeline": lambda a: pipeline(a.events),
    "sustained": lambda a: sustained(1000.0, a.seconds),
    "memory": lambda a: memory(a.events, a.every),
    "memory-list": lambda a: memory_as_list(a.events, a.every),
    "limited": lambda a: limited(a.events, a.every),
}


def measure(name: str, **options: float) -> dict:
    """One measurement in a fresh process: nothing one leaves behind (caches, garbage,
    a leak) weighs on the next."""
    import subprocess

    args = [sys.executable, __file__, "--only", name]
    for key, value in options.items():
        args += [f"--{key}", str(value)]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def spread(values: list[float], digits: int) -> str:
    return f"{statistics.median(values):,.{digits}f} ({min(values):,.{digits}f}-{max(values):,.{digits}f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (CI smoke run)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--rounds", type=int, default=3, help="paired rounds of engine alone and pipeline")
    parser.add_argument(
        "--rate-limits",
        action="store_true",
        help="also run the flow's own load with rate limits on in virtual time (100,000 events; minutes)",
    )
    parser.add_argument("--only", choices=sorted(MEASURES), help=argparse.SUPPRESS)
    parser.add_argument("--events", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--every", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    if args.only:
        pipeline(300)  # warm imports and caches outside the measurement
        gc.collect()
        print(json.dumps(MEASURES[args.only](args)))
        return 0

    n = 5_000 if args.quick else 20_000
    mem_events, mem_every = (30_000, 5_000) if args.quick else (100_000, 10_000)
    sustain_s = 3.0 if args.quick else 10.0
    # Paired rounds: engine alone and pipeline one after the other in each round (the order
    # alternating), each in a fresh process; the ratio is taken within a round.
    pairs = []
    for r in range(args.rounds):
        order = ("alone", "pipeline") if r % 2 == 0 else ("pipeline", "alone")
        row = {name: measure(name, events=n) for name in order}
        pairs.append(row)
    alone_rates = [row["alone"]["per_s"] for row in pairs]
    piped_rates = [row["pipeline"]["per_s"] for row in pairs]
    share = [row["pipeline"]["seconds"] / row["alone"]["seconds"] for row in pairs]
    alone = {"per_s": statistics.median(alone_rates), "per_s_all": alone_rates}
    piped = {"per_s": statistics.median(piped_rates), "per_s_all": piped_rates, "ratio_all": share}
    steady = measure("sustained", seconds=sustain_s)
    flat = measure("memory", events=mem_events, every=mem_every)
    capped = measure("limited", events=mem_events, every=mem_every) if args.rate_limits else None
    listed = measure("memory-list", events=min(mem_events, 20_000), every=mem_every // 2)

    # Flat: after the first sample (warm-up: caches, the idempotency store filling to its
    # bound, histogram windows), RSS grows by less than 10 MiB over the rest of the run.
    rss = [r for _, r in flat["rss_mib"]]
    growth = max(rss[1:]) - rss[0] if len(rss) > 1 else float("nan")
    ok = piped["per_s"] >= 1000 and growth < 10
    if capped is not None:
        capped_rss = [r for _, r in capped["rss_mib"]]
        ok = ok and capped["unanswered"] == 0 and max(capped_rss[1:], default=0) - capped_rss[0] < 10
    report = {
        "engine_alone": alone,
        "pipeline": piped,
        "sustained": steady,
        "memory": flat,
        "memory_keeping_results": listed,
        "rss_growth_after_first_sample_mib": growth,
        "rate_limited_virtual_time": capped,
        "goal_met": ok,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0 if ok else 1
    met = "met" if piped["per_s"] >= 1000 else "NOT met"
    print(
        f"throughput, {n:,} events at once, one core, zero-latency sim models "
        f"({args.rounds} paired rounds, fresh processes): median (min-max)"
    )
    print(f"  engine alone (bare asyncio loop)    {spread(alone_rates, 0)} events/s")
    print(f"  flowgen test pipeline               {spread(piped_rates, 0)} events/s")
    print(f"  pipeline time / engine-alone time   {spread(share, 2)}x (within each round)")
    print(f"  goal >= 1,000 events/s for the pipeline: {met}")
    lat = steady["latency_ms"]
    print(
        f"sustained at {steady['offered_per_s']:,.0f}/s for {sustain_s:g} s (real clock): achieved "
        f"{steady['achieved_per_s']:,.0f}/s, latency p50 {lat['p50']} ms, p99 {lat['p99']} ms, "
        f"max {lat['max']} ms"
    )
    print(
        f"memory, {flat['events']:,} events (virtual time, {flat['seconds']:.0f} s): RSS MiB at each sample:"
    )
    print("  " + ", ".join(f"{done // 1000}k: {mib:.1f}" for done, mib in flat["rss_mib"]))
    print(f"  growth after the first sample: {growth:.1f} MiB ({'flat' if growth < 10 else 'NOT flat'})")
    print("  side by side, the same load keeping every result in a list:")
    print("  " + ", ".join(f"{done // 1000}k: {mib:.1f}" for done, mib in listed["rss_mib"]))
    if capped is not None:
        print(
            f"rate limits on, the flow's own load and chaos, {capped['events']:,} events in virtual time: "
            f"{capped['responses']:,} responses, {capped['unanswered']} unanswered, "
            f"{capped['virtual_s']:,.0f} virtual s in {capped['seconds']:.0f} s; RSS MiB:"
        )
        print("  " + ", ".join(f"{done // 1000}k: {mib:.1f}" for done, mib in capped["rss_mib"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
