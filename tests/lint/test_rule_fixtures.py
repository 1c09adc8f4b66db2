"""Every rule fixture (tests/fixtures/rules/*.yml) runs here; see that folder's README."""

from __future__ import annotations

import pytest

from copilot.flow.load import load_flow_text
from copilot.lint.config import LintConfig
from copilot.lint.docs import SECTIONS, sections
from copilot.lint.fixes import fix_text
from copilot.lint.rules import all_rules

from .fixture_tools import Case, all_cases, comments, find_case, lint_case, main, report

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture(case: Case) -> None:
    # Each message below is `report(...)`: the patched document with line numbers and a `^`
    # under every pinned and every found position, so a failing case can be checked by eye.
    config = LintConfig.from_mapping(case.config) if case.config else LintConfig()
    found = lint_case(case)
    if case.expect == "pass":
        assert found == [], report(case, found, f"{case.rule} fired on an `expect: pass` case")
        return
    assert found, report(case, found, f"{case.rule} did not fire")
    if case.findings is not None:
        assert [{"line": f.line, "col": f.col} for f in found] == case.findings, report(
            case, found, "the findings are not where the case pins them"
        )
    if case.count is not None:
        assert len(found) == case.count, report(case, found, f"{len(found)} finding(s), not {case.count}")
    if case.message is not None:
        assert all(case.message in f.message for f in found), report(
            case, found, f"a message does not contain {case.message!r}"
        )
    if case.fix:
        fixed, changes = fix_text(case.text, case.path, config)
        assert any(change.startswith(case.rule) for change in changes), changes
        load_flow_text(fixed, case.path)  # still a valid flow
        after = lint_case(case, fixed)
        assert after == [], report(case, after, "still fires after the fix", text=fixed, pinned=False)
        kept = comments(fixed)
        missing = [c for c in comments(case.text) if c not in kept]
        assert missing == [], f"comments lost by the fix: {missing}"


def test_a_failing_case_prints_its_document_with_the_pinned_and_found_positions() -> None:
    case = find_case("FG101", "model-step-without-timeout")
    found = lint_case(case)
    text = report(case, found, "demo", pinned=True)
    lines = text.splitlines()
    assert lines[0] == "FG101-model-step-without-timeout: demo"
    assert "  expected: 39:9" in lines
    assert "_bases/clean.yaml, set: {'steps[classify].timeout': '~delete'}" in text
    # the pinned line is there, numbered, with a caret under its column
    at = lines.index(" 39 |   - id: classify")
    assert lines[at + 1].startswith("    |         ^ FG101 39:9 expected, found: model step `classify`")
    # a pin that is off shows as its own marker, apart from where the rule fired
    case.findings = [{"line": 40, "col": 3}]
    lines = report(case, found, "demo").splitlines()
    at = lines.index(" 40 |     type: model")
    assert lines[at + 1] == "    |   ^ FG101 40:3 expected"
    # every line of the document is printed, numbered
    assert sum(1 for line in lines if line[:4].strip().isdigit()) == len(case.text.splitlines())


def test_fixture_tools_prints_one_case_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["FG101", "model-step-without-timeout"]) == 0
    out = capsys.readouterr().out
    assert " 39 |   - id: classify" in out and "^ FG101 39:9 expected, found:" in out
    assert main(["FG101"]) == 0
    assert "model-step-without-timeout  (expect: fail)" in capsys.readouterr().out
    assert main(["FG101", "nope"]) == 2
    assert "its cases: every-call-has-a-timeout" in capsys.readouterr().err


def test_every_rule_has_fixtures_and_docs() -> None:
    by_rule: dict[str, set[str]] = {}
    fixes: set[str] = set()
    for case in CASES:
        by_rule.setdefault(case.rule, set()).add(case.expect)
        if case.fix:
            fixes.add(case.rule)
    problems = []
    for rule in all_rules():
        expects = by_rule.get(rule.code, set())
        for wanted in ("pass", "fail"):
            if wanted not in expects:
                problems.append(f"{rule.code}: no {wanted} fixture")
        parts = sections(rule.doc)
        for title in SECTIONS:
            if not parts.get(title, "").strip():
                problems.append(f"{rule.code}: docstring has no `{title}` part")
        if rule.fixable != (rule.fix is not None):
            problems.append(
                f"{rule.code}: fixable={rule.fixable} but fixer registered={rule.fix is not None}"
            )
        if rule.fix is not None and rule.code not in fixes:
            problems.append(f"{rule.code}: fixable but no `fix: true` fixture")
    # every failing case pins where its findings are: a position is part of the contract
    problems += [
        f"{case.id}: an `expect: fail` case without `findings:` (line and col of each finding)"
        for case in CASES
        if case.expect == "fail"
        and (not case.findings or any(set(f) != {"line", "col"} for f in case.findings))
    ]
    unknown = sorted(set(by_rule) - {r.code for r in all_rules()})
    problems += [f"fixtures for unknown rule {code}" for code in unknown]
    assert problems == []
