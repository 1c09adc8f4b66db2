"""Every command's help reads well at 80 columns on a pipe (a CI log, `| less`, `| cat`).

A meta-test over `COMMANDS`: a new command is held to the same contract without being
listed here.
"""

from __future__ import annotations

import importlib
import re

import pytest
from typer.testing import CliRunner

from copilot.cli import COMMANDS, app
from copilot.cli.app import help_text

# CliRunner's output is not a terminal: Rich takes its width from COLUMNS, as on a pipe.
runner = CliRunner(env={"COLUMNS": "80", "TERMINAL_WIDTH": None, "FORCE_COLOR": None, "NO_COLOR": "1"})

# Python types and click's braces where a reader expects FILE, CODE or DURATION.
TYPE_METAVAR = re.compile(r"<(bool|str|int|float|path|list\[[^\]]*\]|Path)>")
BRACED_ARGUMENT = re.compile(r"\{[a-z_]+\}")


def _help(*args: str) -> str:
    result = runner.invoke(app, [*args, "--help"], prog_name="flowgen")
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_fits_80_columns_with_plain_metavars(command: str) -> None:
    text = _help(*([command] if command else []))
    lines = text.splitlines()
    too_long = [line for line in lines if len(line) > 80]
    assert not too_long, "\n".join(too_long)
    assert not TYPE_METAVAR.search(text), TYPE_METAVAR.search(text)
    usage = next(line for line in lines if "Usage:" in line)
    assert not BRACED_ARGUMENT.search(usage), usage
    assert "…" not in text, [line for line in lines if "…" in line]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_examples_are_never_cut(command: str) -> None:
    module, name = COMMANDS[command]
    function = getattr(importlib.import_module(module), name)
    documented = help_text(function.__doc__)
    epilog = getattr(function, "epilog", None)
    if epilog is not None:
        documented += "\n\n" + help_text(epilog())
    examples = [line.strip() for line in documented.splitlines() if line.startswith("  ")]
    shown = {line.strip() for line in _help(command).splitlines()}
    cut = [example for example in examples if example not in shown]
    assert not cut, cut


def test_paragraphs_are_wrapped_by_rich_not_by_the_source() -> None:
    # The docstring breaks after "OPENAI_BASE_URL, or"; at 80 columns that must not
    # leave a short ragged line.
    text = _help("draft")
    assert "OPENAI_BASE_URL, or [tool.flowgen])" in " ".join(text.split())
    assert not any(line.rstrip().endswith("OPENAI_BASE_URL, or") for line in text.splitlines())


def test_test_help_shows_the_whole_chaos_syntax() -> None:
    flat = " ".join(_help("test").split())
    for piece in (
        "TARGET:FAULT:ARG@TOXICITY",
        "TARGET is model:ALIAS, step:ID or http:PATTERN",
        "slow_first_token:800ms",
        '--chaos "model:fast:latency:500ms±300ms@0.5"',
        "--chaos '{target: \"model:fast\", type: timeout, toxicity: 0.02}'",
    ):
        assert piece in flat, piece


def test_unknown_command_suggests_the_closest() -> None:
    result = runner.invoke(app, ["valdiate"], prog_name="flowgen")
    assert result.exit_code == 2
    assert "validate" in result.output
