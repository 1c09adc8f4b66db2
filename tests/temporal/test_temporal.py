"""Flows on a real Temporal dev server: parity with the local engine, idempotency, retries
in the history, async branches outliving the parent, and a worker killed mid-flow."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from copilot.run.engine_setup import choose_provider
from copilot.run.providers.http import HttpxClient
from copilot.run.providers.sim import SimHttpClient
from copilot.temporal.activities import FlowRegistry
from copilot.temporal.client import connect, outcome, start_event
from copilot.temporal.worker import running_workers

from .conftest import Sink, write_flow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "flows"
# Every example: payloads keep key order (`messages.DATA_CONVERTER`) and the router learns the
# call's own duration (not Temporal's queueing), so routes and requests are the local engine's.
FLOWS = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
SCALE = 0.02


def registry_for(path: Path, *, live_http: bool, telemetry: Any = None) -> tuple[FlowRegistry, Any]:
    registry = FlowRegistry()
    http = HttpxClient() if live_http else SimHttpClient(0, latency_scale=SCALE)
    provider = choose_provider("sim", seed=0, latency_scale=SCALE)
    served = registry.add(str(path), provider=provider, http=http, telemetry=telemetry)
    return registry, served


async def run_event(address: str, path: Path, event: dict[str, Any], *, copies: int = 1,
                    live_http: bool = True, telemetry: Any = None,
                    activities: str = "remote") -> list[dict[str, Any]]:  # fmt: skip
    registry, served = registry_for(path, live_http=live_http, telemetry=telemetry)
    client = await connect(address, tracer=telemetry.tracer if telemetry is not None else None)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    async with running_workers(client, registry, queue):
        handles = await asyncio.gather(
            *(
                start_event(
                    client, served.compiled, served.text, event, task_queue=queue, activities=activities
                )
                for _ in range(copies)
            )
        )
        # a workflow task that fails is retried for ever: fail the test instead of hanging
        return list(await asyncio.wait_for(asyncio.gather(*(outcome(client, h) for h in handles)), 60))


@pytest.mark.parametrize("activities", ["remote", "local"])
@pytest.mark.parametrize("name", FLOWS)
def test_example_flow_answers_as_on_the_local_engine(
    temporal_address: str, name: str, activities: str, tmp_path: Path
) -> None:
    from copilot.run.command import run_flow

    path = EXAMPLES / f"{name}.yaml"
    local = run_flow(str(path), latency_scale=SCALE).result
    if activities == "local":  # a copy under another name: another workflow id for the same event
        shutil.copytree(EXAMPLES / "docs", tmp_path / "docs")
        text = path.read_text()
        path = tmp_path / path.name
        path.write_text(text.replace(f"\nname: {name}\n", f"\nname: {name}-local\n", 1))
    _, served = registry_for(path, live_http=False)
    event = served.compiled.flow.trigger.example
    (result,) = asyncio.run(run_event(temporal_address, path, event, live_http=False, activities=activities))
    assert result["response"]["status"] == local.response_status
    answered_by = {k: v["model"] for k, v in result["steps"].items()}
    if answered_by == {k: r.model for k, r in local.steps.items()}:
        # else a hedge or a fallback happened on one engine only (on a loaded machine a hedge's
        # delay or a call's timeout can pass on the local engine's wall clock), and another
        # model answered with its own text
        assert result["response"]["body"] == local.response_body
    assert {k: v["status"] for k, v in result["steps"].items()} == {
        k: r.status for k, r in local.steps.items()
    }


def test_a_duplicate_event_runs_once(temporal_address: str, sink: Sink, tmp_path: Path) -> None:
    path = write_flow(tmp_path, sink.url)
    event = {"id": f"dup-{uuid.uuid4().hex[:6]}"}
    results = asyncio.run(run_event(temporal_address, path, event, copies=20))
    again = asyncio.run(run_event(temporal_address, path, event))  # after it closed, within the window
    assert sink.count("/notify") == 1
    assert {r["response"]["body"]["id"] for r in results + again} == {event["id"]}
    assert len({r["key"] for r in results + again}) == 1


async def _history(address: str, workflow_id: str) -> Any:
    client = await connect(address)
    return await client.get_workflow_handle(workflow_id).fetch_history()


def test_update_with_start_answers_every_copy_from_one_run(temporal_address: str) -> None:
    """serve's one request per event (`start_and_await_response`): copies while the run is
    open get its response through the update; a copy after it closed, through its result."""
    from copilot.temporal.client import start_and_await_response

    path = EXAMPLES / "support-triage.yaml"  # idempotency_key: "{{ event.id }}"
    registry, served = registry_for(path, live_http=False)
    event = {**served.compiled.flow.trigger.example, "id": f"U-{uuid.uuid4().hex[:8]}"}

    async def main() -> list[tuple[Any, dict[str, Any]]]:
        client = await connect(temporal_address, tracing=False)
        queue = f"test-{uuid.uuid4().hex[:8]}"
        async with running_workers(client, registry, queue):

            def one() -> Any:
                return start_and_await_response(client, served.compiled, served.text, event, task_queue=queue)

            copies = list(await asyncio.wait_for(asyncio.gather(*(one() for _ in range(5))), 60))
            await copies[0][0].result()
            copies.append(await asyncio.wait_for(one(), 60))  # closed: its result answers
            return copies

    copies = asyncio.run(main())
    assert {handle.id for handle, _ in copies} == {f"support-triage:{event['id']}"}
    assert len({handle.result_run_id for handle, _ in copies if handle.result_run_id}) == 1
    assert all(response == copies[0][1] for _, response in copies)
    assert copies[0][1]["status"] == 200


def test_a_retry_and_a_timeout_are_in_the_history(temporal_address: str, sink: Sink, tmp_path: Path) -> None:
    path = write_flow(tmp_path, sink.url, name="retry-flow", timeout="300ms")
    sink.script["/notify"] = [(503, 0.0), (200, 1.0)]  # a 503, then too slow: the third call answers
    event = {"id": f"retry-{uuid.uuid4().hex[:6]}"}
    (result,) = asyncio.run(run_event(temporal_address, path, event))
    assert result["response"]["status"] == 200
    assert result["steps"]["notify"]["retries"] == 2
    history = asyncio.run(_history(temporal_address, f"retry-flow:{event['id']}"))
    started = [
        e.activity_task_started_event_attributes
        for e in history.events
        if e.HasField("activity_task_started_event_attributes")
    ]
    notify = started[-1]  # classify's activity started first
    assert notify.attempt == 3
    assert "timeout" in str(notify.last_failure).lower()
    assert sink.count("/notify") == 3
    keys = {r["key"] for r in sink.requests if r["path"] == "/notify"}
    assert keys == {f"{event['id']}:notify"}


def test_an_async_branch_outlives_its_parent(temporal_address: str, sink: Sink, tmp_path: Path) -> None:
    path = write_flow(tmp_path, sink.url, name="async-flow")
    sink.script["/audit"] = [(200, 1.5)]
    event = {"id": f"async-{uuid.uuid4().hex[:6]}"}

    async def scenario() -> None:
        registry, served = registry_for(path, live_http=True)
        client = await connect(temporal_address)
        queue = f"test-{uuid.uuid4().hex[:8]}"
        async with running_workers(client, registry, queue):
            handle = await start_event(client, served.compiled, served.text, event, task_queue=queue)
            parent = await asyncio.wait_for(handle.result(), 60)
            assert parent["response"]["status"] == 200
            child = client.get_workflow_handle(parent["children"]["audit"])
            assert (await handle.describe()).status.name == "COMPLETED"
            assert (await child.describe()).status.name == "RUNNING"
            done = await child.result()
            assert done["steps"]["audit"]["status"] == "ok"
            assert done["steps"]["audit"]["after_response"] is True

    asyncio.run(scenario())
    assert sink.count("/audit") == 1


def _worker(address: str, path: Path, queue: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "copilot", "worker", str(path), "--address", address,
               "--task-queue", queue, "--latency-scale", str(SCALE)]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.parametrize("activities", ["remote", "local"])
def test_a_worker_killed_mid_flow_is_replaced(
    temporal_address: str, sink: Sink, tmp_path: Path, activities: str
) -> None:
    """Two worker processes on one task queue; kill -9 the one running the http call.

    As an activity, the call is retried on the other worker after its start_to_close_timeout;
    as a local activity, the workflow task times out and the other worker replays the
    workflow and makes the call again."""
    # A killed worker's workflow tasks wait out its sticky queue (about 10 s) before another
    # worker takes them: the SLA here is long enough that the deadline is not what is tested.
    path = write_flow(tmp_path, sink.url, name=f"kill-{activities}", timeout="2s", sla="60s")
    # the first call hangs (its worker dies under it); the retry, on the other worker, answers
    sink.script["/notify"] = [(200, 30.0)]
    queue = f"kill-{uuid.uuid4().hex[:8]}"
    event = {"id": f"kill-{uuid.uuid4().hex[:6]}"}
    first = _worker(temporal_address, path, queue)

    async def scenario() -> dict[str, Any]:
        _, served = registry_for(path, live_http=True)
        client = await connect(temporal_address)
        handle = await start_event(
            client, served.compiled, served.text, event, task_queue=queue, activities=activities
        )
        deadline = time.monotonic() + 20
        while sink.count("/notify") == 0:
            assert time.monotonic() < deadline, (
                first.stderr.read().decode() if first.poll() is not None else ""
            )
            await asyncio.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        second = _worker(temporal_address, path, queue)
        try:
            return await asyncio.wait_for(handle.result(), 30)
        finally:
            second.terminate()
            second.wait(10)

    try:
        result = asyncio.run(scenario())
    finally:
        if first.poll() is None:
            first.kill()
    assert result["response"]["status"] == 200, (result["steps"]["notify"], sink.requests)
    assert result["steps"]["notify"]["status"] == "ok"
    notify = [r for r in sink.requests if r["path"] == "/notify"]
    assert len(notify) == 2 and {r["key"] for r in notify} == {f"{event['id']}:notify"}
    assert sink.applied[f"{event['id']}:notify"] == 1  # the retry was deduped by its key


def test_spans_carry_the_local_engine_names(temporal_address: str, tmp_path: Path) -> None:
    """The event, step and `chat {model}` spans of the local engine, in one trace through Temporal."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from copilot.flow.load import load_flow
    from copilot.run.engine_setup import engine_for
    from copilot.run.telemetry import Telemetry

    # A copy under another name: the parity test above already ran this event (same workflow id).
    path = tmp_path / "content-moderation.yaml"
    text = (EXAMPLES / "content-moderation.yaml").read_text()
    path.write_text(text.replace("name: content-moderation", "name: traced-moderation", 1))
    local_spans = InMemorySpanExporter()
    engine = engine_for(
        load_flow(path),
        provider=choose_provider("sim", seed=0, latency_scale=SCALE),
        http=SimHttpClient(0, latency_scale=SCALE),
        telemetry=Telemetry(span_exporters=[local_spans]),
    )
    event = engine.flow.trigger.example

    async def local() -> None:
        await engine.handle(event)
        await engine.drain()

    asyncio.run(local())
    temporal_spans = InMemorySpanExporter()
    telemetry = Telemetry(span_exporters=[temporal_spans])
    asyncio.run(run_event(temporal_address, path, event, live_http=False, telemetry=telemetry))
    ours = ("chat ", "step ", "invoke_workflow ")
    local_names = sorted(s.name for s in local_spans.get_finished_spans() if s.name.startswith(ours))
    spans = temporal_spans.get_finished_spans()
    assert sorted(s.name for s in spans if s.name.startswith(ours)) == local_names
    assert len({s.context.trace_id for s in spans}) == 1  # client → workflow → activities: one trace
    chat = [s for s in spans if s.name.startswith("chat ")]
    assert all(s.attributes["gen_ai.operation.name"] == "chat" for s in chat)
    assert all(s.parent is not None for s in chat)


