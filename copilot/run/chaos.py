"""Fault injection at the provider boundary, in toxiproxy's vocabulary.

`flowgen test` wraps the engine's `Provider` and `HttpClient` in `ChaosProvider` and
`ChaosHttpClient`; the engine cannot tell a fault from a real failure, which is the point:
its timeouts, retries, hedges, fallbacks and deadline answers are what is being tested.

Faults (a `tests.chaos` entry, or `--chaos` on the command line):

- ``latency``: `latency` ± `jitter` (uniform) added after the answer (a slow network);
- ``slow_first_token``: `latency` ± `jitter` before the call starts (time to first token);
- ``timeout``: the call hangs until the engine cancels it (its own timeout or the deadline);
- ``error``: the call fails with HTTP `status` (429 → rate_limit with Retry-After: 1s,
  5xx → server_error, 408 → timeout, other 4xx → client_error);
- ``invalid_output``: the model answers garbage that is not JSON.

A target is ``model:ALIAS``, ``step:ID`` or ``http:PATTERN`` (a pattern matches an http
step's id or its URL); fnmatch wildcards allowed (``model:*``). Each matching fault fires
with probability `toxicity`, independently. The dice are seeded per call from the seed,
the event's index, the fault, the alias, the step and the attempt, so a run is
reproducible and two flows under `--compare` get the same faults on the same events.
"""

from __future__ import annotations

import contextlib
import contextvars
import fnmatch
import hashlib
import itertools
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from copilot.errors import FlowgenError, Position, did_you_mean

FAULT_TYPES = ("latency", "timeout", "error", "slow_first_token", "invalid_output")
TARGET_KINDS = ("model", "step", "http")
RETRY_AFTER = 1.0  # seconds, the smallest value an HTTP Retry-After header can say
GARBAGE = '{"answer": "Sure! Here is the JSON you asked for:\n```json\n{oops'

CHAOS_HELP = """\
--chaos FAULT adds a fault to the flow's tests.chaos (repeat the option for several), written
TARGET:FAULT:ARG@TOXICITY.

TARGET is model:ALIAS, step:ID or http:PATTERN (wildcards * and ? allowed).

FAULT:ARG is latency:500ms±300ms (or 500ms+-300ms), slow_first_token:800ms, timeout (a hang),
error:503 (or another status: 429, 500) or invalid_output (garbage JSON).

@TOXICITY is the probability a call is hit (0.05 or 5%); without it, every call is. A YAML
mapping with the keys of a tests.chaos entry works too.

Examples:

  --chaos "model:fast:latency:500ms±300ms@0.5"

  --chaos "model:*:error:503@5%"

  --chaos '{target: "model:fast", type: timeout, toxicity: 0.02}'"""

# The event being processed, set by the load runner; asyncio tasks inherit it, so a
# fault's dice depend on the event and not on which call happened to come first.
current_event: contextvars.ContextVar[int] = contextvars.ContextVar("flowgen_chaos_event", default=-1)


@dataclass(frozen=True)
class Fault:
    """One fault: what it hits, what it does, and how often."""

    kind: str  # model | step | http
    pattern: str
    type: str
    latency: float = 0.0
    jitter: float = 0.0
    status: int | None = None
    toxicity: float = 1.0

    @property
    def target(self) -> str:
        return f"{self.kind}:{self.pattern}"

    def describe(self) -> str:
        """The fault in the command-line syntax, e.g. ``model:fast:latency:500ms±300ms@0.5``."""
        from copilot.flow.units import format_duration

        arg = ""
        if self.type in ("latency", "slow_first_token"):
            arg = ":" + format_duration(self.latency)
            if self.jitter:
                arg += "±" + format_duration(self.jitter)
        elif self.type == "error":
            arg = f":{self.status}"
        tox = f"@{self.toxicity:g}" if self.toxicity != 1.0 else ""
        return f"{self.target}:{self.type}{arg}{tox}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "type": self.type,
            "latency_ms": round(self.latency * 1000, 3)
            if self.type in ("latency", "slow_first_token")
            else None,
            "jitter_ms": round(self.jitter * 1000, 3) if self.jitter else None,
            "status": self.status,
            "toxicity": self.toxicity,
            "spec": self.describe(),
        }

    def hits_model(self, alias: str, step_id: str) -> bool:
        if self.kind == "model":
            return fnmatch.fnmatchcase(alias, self.pattern)
        if self.kind == "step":
            return fnmatch.fnmatchcase(step_id, self.pattern)
        return False

    def hits_http(self, step_id: str, url: str) -> bool:
        if self.kind == "http":
            return fnmatch.fnmatchcase(step_id, self.pattern) or fnmatch.fnmatchcase(url, self.pattern)
        if self.kind == "step":
            return fnmatch.fnmatchcase(step_id, self.pattern)
        return False


