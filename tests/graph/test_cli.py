"""`flowgen graph` and `flowgen init` through the command line."""

from __future__ import annotations

import json
import tomllib

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from copilot.cli import app

from .conftest import DATA, EXAMPLES
from .mermaid_subset import parse

runner = CliRunner(env={"COLUMNS": "80", "NO_COLOR": "1"})
TRIAGE = str(EXAMPLES / "support-triage.yaml")


def flowgen(*args: str):
    return runner.invoke(app, list(args), prog_name="flowgen")


def test_graph_prints_mermaid_by_default() -> None:
    result = flowgen("graph", TRIAGE)
    assert result.exit_code == 0, result.output
    assert "step_answer" in parse(result.stdout).nodes


def test_graph_json_is_versioned() -> None:
    result = flowgen("graph", TRIAGE, "--format", "json", "--results", str(DATA / "results-small.json"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["version"] == 1 and data["name"] == "support-triage"
    assert data["evidence"]["blamed_step"] == "answer"
    assert data["critical_path"] == ["classify", "checked", "docs", "answer"]


def test_graph_writes_html_and_refuses_to_overwrite(tmp_path) -> None:
    out = tmp_path / "g.html"
    result = flowgen("graph", TRIAGE, "-f", "html", "--layout", "grandalf", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    again = flowgen("graph", TRIAGE, "-f", "html", "-o", str(out))
    assert again.exit_code == 2 and "pass --force" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--layout", "neato"], "--layout must be one of"),
        (["--trace", "a", "--results", "b"], "not both"),
        (["--results", "missing.json"], "no such file"),
    ],
)
def test_graph_bad_input_is_one_line_and_exit_2(args, message) -> None:
    result = flowgen("graph", TRIAGE, *args)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_graph_refuses_evidence_of_another_flow() -> None:
    result = flowgen(
        "graph", str(EXAMPLES / "fraud-scoring.yaml"), "--trace", str(DATA / "trace-deadline.jsonl")
    )
    assert result.exit_code == 2 and "measured flow `support-triage`" in result.stderr


def test_init_scaffolds_a_project(tmp_path) -> None:
    target = tmp_path / "my-flows"
    result = flowgen("init", str(target), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["version"] == 1
    expected = {
        "brief.md",
        "events/example.json",
        "flows/my-flows.yaml",
        "flows/flow.schema.json",
        "pyproject.toml",
        ".pre-commit-config.yaml",
        ".github/workflows/flowgen.yml",
    }
    assert {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()} == expected
    flow = (target / "flows/my-flows.yaml").read_text()
    assert flow.startswith("# yaml-language-server: $schema=./flow.schema.json")
    assert (
        tomllib.loads((target / "pyproject.toml").read_text())["tool"]["flowgen"]["lint"]["fail-on"]
        == "error"
    )
    hooks = YAML(typ="safe").load((target / ".pre-commit-config.yaml").read_text())
    assert hooks["repos"][0]["hooks"][0]["entry"] == "flowgen lint --flows-only"
    workflow = YAML(typ="safe").load((target / ".github/workflows/flowgen.yml").read_text())
    steps = " ".join(str(s.get("run", "")) for s in workflow["jobs"]["flows"]["steps"])
    assert "flowgen lint flows/ --format sarif" in steps and "flowgen graph flows/my-flows.yaml" in steps
    # the drafted flow lints clean with the project's own config, and draws
    lint = flowgen("lint", str(target / "flows/my-flows.yaml"))
    assert lint.exit_code == 0, lint.output
    assert flowgen("graph", str(target / "flows/my-flows.yaml")).exit_code == 0
    json.loads((target / "events/example.json").read_text())


def test_init_changes_nothing_in_a_non_empty_folder_without_force(tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = flowgen("init", str(tmp_path))
    assert result.exit_code == 2
    assert "not empty; pass --force" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    forced = flowgen(
        "init",
        str(tmp_path),
        "--force",
        "--brief",
        "@" + str(EXAMPLES.parent / "briefs" / "fraud-scoring.md"),
    )
    assert forced.exit_code in (0, 1), forced.output
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (
        (tmp_path / "brief.md")
        .read_text()
        .startswith((EXAMPLES.parent / "briefs" / "fraud-scoring.md").read_text()[:40])
    )
