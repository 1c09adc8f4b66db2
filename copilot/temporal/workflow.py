"""The one generic workflow: a flow's DAG interpreted deterministically, event by event.

The same semantics as the local engine (`copilot.run.event_run`, docs/architecture.md,
"Running a flow"), on Temporal's deterministic event loop: a step starts when its `needs`
are done; `if` skips it, and steps whose needs were all skipped are skipped too; the
response is decided when `respond.needs` are done or the SLA deadline passes (a durable
timer, `respond.on_deadline`), whichever is first. Validate and transform steps run
here, with the engine's own step functions (`copilot.run.steps.runner_for`); model, http
and retrieve calls are activities (`copilot.temporal.activities`), or, for an event started
with `activities="local"` (`FlowInput.activities`), local activities where nothing waits
behind them (`Interpretation.runs_locally`: run by the worker that runs the workflow task,
recorded as markers, without the server's round trips of an activity task), each with:

- `start_to_close_timeout` = the step's `timeout` (per attempt);
- `schedule_to_close_timeout` = what is left of the SLA, for hot-path calls made before
  the response (deadline propagation, as `copilot.run.attempts.attempt_budget`);
- a `RetryPolicy` from the step's `retry:` (`activity_retry_policy`), so every retry is
  Temporal's and shows in the history.

Fallbacks, hedges and routing run here, from workflow time only: a hedge's backup starts
on a workflow timer and the loser is cancelled; a routed step's choice is the router's,
fed with the catalog's estimates (no wall clock, no live observations, so a replay
chooses again the same). An async step, with the async steps after it, is a child
workflow with `ParentClosePolicy.ABANDON`: it outlives the response and the parent.

The response can be read while the workflow runs: the `flowgen.response` query, or the
`flowgen.await_response` update, which returns as soon as it is decided
(`flowgen serve --engine temporal`, `copilot.temporal.client.respond`).

The flow's modules are passed through the sandbox: they are pure (no I/O, no clock but
the template render budget, a safety cap) and reloading them per workflow would cost more
than the event.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy as TemporalRetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from temporalio.contrib.opentelemetry import workflow as traced

    from copilot.flow.expressions import ExpressionError
    from copilot.flow.sandbox import render_budget
    from copilot.run.plans import FAILED_STATUSES, SkipStep, StepFailure, StepPlan, gate, stopped
    from copilot.run.providers.base import ERROR_KINDS
    from copilot.run.records import StepRecord, deadline_answer, failure_answer
    from copilot.run.redact import redacted_values
    from copilot.run.resilience.retry import RetryPolicy
    from copilot.run.resilience.routing import flow_router
    from copilot.run.resilience.timeout import call_budget
    from copilot.run.steps import runner_for
    from copilot.temporal.compiled import DEFAULT_CALL_TIMEOUT, CompiledFlow, compiled_flow
    from copilot.temporal.messages import (
        FLOW_WORKFLOW,
        HTTP_ACTIVITY,
        MODEL_ACTIVITY,
        RESPONSE_QUERY,
        RESPONSE_UPDATE,
        RETRIEVE_ACTIVITY,
        FlowInput,
        HttpCall,
        ModelCall,
        RetrieveCall,
    )

# What a failed call raises: an activity's failure is an ActivityError around its cause; a
# local activity's is the cause itself (an ApplicationError from the activity, or a timeout).
CALL_FAILURES = (ActivityError, ApplicationError, TimeoutError)
_MIN_INTERVAL = 0.001  # seconds: Temporal refuses a zero retry interval


def activity_retry_policy(policy: RetryPolicy) -> TemporalRetryPolicy:
    """A step's `retry:` as Temporal's: attempts, backoff, and what is never retried.

    Temporal's `RetryPolicy` has no jitter: its waits are `initial · coefficient^n` up to
    the cap, the upper bound of the local engine's full-jitter draws. `jitter: true` is
    kept by the activity instead: a call that failed raises its `ApplicationError` with
    `next_retry_delay`, the local engine's draw (`activities.retry_delay`), which the
    server waits instead of this policy's interval. A retry after a failure the activity
    never raised (a `start_to_close` timeout, a worker lost) waits the policy's interval,
    without jitter.

    The error classes the policy does not list are non-retryable types (an activity raises an
    `ApplicationError` whose type is the class: `client_error` for a 4xx, `invalid_output`
    for an answer that fails its schema), so a 4xx or a validation error is never retried
    unless the flow lists it.
    """
    initial = max(policy.initial, _MIN_INTERVAL) if policy.backoff != "none" else _MIN_INTERVAL
    return TemporalRetryPolicy(
        initial_interval=timedelta(seconds=initial),
        backoff_coefficient=2.0 if policy.backoff == "exponential" else 1.0,
        maximum_interval=timedelta(seconds=max(policy.cap, initial)),
        maximum_attempts=policy.attempts + 1,
        non_retryable_error_types=[
            kind
            for kind in ERROR_KINDS
            if kind not in policy.kinds and not (kind == "client_error" and policy.statuses)
        ],
    )


def failure_kind(error: BaseException) -> tuple[str, str]:
    """(error class, message) of a failed activity, as the local engine names them."""
    cause = error.cause if isinstance(error, ActivityError) and error.cause is not None else error
    if isinstance(cause, ApplicationError):
        return cause.type or "error", cause.message
    if isinstance(cause, TimeoutError):
        return "timeout", f"timed out ({cause.type.name.lower() if cause.type else 'timeout'})"
    if is_cancelled_exception(error):
        return "cancelled", "cancelled"
    return "error", str(cause)


def _present(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if v is not None}


class _NoScrub:
    """The workflow hides nothing in its records: redaction is the engine's, on the client side."""

    def add(self, value: Any) -> None:
        pass


