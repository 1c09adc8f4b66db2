"""Nothing lost: SIGTERM drains, SIGKILL is recovered on restart, `flowgen replay` completes the rest.

Counted on the sink: every event that got a 2xx ends with its side effects done (each
`Idempotency-Key` seen by the sink) or in the dead-letter file until replay completes it;
the hot-path side effect (`notify`) is never sent twice.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time

import httpx

from tests.serve.conftest import ROOT, signed, wait_for


def deliver(server, ids: list[str]) -> list[httpx.Response]:
    async def send() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60) as client:
            calls = []
            for i in ids:
                body, headers = signed({"id": i, "text": "x"})
                calls.append(client.post(server.url + "/hooks/sink", content=body, headers=headers))
            return await asyncio.gather(*calls)

    return asyncio.run(send())


def states(server) -> dict[str, int]:
    with sqlite3.connect(server.state / "serve.sqlite") as db:
        return dict(db.execute("SELECT state, COUNT(*) FROM deliveries GROUP BY state").fetchall())


def letters(server) -> list[dict]:
    path = server.state / "dead-letter.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def replay_until_done(server, sink, ids: list[str], rounds: int = 6) -> None:
    """Replay the dead letters until the store holds none (a step claimed by a killed process
    is retried once its lease has run out)."""
    for _ in range(rounds):
        if (
            not states(server).get("dead")
            and not states(server).get("running")
            and not states(server).get("answered")
        ):
            break
        if states(server).get("dead"):
            dead_letter = str(server.state / "dead-letter.jsonl")
            out = subprocess.run(
                [sys.executable, "-m", "copilot", "replay", dead_letter, "--to", server.url],
                cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert out.returncode == 0, out.stderr
        time.sleep(3)
    wait_for(lambda: set(sink.keys("/archive")) >= {f"{i}:archive" for i in ids}, timeout=60, what="archive")
    assert states(server) == {"done": len(ids)}, states(server)


def test_sigterm_drains_then_dead_letters_and_replay_completes(serve, sink):
    sink.delay["/archive"] = 4.0  # the async step outlasts the drain timeout
    server = serve(args=["--drain-timeout", "1"])
    ids = [f"term-{i}" for i in range(10)]
    answers = deliver(server, ids)
    assert {r.status_code for r in answers} == {200}
    server.proc.send_signal(signal.SIGTERM)
    try:
        ready = httpx.get(server.url + "/readyz", timeout=5)
        assert ready.status_code == 503  # draining: not ready
        late = httpx.post(server.url + "/hooks/sink", content=signed({"id": "late", "text": "x"})[0],
                          headers=signed({"id": "late", "text": "x"})[1], timeout=5)  # fmt: skip
        assert late.status_code == 503 and late.headers["retry-after"]
    except httpx.TransportError:
        pass  # already stopped: nothing to ask
    server.proc.wait(60)
    dead = letters(server)
    assert {x["key"] for x in dead} == {f"serve-sink:{i}" for i in ids}
    assert all("notify" in x["completed_steps"] and x["reason"] for x in dead)
    assert all("email" not in json.dumps(x["event"]) for x in dead)

    sink.delay["/archive"] = 0.0
    restarted = serve(args=["--drain-timeout", "1"])
    replay_until_done(restarted, sink, ids)
    assert sink.keys("/notify") == {f"{i}:notify": 1 for i in ids}  # never sent twice


def test_sigkill_then_restart_recovers_or_dead_letters_and_replay_completes(serve, sink):
    sink.delay["/archive"] = 2.0
    server = serve()
    ids = [f"kill-{i}" for i in range(10)]
    answers = deliver(server, ids)
    accepted = [r.json()["id"] for r in answers if r.status_code < 300]
    assert accepted == ids
    server.stop(signal.SIGKILL)
    assert states(server).get("done", 0) < len(ids)  # work was cut off

    sink.delay["/archive"] = 0.0
    restarted = serve()
    # On start the server adopts what the dead process left: it finishes it or dead-letters it.
    wait_for(lambda: not states(restarted).get("running") and not states(restarted).get("answered"),
             timeout=60, what="recovery")  # fmt: skip
    replay_until_done(restarted, sink, ids)
    assert sink.keys("/notify") == {f"{i}:notify": 1 for i in ids}
    # Replaying again changes nothing: every event is answered from the store.
    before = len(sink.calls)
    for record in letters(restarted)[:3]:
        assert record["source"] == "serve"
    again = deliver(restarted, ids[:3])
    assert all(r.headers.get("idempotent-replayed") == "true" for r in again)
    assert len(sink.calls) == before
