"""The documentation of FG3xx–FG8xx: each Example shows a failing and a passing snippet of valid YAML."""

from __future__ import annotations

import textwrap

import pytest
from ruamel.yaml import YAML

from copilot.lint.docs import sections
from copilot.lint.rules import all_rules

PART_B_FAMILIES = {"observability", "rag", "limits", "validation", "security", "testing"}
PART_B = [r for r in all_rules() if r.family in PART_B_FAMILIES]


def test_part_b_has_its_31_rules() -> None:
    codes = [r.code for r in PART_B]
    # FG301-304, FG401-406, FG501-506, FG601-603, FG701-705, FG710-713, FG801-803
    assert len(codes) == 31
    assert all(code[2] in "345678" for code in codes)


def _snippets(example: str) -> list[str]:
    """The indented blocks of an Example section (the YAML shown under Failing/Passing)."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in example.splitlines():
        if line.startswith("    ") or (current and not line.strip()):
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return [textwrap.dedent("\n".join(b)).strip() for b in blocks if "".join(b).strip()]


@pytest.mark.parametrize("rule", PART_B, ids=[r.code for r in PART_B])
def test_example_has_failing_and_passing_yaml(rule) -> None:
    example = sections(rule.doc)["Example"]
    assert "Failing" in example and "Passing" in example
    snippets = _snippets(example)
    assert len(snippets) >= 1
    for snippet in snippets:
        YAML(typ="safe").load(snippet)  # raises on a snippet that is not YAML
    assert rule.summary, f"{rule.code} has no summary line"
