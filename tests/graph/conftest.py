"""Shared fixtures of the `flowgen graph` tests: the example flows, analysed once."""

from __future__ import annotations

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
