"""Tables at 80 columns on a pipe: cells fold or tables split, nothing ends in "…"."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from copilot.cli import app

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "flows" / "support-triage.yaml")
runner = CliRunner(env={"COLUMNS": "80", "FORCE_COLOR": None, "NO_COLOR": "1"})


def _fits(text: str) -> None:
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_models_shows_every_id_whole() -> None:
    text = runner.invoke(app, ["models"]).stdout
    _fits(text)
    ids = [m["id"] for m in json.loads(runner.invoke(app, ["models", "-f", "json"]).stdout)["models"]]
    shown = " ".join(text.split())
    assert all(f" {model_id} " in shown for model_id in ids)


def test_rules_fits() -> None:
    _fits(runner.invoke(app, ["rules"]).stdout)


def test_test_step_table_splits_instead_of_truncating() -> None:
    result = runner.invoke(app, ["test", EXAMPLE, "--virtual-time", "--events", "5"])
    assert result.exit_code in (0, 1), result.output
    _fits(result.stdout)
    assert result.stdout.count("page_oncall") >= 2  # the step's name heads each part
