"""`--format gitlab`: GitLab's code quality report, checked against the documented shape.

The schema (tests/lint/data/gitlab-codequality-schema.json) is GitLab's documented table
(https://docs.gitlab.com/ci/testing/code_quality/, "Code Quality report format") written
as JSON Schema; GitLab publishes none of its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from copilot.lint.config import LintConfig
from copilot.lint.engine import LintRun, lint_report
from copilot.lint.files import lint_paths
from copilot.lint.report import render

from .conftest import DATA, REPO

SAMPLE = "tests/lint/data/findings.yaml"


def issues(run: LintRun) -> list[dict[str, Any]]:
    report = json.loads(render(run, "gitlab"))
    schema = json.loads((DATA / "gitlab-codequality-schema.json").read_text())
    jsonschema.Draft7Validator(schema).validate(report)
    return report


def test_every_example_flow_is_a_valid_report_with_unique_fingerprints(in_repo: Path) -> None:
    run = lint_paths([SAMPLE, "examples/flows"], LintConfig())
    report = issues(run)
    assert len(report) == len(run.findings) > 0
    assert len({i["fingerprint"] for i in report}) == len(report)
    assert all(not i["location"]["path"].startswith("/") for i in report)


def test_one_issue_per_finding_with_its_rule_level_and_line(in_repo: Path) -> None:
    run = lint_paths([SAMPLE], LintConfig())
    report = issues(run)
    for finding, issue in zip(run.findings, report, strict=True):
        assert issue["check_name"] == finding.code
        assert issue["description"] == f"{finding.code} {finding.name}: {finding.message}"
        assert issue["severity"] == {"error": "major", "warning": "minor", "info": "info"}[finding.severity]
        assert issue["location"] == {"path": SAMPLE, "lines": {"begin": finding.line}}


def test_fingerprints_survive_an_edit_above_the_finding(in_repo: Path, tmp_path: Path) -> None:
    text = (REPO / SAMPLE).read_text()
    before = issues(LintRun([lint_report(text, "flows/a.yaml")]))
    after = issues(LintRun([lint_report("# a comment added on top\n" + text, "flows/a.yaml")]))
    assert [i["fingerprint"] for i in before] == [i["fingerprint"] for i in after]
    assert [i["location"]["lines"]["begin"] + 1 for i in before] == [
        i["location"]["lines"]["begin"] for i in after
    ]


def test_identical_findings_still_get_unique_fingerprints(in_repo: Path) -> None:
    report = lint_report((REPO / SAMPLE).read_text(), "flows/a.yaml")
    report = issues(LintRun([report, report]))
    assert len({i["fingerprint"] for i in report}) == len(report)


def test_a_file_that_cannot_be_parsed_is_reported_on_line_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text("apiVersion: flowgen/v1\nkind: [\n")
    (issue,) = issues(lint_paths(["bad.yaml"], LintConfig()))
    assert issue["check_name"] == "FG001"
    assert issue["severity"] == "major"
    assert issue["location"]["lines"]["begin"] >= 1
