"""The engine trusts its flow: structural problems are reported once, where the flow is
loaded (copilot.flow.check), as one positioned line and exit 2, by `run` and `test` alike."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from copilot.cli import app

runner = CliRunner()

CYCLIC = """\
apiVersion: flowgen/v1
kind: Flow
name: loop
trigger: {type: webhook, path: /loop, example: {id: e-1}}
steps:
  - {id: first, type: transform, needs: [second], output: 1}
  - {id: second, type: transform, needs: [first], output: 2}
respond: {needs: [second], body: done}
tests:
  load: {executor: constant-arrival-rate, rate: 10/s, events: 5}
"""


@pytest.mark.parametrize("command", [["run"], ["test", "--virtual-time"]], ids=["run", "test"])
def test_a_cyclic_flow_is_one_positioned_line_and_exit_2(tmp_path, command):
    flow = tmp_path / "loop.yaml"
    flow.write_text(CYCLIC, encoding="utf-8")
    result = runner.invoke(app, [command[0], str(flow), *command[1:]])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in result.output
    # path:line:col of the first step's `needs`, with flow/check.py's wording and code.
    assert line.startswith(f"{flow}:6:"), line
    assert "dependency cycle" in line and "[FG004]" in line
