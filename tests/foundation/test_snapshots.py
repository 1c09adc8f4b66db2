"""Snapshots of the graph analysis of every example (hot path, critical path, estimates).

A change in an example, the catalog or the estimation rules shows up here as a diff to
review; accept it with `pytest tests/foundation --snapshot-update` once it is right.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.flow.graph import analyze
from copilot.flow.load import load_flow

from .conftest import EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_analysis_of_each_example(path: Path, snapshot) -> None:
    assert analyze(load_flow(path).flow).to_dict() == snapshot
