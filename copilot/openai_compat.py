"""What an OpenAI-compatible server accepts, learnt once per server; shared by `draft` and `run`.

Servers that speak the chat-completions API differ in what they take:

- structured output: OpenAI and recent vLLM, Ollama and llama.cpp take `response_format:
  {type: json_schema, strict: true}`; older llama.cpp and vLLM answer 400 or 422,
  llama-cpp-python answers 500 with a pydantic message ("Input should be 'text' or
  'json_object'"); some take no `response_format` at all and answer in text, often in a
  fenced ```json block or after a sentence of prose (Ollama's habit);
- the output limit: reasoning models reject `max_tokens` and ask for `max_completion_tokens`;
- the path: a base URL without `/v1` gets a 404 (or a web page) at `/chat/completions`;
- the model: a name the server does not serve is a 404 too, but with an API error that
  names the model (Ollama: `model "gpt-4o-mini" not found, try pulling it first`; vLLM and
  OpenAI: "The model `…` does not exist"). `model_missing` tells it from a wrong path: it
  ends the cascade at once (no `/v1` probe, no retry), and the caller names the model.

`create` (sync, the drafter) and `acreate` (async, the engine) send one chat completion and
walk the cascade when the server says no: `json_schema` → `json_object` → text (the caller
takes the JSON out of the text with `json_text`), `max_tokens` → `max_completion_tokens`,
base URL → base URL + `/v1`. A format rejection is known by what it says, not only by its
status (issue 17): any 4xx or 5xx but 401, 403, 404, 408 and 429 whose message names
`response_format`, `json_schema`, `json_object` or a grammar (llama.cpp's "Failed to parse
grammar") is a capability answer, not an outage, so it is never retried as one. A
fallback is not a retry: the callers' retry counts and policies see only the call that
worked or the error that ended the cascade.

What was learnt is kept per server (base URL and model) for the rest of the process, so the
cost is paid once: the next call starts in the mode that worked. Concurrent callers (the
engine runs steps side by side) downgrade by compare-and-set under a lock, so two rejections
in flight never skip a mode. `Server.learnt` says, in one line each, what was learnt.

Retrying transient failures (429, 5xx, timeouts) is the caller's business: the drafter
retries with backoff, the engine follows the flow's retry policy. `openai` is imported
only where a call is made. See docs/architecture.md, "Layers" (a foundations module).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

FORMATS = ("json_schema", "json_object", "text")
"""The response formats, most to least constrained: the cascade goes left to right."""

DEFAULT_BASE_URL = "https://api.openai.com/v1"

FORMAT_WORDS = ("response_format", "response format", "json_schema", "json schema", "json_object", "grammar")
"""Words that make an error a format rejection: the server says what it does not take (llama.cpp
answers a schema its grammar converter cannot take with "Failed to parse grammar")."""

NOT_CAPABILITY_STATUSES = frozenset({401, 403, 404, 408, 429})
"""Statuses that say something else (key, permission, path or model, time, rate) whatever they name."""

MIN_CALL_TIMEOUT = 0.05  # seconds: a call late in the cascade still gets a chance to answer

# Grammar engines (llama.cpp's json-schema-to-grammar, Outlines, XGrammar) turn a `pattern` into
# grammar rules; llama.cpp copies an escape such as `\d`, `\.` or `\S` into the grammar as text
# and the grammar fails to load (issue 17). The drafter's wire schema and `run`'s output
# schemas send patterns with character classes instead (`grammar_pattern`).
GRAMMAR_CLASSES = {
    r"\d": "[0-9]",
    r"\.": "[.]",
    r"\-": "[-]",
    r"\/": "[/]",
    r"\$": "[$]",
    # Looser than `\S` by \f, \v and non-ASCII spaces: the wire only guides the model, the
    # models' own pattern still validates the answer.
    r"\S": r"[^ \t\n\r]",
    r"\s": r"[ \t\n\r]",
    r"\w": "[A-Za-z0-9_]",
}
"""Escape -> character class, for a `pattern` on the wire (outside brackets)."""


def grammar_pattern(pattern: str) -> str:
    """`pattern` with every escape of `GRAMMAR_CLASSES` outside brackets as a character class."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        pair = pattern[i : i + 2]
        if pattern[i] == "\\" and len(pair) == 2:
            out.append(GRAMMAR_CLASSES.get(pair, pair) if not in_class else pair)
            i += 2
            continue
        if pattern[i] == "[" and not in_class:
            in_class = True
        elif pattern[i] == "]" and in_class:
            in_class = False
        out.append(pattern[i])
        i += 1
    return "".join(out)


