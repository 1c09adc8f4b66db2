"""Shared fixtures of the `flowgen graph` tests: the example flows, analysed once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from copilot.flow.load import load_flow
from copilot.graph.model import Scenario, build_scenario, findings_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "flows"
DATA = Path(__file__).resolve().parent / "data"


def scenario_for(name: str, evidence=None) -> Scenario:
    loaded = load_flow(EXAMPLES / f"{name}.yaml")
    return build_scenario(loaded, findings_of(loaded), evidence)


@pytest.fixture(scope="session")
def triage() -> Scenario:
    return scenario_for("support-triage")


@pytest.fixture(scope="session")
def naive() -> Scenario:
    return scenario_for("naive-support-triage")


def require(*names: str) -> str:
    """The path of the first of `names` on PATH. A missing tool fails the test, never skips it:
    .ci/run installs Graphviz and Chromium when they are missing."""
    for name in names:
        found = shutil.which(name)
        if found is not None:
            return found
    pytest.fail(f"{names[0]} is not installed: .ci/run installs it (apt-get install graphviz chromium)")


@pytest.fixture
def graphviz() -> str:
    return require("dot")
