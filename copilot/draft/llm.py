"""The drafting model, through the official `openai` client, against any compatible server.

The request asks for strict structured output first. A server that rejects it (any error
but 401/403/404/408/429 naming `response_format`, `json_schema` or `json_object`, such as
vLLM's 400 or llama-cpp-python's 500) is asked again in JSON mode, then in plain text, and
the answer's JSON is extracted (`copilot.draft.extract`); a model that rejects `max_tokens`
gets `max_completion_tokens`, and a base URL without `/v1` is tried with it; a model the
server does not have (its 404 names the model) ends at once with that name. That cascade
is `copilot.openai_compat`, shared with `run --provider openai`, and what it learns about a
server is kept for the process. Each call has a timeout.
Retries on 429, 5xx and timeouts are done here rather than inside the openai client
(`max_retries=0`), so that the waits are visible, honour `Retry-After`, and are testable
with an injected `sleep`. Every failure becomes one `LlmError` line that names the cause and
what to do about it.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from copilot import openai_compat
from copilot.draft.settings import DEFAULT_MODEL, LlmSettings
from copilot.errors import FlowgenError

MODES = openai_compat.FORMATS
MAX_RETRY_AFTER = 60.0  # longer waits are reported instead of slept through
BACKOFF_INITIAL = 1.0
BACKOFF_MAX = 20.0


class LlmError(FlowgenError):
    """The drafting call failed: one line naming the cause and the remedy."""


@dataclass
class Completion:
    """One answer of the drafting model."""

    content: str | None
    finish_reason: str | None
    refusal: str | None
    input_tokens: int | None
    output_tokens: int | None
    mode: str  # the response_format mode that was accepted
    model: str | None  # as the server reported it
    attempts: int = 1
    waits: list[float] = field(default_factory=list)  # seconds slept before retries

    def to_dict(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "finish_reason": self.finish_reason,
            "refusal": self.refusal,
            "usage": {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens},
            "mode": self.mode,
            "model": self.model,
            "attempts": self.attempts,
            "waits_s": self.waits,
        }


def _one_line(text: Any, limit: int = 200) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _server_message(exc: Any) -> str:
    return _one_line(openai_compat.message_of(exc))


def retry_after(headers: Any, now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class ChatClient:
    """A chat-completions client for drafting: structured output, fallbacks, retries."""

    def __init__(
        self,
        settings: LlmSettings,
        schema_format: dict[str, Any] | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.schema_format = schema_format
        self.mode = "json_schema" if schema_format else "json_object"
        self.compact = settings.schema == "compact"  # the compact wire schema (copilot.draft.wire)
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.server = openai_compat.server(settings.endpoint, settings.model)
        self._clients: dict[str, Any] = {}

    def _openai(self, endpoint: str) -> Any:
        client = self._clients.get(endpoint)
        if client is None:
            import openai  # heavy: only when a draft really calls a model

            client = self._clients[endpoint] = openai.OpenAI(
                api_key=self.settings.api_key or "not-needed",  # local servers take no key
                base_url=endpoint,
                timeout=self.settings.timeout,
                max_retries=0,
            )
        return client

    def _chat(self, messages: list[dict[str, str]]) -> openai_compat.Chat:
        return openai_compat.Chat(
            self.settings.model,
            messages,
            max_tokens=self.settings.max_tokens,
            temperature=0,
            schema_format=self.schema_format,
            json_mode=True,
        )

    def complete(self, messages: list[dict[str, str]]) -> Completion:
        """One answer, after format fallbacks and retries; `LlmError` when there is none."""
        import openai

        attempts = 0
        waits: list[float] = []
        while True:
            attempts += 1
            try:
                answer = openai_compat.create(self.server, self._chat(messages), self._openai)
            except (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError) as exc:
                wait = self._wait_before_retry(exc, attempts)
                if wait is None:
                    raise self._exhausted(exc, attempts) from None
                waits.append(wait)
                self.sleep(wait)
                continue
            except openai.APIConnectionError as exc:
                raise LlmError(
                    f"cannot connect to the LLM server at {self.settings.endpoint} "
                    f"({_one_line(exc.__cause__ or exc.message, 120)}): is it running? "
                    "Check --base-url / OPENAI_BASE_URL, or draft with --provider offline"
                ) from None
            except openai.APIStatusError as exc:
                raise self._status_error(exc) from None
            except openai.APIResponseValidationError as exc:
                raise LlmError(
                    f"the LLM server at {self.settings.endpoint} sent a response that is not a chat "
                    f"completion ({_one_line(exc.message, 120)}): check --base-url"
                ) from None
            except openai.OpenAIError as exc:
                raise LlmError(f"the openai client failed: {_one_line(exc)}") from None
            except openai_compat.WrongEndpoint as exc:
                raise LlmError(f"the LLM server at {exc}: check --base-url / OPENAI_BASE_URL") from None
            except openai_compat.NotACompletion:
                raise self._not_a_completion() from None
            self.mode = answer.format
            return self._completion(answer.completion, attempts, waits)

    def _not_a_completion(self) -> LlmError:
        return LlmError(
            f"the LLM server at {self.settings.endpoint} answered with something that is not a chat "
            "completion (not JSON): is --base-url the /v1 endpoint?"
        )

    def _completion(self, response: Any, attempts: int, waits: list[float]) -> Completion:
        if isinstance(response, str | bytes) or not hasattr(response, "choices"):
            # Served as text/html (or any non-JSON type), the client hands back the raw text.
            raise self._not_a_completion()
        choices = getattr(response, "choices", None) or []
        if not choices:
            raise LlmError(
                f"the LLM server at {self.settings.endpoint} answered with no choices: "
                "check that it serves chat completions for this --model"
            )
        choice = choices[0]
        message = choice.message
        usage = getattr(response, "usage", None)
        return Completion(
            content=message.content,
            finish_reason=choice.finish_reason,
            refusal=getattr(message, "refusal", None),
            input_tokens=getattr(usage, "prompt_tokens", None) if usage else None,
            output_tokens=getattr(usage, "completion_tokens", None) if usage else None,
            mode=self.mode,
            model=getattr(response, "model", None),
            attempts=attempts,
            waits=waits,
        )

    def _wait_before_retry(self, exc: Any, attempts: int) -> float | None:
        """Seconds to sleep before the next attempt, or None when retrying is over."""
        if attempts > self.settings.retries:
            return None
        response = getattr(exc, "response", None)
        asked = retry_after(getattr(response, "headers", None)) if response is not None else None
        if asked is not None:
            return asked if asked <= MAX_RETRY_AFTER else None
        cap = min(BACKOFF_MAX, BACKOFF_INITIAL * 2 ** (attempts - 1))
        return self.rng.uniform(0, cap)  # full jitter: concurrent drafts do not retry in step

    def _exhausted(self, exc: Any, attempts: int) -> LlmError:
        import openai

        where = self.settings.endpoint
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if isinstance(exc, openai.APITimeoutError):
            return LlmError(
                f"no answer from the LLM server at {where} within {self.settings.timeout:g}s ({tries}): "
                "raise --timeout, pick a faster --model, or draft with --provider offline"
            )
        response = getattr(exc, "response", None)
        asked = retry_after(getattr(response, "headers", None)) if response is not None else None
        if isinstance(exc, openai.RateLimitError):
            later = f"; it asks to wait {asked:g}s" if asked is not None else ""
            return LlmError(
                f"rate limited by the LLM server at {where} (HTTP 429) after {tries}{later}: "
                f"wait and try again, or use another --model ({_server_message(exc)})"
            )
        return LlmError(
            f"the LLM server at {where} failed (HTTP {exc.status_code}) after {tries}: "
            f"try again later, or draft with --provider offline ({_server_message(exc)})"
        )

    def _status_error(self, exc: Any) -> LlmError:
        status = getattr(exc, "status_code", "?")
        where = self.settings.endpoint
        detail = _server_message(exc)
        if status == 401:
            return LlmError(
                f"the LLM server at {where} rejected the API key (HTTP 401, key from "
                f"{self.settings.key_source or 'nowhere'}): set OPENAI_API_KEY or pass --api-key ({detail})"
            )
        if status == 403:
            return LlmError(
                f"the API key may not use model `{self.settings.model}` at {where} (HTTP 403): "
                f"check the key's project and permissions ({detail})"
            )
        if status == 404 and openai_compat.model_missing(exc):
            model = self.settings.model
            chosen = model if model != DEFAULT_MODEL else None  # the default: nobody asked for it here
            return LlmError(
                f"model `{model}` was not found at {self.server.endpoint} (HTTP 404: {detail}): pick one "
                f"the server has with --model / FLOWGEN_MODEL{openai_compat.pull_hint(exc, chosen)}"
            )
        if status == 404:
            return LlmError(
                f"model `{self.settings.model}` was not found at {where} (HTTP 404): check --model / "
                f"FLOWGEN_MODEL, and that --base-url is the server's /v1 endpoint ({detail})"
            )
        if openai_compat.rejection(exc) == "format" and self.server.format == "text":
            return LlmError(
                f"the LLM server at {where} rejects every output format (HTTP {status}): {detail}"
            )
        return LlmError(f"the LLM server at {where} rejected the request (HTTP {status}): {detail}")


def drafting_cost(
    model: str, input_tokens: int | None, output_tokens: int | None, catalog: Any
) -> float | None:
    """USD the drafting calls cost at catalog prices, or None when the model is not listed."""
    if input_tokens is None or output_tokens is None:
        return None
    wanted = model.split("/")[-1]
    for profile in catalog.models.values():
        if wanted in (profile.model, profile.snapshot) or model == profile.id:
            return profile.cost(input_tokens, output_tokens)
    return None