def test_flowgen_run_engine_temporal(temporal_address: str) -> None:
    """The command: the same response and step statuses as `flowgen run` on the local engine."""
    import json

    from typer.testing import CliRunner

    from copilot.cli.app import app

    flow = str(EXAMPLES / "naive-support-triage.yaml")
    runner = CliRunner()
    local = runner.invoke(app, ["run", flow, "--instant", "--format", "json"])
    temporal = runner.invoke(
        app,
        ["run", flow, "--instant", "--format", "json", "--engine", "temporal", "--address", temporal_address],
    )
    assert temporal.exit_code == local.exit_code == 0, temporal.output
    ours, theirs = json.loads(temporal.stdout), json.loads(local.stdout)
    assert ours["response"] == theirs["response"]
    statuses = [{s["id"]: s["status"] for s in run["steps"]} for run in (ours, theirs)]
    assert statuses[0] == statuses[1]


def test_flowgen_run_engine_temporal_activities_local(temporal_address: str, tmp_path: Path) -> None:
    """`run --engine temporal --activities local`: the calls are local activities (markers in
    the history, no activity task), and the answer is still the local engine's."""
    import json

    from typer.testing import CliRunner

    from copilot.cli.app import app

    # the example with an idempotency key, so the workflow id is known: `{flow}:{event.id}`
    shutil.copytree(EXAMPLES / "docs", tmp_path / "docs")
    text = (EXAMPLES / "naive-support-triage.yaml").read_text()
    keyed = text.replace("\n  type: webhook\n", '\n  type: webhook\n  idempotency_key: "{{ event.id }}"\n', 1)
    assert keyed != text
    flow = str(tmp_path / "naive-support-triage.yaml")
    Path(flow).write_text(keyed)
    _, served = registry_for(Path(flow), live_http=False)
    event = {**served.compiled.flow.trigger.example, "id": f"T-{uuid.uuid4().hex[:8]}"}  # a fresh workflow id
    (tmp_path / "event.json").write_text(json.dumps(event))
    runner = CliRunner()
    common = ["run", flow, "--instant", "--format", "json", "--event", str(tmp_path / "event.json")]
    local = runner.invoke(app, common)
    temporal = runner.invoke(
        app, [*common, "--engine", "temporal", "--address", temporal_address, "--activities", "local"]
    )
    assert temporal.exit_code == local.exit_code == 0, temporal.output
    assert json.loads(temporal.stdout)["response"] == json.loads(local.stdout)["response"]

    async def history() -> Any:
        client = await connect(temporal_address, tracing=False)
        return await client.get_workflow_handle(f"naive-support-triage:{event['id']}").fetch_history()

    events = asyncio.run(history()).events
    started = json.loads(events[0].workflow_execution_started_event_attributes.input.payloads[0].data)
    assert (started["flow_text"], started["activities"]) == ("", "local")  # the flow by hash alone
    assert any(e.HasField("marker_recorded_event_attributes") for e in events)
    beside = {s["id"]: s["status"] for s in json.loads(local.stdout)["steps"]}["page_oncall"]
    if beside == "skipped":  # the one call beside the hot path is an activity when it runs
        assert not any(e.HasField("activity_task_scheduled_event_attributes") for e in events)


