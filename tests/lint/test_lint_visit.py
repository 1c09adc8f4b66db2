"""The fast reading of simple templates agrees with the Jinja parse it replaces."""

from __future__ import annotations

import pytest

from copilot.flow.expressions import ExpressionError, _parsed_references, references
from copilot.flow.expressions import simple_references as _dotted_only
from copilot.lint.visit import event_id_field, template_references

TEMPLATES = [
    ("{{ event.body }}", False),
    ("{{ event.subject }}\n\n{{ event.body }}", False),
    ("{{ event.id }}:classify", False),
    ("{{ steps.checked.output.category == 'faq' }}", True),
    ('steps.checked.output.urgency != "high"', True),
    ("input.label != ''", True),
    ("not steps.a.output.ok", True),
    ("{{ 3 > steps.s.output.n }}", True),
    ("'faq' in steps.c.output.tags", True),
    ("{{ event.a.b }}{{ event.c }}", False),
    ("plain text", False),
]


@pytest.mark.parametrize("text, expression", TEMPLATES)
def test_fast_path_matches_jinja(text: str, expression: bool) -> None:
    fast = _dotted_only(text, expression)
    assert fast is not None
    assert fast == tuple(r.parts for r in _parsed_references(text, expression))
    assert fast == tuple(r.parts for r in references(text, expression=expression))


@pytest.mark.parametrize(
    "text, expression",
    [
        ("{{ event.x | upper }}", False),
        ("{{ event.__class__ }}", False),
        ("{{ a }} {{ b", False),
        ("x ==", True),
    ],
)
def test_anything_else_goes_to_jinja(text: str, expression: bool) -> None:
    assert _dotted_only(text, expression) is None
    try:
        expected: object = tuple(r.parts for r in references(text, expression=expression))
    except ExpressionError as exc:
        expected = exc.message
    assert template_references(text, expression) == expected


def test_event_id_field() -> None:
    from copilot.flow.load import load_flow_text

    from .conftest import CLEAN

    flow = load_flow_text(CLEAN.read_text(), "x").flow
    assert event_id_field(flow) == "id"
    flow.trigger.idempotency_key = None
    flow.trigger.event_schema = {"type": "object", "properties": {"body": {}, "ticket_id": {}}}
    assert event_id_field(flow) == "ticket_id"
    flow.trigger.event_schema = {"type": "object", "properties": {"body": {}}}
    flow.trigger.example = None
    assert event_id_field(flow) is None
