"""Recorded workflow histories of every example flow replay without a determinism error.

A change to the workflow (or to what it reads: plans, templates, the router) that would
make a running workflow take another path fails here, before a deploy breaks workflows
in flight. The histories in `histories/` were recorded on the dev server with the sim
provider, with the calls as activities, and in `histories/local/` as local activities
(`activities="local"`: markers in the history); re-record them deliberately (a new
workflow version) with:

    FLOWGEN_RECORD_HISTORIES=1 pytest tests/temporal/test_replay.py
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import uuid
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.exceptions import FailureError
from temporalio.worker import Replayer

from copilot.run.engine_setup import choose_provider
from copilot.run.providers.sim import SimHttpClient
from copilot.temporal.activities import FlowRegistry
from copilot.temporal.client import connect, outcome, start_event
from copilot.temporal.messages import DATA_CONVERTER
from copilot.temporal.worker import running_workers, workflow_runner
from copilot.temporal.workflow import FlowWorkflow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "flows"
HISTORIES = Path(__file__).resolve().parent / "histories"
FLOWS = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
RECORD = os.environ.get("FLOWGEN_RECORD_HISTORIES") == "1"


def _histories(activities: str) -> Path:
    return HISTORIES if activities == "remote" else HISTORIES / activities


async def _record(address: str, name: str, activities: str) -> None:
    registry = FlowRegistry()
    served = registry.add(
        str(EXAMPLES / f"{name}.yaml"),
        provider=choose_provider("sim", seed=0, latency_scale=0.05),
        http=SimHttpClient(0, latency_scale=0.05),
    )
    client = await connect(address, tracing=False)
    queue = f"record-{uuid.uuid4().hex[:8]}"
    async with running_workers(client, registry, queue):
        handle = await start_event(
            client,
            served.compiled,
            served.text,
            served.compiled.flow.trigger.example,
            task_queue=queue,
            activities=activities,
        )
        result = await asyncio.wait_for(outcome(client, handle), 60)
        ids = [handle.id, *result["children"].values()]
        histories = [json.loads((await client.get_workflow_handle(i).fetch_history()).to_json()) for i in ids]
    folder = _histories(activities)
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(
        json.dumps([{"workflow_id": i, "history": h} for i, h in zip(ids, histories, strict=True)]) + "\n"
    )


@functools.cache
def _serve_examples() -> FlowRegistry:
    """What a worker replaying these histories has: the example flows, by hash. A history
    recorded since inputs name the flow by hash alone (`FlowInput.flow_text` empty) replays
    only on a worker that serves its flow; older ones carry the text."""
    registry = FlowRegistry()
    for name in FLOWS:
        registry.add(str(EXAMPLES / f"{name}.yaml"), provider=choose_provider("sim", seed=0))
    return registry


@pytest.mark.parametrize("activities", ["remote", "local"])
@pytest.mark.parametrize("name", FLOWS)
def test_recorded_history_replays(name: str, activities: str, request: pytest.FixtureRequest) -> None:
    if RECORD:
        asyncio.run(_record(request.getfixturevalue("temporal_address"), name, activities))
    _serve_examples()
    recorded = json.loads((_histories(activities) / f"{name}.json").read_text())
    replayer = Replayer(
        workflows=[FlowWorkflow], workflow_runner=workflow_runner(), data_converter=DATA_CONVERTER
    )
    for entry in recorded:
        history = WorkflowHistory.from_json(entry["workflow_id"], entry["history"])
        asyncio.run(replayer.replay_workflow(history))  # raises on a determinism error


def test_an_input_by_hash_is_interpreted_from_the_worker_s_own_flow() -> None:
    """The plan the workflow interprets for a hash is the one the worker built from its flow
    file; a hash no flow of this worker has fails the workflow task (retried, on this or
    another worker of the queue), never the workflow."""
    from copilot.temporal.compiled import UnknownFlow, compiled_flow

    registry = _serve_examples()
    for served in registry.flows.values():
        assert compiled_flow("", served.compiled.flow_id) is served.compiled
    with pytest.raises(UnknownFlow, match="does not serve the flow 0123abcd"):
        compiled_flow("", "0123abcd")
    assert not issubclass(UnknownFlow, FailureError)  # a FailureError would fail the workflow itself
