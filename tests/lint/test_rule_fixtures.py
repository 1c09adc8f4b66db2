"""Every rule fixture (tests/fixtures/rules/*.yml) runs here; see that folder's README."""

from __future__ import annotations

import pytest

from copilot.flow.load import load_flow_text
from copilot.lint.config import LintConfig
from copilot.lint.docs import SECTIONS, sections
from copilot.lint.engine import lint_text
from copilot.lint.fixes import fix_text
from copilot.lint.rules import all_rules

from .fixture_tools import Case, all_cases, comments

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture(case: Case) -> None:
    config = LintConfig.from_mapping(case.config) if case.config else LintConfig()
    found = [f for f in lint_text(case.text, case.path, config) if f.code == case.rule]
    if case.expect == "pass":
        assert found == [], [f"{f.line}:{f.col} {f.message}" for f in found]
        return
    assert found, f"{case.rule} did not fire"
    if case.findings is not None:
        assert [{"line": f.line, "col": f.col} for f in found] == case.findings
    if case.count is not None:
        assert len(found) == case.count
    if case.message is not None:
        assert all(case.message in f.message for f in found), [f.message for f in found]
    if case.fix:
        fixed, changes = fix_text(case.text, case.path, config)
        assert any(change.startswith(case.rule) for change in changes), changes
        load_flow_text(fixed, case.path)  # still a valid flow
        after = [f for f in lint_text(fixed, case.path, config) if f.code == case.rule]
        assert after == [], [f"{f.line}:{f.col} {f.message}" for f in after]
        kept = comments(fixed)
        missing = [c for c in comments(case.text) if c not in kept]
        assert missing == [], f"comments lost by the fix: {missing}"


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
