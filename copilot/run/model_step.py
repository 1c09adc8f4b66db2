"""A model step: render the prompt, choose the model(s), call down the fallback chain.

The chain (`resilience.fallback`) tries the primary, then each fallback; a hedge races
the first fallback against a slow primary (`resilience.hedge`). Each candidate's calls go
through the one retry loop (`copilot.run.attempts.retrying`), and each attempt feeds the
model's circuit breaker and the router's latency estimates. A routed step picks its first
candidate per call, from observed latency and price (`resilience.routing`).
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from copilot.flow.expressions import ExpressionError
from copilot.run.attempts import retrying
from copilot.run.plans import StepFailure, StepPlan, schema_problem
from copilot.run.providers.base import TRANSIENT_KINDS, ModelRequest, ModelResponse, ProviderError
from copilot.run.records import StepRecord
from copilot.run.resilience.fallback import GO, ChainFailed, Verdict, run_chain
from copilot.run.resilience.timeout import call_budget, with_timeout
from copilot.run.step_replay import StepReplay

_PROVIDER_FAILURES = (ProviderError,)


class Prompt:
    """One model step's call, rendered: what every alias, attempt and hedge of it sends."""

    __slots__ = ("key", "seed", "system", "user")

    def __init__(self, system: str | None, user: str, key: str | None, seed: int) -> None:
        self.system, self.user, self.key, self.seed = system, user, key, seed


