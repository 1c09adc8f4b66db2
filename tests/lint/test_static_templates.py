"""Issue 10, item 3: linting and validating never execute a template.

Jinja's `meta.find_undeclared_variables` runs the code generator, which folds constant
sub-expressions: `{{ 'abc'|slice(1000000000)|list }}` ran `flowgen lint` past 30 s at
3.5 GB. Reading a template is now a walk of its parse tree, and the sandbox's filters
cannot be folded even when a template is compiled to be rendered.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from copilot.flow.expressions import free_names, references

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "flows" / "support-triage.yaml"

HOSTILE = [
    "{{ 'abc'|slice(1000000000)|list|length > 0 }}",
    "{{ 'a'|center(1500000000) == 'x' }}",
    "{{ ('x' * 1000000000) | length > 0 }}",
    "{{ (((2**1024)**1024)**1024) > 1 }}",
    "{{ '%1000000000s' | format(event.id) == 'x' }}",
    "{{ ([['a'] * 100000] * 100000) | tojson | length > 0 }}",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_reading_a_hostile_template_is_instant(text: str) -> None:
    started = time.perf_counter()
    references(text, expression=True)
    free_names(text)
    assert time.perf_counter() - started < 0.5


def test_reading_a_template_never_compiles_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import jinja2.compiler

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the code generator ran while reading a template")

    monkeypatch.setattr(jinja2.compiler.CodeGenerator, "__init__", refuse)
    text = (
        "{% for x in event.items %}{{ x | center(10) }}{{ loop.index }}{{ q }}{% endfor %}{{ 'a'|center(9) }}"
    )
    assert free_names(text + " ") == ["q"]  # a new string: not cached


def _hostile_flow(tmp_path: Path) -> Path:
    text = EXAMPLE.read_text()
    text = text.replace(
        "if: \"{{ steps.checked.output.category == 'faq' }}\"", f'if: "{HOSTILE[0]}"', 1
    ).replace("if: \"{{ steps.checked.output.urgency == 'high' }}\"", f'if: "{HOSTILE[1]}"', 1)
    assert HOSTILE[0] in text and HOSTILE[1] in text
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("command", ["lint", "validate"])
def test_lint_and_validate_of_hostile_templates_finish_at_once(tmp_path: Path, command: str) -> None:
    flow = _hostile_flow(tmp_path)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "copilot", command, str(flow)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    took = time.perf_counter() - started
    assert done.returncode in (0, 1), done.stderr
    assert "internal error" not in done.stderr
    assert took < 10, took  # before: over 30 s and GBs of memory
