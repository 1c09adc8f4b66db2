"""`flowgen lint`, `flowgen rules`, `flowgen explain` end to end (Typer's runner)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from copilot.cli import app

from .conftest import CLEAN, DATA

runner = CliRunner()


def lint(*args: str, input: str | None = None):
    return runner.invoke(app, ["lint", *args], input=input)


def test_clean_flow_exits_0(in_repo: Path) -> None:
    result = lint(str(CLEAN.relative_to(in_repo)))
    assert result.exit_code == 0, result.output
    assert "no problems in 1 file" in result.output
    assert "p95           1,752 ms vs SLA 2,000 ms  fits" in result.output


def test_findings_exit_1_and_fail_on(in_repo: Path, tmp_path: Path) -> None:
    flow = tmp_path / "f.yaml"
    flow.write_text(CLEAN.read_text().replace("    fallback: [backup]\n    hedge: {after: 600ms}", ""))
    assert lint(str(flow)).exit_code == 0  # a warning only
    assert lint(str(flow), "--fail-on", "warning").exit_code == 1
    assert lint(str(flow), "--fail-on", "warning", "--ignore", "missing-fallback").exit_code == 0
    assert lint(str(DATA / "findings.yaml")).exit_code == 1


def test_unreadable_input_exits_2_but_lints_the_rest(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: flowgen/v1\nsteps: [\n")
    result = lint(str(bad), str(CLEAN), "--format", "json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert [f["findings"][0]["code"] if f["findings"] else None for f in data["files"]] == ["FG001", None]


def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    for args in (["--select", "FG9"], ["--ignore", "no-such-rule"], ["--config", str(tmp_path / "x.toml")]):
        result = lint(str(CLEAN), *args)
        assert result.exit_code == 2, args
        assert "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_stdin(tmp_path: Path) -> None:
    result = lint("-", "--format", "github", input=(DATA / "findings.yaml").read_text())
    assert result.exit_code == 1
    assert "::error file=<stdin>,line=18,col=9,title=FG101 call-without-timeout::" in result.stdout


def test_fix_writes_and_relints(tmp_path: Path) -> None:
    flow = tmp_path / "f.yaml"
    flow.write_text((DATA / "findings.yaml").read_text())
    result = lint(str(flow), "--fix", "--select", "FG1,FG2")
    text = flow.read_text()
    assert "fixed" in result.output and "FG101 steps[0] (classify): timeout" in result.output
    assert "# the first call" in text and 'reason="one provider by contract"' in text
    after = json.loads(lint(str(flow), "--select", "FG1,FG2", "--format", "json").stdout)
    fixable = [f for f in after["files"][0]["findings"] if f["fixable"]]
    assert fixable == []


def test_fix_of_stdin_prints_the_fixed_flow(tmp_path: Path) -> None:
    source = CLEAN.read_text().replace("    timeout: 900ms\n", "")
    result = lint("-", "--fix", input=source)
    assert "    timeout: 1090ms\n" in result.stdout  # the share the SLA leaves classify
    assert result.stdout.startswith("# yaml-language-server:")


def test_config_file_is_used(tmp_path: Path) -> None:
    flow = tmp_path / "f.yaml"
    flow.write_text((DATA / "findings.yaml").read_text())
    (tmp_path / ".flowgen.toml").write_text('[lint]\nselect = ["FG2"]\nfail-on = "warning"\n')
    data = json.loads(lint(str(flow), "--format", "json").stdout)
    assert {f["code"] for f in data["files"][0]["findings"]} == {"FG201", "FG205", "FG207", "FG209"}
    assert data["summary"]["fail_on"] == "warning"
    other = tmp_path / "other.toml"
    other.write_text('[tool.flowgen.lint]\nselect = ["FG101"]\n')
    data = json.loads(lint(str(flow), "--format", "json", "--config", str(other)).stdout)
    assert {f["code"] for f in data["files"][0]["findings"]} == {"FG101"}


def test_rules_table_and_json() -> None:
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0
    line = next(x for x in result.output.splitlines() if x.startswith("FG101"))
    assert "call-without-timeout" in line and "error" in line and "yes" in line
    rows = json.loads(runner.invoke(app, ["rules", "--format", "json"]).stdout)["rules"]
    assert len(rows) >= 50
    assert {r["code"]: r["fixable"] for r in rows}["FG103"] is False


def test_explain_by_code_and_name() -> None:
    by_code = runner.invoke(app, ["explain", "FG101"])
    by_name = runner.invoke(app, ["explain", "call-without-timeout"])
    assert by_code.exit_code == 0 and by_code.output == by_name.output
    for part in ("What it does", "Why it matters", "Example", "Fix"):
        assert part in by_code.output
    assert runner.invoke(app, ["rules", "fg101"]).output == by_code.output
    markdown = runner.invoke(app, ["explain", "FG205", "--format", "markdown"]).output
    assert markdown.startswith("## FG205 `retry-without-backoff`") and "```yaml" in markdown


def test_explain_unknown_rule() -> None:
    result = runner.invoke(app, ["explain", "call-without-timout"])
    assert result.exit_code == 2
    assert "did you mean `call-without-timeout`?" in result.stderr


def test_explain_a_word_suggests_the_rules_named_after_it() -> None:
    result = runner.invoke(app, ["explain", "timeout"])
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert "did you mean `FG101` (call-without-timeout)" in result.stderr


def test_the_readme_counts_the_rules_flowgen_rules_lists() -> None:
    import re

    rows = json.loads(runner.invoke(app, ["rules", "--format", "json"]).stdout)["rules"]
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert re.findall(r"\((\d+) rules\)", readme) == [str(len(rows))]


def test_each_code_points_to_explain_once(in_repo: Path, tmp_path: Path) -> None:
    flow = tmp_path / "f.yaml"
    flow.write_text(CLEAN.read_text().replace("timeout: 900ms", "", 1))
    output = lint(str(flow), "--no-summary").output
    codes = {line.split()[1] for line in output.splitlines() if line.startswith(str(flow))}
    assert codes
    for code in codes:
        assert output.count(f"= why and how to fix: flowgen explain {code}\n") == 1, code


def test_a_secret_is_masked_in_every_format(in_repo: Path, tmp_path: Path) -> None:
    flow = tmp_path / "f.yaml"
    key = "sk-proj-0000fake1111fake2222fake"
    token = "Zq81xR5tW0yP3vN7mK2jH6gF4dS9a"  # not the one in FG701's docs, which SARIF carries
    text = CLEAN.read_text().replace("description: Classify", f"description: Uses {key} to classify", 1)
    headers = f'headers: {{Authorization: "Bearer {token}"}}, json:'
    flow.write_text(text.replace("json:", headers, 1))
    for fmt in ("text", "json", "sarif", "github", "junit"):
        output = lint(str(flow), "--format", fmt).output
        assert "FG701" in output, fmt
        assert key not in output and token not in output, fmt
    framed = lint(str(flow), "--select", "FG701", "--no-summary").output
    assert f"Uses {key[:4]}**** to classify" in framed  # only the key is hidden
    assert 'Authorization: "Bear****"}' in framed


def test_flows_only_skips_other_yaml(tmp_path: Path, in_repo: Path) -> None:
    other = tmp_path / "values.yaml"
    other.write_text("replicas: 3\n")
    assert lint(str(other)).exit_code == 2  # named explicitly: not a flow is an error
    result = lint(str(other), str(CLEAN), "--flows-only", "--format", "json")
    assert result.exit_code == 0
    assert [f["path"] for f in json.loads(result.stdout)["files"]] == [
        "tests/fixtures/rules/_bases/clean.yaml"
    ]


def test_pre_commit_hook_definition() -> None:
    import re

    from ruamel.yaml import YAML

    from .conftest import REPO

    hooks = {h["id"]: h for h in YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks["flowgen-lint"]
    assert hook["entry"].startswith("flowgen lint") and "--flows-only" in hook["entry"]
    chosen = [
        p
        for p in ("flows/a.yaml", "x.yml", ".github/workflows/ci.yml", "README.md", "charts/app/values.yaml")
        if re.search(hook["files"], p) and not re.search(hook["exclude"], p)
    ]
    assert chosen == ["flows/a.yaml", "x.yml"]


def test_summary_says_unknown_for_a_model_outside_the_catalog(in_repo: Path, tmp_path: Path) -> None:
    flow = tmp_path / "f.yaml"
    flow.write_text(CLEAN.read_text().replace("openai/gpt-4o-mini", "openai/gpt-4o-mini-typo", 1))
    result = lint(str(flow), "--select", "FG003")
    assert result.exit_code == 1
    assert "FG003 model alias" in result.output
    assert "  p95           unknown vs SLA 2,000 ms (the model of " in result.output
    assert "  cost          unknown vs budget $0.01000" in result.output
    assert "$0.00000" not in result.output


def test_an_empty_selection_is_a_usage_error(in_repo: Path) -> None:
    for flags in (["--select="], ["--select", " , "], ["--ignore="], ["--extend-select="]):
        result = lint(*flags, str(CLEAN.relative_to(in_repo)))
        assert result.exit_code == 2, flags
        assert "is empty: give rule codes" in result.output
        assert "no problems" not in result.output


def test_ignoring_fg002_says_it_cannot_be_ignored(in_repo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(CLEAN.read_text().replace("timeout: 900ms", "timeout: 900", 1))
    result = lint("--ignore", "FG002", str(bad))
    assert result.exit_code == 2
    assert "FG002 (schema-violation) cannot be ignored" in result.output
    assert "FG002 `steps[0].timeout`" in result.output  # still reported


def test_a_missing_file_has_no_made_up_position(in_repo: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = lint(str(missing))
    assert result.exit_code == 2
    assert result.stderr == f"{missing}: no such file\n"  # a usage error, not a finding
    assert f"{missing}:1:1" not in result.output
    as_json = lint("--format", "json", str(missing))
    assert as_json.exit_code == 2 and as_json.stderr == ""
    data = json.loads(as_json.stdout)
    assert data["files"] == [] and data["summary"]["exit_code"] == 2
    error = {"kind": "no-such-file", "code": None, "message": "no such file", "path": str(missing)}
    assert data["errors"] == [error]  # its own kind: not FG001 (a file that cannot be parsed)


def test_a_folder_scan_reports_a_flow_without_api_version(in_repo: Path, tmp_path: Path) -> None:
    (tmp_path / "noapi.yaml").write_text(CLEAN.read_text().replace("apiVersion: flowgen/v1\n", ""))
    (tmp_path / "other.yaml").write_text("a: 1\n")  # not a flow: still skipped
    result = lint(str(tmp_path), "--no-summary")
    assert result.exit_code == 2
    assert "noapi.yaml:" in result.output and "FG002 `apiVersion` is required" in result.output
    assert "other.yaml" not in result.output
    assert "in 1 file" in result.output
