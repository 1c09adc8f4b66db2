"""A step compiled once per flow (`StepPlan`), and how a step fails.

The engine compiles each step when it is built: templates, `if` conditions and validate
rules become closures (`copilot.run.templates`); model orders, request fields, labels and
the output-schema validator are looked up once. So the per-event work is only the
event's own: rendering, calls and bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from copilot.flow.expressions import ExpressionError, references
from copilot.flow.local_schema import first_error
from copilot.flow.local_schema import validator as schema_validator
from copilot.run.records import StepRecord, StepStatus
from copilot.run.resilience.retry import RetryPolicy
from copilot.run.templates import Renderer, compile_condition, compile_template, compile_value


class StepFailure(Exception):
    """A step could not produce its output; `kind` is the error class."""

    def __init__(self, message: str, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind


class SkipStep(Exception):
    """A retrieve step found nothing and its on_empty says skip."""


def stopped(record: StepRecord, exc: StepFailure | SkipStep) -> StepStatus:
    """How a step that raised `exc` ends: "failed" (its error and kind on `record`) or "skipped"."""
    if isinstance(exc, SkipStep):
        return "skipped"
    record.error, record.kind = str(exc), exc.kind
    return "failed"


def schema_problem(validator: Any, value: Any) -> str | None:
    """The most relevant violation of `value`, as one line, or None when valid."""
    error = first_error(validator, value)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where or '(root)'}: {error.message}"


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
    runner: Any = None  # what runs the step per event (copilot.run.steps.runner_for)
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


def plan_step(step: Any, index: int, graph: Any, respond_needs: tuple[str, ...], flow: Any) -> StepPlan:
    """The plan of one step of `flow` (its `needs` graph already built)."""
    plan = StepPlan(
        step=step,
        id=step.id,
        type=step.type,
        index=index,
        needs=tuple(graph.needs[step.id]),
        dependants=tuple(graph.dependants[step.id]),
        hot=step.id in graph.hot_path,
        mode=step.mode,
        policy=RetryPolicy.from_spec(step.retry),
        validator=schema_validator(getattr(step, "output_schema", None), f"step `{step.id}`"),
        in_respond=step.id in respond_needs,
    )
    plan.inline = step.type in ("validate", "transform", "retrieve")
    if step.type == "validate" and step.on_fail is not None and step.on_fail.action == "retry":
        plan.inline = False
        plan.producer = producer_of(step, flow)
    _compile(plan)
    return plan


FAILED_STATUSES = ("failed", "cancelled")  # a step after one of these does not run


def gate(
    plan: StepPlan,
    record: StepRecord,
    outputs: Mapping[str, Mapping[str, Any]],
    ctx: dict[str, Any],
    template_budget: Callable[[StepPlan], AbstractContextManager[object]],
) -> StepStatus | None:
    """Whether `plan` runs once its needs are finished: None if it runs, else how it ends.

    "cancelled" when a need failed or was cancelled (a need missing from `outputs` counts
    as cancelled), "skipped" when every need was skipped or its `if` is false, "failed"
    when its `if` cannot be evaluated; `record.error` (and `kind`) say why. It reads only
    the needs' statuses and the event's context, so it is deterministic: the local engine
    (`copilot.run.event_run`) and the Temporal workflow (`copilot.temporal.workflow`) both
    decide with it.
    """
    if plan.needs:
        all_skipped = True
        for need in plan.needs:
            need_output = outputs.get(need)
            status = need_output["status"] if need_output is not None else "cancelled"
            if status in FAILED_STATUSES:
                record.error = f"not run: `{need}` failed"
                return "cancelled"
            if status != "skipped":
                all_skipped = False
        if all_skipped:
            return "skipped"
    if plan.condition is not None:
        try:
            with template_budget(plan):
                go = plan.condition(ctx)
        except ExpressionError as exc:
            record.error, record.kind = f"`if`: {exc.message}", exc.kind
            return "failed"
        if not go:
            return "skipped"
    return None


def producer_of(step: Any, flow: Any) -> str | None:
    """The step a validate step's `on_fail: retry` re-runs: the model step its input reads."""
    try:
        refs = references(step.input)
    except ExpressionError:
        return None
    for ref in refs:
        if ref.root == "steps" and len(ref.parts) > 1:
            candidate = ref.parts[1]
            if candidate in step.needs and any(s.id == candidate and s.type == "model" for s in flow.steps):
                return candidate
    return None


def _templates(step: Any) -> dict[str, Renderer]:
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


def _compile(plan: StepPlan) -> None:
    """What each event would otherwise look up or parse again: templates, conditions, orders."""
    step = plan.step
    plan.templates = _templates(step)
    if step.if_ is not None:
        plan.condition = compile_condition(step.if_)
    if step.type == "validate":
        plan.rules = tuple((compile_condition(r.expr), r.message, r.expr) for r in step.rules or ())
    if step.type == "model":
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
        latency = (step.latency.p50, step.latency.p95) if step.latency is not None else None
        plan.hints = {"output_schema": step.output_schema, "latency": latency, "step_id": plan.id}
        plan.what = f"{step.request.method} request"
