"""`flowgen test --report` carries the scenario graph with what the test measured on it."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from copilot.cli import app

ROOT = Path(__file__).resolve().parents[2]
TRIAGE = str(ROOT / "examples" / "flows" / "support-triage.yaml")


def test_the_html_report_draws_the_scenario_with_measurements(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    run = CliRunner().invoke(
        app, ["test", TRIAGE, "--virtual-time", "--events", "30", "--report", str(report), "-f", "json"]
    )
    assert run.exit_code in (0, 1), run.output
    html = report.read_text()
    assert "<h2>Scenario</h2>" in html
    steps = set(re.findall(r'data-step="([\w-]+)"', html))
    assert {"classify", "answer", "docs"} <= steps
    assert "p95" in html.split("<h2>Scenario</h2>", 1)[1].split("<h2>Steps</h2>", 1)[0]
