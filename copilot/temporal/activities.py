"""The activities: one model call, one http request, one retrieve step, on a worker.

Each activity attempt is one call, made with the local engine's own parts: the provider
(`copilot.run.engine_setup.choose_provider`: the simulator or an OpenAI-compatible
server), its http client, the answer's schema check (`copilot.run.model_step.parse_output`,
`copilot.run.steps.HttpCalls.done`) and the retrieve step itself (`runner_for`). Nothing
here retries: a failure is raised as an `ApplicationError` whose type is the engine's
error class (`timeout`, `rate_limit`, `server_error`, `client_error`, `invalid_output`…),
non-retryable when the step's `retry:` does not list it, and Temporal's retry policy
(`copilot.temporal.workflow.activity_retry_policy`) does the rest, in the history.

A worker knows its flows by content hash (`FlowRegistry`): secrets (`${env:…}`) are
resolved here, at call time, from the worker's environment, never in the workflow.

The same functions run as local activities (an event started with `activities="local"`):
then a rate-limited model alias's call, which as an activity waits on its own task queue
(rate limited by the server across workers), waits for this process's limiter instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from copilot.errors import FlowgenError
from copilot.flow.sandbox import render_budget
from copilot.run.model_step import parse_output
from copilot.run.plans import SkipStep, StepFailure
from copilot.run.providers.base import ModelRequest, ProviderError
from copilot.run.records import StepRecord
from copilot.run.resilience.retry import RetryPolicy
from copilot.run.steps import HttpCalls, runner_for
from copilot.temporal.compiled import CompiledFlow, compile_loaded, flow_id, remember
from copilot.temporal.messages import (
    HTTP_ACTIVITY,
    MODEL_ACTIVITY,
    RETRIEVE_ACTIVITY,
    HttpCall,
    ModelCall,
    RetrieveCall,
)


@dataclasses.dataclass
class ServedFlow:
    """One flow a worker serves: the compiled flow, its text and the engine that holds its parts."""

    compiled: CompiledFlow
    text: str
    engine: Any  # copilot.run.engine.Engine: provider, http client, indexes, profiles, env
    telemetry: Any = None  # copilot.run.telemetry.Telemetry: the GenAI chat spans and metrics
    # alias → its rpm/tpm limiter in this process: what a local activity's call waits for
    limiters: dict[str, Any] = dataclasses.field(default_factory=dict)


class FlowRegistry:
    """The flows a worker serves, by content hash."""

    def __init__(self) -> None:
        self.flows: dict[str, ServedFlow] = {}

    def add(
        self, path: str, *, provider: Any, http: Any = None, seed: int = 0, telemetry: Any = None
    ) -> ServedFlow:
        """Load, check and serve the flow at `path` (errors positioned in the file).

        `telemetry` records a `chat {model}` span per call, as the local engine does, under
        the activity's span (`temporalio.contrib.opentelemetry`).
        """
        from copilot.flow.load import load_flow, read_text
        from copilot.run.engine_setup import engine_for, require_sound
        from copilot.run.resilience.ratelimit import model_limiters

        text = read_text(path, what="flows")
        loaded = load_flow(path)
        require_sound(loaded)
        key = flow_id(text)
        engine = engine_for(
            loaded,
            provider=provider,
            http=http,
            base_dir=Path(path).resolve().parent,
            seed=seed,
            rate_limits=False,
        )
        compiled = compile_loaded(loaded, key)
        remember(compiled)  # the workflow's plan too: inputs name the flow by hash
        limiters = model_limiters(engine.profiles)
        served = self.flows[key] = ServedFlow(compiled, text, engine, telemetry, limiters)
        return served

    def __getitem__(self, key: str) -> ServedFlow:
        served = self.flows.get(key)
        if served is None:
            raise ApplicationError(
                f"this worker does not serve the flow {key} (start a worker with the same flow file)",
                type="unknown_flow",
                non_retryable=False,  # another worker of the task queue may serve it
            )
        return served


_JITTER = random.Random()  # the draws of jittered retries: each worker its own, as each local engine
_MIN_DELAY = 0.001  # seconds: a zero `next_retry_delay` reads as unset (the policy's own wait)


def retry_delay(
    policy: RetryPolicy, attempt: int, error: ProviderError, rng: random.Random | None = None
) -> float | None:
    """The wait before the retry after attempt `attempt` (1 = the first call) failed with
    `error`, when it is not Temporal's own (None: the `RetryPolicy`'s interval).

    Temporal's `RetryPolicy` has no jitter (`workflow.activity_retry_policy`). A step whose
    `retry:` asks for it gets the local engine's full-jitter draw (`RetryPolicy.delay`:
    uniform in [0, initial·2^n] up to `max`) as the failure's `next_retry_delay`, which the
    server waits instead of its own interval. A server's Retry-After is a floor, as locally.
    """
    if policy.jitter and policy.retryable(error) and attempt <= policy.attempts:
        return max(policy.delay(attempt - 1, rng or _JITTER, error.retry_after), _MIN_DELAY)
    return error.retry_after or None


def _failure(error: ProviderError, plan: Any, names: dict[str, Any], attempt: int) -> ApplicationError:
    """A provider's failure as Temporal's: typed by class, retryable as the step's policy says,
    with the jittered wait before its retry (`retry_delay`).

    Its details name the call (`names`: step, alias, hedge), so a local activity's failure,
    a marker in the history without the call's input, is still mapped to its step
    (`copilot.temporal.history`)."""
    delay = retry_delay(plan.policy, attempt, error)
    return ApplicationError(
        str(error),
        {"status": error.status, **names},
        type=error.kind,
        non_retryable=not plan.policy.retryable(error),
        next_retry_delay=timedelta(seconds=delay) if delay else None,
    )


class FlowActivities:
    """The activities of every flow a worker serves (`registry`)."""

    def __init__(self, registry: FlowRegistry) -> None:
        self.registry = registry

    @activity.defn(name=MODEL_ACTIVITY)
    async def model(self, call: ModelCall) -> dict[str, Any]:
        served = self.registry[call.flow_id]
        engine = served.engine
        plan = served.compiled.plans[call.step_id]
        info = activity.info()
        base_url = None
        try:
            if call.alias in engine.base_urls:
                base_url = engine.env(engine.base_urls[call.alias])
        except StepFailure as exc:
            raise ApplicationError(str(exc), type=exc.kind, non_retryable=True) from None
        request = ModelRequest(
            call.alias, engine.profiles[call.alias], call.system, call.user, plan.max_tokens,
            plan.output_schema,
            plan.id, call.key, plan.step.timeout, info.attempt - 1, call.seed, plan.temperature, base_url,
        )  # fmt: skip
        limiter = served.limiters.get(call.alias) if info.is_local else None
        if limiter is not None:
            # a local activity's call skips its alias's rate-limited queue: it waits here, for
            # this process's share (the local engine's limiter), within its start_to_close_timeout
            await limiter.acquire((len(call.user) + len(call.system or "")) // 4 + (plan.max_tokens or 0))
        names = {"step": call.step_id, "alias": call.alias, "hedge": call.hedge}
        span = _ChatSpan(served.telemetry, call, request) if served.telemetry is not None else None
        response = None
        clock = asyncio.get_running_loop().time
        started = clock()
        try:
            response = await engine.provider.complete(request)
            output = parse_output(plan, response.content)
        except ProviderError as error:
            if span is not None:
                span.end(response, error)
            raise _failure(error, plan, names, info.attempt) from None
        except BaseException as error:  # cancelled (a hedge's loser) or a bug: the span still ends
            if span is not None:
                span.end(response, error)
            raise
        if span is not None:
            span.end(response, None)
        return {
            "output": output,
            "attempt": info.attempt,
            "model": response.model,
            "input_tokens": response.input_tokens,
            "output_tokens": response.output_tokens,
            "cost": response.cost,
            # False when the model sent is not the one the prices are for (`--model-override`)
            "cost_known": response.cost_known,
            **names,  # the call, for the history's timeline (a local activity's marker has no input)
            # the call's own duration, as the local engine's router observes it: the time the
            # task waited in Temporal's queues is not the model's latency
            "elapsed": clock() - started,
        }

    @activity.defn(name=HTTP_ACTIVITY)
    async def http(self, call: HttpCall) -> dict[str, Any]:
        served = self.registry[call.flow_id]
        engine = served.engine
        plan = served.compiled.plans[call.step_id]
        client = engine.http
        url, headers = call.url, dict(call.headers)
        try:
            if getattr(client, "resolves_env", True):
                url = engine.env(url)
                headers = {k: engine.env(v) for k, v in headers.items()}
        except StepFailure as exc:
            raise ApplicationError(str(exc), type=exc.kind, non_retryable=True) from None
        hints = plan.hints if getattr(client, "wants_hints", False) else {}
        calls = HttpCalls(None, plan, client, url, headers, call.body, 0.0)
        clock = asyncio.get_running_loop().time
        started = clock()
        try:
            response = await client.request(call.method, url, headers, call.body, plan.step.timeout, **hints)
            output = calls.done(response, 0.0)
        except ProviderError as error:
            failure = _failure(error, plan, {"step": call.step_id}, activity.info().attempt)
            failure.args = (str(error).replace(url, "<url>") if url else str(error),)
            raise failure from None
        return {"output": output, "attempt": activity.info().attempt, "elapsed": clock() - started,
                "step": call.step_id}  # fmt: skip

    @activity.defn(name=RETRIEVE_ACTIVITY)
    async def retrieve(self, call: RetrieveCall) -> dict[str, Any]:
        served = self.registry[call.flow_id]
        plan = served.compiled.plans[call.step_id]
        run = _RetrieveRun(served.engine, call.event, call.outputs)
        record = StepRecord(plan.id, plan.type, plan.mode, plan.hot)
        clock = asyncio.get_running_loop().time
        started = clock()
        try:
            status = runner_for(plan)(run, plan, record)
        except SkipStep:
            return {"status": "skipped", "output": None, "step": call.step_id}
        except StepFailure as exc:
            return {"status": "failed", "error": str(exc), "kind": exc.kind,
                    "dead_letter_reason": run.dead_letter_reason, "step": call.step_id}  # fmt: skip
        except FlowgenError as exc:
            raise ApplicationError(
                exc.message, {"step": call.step_id}, type="source", non_retryable=True
            ) from None
        return {"status": status, "output": record.output, "dead_letter_reason": run.dead_letter_reason,
                "elapsed": clock() - started, "step": call.step_id}  # fmt: skip

    def all(self) -> list[Any]:
        return [self.model, self.http, self.retrieve]


class _ChatSpan:
    """The local engine's `chat {model}` span around one call, child of the activity's span."""

    def __init__(self, telemetry: Any, call: ModelCall, request: ModelRequest) -> None:
        import asyncio

        from opentelemetry import trace

        from copilot.run.redact import Redactor

        self.telemetry = telemetry
        self.profile = request.profile
        self.scrub = Redactor(call.redacted)
        self.now = asyncio.get_running_loop().time
        self.started = self.now()
        self.span = telemetry.start_chat(
            trace.get_current_span(),
            call.alias,
            request.profile,
            request,
            self.started,
            call.hedge,
            self.scrub,
        )

    def end(self, response: Any, error: BaseException | None) -> None:
        ended = self.now()
        self.telemetry.end_chat(
            self.span, ended, ended - self.started, self.profile, response, error, self.scrub
        )


class _RetrieveRun:
    """What the engine's retrieve step reads from its event (`copilot.run.event_run.EventRun`)."""

    def __init__(self, engine: Any, event: dict[str, Any], outputs: dict[str, Any]) -> None:
        self.engine = engine
        self.event = event
        self.outputs = outputs
        self.ctx = {"event": event, "steps": outputs}
        self.dead_letter_reason: str | None = None

    def template_budget(self, plan: Any = None) -> render_budget:
        return render_budget(plan.step.timeout if plan is not None else None)