RESILIENT_FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: resilient-{tag}
trigger: {{type: webhook, path: /hooks/r, idempotency_key: "{{{{ event.id }}}}", example: {{id: R-1}}}}
models:
  broken: {{use: openai/gpt-4.1-mini, base_url: "{url}/broken/v1"}}
  slow: {{use: openai/gpt-4.1-mini, base_url: "{url}/slow/v1"}}
  good: {{use: openai/gpt-4.1-nano, base_url: "{url}/good/v1"}}
steps:
  - id: fall
    type: model
    model: broken
    fallback: [good]
    prompt: {{user: "Label {{{{ event.id }}}}"}}
    output_schema: {{type: object, required: [label], properties: {{label: {{type: string}}}}}}
    timeout: 2s
  - id: hedged
    type: model
    model: slow
    fallback: [good]
    hedge: {{after: 200ms}}
    prompt: {{user: "Label {{{{ event.id }}}} again"}}
    output_schema: {{type: object, required: [label], properties: {{label: {{type: string}}}}}}
    timeout: 5s
  - id: early
    type: model
    model: broken
    fallback: [good]
    hedge: {{after: 5s}}
    prompt: {{user: "Label {{{{ event.id }}}} early"}}
    output_schema: {{type: object, required: [label], properties: {{label: {{type: string}}}}}}
    timeout: 6s