class NotACompletion(Exception):
    """The server answered something that is not a chat completion (a web page, plain text)."""


class WrongEndpoint(NotACompletion):
    """The base URL serves no chat completions, nor does the same URL with `/v1` added."""


@dataclass
class Server:
    """What one server (base URL and model) accepts, as learnt so far in this process."""

    base_url: str  # as configured
    model: str
    endpoint: str  # where it answers: the base URL, or it with `/v1` added
    format: str = "json_schema"  # the most constrained format not yet rejected
    token_param: str = "max_tokens"
    learnt: list[str] = field(default_factory=list)  # one line per fallback taken


_SERVERS: dict[tuple[str, str], Server] = {}
_LOCK = threading.Lock()


def server(base_url: str | None, model: str) -> Server:
    """The process-wide record of what the server at `base_url` accepts for `model`."""
    url = (base_url or DEFAULT_BASE_URL).rstrip("/")
    with _LOCK:
        found = _SERVERS.get((url, model))
        if found is None:
            found = _SERVERS[(url, model)] = Server(url, model, url)
        return found


def forget(base_url: str | None = None) -> None:
    """Drop what was learnt about one base URL (every model), or about every server."""
    with _LOCK:
        if base_url is None:
            _SERVERS.clear()
            return
        url = base_url.rstrip("/")
        for key in [key for key in _SERVERS if key[0] == url]:
            del _SERVERS[key]


@dataclass(frozen=True)
class Chat:
    """One chat completion to send, before the server's modes are applied to it."""

    model: str
    messages: list[dict[str, str]]
    max_tokens: int | None = None
    temperature: float | None = None
    schema_format: dict[str, Any] | None = None  # the `response_format` of type json_schema
    json_mode: bool = False  # without a schema: ask for JSON mode (and fall back to text)
    schema_hint: str | None = None  # said in the system message when the schema is not enforced
    timeout: float | None = None  # for the whole cascade, in seconds
    options: dict[str, Any] = field(default_factory=dict)  # passed as is (extra_headers…)

    def first_format(self) -> str:
        if self.schema_format is not None:
            return "json_schema"
        return "json_object" if self.json_mode else "text"


@dataclass(frozen=True)
class Sent:
    """How one request of the cascade was sent."""

    endpoint: str
    format: str
    token_param: str
    probe: bool = False  # the base URL with `/v1` added, tried after a 404 or a web page


@dataclass
class Answer:
    """The completion that came back, and how it was asked for."""

    completion: Any
    format: str
    endpoint: str


