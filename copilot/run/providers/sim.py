"""The offline provider: catalog-shaped latency, schema-shaped answers, real token costs.

Latency is lognormal, fitted so its median is the model's catalog p50 and its 95th
percentile the catalog p95, drawn from a seeded generator (one run, one sequence).
The answer is deterministic from the request's seed and a hash of the prompt: the same
prompt always gets the same answer, a different prompt a different one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import json as _json
import math
import random
import re
from collections import deque

from copilot.flow.estimate import HTTP_LATENCY, estimate_tokens
from copilot.run.providers.base import HttpResponse, ModelRequest, ModelResponse
from copilot.run.providers.schema_sample import sample

Z95 = 1.6448536269514722
_WORD = re.compile(r"[A-Za-z]{3,}")


def lognormal_params(p50: float, p95: float) -> tuple[float, float]:
    """(μ, σ) of the lognormal whose median is `p50` and 95th percentile `p95`."""
    p50 = max(p50, 1e-6)
    return math.log(p50), max(0.0, math.log(max(p95, p50) / p50) / Z95)


class SimProvider:
    """Answers every `ModelRequest` offline. `latency_scale=0` answers instantly (benchmarks)."""

    def __init__(self, seed: int = 0, *, latency_scale: float = 1.0) -> None:
        self.seed = seed
        self.latency_scale = latency_scale
        self._rng = random.Random(seed)
        self._params: dict[tuple[float, float], tuple[float, float]] = {}
        self.calls = 0

    def latency(self, request: ModelRequest) -> float:
        """The next simulated latency for this request's model."""
        key = (request.profile.p50, request.profile.p95)
        params = self._params.get(key)
        if params is None:
            params = self._params[key] = lognormal_params(*key)
        return self._rng.lognormvariate(*params) * self.latency_scale

    async def complete(self, request: ModelRequest) -> ModelResponse:
        self.calls += 1
        if self.latency_scale > 0:
            await asyncio.sleep(self.latency(request))
        content = answer(request)
        input_tokens = estimate_tokens(request.system or "") + estimate_tokens(request.user)
        output_tokens = max(1, estimate_tokens(content))
        if request.max_tokens is not None:
            output_tokens = min(output_tokens, request.max_tokens)
        profile = request.profile
        return ModelResponse(
            content=content,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            model=profile.model,
            cost=profile.cost(input_tokens, output_tokens),
        )


def answer(request: ModelRequest) -> str:
    """The deterministic answer to `request`: JSON for a schema, else a short text."""
    digest = hashlib.blake2b(
        f"{request.seed}\0{request.profile.model}\0{request.system or ''}\0{request.user}".encode(),
        digest_size=8,
    ).digest()
    rng = random.Random(int.from_bytes(digest, "big"))
    words = _WORD.findall(request.user)[:64] or None
    if request.output_schema is not None:
        return json.dumps(sample(request.output_schema, rng, words), ensure_ascii=False)
    count = 12 if request.max_tokens is None else max(1, min(40, request.max_tokens // 2))
    vocabulary = words or ["simulated", "answer"]
    return " ".join(rng.choice(vocabulary) for _ in range(count))


class SimHttpClient:
    """Answers http steps offline, so `run --provider sim` never pages anyone.

    `${env:…}` references are left unresolved (nothing is sent). The engine passes each
    step's `output_schema` and latency profile as hints (`wants_hints`), so the answer has
    the shape the flow expects and the latency the step declares.
    """

    resolves_env = False
    wants_hints = True

    def __init__(self, seed: int = 0, *, latency_scale: float = 1.0) -> None:
        self.seed = seed
        self._rng = random.Random(seed ^ 0x5EED)
        self._default = lognormal_params(*HTTP_LATENCY)
        self.latency_scale = latency_scale
        # The most recent requests, for inspection; bounded so a long load test stays flat.
        self.requests: deque[tuple[str, str, dict[str, str], object]] = deque(maxlen=1000)

    async def request(  # type: ignore[no-untyped-def]
        self, method, url, headers, json, timeout, *, output_schema=None, latency=None, step_id=""
    ):
        self.requests.append((method, url, dict(headers), json))
        if self.latency_scale > 0:
            params = lognormal_params(*latency) if latency is not None else self._default
            await asyncio.sleep(self._rng.lognormvariate(*params) * self.latency_scale)
        if output_schema is not None:
            digest = hashlib.blake2b(f"{self.seed}\0{step_id}\0{url}\0{json!r}".encode(), digest_size=8)
            body = sample(output_schema, random.Random(int.from_bytes(digest.digest(), "big")))
        else:
            body = {"ok": True, "simulated": True}
        return HttpResponse(200, body, _json.dumps(body), {})
