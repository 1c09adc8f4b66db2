"""k6-style thresholds: ``p(95)<1500ms``, ``rate<0.01``, ``avg<0.004``.

One parser shared by the linter (FG803 compares thresholds with the SLA and the budget)
and by `flowgen test` (which checks measured values against them). The syntax is k6's:
an aggregate, a comparison and a value. A value with a time unit is held in seconds,
like every duration in flowgen; a bare number is kept as written (k6 reads a bare
latency as milliseconds: `Threshold.seconds` applies that convention).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from copilot.errors import FlowgenError
from copilot.flow.units import parse_duration

Aggregate = Literal["p", "avg", "rate", "max", "min", "med", "count"]
Op = Literal["<", "<=", ">", ">="]

_THRESHOLD_RE = re.compile(
    r"""^\s*
    (?:p\(\s*(?P<percentile>\d+(?:\.\d+)?)\s*\)|(?P<aggregate>avg|rate|max|min|med|count))
    \s*(?P<op><=|>=|<|>)\s*
    (?P<value>\d+(?:\.\d+)?|\.\d+)(?P<unit>ms|s|m|h|d)?
    \s*$""",
    re.X,
)
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
THRESHOLD_HINT = "write it as k6 does: p(95)<1500ms, avg<0.004, rate<0.01, max<=2s"


class ThresholdError(FlowgenError):
    """A threshold string that is not k6 syntax."""


@dataclass(frozen=True)
class Threshold:
    """One pass/fail criterion on an aggregate of a metric."""

    aggregate: Aggregate
    percentile: float | None  # for aggregate "p": 95 in p(95)
    op: Op
    value: float  # seconds when `duration`, otherwise the number as written
    duration: bool = False  # the value was written with a time unit
    text: str = ""

    def check(self, measured: float) -> bool:
        """Whether `measured` passes: seconds for a duration, else the metric's own unit.

        For a latency threshold written without a unit compare with `seconds` instead
        (``check_seconds``), as k6 reads a bare latency as milliseconds.
        """
        return _OPS[self.op](measured, self.value)

    def check_seconds(self, measured: float) -> bool:
        """Whether a latency of `measured` seconds passes (bare numbers read as ms)."""
        return _OPS[self.op](measured, self.seconds)

    @property
    def seconds(self) -> float:
        """The value as a duration: a bare number is milliseconds, as k6 reads trend metrics."""
        return self.value if self.duration else self.value / 1000.0

    @property
    def upper_bound(self) -> bool:
        """True for `<`/`<=`: the threshold caps the aggregate from above."""
        return self.op in ("<", "<=")

    @property
    def name(self) -> str:
        """The aggregate as written: ``p(95)``, ``avg``."""
        return f"p({self.percentile:g})" if self.aggregate == "p" else self.aggregate

    def __str__(self) -> str:
        return self.text or f"{self.name}{self.op}{self.value:g}"


def plain_number(value: float) -> str:
    """`value` without an exponent (``0.00001``, not ``1e-05``), as thresholds and rates need it."""
    text = f"{value:.12f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def parse_threshold(text: str) -> Threshold:
    """A `Threshold` from k6 syntax; `ThresholdError` (one clear line) otherwise."""
    if not isinstance(text, str):
        raise ThresholdError(f"threshold `{text!r}` is not a string; {THRESHOLD_HINT}")
    match = _THRESHOLD_RE.match(text)
    if not match:
        raise ThresholdError(f"`{text}` is not a threshold; {THRESHOLD_HINT}")
    percentile = match.group("percentile")
    unit = match.group("unit")
    number = match.group("value")
    if percentile is not None:
        p = float(percentile)
        if not 0 < p <= 100:
            raise ThresholdError(f"`{text}`: the percentile must be above 0 and at most 100")
    value = parse_duration(number + unit) if unit else float(number)
    return Threshold(
        aggregate="p" if percentile is not None else match.group("aggregate"),  # type: ignore[arg-type]
        percentile=float(percentile) if percentile is not None else None,
        op=match.group("op"),  # type: ignore[arg-type]
        value=value,
        duration=unit is not None,
        text=text.strip(),
    )
