"""k6's own threshold parser tests, run against flowgen's parser (copilot.flow.thresholds).

Every input of grafana/k6 `metrics/thresholds_parser_test.go` (commit 2e828e30ffd6, the
newest stored version, which adds p(0), p(100) and the refused p(-1), p(101), p(NaN),
p(+Inf)), with k6's expected verdict and parts: 33 expressions in all, 4 from
TestParseThresholdExpression (whole expressions), 19 from TestParseThresholdAggregationMethod
(the left side alone) and 10 from TestScanThresholdExpression (the split alone). Each is
run through the flowgen function that mirrors the k6 one, and the methods again inside a
whole expression (`METHOD<1`). A second table is k6's `TestThreshold_runNoTaint`
(thresholds_test.go): its 11 cases, 9 in `RUNS` (every operator) and 2 apart.
"""

from __future__ import annotations

import math

import pytest

from copilot.flow.thresholds import (
    ThresholdError,
    parse_method,
    parse_threshold,
    scan_threshold,
)

# TestParseThresholdExpression: input -> (method, operator, value) or None (k6 refuses).
EXPRESSIONS: list[tuple[str, tuple[str, str, float] | None]] = [
    ("count!20", None),
    ("foo>20", None),
    ("count>abc", None),
    ("count>20", ("count", ">", 20.0)),
]

# TestParseThresholdAggregationMethod: input -> (method, percentile) or None.
METHODS: list[tuple[str, tuple[str, float | None] | None]] = [
    ("count", ("count", None)),
    ("rate", ("rate", None)),
    ("value", ("value", None)),
    ("avg", ("avg", None)),
    ("min", ("min", None)),
    ("max", ("max", None)),
    ("med", ("med", None)),
    ("p(99)", ("p", 99.0)),
    ("p(99.9)", ("p", 99.9)),
    ("p(0)", ("p", 0.0)),
    ("p(100)", ("p", 100.0)),
    ("foo", None),
    ("p()", None),
    ("p(99", None),
    ("p(foo)", None),
    ("p(-1)", None),
    ("p(101)", None),
    ("p(NaN)", None),
    ("p(+Inf)", None),
]

# TestScanThresholdExpression: input -> (method, operator, value) as scanned, or None.
SCANS: list[tuple[str, tuple[str, str, str] | None]] = [
    ("foo<=bar", ("foo", "<=", "bar")),
    ("foo<bar", ("foo", "<", "bar")),
    ("foo>=bar", ("foo", ">=", "bar")),
    ("foo>bar", ("foo", ">", "bar")),
    ("foo===bar", ("foo", "===", "bar")),
    ("foo==bar", ("foo", "==", "bar")),
    ("foo!=bar", ("foo", "!=", "bar")),
    ("  foo  <=bar", ("foo", "<=", "bar")),
    ("foo<=  bar  ", ("foo", "<=", "bar")),
    ("foo!bar", None),
]

K6_EXPRESSION_COUNT = 33


def test_the_table_holds_every_k6_expression() -> None:
    assert len(EXPRESSIONS) + len(METHODS) + len(SCANS) == K6_EXPRESSION_COUNT
    inputs = [text for text, _ in EXPRESSIONS + METHODS + SCANS]
    assert len(set(inputs)) == len(inputs)


@pytest.mark.parametrize("k6_compatible", [False, True])
@pytest.mark.parametrize(("text", "expected"), EXPRESSIONS)
def test_parse_threshold_expression(
    text: str, expected: tuple[str, str, float] | None, k6_compatible: bool
) -> None:
    if expected is None:
        with pytest.raises(ThresholdError):
            parse_threshold(text, k6_compatible=k6_compatible)
        return
    threshold = parse_threshold(text, k6_compatible=k6_compatible)
    assert (threshold.aggregate, threshold.op, threshold.value) == expected
    assert threshold.percentile is None


@pytest.mark.parametrize(("text", "expected"), METHODS)
def test_parse_threshold_aggregation_method(text: str, expected: tuple[str, float | None] | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            parse_method(text)
        with pytest.raises(ThresholdError):
            parse_threshold(f"{text}<1", k6_compatible=True)
        return
    assert parse_method(text) == expected
    threshold = parse_threshold(f"{text}<1", k6_compatible=True)
    assert (threshold.aggregate, threshold.percentile) == expected
    assert threshold.sink_key == text


@pytest.mark.parametrize(("text", "expected"), SCANS)
def test_scan_threshold_expression(text: str, expected: tuple[str, str, str] | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            scan_threshold(text)
        return
    assert scan_threshold(text) == expected
    with pytest.raises(ThresholdError, match="`foo` is not an aggregation method"):
        parse_threshold(text)  # `foo` scans, but is no method: k6 refuses the whole


# TestThreshold_runNoTaint: (method, operator, value), sinks, passes (None: k6 errs, no sink).
RUNS: list[tuple[str, dict[str, float], bool]] = [
    ("rate>0.01", {"rate": 1}, True),
    ("rate>0.01", {"rate": 1}, True),  # the same with an abort grace period
    ("rate>=0.01", {"rate": 0.01}, True),
    ("rate<=0.01", {"rate": 0.01}, True),
    ("rate<0.01", {"rate": 0.00001}, True),
    ("rate==0.01", {"rate": 0.01}, True),
    ("rate===0.01", {"rate": 0.01}, True),
    ("rate!=0.01", {"rate": 0.02}, True),
    ("rate>0.01", {"rate": 0.00001}, False),
]


@pytest.mark.parametrize(("text", "sinks", "passes"), RUNS)
def test_run_no_taint(text: str, sinks: dict[str, float], passes: bool) -> None:
    assert parse_threshold(text).evaluate(sinks) is passes


def test_run_over_a_missing_sink_and_an_unknown_operator() -> None:
    # k6's "valid expression over non-existing sink": its versions disagree (the test says
    # ok, the current runNoTaint errs); flowgen says "not measured" (None) and `flowgen
    # test` fails such a threshold. k6's "invalid expression operator" (`&`) cannot be
    # built here: the parser refuses it.
    assert parse_threshold("rate>0.01").evaluate({"med": 27.2}) is None
    with pytest.raises(ThresholdError):
        parse_threshold("rate&0.01")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("avg<1e3", 1000.0),
        ("count>-1", -1.0),
        ("avg<-1.5E-2", -0.015),
        ("avg<.5", 0.5),
        ("avg<5.", 5.0),
        ("count<1_000", 1000.0),
        ("avg<0x1p-2", 0.25),
        ("avg<+Inf", math.inf),
        ("avg<1e-400", 0.0),
    ],
)
def test_values_as_go_parse_float_reads_them(text: str, value: float) -> None:
    assert parse_threshold(text, k6_compatible=True).value == value


@pytest.mark.parametrize(
    "text",
    [
        "avg<1e400",
        "avg<0x10",
        "avg<_1",
        "avg<1_",
        "avg<1__0",
        "avg<+nan",
        "avg<infin",
        "avg<1 000",
        "p( 95 )<200",
    ],
)
def test_values_go_parse_float_refuses(text: str) -> None:
    with pytest.raises(ThresholdError):
        parse_threshold(text)


def test_nan_value_is_taken_and_never_passes_but_not_equal() -> None:
    threshold = parse_threshold("count<NaN")
    assert math.isnan(threshold.value) and not threshold.check(1.0)
    assert parse_threshold("count!=nan").check(1.0)
