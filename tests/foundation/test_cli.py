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
    assert "  hot path      classify\n" in run.stdout
    assert "  critical path classify\n" in run.stdout
    assert "  p95           850 ms vs SLA 1,500 ms  fits\n" in run.stdout
    assert "  cost          $" in run.stdout and "vs budget $0.00400  fits" in run.stdout
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


def test_validate_reports_a_model_the_catalog_does_not_have(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(MINIMAL_FLOW.replace("openai/gpt-4o-mini-2024-07-18", "openai/gpt-4o-mini-typo"))
    run = flowgen("validate", str(path))
    assert run.code == 1
    # at the `use:` value (line 10, col 15), with the catalog's did-you-mean
    assert run.stderr.startswith(f"{path}:10:15: FG003 model alias `fast`: `openai/gpt-4o-mini-typo`")
    assert "did you mean `openai/gpt-4o-mini`?" in run.stderr
    data = json.loads(flowgen("validate", "--format", "json", str(path)).stdout)["files"][0]
    assert data["errors"][0]["code"] == "FG003" and data["errors"][0]["line"] == 10
    # a complete alias (provider + model) needs no catalog entry
    path.write_text(
        MINIMAL_FLOW.replace("{use: openai/gpt-4o-mini-2024-07-18}", "{provider: acme, model: m1}")
    )
    assert flowgen("validate", str(path)).code == 0


def test_a_template_that_does_not_parse_is_fg002_in_validate(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(MINIMAL_FLOW.replace('user: "{{ event.body }}"', 'user: "a\\n{{ event.body }"'))
    run = flowgen("validate", str(path))
    assert run.code == 2
    assert run.stderr == f"{path}:15:20: FG002 template syntax: unexpected '}}' in `a\\n{{{{ event.body }}`\n"
    cond = MINIMAL_FLOW.replace("    timeout: 900ms\n", '    timeout: 900ms\n    if: "{{ event.a == }}"\n')
    path.write_text(cond)
    run = flowgen("validate", str(path))
    assert run.code == 2 and ":17:9: FG002 template syntax:" in run.stderr


def test_validate_prints_the_hot_path_and_separately_the_critical_path(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    parallel = MINIMAL_FLOW.replace(
        "respond:\n  needs: [classify]\n",
        '  - {id: shape, type: transform, output: "{{ event.body }}"}\n'
        "respond:\n  needs: [classify, shape]\n",
    )
    path.write_text(parallel)
    run = flowgen("validate", str(path))
    assert run.code == 0, run.stderr
    assert "  hot path      classify → shape\n" in run.stdout  # everything the response waits for
    assert "  critical path classify\n" in run.stdout  # its slowest chain, compared with the SLA
