"""`flowgen run --engine temporal`: the local engine's timeline, read from the workflow
history (`copilot.temporal.history`), and `--model-override` in the workflow's routing
and pricing (`copilot.run.resilience.routing.flow_router`), on a real dev server.

The models are aliases on an OpenAI-compatible loopback server (the `sink`), called
through the real `openai` client (`--provider openai`).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from copilot.cli.app import app

from .conftest import Sink

RETRY_FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: timeline-{tag}
trigger: {{type: webhook, path: /hooks/t, example: {{id: T-1}}}}
models:
  broken: {{use: openai/gpt-4.1-mini, base_url: "{url}/broken/v1"}}
  good: {{use: openai/gpt-4.1-nano, base_url: "{url}/good/v1"}}
steps:
  - id: classify
    type: model
    model: broken
    fallback: [good]
    prompt: {{user: "Label {{{{ event.id }}}}"}}
    output_schema: {{type: object, required: [label], properties: {{label: {{type: string}}}}}}
    timeout: 3s
    retry: {{attempts: 1, backoff: constant, initial: 20ms, on: [server_error]}}
  - id: checked
    type: validate
    needs: [classify]
    input: "{{{{ steps.classify.output }}}}"
    output_schema: {{type: object, required: [label]}}
  - id: notify
    type: http
    needs: [checked]
    request: {{method: POST, url: "{url}/notify", json: {{id: "{{{{ event.id }}}}"}}}}
    timeout: 3s
    retry: {{attempts: 2, backoff: constant, initial: 20ms, on: [server_error]}}
respond:
  needs: [notify]
  body: {{label: "{{{{ steps.classify.output.label }}}}"}}
"""


def _run(flow: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["run", str(flow), "--provider", "openai", *extra])
    return result.exit_code, result.stdout


def _script(sink: Sink) -> None:
    sink.script["/broken/v1/chat/completions"] = [(503, 0.0), (503, 0.0)]  # the call and its retry
    sink.script["/notify"] = [(503, 0.0)]  # then 200


@pytest.mark.parametrize("activities", ["remote", "local"])
def test_the_timeline_is_read_from_the_history(
    temporal_address: str, sink: Sink, tmp_path: Path, activities: str
) -> None:
    """Each step with its offsets, status and attempts; the retries of a call that failed
    (which the workflow never sees: Temporal retried it) and the fallback that answered;
    the same JSON shape, and the same figures, as the local engine's."""
    flow = tmp_path / "timeline.yaml"
    flow.write_text(RETRY_FLOW.format(tag=uuid.uuid4().hex[:6], url=sink.url))
    _script(sink)
    code, out = _run(flow, "--format", "json")
    assert code == 0, out
    local = json.loads(out)
    _script(sink)
    temporal_args = ["--engine", "temporal", "--address", temporal_address, "--activities", activities]
    code, out = _run(flow, "--format", "json", *temporal_args)
    assert code == 0, out
    ours = json.loads(out)

    assert ours.keys() == local.keys()
    assert [s.keys() for s in ours["steps"]] == [s.keys() for s in local["steps"]]
    assert ours["response"] == local["response"] == {"status": 200, "body": {"label": "good"}}
    steps = {s["id"]: s for s in ours["steps"]}
    for step in steps.values():
        assert step["status"] == "ok"
        assert step["start_ms"] is not None and step["duration_ms"] is not None and step["duration_ms"] >= 0
    classify, checked, notify = steps["classify"], steps["checked"], steps["notify"]
    # broken: the call and its retry (Temporal's, one activity), then the fallback
    assert (classify["model"], classify["fallback_used"]) == ("good", True)
    assert (classify["attempts"], classify["retries"]) == (3, 1)
    assert (notify["attempts"], notify["retries"]) == (2, 1)
    assert classify["input_tokens"] == 5 and classify["cost_usd"] > 0
    # one zero for the history's calls and the workflow's own steps: each after its needs
    assert classify["start_ms"] + classify["duration_ms"] <= checked["start_ms"] + 1
    assert checked["start_ms"] <= notify["start_ms"]
    assert ours["total_ms"] >= notify["start_ms"] + notify["duration_ms"] - 1
    figures = ("status", "model", "attempts", "retries", "fallback_used", "hedge_won", "cost_usd")
    assert [{k: s[k] for k in figures} for s in ours["steps"]] == [
        {k: s[k] for k in figures} for s in local["steps"]
    ]

    # the text: the same renderer's lines
    _script(sink)
    code, text = _run(flow, *temporal_args)
    assert code == 0, text
    line = next(x for x in text.splitlines() if "classify model" in x)
    assert "good (fallback)" in line and "3 attempts, 1 retry" in line and line.rstrip().endswith("ok")
    assert "2 attempts, 1 retry" in next(x for x in text.splitlines() if "notify http" in x)


ROUTED_FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: routed-{tag}
trigger: {{type: webhook, path: /hooks/r, example: {{id: R-1}}}}
models:
  pricey: {{use: openai/gpt-4.1-mini, base_url: "{url}/pricey/v1"}}
  cheap: {{use: openai/gpt-4.1-nano, base_url: "{url}/cheap/v1"}}
steps:
  - id: pick
    type: model
    route: {{candidates: [pricey, cheap], strategy: cheapest}}
    prompt: {{user: "Label {{{{ event.id }}}}"}}
    output_schema: {{type: object, required: [label], properties: {{label: {{type: string}}}}}}
    timeout: 3s
respond:
  needs: [pick]
  body: {{label: "{{{{ steps.pick.output.label }}}}"}}
