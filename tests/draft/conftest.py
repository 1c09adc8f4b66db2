"""Fixtures of the drafting tests: a scripted OpenAI-compatible server and a clean environment."""

from __future__ import annotations

import pytest

from .fake_llm import FakeLLM


@pytest.fixture
def fake_llm():
    with FakeLLM() as server:
        yield server


@pytest.fixture(autouse=True)
def _no_llm_environment(monkeypatch, tmp_path):
    """No developer's key or config file leaks into a test: auto means offline unless a test says so."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FLOWGEN_MODEL"):
        monkeypatch.delenv(name, raising=False)
    # The scripted server listens on loopback, where drafting sends the compact schema by
    # default; these tests answer the full one unless a test deletes this (issue 17).
    monkeypatch.setenv("FLOWGEN_SCHEMA", "full")
    monkeypatch.chdir(tmp_path)
