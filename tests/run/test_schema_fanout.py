"""Issue 10, item 2 (a variant): `$ref`s that fan out are refused before anything runs.

`$defs` a0..a39 where each `a_i` is `allOf: [{$ref: a_(i-1)}, {$ref: a_(i-1)}]`, and an
`event_schema` of `$ref: a39`: validate and lint were clean, and `flowgen run` doubled its
work per level (22 levels did not finish in 60 s). The schema's size with its refs
expanded is now bounded (`MAX_EXPANDED`): validate, lint (FG711) and run refuse it at
the ref's position, at once.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copilot.cli import app
from copilot.flow.local_schema import MAX_EXPANDED, expanded_size, ref_problems

runner = CliRunner()


def fan_out(levels: int) -> dict[str, object]:
    """`a_i` uses `a_(i-1)` twice: 2**levels subschemas once the refs are expanded."""
    defs: dict[str, object] = {"a0": {"type": "object"}}
    for i in range(1, levels + 1):
        defs[f"a{i}"] = {"allOf": [{"$ref": f"#/$defs/a{i - 1}"}, {"$ref": f"#/$defs/a{i - 1}"}]}
    return {"$defs": defs, "$ref": f"#/$defs/a{levels}"}


FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: fanout
trigger:
  type: webhook
  path: /hooks/t
  event_schema: {schema}
  example: {{id: "T-1"}}
steps:
  - id: t
    type: transform
    output: {{id: "{{{{ event.id }}}}"}}
respond:
  needs: [t]
  body: {{out: "{{{{ steps.t.output.id }}}}"}}
"""


def write_flow(tmp_path: Path, levels: int) -> Path:
    path = tmp_path / "flow.yaml"
    path.write_text(FLOW.format(schema=json.dumps(fan_out(levels))))
    return path


def test_the_expanded_size_counts_each_use_of_a_ref() -> None:
    size = 1  # a0
    for _ in range(3):
        size = 1 + 2 * (1 + size)  # a_i, and its two `{$ref: a_(i-1)}`
    assert expanded_size(fan_out(3)) == 1 + size  # the root, then a3 through its ref
    recursive = {"type": "object", "properties": {"parts": {"type": "array", "items": {"$ref": "#"}}}}
    assert expanded_size(recursive) == 4  # a ref back into the value counts once
    assert ref_problems(fan_out(10)) == []


@pytest.mark.parametrize("command", ["validate", "lint", "run"])
def test_a_ref_fan_out_bomb_is_refused_at_its_position_at_once(tmp_path: Path, command: str) -> None:
    path = write_flow(tmp_path, 40)
    started = time.perf_counter()
    args = [command, str(path)] + (["--instant"] if command == "run" else [])
    result = runner.invoke(app, args)
    assert time.perf_counter() - started < 5  # before: 22 levels ran past 60 s
    assert result.exit_code in (1, 2), result.output
    assert "FG711" in result.output and f"more than {MAX_EXPANDED:,} subschemas" in result.output, (
        result.output
    )
    assert f"{path}:7:" in result.output, result.output
    assert "Traceback" not in result.output
