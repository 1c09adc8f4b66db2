"""Durations, rates and `${env:NAME}` references."""

from __future__ import annotations

import math

import pytest

from copilot.flow.units import (
    Rate,
    env_refs,
    format_duration,
    is_env_ref,
    parse_duration,
    parse_rate,
    resolve_env,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("1.5s", 1.5),
        ("2m", 120.0),
        ("24h", 86_400.0),
        ("7d", 604_800.0),
        ("0ms", 0.0),
        (" 900ms ", 0.9),
        ("1 s", 1.0),
    ],
)
def test_durations_parse_to_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (250, "`250` has no unit"),
        (1.5, "`1.5` has no unit"),
        ("250", "`250` is not a duration"),
        ("-1s", "is not a duration"),
        ("1.5.3s", "is not a duration"),
        ("5 minutes", "is not a duration"),
        ("1w", "is not a duration"),
        ("ms", "is not a duration"),
        ("", "is not a duration"),
        (None, "expected a duration string"),
        (True, "expected a duration string"),
        ([1, "s"], "expected a duration string"),
    ],
)
def test_bad_durations_say_how_to_write_one(value: object, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(value)
    assert fragment in str(info.value)
    assert "250ms, 1.5s, 2m, 24h or 7d" in str(info.value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.25, "250ms"), (1.5, "1.5s"), (90, "90s"), (120, "2m"), (86_400, "1d"), (0.0005, "0.5ms")],
)
def test_format_duration_is_the_shortest_exact_spelling(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == pytest.approx(seconds)


def test_format_duration_of_infinity_is_unbounded() -> None:
    assert format_duration(math.inf) == "unbounded"


@pytest.mark.parametrize(
    ("text", "count", "period", "per_second"),
    [
        ("50/s", 50, 1.0, 50.0),
        ("600/m", 600, 60.0, 10.0),
        ("3600/h", 3600, 3600.0, 1.0),
        ("5/10s", 5, 10.0, 0.5),
        ("1.5/s", 1.5, 1.0, 1.5),
        ("10/500ms", 10, 0.5, 20.0),
    ],
)
def test_rates(text: str, count: float, period: float, per_second: float) -> None:
    rate = parse_rate(text)
    assert (rate.count, rate.period) == (count, period)
    assert rate.per_second == pytest.approx(per_second)
    assert parse_rate(str(rate)) == rate  # its spelling reads back


@pytest.mark.parametrize("text", ["50", "x/s", "50/w", "0/s", "50 per second", "", "-5/s"])
def test_bad_rates(text: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        parse_rate(text)


def test_rate_of_a_non_string_is_refused() -> None:
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate(50)
    assert parse_rate(Rate(2, 1.0)) == Rate(2, 1.0)


def test_env_refs_are_listed_in_order() -> None:
    text = "Bearer ${env:API_TOKEN} for ${env:TENANT_1} and $env:NOPE ${env:1BAD}"
    assert env_refs(text) == ["API_TOKEN", "TENANT_1"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${env:PAGER_URL}", True),
        ("${env:_X9}", True),
        ("https://${env:HOST}/x", False),
        ("${env:}", False),
        ("${ENV:X}", False),
        ("sk-live-123", False),
    ],
)
def test_is_env_ref_means_the_whole_value(text: str, expected: bool) -> None:
    assert is_env_ref(text) is expected


def test_resolve_env_replaces_every_reference() -> None:
    environ = {"HOST": "api.example.com", "TOKEN": "t0k"}
    assert resolve_env("https://${env:HOST}/v1?t=${env:TOKEN}", environ) == "https://api.example.com/v1?t=t0k"


def test_resolve_env_names_a_missing_variable() -> None:
    with pytest.raises(KeyError) as info:
        resolve_env("${env:HOST}/${env:MISSING}", {"HOST": "h"})
    assert info.value.args == ("MISSING",)
