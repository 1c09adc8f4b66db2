"""The local engine: runs a flow's DAG for one event at a time, many events at once.

Per event (docs/architecture.md, "Running a flow"): a step starts as soon as its `needs`
are done, so independent steps run in parallel; `if` skips a step, and steps whose needs
were all skipped are skipped too; the response is decided as soon as `respond.needs` are
done, or when the SLA deadline passes (`respond.on_deadline`), whichever is first.
Everything not done by then, and every async step, goes on after the response; `drain()`
waits for it, and for the dead-letter lines, written off the loop (`copilot.run.deadletter`).

The engine trusts its flow: the structural problems (unknown needs, cycles, duplicate ids,
sync steps waiting for async ones) are reported once, with positions, where the flow is
loaded (`copilot.flow.check`, through `copilot.run.engine_setup.require_sound`).

Deadline propagation: while the response is pending, a hot-path call gets the smaller of
its own timeout and what is left of `sla.latency_p95`. A retry, fallback or hedge that
would not fit in what is left is not started inside the SLA: the engine answers
`on_deadline` at once and the call goes on as async work.

Where each part lives:

- `copilot.run.plans`: each step compiled once per flow (templates, conditions, validate
  rules as closures; model orders, request fields and labels looked up once), so the
  per-event work is only the event's own;
- `copilot.run.event_run`: one event while it runs (scheduling, the response, the end);
  a chain of steps that wait (classify → answer) runs in one task, and one timer serves
  the SLA deadlines of all events in flight;
- `copilot.run.model_step` and `copilot.run.steps`: what each kind of step does;
  `copilot.run.attempts`: the one retry loop; `copilot.run.step_replay`: step idempotency;
- `copilot.run.resilience`: timeouts, retry policy, fallback, hedge, breaker, routing.

Per event it is kept lean (bench/bench_engine.py measures it): a timer is armed only when
a call actually waits (`resilience.timeout`), a hedge's backup gets a task only when its
timer fires (`resilience.hedge`), the running loop is read once per event (on Python 3.11
each lookup is a system call), and with no telemetry no span or attribute is built.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copilot.catalog import Catalog, ModelProfile
from copilot.errors import FlowgenError
from copilot.flow.estimate import candidates, model_profiles
from copilot.flow.expressions import ExpressionError
from copilot.flow.graph import build_graph
from copilot.flow.local_schema import validator as schema_validator
from copilot.flow.sandbox import render_budget
from copilot.run.clock import Clock, LoopClock
from copilot.run.deadletter import DeadLetterWriter
from copilot.run.event_run import DeadlineWatch, EventRun
from copilot.run.plans import StepFailure, StepPlan, plan_step, schema_problem
from copilot.run.providers.base import HttpClient, Provider
from copilot.run.quick_schema import quick_check
from copilot.run.records import EventResult, StepRecord
from copilot.run.redact import Redactor, redacted_values
from copilot.run.resilience.breaker import BreakerBoard
from copilot.run.resilience.idempotency import (
    DEFAULT_WINDOW,
    IdempotencyConflict,
    IdempotencyStore,
    MemoryIdempotencyStore,
    request_hash,
)
from copilot.run.resilience.ratelimit import ModelLimiter, flow_limiter, model_limiters
from copilot.run.resilience.routing import flow_router, sent_model
from copilot.run.steps import runner_for
from copilot.run.templates import compile_template, compile_value

if TYPE_CHECKING:
    from copilot.run.telemetry import Telemetry

__all__ = ["Engine", "EventResult", "StepFailure", "StepPlan", "StepRecord"]

_NO_REDACTION = Redactor(())


class Engine:
    """Runs one flow. Create once, call `handle(event)` per event, `drain()` at the end.

    `flow` is trusted: it must have passed the structural check where it was loaded
    (`copilot.run.engine_setup.require_sound`; `engine_for` builds an engine for `run` and
    `test`). A flow with a cycle or an unknown `needs` is not refused here again.
    """

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
        self.now: Callable[[], float] = self.clock.now
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_clock = False
        # `is None`, not `or`: an empty store has len() 0 and would be replaced.
        self.idempotency: IdempotencyStore = (
            idempotency if idempotency is not None else MemoryIdempotencyStore()
        )
        self.fingerprint: Callable[[Any], Any] = getattr(self.idempotency, "fingerprint", request_hash)
        self.telemetry = telemetry
        self.seed = seed
        self.environ = environ if environ is not None else os.environ
        self.validate_events = validate_events
        self.rng = random.Random(seed)
        # The flow passed copilot.flow.check (cycles, unknown needs, duplicate ids, sync steps
        # waiting for async ones): `copilot.run.engine_setup.require_sound`. Trusted here.
        graph = build_graph(flow)
        self.graph = graph
        self.profiles: dict[str, ModelProfile] = model_profiles(flow, catalog)
        for step in flow.steps:
            if step.type == "model":
                for alias in candidates(step):
                    if alias not in self.profiles:
                        # Not a structural re-check: `catalog` may be another than the one
                        # the flow was checked against.
                        raise FlowgenError(
                            f"step `{step.id}` uses the model alias `{alias}`, which `models:` does not "
                            "define (or whose catalog entry is unknown)",
                            code="FG003",
                        )
        self.sla: float | None = flow.latency_sla
        self.respond_needs = tuple(flow.respond.needs) if flow.respond is not None else ()
        self.plans: dict[str, StepPlan] = {}
        for index, step in enumerate(flow.steps):
            plan = plan_step(step, index, graph, self.respond_needs, flow)
            plan.runner = runner_for(plan)
            self.plans[step.id] = plan
        self.roots = tuple(p for p in self.plans.values() if not p.needs)
        for plan in self.plans.values():
            plan.dependant_plans = tuple(self.plans[d] for d in plan.dependants)
        self.needs_left = {p.id: len(p.needs) for p in self.plans.values()}  # copied per event
        self.step_count = len(self.plans)
        # `${env:…}` in a model alias's base_url is resolved per call, never stored resolved.
        self.base_urls = {a: spec.base_url for a, spec in flow.models.items() if spec.base_url is not None}
        self.trigger_validator = schema_validator(flow.trigger.event_schema, "trigger.event_schema")
        # A valid event is recognised by the schema's compiled predicate; jsonschema
        # decides (and words the error) only when that is not sure (copilot.run.quick_schema).
        self.trigger_quick = (
            quick_check(flow.trigger.event_schema) if self.trigger_validator is not None else None
        )
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
        # Routing by price compares what each call costs: under `--model-override` (the
        # provider's `model_override`) only an alias's own `price` is known (issue 17).
        self.router = flow_router(self.profiles, sent_model(provider))
        self.breakers = BreakerBoard(self.clock)
        self.breaker_of = {alias: self.breakers[alias] for alias in self.profiles}
        self.limiters: dict[str, ModelLimiter] = model_limiters(self.profiles) if rate_limits else {}
        self.ingress = flow_limiter(flow.trigger.rate_limit) if ingress_limit else None
        self.dedupe_window = flow.trigger.dedupe_window or DEFAULT_WINDOW
        # What every call of a model alias needs, looked up once: (profile, limiter, breaker, label).
        self.alias_setup = {
            alias: (profile, self.limiters.get(alias), self.breaker_of[alias], f"{alias} call")
            for alias, profile in self.profiles.items()
        }
        self.dead_letter_path = self._dead_letter_file(dead_letter_path)
        self.letters = DeadLetterWriter(self.dead_letter_path) if self.dead_letter_path is not None else None
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
        self.pending: set[EventRun] = set()
        self.deadlines = DeadlineWatch()
        self.inflight: dict[str, asyncio.Future[EventResult]] = {}
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
            quick = self.trigger_quick
            if quick is not None and quick(event):
                return
            problem = schema_problem(self.trigger_validator, event)
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
        if loop is not self.loop:
            self.loop = loop
            self.loop_clock = type(self.clock) is LoopClock  # then `now()` is loop time
            self.now = loop.time if self.loop_clock else self.clock.now
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
                self.count_budget(exc, "trigger")
                return EventResult(response_status=422, response_body={"error": message}, error=message)
            event_hash = self.fingerprint(event)
            replay = self._replay_event(key, event_hash)
            if replay is not None:
                return replay
            inflight = self.inflight.get(key)
            if inflight is not None:
                # The same delivery twice at once: the second waits for the first's answer.
                first = await asyncio.shield(inflight)
                return EventResult(
                    response_status=first.response_status,
                    response_body=first.response_body,
                    replayed=True,
                    idempotency_key=key,
                )
        run = EventRun(self, event, key, event_hash)
        self.pending.add(run)
        if key is not None:
            self.inflight[key] = run.response
        run.start()
        if not run.response.done():
            await run.response
        return run.result

    async def drain(self) -> None:
        """Wait until every event's async and off-path work has finished and its dead letter is written."""
        while self.pending:
            await asyncio.gather(*(run.done for run in list(self.pending)), return_exceptions=True)
        if self.letters is not None:
            await self.letters.flush()

    async def cancel(self) -> None:
        """Stop the events in flight: cancel their steps' tasks and wait until they are gone.

        A cancelled step ends `cancelled`, and so do the steps after it, so every event
        completes (and is dead-lettered as it would be); its dead letter is written before
        this returns. Only the engine's own tasks are cancelled, never other tasks of the loop.
        """
        while True:
            live = [task for run in list(self.pending) for task in run.tasks if not task.done()]
            if not live:
                break
            for task in live:
                task.cancel()
            await asyncio.gather(*live, return_exceptions=True)
        if self.letters is not None:
            await self.letters.flush()

    async def aclose(self) -> None:
        """Drain, then close the HTTP client."""
        await self.drain()
        close = getattr(self._http, "aclose", None)
        if close is not None:
            await close()

    # ------------------------------------------------------------------ helpers

    def count_budget(self, error: ExpressionError, where: str) -> None:
        """Count a render stopped over its budget outside a step (steps count in `_finish`)."""
        if error.kind == "template_budget" and self.telemetry is not None:
            self.telemetry.count("template_budget_exceeded", 1, {"flowgen.step.id": where})

    def _replay_event(self, key: str, event_hash: str) -> EventResult | None:
        try:
            recorded = self.idempotency.lookup("event:" + key, event_hash)
        except IdempotencyConflict:
            message = f"idempotency key {key!r} was already used for a different event"
            return EventResult(response_status=409, response_body={"error": message}, error=message)
        if recorded is None:
            return None
        status, body, deadline_hit = recorded.value  # see EventRun._decide
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
