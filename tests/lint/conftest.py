"""Shared helpers of the lint tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
CLEAN = REPO / "tests" / "fixtures" / "rules" / "_bases" / "clean.yaml"


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the repository root, so reported paths are relative and stable."""
    monkeypatch.chdir(REPO)
    return REPO
