"""The shared k6 threshold parser (copilot.flow.thresholds), used by FG803 and `flowgen test`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from copilot.errors import FlowgenError
from copilot.flow.thresholds import Threshold, ThresholdError, parse_threshold


@pytest.mark.parametrize(
    ("text", "aggregate", "percentile", "op", "value", "duration"),
    [
        ("p(95)<1500ms", "p", 95.0, "<", 1.5, True),
        ("p(99.9) <= 2s", "p", 99.9, "<=", 2.0, True),
        ("rate<0.01", "rate", None, "<", 0.01, False),
        ("avg<0.004", "avg", None, "<", 0.004, False),
        ("max<=1m", "max", None, "<=", 60.0, True),
        ("min>10ms", "min", None, ">", 0.01, True),
        ("med < 300ms", "med", None, "<", 0.3, True),
        ("count>=100", "count", None, ">=", 100.0, False),
        ("avg<.5", "avg", None, "<", 0.5, False),
    ],
)
def test_parses_k6_syntax(
    text: str, aggregate: str, percentile: float | None, op: str, value: float, duration: bool
) -> None:
    threshold = parse_threshold(text)
    assert threshold.aggregate == aggregate
    assert threshold.percentile == percentile
    assert threshold.op == op
    assert threshold.value == pytest.approx(value)
    assert threshold.duration is duration
    assert str(threshold) == text.strip()


@pytest.mark.parametrize(
    "text",
    ["p95<1500ms", "p(95)=1s", "p( 95 )<1s", "p(101)<1s", "avg<", "<0.1", "avg<1.5 s", "mean<1", "", "x"],
)
def test_refuses_what_is_not_a_threshold(text: str) -> None:
    with pytest.raises(ThresholdError) as info:
        parse_threshold(text)
    assert isinstance(info.value, FlowgenError)
    assert "\n" not in str(info.value)


def test_non_string_is_an_error() -> None:
    with pytest.raises(ThresholdError):
        parse_threshold(1500)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "measured", "passes"),
    [
        ("p(95)<1500ms", 1.499, True),
        ("p(95)<1500ms", 1.5, False),
        ("p(95)<=1500ms", 1.5, True),
        ("rate<0.01", 0.0099, True),
        ("rate<0.01", 0.02, False),
        ("count>=100", 100, True),
        ("min>10ms", 0.005, False),
    ],
)
def test_check(text: str, measured: float, passes: bool) -> None:
    assert parse_threshold(text).check(measured) is passes


def test_bare_latency_is_milliseconds_as_k6_reads_it() -> None:
    bare = parse_threshold("p(95)<1500")
    assert bare.value == 1500 and not bare.duration
    assert bare.seconds == pytest.approx(1.5)
    assert bare.check_seconds(1.2) is True
    assert bare.check_seconds(1.6) is False
    with_unit = parse_threshold("p(95)<2s")
    assert with_unit.seconds == 2.0 and with_unit.check_seconds(1.9)


def test_upper_bound_and_name() -> None:
    assert parse_threshold("p(95)<1s").upper_bound
    assert not parse_threshold("count>1").upper_bound
    assert parse_threshold("p(99.5)<1s").name == "p(99.5)"
    assert parse_threshold("avg<1").name == "avg"
    assert isinstance(parse_threshold("avg<1"), Threshold)


@given(st.text(max_size=40))
def test_arbitrary_text_parses_or_raises_threshold_error(text: str) -> None:
    try:
        threshold = parse_threshold(text)
    except ThresholdError:
        return
    assert threshold.op in ("<", "<=", ">", ">=", "==", "===", "!=")
