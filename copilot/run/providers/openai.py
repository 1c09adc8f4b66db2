"""Any OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp…) via the
official `openai` package.

When a step has an `output_schema`, the call asks for structured output
(`response_format: json_schema, strict: true`); the engine still validates the answer,
because not every compatible server enforces the schema. The client's own retries are
off: the flow's retry policy, with its deadline, is the only one.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from copilot.run.providers.base import ModelRequest, ModelResponse, ProviderError, kind_for_status


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as strict structured output wants it: every object closed, all keys required.

    Optional keys become nullable-required is what OpenAI documents; to keep answers valid
    against the original schema, only objects' `additionalProperties` and `required` are
    filled in, the rest is left as written.
    """
    out = copy.deepcopy(schema)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" or "properties" in node:
                props = node.get("properties") or {}
                node.setdefault("additionalProperties", False)
                node["required"] = list(props)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(out)
    return out


class OpenAIProvider:
    """Chat completions through `openai.AsyncOpenAI`; one client per base URL."""

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
        self._clients: dict[str | None, Any] = {}

    def _client(self, base_url: str | None) -> Any:
        url = base_url or self.base_url
        client = self._clients.get(url)
        if client is None:
            import openai

            if self.api_key is None:
                raise ProviderError(
                    "client_error", "no API key: set OPENAI_API_KEY, or --base-url for a local server"
                )
            client = openai.AsyncOpenAI(api_key=self.api_key, base_url=url, max_retries=0)
            self._clients[url] = client
        return client

    async def complete(self, request: ModelRequest) -> ModelResponse:
        import openai

        client = self._client(request.base_url)
        model = self.model_override or request.profile.model
        messages = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.append({"role": "user", "content": request.user})
        kwargs: dict[str, Any] = {"model": model, "messages": messages}
        if request.max_tokens is not None:
            kwargs["max_tokens"] = request.max_tokens
        if request.temperature is not None:
            kwargs["temperature"] = request.temperature
        if request.output_schema is not None:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": f"{request.step_id or 'output'}"[:64],
                    "schema": strict_schema(request.output_schema),
                    "strict": True,
                },
            }
        if request.idempotency_key:
            kwargs["extra_headers"] = {"Idempotency-Key": request.idempotency_key}
        if request.timeout is not None:
            kwargs["timeout"] = request.timeout
        try:
            completion = await client.chat.completions.create(**kwargs)
        except openai.APITimeoutError:
            raise ProviderError("timeout", f"{model}: the request timed out") from None
        except openai.APIConnectionError as exc:
            raise ProviderError("connection_error", f"{model}: {type(exc).__name__}") from None
        except openai.APIStatusError as exc:
            status = exc.status_code
            retry_after = None
            try:
                from copilot.run.providers.base import parse_retry_after

                retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
            except AttributeError:
                pass
            raise ProviderError(
                kind_for_status(status), f"{model}: {_short(exc)}", status=status, retry_after=retry_after
            ) from None
        except openai.OpenAIError as exc:
            raise ProviderError("invalid_output", f"{model}: {_short(exc)}") from None
        choice = completion.choices[0] if completion.choices else None
        content = (choice.message.content if choice is not None else None) or ""
        usage = completion.usage
        input_tokens = usage.prompt_tokens if usage is not None else 0
        output_tokens = usage.completion_tokens if usage is not None else 0
        return ModelResponse(
            content=content,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            model=completion.model or model,
            cost=request.profile.cost(input_tokens, output_tokens),
        )

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."