def message_of(exc: Any) -> str:
    """The server's own error message when its body has one, else the client's, on one line."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return " ".join(str(inner["message"]).split())
        if isinstance(inner, str):
            return " ".join(inner.split())
    return " ".join(str(getattr(exc, "message", exc)).split())


def rejection(exc: Any) -> str | None:
    """`format` or `max_tokens` when an error says the server does not take that, else None."""
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int) or status < 400 or status in NOT_CAPABILITY_STATUSES:
        return None
    said = f"{message_of(exc)} {getattr(exc, 'param', '') or ''} {getattr(exc, 'message', '')}".lower()
    if "max_tokens" in said and (
        "max_completion_tokens" in said or getattr(exc, "param", None) == "max_tokens"
    ):
        return "max_tokens"
    if any(word in said for word in FORMAT_WORDS):
        return "format"
    return None


def model_missing(exc: Any) -> bool:
    """True when an error is the server saying it has no such model: a 404 whose API error
    (a JSON body, not a web server's page) names the model."""
    if getattr(exc, "status_code", None) != 404 or not isinstance(getattr(exc, "body", None), dict):
        return False
    return "model" in message_of(exc).lower()


def pull_hint(exc: Any, model: str | None = None) -> str:
    """What to add to a missing model's remedy when the 404 asks for a pull (Ollama's): fetch
    `model` (a name the user chose), or, when nobody chose the name (a catalog id, the drafting
    default), how to list the models the server has and fetch another."""
    if "pull" not in message_of(exc).lower():
        return ""
    if model is not None:
        return f", or fetch it with `ollama pull {model}`"
    return "; `ollama list` shows the models the server has, `ollama pull NAME` fetches another"


def lacks_version(base_url: str) -> bool:
    """True when the URL's path has no version segment (`/v1`, `/v1beta`…): a `/v1` may be missing."""
    return re.search(r"/v\d+", urlsplit(base_url).path) is None


def _plan(server: Server, chat: Chat, probe: bool) -> Sent:
    with _LOCK:
        index = max(FORMATS.index(chat.first_format()), FORMATS.index(server.format))
        endpoint = (
            f"{server.base_url}/v1" if probe and server.endpoint == server.base_url else server.endpoint
        )
        return Sent(endpoint, FORMATS[index], server.token_param, probe and endpoint != server.endpoint)


def request_kwargs(chat: Chat, sent: Sent, timeout: float | None = None) -> dict[str, Any]:
    """The keyword arguments of `chat.completions.create` for one request of the cascade."""
    messages = [dict(m) for m in chat.messages]
    if chat.schema_hint and chat.schema_format is not None and sent.format != "json_schema":
        if messages and messages[0].get("role") == "system":
            messages[0]["content"] = f"{messages[0]['content']}\n\n{chat.schema_hint}"
        else:
            messages.insert(0, {"role": "system", "content": chat.schema_hint})
    kwargs: dict[str, Any] = {"model": chat.model, "messages": messages, **chat.options}
    if chat.max_tokens is not None:
        kwargs[sent.token_param] = chat.max_tokens
    if chat.temperature is not None:
        kwargs["temperature"] = chat.temperature
    if sent.format == "json_schema":
        kwargs["response_format"] = chat.schema_format
    elif sent.format == "json_object":
        kwargs["response_format"] = {"type": "json_object"}
    if timeout is not None:
        kwargs["timeout"] = timeout
    return kwargs


def _checked(completion: Any) -> Any:
    if isinstance(completion, str | bytes) or not hasattr(completion, "choices"):
        # Served as text/html (or any type but JSON), the client hands back the raw text.
        raise NotACompletion("the answer is not a chat completion (not JSON)")
    return completion


def _decide(server: Server, sent: Sent, exc: Exception, first: Exception | None) -> str | None:
    """After a failed request: `again` (the modes changed), `probe` (try `/v1`) or None (give up)."""
    status = getattr(exc, "status_code", None)
    if _not_found(exc):
        if first is None and sent.endpoint == server.base_url and lacks_version(server.base_url):
            return "probe"
        return None
    with _LOCK:
        if sent.probe and server.endpoint == server.base_url:
            # The server answered at /v1 with an API error: that is where it lives.
            server.endpoint = sent.endpoint
            server.learnt.append(f"{server.base_url} answers at {sent.endpoint}: add /v1 to the base URL")
        kind = rejection(exc)
        if kind == "max_tokens" and sent.token_param == "max_tokens":
            if server.token_param == "max_tokens":
                server.token_param = "max_completion_tokens"
                server.learnt.append(
                    f"{server.base_url} ({server.model}) rejects max_tokens: sending max_completion_tokens"
                )
            return "again"
        if kind == "format" and sent.format != "text":
            if FORMATS.index(server.format) <= FORMATS.index(sent.format):
                server.format = FORMATS[FORMATS.index(sent.format) + 1]
                server.learnt.append(
                    f"{server.base_url} ({server.model}) rejects response_format {sent.format} "
                    f"(HTTP {status}): using {server.format}"
                )
            return "again"
    return None


def _not_found(exc: Exception) -> bool:
    """A 404 or an answer that is no completion: the path may be wrong (a missing model aside)."""
    if isinstance(exc, NotACompletion):
        return True
    return getattr(exc, "status_code", None) == 404 and not model_missing(exc)


def _answered(server: Server, sent: Sent, completion: Any) -> Answer:
    if sent.probe:
        with _LOCK:
            if server.endpoint == server.base_url:
                server.endpoint = sent.endpoint
                server.learnt.append(f"{server.base_url} answers at {sent.endpoint}: add /v1 to the base URL")
    return Answer(completion, sent.format, sent.endpoint)


def _wrong_endpoint(server: Server, first: Exception, last: Exception) -> WrongEndpoint:
    def said(exc: Exception) -> str:
        status = getattr(exc, "status_code", None)
        return f"HTTP {status}" if status is not None else "not a chat completion"

    return WrongEndpoint(
        f"{server.base_url} serves no chat completions ({said(first)} at /chat/completions, "
        f"{said(last)} at /v1/chat/completions): is the base URL the server's OpenAI-compatible "
        "/v1 endpoint?"
    )


def _remaining(chat: Chat, started: float) -> float | None:
    if chat.timeout is None:
        return None
    return max(MIN_CALL_TIMEOUT, chat.timeout - (time.monotonic() - started))


def _failure_types() -> tuple[type[Exception], ...]:
    import openai

    return (openai.APIStatusError, NotACompletion, ValueError)


def _as_failure(exc: Exception) -> Exception:
    # The client decodes JSON bodies itself: an HTML page or a proxy's text answered with 200
    # and `application/json` surfaces as a JSONDecodeError (a ValueError).
    if isinstance(exc, ValueError) and not isinstance(exc, NotACompletion):
        return NotACompletion("the answer is not a chat completion (not JSON)")
    return exc


class _Cascade:
    """The fallback cascade of one chat, without the I/O: what to send next, and what a
    failure means (try again, probe another endpoint, or give up). `create` sends
    synchronously and `acreate` awaits; both drive this one decision."""

    def __init__(self, server: Server, chat: Chat) -> None:
        self.server, self.chat = server, chat
        self.failures = _failure_types()
        self.started = time.monotonic()
        self.first: Exception | None = None  # the failure that made the cascade probe
        self.probe = False

    def plan(self) -> Sent:
        return _plan(self.server, self.chat, self.probe)

    def kwargs(self, sent: Sent) -> dict[str, Any]:
        """The request, with what is left of the chat's time budget."""
        return request_kwargs(self.chat, sent, _remaining(self.chat, self.started))

    def failed(self, sent: Sent, raised: Exception) -> None:
        """After a failure: return to send again (the next plan), or raise to end the cascade."""
        exc = _as_failure(raised)
        step = _decide(self.server, sent, exc, self.first)
        if step == "probe":
            self.first, self.probe = exc, True
            return
        if step == "again":
            return
        if self.first is not None and sent.probe and _not_found(exc):
            raise _wrong_endpoint(self.server, self.first, exc) from None
        if exc is raised:
            raise raised
        raise exc from None


def create(server: Server, chat: Chat, client_at: Callable[[str], Any]) -> Answer:
    """One chat completion through a sync `openai.OpenAI` (`client_at(endpoint)`), after fallbacks.

    Raises the client's error that ended the cascade, `NotACompletion` or `WrongEndpoint`.
    """
    cascade = _Cascade(server, chat)
    while True:
        sent = cascade.plan()
        client = client_at(sent.endpoint)
        try:
            completion = _checked(client.chat.completions.create(**cascade.kwargs(sent)))
        except cascade.failures as raised:
            cascade.failed(sent, raised)
            continue
        return _answered(server, sent, completion)


async def acreate(server: Server, chat: Chat, client_at: Callable[[str], Any]) -> Answer:
    """`create` through an `openai.AsyncOpenAI`: the same cascade, for the engine's event loop."""
    cascade = _Cascade(server, chat)
    while True:
        sent = cascade.plan()
        client = client_at(sent.endpoint)
        try:
            pending: Awaitable[Any] = client.chat.completions.create(**cascade.kwargs(sent))
            completion = _checked(await pending)
        except cascade.failures as raised:
            cascade.failed(sent, raised)
            continue
        return _answered(server, sent, completion)


# ------------------------------------------------------------------ JSON out of a text answer

_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.S | re.I)
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)


