"""k6 thresholds: grafana/k6's expression grammar, exactly, plus one flowgen extension.

One parser shared by the linter (FG803 compares thresholds with the SLA and the budget)
and by `flowgen test` (which checks measured values against them).

The grammar is k6's (`metrics/thresholds_parser.go`, read with its parser tests), and this
module follows its steps rather than a tidier regex, so that every edge case agrees:

1. The text is split at the first of ``<=``, ``<``, ``>=``, ``>``, ``===``, ``==``, ``!=``
   that occurs in it, tried in that order (``count!20`` has none: refused). Both sides are
   trimmed of whitespace, so spaces around the operator and at either end are allowed.
2. The left side is an aggregation method, exactly: ``count``, ``rate``, ``value``,
   ``avg``, ``min``, ``max``, ``med`` or ``p(N)``. N is read as a float with nothing around
   it (``p( 95 )`` is refused) and must lie in 0..100 (``p(0)`` and ``p(100)`` are fine,
   ``p(101)``, ``p(-1)``, ``p(NaN)`` are not), as k6's current parser tests require.
3. The right side is read as Go's ``strconv.ParseFloat`` reads it: a sign, an exponent
   (``1e3``, ``-1.5E-2``), ``.5`` and ``5.``, digit-separating underscores (``1_000``),
   hexadecimal floats with a ``p`` exponent (``0x1p-2``), ``Inf``/``Infinity``/``NaN``
   in any case. Anything else, or a number out of float64 range, is refused.

Which methods a metric supports depends on its k6 type (`METHODS_BY_TYPE`: counter ->
count, rate; gauge -> value; rate -> rate; trend -> avg, min, max, med, p(N)); flowgen's
metrics and their types are `METRIC_TYPES`.

Deliberate differences, each named where it is decided:

- k6's parser lets a bare ``p`` through (``p<200``), and k6 then fails the run: no sink
  answers to ``p``. flowgen refuses it when parsing.
- Extension: a time unit on the value (``p(95)<1500ms``, ``max<=2s``; ms, s, m, h, d),
  held in seconds like every flowgen duration. k6 reads a bare latency as milliseconds,
  and so does flowgen (`Threshold.seconds`). `k6_compatible=True` refuses the unit.
- Extension: ``count`` on a trend or a rate metric (events measured). `k6_compatible`
  refuses it (`supported_methods`).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from copilot.errors import FlowgenError
from copilot.flow.units import DURATION_PATTERN, parse_duration

Aggregate = Literal["count", "rate", "value", "avg", "min", "max", "med", "p"]
Op = Literal["<=", "<", ">=", ">", "===", "==", "!="]
MetricType = Literal["counter", "gauge", "rate", "trend"]

# k6's scan order: the first operator found in the text splits it (longer tokens first).
OPERATORS: tuple[Op, ...] = ("<=", "<", ">=", ">", "===", "==", "!=")
# k6's aggregation keywords; `p(N)` is read apart.
METHODS: tuple[Aggregate, ...] = ("value", "count", "rate", "avg", "min", "med", "max")
METHODS_BY_TYPE: dict[MetricType, tuple[str, ...]] = {
    "counter": ("count", "rate"),
    "gauge": ("value",),
    "rate": ("rate",),
    "trend": ("avg", "min", "max", "med", "p"),
}
# flowgen's extension: how many events a trend or a rate was measured on.
EXTRA_METHODS_BY_TYPE: dict[MetricType, tuple[str, ...]] = {"trend": ("count",), "rate": ("count",)}
# The metrics `flowgen test` measures, by k6 type (run/loadtest.py measures them; a test
# holds the two lists together). `latency{step:ID}` is a latency.
METRIC_TYPES: dict[str, MetricType] = {
    "latency": "trend",
    "cost_per_event": "trend",
    "errors": "rate",
    "sla_attainment": "rate",
    "full_answers": "rate",
    "deadline_answers": "rate",
    "retries": "rate",
    "fallbacks": "rate",
    "hedges_won": "rate",
    "dead_letters": "rate",
    "throughput": "counter",
}

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    # k6: "a sink always maps to float64 values, strictly equal is equivalent to loosely equal"
    "==": operator.eq,
    "===": operator.eq,
    "!=": operator.ne,
}
# Go's unicode.IsSpace, which strings.TrimSpace trims (Python's str.strip also trims \x1c-\x1f).
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    map(chr, range(0x2000, 0x200B))
)
# strconv.ParseFloat's syntax: underscores only between digits (after `0x` too).
_DIGITS = r"[0-9](?:_?[0-9])*"
_HEX = r"[0-9a-fA-F](?:_?[0-9a-fA-F])*"
_GO_DECIMAL = re.compile(rf"[+-]?(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?")
_GO_HEX = re.compile(rf"[+-]?0[xX](?:_?{_HEX}(?:\.(?:{_HEX})?)?|\.{_HEX})[pP][+-]?{_DIGITS}")
_GO_INF = re.compile(r"[+-]?(?:inf|infinity)", re.I)
_GO_NAN = re.compile(r"nan", re.I)
_WITH_UNIT = re.compile(DURATION_PATTERN)

K6_EXAMPLES = "p(95)<1500, avg<0.004, rate<0.01, count>=100"
OPERATORS_TEXT = "<, <=, >, >=, ==, ===, !="


def threshold_hint(k6_compatible: bool = False) -> str:
    """What a threshold looks like, naming only forms that parse (no unit when k6-compatible)."""
    hint = f"write METHOD OPERATOR NUMBER as k6 does: {K6_EXAMPLES} (operators {OPERATORS_TEXT})"
    return hint if k6_compatible else hint + "; flowgen also takes a time unit: p(95)<1500ms, max<=2s"


THRESHOLD_HINT = threshold_hint()


class ThresholdError(FlowgenError):
    """A threshold string that is not k6 syntax (or flowgen's unit extension)."""


@dataclass(frozen=True)
class Threshold:
    """One pass/fail criterion on an aggregate of a metric."""

    aggregate: Aggregate
    percentile: float | None  # for aggregate "p": 95 in p(95)
    op: Op
    value: float  # seconds when `duration`, otherwise the number as written
    duration: bool = False  # the value was written with a time unit (flowgen's extension)
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

    def evaluate(self, aggregates: Mapping[str, float]) -> bool | None:
        """k6's evaluation: the aggregate named `sink_key` in `aggregates` against the value;
        None when that aggregate was not measured (k6 fails the run then)."""
        measured = aggregates.get(self.sink_key)
        return None if measured is None else self.check(measured)

    @property
    def sink_key(self) -> str:
        """The aggregate's key as k6 looks it up: ``p(99.9)``, ``avg``, ``value``."""
        return f"p({self.percentile:g})" if self.aggregate == "p" else self.aggregate

    @property
    def seconds(self) -> float:
        """The value as a duration: a bare number is milliseconds, as k6 reads trend metrics."""
        return self.value if self.duration else self.value / 1000.0

    @property
    def upper_bound(self) -> bool:
        """True when passing puts the aggregate at or under the value: `<`, `<=`, `==`, `===`."""
        return self.op in ("<", "<=", "==", "===")

    @property
    def name(self) -> str:
        """The aggregate as written: ``p(95)``, ``avg``."""
        return self.sink_key

    def __str__(self) -> str:
        return self.text or f"{self.name}{self.op}{self.value:g}"


def plain_number(value: float) -> str:
    """`value` without an exponent (``0.00001``, not ``1e-05``), as thresholds and rates need it."""
    text = f"{value:.12f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def latency_threshold(seconds: float, *, percentile: int = 95, k6_compatible: bool = False) -> str:
    """``p(95)<1500ms``, or k6's own ``p(95)<1500`` (bare milliseconds) when k6-compatible."""
    from copilot.flow.units import format_duration

    if k6_compatible:
        return f"p({percentile})<{plain_number(seconds * 1000)}"
    return f"p({percentile})<{format_duration(seconds)}"


def go_parse_float(text: str) -> float:
    """The float Go's ``strconv.ParseFloat(text, 64)`` returns; ValueError where it errs.

    Overflow is an error there (``1e400``), as is any space; ``Inf`` and ``NaN`` are not.
    """
    if _GO_NAN.fullmatch(text):
        return math.nan
    if _GO_INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    plain = text.replace("_", "")
    try:
        if _GO_DECIMAL.fullmatch(text):
            number = float(plain)
        elif _GO_HEX.fullmatch(text):
            number = float.fromhex(plain)
        else:
            raise ValueError(f"`{text}` is not a number")
    except OverflowError:
        number = math.inf
    if math.isinf(number):
        raise ValueError(f"`{text}` is out of range")
    return number


def _go_trim(text: str) -> str:
    return text.strip(_GO_SPACE)


def scan_threshold(text: str) -> tuple[str, Op, str]:
    """k6's `scanThresholdExpression`: (method, operator, value), split at the first
    operator found (in `OPERATORS` order) and trimmed; ValueError when there is none."""
    for op in OPERATORS:
        method, found, number = text.partition(op)
        if found:
            return _go_trim(method), op, _go_trim(number)
    raise ValueError("it has no operator")


def parse_method(method: str) -> tuple[Aggregate, float | None]:
    """k6's `parseThresholdAggregationMethod` (aggregate, percentile), with the percentile
    range of its current tests; ValueError otherwise. A bare `p` is refused (see above)."""
    for aggregate in METHODS:
        if method == aggregate:
            return aggregate, None
    if method.startswith("p(") and method.endswith(")"):
        inner = method[2:-1]
        try:
            percentile = go_parse_float(inner)
        except ValueError:
            raise ValueError(f"`{inner}` in `{method}` is not a number") from None
        if not 0 <= percentile <= 100:  # also refuses NaN
            raise ValueError("the percentile must be between 0 and 100")
        return "p", percentile
    if method == "p":
        raise ValueError("`p` needs a percentile, as in p(95)")
    raise ValueError(
        f"`{method}` is not an aggregation method (count, rate, value, avg, min, max, med or p(N))"
    )


def parse_threshold(text: str, *, k6_compatible: bool = False) -> Threshold:
    """A `Threshold` from k6 syntax (and a unit, unless `k6_compatible`); `ThresholdError`
    (one clear line) otherwise. The steps are k6's, in k6's order (see the module docstring)."""
    hint = threshold_hint(k6_compatible)
    if not isinstance(text, str):
        raise ThresholdError(f"threshold `{text!r}` is not a string; {hint}")
    try:
        method, op, number = scan_threshold(text)
        aggregate, percentile = parse_method(method)
    except ValueError as exc:
        raise ThresholdError(f"`{text}` is not a threshold: {exc}; {hint}") from None
    duration = False
    try:
        value = go_parse_float(number)
    except ValueError:
        if not _WITH_UNIT.fullmatch(number):
            raise ThresholdError(f"`{text}` is not a threshold: `{number}` is not a number; {hint}") from None
        if k6_compatible:
            raise ThresholdError(
                f"`{text}` is not a k6 threshold: k6 takes no unit (`{number}`); write the "
                "number alone, a latency in milliseconds (p(95)<1500)"
            ) from None
        value, duration = parse_duration(number), True
    return Threshold(
        aggregate=aggregate,
        percentile=percentile,
        op=op,
        value=value,
        duration=duration,
        text=_go_trim(text),
    )


def metric_type(metric: str) -> MetricType | None:
    """The k6 type of a flowgen threshold metric (`latency{step:ID}` is a latency); None if unknown."""
    base = metric.partition("{")[0].strip() if metric.endswith("}") else metric
    return METRIC_TYPES.get(base)


def supported_methods(kind: MetricType, *, k6_compatible: bool = False) -> tuple[str, ...]:
    """The aggregation methods a metric of this k6 type takes (flowgen's `count` extension
    unless `k6_compatible`)."""
    methods = METHODS_BY_TYPE[kind]
    return methods if k6_compatible else methods + EXTRA_METHODS_BY_TYPE.get(kind, ())


def method_problem(metric: str, threshold: Threshold, *, k6_compatible: bool = False) -> str | None:
    """Why `threshold` cannot apply to `metric` (k6's `Validate`), or None when it can or the
    metric is not one flowgen knows (`flowgen test` reports unknown metrics itself)."""
    kind = metric_type(metric)
    if kind is None:
        return None
    allowed = supported_methods(kind, k6_compatible=k6_compatible)
    if threshold.aggregate in allowed:
        return None
    shown = ", ".join("p(N)" if m == "p" else m for m in allowed)
    extension = ""
    if k6_compatible and threshold.aggregate in EXTRA_METHODS_BY_TYPE.get(kind, ()):
        extension = f" (`{threshold.name}` on a {kind} is flowgen's extension)"
    return f"`{threshold}`: {metric} is a {kind} metric, it has no `{threshold.name}`{extension}; use {shown}"
