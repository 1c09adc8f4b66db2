"""The load generator: arrival timetables of the three executors, and varied, valid events."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from copilot.errors import FlowgenError
from copilot.flow.load import load_flow_text
from copilot.flow.models import Load, WebhookTrigger
from copilot.run.load import DEFAULT_EVENTS, EventFactory, LoadShape, arrivals, planned, resolve_load

from .conftest import mini_flow


def shape(**load) -> LoadShape:
    return resolve_load(Load.model_validate(load))


# ---------------------------------------------------------------------------- timetables


def test_constant_rate_spaces_events_exactly():
    times = list(arrivals(shape(executor="constant-arrival-rate", rate="20/s", events=5)))
    assert times == pytest.approx([0.0, 0.05, 0.10, 0.15, 0.20])


def test_duration_stops_the_load_before_events_do():
    times = list(arrivals(shape(executor="constant-arrival-rate", rate="10/s", events=1000, duration="1s")))
    assert len(times) == 10 and max(times) < 1.0


def test_without_events_or_duration_a_default_count_is_sent():
    assert planned(shape(executor="constant-arrival-rate", rate="5/s"))[0] == DEFAULT_EVENTS


def test_burst_lands_on_top_of_the_rate_at_each_period():
    times = list(arrivals(shape(executor="burst", rate="10/s", events=40, burst={"size": 15, "every": "1s"})))
    assert len(times) == 40
    assert times == sorted(times)
    # 10 steady events in the first second, then the burst of 15 at t=1s plus the steady one.
    assert sum(1 for t in times if t < 1.0) == 10
    assert sum(1 for t in times if t == pytest.approx(1.0)) == 16


def test_burst_without_a_rate_starts_at_zero():
    times = list(arrivals(shape(executor="burst", events=9, burst={"size": 3, "every": "2s"})))
    assert times == [0.0] * 3 + [2.0] * 3 + [4.0] * 3


def test_ramping_rate_follows_the_integral_of_the_stages():
    s = shape(
        executor="ramping-arrival-rate",
        rate="10/s",
        stages=[{"duration": "2s", "target": "30/s"}, {"duration": "1s", "target": "10/s"}],
    )
    times = list(arrivals(s))
    area = (10 + 30) / 2 * 2 + (30 + 10) / 2 * 1  # 60 events due in 3 s
    assert len(times) == math.floor(area) + 1  # event k is due when the integral reaches k (k from 0)
    assert times == sorted(times) and times[-1] <= 3.0
    # The rate rises through the first stage: later gaps are shorter than early ones.
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[1] > gaps[30]
    # 40 events are due by the end of stage one (the integral of a 10→30/s ramp over 2 s).
    assert sum(1 for t in times if t < 2.0) == 40


@settings(max_examples=60, deadline=None)
@given(rate=st.integers(1, 500), events=st.integers(1, 400))
def test_constant_rate_sends_exactly_the_events_in_order(rate, events):
    times = list(arrivals(shape(executor="constant-arrival-rate", rate=f"{rate}/s", events=events)))
    assert len(times) == events
    assert times == sorted(times)
    assert times[-1] == pytest.approx((events - 1) / rate)


@pytest.mark.parametrize(
    ("load", "message"),
    [
        ({"executor": "constant-arrival-rate", "events": 10}, "needs `rate`"),
        ({"executor": "burst", "rate": "5/s"}, "needs `burst:"),
        ({"executor": "ramping-arrival-rate", "rate": "5/s"}, "needs `stages:"),
        (
            {
                "executor": "constant-arrival-rate",
                "rate": "5/s",
                "stages": [{"duration": "1s", "target": "2/s"}],
            },
            "only applies to ramping-arrival-rate",
        ),
    ],
)
def test_a_load_that_cannot_run_is_one_clear_error_at_its_position(load, message):
    import json

    text = mini_flow(tests=f"tests:\n  load: {json.dumps(load)}")
    loaded = load_flow_text(text, "flow.yaml")
    with pytest.raises(FlowgenError) as info:
        resolve_load(loaded.flow.tests.load, where="flow.yaml", locate=loaded.doc.position)
    assert message in str(info.value)
    assert str(info.value).startswith("flow.yaml:")
    assert (
        info.value.position is not None
        and info.value.position.line
        == text.splitlines().index(next(line for line in text.splitlines() if line.startswith("  load:"))) + 1
    )


def test_command_line_overrides_win():
    s = resolve_load(
        Load.model_validate({"executor": "constant-arrival-rate", "rate": "5/s", "events": 10}),
        events=3,
        rate=100.0,
    )
    assert list(arrivals(s)) == pytest.approx([0.0, 0.01, 0.02])


# ---------------------------------------------------------------------------- events

SCHEMA = {
    "type": "object",
    "required": ["id", "subject", "priority"],
    "properties": {
        "id": {"type": "string"},
        "subject": {"type": "string", "maxLength": 40},
        "priority": {"enum": ["low", "normal", "high"]},
        "count": {"type": "integer", "minimum": 1, "maximum": 9},
        "email": {"type": "string", "format": "email"},
        "customer": {
            "type": "object",
            "required": ["plan"],
            "properties": {"plan": {"enum": ["free", "pro"]}, "seats": {"type": "integer", "minimum": 1}},
        },
    },
}
EXAMPLE = {
    "id": "T-1001",
    "subject": "Reset my password please",
    "priority": "normal",
    "count": 2,
    "email": "a@b.c",
    "customer": {"plan": "pro", "seats": 3},
}


def trigger(example=EXAMPLE, schema=SCHEMA, key="{{ event.id }}") -> WebhookTrigger:
    return WebhookTrigger.model_validate(
        {"type": "webhook", "path": "/x", "event_schema": schema, "example": example, "idempotency_key": key}
    )


def test_events_are_valid_varied_and_keep_required_fields():
    factory = EventFactory(trigger(), seed=7)
    validator = Draft202012Validator(SCHEMA)
    events = [factory.event(i) for i in range(300)]
    for event in events:
        assert not list(validator.iter_errors(event)), event
        assert {"id", "subject", "priority"} <= set(event)
    # Varied within the schema: every enum value shows up, subjects and numbers differ.
    assert {e["priority"] for e in events} == {"low", "normal", "high"}
    assert len({e["subject"] for e in events}) > 100
    assert len({e.get("count") for e in events}) > 3
    # Optional fields come and go, so flows cannot silently rely on them.
    assert 0 < sum("email" not in e for e in events) < 100


def test_the_id_field_is_unique_and_keeps_the_example_shape():
    factory = EventFactory(trigger(), seed=0)
    ids = [factory.event(i)["id"] for i in range(1000)]
    assert len(set(ids)) == 1000
    assert ids[0] == "T-1001" and ids[5] == "T-1006"


def test_the_id_field_is_the_one_the_idempotency_key_reads():
    schema = {
        "type": "object",
        "required": ["ref"],
        "properties": {"ref": {"type": "integer"}, "id": {"const": "x"}},
    }
    factory = EventFactory(trigger({"ref": 40, "id": "x"}, schema, "{{ event.ref }}"), seed=0)
    assert [factory.event(i)["ref"] for i in range(3)] == [40, 41, 42]
    assert factory.event(3)["id"] == "x"


def test_events_are_reproducible_per_seed_and_index():
    a, b = EventFactory(trigger(), seed=3), EventFactory(trigger(), seed=3)
    assert [a.event(i) for i in range(50)] == [b.event(i) for i in reversed(range(50))][::-1]
    other = EventFactory(trigger(), seed=4)
    assert [a.event(i) for i in range(50)] != [other.event(i) for i in range(50)]


def test_a_pattern_the_varier_cannot_follow_falls_back_to_the_example():
    schema = {
        "type": "object",
        "required": ["id", "code"],
        "properties": {
            "id": {"type": "string"},
            "code": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
        },
    }
    factory = EventFactory(trigger({"id": "E-1", "code": "ABC-1234"}, schema), seed=1)
    events = [factory.event(i) for i in range(30)]
    assert all(e["code"] == "ABC-1234" for e in events)
    assert len({e["id"] for e in events}) == 30


def test_an_example_that_breaks_its_schema_is_reported_at_its_position():
    text = mini_flow().replace('text: "Where is my order?"', "text: 42")
    loaded = load_flow_text(text, "flow.yaml")
    with pytest.raises(FlowgenError) as info:
        EventFactory(loaded.flow.trigger, where="flow.yaml", locate=loaded.doc.position)
    assert "does not match trigger.event_schema" in str(info.value) and "text" in str(info.value)
    assert info.value.position is not None


def test_a_trigger_with_nothing_to_make_events_from_is_an_error():
    bare = WebhookTrigger.model_validate({"type": "webhook", "path": "/x"})
    with pytest.raises(FlowgenError, match="neither `example` nor `event_schema`"):
        EventFactory(bare)


def test_events_from_a_schema_alone():
    factory = EventFactory(trigger(example=None), seed=2)
    validator = Draft202012Validator(SCHEMA)
    events = [factory.event(i) for i in range(50)]
    assert all(not list(validator.iter_errors(e)) for e in events)
    assert len({e["id"] for e in events}) == 50


# ---------------------------------------------------------------------------- branches


def test_compared_literals_read_both_sides_and_look_through_filters():
    from copilot.flow.expressions import compared_literals

    assert compared_literals("{{ event.temp_c > 60 }}") == [(("event", "temp_c"), "gt", 60)]
    # A literal on the left is mirrored; a filter on the path is looked through.
    assert compared_literals("{{ 5 <= event.n | default(0) }}") == [(("event", "n"), "gteq", 5)]
    assert compared_literals("{{ event.tier in ['gold', 'vip'] }}") == [
        (("event", "tier"), "eq", "gold"),
        (("event", "tier"), "eq", "vip"),
    ]
    # Two paths compared with each other, or a template that does not parse: nothing.
    assert compared_literals("{{ event.a == event.b }}") == []
    assert compared_literals("{{ event.a == ") == []


def test_events_land_on_both_sides_of_what_conditions_compare_with():
    """An example of 12.5 varies within 0-25 and never reaches `temp_c > 32`, and a free
    string never equals 'delayed': with the flow's branches both come up, both ways."""
    schema = {
        "type": "object",
        "required": ["id", "temp_c", "status"],
        "properties": {
            "id": {"type": "string"},
            "temp_c": {"type": "number"},
            "status": {"type": "string"},
            "late_days": {"type": "integer", "minimum": 0},
        },
    }
    example = {"id": "R-1", "temp_c": 12.5, "status": "on time", "late_days": 0}
    plain = EventFactory(trigger(example, schema), seed=0)
    assert not any(plain.event(i)["temp_c"] > 32 for i in range(300))
    branches = {
        ("temp_c",): [("gt", 32)],
        ("status",): [("eq", "delayed")],
        ("late_days",): [("gt", 2)],
        ("id",): [("eq", "never")],
    }
    factory = EventFactory(trigger(example, schema), seed=0, branches=branches)
    validator = Draft202012Validator(schema)
    events = [factory.event(i) for i in range(300)]
    assert all(not list(validator.iter_errors(e)) for e in events)
    hot = sum(e["temp_c"] > 32 for e in events)
    delayed = sum(e["status"] == "delayed" for e in events)
    late = sum(e.get("late_days", 0) > 2 for e in events)
    assert 30 < hot < 270 and 30 < delayed < 270 and 30 < late < 270
    assert all(isinstance(e.get("late_days", 0), int) for e in events)
    # The id stays the unique one the idempotency key reads.
    assert len({e["id"] for e in events}) == 300


def test_a_branch_value_the_schema_refuses_is_not_sent():
    schema = {
        "type": "object",
        "required": ["id", "score"],
        "properties": {"id": {"type": "string"}, "score": {"type": "number", "maximum": 10}},
    }
    branches = {("score",): [("gt", 40)]}
    factory = EventFactory(trigger({"id": "a", "score": 5}, schema), seed=1, branches=branches)
    assert all(factory.event(i)["score"] <= 10 for i in range(100))


def test_fields_a_steps_idempotency_key_reads_are_unique_per_event():
    schema = {
        "type": "object",
        "required": ["id", "loan_id"],
        "properties": {"id": {"type": "string"}, "loan_id": {"type": "string"}},
    }
    plain = EventFactory(trigger({"id": "R-1", "loan_id": "L-1"}, schema), seed=0)
    assert len({plain.event(i)["loan_id"] for i in range(200)}) < 200  # the example comes back often
    factory = EventFactory(trigger({"id": "R-1", "loan_id": "L-1"}, schema), seed=0, keys=[("loan_id",)])
    loans = [factory.event(i)["loan_id"] for i in range(200)]
    assert len(set(loans)) == 200 and loans[0] == "L-1"
