"""What `flowgen validate` and `lint` do to the process (issue 16): the collector's thresholds
while they run, and the modules a plain flow does not need."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from copilot.cli.app import BATCH_GC_THRESHOLD, batch_gc

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "flows" / "support-triage.yaml"


def test_batch_gc_raises_the_thresholds_and_restores_them() -> None:
    before = gc.get_threshold()
    with batch_gc():
        assert gc.get_threshold() == BATCH_GC_THRESHOLD
    assert gc.get_threshold() == before


def test_batch_gc_restores_the_thresholds_when_the_command_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(SystemExit), batch_gc():
        raise SystemExit(2)
    assert gc.get_threshold() == before


PROBE = """
import gc, json, sys
import copilot.validate
seen = {}
real = copilot.validate.validate_files
def spy(paths):
    seen["threshold"] = gc.get_threshold()
    return real(paths)
copilot.validate.validate_files = spy
from copilot.cli import main
sys.argv = ["flowgen", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
seen["after"] = gc.get_threshold()
seen["modules"] = sorted(m for m in ("jsonschema", "referencing", "copilot.lint.engine") if m in sys.modules)
sys.stderr.write("SEEN " + json.dumps(seen) + "\\n")
"""


def probe(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("SEEN ")][-1]
    return json.loads(line.removeprefix("SEEN "))


def test_validate_runs_under_batch_gc_and_leaves_the_defaults_after() -> None:
    seen = probe("validate", str(EXAMPLE))
    assert tuple(seen["threshold"]) == BATCH_GC_THRESHOLD
    assert tuple(seen["after"]) == gc.get_threshold()


def test_validate_of_a_plain_flow_imports_neither_jsonschema_nor_the_lint_engine() -> None:
    # jsonschema (~55 ms) decides only schemas `plainly_valid` is unsure of; path expansion
    # is `copilot.flow.files`, not the lint engine.
    assert probe("validate", str(EXAMPLE))["modules"] == []


def test_validate_of_a_schema_with_a_ref_still_checks_it_with_jsonschema(tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    assert "event_schema:" in text
    flow = tmp_path / "ref.yaml"
    flow.write_text(
        text.replace("event_schema:", "event_schema:\n    $comment: x\n    allOf: [{type: 7}]", 1)
    )
    done = subprocess.run(
        [sys.executable, "-m", "copilot", "validate", str(flow)], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 2, done.stderr
    assert "invalid JSON Schema" in done.stderr