"""


def test_a_model_override_routes_and_prices_as_on_the_local_engine(
    temporal_address: str, sink: Sink, tmp_path: Path
) -> None:
    """`--model-override`: the workflow's router prices by the model sent (neither alias's
    catalog price holds for it, so `cheapest` takes the first written), the cost is
    unknown, and the chat span names the served model, as on the local engine."""
    flow = tmp_path / "routed.yaml"
    flow.write_text(ROUTED_FLOW.format(tag=uuid.uuid4().hex[:6], url=sink.url))
    temporal = ["--engine", "temporal", "--address", temporal_address]
    override = ["--model-override", "served-model", "--format", "json"]

    code, out = _run(flow, "--format", "json", *temporal)
    assert code == 0, out
    plain = json.loads(out)["steps"][0]
    assert (plain["model"], plain["cost_usd"] is not None) == ("cheap", True)  # priced: the cheaper

    code, out = _run(flow, *override)
    assert code == 0, out
    local = json.loads(out)
    trace = tmp_path / "spans.jsonl"
    code, out = _run(flow, *override, *temporal, "--trace", str(trace))
    assert code == 0, out
    ours = json.loads(out)
    step, theirs = ours["steps"][0], local["steps"][0]
    assert step["model"] == theirs["model"] == "pricey"  # unpriced: the first written
    assert step["route_reason"] == theirs["route_reason"]
    assert "no candidate has a known price" in step["route_reason"]
    assert step["cost_usd"] is None and ours["cost_usd"] is None and local["cost_usd"] is None
    sent = [r["body"]["model"] for r in sink.requests if r["path"].endswith("/chat/completions")]
    assert sent[0] == "gpt-4.1-nano"  # the run without the override: the catalog model of `cheap`
    assert set(sent[1:]) == {"served-model"}
    spans = [json.loads(line) for line in trace.read_text().splitlines() if line.strip()]
    chat = [s for s in spans if str(s.get("name", "")).startswith("chat ")]
    assert [s["name"] for s in chat] == ["chat served-model"]
    assert all(_attribute(s, "gen_ai.request.model") == "served-model" for s in chat)


def _attribute(span: dict[str, Any], name: str) -> Any:
    attributes = span.get("attributes", {})
    if isinstance(attributes, dict):
        return attributes.get(name)
    return next((a.get("value") for a in attributes if a.get("key") == name), None)


JITTER_FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: jitter-{tag}
trigger: {{type: webhook, path: /hooks/j, example: {{id: J-1}}}}
steps:
  - id: notify
    type: http
    request: {{method: POST, url: "{url}/notify", json: {{id: "{{{{ event.id }}}}"}}}}
    timeout: 3s
    retry: {{attempts: 1, backoff: constant, initial: 6s, jitter: true, on: [server_error]}}
respond:
  needs: [notify]
  body: {{ok: true}}
"""


class _LowDraw:
    """A jitter source that draws near the bottom of its range (5%): a wait far below the
    policy's 6 s, which only the activity's `next_retry_delay` can bring about."""

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * 0.05


@pytest.mark.parametrize("activities", ["remote", "local"])
def test_a_jittered_retry_waits_the_activity_s_draw(
    temporal_address: str, sink: Sink, tmp_path: Path, activities: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from copilot.temporal import activities as module

    monkeypatch.setattr(module, "_JITTER", _LowDraw())
    flow = tmp_path / "jitter.yaml"
    flow.write_text(JITTER_FLOW.format(tag=uuid.uuid4().hex[:6], url=sink.url))
    sink.script["/notify"] = [(503, 0.0)]
    code, out = _run(
        flow, "--format", "json", "--engine", "temporal", "--address", temporal_address,
        "--activities", activities,
    )  # fmt: skip
    assert code == 0, out
    (notify,) = json.loads(out)["steps"]
    assert (notify["attempts"], notify["retries"]) == (2, 1)
    assert notify["duration_ms"] < 4000  # 0.3 s drawn (and the server's timer), not the policy's 6 s


@pytest.mark.parametrize("activities", ["remote", "local"])
def test_a_recorded_history_reads_as_the_workflow_s_records(activities: str) -> None:
    """Offline, from `histories/` (recorded as test_replay.py documents): every call maps
    to its step, activities and local activities (markers) alike, and agrees with what the
    workflow recorded; async branches (child workflows) count from the parent's arrival."""
    from temporalio.client import WorkflowHistory

    from copilot.temporal.history import calls, merged_result, timeline

    folder = Path(__file__).resolve().parent / "histories"
    if activities == "local":
        folder = folder / "local"
    recorded = json.loads((folder / "support-triage.json").read_text())
    histories = [list(WorkflowHistory.from_json(e["workflow_id"], e["history"]).events) for e in recorded]
    assert len(histories) == 2  # the parent and its async branch (`enrich`, `crm`)
    assert all(c.step is not None for events in histories for c in calls(events, 0.0))
    workflow = merged_result(histories)["steps"]
    read = timeline(histories)
    for step_id, record in read.steps.items():
        own = workflow[step_id]
        assert (record.status, record.model, record.attempts, record.retries) == (
            own["status"], own["model"], own["attempts"], own["retries"]
        )  # fmt: skip
        if record.status == "ok":
            assert record.start is not None and record.end is not None
            assert 0 <= record.start <= record.end <= (read.total_time or 0) + 1e-6
    assert read.steps["enrich"].start >= read.steps["classify"].end - 0.01  # type: ignore[operator]
    assert {a.step for a in read.attempts} >= {"classify", "answer", "enrich"}
