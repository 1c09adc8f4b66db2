"""What a delivery must pass before it costs anything: size, type, JSON, schema, rate, room.

Each refusal is a `Refusal` (status, body, headers) the app answers as it is:

- the body is capped (413) before it is read: `Content-Length` first, then bytes are
  counted as they stream, so a lying or chunked sender is cut off at the cap;
- JSON only: another `Content-Type` is 415, a parse error 400 with its line and column,
  RFC 8259 strictly (`copilot.flow.load.strict_json`: no NaN, no duplicate keys);
- `Admission`: the ingress rate limit of `trigger.rate_limit` (aiolimiter's leaky bucket,
  as `copilot.run.resilience.ratelimit.flow_limiter` builds it; 429 with Retry-After) and
  `trigger.concurrency` events at once with a bounded queue behind them (503 with
  Retry-After when the queue is full), so memory stays bounded under any load.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_CONCURRENCY = 100  # a flow without `trigger.concurrency` is still bounded


@dataclass(slots=True)
class Refusal(Exception):
    """An answer that ends a request early."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def json_content_type(value: str | None) -> bool:
    """`application/json` or `application/<x>+json`, any parameters (charset) aside."""
    if not value:
        return False
    kind = value.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


async def read_body(request: Any, cap: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed `cap` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > cap:
                raise Refusal(413, {"error": f"body larger than {cap} bytes"})
        except ValueError:
            raise Refusal(400, {"error": "Content-Length is not a number"}) from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise Refusal(413, {"error": f"body larger than {cap} bytes"})
        chunks.append(chunk)
    return b"".join(chunks)


def parse_event(body: bytes) -> dict[str, Any]:
    """The event: a JSON object, or 400 naming where the parse failed."""
    from copilot.errors import FlowgenError
    from copilot.flow.load import strict_json

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refusal(400, {"error": f"body is not UTF-8 (byte {exc.start})"}) from None
    try:
        event = strict_json(text, "<body>")
    except FlowgenError as exc:
        where = exc.position
        error: dict[str, Any] = {"error": exc.message}
        if where is not None:
            error.update(line=where.line, column=where.col)
        raise Refusal(400, error) from None
    if not isinstance(event, dict):
        raise Refusal(400, {"error": f"an event is a JSON object, not {type(event).__name__}"})
    return event


class Admission:
    """One flow's ingress: a rate limit, then a slot among `concurrency` with a bounded queue."""

    def __init__(self, rate_limit: Any, concurrency: int | None, queue: int | None = None) -> None:
        from copilot.run.resilience.ratelimit import flow_limiter

        self.limiter = flow_limiter(rate_limit)
        self.slots = concurrency or DEFAULT_CONCURRENCY
        self.queue = self.slots if queue is None else queue
        self._free = asyncio.Semaphore(self.slots)
        self.waiting = 0

    async def check_rate(self) -> None:
        """Take one unit of the rate limit, or refuse with 429 and when to come back."""
        limiter = self.limiter
        if limiter is None:
            return
        if not limiter.has_capacity():
            retry = max(1, math.ceil(limiter.time_period / limiter.max_rate))
            raise Refusal(429, {"error": "rate limit exceeded"}, {"Retry-After": str(retry)})
        await limiter.acquire()  # has_capacity() held: this counts the unit without waiting

    async def enter(self) -> None:
        """Wait for a slot; refuse with 503 when every slot is busy and the queue is full."""
        if self._free.locked() and self.waiting >= self.queue:
            raise Refusal(503, {"error": "too busy"}, {"Retry-After": "1"})
        self.waiting += 1
        try:
            await self._free.acquire()
        finally:
            self.waiting -= 1

    async def enter_unqueued(self) -> None:
        """Wait for a slot without counting against the queue (work the server owes: recovery)."""
        await self._free.acquire()

    def leave(self) -> None:
        self._free.release()