def fault_from_entry(entry: Any, *, where: str = "", position: Position | None = None) -> Fault:
    """A `Fault` from a validated `tests.chaos` entry (`copilot.flow.models.Chaos`)."""
    kind, _, pattern = entry.target.partition(":")

    def bad(message: str) -> FlowgenError:
        return FlowgenError(message, path=where or None, position=position)

    if entry.type == "error" and entry.status is None:
        raise bad("an error fault needs `status`, e.g. status: 503 (or 429, 500)")
    if entry.type != "error" and entry.status is not None:
        raise bad(f"`status` only applies to error faults, not {entry.type}")
    if entry.type in ("latency", "slow_first_token") and entry.latency is None:
        raise bad(f"a {entry.type} fault needs `latency`, e.g. latency: 500ms")
    if entry.type not in ("latency", "slow_first_token") and (entry.latency or entry.jitter):
        raise bad(
            f"`latency` and `jitter` only apply to latency and slow_first_token faults, not {entry.type}"
        )
    if entry.type == "invalid_output" and kind == "http":
        raise bad("invalid_output applies to model calls; target model:ALIAS or step:ID")
    return Fault(
        kind=kind,
        pattern=pattern,
        type=entry.type,
        latency=entry.latency or 0.0,
        jitter=entry.jitter or 0.0,
        status=entry.status,
        toxicity=entry.toxicity,
    )


_SPEC_RE = re.compile(
    r"^(?P<kind>[a-z_]+):(?P<pattern>.+?):(?P<type>[a-z_]+)(?::(?P<arg>[^@]*))?(?:@(?P<tox>[^@]*))?$"
)
_JITTER_SPLIT = re.compile(r"±|\+-|\+/-")


def parse_chaos(spec: str) -> Fault:
    """A `Fault` from a `--chaos` value (see `CHAOS_HELP`); one clear error line otherwise."""
    from pydantic import ValidationError

    from copilot.flow.models import Chaos

    text = spec.strip()
    where = f"--chaos {spec!r}"
    if text.startswith("{"):
        from copilot.flow.load import parse_yaml, to_plain

        doc = parse_yaml(text, "--chaos")
        data = to_plain(doc.tree, "--chaos")
        try:
            entry = Chaos.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise FlowgenError(f"{where}: {loc + ': ' if loc else ''}{first['msg']}") from None
        return fault_from_entry(entry, where=where)

    match = _SPEC_RE.match(text)
    if not match:
        raise FlowgenError(
            f"{where}: not a fault; write TARGET:FAULT:ARG@TOXICITY (ARG and @TOXICITY as needed), "
            "e.g. model:fast:latency:500ms±300ms@0.5"
        )
    kind, pattern, ftype = match.group("kind"), match.group("pattern"), match.group("type")
    arg, tox = match.group("arg"), match.group("tox")
    if kind not in TARGET_KINDS:
        raise FlowgenError(
            f"{where}: unknown target `{kind}`{did_you_mean(kind, TARGET_KINDS)} "
            "(use model:ALIAS, step:ID or http:PATTERN)"
        )
    if ftype not in FAULT_TYPES:
        raise FlowgenError(
            f"{where}: unknown fault `{ftype}`{did_you_mean(ftype, FAULT_TYPES)} "
            f"(one of {', '.join(FAULT_TYPES)})"
        )
    data: dict[str, Any] = {"target": f"{kind}:{pattern}", "type": ftype}
    if tox is not None:
        data["toxicity"] = _toxicity(tox, where)
    if ftype in ("latency", "slow_first_token"):
        if not arg:
            raise FlowgenError(f"{where}: a {ftype} fault needs a duration, e.g. {ftype}:500ms±300ms")
        parts = _JITTER_SPLIT.split(arg)
        if len(parts) > 2:
            raise FlowgenError(f"{where}: write the latency as 500ms or 500ms±300ms")
        for key, part in zip(("latency", "jitter"), parts, strict=False):
            _duration(part, where)  # a bad duration is reported here, with the option's name
            data[key] = part.strip()
    elif ftype == "error":
        if not arg or not arg.strip().isdigit():
            raise FlowgenError(f"{where}: an error fault needs an HTTP status, e.g. error:503")
        status = int(arg)
        if not 400 <= status <= 599:
            raise FlowgenError(f"{where}: the status must be an HTTP error, 400 to 599 (429, 500, 503…)")
        data["status"] = status
    elif arg:
        raise FlowgenError(f"{where}: a {ftype} fault takes no argument (got `{arg}`)")
    try:
        entry = Chaos.model_validate(data)
    except ValidationError as exc:
        raise FlowgenError(f"{where}: {exc.errors()[0]['msg']}") from None
    return fault_from_entry(entry, where=where)


