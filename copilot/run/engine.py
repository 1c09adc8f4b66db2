"""The local engine: runs a flow's DAG for one event at a time, many events at once.

Per event (docs/architecture.md, "Running a flow"): a step starts as soon as its `needs`
are done, so independent steps run in parallel; `if` skips a step, and steps whose needs
were all skipped are skipped too; the response is decided as soon as `respond.needs` are
done, or when the SLA deadline passes (`respond.on_deadline`), whichever is first.
Everything not done by then, and every async step, goes on after the response; `drain()`
waits for it, and for the dead-letter lines, written off the loop (`copilot.run.deadletter`).

Deadline propagation: while the response is pending, a hot-path call gets the smaller of
its own timeout and what is left of `sla.latency_p95`. A retry, fallback or hedge that
would not fit in what is left is not started inside the SLA: the engine answers
`on_deadline` at once and the call goes on as async work.

The engine compiles each step once per flow (`plans`): templates, `if` conditions and
validate rules become closures (`copilot.run.templates`), model orders, request fields and
labels are looked up once. So the per-event work is only the event's own: rendering,
calls and bookkeeping, and that is kept lean (bench/bench_engine.py measures it):

- a chain of steps that wait (classify → answer) runs in one task; a task is started only
  for a branch that runs alongside (`_Run._run_async`);
- a timer is armed only when a call actually waits (`resilience.timeout`), and a hedge's
  backup gets a task only when its timer fires (`resilience.hedge`);
- one timer serves the SLA deadlines of all events in flight (`_DeadlineWatch`);
- the running loop is read once per event (on Python 3.11 each lookup is a system call);
- with no telemetry, no span or attribute is built at all.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copilot.catalog import Catalog, ModelProfile
from copilot.errors import FlowgenError
from copilot.flow.estimate import HTTP_LATENCY, candidates, model_profiles
from copilot.flow.expressions import ExpressionError, references
from copilot.flow.graph import build_graph
from copilot.flow.local_schema import first_error
from copilot.flow.local_schema import validator as schema_validator
from copilot.flow.sandbox import render_budget
from copilot.run.clock import Clock, LoopClock
from copilot.run.deadletter import DeadLetterWriter
from copilot.run.providers.base import (
    TRANSIENT_KINDS,
    HttpClient,
    ModelRequest,
    ModelResponse,
    Provider,
    ProviderError,
    kind_for_status,
    parse_retry_after,
)
from copilot.run.records import Attempt, EventResult, StepRecord
from copilot.run.redact import Redactor, redact_event, redacted_values
from copilot.run.resilience.breaker import BreakerBoard
from copilot.run.resilience.fallback import GO, ChainFailed, Verdict, run_chain
from copilot.run.resilience.idempotency import (
    DEFAULT_WINDOW,
    Claimed,
    IdempotencyConflict,
    IdempotencyStore,
    InFlight,
    MemoryIdempotencyStore,
    request_hash,
)
from copilot.run.resilience.ratelimit import ModelLimiter, flow_limiter, model_limiters
from copilot.run.resilience.retry import RetryPolicy
from copilot.run.resilience.routing import Router
from copilot.run.resilience.timeout import call_budget, with_timeout
from copilot.run.templates import Renderer, compile_condition, compile_template, compile_value

if TYPE_CHECKING:
    from copilot.run.telemetry import Telemetry

__all__ = ["Engine", "EventResult", "StepRecord"]

_FAILED = ("failed", "cancelled")
_MIN_RENDER_BUDGET = 0.01  # seconds: a render that starts at the deadline still gets to say why it failed
_NO_HINTS: dict[str, Any] = {}
_NO_REDACTION = Redactor(())


class StepFailure(Exception):
    """A step could not produce its output; `kind` is the error class."""

    def __init__(self, message: str, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind


class _Skip(Exception):
    """A retrieve step found nothing and its on_empty says skip."""


def _validator(schema: dict[str, Any] | None, where: str) -> Any:
    """A compiled JSON Schema validator (once per flow), or None."""
    return schema_validator(schema, where)


def _schema_problem(validator: Any, value: Any) -> str | None:
    """The most relevant violation of `value`, as one line, or None when valid."""
    error = first_error(validator, value)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where or '(root)'}: {error.message}" if error is not None else "does not match its schema"


@dataclass(slots=True, eq=False)
class StepPlan:
    """One step, compiled: what the engine needs per event without looking it up again."""

    step: Any
    id: str
    type: str
    index: int
    needs: tuple[str, ...]
    dependants: tuple[str, ...] = ()
    hot: bool = False
    mode: str = "sync"
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    validator: Any = None  # output_schema of model/validate/transform/http steps
    inline: bool = False  # no I/O: runs synchronously without a task
    in_respond: bool = False
    producer: str | None = None  # validate with on_fail retry: the model step re-run
    templates: dict[str, Renderer] = field(default_factory=dict)  # compiled once per flow
    condition: Callable[[dict[str, Any]], bool] | None = None  # `if`, compiled
    rules: tuple[tuple[Callable[[dict[str, Any]], bool], str, str], ...] = ()  # (check, message, expr)
    runner: Any = None  # the coroutine function of a step that waits (model, http, validate+retry)
    order: tuple[str, ...] = ()  # model step: primary then fallbacks (routed: the candidates)
    hash_models: tuple[str, ...] = ()  # the model list of its idempotency fingerprint
    hedge_after: float | None = None
    hints: dict[str, Any] = field(default_factory=dict)  # http step: what a `wants_hints` client gets
    what: str = ""  # http step: how a timeout names the request
    dependant_plans: tuple[StepPlan, ...] = ()
    # model step: its renderers and the request fields every call repeats
    render_system: Renderer | None = None
    render_user: Renderer | None = None
    render_key: Renderer | None = None
    max_tokens: int | None = None
    output_schema: Any = None
    temperature: float | None = None


class Engine:
    """Runs one flow. Create once, call `handle(event)` per event, `drain()` at the end."""

    def __init__(
        self,
        flow: Any,
        *,
        provider: Provider,
        http: HttpClient | None = None,
        base_dir: Path,
        clock: Clock | None = None,
        idempotency: IdempotencyStore | None = None,
        telemetry: Telemetry | None = None,
        seed: int = 0,
        dead_letter_path: Path | None = None,
        catalog: Catalog | None = None,
        rate_limits: bool = True,
        ingress_limit: bool = False,
        environ: dict[str, str] | None = None,
        validate_events: bool = True,
    ) -> None:
        import os

        self.flow = flow
        self.provider = provider
        self._http = http
        self.base_dir = Path(base_dir)
        self.clock: Clock = clock or LoopClock()
        # The clock read on every step and call. With a LoopClock it is the running loop's own
        # `time` (bound in `handle`, per loop), which skips a loop lookup per read.
        self._now: Callable[[], float] = self.clock.now
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_clock = False
        # `is None`, not `or`: an empty store has len() 0 and would be replaced.
        self.idempotency: IdempotencyStore = (
            idempotency if idempotency is not None else MemoryIdempotencyStore()
        )
        self._fingerprint: Callable[[Any], Any] = getattr(self.idempotency, "fingerprint", request_hash)
        self.telemetry = telemetry
        self.seed = seed
        self.environ = environ if environ is not None else os.environ
        self.validate_events = validate_events
        self._rng = random.Random(seed)
        graph = build_graph(flow)
        cycle = graph.cycle()
        if cycle:
            raise FlowgenError(f"the `needs` graph has a cycle: {' -> '.join(cycle)}", code="FG004")
        for step_id, unknown in graph.unknown_needs.items():
            raise FlowgenError(f"step `{step_id}` needs `{unknown[0]}`, which is no step", code="FG003")
        ids = [s.id for s in flow.steps]
        if len(set(ids)) != len(ids):
            duplicate = next(i for i in ids if ids.count(i) > 1)
            raise FlowgenError(f"two steps have the id `{duplicate}`", code="FG007")
        if flow.respond is not None:
            for need in flow.respond.needs:
                if need not in ids:
                    raise FlowgenError(f"respond needs `{need}`, which is no step", code="FG003")
        pairs = graph.sync_needs_async()
        if pairs:
            raise FlowgenError(f"`{pairs[0][0]}` waits for the async step `{pairs[0][1]}`", code="FG005")
        self.graph = graph
        self.profiles: dict[str, ModelProfile] = model_profiles(flow, catalog)
        for step in flow.steps:
            if step.type == "model":
                for alias in candidates(step):
                    if alias not in self.profiles:
                        raise FlowgenError(
                            f"step `{step.id}` uses the model alias `{alias}`, which `models:` does not "
                            "define (or whose catalog entry is unknown)",
                            code="FG003",
                        )
        self.sla: float | None = flow.latency_sla
        self.respond_needs = tuple(flow.respond.needs) if flow.respond is not None else ()
        self.plans: dict[str, StepPlan] = {}
        hot = graph.hot_path
        for index, step in enumerate(flow.steps):
            plan = StepPlan(
                step=step,
                id=step.id,
                type=step.type,
                index=index,
                needs=tuple(graph.needs[step.id]),
                dependants=tuple(graph.dependants[step.id]),
                hot=step.id in hot,
                mode=step.mode,
                policy=RetryPolicy.from_spec(step.retry),
                validator=_validator(getattr(step, "output_schema", None), f"step `{step.id}`"),
                in_respond=step.id in self.respond_needs,
            )
            plan.inline = step.type in ("validate", "transform", "retrieve")
            if step.type == "validate" and step.on_fail is not None and step.on_fail.action == "retry":
                plan.inline = False
                plan.producer = self._producer(step)
            _compile_plan(plan)
            self.plans[step.id] = plan
        self.roots = tuple(p for p in self.plans.values() if not p.needs)
        for plan in self.plans.values():
            plan.dependant_plans = tuple(self.plans[d] for d in plan.dependants)
        self._needs_left = {p.id: len(p.needs) for p in self.plans.values()}  # copied per event
        self.step_count = len(self.plans)
        # `${env:…}` in a model alias's base_url is resolved per call, never stored resolved.
        self._base_urls = {a: spec.base_url for a, spec in flow.models.items() if spec.base_url is not None}
        self.trigger_validator = _validator(flow.trigger.event_schema, "trigger.event_schema")
        respond = flow.respond
        self.respond_body = compile_value(respond.body) if respond is not None else None
        self.deadline_body = (
            compile_value(respond.on_deadline.body) if respond is not None and respond.on_deadline else None
        )
        self.trigger_key = (
            compile_template(flow.trigger.idempotency_key)
            if flow.trigger.idempotency_key is not None
            else None
        )
        self.router = Router(self.profiles)
        self.breakers = BreakerBoard(self.clock)
        self._breaker_of = {alias: self.breakers[alias] for alias in self.profiles}
        self.limiters: dict[str, ModelLimiter] = model_limiters(self.profiles) if rate_limits else {}
        self.ingress = flow_limiter(flow.trigger.rate_limit) if ingress_limit else None
        self.dedupe_window = flow.trigger.dedupe_window or DEFAULT_WINDOW
        # What every call of a model alias needs, looked up once: (profile, limiter, breaker, label).
        self._alias_setup = {
            alias: (profile, self.limiters.get(alias), self._breaker_of[alias], f"{alias} call")
            for alias, profile in self.profiles.items()
        }
        self.dead_letter_path = self._dead_letter_file(dead_letter_path)
        self._letters = DeadLetterWriter(self.dead_letter_path) if self.dead_letter_path is not None else None
        obs = flow.observability
        self.redact_paths: tuple[str, ...] = tuple(obs.redact) if obs is not None else ()
        from copilot.flow.taint import tainted_steps

        # Steps whose output derives from a redacted field: hidden like the field itself.
        self.tainted: frozenset[str] = frozenset(tainted_steps(flow))
        from copilot.run.rag import RetrieveIndex

        self.indexes = {
            p.id: RetrieveIndex(p.step, self.base_dir, p.index)
            for p in self.plans.values()
            if p.type == "retrieve"
        }
        self._pending: set[_Run] = set()
        self._deadlines = _DeadlineWatch()
        self._inflight: dict[str, asyncio.Future[EventResult]] = {}
        self.events = 0

    def _dead_letter_file(self, given: Path | None) -> Path | None:
        """The dead-letter file: `given` (a command-line choice) or the flow's, inside its folder.

        Either way an existing file must already be a dead-letter file (copilot.flow.trust).
        """
        from copilot.flow.trust import dead_letter_problem, existing_file_problem
        from copilot.run.rag import SourceError

        if given is not None:
            problem = existing_file_problem(Path(given))
            if problem is not None:
                raise FlowgenError(f"--dead-letter: {problem}")
            return Path(given)
        on_error = self.flow.on_error
        if on_error is None or on_error.dead_letter is None:
            return None
        value = on_error.dead_letter.path
        problem = dead_letter_problem(value, self.base_dir)
        if problem is not None:
            raise SourceError(problem, ("on_error", "dead_letter", "path"), kind="boundary")
        return self.base_dir / value

    # ------------------------------------------------------------------ public

    @property
    def http(self) -> HttpClient:
        if self._http is None:
            from copilot.run.providers.http import HttpxClient

            self._http = HttpxClient()
        return self._http

    def check_event(self, event: Any) -> None:
        """Raise a FlowgenError when `event` does not match `trigger.event_schema`."""
        if not isinstance(event, dict):
            raise FlowgenError(f"an event is a JSON object, not {type(event).__name__}")
        if self.trigger_validator is not None:
            problem = _schema_problem(self.trigger_validator, event)
            if problem is not None:
                # The message quotes the offending value: a redacted field must not show.
                scrub = self.redactor(event)
                raise FlowgenError(f"the event does not match trigger.event_schema: {scrub(problem)}")

    def redactor(self, event: Any) -> Redactor:
        """What hides the values of the event's `observability.redact` fields in any text."""
        if not self.redact_paths:
            return _NO_REDACTION
        return Redactor(redacted_values(event, self.redact_paths))

    async def handle(self, event: dict[str, Any]) -> EventResult:
        """Run one event; return as soon as its response is decided."""
        self.events += 1
        # On Python 3.11 every get_running_loop() is a getpid() system call: read it once per
        # event and hand the loop to what needs it (timers, tasks, futures).
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._loop_clock = type(self.clock) is LoopClock  # then `_now()` is loop time
            self._now = loop.time if self._loop_clock else self.clock.now
        if self.validate_events:
            try:
                self.check_event(event)
            except FlowgenError as exc:
                return EventResult(
                    response_status=422, response_body={"error": exc.message}, error=exc.message
                )
        if self.ingress is not None:
            await self.ingress.acquire()
        key = None
        event_hash = None
        if self.trigger_key is not None:
            try:
                with render_budget(self.sla):
                    key = str(self.trigger_key({"event": event}))
            except ExpressionError as exc:
                message = f"trigger.idempotency_key: {exc.message}"
                self._count_budget(exc, "trigger")
                return EventResult(response_status=422, response_body={"error": message}, error=message)
            event_hash = self._fingerprint(event)
            replay = self._replay_event(key, event_hash)
            if replay is not None:
                return replay
            inflight = self._inflight.get(key)
            if inflight is not None:
                # The same delivery twice at once: the second waits for the first's answer.
                first = await asyncio.shield(inflight)
                return EventResult(
                    response_status=first.response_status,
                    response_body=first.response_body,
                    replayed=True,
                    idempotency_key=key,
                )
        run = _Run(self, event, key, event_hash)
        self._pending.add(run)
        if key is not None:
            self._inflight[key] = run.response
        run.start()
        if not run.response.done():
            await run.response
        return run.result

    async def drain(self) -> None:
        """Wait until every event's async and off-path work has finished and its dead letter is written."""
        while self._pending:
            await asyncio.gather(*(run.done for run in list(self._pending)), return_exceptions=True)
        if self._letters is not None:
            await self._letters.flush()

    async def cancel(self) -> None:
        """Stop the events in flight: cancel their steps' tasks and wait until they are gone.

        A cancelled step ends `cancelled`, and so do the steps after it, so every event
        completes (and is dead-lettered as it would be); its dead letter is written before
        this returns. Only the engine's own tasks are cancelled, never other tasks of the loop.
        """
        while True:
            live = [task for run in list(self._pending) for task in run.tasks if not task.done()]
            if not live:
                break
            for task in live:
                task.cancel()
            await asyncio.gather(*live, return_exceptions=True)
        if self._letters is not None:
            await self._letters.flush()

    async def aclose(self) -> None:
        """Drain, then close the HTTP client."""
        await self.drain()
        close = getattr(self._http, "aclose", None)
        if close is not None:
            await close()

    # ------------------------------------------------------------------ helpers

    def _count_budget(self, error: ExpressionError, where: str) -> None:
        """Count a render stopped over its budget outside a step (steps count in `_finish`)."""
        if error.kind == "template_budget" and self.telemetry is not None:
            self.telemetry.count("template_budget_exceeded", 1, {"flowgen.step.id": where})

    def _producer(self, step: Any) -> str | None:
        """The step a validate step's `on_fail: retry` re-runs: the model step its input reads."""
        try:
            refs = references(step.input)
        except ExpressionError:
            return None
        for ref in refs:
            if ref.root == "steps" and len(ref.parts) > 1:
                candidate = ref.parts[1]
                if candidate in step.needs and any(
                    s.id == candidate and s.type == "model" for s in self.flow.steps
                ):
                    return candidate
        return None

    def _replay_event(self, key: str, event_hash: str) -> EventResult | None:
        try:
            recorded = self.idempotency.lookup("event:" + key, event_hash)
        except IdempotencyConflict:
            message = f"idempotency key {key!r} was already used for a different event"
            return EventResult(response_status=409, response_body={"error": message}, error=message)
        if recorded is None:
            return None
        status, body, deadline_hit = recorded.value  # see _Run._decide
        return EventResult(
            response_status=status,
            response_body=body,
            deadline_hit=bool(deadline_hit),
            replayed=True,
            idempotency_key=key,
        )

    def env(self, text: str) -> str:
        """`${env:NAME}` resolved now (never logged); a missing variable names itself."""
        from copilot.flow.units import resolve_env

        try:
            return resolve_env(text, self.environ)  # type: ignore[arg-type]
        except KeyError as exc:
            raise StepFailure(f"environment variable {exc.args[0]} is not set", "client_error") from None


