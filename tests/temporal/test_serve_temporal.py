"""`flowgen serve --engine temporal`: the webhook starts the event's workflow and answers
its hot-path response; 20 concurrent copies of one signed delivery run the steps once.

Real processes: the session's dev server, a `flowgen worker` and a `flowgen serve` on
free loopback ports; the flow's http steps post to the loopback sink, which counts them.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from copilot.temporal.devserver import free_port

from .conftest import Sink

ROOT = Path(__file__).resolve().parents[2]
FLOW = ROOT / "tests" / "serve" / "flows" / "sink.yaml"  # model → keyed POST /notify → async POST /archive
SECRET = "whsec_" + base64.b64encode(b"temporal-serve-secret-0123456789").decode()


def signed(event: dict[str, str], msg_id: str) -> tuple[bytes, dict[str, str]]:
    """A Standard Webhooks delivery, signed by the `standardwebhooks` package."""
    from standardwebhooks import Webhook

    body = json.dumps(event).encode()
    when = dt.datetime.now(dt.UTC)
    return body, {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(msg_id, when, body),
    }


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    command = [sys.executable, "-m", "copilot", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("serve did not become ready: " + log.read_text())


def test_twenty_concurrent_copies_through_serve_run_the_steps_once(
    temporal_address: str, sink: Sink, tmp_path: Path
) -> None:
    """Two servers (each its own store, as on two machines) get ten copies each, all at once:
    each server dedupes its own, and the workflow id dedupes across them."""
    env = {**os.environ, "SERVE_TEST_SECRET": SECRET, "SINK_URL": sink.url}
    queue = f"serve-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "processes.log"
    worker = start(
        ["worker", str(FLOW), "--address", temporal_address, "--task-queue", queue,
         "--latency-scale", "0.02"],
        env,
        log,
    )  # fmt: skip
    urls, servers = [], []
    for n in range(2):
        port = free_port()
        urls.append(f"http://127.0.0.1:{port}")
        servers.append(start(
            ["serve", str(FLOW), "--port", str(port), "--state-dir", str(tmp_path / f"state-{n}"),
             "--engine", "temporal", "--address", temporal_address, "--task-queue", queue],
            env,
            log,
        ))  # fmt: skip
    event = {"id": f"T-{uuid.uuid4().hex[:8]}", "text": "my order never arrived"}
    body, headers = signed(event, f"msg_{uuid.uuid4().hex}")
    try:
        for url, serve in zip(urls, servers, strict=True):
            wait_ready(url, serve, log)

        async def deliver() -> list[httpx.Response]:
            async with httpx.AsyncClient(timeout=30) as client:
                hooks = [f"{url}/hooks/sink" for url in urls]
                copies = (client.post(hooks[i % 2], content=body, headers=headers) for i in range(20))
                return await asyncio.gather(*copies)

        answers = asyncio.run(deliver())
        deadline = time.monotonic() + 30
        while sink.count("/archive") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)  # the async step: a child workflow that outlives the response
        time.sleep(0.5)  # room for a doubled call to show
        # a key reused for another event, on a server whose store never saw the key: 409, as
        # the store of the server that saw it would answer (the workflow knows its event)
        reused = {"id": f"R-{uuid.uuid4().hex[:8]}", "text": "first"}
        body_a, headers_a = signed(reused, "msg_a")
        first = httpx.post(f"{urls[0]}/hooks/sink", content=body_a, headers=headers_a, timeout=30)
        body_b, headers_b = signed({**reused, "text": "another event"}, "msg_b")
        conflict = httpx.post(f"{urls[1]}/hooks/sink", content=body_b, headers=headers_b, timeout=30)
    finally:
        for process in (*servers, worker):
            process.terminate()
        for process in (*servers, worker):
            process.wait(30)
    assert (first.status_code, conflict.status_code) == (200, 409), log.read_text()
    assert conflict.json() == {"error": "this idempotency key was used for a different event"}
    assert [a.status_code for a in answers] == [200] * 20, log.read_text()
    assert all(a.json() == {"id": event["id"], "ok": True} for a in answers)
    assert sink.count("/notify") == 2 and sink.count("/archive") >= 1, sink.requests  # `event`'s, `reused`'s
    keys = {r["key"] for r in sink.requests if (r["key"] or "").startswith(event["id"])}
    assert keys == {f"{event['id']}:notify", f"{event['id']}:archive"}
    assert sum(r["key"] == f"{event['id']}:notify" for r in sink.requests) == 1
    assert sum(r["key"] == f"{event['id']}:archive" for r in sink.requests) == 1
    # each server ran the event once (its other nine copies replayed from its store)
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 18
    access = [json.loads(line) for line in log.read_text().splitlines() if '"log": "access"' in line]
    assert len(access) == 22 and sorted(a["status"] for a in access) == [200] * 21 + [409]


def test_a_key_reused_for_another_event_is_a_conflict(
    temporal_address: str, sink: Sink, tmp_path: Path
) -> None:
    """Another server's store never saw the first event: the workflow's recorded request hash
    answers 409, as a server's own store does for a key it holds."""
    from copilot.flow.load import load_flow
    from copilot.run.engine_setup import choose_provider
    from copilot.temporal.activities import FlowRegistry
    from copilot.temporal.client import connect
    from copilot.temporal.serving import KEY_CONFLICT, TemporalEngines
    from copilot.temporal.worker import running_workers

    from .conftest import write_flow

    path = write_flow(tmp_path, sink.url, name="conflict-flow")
    queue = f"conflict-{uuid.uuid4().hex[:8]}"
    key = f"C-{uuid.uuid4().hex[:6]}"

    async def scenario() -> list[tuple[int, object]]:
        registry = FlowRegistry()
        registry.add(str(path), provider=choose_provider("sim", seed=0, latency_scale=0.02))
        client = await connect(temporal_address, tracing=False)
        answers = []
        async with running_workers(client, registry, queue):
            for n, note in enumerate(["first", "first", "second"]):  # one server each, as on two machines
                engine = TemporalEngines(temporal_address, task_queue=queue)(
                    load_flow(str(path)), provider=choose_provider("sim", seed=0)
                )
                result = await engine.handle({"id": key, "note": note})
                answers.append((result.response_status, result.response_body))
                await result.wait_done()
                await engine.aclose()
                assert n < 2 or result.error == KEY_CONFLICT
        return answers

    first, again, other = asyncio.run(scenario())
    assert first[0] == 200 and again == first
    assert other == (409, {"error": KEY_CONFLICT})
    assert sink.count("/notify") == 1
