"""The three renderings of a test's results: terminal tables, JSON, and the HTML page."""

from __future__ import annotations

import json
import re

import pytest
from rich.console import Console

from copilot.run.loadtest import TestOptions, prepare, run_setup, run_tests
from copilot.run.report import charts, render_html, render_json, render_text

from .conftest import mini_flow

TESTS = """\
tests:
  load: {executor: burst, rate: 20/s, events: 40, burst: {size: 10, every: 1s}}
  chaos:
    - {target: "model:main", type: latency, latency: 300ms, jitter: 100ms, toxicity: 0.5}
    - {target: "model:main", type: error, status: 503, toxicity: 0.2}
  thresholds:
    latency: ["p(95)<2s"]
    errors: ["rate<0.01"]
"""
VIRTUAL = TestOptions(virtual_time=True)


@pytest.fixture
def result(write_flow):
    return run_setup(prepare(write_flow(mini_flow(tests=TESTS, fallback=True)), VIRTUAL))


def test_text_report_shows_results_thresholds_and_steps(result):
    console = Console(record=True, width=200, color_system=None)
    render_text([result], console)
    text = console.export_text()
    assert "flowgen test mini" in text
    assert "burst 20/s + 10 every 1s, 40 events" in text
    assert "model:main:error:503@0.2 (hit " in text
    for label in (
        "responded within SLA",
        "full answer within SLA",
        "hedges won",
        "cost per event",
        "throughput",
    ):
        assert label in text
    assert re.search(r"latency\s+│\s+p\(95\)<2s\s+│\s+[\d,]+ ms\s+│\s+pass", text)
    # The 503s fall back to `spare`, which answers: no event errors, the threshold passes.
    assert re.search(r"errors\s+│\s+rate<0\.01\s+│\s+0\s+│\s+pass", text)
    assert "Steps of mini" in text and "reply" in text and "spare" in text
    assert "all thresholds passed" in text


def test_json_is_the_results_as_data(result):
    data = json.loads(render_json([result]))
    assert data["flow"] == "mini" and data["events"] == 40
    assert set(data["latency_ms"]) == {"count", "min", "avg", "p50", "p95", "p99", "max"}
    assert (
        data["latency_ms"]["p50"]
        <= data["latency_ms"]["p95"]
        <= data["latency_ms"]["p99"]
        <= data["latency_ms"]["max"]
    )
    assert data["thresholds"][0] == {
        "metric": "latency",
        "threshold": "p(95)<2s",
        "measured": pytest.approx(data["latency_ms"]["p95"]),
        "unit": "ms",
        "passed": True,
    }
    assert data["counts"]["fallbacks"] == round(data["rates"]["fallbacks"] * 40)
    assert data["passed"] is True


def test_compare_puts_both_flows_side_by_side(write_flow):
    a = write_flow(mini_flow(tests=TESTS, fallback=True), "a.yaml")
    b = write_flow(mini_flow(name="other", tests=""), "b.yaml")
    results = run_tests([a, b], VIRTUAL, compare=True)
    data = json.loads(render_json(results))
    assert [d["flow"] for d in data["compare"]] == ["mini", "other"]
    console = Console(record=True, width=240, color_system=None)
    render_text(results, console)
    text = console.export_text()
    header = next(line for line in text.splitlines() if "metric" in line and "mini" in line)
    assert header.index("mini") < header.index("other")
    # `other` has no fallback: the 503s become errors and its errors threshold fails.
    assert re.search(r"errors\s+│\s+rate<0\.01\s+│\s+0\s+│\s+pass\s+│\s+0\.\d+\s+│\s+FAIL", text)
    assert "threshold(s) failed" in text


def test_html_report_is_self_contained(result):
    html = render_html([result])
    assert html.startswith("<!doctype html>")
    assert html.count("<svg") == 4
    assert "<script" not in html.lower()
    # Nothing is loaded from anywhere: no src/href attributes and no stylesheet links.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html
    for title in ("Latency distribution", "Latency over time", "Per step", "Errors"):
        assert title in html
    assert ">SLA<" in html  # the SLA line's legend entry
    assert "p(95)&lt;2s" in html  # values are escaped, not markup


def test_html_escapes_what_the_user_wrote(write_flow):
    path = write_flow(mini_flow(), "<i>&flow.yaml")
    html = render_html([run_setup(prepare(path, VIRTUAL))])
    assert "<i>&flow" not in html
    assert "&lt;i&gt;&amp;flow.yaml" in html


def test_charts_overlay_both_flows_of_a_comparison(write_flow):
    a = write_flow(mini_flow(tests=TESTS, fallback=True), "a.yaml")
    b = write_flow(mini_flow(name="other", tests=""), "b.yaml")
    svgs = charts(run_tests([a, b], VIRTUAL, compare=True))
    assert set(svgs) == {"histogram", "over_time", "steps", "errors"}
    for name in ("histogram", "errors"):
        assert "mini" in svgs[name] and "other" in svgs[name]
    assert "mini p95" in svgs["over_time"] and "other p95" in svgs["over_time"]
    assert "other/reply" in svgs["steps"]
