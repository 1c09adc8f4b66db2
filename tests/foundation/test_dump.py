"""Dumping: modeline first, the flow file's key order, exact round trips, comments kept on edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.flow.dump import STEP_ORDER, dump_flow, dump_tree, merge_into, write_atomic
from copilot.flow.load import load_flow, load_flow_text, parse_yaml
from copilot.flow.models import TOP_LEVEL_ORDER

from .conftest import EXAMPLES, MINIMAL_FLOW

MODELINE = "# yaml-language-server: $schema="


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_round_trip_of_every_example_is_exact(path: Path) -> None:
    flow = load_flow(path).flow
    text = dump_flow(flow)
    again = load_flow_text(text, f"dumped-{path.name}").flow
    assert again.model_dump(by_alias=True) == flow.model_dump(by_alias=True)
    assert dump_flow(again) == text  # and dumping is stable


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_dump_starts_with_the_modeline_and_follows_design_key_order(path: Path) -> None:
    text = dump_flow(load_flow(path).flow)
    first = text.splitlines()[0]
    assert first == f"{MODELINE}./flow.schema.json"
    doc = parse_yaml(text, "dumped.yaml")
    top = list(doc.data)
    assert top == [k for k in TOP_LEVEL_ORDER if k in doc.data]
    for step in doc.data["steps"]:
        keys = list(step)
        assert keys == sorted(keys, key=STEP_ORDER.index), keys


def test_defaults_are_left_out_and_durations_written_with_units() -> None:
    text = dump_flow(load_flow_text(MINIMAL_FLOW).flow)
    assert "timeout: 900ms" in text
    assert "latency_p95: 1.5s" in text  # the shortest exact spelling
    for default in ("mode: sync", "cost_tier", "method: POST", "needs: []", "fallback: []"):
        assert default not in text


def test_modeline_target_header_and_comments() -> None:
    flow = load_flow_text(MINIMAL_FLOW).flow
    text = dump_flow(
        flow,
        modeline_target="https://flowgen.dev/schemas/flow-v1.json",
        header=["drafted by flowgen", "", "review before use"],
        comments={("steps", 0, "timeout"): "below the SLA", ("no", "such"): "dropped"},
    )
    lines = text.splitlines()
    assert lines[:4] == [
        f"{MODELINE}https://flowgen.dev/schemas/flow-v1.json",
        "# drafted by flowgen",
        "#",
        "# review before use",
    ]
    assert any(line.strip() == "timeout: 900ms  # below the SLA" for line in lines)
    assert "dropped" not in text
    assert load_flow_text(text).flow.steps[0].timeout == pytest.approx(0.9)


def test_an_existing_modeline_is_not_doubled() -> None:
    doc = parse_yaml(f"{MODELINE}./flow.schema.json\n" + MINIMAL_FLOW, "f.yaml")
    text = dump_tree(doc.tree)
    assert text.count(MODELINE) == 1
    assert text.startswith(MODELINE)


COMMENTED = """\
# yaml-language-server: $schema=./flow.schema.json
# Owner: support-platform team
apiVersion: flowgen/v1
kind: Flow
name: minimal
sla: {latency_p95: 1500ms}   # agreed with the help-desk vendor
trigger:
  type: webhook
  path: /hooks/minimal        # do not rename: the vendor calls it
  auth: {scheme: standard-webhooks, secret: "${env:SECRET}"}
models:
  fast: {use: openai/gpt-4o-mini-2024-07-18}
steps:
  - id: classify              # the only step for now
    type: model
    model: fast
    prompt: {user: "{{ event.body }}"}
respond:
  needs: [classify]
"""


def test_merge_into_keeps_comments_order_and_style() -> None:
    tree = parse_yaml(COMMENTED, "f.yaml").tree
    merge_into(tree["steps"][0], "timeout", "900ms", ("steps", 0))
    merge_into(tree, "on_error", {"dead_letter": {"path": ".flowgen/dead-letter.jsonl"}})
    merge_into(tree, "sla", {"max_cost_per_event": 0.004})
    merge_into(tree["trigger"], "rate_limit", {"limit": 50, "period": "1s"}, ("trigger",))
    text = dump_tree(tree)
    for comment in (
        "# Owner: support-platform team",
        "# agreed with the help-desk vendor",
        "# do not rename: the vendor calls it",
        "# the only step for now",
    ):
        assert comment in text
    assert text.startswith(MODELINE)
    data = parse_yaml(text, "f.yaml").data
    # new keys land at their canonical place, existing blocks are merged, not replaced
    assert list(data) == [
        "apiVersion",
        "kind",
        "name",
        "sla",
        "trigger",
        "models",
        "steps",
        "respond",
        "on_error",
    ]
    assert data["sla"] == {"latency_p95": "1500ms", "max_cost_per_event": 0.004}
    assert list(data["steps"][0])[-1] == "timeout"
    assert list(data["trigger"]).index("rate_limit") > list(data["trigger"]).index("auth")
    assert "sla: {latency_p95: 1500ms, max_cost_per_event: 0.004}" in text  # flow style kept
    assert load_flow_text(text).flow.on_error.dead_letter.path == ".flowgen/dead-letter.jsonl"


def test_write_atomic_replaces_whole_files_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "flow.yaml"
    write_atomic(target, "a: 1\n")
    assert target.read_text() == "a: 1\n"
    target.chmod(0o640)
    write_atomic(target, "a: 2\n")
    assert target.read_text() == "a: 2\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["flow.yaml"]  # no temporary file left


def test_write_atomic_leaves_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "flow.yaml"
    target.write_text("old\n")

    with pytest.raises(TypeError):
        write_atomic(target, 12345)  # type: ignore[arg-type]
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["flow.yaml"]
