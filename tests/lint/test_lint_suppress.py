"""Inline suppressions: which line a comment silences, file-wide ones, reasons, unused ones."""

from __future__ import annotations

from copilot.lint.engine import lint_text
from copilot.lint.suppress import parse_suppressions

from .conftest import CLEAN

NO_FALLBACK = CLEAN.read_text().replace("    fallback: [backup]\n    hedge: {after: 600ms}", "")


def codes(text: str) -> list[str]:
    return [f.code for f in lint_text(text, str(CLEAN))]


def test_parse_targets_and_reasons() -> None:
    text = (
        "# flowgen: disable-file=FG801, missing-chaos-test\n"
        'a: 1  # flowgen: disable=FG201 reason="one provider"\n'
        "# flowgen: disable=FG101\n"
        "\n"
        "# another comment\n"
        "b: 2\n"
    )
    found = [(s.selector, s.line, s.target_line, s.reason) for s in parse_suppressions(text)]
    assert found == [
        ("FG801", 1, None, None),
        ("missing-chaos-test", 1, None, None),
        ("FG201", 2, 2, "one provider"),
        ("FG101", 3, 6, None),
    ]


def test_end_of_line_comment_silences_its_line_only() -> None:
    assert codes(NO_FALLBACK) == ["FG201"]
    same_line = NO_FALLBACK.replace("- id: classify", "- id: classify  # flowgen: disable=FG201")
    assert codes(same_line) == []
    next_line = NO_FALLBACK.replace(
        "    type: model\n    model: fast\n",
        "    type: model  # flowgen: disable=FG201\n    model: fast\n",
        1,
    )
    assert codes(next_line) == ["FG201", "FG000"]  # the finding is on the `id` line


def test_comment_alone_silences_the_next_yaml_line() -> None:
    above = NO_FALLBACK.replace(
        "  - id: classify", '  # flowgen: disable=missing-fallback reason="x"\n\n  - id: classify'
    )
    assert codes(above) == []


def test_file_suppression_and_its_position() -> None:
    text = "# flowgen: disable-file=FG201\n" + NO_FALLBACK
    assert codes(text) == []
    stale = "# flowgen: disable-file=FG202\n" + NO_FALLBACK
    findings = lint_text(stale, str(CLEAN))
    unused = next(f for f in findings if f.code == "FG000")
    assert (unused.line, unused.col, unused.severity) == (1, 1, "info")
    assert "FG202 (fallback-same-provider) reports nothing in this file" in unused.message


def test_unused_suppression_can_itself_be_ignored() -> None:
    from copilot.lint.config import LintConfig

    stale = NO_FALLBACK.replace("- id: answer", "- id: answer  # flowgen: disable=FG201")
    assert "FG000" in codes(stale)
    assert [f.code for f in lint_text(stale, str(CLEAN), LintConfig(ignore=("FG000",)))] == ["FG201"]
