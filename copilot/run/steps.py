"""The steps that are not model calls: validate, transform, retrieve and http.

Validate, transform and retrieve run inline, on the event's task, without I/O; a validate
step whose `on_fail` re-runs its model step, and an http step, wait. `runner_for` says
which function runs a step; each takes the event (`copilot.run.event_run.EventRun`), the
step's plan and its record, fills the record in and returns the step's status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from copilot.errors import FlowgenError
from copilot.flow.estimate import HTTP_LATENCY
from copilot.flow.expressions import ExpressionError
from copilot.run.attempts import retrying
from copilot.run.model_step import model_step
from copilot.run.plans import SkipStep, StepFailure, StepPlan, schema_problem
from copilot.run.providers.base import ProviderError, kind_for_status, parse_retry_after
from copilot.run.records import StepRecord
from copilot.run.resilience.timeout import with_timeout
from copilot.run.step_replay import StepReplay

_NO_HINTS: dict[str, Any] = {}


def runner_for(plan: StepPlan) -> Callable[..., Any]:
    """The function that runs `plan` per event: a coroutine function unless `plan.inline`."""
    if plan.type == "model":
        return model_step
    if plan.type == "http":
        return http_step
    if not plan.inline:
        return validate_with_retry
    return _INLINE[plan.type]


def _validate_once(run: Any, plan: StepPlan) -> tuple[Any, list[str]]:
    try:
        with run.template_budget(plan):
            value = plan.templates["input"](run.ctx)
    except ExpressionError as exc:
        return None, [f"input: {exc.message}"]
    if plan.id in run.engine.tainted:
        run.scrub.add(value)  # before the checks, whose messages quote the value
    problems: list[str] = []
    if plan.validator is not None:
        problem = schema_problem(plan.validator, value)
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


def _validate_step(run: Any, plan: StepPlan, record: StepRecord) -> str:
    value, problems = _validate_once(run, plan)
    if not problems:
        record.output = value
        return "ok"
    return _on_fail(run, plan, record, value, problems)


def _on_fail(run: Any, plan: StepPlan, record: StepRecord, value: Any, problems: list[str]) -> str:
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


async def validate_with_retry(run: Any, plan: StepPlan, record: StepRecord) -> str:
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
            await model_step(run, producer_plan, producer_record, seed_offset=n)
        except StepFailure as exc:
            raise StepFailure(f"re-running `{producer}`: {exc}", exc.kind) from None
        run.outputs[producer] = {"output": producer_record.output, "status": "ok"}
        value, problems = _validate_once(run, plan)
    if not problems:
        record.output = value
        return "ok"
    raise StepFailure("; ".join(problems) + (f" (after {n} re-run(s) of `{producer}`)" if n else ""),
                      "validation_error")  # fmt: skip


def _transform_step(run: Any, plan: StepPlan, record: StepRecord) -> str:
    try:
        with run.template_budget(plan):
            value = plan.templates["output"](run.ctx)
    except ExpressionError as exc:
        raise StepFailure(f"output: {exc.message}", exc.kind) from None
    if plan.id in run.engine.tainted:
        run.scrub.add(value)  # before the schema check, whose message quotes the value
    if plan.validator is not None:
        problem = schema_problem(plan.validator, value)
        if problem is not None:
            raise StepFailure(f"output does not match output_schema: {problem}", "validation_error")
    record.output = value
    return "ok"


def _retrieve_step(run: Any, plan: StepPlan, record: StepRecord) -> str:
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
        raise SkipStep()
    if action == "dead_letter":
        run.dead_letter_reason = f"step `{plan.id}`: no passage matched"
    raise StepFailure("no passage matched the query", "empty")


_INLINE = {"validate": _validate_step, "transform": _transform_step, "retrieve": _retrieve_step}


async def http_step(run: Any, plan: StepPlan, record: StepRecord) -> str:
    """Render the request, replay or claim its idempotency key, send it under the retry policy."""
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
    replay = None
    if key is not None:
        headers["Idempotency-Key"] = key  # the callee dedupes a retry after a crash by it
        replay = StepReplay(engine, plan, key, (plan.id, req.method, url, headers, body))
        recorded = await replay.recorded(side_effect=True)
        if recorded is not None:
            record.output, record.replayed = recorded[0], True
            return "ok"
    if resolve:
        # Secrets are resolved here, at call time, into the call's own state, never recorded.
        url = engine.env(url)
        headers = {k: engine.env(v) for k, v in headers.items()}
        # configuration in the body too ("to": "${env:ON_CALL_PHYSIO_PHONE}"), after the replay
        # key above was taken, so the resolved value is never recorded
        body = _resolve_in(body, engine.env)
    expected = step.latency.p50 if step.latency is not None else HTTP_LATENCY[0]

    calls = HttpCalls(run, plan, client, url, headers, body, expected)
    try:
        output = await retrying(run, plan, record, calls)
    except ProviderError as exc:
        if replay is not None:
            replay.release()
        raise StepFailure(_scrub_secrets(str(exc), url), exc.kind) from None
    except BaseException:
        if replay is not None:
            replay.release()
        raise
    record.output = output
    if replay is not None:
        replay.record((output,))
    return "ok"


def _resolve_in(value: Any, env: Any) -> Any:
    """`value` with every `${env:NAME}` in its strings resolved by `env`."""
    if isinstance(value, str):
        return env(value) if "${env:" in value else value
    if isinstance(value, dict):
        return {k: _resolve_in(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_in(v, env) for v in value]
    return value


class HttpCalls:
    """The calls of one http step for one event (`copilot.run.attempts.Calls`)."""

    __slots__ = ("body", "client", "headers", "hints", "latency", "plan", "run", "url")

    label = None  # attempts are recorded under no model
    hedge = False

    def __init__(self, run: Any, plan: StepPlan, client: Any, url: str, headers: dict[str, str], body: Any,
                 latency: float) -> None:  # fmt: skip
        self.run, self.plan, self.client = run, plan, client
        self.url, self.headers, self.body, self.latency = url, headers, body, latency
        self.hints = plan.hints if getattr(client, "wants_hints", False) else _NO_HINTS

    def start(self, attempt: int, budget: float | None, started: float) -> Any:
        plan = self.plan
        request = self.client.request(
            plan.step.request.method, self.url, self.headers, self.body, budget, **self.hints
        )
        return with_timeout(request, budget, what=plan.what, loop=self.run.engine.loop)

    def done(self, response: Any, started: float) -> Any:
        if response.status >= 400:
            retry_after = parse_retry_after((response.headers or {}).get("retry-after"))
            raise ProviderError(
                kind_for_status(response.status), f"HTTP {response.status}", status=response.status,
                retry_after=retry_after,
            )  # fmt: skip
        output = response.json if response.json is not None else response.text
        validator = self.plan.validator
        if validator is not None:
            problem = schema_problem(validator, output)
            if problem is not None:
                raise ProviderError("invalid_output", f"response does not match output_schema: {problem}")
        return output

    def failed(self, error: ProviderError, started: float) -> None:
        pass

    def cancelled(self, error: BaseException, started: float) -> None:
        pass

    def expected(self) -> float:
        return self.latency


def _scrub_secrets(message: str, url: str) -> str:
    return message.replace(url, "<url>") if url else message
