"""Shared helpers of the foundation tests: the examples, and the real command line."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = ROOT / "examples" / "flows"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.yaml"))
HARDENED = [p for p in EXAMPLES if not p.name.startswith("naive-")]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def flowgen_command() -> list[str]:
    """The installed console script (what a user runs), else the module."""
    script = Path(sys.executable).with_name("flowgen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "copilot"]


def flowgen(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> Run:
    """Run `flowgen ARGS` in a subprocess, exactly as from a shell, with colour off."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    done = subprocess.run(
        [*flowgen_command(), *args],
        input=stdin,
        capture_output=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    return Run(
        done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    )


@pytest.fixture(scope="session")
def examples() -> list[Path]:
    assert len(EXAMPLES) >= 6, "examples/flows/ should hold the five flows and the naive draft"
    return EXAMPLES


MINIMAL_FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: minimal
sla: {latency_p95: 1500ms, max_cost_per_event: 0.004}
trigger:
  type: webhook
  path: /hooks/minimal
  auth: {scheme: standard-webhooks, secret: "${env:SECRET}"}
models:
  fast: {use: openai/gpt-4o-mini-2024-07-18}
steps:
  - id: classify
    type: model
    model: fast
    prompt: {user: "{{ event.body }}"}
    timeout: 900ms
respond:
  needs: [classify]
"""
"""A small valid flow; tests derive broken variants from it with `str.replace`."""
