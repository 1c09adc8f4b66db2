"""The foundation commands through the real console script: --version, validate's exits."""

from __future__ import annotations

import json
from pathlib import Path

from copilot import __version__

from .conftest import EXAMPLES, MINIMAL_FLOW, flowgen


def test_version() -> None:
    run = flowgen("--version")
    assert run.code == 0
    assert run.stdout.strip() == f"flowgen {__version__}"
    assert __version__.count(".") == 2


def test_no_arguments_shows_help_and_every_command_has_help() -> None:
    run = flowgen("--help")
    assert run.code == 0
    for command in ("validate", "schema", "models"):
        assert command in run.stdout
        sub = flowgen(command, "--help")
        assert sub.code == 0 and "Usage" in sub.stdout


def test_validate_every_example_exits_0() -> None:
    run = flowgen("validate", *map(str, EXAMPLES))
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    for path in EXAMPLES:
        assert f"{path}: valid" in run.stdout


def test_validate_summary_names_hot_path_p95_and_cost(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(MINIMAL_FLOW)
    run = flowgen("validate", str(path))
    assert run.code == 0
    assert "hot path: classify" in run.stdout
    assert "estimated p95 850 ms vs SLA 1,500 ms (fits)" in run.stdout
    assert "estimated cost $" in run.stdout and "vs budget $0.00400" in run.stdout
    quiet = flowgen("validate", "--no-summary", str(path))
    assert quiet.stdout.strip() == f"✓ {path}: valid"


def test_validate_json(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(MINIMAL_FLOW)
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL_FLOW.replace("timeout: 900ms", "timeout: soon"))
    run = flowgen("validate", "--format", "json", str(good), str(bad))
    assert run.code == 2  # the worst file decides
    data = json.loads(run.stdout)
    first, second = data["files"]
    assert first["valid"] is True and first["summary"]["critical_path"]["p95_ms"] == 850.0
    assert second["valid"] is False and second["summary"] is None
    assert second["errors"] == [
        {
            "code": "FG002",
            "message": "`steps[0].timeout`: `soon` is not a duration; use a number with a unit: "
            "250ms, 1.5s, 2m, 24h or 7d",
            "path": str(bad),
            "line": 16,
            "column": 14,
        }
    ]


def test_validate_exit_1_for_graph_errors(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(MINIMAL_FLOW.replace("  needs: [classify]", "  needs: [clasify]"))
    run = flowgen("validate", str(path))
    assert run.code == 1
    assert run.stderr.strip() == (
        f"{path}:18:11: FG003 respond needs `clasify`, which is no step, did you mean `classify`?"
    )


def test_bad_flags_are_usage_errors() -> None:
    run = flowgen("validate", "--format", "xml", str(EXAMPLES[0]))
    assert run.code == 2
    assert "Traceback" not in run.stderr
