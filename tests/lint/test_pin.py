"""`flowgen pin`: documents pinned after review, the engine then answers from them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from copilot.cli import app
from copilot.flow.load import load_flow
from copilot.flow.sources import pin_for

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "flows" / "support-triage.yaml"


def project(tmp_path: Path) -> Path:
    """The support-triage example with its documents, in a folder of its own."""
    shutil.copy(EXAMPLE, tmp_path / "flow.yaml")
    shutil.copytree(ROOT / "examples" / "flows" / "docs", tmp_path / "docs")
    return tmp_path / "flow.yaml"


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def sources(flow: Path) -> list[tuple[str, str | None]]:
    loaded = load_flow(str(flow))
    return [(src.path, src.pin) for s in loaded.flow.steps if s.type == "retrieve" for src in s.sources]


def test_a_current_pin_is_left_alone(tmp_path):
    flow = project(tmp_path)
    before = flow.read_bytes()
    run = invoke("pin", str(flow), "--check")
    assert run.exit_code == 0, run.output
    assert "current" in run.output and flow.read_bytes() == before


def test_an_edited_document_is_out_of_date_then_pinned_with_comments_kept(tmp_path):
    flow = project(tmp_path)
    article = next((tmp_path / "docs" / "help-centre").glob("*.md"))
    article.write_text(article.read_text() + "\nA new paragraph.\n")
    check = invoke("pin", str(flow), "--check", "--format", "json")
    assert check.exit_code == 1
    report = json.loads(check.stdout)
    assert report["version"] == 1 and not report["written"] and report["sources"][0]["changed"]
    comments = [line for line in flow.read_text().splitlines() if line.lstrip().startswith("#")]
    run = invoke("pin", str(flow))
    assert run.exit_code == 0 and "pinned" in run.output
    (path, pin), *_ = sources(flow)
    assert pin == pin_for(path, tmp_path)
    assert [line for line in flow.read_text().splitlines() if line.lstrip().startswith("#")] == comments
    assert invoke("pin", str(flow), "--check").exit_code == 0


def test_a_glob_with_no_documents_is_one_line_and_nothing_written(tmp_path):
    flow = project(tmp_path)
    shutil.rmtree(tmp_path / "docs")
    before = flow.read_bytes()
    run = invoke("pin", str(flow))
    assert run.exit_code == 2
    assert "matches no files" in run.output and "Traceback" not in run.output
    assert flow.read_bytes() == before