def json_text(content: str) -> str:
    """The JSON in an answer, as JSON text: bare, in a fenced block, or amid prose.

    An answer that holds no JSON value comes back as it was, for the caller to report. A
    reasoning model's `<think>…</think>` is skipped first: its braces are not the answer.
    """
    text = _THINK.sub("", content or "").strip()
    try:
        json.loads(text)
    except ValueError:
        pass
    else:
        return text
    for lang, body in _FENCE.findall(text):
        if lang.lower() not in ("", "json", "json5", "jsonc"):
            continue
        try:
            return json.dumps(json.loads(body.strip()))
        except ValueError:
            continue
    found = _largest_value(text)
    return json.dumps(found) if found is not None else content


def _largest_value(text: str) -> Any:
    """The longest JSON object or array that starts at a `{` or `[` in `text`, or None."""
    decoder = json.JSONDecoder()
    best: tuple[int, Any] | None = None
    start = _next_open(text, 0)
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            start = _next_open(text, start + 1)
            continue
        if best is None or end - start > best[0]:
            best = (end - start, value)
        start = _next_open(text, end)
    return best[1] if best is not None else None


def _next_open(text: str, start: int) -> int:
    found = [i for i in (text.find("{", start), text.find("[", start)) if i != -1]
    return min(found) if found else -1
