"""Compiled templates and conditions give exactly what the sandbox gives, errors included."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copilot.flow.expressions import ExpressionError, condition, evaluate, render
from copilot.run.templates import compile_condition, compile_expression, compile_template, compile_value

CONTEXT: dict[str, Any] = {
    "event": {
        "id": "T-1",
        "subject": "Reset",
        "count": 3,
        "none": None,
        "tags": ["a", "b"],
        "items": {"x": 1},  # a key that is also a dict method name
        "nested": {"deep": {"value": 4.5}},
    },
    "steps": {
        "classify": {"output": {"category": "faq", "urgency": "high"}, "status": "ok"},
        "docs": {"output": [{"text": "one"}, {"text": "two"}], "status": "ok"},
        "skipped": {"output": None, "status": "skipped"},
    },
    "input": {"category": "faq"},
}

TEMPLATES = [
    "plain text",
    "{# only a comment #}",
    "{{ event.id }}",
    "  {{ event.id }}  ",
    "{{ event.id }}:classify",
    "{{ event.subject }}\n\n{{ event.id }}\n",
    "{{ event.count }}",
    "n={{ event.count }} none={{ event.none }}",
    "{{ event.tags }}",
    "{{ event.tags[1] }}",
    "{{ event.tags[5] }}",
    "{{ event['subject'] }}",
    "{{ event.items }}",  # the sandbox gives dict.items, not the key
    "{{ event['items'] }}",
    "{{ event.nested.deep.value }}",
    "{{ event.missing }}",
    "{{ missing.root }}",
    "{{ steps.classify.output }}",
    "{{ steps.docs.output[0].text }}",
    "{{ steps.skipped.output.text }}",
    "{{ steps.skipped.output.text | default('') }}",
    "{{ steps.classify.output.category | default('none') }}",
    "{{ event.none | default('x', true) }}",
    "{{ event.missing | d('fallback') }}",
    "{{ event.subject | upper }}",
    "{{ event.count * 2 }}",
    "{{ event.subject.lower() }}",
    "{% if event.count > 1 %}many{% endif %}",
    "{{ event._private }}",
    "{{ self }}",
    "{{ event.id }",
    "{{ event.id }} {{ event.subject | upper }}",
    "{{ [event.id, event.count] }}",
    "{{ (event.id, 1) }}",
]

CONDITIONS = [
    "steps.classify.output.category == 'faq'",
    "{{ steps.classify.output.urgency == 'high' }}",
    "steps.classify.output.category != 'faq'",
    "input.category in ['faq', 'billing', 'bug', 'other']",
    "input.category not in ['faq']",
    "event.count > 1 and event.count < 10",
    "1 < event.count < 3",
    "not event.none",
    "event.none or event.count",
    "event.missing == 1",
    "steps.skipped.output.category == 'faq'",
    "event.count < 'a'",
    "event.count is number",
    "event.tags | length > 1",
    "event.items == 1",
    "'a' in event.tags",
    "event.count == 3.0",
    "true and event.id",
]


def _outcome(function: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "value", function(*args)
    except ExpressionError as exc:
        return "error", exc.message


def _same(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    if a[0] != b[0]:
        return False
    if callable(a[1]) and callable(b[1]):  # a bound method rendered natively: compare what it is
        return repr(a[1]).split(" at ")[0] == repr(b[1]).split(" at ")[0]
    return a == b


@pytest.mark.parametrize("text", TEMPLATES)
def test_compiled_template_renders_as_the_sandbox(text: str) -> None:
    expected = _outcome(render, text, CONTEXT)
    assert _same(_outcome(compile_template(text), CONTEXT), expected), text


@pytest.mark.parametrize("expression", CONDITIONS)
def test_compiled_condition_decides_as_the_sandbox(expression: str) -> None:
    assert _outcome(compile_condition(expression), CONTEXT) == _outcome(condition, expression, CONTEXT)
    assert _same(_outcome(compile_expression(expression), CONTEXT), _outcome(evaluate, expression, CONTEXT))


def test_a_key_named_like_a_dict_method_is_the_key() -> None:
    # Issue 10, item 16: data first. `event.items` is the key `items`, in the fast path and
    # in the sandbox alike; without such a key it is an error, never a bound method's repr.
    assert compile_template("{{ event.items }}")(CONTEXT) == {"x": 1}
    assert render("{{ event.items }}", CONTEXT) == {"x": 1}
    assert compile_template("{{ event['items'] }}")(CONTEXT) == {"x": 1}
    for text in (
        "{{ event.values }}",
        "id {{ event.values }}",
        "{{ event.subject.upper }}",
        "{{ [event.get] }}",
    ):
        with pytest.raises(ExpressionError, match="is a method of the") as info:
            compile_template(text)(CONTEXT)
        assert " at 0x" not in str(info.value)
    assert compile_template("{{ event.subject.upper() }}")(CONTEXT) == "RESET"
    assert compile_template("{% for k in event.keys() %}{{ k }} {% endfor %}")(CONTEXT).startswith("id ")


def test_unsafe_and_broken_templates_fail_at_render_time_with_the_sandbox_message() -> None:
    for text in ("{{ event._private }}", "{{ self }}", "{{ event.id }"):
        renderer = compile_template(text)  # compiling never raises: errors are per event
        with pytest.raises(ExpressionError) as info:
            renderer(CONTEXT)
        with pytest.raises(ExpressionError) as expected:
            render(text, CONTEXT)
        assert info.value.message == expected.value.message


def test_compiled_value_renders_nested_bodies() -> None:
    body = {"ticket": "{{ event.id }}", "tags": ["{{ event.tags[0] }}", 1], "n": "{{ event.count }}"}
    assert compile_value(body)(CONTEXT) == {"ticket": "T-1", "tags": ["a", 1], "n": 3}


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text("ab", max_size=2),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(event=_json, step=_json)
def test_compiled_expressions_match_the_sandbox_on_any_data(event: Any, step: Any) -> None:
    context = {"event": event, "steps": {"s": {"output": step}}}
    for expression in (
        "event.a",
        "event['b'][0]",
        "steps.s.output.a == 'a'",
        "steps.s.output in ['a', 1, none]",
        "event.a.b | default('d')",
        "not event.c or event.a",
        "event.a < event.b",
    ):
        assert _same(
            _outcome(compile_expression(expression), context), _outcome(evaluate, expression, context)
        )
        assert _outcome(compile_condition(expression), context) == _outcome(condition, expression, context)
    for text in ("{{ event.a }}-{{ steps.s.output }}", "x{{ event.b | default(1) }}"):
        assert _outcome(compile_template(text), context) == _outcome(render, text, context)


def test_common_shapes_never_reach_jinja(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lookups, comparisons with constants, and/or/not and `default` are computed without a render."""
    import copilot.run.templates as templates

    compiled = [
        compile_template("{{ event.id }}:classify"),
        compile_template("{{ steps.docs.output }}\n\nQ: {{ event.subject }}"),
        compile_template("{{ steps.classify.output.category | default('') }}"),
        compile_condition("{{ steps.classify.output.category == 'faq' }}"),
        compile_condition("input.category in ['faq', 'billing'] and not event.none"),
    ]

    def refuse(*args: Any) -> Any:
        raise AssertionError("the sandbox was asked to render a plain shape")

    monkeypatch.setattr(templates, "render", refuse)
    monkeypatch.setattr(templates, "evaluate", refuse)
    assert [f(CONTEXT) for f in compiled] == [
        "T-1:classify",
        f"{CONTEXT['steps']['docs']['output']}\n\nQ: Reset",
        "faq",
        True,
        True,
    ]
