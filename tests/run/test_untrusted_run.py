"""Issue 10, engine side: no recursion in the scheduler, exactly-once side effects across processes.

- a chain of 10,000 inline steps runs (the scheduler readies steps iteratively, not
  `_ready` → `_finish` → `_ready` 10,000 deep);
- two real processes handling the same event against one SQLite store send one POST;
- after a kill -9 mid-call the claim is recovered only once its lease has expired, and the
  re-run sends the POST again with the same `Idempotency-Key` header.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from copilot.run.clock import ManualClock
from copilot.run.resilience.idempotency import (
    Claimed,
    IdempotencyConflict,
    InFlight,
    Recorded,
    SqliteIdempotencyStore,
)

ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------------------- the scheduler


def _chain(n: int) -> str:
    lines = [
        "apiVersion: flowgen/v1",
        "kind: Flow",
        "name: chain",
        "sla: {latency_p95: 60s}",
        "trigger: {type: webhook, path: /x, example: {id: a}}",
        "steps:",
        "  - {id: s0, type: transform, output: {n: 0}}",
    ]
    lines += [
        f"  - {{id: s{i}, type: transform, needs: [s{i - 1}], output: {{n: {i}}}}}" for i in range(1, n)
    ]
    lines.append(f"respond: {{needs: [s{n - 1}], body: {{n: '{{{{ steps.s{n - 1}.output.n }}}}'}}}}")
    return "\n".join(lines) + "\n"


def test_a_chain_of_10000_inline_steps_runs_on_the_sim_provider(tmp_path: Path) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(_chain(10_000))
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "copilot", "run", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert time.monotonic() - started < 120
    out = json.loads(done.stdout)
    assert out["response"] == {"status": 200, "body": {"n": 9999}}
    assert out["error"] is None
    assert len(out["steps"]) == 10_000 and all(s["status"] == "ok" for s in out["steps"])


def test_the_scheduler_does_not_recurse_per_step() -> None:
    """A 2,000-step chain inside a low recursion limit: the old recursion needed ~3 frames a step."""
    import asyncio

    from copilot.flow.load import load_flow_text
    from copilot.run.engine import Engine
    from copilot.run.providers.sim import SimProvider

    flow = load_flow_text(_chain(2_000), "chain.yaml").flow
    engine = Engine(flow, provider=SimProvider(0), base_dir=ROOT)

    async def main():
        result = await engine.handle({"id": "a"})
        await engine.drain()
        return result

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)
    try:
        result = asyncio.run(main())
    finally:
        sys.setrecursionlimit(limit)
    assert result.response_status == 200 and result.response_body == {"n": 1999}
    assert result.error is None


# ---------------------------------------------------------------------------- the SQLite claim


def test_a_claim_is_atomic_leased_and_recovered(tmp_path: Path) -> None:
    clock = ManualClock(1000.0)
    one = SqliteIdempotencyStore(tmp_path / "i.db", clock, lease=5.0)
    two = SqliteIdempotencyStore(tmp_path / "i.db", clock, lease=5.0)
    first = one.claim("k", "req")
    assert isinstance(first, Claimed) and first.lease_until == 1005.0 and not first.recovered
    seen = two.claim("k", "req")
    assert isinstance(seen, InFlight) and not seen.expired
    assert two.lookup("k", "req") is None  # a claim is not a result
    with pytest.raises(IdempotencyConflict):
        two.claim("k", "another request")
    clock.advance(6)  # the holder died: its lease ran out
    assert two.claim("k", "req", recover=False) == InFlight(1005.0, expired=True)
    taken = two.claim("k", "req")
    assert isinstance(taken, Claimed) and taken.recovered
    one.release("k", first.token)  # the dead holder's token no longer releases anything
    assert isinstance(one.claim("k", "req"), InFlight)
    two.record("k", "req", ["done"], window=60)
    replay = one.claim("k", "req")
    assert isinstance(replay, Recorded) and replay.value == ["done"]
    # A failed call gives the key back.
    mine = one.claim("other", "req")
    one.release("other", mine.token)
    assert isinstance(two.claim("other", "req"), Claimed)


def test_a_store_written_before_claims_still_replays(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE idempotency (key TEXT PRIMARY KEY, request TEXT NOT NULL, value TEXT NOT NULL,"
        " recorded_at REAL NOT NULL, expires REAL NOT NULL)"
    )
    db.execute("INSERT INTO idempotency VALUES ('k', 'h', '[1]', ?, ?)", (time.time(), time.time() + 60))
    db.commit()
    db.close()
    store = SqliteIdempotencyStore(path)
    assert store.lookup("k", "h").value == [1]
    assert isinstance(store.claim("k", "h"), Recorded)


# ---------------------------------------------------------------------------- two real processes


class _Callee:
    """A local HTTP server counting POSTs; `hang_first` leaves the first one unanswered."""

    def __init__(self, delay: float = 0.0, hang_first: bool = False) -> None:
        self.posts: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        callee = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                with callee.lock:
                    callee.posts.append(dict(self.headers))
                    first = len(callee.posts) == 1
                if hang_first and first:
                    callee.release.wait(60)  # the caller is killed mid-call
                    return
                time.sleep(delay)
                data = b'{"ok": true}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/collect"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Callee:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def count(self) -> int:
        with self.lock:
            return len(self.posts)


FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: side-effect
trigger: {type: webhook, path: /x, idempotency_key: "{{ event.id }}"}
steps:
  - id: post
    type: http
    request: {method: POST, url: "${env:CALLEE_URL}", json: {ticket: "{{ event.id }}"}}
    timeout: TIMEOUT
    idempotency_key: "{{ event.id }}:post"
respond: {needs: [post], body: {ok: true}}
"""

