"""Durations, rates, money and `${env:NAME}` references: the value types of a flow file.

Durations are written with a unit (``250ms``, ``1.5s``, ``2m``, ``24h``, ``7d``) and held
as float seconds, so every calculation (deadlines, critical path, backoff) shares one unit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
# Character classes, not escapes (`[0-9]`, `[.]`): grammar-constrained decoders (llama.cpp's
# json-schema-to-grammar) copy `\d` and `\.` into the grammar as text and fail to load it
# (issue 17). The same for ASCII; `\d` also took other Unicode digits in Python's `re`.
DURATION_PATTERN = r"^[0-9]+([.][0-9]+)?(ms|s|m|h|d)$"
DURATION_HINT = "use a number with a unit: 250ms, 1.5s, 2m, 24h or 7d"
MAX_DURATION = 3650 * 86400.0
"""The longest duration accepted (ten years): `1e37d` is no timeout, window or SLA."""
MAX_DURATION_TEXT = "3650d (ten years)"


def parse_duration(value: Any) -> float:
    """Seconds from ``"250ms"``/``"1.5s"``/``"2m"``/``"24h"``/``"7d"``; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f"`{value}` has no unit; {DURATION_HINT}")
        raise ValueError(f"expected a duration string; {DURATION_HINT}")
    match = _DURATION_RE.match(value)
    if not match:
        raise ValueError(f"`{value}` is not a duration; {DURATION_HINT}")
    number = match.group(1)
    seconds = float(number) * _UNITS[match.group(2)] if len(number) <= 40 else math.inf
    if not seconds <= MAX_DURATION:
        shown = value if len(value) <= 40 else value[:20] + "…" + value[-10:]
        raise ValueError(f"`{shown}` is too long: durations are capped at {MAX_DURATION_TEXT}")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest exact spelling of `seconds`: 0.25 -> ``250ms``, 90 -> ``90s``."""
    if math.isinf(seconds):
        return "unbounded"
    ms = round(seconds * 1000, 3)
    for unit, factor_ms in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000)):
        if ms >= factor_ms and ms % factor_ms == 0:
            return f"{int(ms // factor_ms)}{unit}"
    if ms >= 1000 and ms % 1000 == 0:
        return f"{int(ms // 1000)}s"
    if ms >= 1000 and (ms * 10) % 1000 == 0:
        return f"{ms / 1000:g}s"
    return f"{ms:g}ms"


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN}),
]
"""A duration: written ``250ms``/``1.5s``/``2m``/``24h``/``7d``, held as float seconds."""


def parse_positive_duration(value: Any) -> float:
    """`parse_duration` for timeouts, SLAs, windows and periods: zero is refused."""
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError(
            f"`{value}` must be longer than zero (a zero timeout or window never lets anything through)"
        )
    return seconds


ZERO_DURATION_PATTERN = r"^[0.]+(ms|s|m|h|d)$"

PositiveDuration = Annotated[
    float,
    BeforeValidator(parse_positive_duration),
    PlainSerializer(format_duration, return_type=str),
    # The plain duration pattern (editors and the draft outline recognise it) and "not zero".
    WithJsonSchema(
        {"type": "string", "pattern": DURATION_PATTERN, "not": {"pattern": ZERO_DURATION_PATTERN}}
    ),
]
"""A duration above zero: timeouts, the SLA, windows, periods, freshness, latency figures."""


@dataclass(frozen=True)
class Rate:
    """Events per period, written ``50/s``, ``600/m``, ``3000/h``."""

    count: float
    period: float  # seconds

    @property
    def per_second(self) -> float:
        return self.count / self.period

    def __str__(self) -> str:
        unit = {1.0: "s", 60.0: "m", 3600.0: "h"}.get(self.period)
        count = f"{self.count:g}"
        return f"{count}/{unit}" if unit else f"{count}/{format_duration(self.period)}"


_RATE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|m|h|\d+(?:\.\d+)?(?:ms|s|m|h))\s*$")
RATE_PATTERN = r"^[0-9]+([.][0-9]+)?/(s|m|h|[0-9]+([.][0-9]+)?(ms|s|m|h))$"


def parse_rate(value: Any) -> Rate:
    """A `Rate` from ``"50/s"``, ``"600/m"`` or ``"5/10s"``."""
    if isinstance(value, Rate):
        return value
    if not isinstance(value, str):
        raise ValueError(f"`{value}` is not a rate; write events per period, e.g. 50/s or 600/m")
    match = _RATE_RE.match(value)
    if not match:
        raise ValueError(f"`{value}` is not a rate; write events per period, e.g. 50/s or 600/m")
    count, unit = float(match.group(1)), match.group(2)
    period = {"s": 1.0, "m": 60.0, "h": 3600.0}.get(unit) or parse_duration(unit)
    if count <= 0 or period <= 0:
        raise ValueError(f"`{value}`: a rate must be positive")
    return Rate(count, period)


RateValue = Annotated[
    Rate,
    BeforeValidator(parse_rate),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": RATE_PATTERN}),
]

ENV_REF_RE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
ENV_REF_PATTERN = r"^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$"


def env_refs(text: str) -> list[str]:
    """Names of the ``${env:NAME}`` references in `text`."""
    return ENV_REF_RE.findall(text)


def is_env_ref(text: str) -> bool:
    return bool(re.fullmatch(ENV_REF_PATTERN, text))


def resolve_env(text: str, environ: dict[str, str]) -> str:
    """Replace every ``${env:NAME}``; a missing variable is an error that names it."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise KeyError(name)
        return environ[name]

    return ENV_REF_RE.sub(sub, text)