class _DeadlineWatch:
    """One timer for the SLA deadlines of all the events in flight.

    Every event's deadline is its arrival plus the same SLA, so deadlines fall due in
    arrival order: a queue with one timer for its head replaces a timer (and a heap entry
    to cancel) per event. Events that answered in time are dropped when they reach the head.
    """

    __slots__ = ("armed", "loop", "queue", "timer")

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queue: deque[_Run] = deque()
        self.timer: asyncio.TimerHandle | None = None
        self.armed: _Run | None = None

    def add(self, run: _Run, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self.loop:  # an engine used on a new loop: the old loop's timer is gone
            self.loop, self.timer, self.armed = loop, None, None
            self.queue.clear()
        queue = self.queue
        while queue and queue[0].responded:
            queue.popleft()
        queue.append(run)
        if self.timer is None:
            self._arm()

    def _arm(self) -> None:
        queue = self.queue
        while queue and queue[0].responded:
            queue.popleft()
        if queue:
            self.armed = queue[0]
            self.timer = self.loop.call_at(queue[0].deadline, self._fire)  # type: ignore[union-attr, arg-type]
        else:
            self.armed = self.timer = None

    def _fire(self) -> None:
        armed, self.armed, self.timer = self.armed, None, None
        now = self.loop.time()  # type: ignore[union-attr]
        queue = self.queue
        try:
            while queue:
                run = queue[0]
                # The head the timer was set for is due even if the loop woke a hair early.
                if not (run.responded or run is armed or run.deadline <= now):  # type: ignore[operator]
                    break
                queue.popleft()
                run._deadline_passed()
        finally:
            self._arm()


class _Run:
    """The state of one event while it runs."""

    __slots__ = (
        "ctx",
        "dead_letter_reason",
        "deadline",
        "done",
        "engine",
        "event",
        "event_hash",
        "finished",
        "handoff",
        "key",
        "left",
        "outputs",
        "queue",
        "respond_left",
        "responded",
        "response",
        "result",
        "scrub",
        "span",
        "spans",
        "t0",
        "tasks",
    )

    def __init__(
        self, engine: Engine, event: dict[str, Any], key: str | None, event_hash: str | None
    ) -> None:
        self.engine = engine
        self.event = event
        self.event_hash = event_hash
        self.outputs: dict[str, dict[str, Any]] = {}
        self.ctx = {"event": event, "steps": self.outputs}
        self.t0 = engine._now()
        self.deadline = self.t0 + engine.sla if engine.sla is not None and engine.respond_needs else None
        self.responded = False
        loop = engine._loop  # the running loop, read once per event in `handle`
        self.response: asyncio.Future[EventResult] = loop.create_future()  # type: ignore[union-attr]
        self.done: asyncio.Future[None] = loop.create_future()  # type: ignore[union-attr]
        self.result = EventResult(idempotency_key=key, _done=self.done)
        self.left = engine._needs_left.copy()
        self.respond_left = len(engine.respond_needs)
        self.finished = 0
        self.key = key
        self.dead_letter_reason: str | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.handoff: list[StepPlan] | None = None  # set while a step's end readies others
        self.queue: deque[StepPlan] | None = None  # steps made ready while `_ready` runs (see there)
        tel = engine.telemetry
        # Always the engine's own (fresh per event): it learns tainted outputs as they end.
        self.scrub = engine.redactor(event)
        self.result.scrub = self.scrub if engine.redact_paths else None
        self.spans: dict[str, Any] = {}
        self.span = None
        if tel is not None:
            self.span = tel.start_event(
                engine.flow.name,
                self.t0,
                {"flowgen.idempotency_key": key, "flowgen.sla_ms": _ms(engine.sla)},
                self.scrub,
            )
        steps = self.result.steps
        for plan in engine.plans.values():
            steps[plan.id] = StepRecord(plan.id, plan.type, plan.mode, plan.hot)

    # ------------------------------------------------------------------ time

    def now(self) -> float:
        return self.engine._now() - self.t0

    def call_deadline(self, plan: StepPlan) -> float | None:
        """The absolute deadline a call of `plan` must respect, None when off the SLA."""
        if plan.hot and not self.responded:
            return self.deadline
        return None

    def give_up_sla(self, reason: str) -> None:
        """What is left cannot fit in the SLA: answer on_deadline now, go on as async work."""
        if not self.responded:
            self._respond_deadline(reason)

    # ------------------------------------------------------------------ scheduling

    def start(self) -> None:
        if self.respond_left == 0:
            self._respond()
        elif self.deadline is not None:
            self.engine._deadlines.add(self, self.engine._loop)  # type: ignore[arg-type]
        for plan in self.engine.roots:
            self._ready(plan)
        if not self.engine.plans:
            self._complete()

    def _ready(self, plan: StepPlan) -> None:
        """All needs of `plan` are finished: skip, cancel or start it.

        Iterative, not recursive: an inline step's end readies the next one (`_finish`), so
        a chain of 10,000 transforms would otherwise nest `_ready` → `_finish` → `_ready`
        10,000 deep. While one `_ready` runs, the steps it makes ready wait in `queue` and
        the outermost call starts them one after the other.
        """
        queue = self.queue
        if queue is not None:
            queue.append(plan)
            return
        self.queue = queue = deque()
        try:
            self._start(plan)
            while queue:
                self._start(queue.popleft())
        finally:
            self.queue = None

    def _start(self, plan: StepPlan) -> None:
        record = self.result.steps[plan.id]
        if plan.needs:
            outputs = self.outputs
            all_skipped = True
            for need in plan.needs:
                status = outputs[need]["status"]
                if status == "failed" or status == "cancelled":
                    record.error = f"not run: `{need}` failed"
                    self._finish(plan, "cancelled")
                    return
                if status != "skipped":
                    all_skipped = False
            if all_skipped:
                self._finish(plan, "skipped")
                return
        if plan.condition is not None:
            try:
                with self.template_budget(plan):
                    go = plan.condition(self.ctx)
            except ExpressionError as exc:
                record.error, record.kind = f"`if`: {exc.message}", exc.kind
                record.start = record.end = self.now()
                self._finish(plan, "failed")
                return
            if not go:
                self._finish(plan, "skipped")
                return
        record.start = self.engine._now() - self.t0
        record.status = "running"
        tel = self.engine.telemetry
        if tel is not None:
            self.spans[plan.id] = tel.start_child(
                self.span,
                f"step {plan.id}",
                self.engine._now(),
                {"flowgen.step.id": plan.id, "flowgen.step.type": plan.type, "flowgen.step.mode": plan.mode,
                 "flowgen.hot_path": plan.hot},
            )  # fmt: skip
        if plan.inline:
            try:
                status = plan.runner(self, plan, record)
            except StepFailure as exc:
                record.error, record.kind = str(exc), exc.kind
                status = "failed"
            except _Skip:
                status = "skipped"
            self._finish(plan, status)
        elif self.handoff is not None:
            # A step's end made this one ready: the task that ran it may run this one next.
            self.handoff.append(plan)
        else:
            self._spawn(plan)

    def _spawn(self, plan: StepPlan) -> None:
        # Held until the event is over (a task must be referenced while it waits); a done
        # callback to forget it sooner would cost a loop callback per task.
        self.tasks.append(self.engine._loop.create_task(self._run_async(plan)))  # type: ignore[union-attr]

    async def _run_async(self, plan: StepPlan) -> None:
        """Run a step that waits; then, in the same task, one that its end made ready.

        A task per waiting step would cost a task switch per step; a chain of steps
        (classify → answer) instead runs in one task. The hot-path step goes first, since
        the response waits for it; the others get tasks of their own and run alongside.
        """
        steps = self.result.steps
        next_plan: StepPlan | None = plan
        while next_plan is not None:
            plan = next_plan
            record = steps[plan.id]
            try:
                status = await plan.runner(self, plan, record)
            except StepFailure as exc:
                record.error, record.kind = str(exc), exc.kind
                status = "failed"
            except asyncio.CancelledError:
                record.error, record.kind = "cancelled", "cancelled"
                self._finish(plan, "cancelled")
                raise
            except Exception as exc:  # a bug must not leave the event hanging; it is reported, not hidden
                record.error, record.kind = f"internal error: {type(exc).__name__}: {exc}", "internal"
                status = "failed"
            handoff: list[StepPlan] = []
            self.handoff = handoff
            try:
                self._finish(plan, status)
            except BaseException:
                self.handoff = None
                for ready in handoff:
                    self._spawn(ready)
                raise
            self.handoff = None
            next_plan = None
            for ready in handoff:
                if next_plan is None:
                    next_plan = ready
                elif ready.hot and not next_plan.hot:
                    self._spawn(next_plan)
                    next_plan = ready
                else:
                    self._spawn(ready)

    def _finish(self, plan: StepPlan, status: str) -> None:
        engine = self.engine
        record = self.result.steps[plan.id]
        record.status = status  # type: ignore[assignment]
        if record.output is not None and plan.id in engine.tainted:
            self.scrub.add(record.output)
        if status != "skipped" or record.start is not None:
            record.end = engine._now() - self.t0
        if self.responded:
            record.after_response = True
        output = record.output if status in ("ok", "defaulted") else None
        self.outputs[plan.id] = {"output": output, "status": status}
        tel = self.engine.telemetry
        span = self.spans.pop(plan.id, None) if tel is not None else None
        if span is not None:
            tel.end_span(  # type: ignore[union-attr]
                span,
                self.engine._now(),
                {"flowgen.step.status": status, "flowgen.model.alias": record.model,
                 "flowgen.attempts": record.attempts, "flowgen.retries": record.retries,
                 "flowgen.fallback_used": record.fallback_used, "flowgen.hedge_won": record.hedge_won,
                 "flowgen.route.reason": record.route_reason, "flowgen.cost_usd": record.cost},
                record.error if status == "failed" else None,
                self.scrub,
                record.kind,
            )  # fmt: skip
        if status == "failed" and record.kind == "template_budget" and tel is not None:
            tel.count("template_budget_exceeded", 1, {"flowgen.step.id": plan.id})
        if status == "failed" and self.result.error is None and (not plan.hot or self.responded):
            self.result.error = f"step `{plan.id}` failed: {record.error}"
        self.finished += 1
        if plan.in_respond and not self.responded:
            if status in _FAILED:
                self._respond_error(plan, record)
            else:
                self.respond_left -= 1
                if self.respond_left == 0:
                    self._respond()
        elif plan.in_respond:
            self.respond_left -= 1
        left = self.left
        for dependant in plan.dependant_plans:
            count = left[dependant.id] - 1
            left[dependant.id] = count
            if count == 0:
                self._ready(dependant)
        if self.finished == engine.step_count and not self.done.done():
            self._complete()

    # ------------------------------------------------------------------ the response

    def _decide(
        self, status: int, body: Any, *, deadline_hit: bool = False, error: str | None = None
    ) -> None:
        self.responded = True  # the deadline watch forgets this event when it reaches it
        result = self.result
        result.response_status = status
        result.response_body = body
        result.deadline_hit = deadline_hit
        result.latency = self.now()
        if error is not None and result.error is None:
            result.error = error
        tel = self.engine.telemetry
        if tel is not None:
            end = self.engine._now()
            span = tel.start_child(self.span, "respond", self.t0 + 0.0, {"http.response.status_code": status})
            tel.end_span(
                span,
                end,
                {"flowgen.deadline_hit": deadline_hit, "flowgen.latency_ms": _ms(result.latency)},
                error,
                self.scrub,
                "deadline" if deadline_hit else None,
            )
            if deadline_hit:
                tel.count("deadline_answers")
        engine = self.engine
        if self.key is not None:
            engine._inflight.pop(self.key, None)
            if error is None or deadline_hit:
                engine.idempotency.record(
                    "event:" + self.key,
                    self.event_hash if self.event_hash is not None else engine._fingerprint(self.event),
                    (status, body, deadline_hit),  # compact: kept for the whole dedupe window
                    engine.dedupe_window,
                )
        if not self.response.cancelled():  # cancelled: the caller stopped waiting; the event goes on
            self.response.set_result(result)

    def _respond(self) -> None:
        respond = self.engine.flow.respond
        if respond is None:
            self._decide(202, None)
            return
        try:
            with self.template_budget():
                body = self.engine.respond_body(self.ctx)  # type: ignore[misc]
        except ExpressionError as exc:
            message = f"respond.body: {exc.message}"
            self.engine._count_budget(exc, "respond")
            self._decide(500, {"error": message}, error=message)
            return
        self._decide(respond.status, body)

    def _respond_error(self, plan: StepPlan, record: StepRecord) -> None:
        message = (
            f"step `{plan.id}` {'failed' if record.status == 'failed' else 'was not run'}: {record.error}"
        )
        if record.status == "cancelled":
            # Report the root cause, not the cancellation chain.
            root = next(
                (r for r in self.result.steps.values() if r.status == "failed" and r.hot),
                None,
            )
            if root is not None:
                message = f"step `{root.step_id}` failed: {root.error}"
        deadline = self.deadline
        if record.kind == "template_budget" and deadline is not None and self.engine._now() >= deadline:
            # The render was stopped by the SLA deadline itself: answer as at the deadline.
            self._respond_deadline(f"`{plan.id}`: {record.error}")
            return
        status = 504 if record.kind == "timeout" else 500
        self._decide(status, {"error": self.scrub(message)}, error=message)

    def _respond_deadline(self, reason: str) -> None:
        respond = self.engine.flow.respond
        on_deadline = respond.on_deadline if respond is not None else None
        message = f"deadline: {reason}"
        if on_deadline is None:
            self._decide(504, {"error": "deadline exceeded"}, deadline_hit=True, error=message)
            return
        try:
            with render_budget(None):  # the deadline has passed: the hard cap alone
                body = self.engine.deadline_body({"event": self.event, "steps": self.outputs})  # type: ignore[misc]
        except ExpressionError as exc:
            error = f"respond.on_deadline.body: {exc.message}"
            self.engine._count_budget(exc, "on_deadline")
            self._decide(500, {"error": error}, deadline_hit=True, error=error)
            return
        self._decide(on_deadline.status, body, deadline_hit=True)

    def template_budget(self, plan: StepPlan | None = None) -> render_budget:
        """The time a render may take now: the step's timeout, clipped by what is left of the SLA.

        Rendering runs on the event loop, so a render that ran past the deadline would hold
        the response (and every other event) with it; the sandbox stops it instead.
        """
        seconds = plan.step.timeout if plan is not None else None
        if self.deadline is not None and not self.responded and (plan is None or plan.hot):
            left = max(self.deadline - self.engine._now(), _MIN_RENDER_BUDGET)
            seconds = left if seconds is None else min(seconds, left)
        return render_budget(seconds)

    def _deadline_passed(self) -> None:
        if not self.responded:
            sla = self.engine.sla or 0.0
            self._respond_deadline(f"the hot path did not finish within {sla * 1000:g}ms")

    # ------------------------------------------------------------------ the end

    def _complete(self) -> None:
        result = self.result
        result.total_time = self.now()
        cost = 0.0
        failed = []
        for record in result.steps.values():
            cost += record.cost
            if record.status == "failed":
                failed.append(record)
        result.cost = cost
        engine = self.engine
        if not self.responded:  # defensive: every path decides a response before the end
            self._respond()
        if (failed or self.dead_letter_reason) and engine.dead_letter_path is not None:
            _write_dead_letter(self, failed)
            result.dead_lettered = True
        tel = engine.telemetry
        if tel is not None:
            tel.count("events", 1, {"flowgen.flow": engine.flow.name})
            if result.dead_lettered:
                tel.count("dead_letters")
            tel.end_span(
                self.span,
                engine._now(),
                {"http.response.status_code": result.response_status, "flowgen.cost_usd": result.cost,
                 "flowgen.deadline_hit": result.deadline_hit, "flowgen.dead_lettered": result.dead_lettered,
                 "flowgen.latency_ms": _ms(result.latency)},
                result.error,
                self.scrub,
                "step_failed" if failed else None,
            )  # fmt: skip
        engine._pending.discard(self)
        self.done.set_result(None)


def _compile_step(step: Any) -> dict[str, Renderer]:
    """Every template of a step, compiled once for all events."""
    out: dict[str, Renderer] = {}
    if step.idempotency_key is not None:
        out["idempotency_key"] = compile_template(step.idempotency_key)
    if step.type == "model":
        out["user"] = compile_template(step.prompt.user)
        if step.prompt.system is not None:
            out["system"] = compile_template(step.prompt.system)
    elif step.type == "validate":
        out["input"] = compile_template(step.input)
    elif step.type == "transform":
        out["output"] = compile_value(step.output)
    elif step.type == "retrieve":
        out["query"] = compile_template(step.query)
    elif step.type == "http":
        out["url"] = compile_template(step.request.url)
        out["headers"] = compile_value(step.request.headers)
        out["json"] = compile_value(step.request.json_body)
    return out


def _compile_plan(plan: StepPlan) -> None:
    """What each event would otherwise look up or parse again: templates, conditions, orders."""
    step = plan.step
    plan.templates = _compile_step(step)
    if step.if_ is not None:
        plan.condition = compile_condition(step.if_)
    if step.type == "validate":
        plan.rules = tuple((compile_condition(r.expr), r.message, r.expr) for r in step.rules or ())
    if step.type == "model":
        plan.runner = _model_call
        plan.render_system = plan.templates.get("system")
        plan.render_user = plan.templates["user"]
        plan.render_key = plan.templates.get("idempotency_key")
        plan.max_tokens, plan.output_schema, plan.temperature = (
            step.max_tokens,
            step.output_schema,
            step.temperature,
        )
        plan.order = tuple(step.route.candidates) if step.route is not None else (step.model, *step.fallback)
        plan.hash_models = plan.order
        plan.hedge_after = step.hedge.after if step.hedge is not None else None
    elif step.type == "http":
        plan.runner = _http_step
        latency = (step.latency.p50, step.latency.p95) if step.latency is not None else None
        plan.hints = {"output_schema": step.output_schema, "latency": latency, "step_id": plan.id}
        plan.what = f"{step.request.method} request"
    elif not plan.inline:
        plan.runner = _validate_with_retry
    else:
        plan.runner = _INLINE[step.type]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


# ---------------------------------------------------------------------------- step kinds


def _budget(run: _Run, plan: StepPlan, now: float) -> float | None:
    """Seconds the next call of `plan` may take: its timeout, clipped by the SLA deadline."""
    timeout = plan.step.timeout
    if not plan.hot or run.responded or run.deadline is None:
        return timeout  # type: ignore[no-any-return]
    budget = call_budget(timeout, run.deadline, now)
    if budget is not None and budget <= 0:
        run.give_up_sla(f"no time left for `{plan.id}`")
        return timeout  # type: ignore[no-any-return]
    return budget


def _retry_wait(run: _Run, plan: StepPlan, record: StepRecord, error: ProviderError, attempt: int,
                expected: float) -> float | None:  # fmt: skip
    """How long to wait before retrying after `error`, or None when the policy does not retry.

    `expected` is the median latency of one call: a retry that would not fit in what is
    left of the SLA is still made, but as async work, after answering `on_deadline`.
    """
    policy = plan.policy
    if attempt >= policy.attempts or not policy.retryable(error):
        return None
    engine = run.engine
    wait = policy.delay(attempt, engine._rng, error.retry_after)
    deadline = run.call_deadline(plan)
    now = engine._now()
    if deadline is not None and now + wait + expected > deadline:
        run.give_up_sla(
            f"retry {attempt + 1} of `{plan.id}` would not fit "
            f"(wait {wait * 1000:.0f}ms + ~{expected * 1000:.0f}ms, "
            f"{max(0.0, deadline - now) * 1000:.0f}ms left)"
        )
    record.retries += 1
    tel = engine.telemetry
    if tel is not None:
        tel.count("retries", 1, {"flowgen.step.id": plan.id, "error.type": error.kind})
    return wait


async def _retrying(
    run: _Run,
    plan: StepPlan,
    record: StepRecord,
    label: str | None,
    call: Any,
    expected: float,
    hedge: bool = False,
) -> Any:
    """Call `call(attempt, budget)` under the step's retry policy and the event's deadline."""
    engine = run.engine
    now = engine._now
    t0 = run.t0
    history = run.result.attempts
    attempt = 0
    while True:
        started = now()
        budget = _budget(run, plan, started)
        record.attempts += 1
        try:
            value = await call(attempt, budget)
        except ProviderError as error:
            history.append(
                Attempt(
                    plan.id, label, attempt, started - t0, now() - t0, "error", error.kind, str(error), hedge
                )
            )
            wait = _retry_wait(run, plan, record, error, attempt, expected)
            if wait is None:
                raise
            attempt += 1
            if wait > 0:
                await engine.clock.sleep(wait)
            continue
        except asyncio.CancelledError:
            history.append(
                Attempt(plan.id, label, attempt, started - t0, now() - t0, "cancelled", None, None, hedge)
            )
            raise
        history.append(Attempt(plan.id, label, attempt, started - t0, now() - t0, "ok", None, None, hedge))
        return value


def _parse_output(plan: StepPlan, content: str) -> Any:
    if plan.validator is None:
        return content
    try:
        value = json.loads(content)
    except (json.JSONDecodeError, TypeError):
        raise ProviderError("invalid_output", "the answer is not JSON") from None
    problem = _schema_problem(plan.validator, value)
    if problem is not None:
        raise ProviderError("invalid_output", f"the answer does not match output_schema: {problem}")
    return value


class _Prompt:
    """One model step's call, rendered: what every alias, attempt and hedge of it sends."""

    __slots__ = ("key", "seed", "system", "user")

    def __init__(self, system: str | None, user: str, key: str | None, seed: int) -> None:
        self.system, self.user, self.key, self.seed = system, user, key, seed


async def _call_model(
    run: _Run, plan: StepPlan, record: StepRecord, prompt: _Prompt, alias: str, is_hedge: bool
) -> tuple[ModelResponse, Any]:
    """One candidate of the chain: its calls under the retry policy, with breaker and router fed."""
    engine = run.engine
    profile, limiter, breaker, what = engine._alias_setup[alias]
    base_url = engine.env(engine._base_urls[alias]) if alias in engine._base_urls else None
    provider = engine.provider
    router = engine.router
    tel = engine.telemetry
    now = engine._now
    t0 = run.t0
    history = run.result.attempts
    attempt = 0
    while True:
        started = now()
        budget = _budget(run, plan, started)
        record.attempts += 1
        request = ModelRequest(
            alias, profile, prompt.system, prompt.user, plan.max_tokens, plan.output_schema, plan.id,
            prompt.key, budget, attempt, prompt.seed, plan.temperature, base_url,
        )  # fmt: skip
        span = None
        if tel is not None:
            parent = run.spans.get(plan.id) or run.span
            span = tel.start_chat(parent, alias, profile, request, started, is_hedge, run.scrub)
        response = None
        try:
            if limiter is not None:
                tokens = (len(prompt.user) + len(prompt.system or "")) // 4 + (plan.max_tokens or 0)
                await with_timeout(limiter.acquire(tokens), budget, what=f"rate limit of {alias}")
            response = await with_timeout(
                provider.complete(request),
                budget,
                what=what,
                loop=engine._loop,
                at=started + budget if budget is not None and engine._loop_clock else None,
            )
            record.input_tokens += response.input_tokens
            record.output_tokens += response.output_tokens
            record.cost += response.cost
            output = _parse_output(plan, response.content)
        except ProviderError as error:
            ended = now()
            if error.kind in TRANSIENT_KINDS:
                breaker.record_failure()
            if error.kind == "timeout":
                router.observe(alias, ended - started)
            if span is not None:
                tel.end_chat(span, ended, ended - started, profile, response, error, run.scrub)  # type: ignore[union-attr]
            history.append(
                Attempt(
                    plan.id,
                    alias,
                    attempt,
                    started - t0,
                    ended - t0,
                    "error",
                    error.kind,
                    str(error),
                    is_hedge,
                )
            )
            wait = _retry_wait(run, plan, record, error, attempt, router.p50(alias))
            if wait is None:
                raise
            attempt += 1
            if wait > 0:
                await engine.clock.sleep(wait)
            continue
        except asyncio.CancelledError as error:
            ended = now()
            breaker.release_probe()
            if span is not None:
                tel.end_chat(span, ended, ended - started, profile, response, error, run.scrub)  # type: ignore[union-attr]
            history.append(
                Attempt(plan.id, alias, attempt, started - t0, ended - t0, "cancelled", None, None, is_hedge)
            )
            raise
        ended = now()
        if span is not None:
            tel.end_chat(span, ended, ended - started, profile, response, None, run.scrub)  # type: ignore[union-attr]
        breaker.record_success()
        router.observe(alias, ended - started)
        history.append(Attempt(plan.id, alias, attempt, started - t0, ended - t0, "ok", None, None, is_hedge))
        return response, output


def _may_start(run: _Run, plan: StepPlan, alias: str, index: int) -> Verdict:
    """Whether the chain may call `alias` now: its circuit, and for a fallback, the deadline."""
    if not run.engine._breaker_of[alias].allow():
        return ("skip", f"{alias}: circuit open")
    if index > 0:
        deadline = run.call_deadline(plan)
        if deadline is not None and run.engine._now() + run.engine.router.p50(alias) > deadline:
            run.give_up_sla(f"fallback `{alias}` of `{plan.id}` would not fit")
    return GO


_PROVIDER_FAILURES = (ProviderError,)


async def _model_call(run: _Run, plan: StepPlan, record: StepRecord, seed_offset: int = 0) -> str:
    """Render, choose the model(s) and call down the chain; fills the record in; returns "ok"."""
    engine = run.engine
    step = plan.step
    ctx = run.ctx
    try:
        with run.template_budget(plan):
            system = plan.render_system(ctx) if plan.render_system is not None else None
            user = plan.render_user(ctx)  # type: ignore[misc]
    except ExpressionError as exc:
        raise StepFailure(f"prompt: {exc.message}", exc.kind) from None
    if system is not None and type(system) is not str:
        system = str(system)
    if type(user) is not str:
        user = str(user)
    # Routing: the strategy picks the first candidate now, from observed latency and price.
    if step.route is not None:
        deadline = run.call_deadline(plan)
        remaining = call_budget(step.timeout, deadline, engine._now())
        decision = engine.router.choose(
            list(plan.order), step.route.strategy, remaining, lambda a: engine._breaker_of[a].healthy()
        )
        order: Any = decision.order
        record.route = decision
    else:
        order = plan.order
    primary = order[0]
    key = None
    if plan.render_key is not None:
        try:
            with run.template_budget(plan):
                key = str(plan.render_key(ctx))
        except ExpressionError as exc:
            raise StepFailure(f"idempotency_key: {exc.message}", exc.kind) from None
        request_id = engine._fingerprint((plan.id, system, user, plan.hash_models, seed_offset))
        store_key = f"step:{plan.id}:{key}"
        try:
            recorded = engine.idempotency.lookup(store_key, request_id)
        except IdempotencyConflict as exc:
            raise StepFailure(str(exc), "client_error") from None
        if recorded is not None:
            record.output, record.model = recorded.value  # (output, alias): see below
            record.replayed = True
            return "ok"
    prompt = _Prompt(system, user, key, engine.seed + seed_offset)
    try:
        chain = await run_chain(
            order,
            partial(_call_model, run, plan, record, prompt),
            may_start=partial(_may_start, run, plan),
            hedge_after=plan.hedge_after,
            failures=_PROVIDER_FAILURES,
            loop=engine._loop,
        )
    except ChainFailed as exc:
        last = exc.last_error
        kind = getattr(last, "kind", "unavailable")
        tried = "; ".join(f"{alias}: {err}" for alias, err in exc.errors) or str(exc)
        record.model = exc.errors[-1][0] if exc.errors else primary
        raise StepFailure(tried, kind) from None
    output = chain.value[1]
    record.output = output
    record.model = chain.alias
    record.fallback_used = chain.alias != primary
    record.hedge_won = chain.hedge_won
    tel = engine.telemetry
    if tel is not None:
        if record.fallback_used:
            tel.count("fallbacks", 1, {"flowgen.step.id": plan.id})
        if chain.hedge_won:
            tel.count("hedges_won", 1, {"flowgen.step.id": plan.id})
    if key is not None:
        engine.idempotency.record(
            # A pair, not a dict: a store keeps one per call for the whole dedupe window.
            store_key,
            request_id,
            (output, chain.alias),
            engine.dedupe_window,
        )
    return "ok"


def _validate_once(run: _Run, plan: StepPlan) -> tuple[Any, list[str]]:
    try:
        with run.template_budget(plan):
            value = plan.templates["input"](run.ctx)
    except ExpressionError as exc:
        return None, [f"input: {exc.message}"]
    if plan.id in run.engine.tainted:
        run.scrub.add(value)  # before the checks, whose messages quote the value
    problems: list[str] = []
    if plan.validator is not None:
        problem = _schema_problem(plan.validator, value)
        if problem is not None:
            problems.append(problem)
    if plan.rules:
        scope = {"event": run.event, "steps": run.outputs, "input": value}
        for check, message, _expr in plan.rules:
            try:
                with run.template_budget(plan):
                    ok = check(scope)
            except ExpressionError as exc:
                problems.append(f"{message} ({exc.message})")
                continue
            if not ok:
                problems.append(message)
    return value, problems


def _validate_step(run: _Run, plan: StepPlan, record: StepRecord) -> str:
    value, problems = _validate_once(run, plan)
    if not problems:
        record.output = value
        return "ok"
    return _on_fail(run, plan, record, value, problems)


def _on_fail(run: _Run, plan: StepPlan, record: StepRecord, value: Any, problems: list[str]) -> str:
    tel = run.engine.telemetry
    if tel is not None:
        tel.count("validation_failures", 1, {"flowgen.step.id": plan.id})
    on_fail = plan.step.on_fail
    message = "; ".join(problems)
    action = on_fail.action if on_fail is not None else "fail"
    if action == "default":
        record.output = on_fail.value  # type: ignore[union-attr]
        record.error = message
        return "defaulted"
    if action == "dead_letter":
        run.dead_letter_reason = f"step `{plan.id}`: {message}"
    raise StepFailure(message, "validation_error")


async def _validate_with_retry(run: _Run, plan: StepPlan, record: StepRecord) -> str:
    """A validate step whose `on_fail` re-runs the model step that produced its input."""
    value, problems = _validate_once(run, plan)
    rounds = plan.step.on_fail.attempts or 1
    producer = plan.producer
    n = 0
    while problems and producer is not None and n < rounds:
        n += 1
        tel = run.engine.telemetry
        if tel is not None:
            tel.count("validation_failures", 1, {"flowgen.step.id": plan.id})
        producer_plan = run.engine.plans[producer]
        producer_record = run.result.steps[producer]
        producer_record.retries += 1
        try:
            await _model_call(run, producer_plan, producer_record, seed_offset=n)
        except StepFailure as exc:
            raise StepFailure(f"re-running `{producer}`: {exc}", exc.kind) from None
        run.outputs[producer] = {"output": producer_record.output, "status": "ok"}
        value, problems = _validate_once(run, plan)
    if not problems:
        record.output = value
        return "ok"
    raise StepFailure("; ".join(problems) + (f" (after {n} re-run(s) of `{producer}`)" if n else ""),
                      "validation_error")  # fmt: skip


def _transform_step(run: _Run, plan: StepPlan, record: StepRecord) -> str:
    try:
        with run.template_budget(plan):
            value = plan.templates["output"](run.ctx)
    except ExpressionError as exc:
        raise StepFailure(f"output: {exc.message}", exc.kind) from None
    if plan.id in run.engine.tainted:
        run.scrub.add(value)  # before the schema check, whose message quotes the value
    if plan.validator is not None:
        problem = _schema_problem(plan.validator, value)
        if problem is not None:
            raise StepFailure(f"output does not match output_schema: {problem}", "validation_error")
    record.output = value
    return "ok"


def _retrieve_step(run: _Run, plan: StepPlan, record: StepRecord) -> str:
    step = plan.step
    index = run.engine.indexes[plan.id]
    try:
        index.check()
    except FlowgenError as exc:
        raise StepFailure(exc.message, getattr(exc, "kind", "source")) from None
    stale = index.stale()
    if stale is not None:
        raise StepFailure(stale, "stale_source")
    try:
        with run.template_budget(plan):
            query = plan.templates["query"](run.ctx)
    except ExpressionError as exc:
        raise StepFailure(f"query: {exc.message}", exc.kind) from None
    passages = index.search(str(query), step.top_k)
    if passages:
        record.output = passages
        return "ok"
    on_empty = step.on_empty
    action = on_empty.action if on_empty is not None else "default"
    if action == "default":
        record.output = on_empty.value if on_empty is not None else []
        return "defaulted"
    if action == "skip":
        raise _Skip()
    if action == "dead_letter":
        run.dead_letter_reason = f"step `{plan.id}`: no passage matched"
    raise StepFailure("no passage matched the query", "empty")


_INLINE = {"validate": _validate_step, "transform": _transform_step, "retrieve": _retrieve_step}


async def _http_step(run: _Run, plan: StepPlan, record: StepRecord) -> str:
    engine = run.engine
    step = plan.step
    req = step.request
    client = engine.http
    resolve = getattr(client, "resolves_env", True)
    try:
        templates = plan.templates
        with run.template_budget(plan):
            url = str(templates["url"](run.ctx))
            headers = {k: str(v) for k, v in templates["headers"](run.ctx).items()}
            body = templates["json"](run.ctx)
            key = str(templates["idempotency_key"](run.ctx)) if step.idempotency_key is not None else None
    except ExpressionError as exc:
        raise StepFailure(f"request: {exc.message}", exc.kind) from None
    request_id = store_key = None
    claimed: Claimed | None = None
    if key is not None:
        headers["Idempotency-Key"] = key  # the callee dedupes a retry after a crash by it
        request_id = engine._fingerprint((plan.id, req.method, url, headers, body))
        store_key = f"step:{plan.id}:{key}"
        try:
            if hasattr(engine.idempotency, "claim"):
                recorded, claimed = await _claim_key(engine, plan, store_key, request_id)
            else:
                recorded = engine.idempotency.lookup(store_key, request_id)
        except IdempotencyConflict as exc:
            raise StepFailure(str(exc), "client_error") from None
        if recorded is not None:
            record.output, record.replayed = recorded.value[0], True
            return "ok"
    if resolve:
        # Secrets are resolved here, at call time, into locals that are never recorded.
        url = engine.env(url)
        headers = {k: engine.env(v) for k, v in headers.items()}
    expected = step.latency.p50 if step.latency is not None else HTTP_LATENCY[0]

    hints = plan.hints if getattr(client, "wants_hints", False) else _NO_HINTS
    loop = engine._loop

    async def once(attempt: int, budget: float | None) -> Any:
        response = await with_timeout(
            client.request(req.method, url, headers, body, budget, **hints), budget, what=plan.what, loop=loop
        )
        if response.status >= 400:
            retry_after = parse_retry_after((response.headers or {}).get("retry-after"))
            raise ProviderError(
                kind_for_status(response.status), f"HTTP {response.status}", status=response.status,
                retry_after=retry_after,
            )  # fmt: skip
        output = response.json if response.json is not None else response.text
        if plan.validator is not None:
            problem = _schema_problem(plan.validator, output)
            if problem is not None:
                raise ProviderError("invalid_output", f"response does not match output_schema: {problem}")
        return output

    try:
        output = await _retrying(run, plan, record, None, once, expected)
    except ProviderError as exc:
        if claimed is not None:
            engine.idempotency.release(store_key, claimed.token)  # type: ignore[attr-defined]
        raise StepFailure(_scrub_secrets(str(exc), url), exc.kind) from None
    except BaseException:
        if claimed is not None:
            engine.idempotency.release(store_key, claimed.token)  # type: ignore[attr-defined]
        raise
    record.output = output
    if key is not None:
        engine.idempotency.record(store_key, request_id, (output,), engine.dedupe_window)  # type: ignore[arg-type]
    return "ok"


_CLAIM_POLL = 0.05  # seconds between looks at a key another process holds


async def _claim_key(engine: Engine, plan: StepPlan, store_key: str, request_id: Any) -> tuple[Any, Any]:
    """(the recorded result, None) or (None, our claim) of a side effect's key, across processes.

    A key another process holds is waited for, never called again: its result is replayed
    when it is recorded; when its holder's lease runs out with no result (it crashed) the
    step fails cleanly, and a later delivery takes the claim over (`claim(recover=True)`).
    """
    store: Any = engine.idempotency
    policy = plan.policy
    # The lease outlasts the whole call: every attempt at its timeout, and the waits between.
    timeout = plan.step.timeout or 30.0
    lease = timeout * (policy.attempts + 1) + policy.cap * policy.attempts + 1.0
    recover = True
    while True:
        state = store.claim(store_key, request_id, lease, recover=recover)
        if isinstance(state, Claimed):
            return None, state
        if not isinstance(state, InFlight):
            return state, None
        if state.expired:
            raise StepFailure(
                f"idempotency key {store_key.split(':', 2)[2]!r} was claimed by another process whose "
                "lease ran out without a result; not calling again (a later delivery takes it over)",
                "unavailable",
            )
        recover = False
        await asyncio.sleep(_CLAIM_POLL)


def _scrub_secrets(message: str, url: str) -> str:
    return message.replace(url, "<url>") if url else message


# ---------------------------------------------------------------------------- dead letters


def _write_dead_letter(run: _Run, failed: list[StepRecord]) -> None:
    """Queue one JSON line for the dead-letter file: the event, the failure, the attempts.

    The values of `observability.redact` fields never reach the file: they are `[redacted]`
    in the event (the record lists them under `redacted`; replay needs them supplied again)
    and scrubbed from every error text, which may quote them.
    """
    import datetime as dt

    engine = run.engine
    first = failed[0] if failed else None
    line: dict[str, Any] = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "flow": engine.flow.name,
        "idempotency_key": run.key,
        "event": redact_event(run.event, engine.redact_paths) if engine.redact_paths else run.event,
        "step": first.step_id if first is not None else None,
        "error": (first.error if first is not None else None) or run.dead_letter_reason,
        "kind": first.kind if first is not None else "validation_error",
        "reason": run.dead_letter_reason,
        "response": {"status": run.result.response_status, "deadline_hit": run.result.deadline_hit},
        "failed_steps": [{"step": r.step_id, "error": r.error, "kind": r.kind} for r in failed],
        "attempts": [a.to_dict() for a in run.result.attempts],
    }
    if engine.redact_paths:
        line = run.scrub.tree(line)  # the event's redacted values and tainted outputs
        line["redacted"] = list(engine.redact_paths)
    # Built here, on the loop (the event's state at its end); written off it, in order.
    engine._letters.add(json.dumps(line, ensure_ascii=False, default=str) + "\n", engine._loop)  # type: ignore[union-attr, arg-type]