@dataclasses.dataclass
class _Shared:
    """What the engine's inline step functions read from `run.engine`."""

    plans: dict[str, StepPlan]
    tainted: frozenset[str] = frozenset()
    telemetry: Any = None


@workflow.defn(name=FLOW_WORKFLOW)
class FlowWorkflow:
    """One event through one flow (or, as a child, one async branch of it)."""

    def __init__(self) -> None:
        self.response: dict[str, Any] | None = None

    @workflow.query(name=RESPONSE_QUERY)
    def current_response(self) -> dict[str, Any] | None:
        return self.response

    @workflow.update(name=RESPONSE_UPDATE)
    async def await_response(self) -> dict[str, Any]:
        await workflow.wait_condition(lambda: self.response is not None)
        assert self.response is not None
        return self.response

    @workflow.run
    async def run(self, given: FlowInput) -> dict[str, Any]:
        compiled = compiled_flow(given.flow_text, given.flow_id)
        interpretation = Interpretation(self, compiled, given)
        return await interpretation.run()


class Interpretation:
    """One event's state inside the workflow: outputs, records, the response."""

    def __init__(self, owner: FlowWorkflow, compiled: CompiledFlow, given: FlowInput) -> None:
        self.owner = owner
        self.compiled = compiled
        self.given = given
        self.flow = compiled.flow
        self.event = given.event
        self.info = workflow.info()
        self.branch = given.steps is not None
        graph = compiled.graph
        if self.branch:
            self.steps = [s for s in compiled.topological if s in set(given.steps or ())]
        else:
            self.steps = [s for s in compiled.topological if s not in graph.async_steps]
        self.roots = [] if self.branch else list(compiled.branches)
        self.local = given.activities == "local"
        self.outputs: dict[str, dict[str, Any]] = dict(given.outputs)
        self.ctx = {"event": self.event, "steps": self.outputs}
        self.engine = _Shared(compiled.plans)
        self.scrub = _NoScrub()
        self.dead_letter_reason: str | None = None
        self.t0 = given.t0 if given.t0 is not None else workflow.time()
        sla = self.flow.latency_sla
        self.respond_needs = list(self.flow.respond.needs) if self.flow.respond is not None else []
        self.responded = self.branch
        self.deadline = self.t0 + sla if sla is not None and self.respond_needs and not self.branch else None
        self.records = {
            s: StepRecord(s, p.type, p.mode, p.hot)
            for s, p in compiled.plans.items()
            if s in self.steps or s in self.roots
        }
        self.children: dict[str, str] = {}
        self.error: str | None = None
        # The local engine's router (`copilot.run.resilience.routing.flow_router`): under a
        # `--model-override` (in the input, so a replay routes the same) only an alias's own
        # `price` is known, as when the engine routes it.
        self.router = flow_router(compiled.loaded.profiles, given.model_override)
        obs = self.flow.observability
        self.redacted = redacted_values(self.event, obs.redact) if obs is not None and obs.redact else []

    # ------------------------------------------------------------------ time

    def now(self) -> float:
        return workflow.time() - self.t0

    def call_deadline(self, plan: StepPlan) -> float | None:
        return self.deadline if plan.hot and not self.responded else None

    def give_up_sla(self, reason: str) -> None:
        if not self.responded:
            self._respond_deadline(reason)

    def template_budget(self, plan: StepPlan | None = None) -> render_budget:
        return render_budget(plan.step.timeout if plan is not None else None)

    # ------------------------------------------------------------------ the event

    async def run(self) -> dict[str, Any]:
        if not self.branch and not self.respond_needs:
            self._respond()
        timer = None
        if self.deadline is not None:
            timer = asyncio.create_task(self._deadline_timer())
        tasks = [asyncio.create_task(self._step(s)) for s in self.steps]
        tasks += [asyncio.create_task(self._branch(root)) for root in self.roots]
        await asyncio.gather(*tasks)
        if not self.responded:  # defensive: every path decides before the end
            self._respond()
        if timer is not None:
            timer.cancel()
        if self.given.traced:
            self._spans()
        records = {}
        cost = 0.0
        for step_id, record in self.records.items():
            cost += record.cost
            fields = {
                f.name: getattr(record, f.name) for f in dataclasses.fields(record) if f.name != "route"
            }
            fields["route_reason"] = record.route_reason
            records[step_id] = fields
        return {
            "response": self.owner.response,
            "error": self.error,
            "steps": records,
            "children": self.children,
            "total_time": self.now(),
            "cost": cost,
            "key": self.given.key,
        }

    def _spans(self) -> None:
        """The local engine's event and step spans (names and attributes), recorded once.

        `completed_span` records only outside replay, under the workflow's own span; the
        calls' `chat {model}` spans, with their real durations, are the activities'.
        """
        for record in self.records.values():
            if record.step_id in self.children or record.start is None:
                continue  # a branch's root is its child's; a step that never started has none (as locally)
            attributes = {
                "flowgen.step.id": record.step_id, "flowgen.step.type": record.type,
                "flowgen.step.mode": record.mode, "flowgen.hot_path": record.hot,
                "flowgen.step.status": record.status, "flowgen.model.alias": record.model,
                "flowgen.attempts": record.attempts, "flowgen.retries": record.retries,
                "flowgen.fallback_used": record.fallback_used, "flowgen.hedge_won": record.hedge_won,
                "flowgen.route.reason": record.route_reason, "flowgen.cost_usd": record.cost,
            }  # fmt: skip
            traced.completed_span(f"step {record.step_id}", attributes=_present(attributes))
        if self.branch:
            return
        response = self.owner.response or {}
        attributes = {
            "gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": self.flow.name,
            "flowgen.idempotency_key": self.given.key, "http.response.status_code": response.get("status"),
            "flowgen.deadline_hit": response.get("deadline_hit"),
        }  # fmt: skip
        traced.completed_span(f"invoke_workflow {self.flow.name}", attributes=_present(attributes))

    async def _deadline_timer(self) -> None:
        assert self.deadline is not None
        await asyncio.sleep(max(0.0, self.deadline - workflow.time()))
        if not self.responded:
            sla = self.flow.latency_sla or 0.0
            self._respond_deadline(f"the hot path did not finish within {sla * 1000:g}ms")

    async def _wait_needs(self, plan: StepPlan) -> None:
        needs = [n for n in plan.needs if n in self.records or n in self.outputs]
        await workflow.wait_condition(lambda: all(n in self.outputs for n in needs))

    async def _admit(self, step_id: str) -> tuple[StepPlan, StepRecord] | None:
        """Wait for the needs of `step_id`, then its gate: its plan and record if it runs.

        None when it does not run (its needs failed or were skipped, or its `if`): then it
        is already finished.
        """
        plan = self.compiled.plans[step_id]
        record = self.records[step_id]
        await self._wait_needs(plan)
        blocked = gate(plan, record, self.outputs, self.ctx, self.template_budget)
        if blocked is not None:
            self._finish(plan, blocked)
            return None
        return plan, record

    async def _step(self, step_id: str) -> None:
        admitted = await self._admit(step_id)
        if admitted is None:
            return
        plan, record = admitted
        record.start = self.now()
        record.status = "running"
        try:
            if plan.type == "model":
                status = await self._model(plan, record)
            elif plan.type == "http":
                status = await self._http(plan, record)
            elif plan.type == "retrieve":
                status = await self._retrieve(plan, record)
            elif plan.producer is not None:
                status = await self._validate_with_retry(plan, record)
            else:
                status = runner_for(plan)(self, plan, record)
        except (StepFailure, SkipStep) as exc:
            status = stopped(record, exc)
        self._finish(plan, status)

    async def _branch(self, root: str) -> None:
        """Start an async step (and the async steps after it) as an abandoned child workflow."""
        admitted = await self._admit(root)
        if admitted is None:
            return
        _, record = admitted
        child_id = f"{self.info.workflow_id}/{root}"
        record.start = self.now()
        await workflow.start_child_workflow(
            FLOW_WORKFLOW,
            FlowInput(
                flow_text=self.given.flow_text,
                flow_id=self.given.flow_id,
                event=self.event,
                seed=self.given.seed,
                key=self.given.key,
                steps=self.compiled.branches[root],
                outputs={n: self.outputs[n] for n in self.outputs},
                t0=self.t0,
                traced=self.given.traced,
                activities=self.given.activities,
                model_override=self.given.model_override,
            ),
            id=child_id,
            task_queue=self.info.task_queue,
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
        )
        self.children[root] = child_id
        record.status = "running"
        record.after_response = self.responded

    def _finish(self, plan: StepPlan, status: str) -> None:
        record = self.records[plan.id]
        record.status = status  # type: ignore[assignment]
        if status != "skipped" or record.start is not None:
            record.end = self.now()
        if self.responded:  # a branch runs after the response by construction
            record.after_response = True
        output = record.output if status in ("ok", "defaulted") else None
        self.outputs[plan.id] = {"output": output, "status": status}
        if status == "failed" and self.error is None and (not plan.hot or self.responded):
            self.error = f"step `{plan.id}` failed: {record.error}"
        if plan.in_respond and not self.responded:
            if status in FAILED_STATUSES:
                self._respond_error(plan, record)
            elif all(n in self.outputs for n in self.respond_needs):
                self._respond()

    # ------------------------------------------------------------------ the response

    def _decide(
        self, status: int, body: Any, *, deadline_hit: bool = False, error: str | None = None
    ) -> None:
        self.responded = True
        if error is not None and self.error is None:
            self.error = error
        self.owner.response = {
            "status": status,
            "body": body,
            "deadline_hit": deadline_hit,
            "latency": self.now(),
            "error": error,
            "request": self.given.request,  # whose event this is: a reused key's conflict is found by it
        }

    def _respond(self) -> None:
        respond = self.flow.respond
        if respond is None:
            self._decide(202, None)
            return
        try:
            with self.template_budget():
                body = self.compiled.respond_body(self.ctx)
        except ExpressionError as exc:
            message = f"respond.body: {exc.message}"
            self._decide(500, {"error": message}, error=message)
            return
        self._decide(respond.status, body)

    def _respond_error(self, plan: StepPlan, record: StepRecord) -> None:
        # cut by its schedule_to_close_timeout, the SLA's rest: the deadline answers, as locally
        cut = record.kind == "timeout" and self.deadline is not None and workflow.time() >= self.deadline
        answer = failure_answer(plan.id, record, self.records.values(), deadline_cut=cut)
        if answer is None:
            self._respond_deadline(f"`{plan.id}`: {record.error}")
            return
        status, message = answer
        self._decide(status, {"error": message}, error=message)

    def _respond_deadline(self, reason: str) -> None:
        status, body, error = deadline_answer(
            self.flow.respond, reason, lambda: self.compiled.deadline_body(self.ctx)
        )
        self._decide(status, body, deadline_hit=True, error=error)

    # ------------------------------------------------------------------ calls

    def _options(self, plan: StepPlan) -> dict[str, Any]:
        """Timeouts and retry policy of one call of `plan`, decided now (workflow time)."""
        timeout = plan.step.timeout if plan.step.timeout is not None else DEFAULT_CALL_TIMEOUT
        options: dict[str, Any] = {
            "start_to_close_timeout": timedelta(seconds=timeout),
            "retry_policy": activity_retry_policy(plan.policy),
        }
        deadline = self.call_deadline(plan)
        if deadline is not None:
            left = deadline - workflow.time()
            if left <= 0:
                self.give_up_sla(f"no time left for `{plan.id}`")
            else:
                options["schedule_to_close_timeout"] = timedelta(seconds=left)
        return options

    def runs_locally(self, plan: StepPlan) -> bool:
        """Whether a call of `plan` is a local activity: in `local` mode, a call that nothing
        else of the event waits behind.

        While a local activity runs, the worker holds the workflow task: no timer starts, no
        other activity is scheduled, no update is answered until it ends. So: a hot-path call
        before the response (bounded by the SLA's rest, and the response waits for it anyway)
        and a call of an async branch (a child workflow: nothing waits for it) are local; a
        hedged step's calls are not (the hedge's timer must fire while the primary runs), nor
        is a call beside the hot path (it would hold the response back).
        """
        if not self.local or plan.hedge_after is not None:
            return False
        return self.branch or (plan.hot and not self.responded)

    def _start(self, plan: StepPlan, name: str, call: Any, queue: str | None = None) -> Any:
        """Start one call of `plan`: an activity on `queue` (default the workflow's), or a local
        activity in this worker (`runs_locally`; a rate-limited model alias's call then waits for
        its limit in this worker process, `FlowActivities.model`, not on its own queue)."""
        options = self._options(plan)
        if self.runs_locally(plan):
            return workflow.start_local_activity(name, call, **options)
        return workflow.start_activity(name, call, task_queue=queue or self.info.task_queue, **options)

    def _render(self, plan: StepPlan, name: str) -> Any:
        template = plan.templates.get(name)
        if template is None:
            return None
        try:
            with self.template_budget(plan):
                return template(self.ctx)
        except ExpressionError as exc:
            raise StepFailure(f"{name}: {exc.message}", exc.kind) from None

    async def _model(self, plan: StepPlan, record: StepRecord, seed_offset: int = 0) -> str:
        step = plan.step
        system = self._render(plan, "system")
        user = self._render(plan, "user")
        key = self._render(plan, "idempotency_key")
        order = list(plan.order)
        if step.route is not None:
            remaining = call_budget(step.timeout, self.call_deadline(plan), workflow.time())
            decision = self.router.choose(order, step.route.strategy, remaining)
            order = list(decision.order)
            record.route = decision
        primary = order[0]
        errors: list[tuple[str, str]] = []
        last_kind = "unavailable"

        def call(alias: str, hedge: bool) -> Any:
            message = ModelCall(
                flow_id=self.given.flow_id, step_id=plan.id, alias=alias,
                system=None if system is None else str(system), user=str(user),
                key=None if key is None else str(key), seed=self.given.seed + seed_offset, hedge=hedge,
                redacted=self.redacted,
            )  # fmt: skip
            record.attempts += 1
            started[alias] = workflow.time()
            queue = self.compiled.model_queue(self.info.task_queue, alias)
            return self._start(plan, MODEL_ACTIVITY, message, queue)

        started: dict[str, float] = {}

        def observe(alias: str, answer: dict[str, Any]) -> None:
            # The router learns the call's duration as the activity measured it (in its result,
            # so in the history: a replay learns the same); a history from before it was
            # recorded, from workflow time, which counts the queues too.
            elapsed = answer.get("elapsed")
            self.router.observe(alias, elapsed if elapsed is not None else workflow.time() - started[alias])

        index = 0
        answer: dict[str, Any] | None = None
        winner = primary
        while index < len(order) and answer is None:
            alias = order[index]
            deadline = self.call_deadline(plan)
            if index > 0 and deadline is not None and workflow.time() + self.router.p50(alias) > deadline:
                self.give_up_sla(f"fallback `{alias}` of `{plan.id}` would not fit")
            hedged = plan.hedge_after is not None and index + 1 < len(order)
            if not hedged:
                try:
                    answer = await call(alias, False)
                    winner = alias
                    observe(alias, answer)
                except CALL_FAILURES as exc:
                    last_kind, message = failure_kind(exc)
                    errors.append((alias, message))
                index += 1
                continue
            backup = order[index + 1]
            first = call(alias, False)
            done, _ = await workflow.wait([first], timeout=plan.hedge_after)
            racing = {first: alias}
            hedging = not done  # the primary is slow: its backup races it
            if hedging:
                racing[call(backup, True)] = backup
            while racing and answer is None:
                done, _ = await workflow.wait(list(racing), return_when=asyncio.FIRST_COMPLETED)
                for task in [t for t in racing if t in done]:
                    name = racing.pop(task)
                    try:
                        answer = task.result()
                        winner = name
                        observe(name, answer)
                        record.hedge_won = task is not first
                        break
                    except CALL_FAILURES as exc:
                        last_kind, message = failure_kind(exc)
                        errors.append((name, message))
            for task in racing:  # the hedge's loser
                task.cancel()
            # a primary that failed before the hedge fired: its backup is the next fallback
            index += 2 if hedging else 1
        if answer is None:
            record.model = errors[-1][0] if errors else primary
            raise StepFailure("; ".join(f"{a}: {e}" for a, e in errors), last_kind)
        record.output = answer["output"]
        record.model = winner
        record.fallback_used = winner != primary
        record.retries += answer["attempt"] - 1
        record.input_tokens += answer["input_tokens"]
        record.output_tokens += answer["output_tokens"]
        record.cost += answer["cost"]
        if not answer.get("cost_known", True):  # the model sent is not the one priced (`--model-override`)
            record.cost_known = False
        return "ok"

    async def _http(self, plan: StepPlan, record: StepRecord) -> str:
        request = plan.step.request
        url = str(self._render(plan, "url"))
        headers = {k: str(v) for k, v in (self._render(plan, "headers") or {}).items()}
        body = self._render(plan, "json")
        key = self._render(plan, "idempotency_key")
        if key is not None:
            headers["Idempotency-Key"] = str(key)  # the callee dedupes a retry after a crash by it
        record.attempts += 1
        try:
            answer = await self._start(
                plan,
                HTTP_ACTIVITY,
                HttpCall(self.given.flow_id, plan.id, request.method, url, headers, body,
                         None if key is None else str(key)),
            )  # fmt: skip
        except CALL_FAILURES as exc:
            kind, message = failure_kind(exc)
            raise StepFailure(message, kind) from None
        record.retries += answer["attempt"] - 1
        record.output = answer["output"]
        return "ok"

    async def _retrieve(self, plan: StepPlan, record: StepRecord) -> str:
        try:
            answer = await self._start(
                plan, RETRIEVE_ACTIVITY, RetrieveCall(self.given.flow_id, plan.id, self.event, self.outputs)
            )
        except CALL_FAILURES as exc:
            kind, message = failure_kind(exc)
            raise StepFailure(message, kind) from None
        if answer.get("dead_letter_reason"):
            self.dead_letter_reason = answer["dead_letter_reason"]
        if answer["status"] == "failed":
            raise StepFailure(answer["error"], answer["kind"])
        record.output = answer["output"]
        return str(answer["status"])

    async def _validate_with_retry(self, plan: StepPlan, record: StepRecord) -> str:
        """A validate step whose `on_fail` re-runs its model step (as `steps.validate_with_retry`)."""
        check = runner_for(dataclasses.replace(plan, inline=True))
        rounds = plan.step.on_fail.attempts or 1
        producer = plan.producer
        assert producer is not None
        for n in range(rounds + 1):
            try:
                return str(check(self, plan, record))
            except StepFailure as exc:
                if exc.kind != "validation_error" or n == rounds:
                    raise
            producer_record = self.records[producer]
            producer_record.retries += 1
            try:
                await self._model(self.compiled.plans[producer], producer_record, seed_offset=n + 1)
            except StepFailure as exc:
                raise StepFailure(f"re-running `{producer}`: {exc}", exc.kind) from None
            self.outputs[producer] = {"output": producer_record.output, "status": "ok"}
        raise StepFailure("unreachable", "internal")