respond:
  needs: [fall, hedged, early]
  body: {{fall: "{{{{ steps.fall.output.label }}}}", hedged: "{{{{ steps.hedged.output.label }}}}"}}
"""


@pytest.mark.parametrize("activities", ["remote", "local"])
def test_a_fallback_and_a_hedge_run_in_the_workflow(
    temporal_address: str, sink: Sink, tmp_path: Path, activities: str
) -> None:
    """Model aliases on an OpenAI-compatible loopback server: one answers 503, one is slow."""
    tag = uuid.uuid4().hex[:6]
    path = tmp_path / "resilient.yaml"
    path.write_text(RESILIENT_FLOW.format(tag=tag, url=sink.url))
    sink.script["/broken/v1/chat/completions"] = [(503, 0.0)] * 5
    sink.script["/slow/v1/chat/completions"] = [(200, 3.0)]

    async def scenario() -> tuple[dict[str, Any], Any]:
        registry = FlowRegistry()
        served = registry.add(str(path), provider=choose_provider("openai", seed=0))
        client = await connect(temporal_address)
        queue = f"test-{uuid.uuid4().hex[:8]}"
        async with running_workers(client, registry, queue):
            handle = await start_event(
                client, served.compiled, served.text, {"id": "R-1"}, task_queue=queue, activities=activities
            )
            result = await asyncio.wait_for(outcome(client, handle), 30)
            return result, await handle.fetch_history()

    result, history = asyncio.run(scenario())
    assert result["response"]["body"] == {"fall": "good", "hedged": "good"}
    fall, hedged = result["steps"]["fall"], result["steps"]["hedged"]
    assert (fall["model"], fall["fallback_used"]) == ("good", True)
    assert (hedged["model"], hedged["hedge_won"]) == ("good", True)
    assert result["response"]["latency"] < 2.5  # the slow primary (3 s) was not waited for
    early = result["steps"]["early"]  # its primary failed before the hedge fired: plain fallback
    assert (early["model"], early["fallback_used"], early["hedge_won"]) == ("good", True, False)
    assert sink.count("/broken/v1/chat/completions") == 2  # no retries: the steps have no `retry:`
    cancelled = [e for e in history.events if e.HasField("activity_task_cancel_requested_event_attributes")]
    assert len(cancelled) == 1  # the hedge's loser (a hedged step's calls are activities in both modes)
    # `run --engine temporal`'s timeline, read from the history, tells the same story
    from copilot.temporal.history import timeline

    read = timeline([list(history.events)])
    for step_id, step in result["steps"].items():
        record = read.steps[step_id]
        assert (record.model, record.fallback_used, record.hedge_won, record.attempts) == (
            step["model"], step["fallback_used"], step["hedge_won"], step["attempts"]
        )  # fmt: skip
        assert record.start is not None and record.end is not None and record.end >= record.start
    assert read.steps["hedged"].end < 2.5  # the winner's answer, not the loser's cancellation
    assert sorted((a.step, a.model, a.status) for a in read.attempts if a.step != "hedged") == [
        ("early", "broken", "error"), ("early", "good", "ok"),
        ("fall", "broken", "error"), ("fall", "good", "ok"),
    ]  # fmt: skip


@pytest.mark.parametrize("activities", ["remote", "local"])
def test_the_sla_deadline_answers_before_the_hot_path_ends(
    temporal_address: str, sink: Sink, tmp_path: Path, activities: str
) -> None:
    """The response is readable (an update) as soon as the deadline decides it; the slow call
    is cut by its `schedule_to_close_timeout`, what was left of the SLA.

    As a local activity, the worker counts that rest from when it starts the call, a little
    after the workflow's clock did, and may fit the step's retry into it: the answer is then
    the retried call's, a little after the SLA (docs/scale-out.md); either way the response
    does not wait for the slow call's 4 s."""
    from copilot.temporal.client import await_response

    path = write_flow(tmp_path, sink.url, name="deadline-flow", timeout="5s", sla="1500ms")
    sink.script["/notify"] = [(200, 4.0)]
    event = {"id": f"deadline-{uuid.uuid4().hex[:6]}"}

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], float]:
        registry, served = registry_for(path, live_http=True)
        client = await connect(temporal_address)
        queue = f"test-{uuid.uuid4().hex[:8]}"
        async with running_workers(client, registry, queue):
            started = time.monotonic()
            handle = await start_event(
                client, served.compiled, served.text, event, task_queue=queue, activities=activities
            )
            response = await asyncio.wait_for(await_response(handle), 30)
            waited = time.monotonic() - started
            return response, await asyncio.wait_for(outcome(client, handle), 30), waited

    response, result, waited = asyncio.run(scenario())
    assert 1.5 <= waited < 3.0, (response, result["steps"]["notify"])
    if activities == "local" and not response["deadline_hit"]:
        assert response["status"] == 200 and result["steps"]["notify"]["retries"] == 1
        return
    assert response["deadline_hit"] is True and response["status"] == 504
    assert 1.5 <= response["latency"] < 3.0
    assert result["steps"]["notify"]["kind"] == "timeout"


def test_flowgen_dev_server_starts_and_stops() -> None:
    from copilot.temporal.devserver import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "copilot", "dev-server", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        line = b""
        while b"dev server on" not in line:
            assert time.monotonic() < deadline and process.poll() is None
            line = process.stderr.readline()  # type: ignore[union-attr]
        client = asyncio.run(connect(f"127.0.0.1:{port}", tracing=False))
        assert client.namespace == "default"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(15) == 0
