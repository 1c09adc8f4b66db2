"""Every output format: a snapshot on a flow with findings, plus format-specific checks."""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from copilot.lint.config import LintConfig
from copilot.lint.engine import LintRun
from copilot.lint.files import lint_paths
from copilot.lint.report import render
from copilot.lint.report.text import render as render_text

from .conftest import DATA

SAMPLE = "tests/lint/data/findings.yaml"


FILES = [SAMPLE, "tests/fixtures/rules/_bases/clean.yaml"]
# Snapshots cover the engine's own families, so another family's wording does not churn them.
OWN = LintConfig(select=("FG0", "FG1", "FG2"))


@pytest.fixture
def run(in_repo: Path) -> LintRun:
    return lint_paths(FILES, LintConfig())


@pytest.fixture
def own(in_repo: Path) -> LintRun:
    return lint_paths(FILES, OWN)


def text_of(run: LintRun) -> str:
    from rich.console import Console

    buf = io.StringIO()
    render_text(run, Console(file=buf, width=120, color_system=None, highlight=False))
    return buf.getvalue()


def test_text(own: LintRun, snapshot) -> None:
    out = text_of(own)
    assert out == snapshot
    assert f"{SAMPLE}:18:9 FG101 model step `classify` has no timeout" in out
    assert "  18 │   - id: classify          # the first call\n     │         ^" in out
    assert "  hot path      classify → answer\n  critical path classify → answer\n" in out
    assert "p95           1,700 ms vs SLA 1,000 ms  over the SLA" in out
    assert "cost          $0.00436/event vs budget $0.01000  fits" in out


def test_text_off_a_terminal_is_the_same_report_without_rich(run: LintRun) -> None:
    # Plain text (what a pipe or CI log gets, Rich not imported) reads exactly as Rich's rendering.
    from rich.console import Console

    plain, styled = io.StringIO(), io.StringIO()
    render_text(run, None, stream=plain)
    render_text(run, Console(file=styled, width=400, color_system=None, highlight=False))
    assert plain.getvalue() == styled.getvalue()
    assert "[missing-dead-letter, fixable]" in plain.getvalue()


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "junit"])
def test_data_formats(own: LintRun, fmt: str, snapshot) -> None:
    assert render(own, fmt) == snapshot


def test_json_shape(run: LintRun) -> None:
    data = json.loads(render(run, "json"))
    assert data["version"] == 1
    assert data["summary"]["exit_code"] == 1 and data["summary"]["errors"] == 5
    sample, clean = data["files"]
    assert sample["path"] == SAMPLE and clean["findings"] == []
    first = sample["findings"][0]
    assert set(first) == {
        "code", "name", "severity", "message", "path", "line", "column", "json_path", "fix_hint", "fixable"
    }  # fmt: skip
    assert sample["flow"]["critical_path"]["steps"] == ["classify", "answer"]
    assert clean["flow"]["sla_ms"] == 2000


def test_sarif_is_valid_against_the_2_1_0_schema(run: LintRun) -> None:
    import jsonschema

    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    sarif = json.loads(render(run, "sarif"))
    # with a format checker, so `uri` / `uri-reference` values are checked too
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(sarif)
    driver = sarif["runs"][0]["tool"]["driver"]
    rules = {r["id"]: r for r in driver["rules"]}
    assert len(rules) >= 50
    assert "helpUri" not in rules["FG101"]  # no hosted rule pages: the docs are inline in `help`
    assert rules["FG101"]["defaultConfiguration"]["level"] == "error"
    assert rules["FG008"]["defaultConfiguration"]["level"] == "note"
    assert "### Why it matters" in rules["FG101"]["help"]["markdown"]
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "FG101")
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == SAMPLE
    assert location["region"] == {"startLine": 18, "startColumn": 9}
    assert driver["rules"][result["ruleIndex"]]["id"] == "FG101"


def test_github_annotations_are_escaped(in_repo: Path, tmp_path: Path) -> None:
    out = render(lint_paths([SAMPLE], LintConfig()), "github")
    assert (
        f"::error file={SAMPLE},line=18,col=9,title=FG101 call-without-timeout::"
        "model step `classify` has no timeout\n"
    ) in out
    assert "::notice file=" in out and "::warning file=" in out
    weird = tmp_path / "a,b:c.yaml"
    weird.write_text("kind: [\n")
    line = render(lint_paths([str(weird)], LintConfig()), "github")
    assert "a%2Cb%3Ac.yaml" in line and line.count("\n") == 1


def test_junit_has_one_testcase_per_file_and_rule(run: LintRun) -> None:
    root = ET.fromstring(render(run, "junit"))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [SAMPLE, "tests/fixtures/rules/_bases/clean.yaml"]
    cases = suites[0].findall("testcase")
    names = [c.get("name") for c in cases]
    assert len(names) == len(set(names)) and "FG101 call-without-timeout" in names
    failed = {c.get("name").split()[0] for c in cases if c.find("failure") is not None}
    assert failed == {f.code for f in run.files[0].findings}
    assert int(root.get("failures")) == len(failed)
    assert all(c.find("failure") is None for c in suites[1].findall("testcase"))


def test_unreadable_file_in_every_format(in_repo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: flowgen/v1\nkind: [\n")
    run = lint_paths([str(bad)], LintConfig())
    assert run.exit_code == 2
    assert "FG001" in text_of(run)
    for fmt in ("json", "sarif", "github", "junit"):
        assert "FG001" in render(run, fmt)


def test_sarif_uris_are_encoded_and_stdin_is_named(in_repo: Path, tmp_path: Path) -> None:
    import jsonschema

    from copilot.lint.engine import lint_report
    from copilot.lint.report.sarif import artifact_location

    assert importlib.util.find_spec("rfc3987") or importlib.util.find_spec("rfc3986_validator")
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    spaced = tmp_path / "my flows" / "a b%.yaml"
    spaced.parent.mkdir()
    spaced.write_text((in_repo / SAMPLE).read_text())
    outside = lint_paths([str(spaced)], LintConfig())
    stdin = LintRun([lint_report((in_repo / SAMPLE).read_text(), "<stdin>")])
    for run in (outside, stdin):
        sarif = json.loads(render(run, "sarif"))
        jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(sarif)
    location = json.loads(render(outside, "sarif"))["runs"][0]["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"] == {"uri": spaced.as_uri()}
    assert "%20" in spaced.as_uri() and "%25" in spaced.as_uri()
    assert artifact_location("my flows/a#1.yaml") == {
        "uri": "my%20flows/a%231.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert artifact_location("<stdin>") == {"uri": "stdin"}
