"""Issue 10, input side: a flow file, an event and an output path are untrusted input.

Each test reproduces one finding of the security review (items 5, 14, 15, 17, 18, 19):
refused in one clear line with exit 2 where it is bad input, loaded where it is valid YAML.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from copilot.errors import FlowgenError
from copilot.flow.load import load_flow_text, parse_yaml

from .conftest import EXAMPLES_DIR, MINIMAL_FLOW, flowgen


def _one_line_refusal(run, fragment: str, where: str | None = None) -> str:
    assert run.code == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stdout + run.stderr and "internal error" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert fragment in lines[0], lines[0]
    if where is not None:
        assert f":{where}:" in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------------------- 5: alias bombs of bytes


def _string_bomb() -> str:
    big = "x" * 500_000
    aliases = ",".join(["*s"] * 111_000)
    return f"apiVersion: flowgen/v1\nkind: Flow\nname: bomb\nbig: &s {big}\nmany: [{aliases}]\n"


def test_one_big_string_aliased_many_times_is_refused_fast_and_positioned(tmp_path: Path) -> None:
    text = _string_bomb()
    assert len(text.encode()) < 1_000_000  # under the file cap: only the expansion is huge
    started = time.monotonic()
    with pytest.raises(FlowgenError) as info:
        parse_yaml(text, "bomb.yaml")
    assert time.monotonic() - started < 5
    assert "expand to more than 10,000,000 bytes" in info.value.message
    assert info.value.position is not None
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    for command in ("validate", "lint"):
        started = time.monotonic()
        run = flowgen(command, str(path))
        assert time.monotonic() - started < 30
        if command == "validate":
            _one_line_refusal(run, "aliases expand to more than 10,000,000 bytes")
        else:
            assert run.code == 2 and "FG001" in run.stdout and "10,000,000 bytes" in run.stdout


def test_modest_aliases_still_load() -> None:
    text = MINIMAL_FLOW.replace("timeout: 900ms", "timeout: &t 900ms") + "on_error: {}\n"
    assert load_flow_text(text).flow.steps[0].timeout == 0.9


# ---------------------------------------------------------------------------- 14: what run rejects


SCHEMA_FLOW = MINIMAL_FLOW.replace(
    '  auth: {scheme: standard-webhooks, secret: "${env:SECRET}"}\n',
    '  auth: {scheme: standard-webhooks, secret: "${env:SECRET}"}\n'
    "  event_schema:\n"
    "    type: object\n"
    "    properties:\n"
    "      body: {type: TYPE}\n"
    "      code: {type: string, pattern: PATTERN}\n",
)


@pytest.mark.parametrize(
    ("type_", "pattern", "fragment", "where"),
    [
        ("42", '"^[A-Z]+$"', "`trigger.event_schema.properties.body.type`: invalid JSON Schema", "12:20"),
        ("string", '"(?P<x"', "`trigger.event_schema.properties.code.pattern`: invalid JSON Schema", "13:37"),
    ],
)
def test_an_invalid_embedded_schema_is_refused_at_its_node(
    tmp_path: Path, type_: str, pattern: str, fragment: str, where: str
) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(SCHEMA_FLOW.replace("TYPE", type_).replace("PATTERN", pattern))
    _one_line_refusal(flowgen("validate", str(path)), fragment, where)
    lint = flowgen("lint", str(path))
    assert lint.code == 2 and f"{path}:{where} FG002 {fragment}" in lint.stdout
    _one_line_refusal(flowgen("run", str(path)), fragment, where)


def test_a_valid_embedded_schema_still_loads() -> None:
    text = SCHEMA_FLOW.replace("TYPE", "string").replace("PATTERN", '"^[A-Z]+$"')
    assert load_flow_text(text).flow.trigger.event_schema["properties"]["code"]["pattern"] == "^[A-Z]+$"


FINITE = "`sla.max_cost_per_event`: Input should be a finite number"
AT_MOST = "Input should be less than or equal to"
CAPPED = "durations are capped at 3650d"
BIG = "1" + "0" * 2999  # a 3,000-digit integer


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("max_cost_per_event: 0.004", "max_cost_per_event: .inf", FINITE),
        ("max_cost_per_event: 0.004", "max_cost_per_event: .nan", FINITE),
        ("latency_p95: 1500ms", "latency_p95: 1" + "0" * 37 + "d", CAPPED),
        ("timeout: 900ms", "timeout: 1" + "0" * 400 + "s", CAPPED),
        ("path: /hooks/minimal", "path: /hooks/minimal\n  concurrency: " + BIG, "`trigger.concurrency`: "),
        ("    timeout: 900ms", "    timeout: 900ms\n    max_tokens: " + BIG, "`steps[0].max_tokens`: "),
    ],
    ids=["inf-budget", "nan-budget", "1e37-days", "400-digit-timeout", "3000-digit-int", "huge-max-tokens"],
)  # fmt: skip
def test_values_no_flow_can_mean_are_refused_by_validate_lint_and_run(
    tmp_path: Path, old: str, new: str, fragment: str
) -> None:
    assert old in MINIMAL_FLOW
    path = tmp_path / "flow.yaml"
    path.write_text(MINIMAL_FLOW.replace(old, new))
    with pytest.raises(FlowgenError) as info:
        load_flow_text(path.read_text())
    assert fragment in info.value.message and info.value.position is not None
    if fragment.endswith(": "):
        assert AT_MOST in info.value.message
    line = _one_line_refusal(flowgen("validate", str(path)), fragment)
    assert len(line) < 400  # the value is not echoed in full
    lint = flowgen("lint", "--format", "json", str(path))
    assert lint.code == 2 and "FG002" in lint.stdout


def test_a_non_finite_example_event_is_refused() -> None:
    text = MINIMAL_FLOW.replace("  path: /hooks/minimal", "  path: /hooks/minimal\n  example: {n: .inf}")
    with pytest.raises(FlowgenError) as info:
        load_flow_text(text)
    assert "`trigger.example`: inf is not a JSON number" in info.value.message


# ---------------------------------------------------------------------------- 15: events


EVENT_FLOW = EXAMPLES_DIR / "support-triage.yaml"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"id": "T-1", "subject": "a", "body": "b", "id": "T-2"}', "event: duplicate key 'id'"),
        ('{"id": "T-1", "subject": "a", "body": "b", "n": NaN}', "event: NaN is not JSON"),
        ('{"id": "T-1", "subject": "a", "body": "b", "n": Infinity}', "event: Infinity is not JSON"),
        ('{"id": "T-1", "subject": "a", "body": "b", "n": -Infinity}', "event: -Infinity is not JSON"),
        ('{"id": "T-1", "subject": "a", "body": "b", "n": 1e400}', "event: the number 1e400 is out of range"),
    ],
)
def test_run_refuses_events_that_are_not_strict_json(tmp_path: Path, content: str, fragment: str) -> None:
    event = tmp_path / "event.json"
    event.write_text(content)
    _one_line_refusal(flowgen("run", str(EVENT_FLOW), "--event", str(event)), fragment)


def test_draft_refuses_a_sample_event_with_duplicate_keys(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"id": "a", "id": "b"}')
    run = flowgen(
        "draft", "Classify support tickets", "--provider", "offline", "--event", str(event), "--out", "-"
    )
    _one_line_refusal(run, "duplicate key 'id'")


def test_an_oversized_event_is_refused_as_an_event(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    with event.open("w") as handle:
        handle.write('{"id": "')
        handle.write("x" * 50_000_000)
        handle.write('"}')
    line = _one_line_refusal(flowgen("run", str(EVENT_FLOW), "--event", str(event)), "events are capped at")
    assert "flow files" not in line


# ---------------------------------------------------------------------------- 17: --trace, --transcript


def test_run_refuses_to_overwrite_a_trace_without_force(tmp_path: Path) -> None:
    trace = tmp_path / "spans.jsonl"
    trace.write_text("keep me\n")
    _one_line_refusal(flowgen("run", str(EVENT_FLOW), "--trace", str(trace)), "--trace", None)
    assert trace.read_text() == "keep me\n"
    forced = flowgen("run", str(EVENT_FLOW), "--trace", str(trace), "--force")
    assert forced.code == 0, forced.stderr
    assert trace.read_text() != "keep me\n"


def test_draft_refuses_to_overwrite_a_transcript_without_force(tmp_path: Path) -> None:
    transcript = tmp_path / "transcript.json"
    transcript.write_text("keep me\n")
    run = flowgen(
        "draft",
        "Classify support tickets",
        "--provider",
        "offline",
        "--out",
        "-",
        "--transcript",
        str(transcript),
    )
    line = _one_line_refusal(run, "pass --force to replace it")
    assert "--transcript" in line and transcript.read_text() == "keep me\n"


# ---------------------------------------------------------------------------- 18: YAML libyaml refuses


LIBYAML_REFUSES = MINIMAL_FLOW.replace(
    "  path: /hooks/minimal",
    "  path: /hooks/minimal\n  example: {body: How do I reset my password? I tried…}",
)


def test_valid_yaml_libyaml_refuses_loads_through_ruamel(tmp_path: Path) -> None:
    loaded = load_flow_text(LIBYAML_REFUSES)
    assert loaded.flow.trigger.example == {"body": "How do I reset my password? I tried…"}
    path = tmp_path / "flow.yaml"
    path.write_text(LIBYAML_REFUSES)
    run = flowgen("validate", str(path))
    assert run.code == 0, run.stderr
    fix = flowgen("lint", "--fix", str(path))
    assert fix.code in (0, 1) and "FG001" not in fix.stdout + fix.stderr, fix.stdout + fix.stderr
    fixed = load_flow_text(path.read_text())
    assert fixed.flow.trigger.example == {"body": "How do I reset my password? I tried…"}


def test_yaml_both_parsers_refuse_is_still_fg001(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text("apiVersion: flowgen/v1\nsteps: [1, 2\nkind: Flow\n")
    _one_line_refusal(flowgen("validate", str(path)), "YAML syntax", "3:5")


# ---------------------------------------------------------------------------- 19: default thresholds


def test_a_flow_without_thresholds_is_tested_against_its_own_sla() -> None:
    run = flowgen("test", str(EXAMPLES_DIR / "naive-support-triage.yaml"), "--virtual-time")
    assert run.code == 1, run.stdout + run.stderr
    assert "no thresholds in the flow: using the SLA and errors < 1%" in run.stdout
    assert "all thresholds passed" not in run.stdout
    assert "p(95)<1500" in run.stdout and "rate<0.01" in run.stdout


FAILING_FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: always-fails
sla: {latency_p95: 1s, max_cost_per_event: 0.01}
trigger:
  type: webhook
  path: /x
  example: {id: a}
  event_schema: {type: object, properties: {id: {type: string}}}
steps:
  - {id: t, type: transform, output: {n: "{{ 1 // 0 }}"}}
respond: {needs: [t], body: {n: "{{ steps.t.output.n }}"}}
tests:
  load: {executor: constant-arrival-rate, events: 20, rate: 20/s}
THRESHOLDS"""


@pytest.mark.parametrize(
    "thresholds", ["", "  thresholds: {latency: ['p(95)<1000ms']}\n"], ids=["none", "latency-only"]
)
def test_every_event_failing_never_passes(tmp_path: Path, thresholds: str) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(FAILING_FLOW.replace("THRESHOLDS", thresholds))
    run = flowgen("test", str(path), "--virtual-time")
    assert run.code == 1, run.stdout + run.stderr
    assert "all thresholds passed" not in run.stdout
    if not thresholds:
        assert "no thresholds in the flow: using the SLA, the budget and errors < 1%" in run.stdout


def test_a_json_lines_file_that_breaks_names_its_line_and_column_for_traces_and_dead_letters(tmp_path):
    from copilot.errors import FlowgenError
    from copilot.graph.evidence import read_trace
    from copilot.serve.letters import read_letters

    for reader, name in ((read_trace, "trace.jsonl"), (read_letters, "dead.jsonl")):
        path = tmp_path / name
        path.write_text('{"source": "serve"}\n\n{"source": "serve", oops}\n', encoding="utf-8")
        with pytest.raises(FlowgenError) as caught:
            reader(path)
        assert f"{path}:3:" in str(caught.value), str(caught.value)