def _duration(text: str, where: str) -> float:
    from copilot.flow.units import parse_duration

    try:
        return parse_duration(text.strip())
    except ValueError as exc:
        raise FlowgenError(f"{where}: {exc}") from None


def _toxicity(text: str, where: str) -> float:
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise FlowgenError(f"{where}: toxicity `{raw}` is not a probability; write 0.05 or 5%") from None
    if not 0 <= value <= 1:
        raise FlowgenError(f"{where}: toxicity must be between 0 and 1 (or 0% and 100%)")
    return value


# ---------------------------------------------------------------------------- injection


def begin_event(index: int) -> None:
    """Mark the current task as event `index`: the tasks it starts inherit the mark."""
    current_event.set(index)
    _event_calls.set(Counter())


class Dice:
    """Seeded, order-independent draws: the same call of the same event always rolls the same.

    A call is named by what it is (model or http, alias, step, attempt) and how many such
    calls the event made before it, so retries and re-runs roll afresh while a run stays
    reproducible whatever order concurrent events happen to interleave in.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._fallback = itertools.count()  # calls made outside a load run (no event index)

    def call_id(self, *identity: object) -> tuple[object, ...]:
        """`identity` plus its occurrence number within the current event."""
        event = current_event.get()
        calls = _event_calls.get()
        if event < 0 or calls is None:
            return (-1 - next(self._fallback), *identity)
        calls[identity] += 1
        return (event, calls[identity], *identity)

    def roll(self, call: tuple[object, ...], fault: int) -> tuple[float, float]:
        """Two uniform numbers in [0, 1): does the fault fire, and where in its jitter range."""
        key = "\0".join(str(p) for p in (self.seed, fault, *call)).encode()
        digest = hashlib.blake2b(key, digest_size=16).digest()
        scale = float(1 << 64)
        return int.from_bytes(digest[:8], "big") / scale, int.from_bytes(digest[8:], "big") / scale


@dataclass
class _Plan:
    before: float = 0.0  # seconds before the call starts
    after: float = 0.0  # seconds added to the answer
    hang: bool = False
    error: int | None = None
    garbage: bool = False


class Injector:
    """Decides, per call, which faults fire, and counts what it injected."""

    def __init__(self, faults: list[Fault], seed: int = 0) -> None:
        self.faults = list(faults)
        self.specs = [f.describe() for f in self.faults]
        self.dice = Dice(seed)
        self.injected: Counter[str] = Counter()  # fault spec -> times it fired
        self.calls = 0

    def plan(self, matches: list[tuple[int, Fault]], *identity: object) -> _Plan:
        self.calls += 1
        plan = _Plan()
        call = self.dice.call_id(*identity)
        for index, fault in matches:
            fire, spread = self.dice.roll(call, index)
            if fire >= fault.toxicity:
                continue
            self.injected[self.specs[index]] += 1
            delay = max(0.0, fault.latency + (2 * spread - 1) * fault.jitter)
            if fault.type == "latency":
                plan.after += delay
            elif fault.type == "slow_first_token":
                plan.before += delay
            elif fault.type == "timeout":
                plan.hang = True
            elif fault.type == "error":
                plan.error = plan.error or fault.status
            elif fault.type == "invalid_output":
                plan.garbage = True
        return plan


async def _sleep(seconds: float) -> None:
    # asyncio is imported here, not at the top: `flowgen --help` reads CHAOS_HELP from this
    # module, and every command would otherwise pay for importing asyncio.
    import asyncio

    await asyncio.sleep(seconds)


async def _hang() -> None:
    import asyncio

    # Never resolves: only the engine's timeout or deadline (a cancellation) ends it.
    await asyncio.get_running_loop().create_future()


async def _before_answer(plan: Any) -> None:
    """What a fault plan does before the call answers: latency first, then a hang (which
    never ends), then, for an injected error, the latency after it."""
    if plan.before:
        await _sleep(plan.before)
    if plan.hang:
        await _hang()
    if plan.error is not None and plan.after:
        await _sleep(plan.after)


def _error(status: int, where: str) -> Exception:
    from copilot.run.providers.base import ProviderError, kind_for_status

    kind = kind_for_status(status)
    retry_after = RETRY_AFTER if status == 429 else None
    return ProviderError(kind, f"injected HTTP {status} on {where}", status=status, retry_after=retry_after)


class ChaosProvider:
    """A `Provider` that injects the faults aimed at model calls, then defers to `inner`."""

    def __init__(self, inner: Any, injector: Injector) -> None:
        self.inner = inner
        self.injector = injector
        # What the inner provider sends instead of each alias's model (the engine prices by it).
        self.model_override: str | None = getattr(inner, "model_override", None)
        self._matches: dict[tuple[str, str], list[tuple[int, Fault]]] = {}

    def _faults_for(self, alias: str, step_id: str) -> list[tuple[int, Fault]]:
        key = (alias, step_id)
        found = self._matches.get(key)
        if found is None:
            found = self._matches[key] = [
                (i, f) for i, f in enumerate(self.injector.faults) if f.hits_model(alias, step_id)
            ]
        return found

    async def complete(self, request: Any) -> Any:
        matches = self._faults_for(request.alias, request.step_id)
        if not matches:
            return await self.inner.complete(request)
        plan = self.injector.plan(matches, "model", request.alias, request.step_id, request.attempt)
        await _before_answer(plan)
        if plan.error is not None:
            raise _error(plan.error, f"model {request.alias}")
        response = await self.inner.complete(request)
        if plan.after:
            await _sleep(plan.after)
        if plan.garbage:
            from dataclasses import replace

            response = replace(response, content=GARBAGE)
        return response


class ChaosHttpClient:
    """An `HttpClient` that injects the faults aimed at http steps, then defers to `inner`.

    The engine says which step a request belongs to when the client asks for hints
    (`wants_hints`); `urls` (URL → step id, see `http_step_urls`) covers an engine that
    does not, so `step:ID` and `http:ID` targets match either way.
    """

    wants_hints = True

    def __init__(self, inner: Any, injector: Injector, urls: dict[str, str] | None = None) -> None:
        self.inner = inner
        self.injector = injector
        self.urls = dict(urls or {})
        # The engine reads this to decide whether it must resolve ${env:…} in URLs.
        self.resolves_env = getattr(inner, "resolves_env", True)
        self._inner_hints = bool(getattr(inner, "wants_hints", False))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def request(
        self, method: str, url: str, headers: dict[str, str], json: Any, timeout: float | None, **hints: Any
    ) -> Any:
        step_id = hints.get("step_id") or self.urls.get(url, "")
        forward = hints if self._inner_hints else {}
        matches = [(i, f) for i, f in enumerate(self.injector.faults) if f.hits_http(step_id, url)]
        if not matches:
            return await self.inner.request(method, url, headers, json, timeout, **forward)
        plan = self.injector.plan(matches, "http", step_id or url)
        await _before_answer(plan)
        if plan.error is not None:
            from copilot.run.providers.base import HttpResponse

            # An HTTP error is an answer, not an exception: the engine classifies the status.
            retry_after = {"retry-after": f"{RETRY_AFTER:g}"} if plan.error == 429 else {}
            return HttpResponse(plan.error, None, f"injected HTTP {plan.error}", retry_after)
        response = await self.inner.request(method, url, headers, json, timeout, **forward)
        if plan.after:
            await _sleep(plan.after)
        return response


def http_step_urls(flow: Any, environ: dict[str, str] | None = None) -> dict[str, str]:
    """URL → step id for every http step whose URL is not a template (written and resolved)."""
    import os

    from copilot.flow.units import resolve_env

    environ = dict(os.environ) if environ is None else environ
    urls: dict[str, str] = {}
    for step in flow.steps:
        if step.type != "http" or "{{" in step.request.url or "{%" in step.request.url:
            continue
        urls.setdefault(step.request.url, step.id)
        with contextlib.suppress(KeyError):  # an unset variable: the written URL is what is sent
            urls.setdefault(resolve_env(step.request.url, environ), step.id)
    return urls


_event_calls: contextvars.ContextVar[Counter[tuple[object, ...]] | None] = contextvars.ContextVar(
    "flowgen_chaos_calls", default=None
)


def unmatched(faults: list[Fault], flow: Any) -> list[Fault]:
    """The faults that can hit no call of `flow` (a typo, or a flow without that alias)."""
    aliases = list(flow.models)
    calls = [s for s in flow.steps if s.type in ("model", "http")]
    out = []
    for fault in faults:
        if fault.kind == "model":
            hit = any(fnmatch.fnmatchcase(a, fault.pattern) for a in aliases)
        elif fault.kind == "step":
            hit = any(fnmatch.fnmatchcase(s.id, fault.pattern) for s in calls)
        else:
            hit = any(
                s.type == "http" and (fault.hits_http(s.id, s.request.url) or fault.pattern == "*")
                for s in calls
            )
        if not hit:
            out.append(fault)
    return out
