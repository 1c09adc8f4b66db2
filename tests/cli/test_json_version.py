"""Every `--format json` output carries `"version": 1` (a meta-test over `COMMANDS`)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import get_args, get_type_hints

import pytest
from typer.testing import CliRunner

from copilot.cli import COMMANDS, app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "flows" / "support-triage.yaml")

# How to get each command's JSON cheaply. `prompt` prints the chat messages array itself:
# the document is the API's, pasted as is, so it has no room for a version.
INVOCATIONS: dict[str, list[str]] = {
    "validate": [EXAMPLE],
    "models": [],
    "lint": [EXAMPLE],
    "rules": [],
    "explain": ["FG101"],
    "checklist": [],
    "run": [EXAMPLE, "--instant"],
    "test": [EXAMPLE, "--virtual-time", "--events", "5"],
    "draft": ["Classify support tickets within 2 seconds", "--out", "-", "--no-own-test"],
    "graph": [EXAMPLE],
    "pin": [EXAMPLE, "--check"],
    "init": ["project", "--brief", "Classify support tickets within 2 seconds"],
}
NOT_VERSIONED = {"prompt"}


def _formats_json(name: str) -> bool:
    """Whether the command's `format` parameter (an Enum) offers json."""
    module, function = COMMANDS[name]
    hints = get_type_hints(getattr(importlib.import_module(module), function), include_extras=True)
    if "format" not in hints:
        return False
    choices = get_args(hints["format"])[0]
    return "json" in [member.value for member in choices]


def test_every_json_command_is_checked_here() -> None:
    with_json = {name for name in COMMANDS if _formats_json(name)}
    assert with_json == set(INVOCATIONS) | NOT_VERSIONED


@pytest.mark.parametrize("command", list(INVOCATIONS))
def test_json_output_has_version_1(command: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    result = CliRunner().invoke(app, [command, *INVOCATIONS[command], "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    # `draft --out -` writes the flow on stdout and the JSON summary on stderr.
    text = result.stderr if command == "draft" else result.stdout
    assert json.loads(text)["version"] == 1
