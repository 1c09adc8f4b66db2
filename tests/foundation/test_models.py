"""The flow model: strict blocks, did-you-mean, unions, cross-field rules, positions."""

from __future__ import annotations

import pytest

from copilot.errors import FlowgenError, Position
from copilot.flow.load import load_flow_text
from copilot.flow.models import Flow, ModelStep, ScheduleTrigger, WebhookTrigger

from .conftest import MINIMAL_FLOW


def error_of(text: str) -> FlowgenError:
    with pytest.raises(FlowgenError) as info:
        load_flow_text(text, "flow.yaml")
    return info.value


def test_minimal_flow_loads_with_defaults() -> None:
    flow = load_flow_text(MINIMAL_FLOW, "flow.yaml").flow
    assert isinstance(flow, Flow)
    assert isinstance(flow.trigger, WebhookTrigger)
    step = flow.steps[0]
    assert isinstance(step, ModelStep)
    assert step.timeout == pytest.approx(0.9)
    assert step.mode == "sync" and step.needs == [] and step.fallback == []
    assert flow.sla.cost_tier == "standard"
    assert flow.trigger.method == "POST"


@pytest.mark.parametrize(
    ("old", "new", "message", "line", "col"),
    [
        # top level
        ("kind: Flow", "kind: Flow\nstesp: []", "`stesp`: unknown key, did you mean `steps`?", 3, 1),
        # nested in a step (the union tag `model` must not appear in the path)
        (
            "    timeout: 900ms",
            "    timout: 900ms",
            "`steps[0].timout`: unknown key, did you mean `timeout`?",
            16,
            5,
        ),
        # two levels deep, in a flow mapping
        (
            'auth: {scheme: standard-webhooks, secret: "${env:SECRET}"}',
            'auth: {schme: standard-webhooks, secret: "${env:SECRET}"}',
            "`trigger.auth.schme`: unknown key, did you mean `scheme`?",
            8,
            10,
        ),
        # inside a model alias
        (
            "fast: {use: openai/gpt-4o-mini-2024-07-18}",
            "fast: {uses: openai/gpt-4o-mini-2024-07-18}",
            "`models.fast.uses`: unknown key, did you mean `use`?",
            10,
            10,
        ),
        # nothing close: no suggestion
        ("    timeout: 900ms", "    timeout: 900ms\n    zzz: 1", "`steps[0].zzz`: unknown key", 17, 5),
    ],
)
def test_unknown_keys_suggest_the_closest_known_key(
    old: str, new: str, message: str, line: int, col: int
) -> None:
    err = error_of(MINIMAL_FLOW.replace(old, new))
    assert err.message == message
    assert err.position == Position(line, col)
    assert str(err) == f"flow.yaml:{line}:{col}: {message}"
    assert err.code == "FG002"


def test_a_step_type_must_be_one_of_the_five() -> None:
    err = error_of(MINIMAL_FLOW.replace("    type: model", "    type: modle"))
    assert "`steps[0].type`: must be one of" in err.message
    for kind in ("model", "validate", "retrieve", "transform", "http"):
        assert kind in err.message
    assert "'modle'" in err.message
    assert err.position == Position(13, 11)


def test_a_step_without_type_says_so() -> None:
    err = error_of(MINIMAL_FLOW.replace("    type: model\n", ""))
    assert err.message == "`steps[0]`: needs a `type`: one of model, validate, retrieve, transform, http"
    assert err.position == Position(12, 5)


def test_a_trigger_type_must_be_known() -> None:
    err = error_of(MINIMAL_FLOW.replace("type: webhook", "type: webhok"))
    assert "`trigger.type`: must be one of" in err.message and "'webhok'" in err.message
    assert err.position == Position(6, 9)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    model: fast\n", "    model: fast\n    route: {candidates: [fast]}\n"),
        ("    model: fast\n", ""),
    ],
    ids=["both", "neither"],
)
def test_a_model_step_has_exactly_one_of_model_or_route(old: str, new: str) -> None:
    err = error_of(MINIMAL_FLOW.replace(old, new))
    assert "a model step needs exactly one of `model` or `route`" in err.message
    assert err.position is not None and err.position.line == 12


def test_a_route_alone_is_fine() -> None:
    text = MINIMAL_FLOW.replace("    model: fast\n", "    route: {candidates: [fast], strategy: fastest}\n")
    step = load_flow_text(text, "flow.yaml").flow.steps[0]
    assert step.model is None and step.route.strategy == "fastest"


SCHEDULE = """\
  type: schedule
  {timetable}
"""


