"""A bounded fuzz target over `validate`, `lint` and `run` (issue 10).

The example flows are mutated at the token level, not byte by byte: keys, scalars,
durations, templates and the step ids in `needs` are deleted, duplicated, swapped or
replaced with hostile values, so that the mutants still parse often enough to reach the
schema, the graph checks, the rules and the engine. Whatever comes out, each command ends
with exit 0, 1 or 2, and never with a traceback or "internal error".
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from copilot.cli import app

from .conftest import EXAMPLES, EXAMPLES_DIR

# Token classes of a flow file, most specific first: each mutation picks one occurrence.
_TOKEN = re.compile(
    r"(?P<template>\{\{.*?\}\})"
    r"|(?P<duration>\b\d+(?:\.\d+)?(?:ms|s|m|h|d)\b)"
    r"|(?P<key>\b[A-Za-z_][A-Za-z0-9_]*(?=:\s))"
    r"|(?P<number>-?\b\d+(?:\.\d+)?\b)"
    r"|(?P<word>\b[A-Za-z_][A-Za-z0-9_./-]*\b)"
    r"|(?P<punct>[\[\]{},\-:])"
)

HOSTILE_VALUES = [
    "0ms", "-1", "0", ".inf", ".nan", "1" + "0" * 40 + "d", "1e400", "99999999999999999999",
    "{{ event.nosuch }}", "{{ steps }}", "{{ [event.nosuch] }}", "{{ 'a' * 3 }}", "{{ }}", "{{",
    "'{{ event|tojson }}'", "null", "~", "true", "[]", "{}", "*a", "&a x", "!!binary", "''",
    "needs", "async", "sync", "model", "http", "transform", "retrieve", "validate", "fast",
    "/etc/passwd", "../../x", "${env:NOPE}", "http://127.0.0.1:1/x", "#", "|", ">", "- x",
    "type: 42", "pattern: \"(?P<x\"", "on_fail", "respond", "classify", "answer", "docs",
]  # fmt: skip

_FLOWS = {path.name: path.read_text(encoding="utf-8") for path in EXAMPLES}


def _tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.lastgroup or "") for m in _TOKEN.finditer(text)]


@st.composite
def mutants(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(_FLOWS)))
    text = _FLOWS[name]
    for _ in range(draw(st.integers(1, 4))):
        tokens = _tokens(text)
        if not tokens:
            break
        start, end, kind = tokens[draw(st.integers(0, len(tokens) - 1))]
        token = text[start:end]
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "replace", "same-kind"]))
        if action == "delete":
            text = text[:start] + text[end:]
        elif action == "duplicate":
            text = text[:end] + draw(st.sampled_from([" ", ", ", "\n", ""])) + token + text[end:]
        elif action == "replace":
            text = text[:start] + draw(st.sampled_from(HOSTILE_VALUES)) + text[end:]
        else:
            pool = [t for t in tokens if action == "swap" or t[2] == kind]
            other_start, other_end, _ = pool[draw(st.integers(0, len(pool) - 1))]
            other = text[other_start:other_end]
            if other_start >= end:  # swap two occurrences, the later one first
                text = text[:other_start] + token + text[other_end:]
                text = text[:start] + other + text[end:]
            elif other_end <= start:
                text = text[:start] + other + text[end:]
                text = text[:other_start] + token + text[other_end:]
    return name, text


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of examples/flows (its docs too, for retrieve steps), where mutants are written."""
    target = tmp_path_factory.mktemp("fuzz") / "flows"
    shutil.copytree(EXAMPLES_DIR, target)
    return target


runner = CliRunner()


def _check(args: list[str], text: str) -> None:
    result = runner.invoke(app, args, env={"NO_COLOR": "1", "COLUMNS": "160"})
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args[0]} raised {result.exception!r} on:\n{text}") from result.exception
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, output, text)
    assert "Traceback" not in output, (args, output, text)
    assert "internal error" not in output.lower(), (args, output, text)


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutant=mutants())
def test_mutated_example_flows_never_crash_validate_lint_or_run(
    workdir: Path, mutant: tuple[str, str]
) -> None:
    name, text = mutant
    path = workdir / f"mutant-{name}"
    path.write_text(text, encoding="utf-8")
    (workdir / ".flowgen").mkdir(exist_ok=True)
    _check(["validate", str(path)], text)
    _check(["lint", "--format", "json", str(path)], text)
    _check(
        ["run", str(path), "--instant", "--format", "json", "--dead-letter", str(workdir / "dl.jsonl")], text
    )


def test_the_mutator_reaches_the_rules() -> None:
    """Token-level mutants mostly still parse: the fuzzing gets past YAML into the rules."""
    from hypothesis import find

    from copilot.flow.load import parse_yaml

    def parses(mutant: tuple[str, str]) -> bool:
        try:
            parse_yaml(mutant[1], "m.yaml")
        except Exception:
            return False
        return mutant[1] != _FLOWS[mutant[0]]

    assert find(mutants(), parses, settings=settings(max_examples=50, derandomize=True, database=None))
