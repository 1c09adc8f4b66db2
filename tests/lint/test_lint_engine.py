"""The engine: findings sorted and positioned, unreadable files as findings, exit codes."""

from __future__ import annotations

from pathlib import Path

from copilot.flow.files import expand_paths
from copilot.lint.config import LintConfig
from copilot.lint.engine import lint_text
from copilot.lint.files import lint_paths

from .conftest import CLEAN, DATA


def test_clean_base_has_no_findings() -> None:
    assert lint_text(CLEAN.read_text(), str(CLEAN)) == []


def test_findings_are_sorted_and_positioned() -> None:
    text = (DATA / "findings.yaml").read_text()
    findings = lint_text(text, "findings.yaml")
    keys = [(f.line, f.col, f.code) for f in findings]
    assert keys == sorted(keys)
    timeout = next(f for f in findings if f.code == "FG101")
    assert (timeout.line, timeout.col) == (18, 9)
    assert timeout.loc == ("steps", 0, "id") and timeout.fixable
    assert timeout.json_path == "$.steps[0].id"


def test_yaml_error_is_a_positioned_finding() -> None:
    findings = lint_text("apiVersion: flowgen/v1\nkind: [Flow\n", "bad.yaml")
    assert [f.code for f in findings] == ["FG001"]
    assert findings[0].line == 3 and findings[0].severity == "error"


def test_every_schema_error_is_reported() -> None:
    text = (
        CLEAN.read_text()
        .replace("timeout: 900ms", "timout: 900ms")
        .replace("concurrency: 200", "concurrency: 0")
    )
    findings = lint_text(text, "x.yaml")
    assert [f.code for f in findings] == ["FG002", "FG002"]
    assert all(f.line > 1 for f in findings)
    assert "did you mean `timeout`" in " ".join(f.message for f in findings)


def test_unreadable_files_do_not_stop_the_others(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"apiVersion: flowgen/v1\n\x00\x01")
    good = tmp_path / "good.yaml"
    good.write_text(CLEAN.read_text())
    run = lint_paths([str(tmp_path / "missing.yaml"), str(bad), str(good)], LintConfig())
    assert [len(r.findings) for r in run.files] == [1, 1, 0]
    assert run.files[0].findings[0].code == "FG001" and "no such file" in run.files[0].findings[0].message
    assert run.files[1].findings[0].code == "FG001" and "binary" in run.files[1].findings[0].message
    assert run.files[2].summary is not None and run.files[2].summary["name"] == "clean-support-triage"
    assert run.exit_code == 2


def test_exit_codes_follow_fail_on(tmp_path: Path) -> None:
    flow = tmp_path / "f.yaml"
    text = CLEAN.read_text().replace("    fallback: [backup]\n    hedge: {after: 600ms}", "")
    flow.write_text(text)  # FG201 (warning) only
    assert [f.code for f in lint_paths([str(flow)], LintConfig()).findings] == ["FG201"]
    assert lint_paths([str(flow)], LintConfig()).exit_code == 0
    assert lint_paths([str(flow)], LintConfig(fail_on="warning")).exit_code == 1
    assert lint_paths([str(flow)], LintConfig(), options={"fail_on": "warning"}).exit_code == 1
    relevelled = LintConfig(severity=(("FG201", "error"),))
    run = lint_paths([str(flow)], relevelled)
    assert run.findings[0].severity == "error" and run.exit_code == 1


def test_folders_expand_to_flow_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(CLEAN.read_text())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yml").write_text(CLEAN.read_text())
    (tmp_path / "other.yaml").write_text("not: a flow\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.yaml").write_text(CLEAN.read_text())
    found = [Path(p).relative_to(tmp_path).as_posix() for p in expand_paths([str(tmp_path)])]
    assert found == ["a.yaml", "sub/b.yml"]


def test_select_and_ignore_in_the_engine() -> None:
    text = (DATA / "findings.yaml").read_text()
    only_latency = lint_text(text, "f.yaml", LintConfig(select=("FG1",)))
    assert {f.code for f in only_latency} == {"FG101", "FG103", "FG105", "FG108"}
    without = lint_text(text, "f.yaml", LintConfig(ignore=("FG1", "missing-fallback")))
    assert not {f.code for f in without} & {"FG101", "FG103", "FG105", "FG108", "FG201"}


def test_a_crashing_rule_is_one_clear_error(monkeypatch) -> None:
    import pytest

    from copilot.errors import FlowgenError
    from copilot.lint.rule import REGISTRY

    def broken(ctx):
        raise KeyError("boom")

    monkeypatch.setattr(REGISTRY["FG108"], "check", broken)
    with pytest.raises(FlowgenError, match=r"internal error in rule FG108 \(missing-max-tokens\): KeyError"):
        lint_text(CLEAN.read_text(), "x.yaml")
