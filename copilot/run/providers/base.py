"""The provider boundary: every model call and every HTTP call of a flow crosses it.

Keeping one small protocol for each (`Provider`, `HttpClient`) is what lets the sim
provider, the openai provider and `flowgen test`'s fault injection stand in for each
other without the engine knowing which one it talks to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from copilot.catalog import ModelProfile

ErrorKind = Literal[
    "timeout", "rate_limit", "server_error", "connection_error", "client_error", "invalid_output"
]
ERROR_KINDS: tuple[str, ...] = (
    "timeout",
    "rate_limit",
    "server_error",
    "connection_error",
    "client_error",
    "invalid_output",
)
TRANSIENT_KINDS = frozenset({"timeout", "rate_limit", "server_error", "connection_error"})
"""Failures worth retrying by default, and the ones a circuit breaker counts."""


@dataclass(slots=True)
class ModelRequest:
    """One model call, fully rendered: what the provider sends."""

    alias: str  # the flow's alias (`fast`), not the provider's model name
    profile: ModelProfile
    system: str | None
    user: str
    max_tokens: int | None = None
    output_schema: dict[str, Any] | None = None
    step_id: str = ""
    idempotency_key: str | None = None
    timeout: float | None = None  # seconds left for this call (step timeout ∧ remaining deadline)
    attempt: int = 0  # 0 for the first call of this alias, 1 for its first retry…
    seed: int = 0
    temperature: float | None = None
    base_url: str | None = None  # the alias's own OpenAI-compatible endpoint, already resolved


@dataclass(slots=True)
class ModelResponse:
    """What came back: the raw text (JSON when an output_schema was asked for) and usage."""

    content: str
    input_tokens: int
    output_tokens: int
    model: str  # the model that actually answered (provider's name)
    cost: float  # USD (0 when not known)
    cost_known: bool = True  # False: the model sent has no price (ModelProfile.priced_for)


class ProviderError(Exception):
    """A failed call, classified so retry policies and breakers can act on the class."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str = "",
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message or kind)
        self.kind: ErrorKind = kind
        self.status = status
        self.retry_after = retry_after
        self.message = message or kind

    def __str__(self) -> str:
        status = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.kind}{status}: {self.message}" if self.message != self.kind else f"{self.kind}{status}"


def kind_for_status(status: int) -> ErrorKind:
    """The error class of an HTTP status (408 is a timeout, 429 a rate limit)."""
    if status == 408:
        return "timeout"
    if status == 429:
        return "rate_limit"
    if status >= 500:
        return "server_error"
    return "client_error"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    import datetime as dt

    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


@runtime_checkable
class Provider(Protocol):
    """Anything that answers a `ModelRequest` (sim, openai, a fault injector around either)."""

    async def complete(self, request: ModelRequest) -> ModelResponse: ...


@dataclass(slots=True)
class HttpResponse:
    """An HTTP answer: status, the parsed JSON body (None when not JSON) and the text."""

    status: int
    json: Any = None
    text: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class HttpClient(Protocol):
    """Anything that sends an http step's request (httpx, the sim client, a fault injector).

    Raises `ProviderError` for timeouts and connection failures; an HTTP error status is
    returned as a response, and the engine classifies it.
    """

    async def request(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        json: Any,
        timeout: float | None,
    ) -> HttpResponse: ...
