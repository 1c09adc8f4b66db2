"""The JSON Schema: generated from the models, committed, documented, and true to the examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from copilot.flow.load import load_document
from copilot.flow.schema import COMMITTED, flow_schema, schema_text

from .conftest import EXAMPLES, flowgen

REGENERATE = "flowgen schema --out copilot/flow/flow.schema.json"


def test_flowgen_schema_prints_the_committed_schema() -> None:
    run = flowgen("schema")
    assert run.code == 0, run.stderr
    committed = COMMITTED.read_text(encoding="utf-8")
    assert run.stdout == committed, (
        f"copilot/flow/flow.schema.json has drifted from the models; regenerate it with `{REGENERATE}`"
    )
    assert schema_text() == committed


def test_flowgen_schema_writes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "flow.schema.json"
    run = flowgen("schema", "--out", str(target))
    assert run.code == 0 and run.stderr.strip() == f"wrote {target}"
    assert json.loads(target.read_text()) == flow_schema()


def properties(node: Any, path: str = "#") -> list[tuple[str, dict[str, Any]]]:
    """Every (path, property schema) pair in the schema."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            found.append((f"{path}/properties/{name}", prop))
        for key, value in node.items():
            found += properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += properties(value, f"{path}/{index}")
    return found


def test_every_property_has_a_description() -> None:
    props = properties(flow_schema())
    assert len(props) > 150
    undocumented = [path for path, prop in props if not prop.get("description")]
    assert undocumented == []


def test_every_block_has_a_description_and_forbids_unknown_keys() -> None:
    defs = flow_schema()["$defs"]
    assert len(defs) >= 35
    for name, block in defs.items():
        assert block.get("description"), name
        assert block.get("additionalProperties") is False, name


def test_schema_identity() -> None:
    schema = flow_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].startswith("https://")
    assert schema["required"] == ["apiVersion", "kind", "name", "trigger", "steps"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_validates_against_the_committed_schema(path: Path) -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(json.loads(COMMITTED.read_text(encoding="utf-8")))
    errors = sorted(validator.iter_errors(load_document(path).data), key=str)
    assert errors == []


def test_the_schema_rejects_what_the_models_reject() -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(flow_schema())
    data = load_document(EXAMPLES[0]).data
    data["steps"][0]["timout"] = "1s"
    assert not validator.is_valid(data)
    data["steps"][0].pop("timout")
    data["steps"][0]["timeout"] = "900"
    assert not validator.is_valid(data)


def test_schema_snapshot(snapshot) -> None:
    assert flow_schema() == snapshot
