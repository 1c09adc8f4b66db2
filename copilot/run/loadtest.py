"""`flowgen test FLOW`: a load test with chaos against the local engine, and its results.

The run: the load generator (`copilot.run.load`) says when each event is due; at that
moment the event is handed to the engine (waiting for a `trigger.concurrency` slot
first, if the flow has one), with the provider and the HTTP client wrapped in the
fault injector (`copilot.run.chaos`). Latency is measured from the event's *intended*
start, so a flow that falls behind is charged for the queue it builds (k6's correction
for coordinated omission), and recorded in HDR histograms, never in lists: what the
recorder holds does not grow with the number of events.

Attainment is reported twice, because a deadline answer is not an answer:
- *responded within SLA*: any non-error response (the full answer or the 202
  `on_deadline` answer) within `sla.latency_p95`;
- *full answer within SLA*: the full answer (no deadline answer, no error) within it.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from copilot.errors import FlowgenError, Position
from copilot.run.chaos import Fault
from copilot.run.load import EventFactory, LoadShape, branches_of, keys_of
from copilot.run.load_thresholds import (
    ThresholdResult,
    check_thresholds,
    default_thresholds,
    parse_thresholds,
)
from copilot.run.recorder import RATE_METRICS, Recorder, seconds_to_ms

__all__ = ["Recorder", "TestOptions", "TestResult", "TestSetup", "exit_code", "prepare", "prepare_loaded",
           "run_setup", "run_tests"]  # fmt: skip

SERIES_POINTS = 60  # windows of the latency-over-time chart
IDEMPOTENCY_ENTRIES = 20_000  # every test event has its own key; a bound keeps memory flat
DRAIN_LIMIT = 120.0  # seconds after the last arrival before still-running events are cancelled


# ---------------------------------------------------------------------------- the run


@dataclass(frozen=True, slots=True)
class TestOptions:
    """How a flow is tested (`flowgen test`'s options): the load and faults, then the run.

    `prepare` reads the load and the faults (the flow's `tests` block, overridden by
    `events`, `rate` and `duration`); `run_setup` reads the rest from the prepared setup.
    """

    __test__ = False  # a name pytest would otherwise collect from the tests that import it

    # the load and the faults (`prepare_loaded`)
    events: int | None = None
    rate: float | None = None  # events per second
    duration: float | None = None  # seconds
    seed: int = 0
    chaos: tuple[str, ...] = ()  # `--chaos` specs, after the flow's own `tests.chaos`
    flow_chaos: bool = True  # False: leave out the flow's own `tests.chaos`
    k6_compatible: bool = False  # thresholds in plain k6 syntax only
    # the run (`run_setup`)
    virtual_time: bool = False
    provider: str = "sim"
    base_url: str | None = None
    latency_scale: float = 1.0
    dead_letter: str | None = None  # None: a scratch file, never the flow's real one
    rate_limits: bool = True  # False lifts the models' rpm/tpm limits
    drain_limit: float = DRAIN_LIMIT  # seconds after the last arrival before what runs is cancelled
    model_override: str | None = None


@dataclass
class TestSetup:
    """Everything one flow's test needs, checked before anything runs."""

    path: str
    loaded: Any
    shape: LoadShape
    faults: list[Fault]
    thresholds: list[tuple[str, str, Any, Position | None]]  # metric, text, Threshold, where
    planned_events: int
    planned_duration: float
    default_note: str | None = None  # set when the thresholds are the flow's SLA and budget
    options: TestOptions = TestOptions()  # how it was prepared and how it runs

    @property
    def seed(self) -> int:
        """The seed of the events, the faults, simulated latencies and jitter."""
        return self.options.seed

    def with_seed(self, seed: int) -> TestSetup:
        """The same test under another seed (the drafter's own test runs several)."""
        return replace(self, options=replace(self.options, seed=seed))


@dataclass
class TestResult:
    """What one flow's test measured: JSON-ready, plus the histograms for the charts."""

    setup: TestSetup
    recorder: Recorder
    wall_time: float
    virtual_time: bool
    injected: Counter[str]
    model_calls: int
    thresholds: list[ThresholdResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.thresholds)

    @property
    def flow(self) -> Any:
        return self.setup.loaded.flow

    def rate(self, metric: str) -> float | None:
        rec = self.recorder
        if metric in ("sla_attainment", "full_answers") and rec.sla is None:
            return None
        answers = ("errors", "deadline_answers", "sla_attainment", "full_answers")
        base = rec.sent if metric in answers else rec.events
        return rec.counts[metric] / base if base else None

    @property
    def throughput(self) -> float | None:
        if not self.recorder.responses or self.wall_time <= 0:
            return None
        return self.recorder.responses / self.wall_time

    def to_dict(self) -> dict[str, Any]:
        rec = self.recorder
        latency = seconds_to_ms(rec.latency.summary())
        cost = rec.cost.summary()
        return {
            "flow": self.flow.name,
            "path": self.setup.path,
            "seed": self.setup.seed,
            "load": {
                "executor": self.setup.shape.executor,
                "description": self.setup.shape.describe(),
                "events": self.setup.planned_events,
                "planned_duration_s": round(self.setup.planned_duration, 3),
            },
            "chaos": [f.to_dict() for f in self.setup.faults],
            "faults_injected": dict(self.injected.most_common()),
            "model_calls": self.model_calls,
            "clock": "virtual" if self.virtual_time else "real",
            "wall_time_s": round(self.wall_time, 3),
            "events": rec.events,
            "throughput_per_s": _round(self.throughput, 2),
            "sla_ms": None if rec.sla is None else round(rec.sla * 1000, 3),
            "latency_ms": latency,
            "sla_attainment": _round(self.rate("sla_attainment"), 6),
            "full_answers": _round(self.rate("full_answers"), 6),
            "rates": {
                m: _round(self.rate(m), 6)
                for m in RATE_METRICS
                if m not in ("sla_attainment", "full_answers")
            },
            "counts": {
                "responses": rec.responses,
                "unanswered": rec.unanswered,
                "unfinished": rec.unfinished,
                **{m: rec.counts[m] for m in RATE_METRICS},
                "retry_calls": rec.retry_total,
            },
            "outcomes": dict(rec.outcomes.most_common()),
            "statuses": {str(k): v for k, v in sorted(rec.statuses.items())},
            "call_errors": dict(rec.attempt_errors.most_common()),
            "cost_usd": {
                "total": round(rec.total_cost, 8) if not rec.unpriced else None,
                "per_event_avg": _round(
                    rec.total_cost / rec.events if rec.events and not rec.unpriced else None, 8
                ),
                "per_event_p95": _round(cost["p95"], 8) if not rec.unpriced else None,
                "per_event_max": _round(cost["max"], 8) if not rec.unpriced else None,
                "unknown_events": rec.unpriced,  # a model with no price answered (see notes)
            },
            "steps": [s.to_dict() for s in rec.steps.values()],
            "thresholds": [t.to_dict() for t in self.thresholds],
            "notes": list(self.notes),
            "passed": self.passed,
        }

    def series(self) -> list[dict[str, float]]:
        """Latency over time: per window of intended start, p50/p95/max in ms."""
        rec = self.recorder
        out = []
        for slot in sorted(rec.series):
            summary = rec.series[slot].summary()
            out.append(
                {
                    "t": round(slot * rec.window, 3),
                    "count": summary["count"],
                    "p50": summary["p50"] * 1000,  # type: ignore[operator]
                    "p95": summary["p95"] * 1000,  # type: ignore[operator]
                    "max": summary["max"] * 1000,  # type: ignore[operator]
                }
            )
        return out

    def latency_buckets(
        self, count: int = 30, high_ms: float | None = None
    ) -> list[tuple[float, float, int]]:
        """The latency histogram in `count` equal buckets up to `high_ms`: (from ms, to ms, events)."""
        trend = self.recorder.latency
        if not trend.count:
            return []
        high = high_ms if high_ms is not None else (trend.max or 0) * 1000
        width = max(high / count, 0.001)
        buckets = [0] * count
        for value, n in trend.recorded():
            buckets[min(count - 1, int(value * 1000 / width))] += n
        return [(i * width, (i + 1) * width, n) for i, n in enumerate(buckets)]


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def prepare(path: str, options: TestOptions = TestOptions(), *, tests_from: Any = None) -> TestSetup:
    """Load and check the flow, the load, the chaos and the thresholds: fail before running.

    `tests_from` as in `prepare_loaded`.
    """
    from copilot.flow.load import load_flow

    return prepare_loaded(load_flow(path), options, tests_from=tests_from)


def prepare_loaded(loaded: Any, options: TestOptions = TestOptions(), *, tests_from: Any = None) -> TestSetup:
    """`prepare` for a flow already loaded (`load_flow_text`): the draft's own test runs on
    a flow that is not on disk yet. Its path's folder is where sources are resolved.

    `tests_from` is another `TestSetup`'s loaded flow whose `tests` block is used instead
    of this flow's own (`--compare` runs both flows under the first one's test).
    """
    from copilot.run.chaos import fault_from_entry, parse_chaos
    from copilot.run.engine_setup import require_sound
    from copilot.run.load import planned, resolve_load

    require_sound(loaded)
    source = tests_from or loaded
    tests = source.flow.tests
    where = source.path
    locate = source.doc.position
    shape = resolve_load(
        tests.load if tests is not None else None,
        events=options.events,
        rate=options.rate,
        duration=options.duration,
        where=where,
        locate=locate,
    )
    faults: list[Fault] = []
    if options.flow_chaos and tests is not None:
        for index, entry in enumerate(tests.chaos):
            faults.append(fault_from_entry(entry, where=where, position=locate(("tests", "chaos", index))))
    for spec in options.chaos:
        faults.append(parse_chaos(spec))
    step_ids = [s.id for s in source.flow.steps]
    spec = tests.thresholds if tests is not None else {}
    default_note = None
    if not spec:
        spec, default_note = default_thresholds(source.flow)
    thresholds = parse_thresholds(spec, where, locate, step_ids, k6_compatible=options.k6_compatible)
    count, last = planned(shape)
    if count == 0:
        raise FlowgenError("the load sends no event at all; check its rate, stages and duration", path=where)
    return TestSetup(
        path=loaded.path,
        loaded=loaded,
        shape=shape,
        faults=faults,
        thresholds=thresholds,
        options=options,
        planned_events=count,
        planned_duration=last,
        default_note=default_note,
    )


Progress = Callable[[int, int], None]  # (responses so far, events planned)


def run_setup(
    setup: TestSetup, *, progress: Progress | None = None, catalog: Any = None, telemetry: Any = None
) -> TestResult:
    """Run one flow's load test to the end (async work drained) and check its thresholds.

    How it runs is `setup.options`'. `rate_limits=False` there lifts the models' rpm/tpm
    limits (the flow's or the catalog's), to measure what the flow and flowgen can do
    rather than what a provider account allows. `catalog` resolves the flow's model
    aliases (default: the packaged catalog).
    """
    from copilot.run.clock import run_virtual

    options = setup.options
    virtual_time = options.virtual_time
    with tempfile.TemporaryDirectory(prefix="flowgen-test-") as scratch:
        # Synthetic failures must not land in the flow's real dead-letter file.
        dead_letter = options.dead_letter
        letters = Path(dead_letter) if dead_letter else Path(scratch) / "dead-letter.jsonl"
        coro = _run(setup, progress, letters, catalog, telemetry)
        outcome = run_virtual(coro) if virtual_time else asyncio.run(coro)
    recorder, elapsed, injected, calls, provider_notes = outcome
    result = TestResult(
        setup=setup,
        recorder=recorder,
        wall_time=elapsed,
        virtual_time=virtual_time,
        injected=injected,
        model_calls=calls,
    )
    result.thresholds = check_thresholds(result)
    if setup.default_note is not None:
        result.notes.append(setup.default_note)
    result.notes.extend(provider_notes)  # the response format a server needed, calls of unknown cost
    from copilot.run.chaos import unmatched

    for fault in unmatched(setup.faults, setup.loaded.flow):
        result.notes.append(f"the fault {fault.describe()} matches no call of {setup.loaded.flow.name}")
    if recorder.unanswered or recorder.unfinished:
        from copilot.flow.units import format_duration

        result.notes.append(
            f"{recorder.unanswered} event(s) had no response and {recorder.unfinished} had async work "
            f"still running {format_duration(options.drain_limit)} after the last arrival: cancelled. A call "
            "without a timeout waits as long as its provider does (FG101)"
        )
    return result


async def _run(
    setup: TestSetup, progress: Progress | None, dead_letters: Path, catalog: Any, telemetry: Any
) -> tuple[Recorder, float, Counter[str], int, list[str]]:
    from copilot.run.chaos import ChaosHttpClient, ChaosProvider, Injector, begin_event, http_step_urls
    from copilot.run.clock import LoopClock
    from copilot.run.engine_setup import choose_provider, engine_for, require_models_found
    from copilot.run.load import arrivals
    from copilot.run.providers.sim import SimHttpClient
    from copilot.run.resilience.idempotency import MemoryIdempotencyStore

    loaded = setup.loaded
    flow = loaded.flow
    seed = setup.seed
    options = setup.options
    latency_scale = options.latency_scale
    inner = choose_provider(
        options.provider,
        seed=seed,
        latency_scale=latency_scale,
        base_url=options.base_url,
        model_override=options.model_override,
    )
    injector = Injector(setup.faults, seed)
    # A load test never sends real HTTP requests: nobody gets paged 300 times.
    http = ChaosHttpClient(SimHttpClient(seed, latency_scale=latency_scale), injector, http_step_urls(flow))
    clock = LoopClock()
    engine = engine_for(
        loaded,  # checked by `prepare_loaded`
        provider=ChaosProvider(inner, injector),
        http=http,
        clock=clock,
        # Every test event has keys of its own: the store fills up and evicts in batches.
        idempotency=MemoryIdempotencyStore(clock, max_entries=IDEMPOTENCY_ENTRIES),
        seed=seed,
        dead_letter_path=dead_letters,
        rate_limits=options.rate_limits,
        catalog=catalog,
        telemetry=telemetry,
    )

    sla = flow.latency_sla
    window = max(setup.planned_duration / SERIES_POINTS, 0.05)
    recorder = Recorder(flow, sla, window)
    factory = EventFactory(
        flow.trigger,
        seed,
        where=loaded.path,
        locate=loaded.doc.position,
        branches=branches_of(flow),
        keys=keys_of(flow),
    )
    concurrency = flow.trigger.concurrency
    slots = asyncio.Semaphore(concurrency) if concurrency else None
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()
    total = setup.planned_events
    sim_http = http.inner

    async def one(index: int, due: float) -> None:
        begin_event(index)
        event = factory.event(index)
        held = False
        try:
            if slots is not None:
                await slots.acquire()
                held = True
            result = await engine.handle(event)
        except asyncio.CancelledError:
            recorder.abandoned(None)
            raise
        finally:
            if held:
                slots.release()  # type: ignore[union-attr]
        now = loop.time()
        recorder.response(result, now - due, due - start, now - start)
        if progress is not None:
            progress(recorder.responses, total)
        try:
            await result.wait_done()
        except asyncio.CancelledError:
            recorder.abandoned(result)
            raise
        recorder.done(result)
        # SimHttpClient keeps every request it was sent (for `run`'s tests); a load test
        # must not, or memory would grow with the number of events.
        if hasattr(sim_http, "requests"):
            sim_http.requests.clear()

    watched = inner if hasattr(inner, "missing_model") else None  # a real server may lack a model
    start = loop.time()
    try:
        for index, offset in enumerate(arrivals(setup.shape)):
            if watched is not None and watched.missing_model is not None:
                break  # more events would only fail the same way (`require_models_found` below)
            due = start + offset
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            task = loop.create_task(one(index, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        # A call without a timeout hangs as long as its provider does (FG101): past the
        # drain limit, what still runs is cancelled and reported instead of waited for.
        if tasks:
            await asyncio.wait(list(tasks), timeout=options.drain_limit)
        if tasks:
            await _stop(tasks, engine)
        else:
            await engine.aclose()
    except BaseException:
        # Interrupted (Ctrl-C) or a bug: stop every event now instead of draining them.
        await _stop(tasks, engine)
        raise
    finally:
        close = getattr(inner, "aclose", None)
        if close is not None:
            await close()
    require_models_found(inner)
    last = recorder.last_response
    elapsed = (last if last is not None else loop.time() - start) or 0.0
    return recorder, elapsed, injector.injected, getattr(inner, "calls", 0), list(getattr(inner, "notes", []))


async def _stop(tasks: set[asyncio.Task[None]], engine: Any) -> None:
    """Cancel the test's event tasks and the engine's step tasks, and wait until they are gone.

    Only what the test started: other tasks of the loop (a provider's, telemetry's) are
    left to their owners. The engine writes the dead letters of the stopped events first.
    """
    events = list(tasks)
    for task in events:
        task.cancel()
    await engine.cancel()
    await asyncio.gather(*events, return_exceptions=True)


def run_tests(
    paths: list[str],
    options: TestOptions = TestOptions(),
    *,
    compare: bool = False,
    progress_factory: Callable[[str, int], Progress | None] | None = None,
) -> list[TestResult]:
    """Test one flow, or (`compare`) two flows under the first one's load, chaos and thresholds."""
    if compare and len(paths) != 2:
        raise FlowgenError(f"--compare takes exactly two flows, got {len(paths)}")
    if not compare and len(paths) != 1:
        raise FlowgenError("give one flow, or two with --compare to run them side by side")
    first = prepare(paths[0], options)
    setups = [first]
    if compare:
        setups.append(prepare(paths[1], options, tests_from=first.loaded))
    from copilot.run.telemetry import Telemetry

    results = []
    for setup in setups:
        # The flow's metrics (Prometheus, OTLP) while the test runs; synthetic events export no
        # spans. Here, not in run_setup: the drafter's own test must never open a port.
        sent = options.model_override if options.provider == "openai" else None
        telemetry = Telemetry.for_flow(setup.loaded.flow, spans=False, model_override=sent)
        progress = (
            progress_factory(setup.loaded.flow.name, setup.planned_events) if progress_factory else None
        )
        try:
            results.append(run_setup(setup, progress=progress, telemetry=telemetry))
        finally:
            if telemetry is not None:
                telemetry.shutdown()
    return results


def exit_code(results: list[TestResult]) -> int:
    """0 when every threshold of every flow passed, 1 otherwise."""
    return 0 if all(r.passed for r in results) else 1
