"""Workers: the generic workflow and the activities of the flows they serve, on a task queue.

One worker serves several flows (`FlowRegistry`, by content hash). The flow's limits
become the worker's options:

- `trigger.concurrency` → `max_concurrent_activities` and `max_concurrent_local_activities`
  (per worker process: the calls of `--activities local` events run as local activities);
- a model alias with an rpm limit (the flow's `models:` or the catalog) gets a task queue
  of its own (`CompiledFlow.model_queue`), polled by an activity-only worker with
  `max_task_queue_activities_per_second` (the server enforces it across every worker of
  the queue, so many machines together keep the provider's limit) and
  `max_activities_per_second` (this process), both rpm/60.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from copilot.temporal.activities import FlowActivities, FlowRegistry
from copilot.temporal.workflow import FlowWorkflow

# Loaded once per process and shared by every workflow run: the flow's own modules and the
# libraries loading and rendering a flow imports (lazily, so the workflow's
# `imports_passed_through` block alone does not cover them). They are pure: no I/O, and no
# clock but the template render budget (a safety cap).
SANDBOX_PASSTHROUGH = (
    "copilot", "ruamel", "jinja2", "markupsafe", "pydantic", "pydantic_core", "annotated_types",
    "jsonschema", "jsonschema_specifications", "referencing", "rpds", "yaml", "re2", "regex",
    "typing_extensions", "typing_inspection", "aiolimiter", "opentelemetry",
)  # fmt: skip


def workflow_runner() -> SandboxedWorkflowRunner:
    """The SDK's sandbox, with the flow's modules passed through."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*SANDBOX_PASSTHROUGH)
    )


def concurrency_of(registry: FlowRegistry) -> int | None:
    """The smallest `trigger.concurrency` of the flows served (None: no limit)."""
    limits = [s.compiled.flow.trigger.concurrency for s in registry.flows.values()]
    given = [limit for limit in limits if limit]
    return min(given) if given else None


def build_workers(client: Client, registry: FlowRegistry, task_queue: str, **options: Any) -> list[Worker]:
    """The workers of one process: the main one, and one per rate-limited model alias."""
    activities = FlowActivities(registry)
    concurrency = concurrency_of(registry)
    if concurrency is not None:
        options.setdefault("max_concurrent_activities", concurrency)
        options.setdefault("max_concurrent_local_activities", concurrency)  # `--activities local`
    workers = [
        Worker(
            client,
            task_queue=task_queue,
            workflows=[FlowWorkflow],
            activities=activities.all(),
            workflow_runner=workflow_runner(),
            **options,
        )
    ]
    for served in registry.flows.values():
        for alias, per_second in served.compiled.rate_limited().items():
            workers.append(
                Worker(
                    client,
                    task_queue=served.compiled.model_queue(task_queue, alias),
                    activities=[activities.model],
                    max_task_queue_activities_per_second=per_second,
                    max_activities_per_second=per_second,
                    max_concurrent_activities=concurrency,
                )
            )
    return workers


@contextlib.asynccontextmanager
async def running_workers(
    client: Client, registry: FlowRegistry, task_queue: str, **options: Any
) -> AsyncIterator[list[Worker]]:
    """The workers running while the block runs; shut down (in-flight tasks finished) after it."""
    workers = build_workers(client, registry, task_queue, **options)
    async with contextlib.AsyncExitStack() as stack:
        for worker in workers:
            await stack.enter_async_context(worker)
        yield workers


async def serve_forever(client: Client, registry: FlowRegistry, task_queue: str, **options: Any) -> None:
    """Run the workers until cancelled (SIGINT / SIGTERM in `flowgen worker`)."""
    import asyncio

    workers = build_workers(client, registry, task_queue, **options)
    await asyncio.gather(*(worker.run() for worker in workers))
