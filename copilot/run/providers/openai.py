"""Any OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp…) via the
official `openai` package.

When a step has an `output_schema`, the call asks for structured output
(`response_format: json_schema, strict: true`). A server that does not take it is asked
in JSON mode, then in plain text, with the schema said in the system message; the JSON is
taken out of a fenced block or prose (`copilot.openai_compat`, shared with `draft`, which
also sends `max_completion_tokens` to models that reject `max_tokens` and finds a missing
`/v1`, once per server for the whole process). The engine still validates the answer
against the schema, because not every compatible server enforces it. The client's own
retries are off: the flow's retry policy, with its deadline, is the only one; a fallback
is not a retry.

A model the server does not have (a 404 that names the model: Ollama answers a catalog id
it has not pulled that way) is not a failure of one call but of the setup: the first one
becomes one line naming the model and the remedy (`missing_model`, which `run` and `test`
end with, exit 2), and later calls of the same model at the same server fail at once
without a request, whatever the flow's retry policy says.

So that "later" includes calls made while the first one is still out, the first call of
each model at each server goes alone (`_first_call`): calls that come meanwhile (other
events of a load test, parallel steps) wait for its answer, within their own timeout, and
then either fail at once with the same line or go ahead in the mode the server was found
to take (a format fallback is then paid once, not once per call in flight). Once the server
has answered for that model over HTTP, with anything but "no such model", nothing waits. A
first call that gets no answer (a timeout, a refused connection) hands the turn to the next.
The price is one call's latency for whatever arrives during the very first call.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
from typing import Any

from copilot import openai_compat
from copilot.run.providers.base import (
    ModelRequest,
    ModelResponse,
    ProviderError,
    kind_for_status,
    parse_retry_after,
)

SCHEMA_HINT = "Answer with one JSON object, and nothing else, that matches this JSON Schema: "


DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples", "example"})
"""Keywords whose values are JSON data, not schemas: left as written."""


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as strict structured output wants it: every object closed, all keys required.

    Optional keys become nullable-required is what OpenAI documents; to keep answers valid
    against the original schema, only objects' `additionalProperties` and `required` are
    filled in, the rest is left as written, but for each `pattern`: its escapes go as
    character classes (`\\d` as `[0-9]`, `openai_compat.grammar_pattern`), which a grammar
    engine (llama.cpp) can load. The engine validates the answer against the schema as written.
    """
    out = copy.deepcopy(schema)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" or "properties" in node:
                props = node.get("properties") or {}
                node.setdefault("additionalProperties", False)
                node["required"] = list(props)
            if isinstance(node.get("pattern"), str):
                node["pattern"] = openai_compat.grammar_pattern(node["pattern"])
            for key, value in node.items():
                if key not in DATA_KEYWORDS:
                    visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(out)
    return out


