"""Helpers for `flowgen test` tests: small flows written to disk, results from virtual-time runs."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "flows"

# One model step with an exact latency (p50 == p95: the sim's lognormal has no spread),
# so timings in a virtual-time run are exact.
MINI = """\
apiVersion: flowgen/v1
kind: Flow
name: {name}
sla: {{latency_p95: 1s}}
trigger:
  type: webhook
  path: /hook
  event_schema:
    type: object
    required: [id, text]
    properties:
      id: {{type: string}}
      text: {{type: string}}
      tier: {{enum: [gold, silver, bronze]}}
      score: {{type: integer, minimum: 1, maximum: 5}}
  example: {{id: "E-0001", text: "Where is my order?", tier: gold, score: 3}}
  idempotency_key: "{{{{ event.id }}}}"
{concurrency}
models:
  main:  {{use: openai/gpt-4o-mini, latency: {{p50: 100ms, p95: 100ms}}}}
  spare: {{use: openai/gpt-4.1-nano, latency: {{p50: 200ms, p95: 200ms}}}}
steps:
  - id: reply
    type: model
    model: main
{fallback}
    prompt: {{user: "{{{{ event.text }}}}"}}
    max_tokens: 20
    timeout: 500ms
{retry}
respond:
  needs: [reply]
  body: {{text: "{{{{ steps.reply.output }}}}"}}
{on_deadline}
{tests}
"""


def mini_flow(
    *,
    name: str = "mini",
    tests: str = "tests:\n  load: {executor: constant-arrival-rate, rate: 20/s, events: 10}",
    concurrency: int | None = None,
    fallback: bool = False,
    retry: str | None = None,
    on_deadline: bool = True,
) -> str:
    return MINI.format(
        name=name,
        tests=textwrap.dedent(tests),
        concurrency=f"  concurrency: {concurrency}" if concurrency else "",
        fallback="    fallback: [spare]" if fallback else "",
        retry=f"    retry: {retry}" if retry else "",
        on_deadline="  on_deadline: {status: 202, body: {queued: true}}" if on_deadline else "",
    )


@pytest.fixture
def write_flow(tmp_path: Path) -> Any:
    """Write a flow text to a file in tmp_path and return its path as a string."""

    def write(text: str, name: str = "flow.yaml") -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write