@pytest.mark.parametrize(
    ("timetable", "ok"),
    [
        ("cron: '*/5 * * * *'", True),
        ("every: 5m", True),
        ("cron: '0 * * * *'\n  every: 1h", False),
        ("timezone: Europe/Paris", False),
    ],
)
def test_a_schedule_has_exactly_one_of_cron_or_every(timetable: str, ok: bool) -> None:
    trigger = (
        "trigger:\n  type: webhook\n  path: /hooks/minimal\n"
        '  auth: {scheme: standard-webhooks, secret: "${env:SECRET}"}\n'
    )
    text = MINIMAL_FLOW.replace(trigger, "trigger:\n" + SCHEDULE.format(timetable=timetable))
    if ok:
        flow = load_flow_text(text, "flow.yaml").flow
        assert isinstance(flow.trigger, ScheduleTrigger)
        assert (flow.trigger.every == 300.0) or flow.trigger.cron == "*/5 * * * *"
    else:
        err = error_of(text)
        assert "a schedule trigger needs exactly one of `cron` or `every`" in err.message
        assert err.position == Position(5, 1)  # the `trigger:` key of the block


@pytest.mark.parametrize(
    ("old", "new", "fragment", "line", "col"),
    [
        ("timeout: 900ms", "timeout: 900", "`steps[0].timeout`: `900` has no unit", 16, 14),
        ("timeout: 900ms", "timeout: 9 hours", "`9 hours` is not a duration", 16, 14),
        ("latency_p95: 1500ms", "latency_p95: fast", "`sla.latency_p95`: `fast` is not a duration", 4, 20),
        ("max_cost_per_event: 0.004", "max_cost_per_event: -1", "greater than or equal to 0", 4, 48),
        ("max_cost_per_event: 0.004", "max_cost_per_event: cheap", "valid number", 4, 48),
        ("timeout: 900ms", "timeout: 0ms", "`steps[0].timeout`: `0ms` must be longer than zero", 16, 14),
        ("latency_p95: 1500ms", "latency_p95: 0s", "`sla.latency_p95`: `0s` must be longer than zero", 4, 20),
    ],
)
def test_type_and_duration_errors_are_positioned(
    old: str, new: str, fragment: str, line: int, col: int
) -> None:
    err = error_of(MINIMAL_FLOW.replace(old, new))
    assert fragment in err.message
    assert err.position == Position(line, col)


def test_a_required_field_is_named_with_its_block() -> None:
    err = error_of(MINIMAL_FLOW.replace("  path: /hooks/minimal\n", ""))
    assert err.message == "`path` is required in `trigger`"
    assert err.position == Position(5, 1)


def test_a_model_alias_needs_a_catalog_entry_or_provider_and_model() -> None:
    err = error_of(MINIMAL_FLOW.replace("{use: openai/gpt-4o-mini-2024-07-18}", "{provider: openai}"))
    assert "needs `use: provider/model`" in err.message
    complete = MINIMAL_FLOW.replace(
        "{use: openai/gpt-4o-mini-2024-07-18}",
        "{provider: vllm, model: llama-3.1-8b, tier: fast, latency: {p50: 200ms, p95: 500ms}}",
    )
    spec = load_flow_text(complete, "flow.yaml").flow.models["fast"]
    assert spec.latency.p95 == pytest.approx(0.5)


def test_latency_p95_may_not_be_below_p50() -> None:
    text = MINIMAL_FLOW.replace(
        "{use: openai/gpt-4o-mini-2024-07-18}",
        "{use: openai/gpt-4o-mini-2024-07-18, latency: {p50: 2s, p95: 1s}}",
    )
    assert "p95 must not be below p50" in error_of(text).message


def test_yaml_if_and_json_keys_map_to_python_names() -> None:
    text = MINIMAL_FLOW.replace(
        "respond:",
        '  - id: page\n    type: http\n    needs: [classify]\n    if: "{{ event.urgent }}"\n'
        '    request: {url: "${env:PAGER_URL}", json: {id: 1}}\n    timeout: 1s\n'
        "    retry: {attempts: 2}\nrespond:",
    )
    page = load_flow_text(text, "flow.yaml").flow.step("page")
    assert page.if_ == "{{ event.urgent }}"
    assert page.request.json_body == {"id": 1}
    assert page.retry.attempts == 2  # retries after the first call


def test_every_error_of_a_document_is_reported_one_line_each() -> None:
    from copilot.flow.load import parse_yaml, schema_errors

    text = MINIMAL_FLOW.replace("timeout: 900ms", "timout: 900ms").replace("kind: Flow", "kind: Flo")
    errors = schema_errors(parse_yaml(text, "flow.yaml"))
    assert len(errors) == 2
    for err in errors:
        line = str(err)
        assert "\n" not in line
        assert line.startswith("flow.yaml:")


def test_zero_durations_are_refused_by_the_json_schema_too() -> None:
    import jsonschema

    from copilot.flow.schema import flow_schema

    schema = flow_schema()
    duration = schema["$defs"]["Sla"]["properties"]["latency_p95"]["anyOf"][0]
    validator = jsonschema.Draft202012Validator(duration)
    for ok in ("1ms", "0.5s", "10m", "100ms", "007s"):
        assert validator.is_valid(ok), ok
    for zero in ("0ms", "0s", "0.0s", "000ms"):
        assert not validator.is_valid(zero), zero
