"""The load generator of `flowgen test`: when each event is due, and what it looks like.

Load is on the *open* model, like k6's arrival-rate executors: events arrive on a
timetable whatever the flow is doing, so a slow flow piles up work instead of quietly
slowing the generator down (the closed model hides exactly the latency users see).

- `constant-arrival-rate`: one event every 1/rate seconds.
- `ramping-arrival-rate`: the rate moves linearly through `stages`, starting from
  `rate` (k6's startRate; 0 when absent).
- `burst`: `burst.size` events arrive at once every `burst.every`, on top of `rate`.
  With a rate, the first burst lands at `every` (a spike on a steady stream); without
  one, bursts start at 0. A `burst` block on the other executors adds to them the same way.

The run stops after `events` events or `duration`, whichever comes first; with
neither, after 100 events (a ramping load also stops when its stages end).

Events come from `trigger.example`, varied within `trigger.event_schema` by a seeded
RNG per event index, so event *i* is the same in every run and in both flows of a
`--compare`: strings, numbers and enums vary, required fields stay, optional ones are
sometimes dropped, and the id field (the one `trigger.idempotency_key` reads) is unique.
A field a step's `if:` compares with a literal (`event.temp_c > 32`, `event.status ==
'delayed'`) is put on one side or the other of it in about half the events, so a branch
the example never reaches still runs in the test.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import math
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from copilot.errors import FlowgenError, Position

DEFAULT_EVENTS = 100
DEFAULT_RATE = 10.0  # events/s when a flow has no `tests.load` at all

Locate = Callable[[tuple[str | int, ...]], Position | None]


@dataclass(frozen=True)
class LoadShape:
    """A resolved load: everything the timetable needs, in events/s and seconds."""

    executor: str
    events: int | None
    rate: float | None  # events/s (the start rate of a ramping load)
    duration: float | None
    stages: tuple[tuple[float, float], ...] = ()  # (duration s, target events/s)
    burst_size: int = 0
    burst_every: float = 0.0

    def describe(self) -> str:
        """One line for the report header, e.g. ``burst 50/s + 100 every 2s, 300 events``."""
        parts = [self.executor]
        if self.executor == "ramping-arrival-rate":
            ramp = " → ".join(f"{target:g}/s over {d:g}s" for d, target in self.stages)
            parts.append(f"from {self.rate or 0:g}/s: {ramp}")
        elif self.rate:
            parts.append(f"{self.rate:g}/s")
        if self.burst_size:
            parts.append(f"+ {self.burst_size} every {self.burst_every:g}s")
        limits = []
        if self.events is not None:
            limits.append(f"{self.events} events")
        if self.duration is not None:
            limits.append(f"{self.duration:g}s")
        return " ".join(parts) + (", " + " or ".join(limits) if limits else "")


def resolve_load(
    load: Any,
    *,
    events: int | None = None,
    rate: float | None = None,
    duration: float | None = None,
    where: str = "",
    locate: Locate | None = None,
) -> LoadShape:
    """The `tests.load` block with command-line overrides applied, checked for sense.

    `load` is a `copilot.flow.models.Load` or None (then a gentle default load is used).
    Errors name the file position of `tests.load` when `locate` can find it.
    """

    def error(message: str, loc: tuple[str | int, ...] = ("tests", "load")) -> FlowgenError:
        return FlowgenError(message, path=where or None, position=locate(loc) if locate else None)

    if load is None:
        executor, l_events, l_rate, l_duration, stages, burst = (
            "constant-arrival-rate",
            None,
            DEFAULT_RATE,
            None,
            (),
            None,
        )
    else:
        executor = load.executor
        l_events, l_duration, burst = load.events, load.duration, load.burst
        l_rate = load.rate.per_second if load.rate is not None else None
        stages = tuple((s.duration, s.target.per_second) for s in load.stages)
    events = events if events is not None else l_events
    rate = rate if rate is not None else l_rate
    duration = duration if duration is not None else l_duration
    if events is not None and events <= 0:
        raise error("the number of events must be positive")
    if duration is not None and duration <= 0:
        raise error("the load duration must be positive")
    if rate is not None and rate <= 0:
        raise error("the arrival rate must be positive")

    if executor == "ramping-arrival-rate":
        if not stages:
            raise error("a ramping-arrival-rate load needs `stages: [{duration: 10s, target: 50/s}, …]`")
        if all(t == 0 for _, t in stages) and not rate:
            raise error("every stage of the ramping load has target 0/s: no event would ever arrive")
    elif stages:
        raise error(f"`stages` only applies to ramping-arrival-rate, not {executor}")
    if executor == "burst" and burst is None:
        raise error("a burst load needs `burst: {size: 100, every: 2s}`")
    if executor == "constant-arrival-rate" and not rate:
        raise error("a constant-arrival-rate load needs `rate`, e.g. 50/s")
    if burst is not None and burst.every <= 0:
        raise error("`burst.every` must be a positive duration", ("tests", "load", "burst", "every"))
    if events is None and duration is None and executor != "ramping-arrival-rate":
        events = DEFAULT_EVENTS
    return LoadShape(
        executor=executor,
        events=events,
        rate=rate,
        duration=duration,
        stages=stages,
        burst_size=burst.size if burst is not None else 0,
        burst_every=burst.every if burst is not None else 0.0,
    )


# ---------------------------------------------------------------------------- timetable


def _steady(rate: float) -> Iterator[float]:
    for k in itertools.count():
        yield k / rate


def _ramping(start: float, stages: tuple[tuple[float, float], ...]) -> Iterator[float]:
    """Event k arrives when the integral of the rate reaches k (linear within a stage)."""
    k = 0
    before = 0.0  # events due before the current stage
    t0 = 0.0
    r0 = start
    for length, r1 in stages:
        area = (r0 + r1) / 2 * length
        slope = (r1 - r0) / (2 * length) if length else 0.0
        while k <= before + area and length > 0:
            m = k - before
            # r0*t + slope*t² = m, in the form that stays exact when slope → 0.
            root = math.sqrt(max(r0 * r0 + 4 * slope * m, 0.0))
            t = 2 * m / (r0 + root) if (r0 + root) > 0 else 0.0
            if t > length:
                break
            yield t0 + t
            k += 1
        before += area
        t0 += length
        r0 = r1


def _bursts(size: int, every: float, first: float) -> Iterator[float]:
    for n in itertools.count():
        at = first + n * every
        for _ in range(size):
            yield at


def arrivals(shape: LoadShape) -> Iterator[float]:
    """Intended start offsets (seconds from the start of the test), non-decreasing.

    A generator, never a list: a 100,000-event run keeps one number in memory.
    """
    streams: list[Iterator[float]] = []
    if shape.executor == "ramping-arrival-rate":
        streams.append(_ramping(shape.rate or 0.0, shape.stages))
    elif shape.rate:
        streams.append(_steady(shape.rate))
    if shape.burst_size:
        first = shape.burst_every if shape.rate else 0.0
        streams.append(_bursts(shape.burst_size, shape.burst_every, first))
    merged = heapq.merge(*streams) if len(streams) > 1 else streams[0]
    for count, at in enumerate(merged):
        if shape.events is not None and count >= shape.events:
            return
        if shape.duration is not None and at >= shape.duration:
            return
        yield at


def planned(shape: LoadShape) -> tuple[int, float]:
    """How many events the run will send and when the last one is due (for progress and charts)."""
    count, last = 0, 0.0
    for at in arrivals(shape):
        count, last = count + 1, at
    return count, last


# ---------------------------------------------------------------------------- events

_VOCABULARY = [
    "account",
    "access",
    "order",
    "invoice",
    "refund",
    "password",
    "reset",
    "login",
    "error",
    "page",
    "app",
    "mobile",
    "payment",
    "card",
    "charge",
    "plan",
    "upgrade",
    "cancel",
    "subscription",
    "delivery",
    "shipping",
    "address",
    "broken",
    "crash",
    "slow",
    "urgent",
    "please",
    "help",
    "thanks",
    "question",
    "how",
    "why",
    "when",
    "cannot",
    "since",
    "yesterday",
    "today",
    "again",
    "still",
    "update",
    "email",
    "notification",
    "export",
    "report",
    "data",
    "team",
]
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
MAX_DEPTH = 6


class EventFactory:
    """Varied, valid events from `trigger.example` and `trigger.event_schema`."""

    def __init__(
        self,
        trigger: Any,
        seed: int = 0,
        *,
        where: str = "",
        locate: Locate | None = None,
        branches: Branches | None = None,
        keys: list[tuple[str, ...]] | None = None,
    ):
        self.example: dict[str, Any] = copy.deepcopy(trigger.example) if trigger.example else {}
        self.branches: Branches = branches or {}
        self.schema: dict[str, Any] = trigger.event_schema or {}
        self.seed = seed
        self.id_path = _id_path(trigger, self.example, self.schema)
        # fields a step's idempotency key reads ("{{ event.loan_id }}:charge_fee"): each event is
        # about a thing of its own, as the id is its own, so no test event repeats another's call
        self.keys = [k for k in (keys or []) if k != self.id_path]
        words = [
            w.lower()
            for v in _strings(self.example)
            if "@" not in v and "://" not in v
            for w in _WORD.findall(v)
            if len(w) > 2
        ]
        self.words = list(dict.fromkeys(words + _VOCABULARY))
        self._validator = _validator(self.schema) if self.schema else None
        self.where, self.locate = where, locate
        if not self.example and not self.schema:
            raise FlowgenError(
                "the trigger has neither `example` nor `event_schema`: flowgen test cannot make events",
                path=where or None,
                position=locate(("trigger",)) if locate else None,
            )
        if self.example and self._validator is not None:
            problem = self._problem(self.example)
            if problem:
                raise FlowgenError(
                    f"trigger.example does not match trigger.event_schema: {problem}",
                    path=where or None,
                    position=locate(("trigger", "example")) if locate else None,
                )

    def event(self, index: int) -> dict[str, Any]:
        """Event number `index` (0-based): the same for the same seed and index, always valid."""
        rng = random.Random(f"{self.seed}:{index}")
        event = self._vary_object(self.schema, self.example, rng, 0, self.example or None)
        if not isinstance(event, dict):
            event = {}
        if self.branches:
            self._take_branches(event, random.Random(f"{self.seed}:{index}:branches"))
        self._set_id(event, index)
        if self._validator is not None and self._problem(event):
            # The schema has constraints the varier cannot follow (a pattern, say):
            # fall back to the example itself, which is known to be valid, with a fresh id.
            event = copy.deepcopy(self.example)
            self._set_id(event, index)
        return event

    # -------------------------------------------------------------- internals

    def _problem(self, event: Any) -> str | None:
        assert self._validator is not None
        for error in self._validator.iter_errors(event):
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            return f"{where}: {error.message}"
        return None

    def _take_branches(self, event: dict[str, Any], rng: random.Random) -> None:
        """Half the time, put a compared field on one side of what a condition compares it
        with, so each branch of the flow runs in the test (a value varied around the
        example alone may never reach `temp_c > 60`, or never equal 'delayed')."""
        missing = object()
        taken: list[tuple[dict[str, Any], str, Any]] = []  # (parent, key, the value before)
        for path, tests in self.branches.items():
            if path == self.id_path or rng.random() < 0.5:
                continue
            op, literal = rng.choice(tests)
            value = _branch_value(op, literal, _get(event, path), rng)
            parent = _parent(event, path)
            if parent is None:
                continue
            taken.append((parent, path[-1], parent.get(path[-1], missing)))
            parent[path[-1]] = value
        if not taken or self._validator is None or not self._problem(event):
            return  # one check per event, not one per field: this runs for every test event
        # The schema wants something else somewhere: undo them all, then keep each one it accepts.
        placed = [(parent, key, before, parent[key]) for parent, key, before in taken]

        def undo(parent: dict[str, Any], key: str, before: Any) -> None:
            if before is missing:
                parent.pop(key, None)
            else:
                parent[key] = before

        for parent, key, before, _ in reversed(placed):
            undo(parent, key, before)
        for parent, key, before, value in placed:
            parent[key] = value
            if self._problem(event):
                undo(parent, key, before)

    def _set_id(self, event: dict[str, Any], index: int) -> None:
        for path in [self.id_path, *self.keys] if self.id_path else self.keys:
            parent = _parent(event, path)
            if parent is None or (path != self.id_path and path[-1] not in parent):
                continue
            parent[path[-1]] = _unique_id(_get(self.example, path), index)

    def _vary(self, schema: dict[str, Any], example: Any, rng: random.Random, depth: int) -> Any:
        if depth > MAX_DEPTH:
            return copy.deepcopy(example)
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return copy.deepcopy(rng.choice(schema["enum"]))
        kind = _kind(schema, example)
        if kind == "object":
            return self._vary_object(
                schema, example if isinstance(example, dict) else {}, rng, depth, example
            )
        if kind == "array":
            return self._vary_array(schema, example if isinstance(example, list) else [], rng, depth)
        if kind == "string":
            return self._vary_string(schema, example if isinstance(example, str) else None, rng)
        if kind in ("integer", "number"):
            return _vary_number(schema, example, rng, integer=kind == "integer")
        if kind == "boolean":
            return rng.random() < 0.5
        return copy.deepcopy(example)

    def _vary_object(
        self, schema: dict[str, Any], example: dict[str, Any], rng: random.Random, depth: int, original: Any
    ) -> dict[str, Any]:
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        for key in dict.fromkeys([*example, *properties]):
            sub = properties.get(key) if isinstance(properties.get(key), dict) else {}
            present = key in example
            if key not in required:
                # Optional fields come and go: flows must not assume they are there.
                if present and rng.random() < 0.1:
                    continue
                if not present and rng.random() < 0.5:
                    continue
            out[key] = self._vary(sub, example.get(key), rng, depth + 1)
        return out

    def _vary_array(self, schema: dict[str, Any], example: list[Any], rng: random.Random, depth: int) -> list:
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        low = int(schema.get("minItems", 0))
        high = int(schema.get("maxItems", max(low, len(example) + 2, 3)))
        count = rng.randint(low, max(low, high))
        if not example and not items:
            return []
        out = []
        for i in range(count):
            sample = example[i % len(example)] if example else None
            out.append(self._vary(items, sample, rng, depth + 1) if items or sample is None else sample)
        return out

    def _vary_string(self, schema: dict[str, Any], example: str | None, rng: random.Random) -> str:
        fmt = schema.get("format")
        n = rng.randrange(1_000_000)
        if fmt == "email" or (example and re.fullmatch(r"[^@\s]+@[^@\s]+", example)):
            text = f"user{n}@example.com"
        elif fmt == "uri" or fmt == "url":
            text = f"https://example.com/item/{n}"
        elif fmt == "date-time":
            text = f"2026-0{1 + n % 9}-{10 + n % 18}T{n % 24:02d}:{n % 60:02d}:00Z"
        elif fmt == "date":
            text = f"2026-0{1 + n % 9}-{10 + n % 18}"
        elif fmt == "uuid":
            import uuid

            text = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        elif example is not None and rng.random() < 0.25:
            text = example
        else:
            size = len(_WORD.findall(example)) if example else 6
            count = max(1, round(size * rng.uniform(0.5, 1.5)))
            text = " ".join(rng.choice(self.words) for _ in range(count))
            if example and example[:1].isupper():
                text = text[:1].upper() + text[1:]
            if example and example.rstrip()[-1:] in "?.!":
                text += example.rstrip()[-1]
        low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
        if high is not None:
            text = text[: int(high)]
        if len(text) < low:
            text = text + "x" * (low - len(text))
        return text


# Event paths (without the leading "event") → the (operator, literal) pairs conditions
# compare them with (`copilot.flow.expressions.compared_literals`).
Branches = dict[tuple[str, ...], list[tuple[str, Any]]]


def keys_of(flow: Any) -> list[tuple[str, ...]]:
    """The event fields the steps' idempotency keys read, each key on one thing
    (`{{ event.loan_id }}:charge_fee`, never a delivery's fallback list of fields)."""
    found: list[tuple[str, ...]] = []
    for step in flow.steps:
        paths = _event_paths(getattr(step, "idempotency_key", None))
        if len(paths) == 1 and paths[0] not in found:
            found.append(paths[0])
    return found


def _event_paths(template: str | None) -> list[tuple[str, ...]]:
    """The event fields a template reads, without the leading "event"."""
    if not template:
        return []
    from copilot.flow.expressions import ExpressionError, references

    try:
        refs = references(template)
    except ExpressionError:
        return []
    return [tuple(r.parts[1:]) for r in refs if r.root == "event" and len(r.parts) > 1]


def _parent(event: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    """The object that holds `path`'s last field, made on the way when missing; None when a
    value on the way is not an object."""
    node: Any = event
    for part in path[:-1]:
        if not isinstance(node, dict):
            return None
        node = node.setdefault(part, {})
    return node if isinstance(node, dict) else None


def branches_of(flow: Any) -> Branches:
    """What the flow's step conditions compare event fields with."""
    from copilot.flow.expressions import compared_literals

    found: Branches = {}
    for step in flow.steps:
        if not step.if_:
            continue
        for parts, op, literal in compared_literals(step.if_):
            if len(parts) > 1 and parts[0] == "event" and literal is not None:
                tests = found.setdefault(parts[1:], [])
                if (op, literal) not in tests:
                    tests.append((op, literal))
    return found


def _branch_value(op: str, literal: Any, current: Any, rng: random.Random) -> Any:
    """A value just below, at or above `literal` (a number), the literal or not (anything else)."""
    if isinstance(literal, bool) or not isinstance(literal, int | float):
        if op in ("eq", "ne") and rng.random() < 0.5 and current is not None:
            return current
        return literal
    if isinstance(current, bool):
        return current  # a yes/no field compared with a number: leave it as it is
    spread = max(abs(literal) * 0.5, 1.0)
    side = rng.choice((-1, 0, 1)) if op in ("eq", "ne", "lteq", "gteq") else rng.choice((-1, 1))
    value: float = literal + side * rng.uniform(0.01, 1.0) * spread
    if isinstance(current, int) or (current is None and isinstance(literal, int)):
        step = max(1, round(abs(value - literal)))
        return int(literal) + side * step
    return round(value, 4)


def _kind(schema: dict[str, Any], example: Any) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if isinstance(kind, str):
        return kind
    if isinstance(example, bool):
        return "boolean"
    if isinstance(example, int):
        return "integer"
    if isinstance(example, float):
        return "number"
    if isinstance(example, str):
        return "string"
    if isinstance(example, list):
        return "array"
    if isinstance(example, dict) or "properties" in schema:
        return "object"
    return None


def _vary_number(schema: dict[str, Any], example: Any, rng: random.Random, *, integer: bool) -> float | int:
    base = example if isinstance(example, int | float) and not isinstance(example, bool) else None
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is None:
        low = 0 if base is None or base >= 0 else base * 2
    if high is None:
        high = low + 100 if base is None else max(base * 2, low + 1)
    value: float | int = rng.uniform(float(low), float(high))
    if integer:
        value = max(math.ceil(low), min(math.floor(high), round(value)))
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            value = schema["exclusiveMinimum"] + 1
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            value = schema["exclusiveMaximum"] - 1
    return value


def _unique_id(original: Any, index: int) -> Any:
    if isinstance(original, bool):
        return original
    if isinstance(original, int | float):
        return original + index
    if isinstance(original, str):
        match = re.search(r"(\d+)$", original)
        if match:
            digits = match.group(1)
            return original[: match.start()] + str(int(digits) + index).zfill(len(digits))
        return f"{original}-{index}"
    return f"evt-{index:06d}"


def _id_path(trigger: Any, example: dict[str, Any], schema: dict[str, Any]) -> tuple[str, ...] | None:
    """The event field that names an event: what `idempotency_key` reads, else `id`."""
    paths = _event_paths(trigger.idempotency_key)
    if paths:
        return paths[0]
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    if "id" in example or "id" in properties:
        return ("id",)
    return None


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _validator(schema: dict[str, Any]) -> Any:
    from jsonschema import validators

    from copilot.flow.patterns import safe_patterns

    cls = safe_patterns(validators.validator_for(schema))  # patterns in linear time (RE2)
    return cls(schema)
