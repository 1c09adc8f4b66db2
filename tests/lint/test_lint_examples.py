"""The shipped examples: production flows lint without errors; the naive draft shows the point."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copilot.cli import app
from copilot.lint.config import LintConfig
from copilot.lint.files import lint_paths

from .conftest import REPO
from .fixture_tools import comments

FLOWS = REPO / "examples" / "flows"
NAIVE = FLOWS / "naive-support-triage.yaml"
PRODUCTION = sorted(p for p in FLOWS.glob("*.yaml") if p != NAIVE)


def test_there_are_examples() -> None:
    assert NAIVE.is_file() and len(PRODUCTION) >= 5


@pytest.mark.parametrize("flow", PRODUCTION, ids=[p.stem for p in PRODUCTION])
def test_example_lints_without_errors(flow: Path) -> None:
    run = lint_paths([str(flow)], LintConfig())
    errors = [f"{f.line}:{f.col} {f.code} {f.message}" for f in run.findings if f.severity == "error"]
    assert errors == []
    assert run.exit_code == 0


def test_naive_flow_triggers_many_distinct_rules() -> None:
    codes = {f.code for f in lint_paths([str(NAIVE)], LintConfig()).findings}
    assert len(codes) >= 12, sorted(codes)
    # the problems a copilot's first draft typically has
    assert {"FG101", "FG104", "FG201", "FG401", "FG501", "FG301"} <= codes


def test_fix_on_a_copy_of_the_naive_flow(tmp_path: Path) -> None:
    copy = tmp_path / "naive.yaml"
    shutil.copy(NAIVE, copy)
    shutil.copytree(FLOWS / "docs", tmp_path / "docs")
    before = lint_paths([str(copy)], LintConfig())
    fixable_before = {f.code for f in before.findings if f.fixable}
    assert len(fixable_before) >= 8

    result = CliRunner().invoke(app, ["lint", str(copy), "--fix", "--no-summary"])
    assert result.exit_code == 1  # errors that need a person remain (FG103, FG401, FG701...)
    assert "fixed" in result.output

    fixed = copy.read_text()
    after = lint_paths([str(copy)], LintConfig())
    assert [f"{f.code} {f.message}" for f in after.findings if f.fixable] == []
    assert comments(NAIVE.read_text()) == [c for c in comments(fixed) if c in comments(NAIVE.read_text())]
    assert all(c in fixed for c in comments(NAIVE.read_text()))
    # no new problem appears: the codes after are a subset of the codes before
    assert {f.code for f in after.findings} <= {f.code for f in before.findings}
    assert NAIVE.read_text() != fixed  # the original example is untouched, the copy changed