class OpenAIProvider:
    """Chat completions through `openai.AsyncOpenAI`; one client per endpoint."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model_override: str | None = None,
    ) -> None:
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        # Local servers (vLLM, Ollama) accept any key; the client refuses to start without one.
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY") or ("unused" if self.base_url else None)
        self.model_override = model_override
        self.calls = 0  # requests made (a load test's `model_calls`), fallbacks of the cascade aside
        self._clients: dict[str, Any] = {}
        self._servers: dict[tuple[str, str], openai_compat.Server] = {}
        self._unpriced: dict[str, str] = {}  # alias -> the model sent that has no price
        self._missing: dict[tuple[str, str], str] = {}  # (base URL, model) the server lacks -> the line
        self._answered: set[tuple[str, str]] = set()  # (base URL, model) the server answered over HTTP
        self._asking: dict[tuple[str, str], asyncio.Event] = {}  # first calls out, set when they end
        self.missing_model: str | None = None
        """The first model a server said it does not have, as one line with the remedy."""

    @property
    def notes(self) -> list[str]:
        """What the servers this provider called did not accept and what was sent instead (the
        response format a server needed), and which calls have no known cost."""
        lines = [line for server in self._servers.values() for line in server.learnt]
        lines += [
            f"cost unknown for model `{alias}`: {model} is not the model the catalog prices; give the "
            "alias its own `price` to count it"
            for alias, model in self._unpriced.items()
        ]
        return lines

    def _client(self, endpoint: str) -> Any:
        client = self._clients.get(endpoint)
        if client is None:
            import openai

            api_key = self.api_key
            if api_key is None and endpoint.rstrip("/") != openai_compat.DEFAULT_BASE_URL:
                api_key = "unused"  # an alias's own base_url: a local server takes any key
            if api_key is None:
                raise ProviderError(
                    "client_error", "no API key: set OPENAI_API_KEY, or --base-url for a local server"
                )
            client = openai.AsyncOpenAI(api_key=api_key, base_url=endpoint, max_retries=0)
            self._clients[endpoint] = client
        return client

    def _chat(self, request: ModelRequest, model: str) -> openai_compat.Chat:
        messages = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.append({"role": "user", "content": request.user})
        schema_format = hint = None
        if request.output_schema is not None:
            schema = strict_schema(request.output_schema)
            schema_format = {
                "type": "json_schema",
                "json_schema": {
                    "name": f"{request.step_id or 'output'}"[:64],
                    "schema": schema,
                    "strict": True,
                },
            }
            # Said only when the server does not enforce the schema (json_object or text mode).
            hint = SCHEMA_HINT + json.dumps(request.output_schema, separators=(",", ":"))
        options: dict[str, Any] = {}
        if request.idempotency_key:
            options["extra_headers"] = {"Idempotency-Key": request.idempotency_key}
        return openai_compat.Chat(
            model,
            messages,
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            schema_format=schema_format,
            schema_hint=hint,
            timeout=request.timeout,
            options=options,
        )

    async def complete(self, request: ModelRequest) -> ModelResponse:
        import openai

        model = self.model_override or request.profile.model
        server = openai_compat.server(request.base_url or self.base_url, model)
        key = (server.base_url, model)
        self._servers[key] = server
        first = key not in self._answered and await self._first_call(key, request, model)
        answered = False  # the server answered over HTTP, and not with "no such model"
        try:
            missing = self._missing.get(key)
            if missing is not None:  # the server said it has no such model: not asked again
                raise ProviderError("client_error", missing, status=404)
            self.calls += 1
            try:
                answer = await openai_compat.acreate(server, self._chat(request, model), self._client)
            except openai.APITimeoutError:
                raise ProviderError("timeout", f"{model}: the request timed out") from None
            except openai.APIConnectionError as exc:
                raise ProviderError("connection_error", f"{model}: {type(exc).__name__}") from None
            except openai.APIStatusError as exc:
                if openai_compat.model_missing(exc):
                    raise self._model_missing(request, model, server, exc) from None
                answered = True
                status = exc.status_code
                headers = getattr(getattr(exc, "response", None), "headers", None)
                retry_after = parse_retry_after(headers.get("retry-after")) if headers is not None else None
                raise ProviderError(
                    kind_for_status(status), f"{model}: {_short(exc)}", status=status, retry_after=retry_after
                ) from None
            except openai_compat.NotACompletion as exc:
                raise ProviderError("client_error", f"{model} at {server.endpoint}: {exc}") from None
            except openai.OpenAIError as exc:
                answered = True
                raise ProviderError("invalid_output", f"{model}: {_short(exc)}") from None
            answered = True
        finally:
            if answered:
                self._answered.add(key)
            if first:  # the calls waiting for this one's answer read it now
                self._asking.pop(key).set()
        completion = answer.completion
        choice = completion.choices[0] if completion.choices else None
        content = (choice.message.content if choice is not None else None) or ""
        if request.output_schema is not None:
            content = openai_compat.json_text(content)  # fenced or amid prose: the JSON alone
        usage = completion.usage
        input_tokens = usage.prompt_tokens if usage is not None else 0
        output_tokens = usage.completion_tokens if usage is not None else 0
        priced = request.profile.priced_for(model)
        if not priced:
            self._unpriced.setdefault(request.alias, model)
        return ModelResponse(
            content=content,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            model=completion.model or model,
            cost=request.profile.cost(input_tokens, output_tokens) if priced else 0.0,
            cost_known=priced,
        )

    async def _first_call(self, key: tuple[str, str], request: ModelRequest, model: str) -> bool:
        """True when this call is the first of `model` at this server (it then goes alone);
        False once a first call has ended with an answer, after waiting for it if it is out."""
        while key not in self._answered and key not in self._missing:
            asking = self._asking.get(key)
            if asking is None:
                self._asking[key] = asyncio.Event()
                return True
            try:
                async with asyncio.timeout(request.timeout):
                    await asking.wait()
            except TimeoutError:
                raise ProviderError(
                    "timeout", f"{model}: the request timed out waiting for the server's first answer"
                ) from None
        return False

    def _model_missing(
        self, request: ModelRequest, model: str, server: openai_compat.Server, exc: Exception
    ) -> ProviderError:
        """The error of this call and of every later call of `model` at this server."""
        alias = request.alias
        chosen: str | None = model  # a name the user chose: the override, or the alias's own `model`
        if self.model_override:
            remedy = "pass a --model-override the server has"
        elif model != request.profile.id.split("/", 1)[-1]:
            remedy = f"set the `model` of alias `{alias}` to one the server has"
        else:
            chosen = None  # the catalog entry's own name
            remedy = (
                f"send a model the server has: --model-override NAME, or give the alias `{alias}` its own "
                "`model` (and `base_url`)"
            )
        line = (
            f"model `{model}` (alias `{alias}`) was not found at {server.endpoint} "
            f"(HTTP 404: {openai_compat.message_of(exc)}): {remedy}{openai_compat.pull_hint(exc, chosen)}"
        )
        self._missing[(server.base_url, model)] = line
        if self.missing_model is None:
            self.missing_model = line
        return ProviderError("client_error", line, status=404)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."