async def model_step(run: Any, plan: StepPlan, record: StepRecord, seed_offset: int = 0) -> str:
    """Render, choose the model(s) and call down the chain; fills the record in; returns "ok".

    `run` is the event (`copilot.run.event_run.EventRun`); `seed_offset` tells a re-run
    (a validate step's `on_fail: retry`) from the first call.
    """
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
        remaining = call_budget(step.timeout, deadline, engine.now())
        decision = engine.router.choose(
            list(plan.order), step.route.strategy, remaining, lambda a: engine.breaker_of[a].healthy()
        )
        order: Any = decision.order
        record.route = decision
    else:
        order = plan.order
    primary = order[0]
    key = None
    replay = None
    if plan.render_key is not None:
        try:
            with run.template_budget(plan):
                key = str(plan.render_key(ctx))
        except ExpressionError as exc:
            raise StepFailure(f"idempotency_key: {exc.message}", exc.kind) from None
        replay = StepReplay(engine, plan, key, (plan.id, system, user, plan.hash_models, seed_offset))
        recorded = await replay.recorded(side_effect=False)
        if recorded is not None:
            record.output, record.model = recorded  # (output, alias): see below
            record.replayed = True
            return "ok"
    prompt = Prompt(system, user, key, engine.seed + seed_offset)
    try:
        chain = await run_chain(
            order,
            partial(call_candidate, run, plan, record, prompt),
            may_start=partial(may_start, run, plan),
            hedge_after=plan.hedge_after,
            failures=_PROVIDER_FAILURES,
            loop=engine.loop,
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
    if replay is not None:
        # A pair, not a dict: a store keeps one per call for the whole dedupe window.
        replay.record((output, chain.alias))
    return "ok"


def call_candidate(
    run: Any, plan: StepPlan, record: StepRecord, prompt: Prompt, alias: str, is_hedge: bool
) -> Any:
    """One candidate of the chain: its calls under the retry policy, with breaker and router fed.

    Returns the coroutine of the retry loop (no coroutine of its own: one less per call).
    """
    return retrying(run, plan, record, ModelCalls(run, plan, record, prompt, alias, is_hedge))


class ModelCalls:
    """The calls of one candidate model for one step (`copilot.run.attempts.Calls`).

    Each attempt passes the model's rate limit and timeout; its end feeds the circuit
    breaker, the router's latency estimate and the chat span. A class with slots rather
    than closures: while an event waits on its call, this is what it holds.
    """

    __slots__ = ("alias", "base_url", "breaker", "hedge", "label", "limiter", "plan", "profile", "prompt",
                 "record", "run", "span", "what")  # fmt: skip

    def __init__(
        self, run: Any, plan: StepPlan, record: StepRecord, prompt: Prompt, alias: str, is_hedge: bool
    ) -> None:
        self.run, self.plan, self.record, self.prompt = run, plan, record, prompt
        self.alias = self.label = alias
        self.hedge = is_hedge
        self.profile, self.limiter, self.breaker, self.what = run.engine.alias_setup[alias]
        self.base_url: str | None = None
        self.span: Any = None

    def start(self, attempt: int, budget: float | None, started: float) -> Any:
        run, plan, prompt, alias = self.run, self.plan, self.prompt, self.alias
        engine = run.engine
        if attempt == 0 and alias in engine.base_urls:
            # `${env:…}` resolved at call time, kept for this chain only (never in a record).
            self.base_url = engine.env(engine.base_urls[alias])
        request = ModelRequest(
            alias, self.profile, prompt.system, prompt.user, plan.max_tokens, plan.output_schema, plan.id,
            prompt.key, budget, attempt, prompt.seed, plan.temperature, self.base_url,
        )  # fmt: skip
        tel = engine.telemetry
        if tel is not None:
            parent = run.spans.get(plan.id) or run.span
            self.span = tel.start_chat(parent, alias, self.profile, request, started, self.hedge, run.scrub)
        if self.limiter is None:
            return self._call(request, budget, started)
        return self._limited(request, budget, started)

    def _call(self, request: ModelRequest, budget: float | None, started: float) -> Any:
        engine = self.run.engine
        return with_timeout(
            engine.provider.complete(request),
            budget,
            what=self.what,
            loop=engine.loop,
            at=started + budget if budget is not None and engine.loop_clock else None,
        )

    async def _limited(self, request: ModelRequest, budget: float | None, started: float) -> ModelResponse:
        """The call after the model's rate limit lets it through (waiting counts in its budget)."""
        prompt = self.prompt
        tokens = (len(prompt.user) + len(prompt.system or "")) // 4 + (self.plan.max_tokens or 0)
        await with_timeout(self.limiter.acquire(tokens), budget, what=f"rate limit of {self.alias}")
        return await self._call(request, budget, started)  # type: ignore[no-any-return]

    def done(self, response: ModelResponse, started: float) -> tuple[ModelResponse, Any]:
        record = self.record
        record.input_tokens += response.input_tokens
        record.output_tokens += response.output_tokens
        record.cost += response.cost
        if not response.cost_known:
            record.cost_known = False
        try:
            output = parse_output(self.plan, response.content)
        except ProviderError as error:
            self._end(started, response, error)
            raise
        ended = self._end(started, response, None)
        self.breaker.record_success()
        self.run.engine.router.observe(self.alias, ended - started)
        return response, output

    def failed(self, error: ProviderError, started: float) -> None:
        ended = self._end(started, None, error)  # a bad answer's span was closed by `done`
        if error.kind in TRANSIENT_KINDS:
            self.breaker.record_failure()
        if error.kind == "timeout":
            self.run.engine.router.observe(self.alias, ended - started)

    def cancelled(self, error: BaseException, started: float) -> None:
        self.breaker.release_probe()
        self._end(started, None, error)

    def expected(self) -> float:
        return self.run.engine.router.p50(self.alias)  # type: ignore[no-any-return]

    def _end(self, started: float, response: ModelResponse | None, error: BaseException | None) -> float:
        """The attempt's end: the clock now, and its chat span closed (once)."""
        ended: float = self.run.engine.now()
        span, self.span = self.span, None
        if span is not None:
            self.run.engine.telemetry.end_chat(
                span, ended, ended - started, self.profile, response, error, self.run.scrub
            )
        return ended


def parse_output(plan: StepPlan, content: str) -> Any:
    """The model's answer: its text, or the JSON its `output_schema` asks for (checked)."""
    if plan.validator is None:
        return content
    try:
        value = json.loads(content)
    except (json.JSONDecodeError, TypeError):
        raise ProviderError("invalid_output", "the answer is not JSON") from None
    problem = schema_problem(plan.validator, value)
    if problem is not None:
        raise ProviderError("invalid_output", f"the answer does not match output_schema: {problem}")
    return value


def may_start(run: Any, plan: StepPlan, alias: str, index: int) -> Verdict:
    """Whether the chain may call `alias` now: its circuit, and for a fallback, the deadline."""
    engine = run.engine
    if not engine.breaker_of[alias].allow():
        return ("skip", f"{alias}: circuit open")
    if index > 0:
        deadline = run.call_deadline(plan)
        if deadline is not None and engine.now() + engine.router.p50(alias) > deadline:
            run.give_up_sla(f"fallback `{alias}` of `{plan.id}` would not fit")
    return GO
