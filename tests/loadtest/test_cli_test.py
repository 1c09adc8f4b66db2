"""`flowgen test` on the command line: exit codes, formats, the report file, bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from copilot.cli import app

from .conftest import EXAMPLES, mini_flow

runner = CliRunner()

TESTS = """\
tests:
  load: {executor: constant-arrival-rate, rate: 50/s, events: 25}
  thresholds:
    latency: ["p(95)<1s"]
    errors: ["rate<0.01"]
"""


def invoke(*args):
    return runner.invoke(app, ["test", *args, "--virtual-time"])


def test_passing_thresholds_exit_0_and_the_table_is_printed(write_flow):
    result = invoke(write_flow(mini_flow(tests=TESTS)))
    assert result.exit_code == 0, result.output
    assert "responded within SLA" in result.stdout and "all thresholds passed" in result.stdout
    assert result.stderr == ""  # no progress bar off a terminal


def test_a_failing_threshold_exits_1(write_flow):
    path = write_flow(mini_flow(tests=TESTS))
    result = invoke(path, "--chaos", "model:main:error:500@0.5")
    assert result.exit_code == 1
    assert "FAIL" in result.stdout and "1 threshold(s) failed" in result.stdout


def test_json_and_overrides(write_flow):
    result = invoke(
        write_flow(mini_flow(tests=TESTS)),
        "--format",
        "json",
        "--events",
        "7",
        "--rate",
        "10/s",
        "--seed",
        "3",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["events"] == 7 and data["seed"] == 3
    assert data["load"]["description"] == "constant-arrival-rate 10/s, 7 events"
    assert data["clock"] == "virtual"


def test_duration_override_stops_the_load(write_flow):
    result = invoke(write_flow(mini_flow(tests=TESTS)), "--format", "json", "--duration", "200ms")
    assert json.loads(result.stdout)["events"] == 10  # 50/s for 200 ms


def test_report_file_is_written(write_flow, tmp_path):
    out = tmp_path / "report.html"
    result = invoke(write_flow(mini_flow(tests=TESTS)), "--report", str(out))
    assert result.exit_code == 0
    assert out.read_text().startswith("<!doctype html>")
    assert f"wrote {out}" in result.stderr


def test_report_never_replaces_an_existing_file_without_force(write_flow, tmp_path):
    """Issue 10, item 17: an existing --report file is refused (one line, exit 2) before any work."""
    out = tmp_path / "notes.txt"
    out.write_text("my notes\n")
    path = write_flow(mini_flow(tests=TESTS))
    result = invoke(path, "--report", str(out))
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "--force" in result.stderr
    assert result.stdout == "" and out.read_text() == "my notes\n"
    result = invoke(path, "--report", str(out), "--force")
    assert result.exit_code == 0 and out.read_text().startswith("<!doctype html>")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--chaos", "model:main:latancy:1s"], "unknown fault `latancy`, did you mean `latency`?"),
        (["--rate", "fast"], "--rate: `fast` is not a rate"),
        (["--duration", "10"], "--duration: `10` is not a duration"),
        (["--events", "0"], "--events must be a positive number"),
        (["--compare"], "--compare takes exactly two flows"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(write_flow, args, message):
    result = invoke(write_flow(mini_flow(tests=TESTS)), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_two_flows_need_compare(write_flow):
    path = write_flow(mini_flow(tests=TESTS))
    result = invoke(path, path)
    assert result.exit_code == 2 and "with --compare" in result.stderr


def test_a_missing_or_broken_flow_is_exit_2(write_flow, tmp_path):
    result = invoke(str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and "nope.yaml" in result.stderr
    broken = write_flow(mini_flow(tests="tests:\n  load: {executor: burst, rate: 5/s}"))
    result = invoke(broken)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{broken}:") and "needs `burst:" in result.stderr


def test_virtual_time_needs_the_sim_provider(write_flow):
    result = invoke(write_flow(mini_flow(tests=TESTS)), "--provider", "openai")
    assert result.exit_code == 2 and "--virtual-time only makes sense" in result.stderr


def test_the_examples_side_by_side(tmp_path):
    out = tmp_path / "compare.html"
    result = invoke(
        "--compare",
        str(EXAMPLES / "support-triage.yaml"),
        str(EXAMPLES / "naive-support-triage.yaml"),
        "--report",
        str(out),
    )
    assert result.exit_code == 1  # the naive flow fails the thresholds
    assert "support-triage" in result.stdout and "naive-support-triage" in result.stdout
    assert "matches no call of naive-support-triage" in result.stdout
    assert out.exists() and "naive-support-triage" in out.read_text()


def test_model_rate_limits_apply_unless_lifted(write_flow):
    # 6 requests a minute: the limiter admits a burst of 6, then one call every 10 s, so
    # the other 19 events wait for the limiter until the step's 500 ms timeout fails them.
    text = mini_flow(tests=TESTS).replace(
        "latency: {p50: 100ms, p95: 100ms}}", "latency: {p50: 100ms, p95: 100ms}, limits: {rpm: 6}}", 1
    )
    path = write_flow(text)
    limited = json.loads(invoke(path, "--format", "json").stdout)
    assert limited["counts"]["errors"] == 25 - 6 and limited["call_errors"] == {"timeout": 19}
    lifted = json.loads(invoke(path, "--format", "json", "--no-rate-limits").stdout)
    assert lifted["counts"]["errors"] == 0 and lifted["full_answers"] == 1.0
