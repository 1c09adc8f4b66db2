"""One event while it runs (`EventRun`): which step is ready, the response, the end.

Per event (docs/architecture.md, "Running a flow"): a step starts as soon as its `needs`
are done, so independent steps run in parallel; `if` skips a step, and steps whose needs
were all skipped are skipped too; the response is decided as soon as `respond.needs` are
done, or when the SLA deadline passes (`respond.on_deadline`), whichever is first.
Everything not done by then, and every async step, goes on after the response.

A chain of steps that wait (classify → answer) runs in one task; a task is started only
for a branch that runs alongside (`EventRun._run_async`). One timer serves the SLA
deadlines of all events in flight (`DeadlineWatch`).

`engine` is the `copilot.run.engine.Engine` that started the event (typed `Any` here:
the engine imports this module).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from copilot.flow.expressions import ExpressionError
from copilot.flow.sandbox import render_budget
from copilot.run.deadletter import dead_letter_line
from copilot.run.plans import FAILED_STATUSES, SkipStep, StepFailure, StepPlan, gate, stopped
from copilot.run.records import EventResult, StepRecord, deadline_answer, failure_answer

_MIN_RENDER_BUDGET = 0.01  # seconds: a render that starts at the deadline still gets to say why it failed


class DeadlineWatch:
    """One timer for the SLA deadlines of all the events in flight.

    Every event's deadline is its arrival plus the same SLA, so deadlines fall due in
    arrival order: a queue with one timer for its head replaces a timer (and a heap entry
    to cancel) per event. Events that answered in time are dropped when they reach the head.
    """

    __slots__ = ("armed", "loop", "queue", "timer")

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queue: deque[EventRun] = deque()
        self.timer: asyncio.TimerHandle | None = None
        self.armed: EventRun | None = None

    def add(self, run: EventRun, loop: asyncio.AbstractEventLoop) -> None:
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


class EventRun:
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
        "traced",
    )

    def __init__(self, engine: Any, event: dict[str, Any], key: str | None, event_hash: str | None) -> None:
        self.engine = engine
        self.event = event
        self.event_hash = event_hash
        self.outputs: dict[str, dict[str, Any]] = {}
        self.ctx = {"event": event, "steps": self.outputs}
        self.t0 = engine.now()
        self.deadline = self.t0 + engine.sla if engine.sla is not None and engine.respond_needs else None
        self.responded = False
        loop = engine.loop  # the running loop, read once per event in `handle`
        self.response: asyncio.Future[EventResult] = loop.create_future()  # type: ignore[union-attr]
        self.done: asyncio.Future[None] = loop.create_future()  # type: ignore[union-attr]
        self.result = EventResult(idempotency_key=key, _done=self.done)
        self.left = engine.needs_left.copy()
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
        # Step and respond spans only where spans are built: under OpenTelemetry's no-op
        # tracer (nothing exports spans, as `flowgen serve`) each is the same invalid span,
        # whose attributes and end do nothing (a model call's parent falls back to `span`).
        self.traced = tel is not None and _spans_built(tel)
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
        return self.engine.now() - self.t0

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
            self.engine.deadlines.add(self, self.engine.loop)  # type: ignore[arg-type]
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
        if plan.needs or plan.condition is not None:
            blocked = gate(plan, record, self.outputs, self.ctx, self.template_budget)
            if blocked is not None:
                if blocked == "failed":
                    record.start = record.end = self.now()
                self._finish(plan, blocked)
                return
        record.start = self.engine.now() - self.t0
        record.status = "running"
        tel = self.engine.telemetry
        if self.traced:
            self.spans[plan.id] = tel.start_child(  # type: ignore[union-attr]
                self.span,
                f"step {plan.id}",
                self.engine.now(),
                {"flowgen.step.id": plan.id, "flowgen.step.type": plan.type, "flowgen.step.mode": plan.mode,
                 "flowgen.hot_path": plan.hot},
            )  # fmt: skip
        if plan.inline:
            try:
                status = plan.runner(self, plan, record)
            except (StepFailure, SkipStep) as exc:
                status = stopped(record, exc)
            self._finish(plan, status)
        elif self.handoff is not None:
            # A step's end made this one ready: the task that ran it may run this one next.
            self.handoff.append(plan)
        else:
            self._spawn(plan)

    def _spawn(self, plan: StepPlan) -> None:
        # Held until the event is over (a task must be referenced while it waits); a done
        # callback to forget it sooner would cost a loop callback per task.
        self.tasks.append(self.engine.loop.create_task(self._run_async(plan)))  # type: ignore[union-attr]

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
            record.end = engine.now() - self.t0
        if self.responded:
            record.after_response = True
        output = record.output if status in ("ok", "defaulted") else None
        self.outputs[plan.id] = {"output": output, "status": status}
        tel = self.engine.telemetry
        span = self.spans.pop(plan.id, None) if tel is not None else None
        if span is not None:
            tel.end_span(  # type: ignore[union-attr]
                span,
                self.engine.now(),
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
            if status in FAILED_STATUSES:
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
            if self.traced:
                end = self.engine.now()
                span = tel.start_child(
                    self.span, "respond", self.t0 + 0.0, {"http.response.status_code": status}
                )
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
            engine.inflight.pop(self.key, None)
            if error is None or deadline_hit:
                engine.idempotency.record(
                    "event:" + self.key,
                    self.event_hash if self.event_hash is not None else engine.fingerprint(self.event),
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
            self.engine.count_budget(exc, "respond")
            self._decide(500, {"error": message}, error=message)
            return
        self._decide(respond.status, body)

    def _respond_error(self, plan: StepPlan, record: StepRecord) -> None:
        deadline = self.deadline
        # a render stopped by the SLA deadline itself answers as at the deadline
        cut = record.kind == "template_budget" and deadline is not None and self.engine.now() >= deadline
        answer = failure_answer(plan.id, record, self.result.steps.values(), deadline_cut=cut)
        if answer is None:
            self._respond_deadline(f"`{plan.id}`: {record.error}")
            return
        status, message = answer
        self._decide(status, {"error": self.scrub(message)}, error=message)

    def _respond_deadline(self, reason: str) -> None:
        engine = self.engine

        def render_body() -> Any:
            return engine.deadline_body({"event": self.event, "steps": self.outputs})

        def count_budget(exc: ExpressionError) -> None:
            engine.count_budget(exc, "on_deadline")

        status, body, error = deadline_answer(engine.flow.respond, reason, render_body, count_budget)
        self._decide(status, body, deadline_hit=True, error=error)

    def template_budget(self, plan: StepPlan | None = None) -> render_budget:
        """The time a render may take now: the step's timeout, clipped by what is left of the SLA.

        Rendering runs on the event loop, so a render that ran past the deadline would hold
        the response (and every other event) with it; the sandbox stops it instead.
        """
        seconds = plan.step.timeout if plan is not None else None
        if self.deadline is not None and not self.responded and (plan is None or plan.hot):
            left = max(self.deadline - self.engine.now(), _MIN_RENDER_BUDGET)
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
            if not record.cost_known:
                result.cost_known = False
            if record.status == "failed":
                failed.append(record)
        result.cost = cost
        engine = self.engine
        if not self.responded:  # defensive: every path decides a response before the end
            self._respond()
        if (failed or self.dead_letter_reason) and engine.dead_letter_path is not None:
            # Built here, on the loop (the event's state at its end); written off it, in order.
            line = dead_letter_line(
                flow_name=engine.flow.name,
                key=self.key,
                event=self.event,
                result=result,
                failed=failed,
                reason=self.dead_letter_reason,
                redact_paths=engine.redact_paths,
                scrub=self.scrub,
            )
            engine.letters.add(line, engine.loop)
            result.dead_lettered = True
        tel = engine.telemetry
        if tel is not None:
            tel.count("events", 1, {"flowgen.flow": engine.flow.name})
            if result.dead_lettered:
                tel.count("dead_letters")
            tel.end_span(
                self.span,
                engine.now(),
                {"http.response.status_code": result.response_status, "flowgen.cost_usd": result.cost,
                 "flowgen.deadline_hit": result.deadline_hit, "flowgen.dead_lettered": result.dead_lettered,
                 "flowgen.latency_ms": _ms(result.latency)},
                result.error,
                self.scrub,
                "step_failed" if failed else None,
            )  # fmt: skip
        engine.pending.discard(self)
        self.done.set_result(None)


_NOOP_TRACER: type | None = None


def _spans_built(tel: Any) -> bool:
    """Whether `tel`'s tracer builds spans (not OpenTelemetry's no-op tracer)."""
    global _NOOP_TRACER
    if _NOOP_TRACER is None:
        from opentelemetry.trace import NoOpTracer

        _NOOP_TRACER = NoOpTracer
    return not isinstance(getattr(tel, "tracer", None), _NOOP_TRACER)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)
