"""The schema an editor finds: the modeline's target exists where the editor resolves it.

An editor (yaml-language-server) resolves `# yaml-language-server: $schema=./flow.schema.json`
relative to the flow file. These tests do what it does: read the modeline, resolve the
path, load the JSON there and validate the flow against it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
from ruamel.yaml import YAML

from copilot.flow.dump import refresh_schema_beside
from copilot.flow.schema import flow_schema, modeline_target_of

from .conftest import EXAMPLES_DIR, ROOT, flowgen

BRIEF = ROOT / "examples" / "briefs" / "support-triage.md"


def validate_as_an_editor_would(flow_file: Path) -> list[str]:
    text = flow_file.read_text(encoding="utf-8")
    target = modeline_target_of(text)
    assert target is not None, "no modeline"
    schema_file = (flow_file.parent / target).resolve()
    assert schema_file.is_file(), f"the modeline points at {schema_file}, which does not exist"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    data = YAML(typ="safe").load(text)
    validator = jsonschema.Draft202012Validator(schema)
    return [error.message for error in validator.iter_errors(data)]


def test_draft_writes_the_schema_its_modeline_points_at(tmp_path: Path) -> None:
    out = tmp_path / "flows" / "triage.yaml"
    run = flowgen("draft", f"@{BRIEF}", "--out", str(out), "--no-own-test", "--format", "json")
    assert run.code in (0, 1), run.stderr
    summary = json.loads(run.stdout)
    assert summary["schema_out"] == str(tmp_path / "flows" / "flow.schema.json")
    assert validate_as_an_editor_would(out) == []


def test_a_second_draft_leaves_a_current_schema_alone(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    flowgen("draft", f"@{BRIEF}", "--out", str(first), "--no-own-test")
    schema_file = tmp_path / "flow.schema.json"
    os.utime(schema_file, (1_000_000, 1_000_000))
    second = tmp_path / "b.yaml"
    run = flowgen("draft", f"@{BRIEF}", "--out", str(second), "--no-own-test", "--format", "json")
    assert json.loads(run.stdout)["schema_out"] is None
    assert schema_file.stat().st_mtime == 1_000_000


def test_a_stale_schema_is_refreshed(tmp_path: Path) -> None:
    flow = tmp_path / "f.yaml"
    (tmp_path / "flow.schema.json").write_text('{"stale": true}\n')
    flow.write_text("# yaml-language-server: $schema=./flow.schema.json\napiVersion: flowgen/v1\n")
    assert refresh_schema_beside(flow, flow.read_text()) == tmp_path / "flow.schema.json"
    assert json.loads((tmp_path / "flow.schema.json").read_text()) == flow_schema()


def test_a_modeline_elsewhere_writes_nothing(tmp_path: Path) -> None:
    flow = tmp_path / "f.yaml"
    for first_line in (
        "# yaml-language-server: $schema=https://flowgen.dev/schemas/flow-v1.json",
        "# yaml-language-server: $schema=./my-own.json",
        "apiVersion: flowgen/v1",
    ):
        assert refresh_schema_beside(flow, first_line + "\n") is None
    assert list(tmp_path.iterdir()) == []


def test_flowgen_schema_into_a_folder(tmp_path: Path) -> None:
    run = flowgen("schema", "--out", f"{tmp_path / 'flows'}/")
    target = tmp_path / "flows" / "flow.schema.json"
    assert run.code == 0 and run.stderr.strip() == f"wrote {target}"
    assert json.loads(target.read_text()) == flow_schema()


def test_every_example_modeline_resolves_in_the_repository() -> None:
    # naive-support-triage.yaml is a copilot's first draft kept as it came out: no modeline.
    with_modeline = [
        f for f in sorted(EXAMPLES_DIR.glob("*.yaml")) if modeline_target_of(f.read_text(encoding="utf-8"))
    ]
    assert len(with_modeline) >= 5
    for flow_file in with_modeline:
        assert validate_as_an_editor_would(flow_file) == [], flow_file.name