WORKER = """\
import asyncio, json, os, sys, time
from pathlib import Path
from copilot.flow.load import load_flow_text
from copilot.run.engine import Engine
from copilot.run.providers.sim import SimProvider
from copilot.run.resilience.idempotency import SqliteIdempotencyStore

flow = load_flow_text(Path(sys.argv[1]).read_text(), "flow.yaml").flow
store = SqliteIdempotencyStore(sys.argv[2], lease=float(sys.argv[3]))
engine = Engine(flow, provider=SimProvider(0), base_dir=Path.cwd(), idempotency=store)
barrier = sys.argv[4] if len(sys.argv) > 4 else None
if barrier:  # start together: say ready, wait for the go
    Path(barrier + "." + str(os.getpid())).write_text("ready")
    while not Path(barrier + ".go").exists():
        time.sleep(0.01)

async def main():
    result = await engine.handle({"id": "T-1"})
    await engine.drain()
    await engine.aclose()
    return result

r = asyncio.run(main())
print(json.dumps({"status": r.response_status, "error": r.error,
                  "replayed": r.replayed,
                  "step_replayed": r.steps["post"].replayed if "post" in r.steps else None}))
"""


def _worker(tmp_path: Path, callee: _Callee, lease: float, timeout: str, barrier: str | None = None):
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW.replace("TIMEOUT", timeout))
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    args = [sys.executable, str(script), str(flow), str(tmp_path / "idem.db"), str(lease)]
    if barrier is not None:
        args.append(barrier)
    env = {**os.environ, "CALLEE_URL": callee.url, "NO_PROXY": "*", "no_proxy": "*"}
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _outcome(proc: subprocess.Popen, timeout: float = 60) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    return json.loads(out.strip().splitlines()[-1])


def test_two_processes_handling_the_same_event_send_one_post(tmp_path: Path) -> None:
    with _Callee(delay=0.5) as callee:
        barrier = str(tmp_path / "barrier")
        procs = [_worker(tmp_path, callee, 30.0, "5s", barrier) for _ in range(2)]
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("barrier.*"))) < 2 and time.monotonic() < deadline:
            if any(p.poll() is not None for p in procs):
                break
            time.sleep(0.02)
        Path(barrier + ".go").write_text("go")
        outcomes = [_outcome(p) for p in procs]
        assert callee.count() == 1, callee.posts
    assert [o["status"] for o in outcomes] == [200, 200]
    assert sorted(o["step_replayed"] for o in outcomes) == [False, True]
    assert callee.posts[0]["Idempotency-Key"] == "T-1:post"


def test_a_call_killed_mid_flight_is_sent_again_after_its_lease_with_the_same_key(tmp_path: Path) -> None:
    with _Callee(hang_first=True) as callee:
        # timeout 4s, no retries: the claim's lease is 5 s.
        first = _worker(tmp_path, callee, 1.0, "4s")
        deadline = time.monotonic() + 60
        while callee.count() == 0 and time.monotonic() < deadline:
            assert first.poll() is None, first.communicate()[1][-2000:]
            time.sleep(0.01)
        killed_at = time.monotonic()
        os.kill(first.pid, signal.SIGKILL)  # mid-call: the POST went out, no answer yet
        first.wait(10)
        # A re-run within the lease waits for the holder, then fails cleanly: it never calls.
        waiter = _worker(tmp_path, callee, 1.0, "4s")
        out, err = waiter.communicate(timeout=60)
        assert waiter.returncode == 0 and "Traceback" not in err, err[-2000:]
        result = json.loads(out.strip().splitlines()[-1])
        assert "lease ran out" in (result["error"] or "")
        assert callee.count() == 1
        assert time.monotonic() - killed_at < 30
        # After the lease: the crashed claim is recovered and the POST sent once more.
        rerun = _outcome(_worker(tmp_path, callee, 1.0, "4s"))
        assert rerun["status"] == 200 and not rerun["step_replayed"]
        assert callee.count() == 2
        keys = [post["Idempotency-Key"] for post in callee.posts]
        assert keys == ["T-1:post", "T-1:post"]
        # Now recorded: a further delivery replays, no third POST.
        again = _outcome(_worker(tmp_path, callee, 1.0, "4s"))
        assert again["status"] == 200 and again["replayed"]
        assert callee.count() == 2
