"""Helpers for engine tests: flows from text, a scripted provider, virtual time."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from copilot.flow.load import load_flow_text
from copilot.run.providers.base import HttpResponse, ModelRequest, ModelResponse, ProviderError
from copilot.run.providers.sim import answer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "flows"


def flow_from(text: str) -> Any:
    return load_flow_text(textwrap.dedent(text), "test.yaml").flow


@dataclass
class Behaviour:
    """What one alias does per call: a latency, or an error, or a hang (None latency)."""

    latency: float | None = 0.1
    errors: list[ProviderError | None] = field(default_factory=list)  # consumed per call, None = ok
    content: Callable[[ModelRequest], str] | None = None


class ScriptedProvider:
    """A provider whose latency and failures are scripted per alias; it records every call."""

    def __init__(
        self, behaviours: dict[str, Behaviour] | None = None, default: Behaviour | None = None
    ) -> None:
        self.behaviours = behaviours or {}
        self.default = default or Behaviour()
        self.calls: list[tuple[str, float, int]] = []  # (alias, loop time at start, attempt)
        self.cancelled: list[str] = []
        self.requests: list[ModelRequest] = []

    async def complete(self, request: ModelRequest) -> ModelResponse:
        loop = asyncio.get_running_loop()
        self.calls.append((request.alias, loop.time(), request.attempt))
        self.requests.append(request)
        behaviour = self.behaviours.get(request.alias, self.default)
        error = behaviour.errors.pop(0) if behaviour.errors else None
        try:
            if behaviour.latency is None:
                await asyncio.sleep(10_000)  # hangs
            else:
                await asyncio.sleep(behaviour.latency)
        except asyncio.CancelledError:
            self.cancelled.append(request.alias)
            raise
        if error is not None:
            raise error
        content = behaviour.content(request) if behaviour.content else answer(request)
        return ModelResponse(content, 10, 5, request.profile.model, request.profile.cost(10, 5))

    def count(self, alias: str | None = None) -> int:
        return len([c for c in self.calls if alias is None or c[0] == alias])


class RecordingHttp:
    """An HttpClient that records requests and answers from a script of statuses."""

    resolves_env = True

    def __init__(self, statuses: list[int] | None = None, latency: float = 0.05) -> None:
        self.statuses = statuses or []
        self.latency = latency
        self.requests: list[dict[str, Any]] = []

    async def request(self, method, url, headers, json, timeout):  # type: ignore[no-untyped-def]
        self.requests.append({"method": method, "url": url, "headers": dict(headers), "json": json,
                              "timeout": timeout})  # fmt: skip
        await asyncio.sleep(self.latency)
        status = self.statuses.pop(0) if self.statuses else 200
        return HttpResponse(status, {"status": status}, "", {"retry-after": "1"} if status == 429 else {})


@pytest.fixture
def virtual() -> Callable[[Any], Any]:
    """Run a coroutine on a virtual-time loop: `virtual(main())`."""
    from copilot.run.clock import run_virtual

    return run_virtual
