"""A flow's text → what the workflow interprets, once per content hash.

The workflow and the worker read the same analysed flow the local engine runs
(`copilot.flow.load.load_flow_text` → `LoadedFlow`: the validated flow, its graph with
hot path and async set) and the same step plans (`copilot.run.plans.plan_step`: compiled
templates, conditions, model orders, retry policies). Workflows import this module
through the sandbox (passed through), so the cache below is shared by every workflow run
of a worker: a replay, or the next event, does not parse the YAML again. A worker's
flows are in it from the start (`remember`), so an event's input need only name its flow
by hash (`FlowInput.flow_text` empty): the workflow finds the plan the worker built.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from copilot.flow.load import LoadedFlow, load_flow_text
from copilot.flow.view import LoadedFlowView
from copilot.run.plans import StepPlan, plan_step
from copilot.run.templates import compile_template, compile_value

DEFAULT_CALL_TIMEOUT = 300.0  # seconds: a call without `timeout:` (the linter flags it, FG101)


def flow_id(text: str) -> str:
    """The content hash a flow's text is known by, in workflow inputs and worker registries."""
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass
class CompiledFlow(LoadedFlowView):
    """One flow, analysed and planned: read-only once built, shared by every event."""

    flow_id: str
    loaded: LoadedFlow
    plans: dict[str, StepPlan]
    topological: list[str]
    branches: dict[str, list[str]]  # async root → the async steps its child workflow runs
    branch_of: dict[str, str]  # async step → its root
    respond_body: Any
    deadline_body: Any
    trigger_key: Any

    def rate_limited(self) -> dict[str, float]:
        """Model alias → calls per second, for every alias with an rpm limit."""
        return {alias: p.rpm / 60.0 for alias, p in self.loaded.profiles.items() if p.rpm}

    def model_queue(self, task_queue: str, alias: str) -> str:
        """The task queue of an alias's calls: its own when rate limited (a worker per limit)."""
        return f"{task_queue}/{self.flow_id}/{alias}" if alias in self.rate_limited() else task_queue


_CACHE: dict[str, CompiledFlow] = {}


class UnknownFlow(RuntimeError):
    """A workflow's input names a flow by hash only, and this worker was not started with it.

    Raised in the workflow, it fails the workflow task, not the workflow: Temporal retries
    the task, on this or another worker of the queue, until one serves the flow.
    """


def remember(compiled: CompiledFlow) -> None:
    """Make `compiled` the flow its hash names in this process (a worker's `FlowRegistry.add`)."""
    _CACHE[compiled.flow_id] = compiled


def compiled_flow(text: str | None, known_id: str | None = None) -> CompiledFlow:
    """The compiled flow of `text` (cached by content hash); a bad flow raises FlowgenError.

    Without `text` (an input that carries only the hash, `FlowInput.flow_text`), the flow
    this process's worker was started with (`remember`); UnknownFlow when it has none.
    """
    if not text:
        found = _CACHE.get(known_id or "")
        if found is None:
            raise UnknownFlow(
                f"this worker does not serve the flow {known_id} (start a worker with the same flow file)"
            )
        return found
    key = known_id or flow_id(text)
    found = _CACHE.get(key)
    if found is not None:
        return found
    loaded = load_flow_text(text, name="<flow>")
    found = _CACHE[key] = compile_loaded(loaded, key)
    return found


def compile_loaded(loaded: LoadedFlow, key: str) -> CompiledFlow:
    flow = loaded.flow
    graph = loaded.graph
    respond_needs = tuple(flow.respond.needs) if flow.respond is not None else ()
    plans = {}
    for index, step in enumerate(flow.steps):
        plans[step.id] = plan_step(step, index, graph, respond_needs, flow)
    order = topological(graph)
    branches: dict[str, list[str]] = {}
    branch_of: dict[str, str] = {}
    for step_id in order:
        if step_id not in graph.async_steps:
            continue
        root = next((branch_of[n] for n in graph.needs[step_id] if n in branch_of), step_id)
        branch_of[step_id] = root
        branches.setdefault(root, []).append(step_id)
    respond = flow.respond
    return CompiledFlow(
        flow_id=key,
        loaded=loaded,
        plans=plans,
        topological=order,
        branches=branches,
        branch_of=branch_of,
        respond_body=compile_value(respond.body) if respond is not None else None,
        deadline_body=(
            compile_value(respond.on_deadline.body) if respond is not None and respond.on_deadline else None
        ),
        trigger_key=(
            compile_template(flow.trigger.idempotency_key)
            if flow.trigger.idempotency_key is not None
            else None
        ),
    )


def topological(graph: Any) -> list[str]:
    """The steps in an order where each comes after its needs (file order among equals)."""
    done: set[str] = set()
    order: list[str] = []
    pending = list(graph.order)
    while pending:
        ready = [s for s in pending if all(n in done for n in graph.needs[s])]
        if not ready:  # a cycle: the structural check refuses it before this
            order.extend(pending)
            break
        for step_id in ready:
            done.add(step_id)
            order.append(step_id)
        pending = [s for s in pending if s not in done]
    return order


def seconds(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)
