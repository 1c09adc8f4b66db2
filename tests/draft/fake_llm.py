"""A scripted OpenAI-compatible server on 127.0.0.1 for the drafting tests.

Real HTTP, real `openai` client: each POST to /v1/chat/completions takes the next
`Reply` from the script (status, JSON body or raw text, headers, a delay) and records the
request, so a test can assert what was sent (messages, response_format, max_tokens).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict -> JSON; str -> sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"  # a misconfigured proxy may say JSON and send HTML


def chat(
    content: str | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    model: str = "test-model",
    prompt_tokens: int = 1000,
    completion_tokens: int = 500,
) -> Reply:
    """A 200 chat completion with one choice."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal is not None:
        message["refusal"] = refusal
    return Reply(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def error(
    status: int, message: str, *, headers: dict[str, str] | None = None, param: str | None = None
) -> Reply:
    """An OpenAI-style error body."""
    return Reply(
        status=status,
        body={"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}},
        headers=headers or {},
    )


class FakeLLM:
    """Serves scripted replies; `requests` holds every request body received.

    With a `behaviour` (one of the imitations below), every request is answered by it
    instead of the script: the server then acts like one kind of real server for as long
    as the test needs. `paths` holds the path of every request.
    """

    def __init__(
        self, replies: list[Reply] | None = None, behaviour: Callable[[str, dict], Reply] | None = None
    ) -> None:
        self.replies: list[Reply] = list(replies or [])
        self.behaviour = behaviour
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                body = json.loads(raw or b"{}")
                with fake._lock:
                    fake.requests.append(body)
                    fake.paths.append(self.path)
                    fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                    if fake.behaviour is not None:
                        reply = fake.behaviour(self.path, body)
                    else:
                        reply = fake.replies.pop(0) if fake.replies else error(500, "script exhausted")
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                data = payload.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", reply.content_type)
                    self.send_header("content-length", str(len(data)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def root_url(self) -> str:
        """The server without `/v1`: what a user who forgot the path would configure."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def __enter__(self) -> FakeLLM:
        from copilot import openai_compat

        # A port the OS hands out again must not inherit what an earlier server rejected.
        openai_compat.forget(self.root_url)
        openai_compat.forget(self.base_url)
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)


def closed_port_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# ------------------------------------------------------------ imitations of real servers
#
# Each takes the content to answer with and gives a behaviour: (path, request body) -> Reply.
# The error bodies are the servers' own (shape and wording), so the client's detection is
# tested against what it will meet.

CHAT_PATH = "/v1/chat/completions"


def _format_of(body: dict) -> str:
    return (body.get("response_format") or {}).get("type") or "text"


def rejects_json_schema(content: str) -> Callable[[str, dict], Reply]:
    """Older vLLM and llama.cpp: HTTP 400 to `json_schema`; JSON mode and text are fine."""

    def behaviour(path: str, body: dict) -> Reply:
        if _format_of(body) == "json_schema":
            return error(400, "response_format type json_schema is not supported", param="response_format")
        return chat(content)

    return behaviour


LLAMA_CPP_PYTHON_MESSAGE = (
    "1 validation error for ChatCompletionRequestResponseFormat\ntype\n"
    "  Input should be 'text' or 'json_object' [type=literal_error, input_value='json_schema', "
    "input_type=str]\n    For further information visit https://errors.pydantic.dev/2.11/v/literal_error"
)


def llama_cpp_python(content: str) -> Callable[[str, dict], Reply]:
    """llama-cpp-python's server: HTTP 500 with pydantic's message to `json_schema` (issue 17)."""

    def behaviour(path: str, body: dict) -> Reply:
        if _format_of(body) == "json_schema":
            return Reply(
                status=500,
                body={
                    "error": {
                        "message": LLAMA_CPP_PYTHON_MESSAGE,
                        "type": "internal_server_error",
                        "param": None,
                        "code": None,
                    }
                },
            )
        return chat(content)

    return behaviour


def llama_cpp_grammar(content: str) -> Callable[[str, dict], Reply]:
    """llama.cpp's server in grammar mode: `json_schema` becomes a grammar, and a pattern its
    converter cannot translate (a backslash escape such as `\\d`) fails the request (the real
    server then crashed; issue 17). `content` answers when the grammar loads."""
    from .llama_grammar import llama_cpp_pattern_problems, schema_patterns

    def behaviour(path: str, body: dict) -> Reply:
        schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema")
        for pattern in schema_patterns(schema):
            if llama_cpp_pattern_problems(pattern):
                return error(500, f"failed to parse grammar: {pattern}")
        return chat(content)

    return behaviour


def text_only(content: str) -> Callable[[str, dict], Reply]:
    """A server that takes no `response_format` at all and answers in prose with a fenced block."""

    def behaviour(path: str, body: dict) -> Reply:
        if "response_format" in body:
            return error(400, "'response_format' is not supported by this server", param="response_format")
        return chat(f"Sure! Here is the answer:\n```json\n{content}\n```\nLet me know if you need more.")

    return behaviour


def rejects_max_tokens(content: str) -> Callable[[str, dict], Reply]:
    """OpenAI's reasoning models: HTTP 400 to `max_tokens`, asking for `max_completion_tokens`."""

    def behaviour(path: str, body: dict) -> Reply:
        if "max_tokens" in body:
            reply = error(
                400,
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                param="max_tokens",
            )
            reply.body["error"]["code"] = "unsupported_parameter"
            return reply
        return chat(content)

    return behaviour


def v1_only(content: str) -> Callable[[str, dict], Reply]:
    """Ollama: chat completions at /v1 only; any other path is a plain-text 404."""

    def behaviour(path: str, body: dict) -> Reply:
        if path != CHAT_PATH:
            return Reply(status=404, body="404 page not found", content_type="text/plain")
        return chat(content)

    return behaviour


def web_page(content: str) -> Callable[[str, dict], Reply]:
    """A web UI in front of the API: an HTML page with 200 for every path (nothing at /v1 either)."""

    def behaviour(path: str, body: dict) -> Reply:
        return Reply(
            status=200, body="<!doctype html><html><body>app</body></html>", content_type="text/html"
        )

    return behaviour


def ollama_missing_model(model: str) -> Reply:
    """Ollama's answer to a model it has not pulled: HTTP 404 with its own error body."""
    return Reply(
        status=404,
        body={
            "error": {
                "message": f'model "{model}" not found, try pulling it first',
                "type": "api_error",
                "param": None,
                "code": None,
            }
        },
    )


def ollama(content: str, pulled: tuple[str, ...] = ("llama3.2:1b",)) -> Callable[[str, dict], Reply]:
    """Ollama's OpenAI-compatible API: at /v1 only (elsewhere a plain-text 404), HTTP 404 with
    `model "…" not found, try pulling it first` for a model not pulled (a catalog id such as
    `gpt-4o-mini`), and for a pulled one the answer in a ```json fence: a `response_format` of
    type `json_schema` is taken without complaint but not enforced (Ollama before 0.5), so a
    small model writes what it writes."""

    def behaviour(path: str, body: dict) -> Reply:
        if path != CHAT_PATH:
            return Reply(status=404, body="404 page not found", content_type="text/plain")
        if body.get("model") not in pulled:
            return ollama_missing_model(str(body.get("model")))
        return chat(f"```json\n{content}\n```", model=body["model"])

    return behaviour
