"""A real `flowgen serve` in a subprocess on a free loopback port, and a loopback HTTP sink.

The flows' http steps post to the sink, which counts calls by path and `Idempotency-Key`
(as an idempotent API would dedupe them): a side effect that happened twice shows as two
calls with one key. Requests are signed with the `standardwebhooks` package.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOWS = Path(__file__).resolve().parent / "flows"
SECRET = "whsec_" + base64.b64encode(b"serve-test-secret-0123456789abcd").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"serve-test-old-secret-9876543210").decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """A loopback HTTP endpoint that counts what the flows post to it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.delay: dict[str, float] = {}
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                path = self.path.rstrip("/")
                time.sleep(sink.delay.get(path, 0.0))
                with sink.lock:
                    sink.calls.append((path, self.headers.get("idempotency-key")))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _ in self.calls if p == path)

    def keys(self, path: str) -> Counter[str | None]:
        with self.lock:
            return Counter(k for p, k in self.calls if p == path)

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def sink():
    s = Sink()
    yield s
    s.close()


class Served:
    """One `flowgen serve` subprocess."""

    def __init__(
        self, tmp: Path, flows: list[Path], sink: Sink, args: list[str], env: dict[str, str]
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state = tmp / "state"
        self.log = tmp / f"serve-{self.port}.log"
        self.flows, self.args = flows, args
        self.env = {**os.environ, "SERVE_TEST_SECRET": SECRET, "SINK_URL": sink.url, **env}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Served:
        command = [
            sys.executable, "-m", "copilot", "serve", *map(str, self.flows), "--port", str(self.port),
            "--state-dir", str(self.state), "--latency-scale", "0.02", *self.args,
        ]  # fmt: skip
        self.handle = self.log.open("ab")
        self.proc = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.handle, stderr=self.handle)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.log.read_text()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("serve did not become ready: " + self.log.read_text())

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        self.handle.close()
        return code

    def lines(self) -> list[dict]:
        return [json.loads(raw) for raw in self.log.read_text().splitlines() if raw.startswith("{")]


@pytest.fixture
def serve(tmp_path, sink):
    started: list[Served] = []

    def start(*flows: Path, args: list[str] = (), env: dict[str, str] | None = None) -> Served:
        server = Served(tmp_path, list(flows) or [FLOWS / "sink.yaml"], sink, list(args), env or {})
        started.append(server.start())
        return server

    yield start
    for server in started:
        if server.proc is not None and server.proc.poll() is None:
            server.proc.terminate()  # SIGTERM: with --workers the supervisor stops its children
            try:
                server.proc.wait(30)
            except subprocess.TimeoutExpired:
                server.proc.kill()
                server.proc.wait(30)


def signed(event: dict, *, secret: str = SECRET, msg_id: str | None = None, when: dt.datetime | None = None):
    """Body and headers of a Standard Webhooks delivery, signed by the `standardwebhooks` package."""
    from standardwebhooks import Webhook

    body = json.dumps(event).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    when = when or dt.datetime.now(dt.UTC)
    signature = Webhook(secret).sign(msg_id, when, body)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }
    return body, headers


def wait_for(condition, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
