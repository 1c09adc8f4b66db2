"""Issue 10, item 7: regexes from flows are matched in linear time, and lint warns on catastrophic ones.

`event_schema` with `pattern: "^(a+)+$"` and an id of 40 `a`s plus `!` ran `flowgen run`
past 30 s (Python's backtracking `re`). Schema patterns are now matched by RE2.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from copilot.flow.patterns import PatternError, backtracking_risk, compile_pattern, safe_patterns

FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: redos
sla: {latency_p95: 1500ms}
trigger:
  type: webhook
  path: /t
  auth: {scheme: none}
  event_schema:
    type: object
    required: [id]
    properties:
      id: {type: string, pattern: "^(a+)+$"}
  example: {id: "aaa"}
steps:
  - id: t
    type: transform
    output: {a: "{{ event.id }}"}
respond:
  needs: [t]
  body: {out: "{{ steps.t.output }}"}
"""


def test_a_hostile_event_against_a_catastrophic_pattern_is_refused_at_once(tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"id": "a" * 40 + "!"}))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "copilot", "run", str(flow), "--event", str(event)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.perf_counter() - started < 10  # before: past 30 s
    assert done.returncode == 2, done.stderr
    assert "does not match '^(a+)+$'" in done.stderr


def test_lint_warns_on_the_pattern_at_its_position(tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW)
    done = subprocess.run(
        [sys.executable, "-m", "copilot", "lint", str(flow), "--format", "json", "--select", "FG603"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    findings = json.loads(done.stdout)["files"][0]["findings"]
    assert [(f["code"], f["line"], f["column"]) for f in findings] == [("FG603", 13, 35)]
    assert "`(a+)+` at offset 1" in findings[0]["message"]


@pytest.mark.parametrize(
    ("pattern", "offset"),
    [
        ("^(a+)+$", 1),
        ("(a*)*", 0),
        ("(a|a)*", 0),
        ("(a|ab)+$", 0),
        ("^(\\w+\\s?)+$", 1),
        ("(x+x+)+y", 0),
        ("^[a-z]+([a-zA-Z]+)*$", 7),
        ("(\\w|\\d)+", 0),
        ("(?=(a|a)*$)", 3),  # inside a lookaround: RE2 cannot compile it, `re` would backtrack
        ("(?=(a+)+$)a", 3),
        ("(?<!x)(?:y(a+)+)", 10),
    ],
)
def test_catastrophic_patterns_are_found(pattern: str, offset: int) -> None:
    risk = backtracking_risk(pattern)
    assert risk is not None and risk.offset == offset, risk


@pytest.mark.parametrize(
    "pattern",
    [
        "^T-[0-9]{4}$",
        "^(ab)+$",
        "(a+b)+",
        "^\\d{3}-\\d{2}-\\d{4}$",
        "^(a|b|c)*$",
        "(?:x|y)+z",
        "[(a+)+]",
        "(?=\\d)[0-9]+$",
        "(?!ab)\\w+",
    ],
)
def test_ordinary_patterns_are_not(pattern: str) -> None:
    assert backtracking_risk(pattern) is None


def test_matching_is_linear_and_the_fallback_is_guarded() -> None:
    started = time.perf_counter()
    assert compile_pattern("^(a+)+$")("a" * 5000 + "!") is False
    assert time.perf_counter() - started < 1
    # RE2 has no backreferences: such a pattern falls back to `re` only when it cannot backtrack.
    assert compile_pattern("^(a)\\1$")("aa") is True
    with pytest.raises(PatternError, match="cannot be matched safely"):
        compile_pattern("^((a+)+)\\1$")


@pytest.mark.parametrize("pattern", ["(?=(a|a)*$)", "(?=(a+)+$)a", "(?=(a+b)+$)", "(?<=(x+)+)y"])
def test_a_nested_quantifier_in_a_pattern_only_re_can_run_is_refused_quietly(
    pattern: str, capfd: pytest.CaptureFixture[str]
) -> None:
    compile_pattern.cache_clear()
    started = time.perf_counter()
    with pytest.raises(PatternError, match="cannot be matched safely"):
        compile_pattern(pattern)
    assert time.perf_counter() - started < 1
    assert "Error parsing" not in capfd.readouterr().err  # absl's log line from re2.cc


def test_a_nested_quantifier_in_a_lookaround_is_refused_at_run(tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW.replace('"^(a+)+$"', '"(?=(a|a)*$)"'))
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"id": "a" * 40 + "!"}))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "copilot", "run", str(flow), "--event", str(event)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.perf_counter() - started < 10  # before: seconds of backtracking per event
    assert done.returncode == 2, done.stderr
    assert "cannot be matched safely" in done.stderr and "Error parsing" not in done.stderr


def test_safe_patterns_validator_refuses_without_backtracking() -> None:
    from jsonschema import Draft202012Validator

    cls = safe_patterns(Draft202012Validator)
    schema = {"type": "object", "patternProperties": {"^(a+)+$": {"type": "integer"}}}
    validator = cls(schema)
    started = time.perf_counter()
    assert validator.is_valid({"a" * 40 + "!": "x"})
    assert not validator.is_valid({"aaa": "x"})
    assert time.perf_counter() - started < 1
