"""The real HTTP client of http steps: httpx, one connection pool per engine."""

from __future__ import annotations

from typing import Any

from copilot.run.providers.base import HttpResponse, ProviderError


class HttpxClient:
    """Sends http steps' requests with httpx; timeouts and transport failures are classified."""

    resolves_env = True

    def __init__(self, client: Any = None) -> None:
        self._client = client

    def _get(self) -> Any:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(follow_redirects=False)
        return self._client

    async def request(
        self, method: str, url: str, headers: dict[str, str], json: Any, timeout: float | None
    ) -> HttpResponse:
        import httpx

        client = self._get()
        try:
            response = await client.request(
                method, url, headers=headers, json=json if method != "GET" else None, timeout=timeout
            )
        except httpx.TimeoutException:
            raise ProviderError("timeout", f"{method} request timed out") from None
        except httpx.InvalidURL:
            raise ProviderError("client_error", f"{method} request: invalid URL") from None
        except httpx.UnsupportedProtocol:
            raise ProviderError("client_error", f"{method} request: unsupported URL scheme") from None
        except httpx.TransportError as exc:
            raise ProviderError("connection_error", f"{method} request: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        return HttpResponse(response.status_code, body, response.text, dict(response.headers))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
