"""Templates and conditions: references without rendering, native values, the sandbox."""

from __future__ import annotations

import pytest

from copilot.errors import FlowgenError
from copilot.flow.expressions import (
    ExpressionError,
    _parsed_free_names,
    _parsed_references,
    _read,
    condition,
    evaluate,
    expression_source,
    references,
    render,
    render_value,
    simple_references,
    template_strings,
)
from copilot.flow.expressions import free_names as free

CTX = {
    "event": {"id": "T-1", "body": "Hello", "customer": {"email": "a@b.c", "tier": "gold"}, "n": 3},
    "steps": {"classify": {"output": {"category": "faq", "scores": [0.2, 0.9]}}},
}


def refs(text: str, **kw: bool) -> list[str]:
    return [str(r) for r in references(text, **kw)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ event.a.b }}", ["event.a.b"]),
        ("{{ steps.x.output.y }}", ["steps.x.output.y"]),
        ("Q: {{ event.body }}\n{{ steps.docs.output }}", ["event.body", "steps.docs.output"]),
        ("{{ event['customer']['email'] }}", ["event.customer.email"]),
        ("{{ event.body.lower() }}", ["event.body"]),  # a method call is not part of the path
        ("{{ event.body | truncate(20) }}", ["event.body"]),
        ("{{ event.a if steps.x.output.ok else event.b }}", ["steps.x.output.ok", "event.a", "event.b"]),
        ("{% for s in steps.docs.output %}{{ s.text }}{% endfor %}", ["steps.docs.output"]),
        ("{{ event[steps.pick.output.key] }}", ["event", "steps.pick.output.key"]),
        ("{{ event.a }} {{ event.a }}", ["event.a"]),  # each once
        ("no template here", []),
        ("{{ 'literal' }} {{ other.thing }}", []),  # only event, steps and input are references
        ("{{ input.score >= 0 }}", ["input.score"]),
    ],
)
def test_references_lists_what_a_template_reads(text: str, expected: list[str]) -> None:
    assert refs(text) == expected


def test_references_of_a_bare_condition() -> None:
    assert refs("steps.checked.output.category == 'faq'", expression=True) == [
        "steps.checked.output.category"
    ]
    assert refs("{{ event.urgent and event.vip }}", expression=True) == ["event.urgent", "event.vip"]


@pytest.mark.parametrize("text", ["{{ event.__class__ }}", "{{ event._private }}", "{{ self }}"])
def test_references_refuse_internals_without_rendering(text: str) -> None:
    with pytest.raises(ExpressionError, match="unsafe template"):
        references(text)


def test_references_report_syntax_errors() -> None:
    with pytest.raises(ExpressionError, match="template syntax"):
        references("{{ event.body ")


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        ("{{ event.body }}", False),
        ("Q: {{ event.body }}\n{{ steps.docs.output }} {{ event.body }}", False),
        ("{{ steps.checked.output.category == 'faq' }}", True),
        ('steps.checked.output.urgency != "high"', True),
        ("not steps.a.output.ok", True),
        ("{{ 3 > steps.s.output.n }}", True),
        ("{{ -1.5 <= input.score }}", True),
        ("'faq' in steps.c.output.tags", True),
        ("steps.a.output.x not in event.allowed", True),
        ("{{ steps.answer.output.text | default('') }}", False),
        ("{{ event.x|default( 'n/a' ) == 'y' }} {{ event.z | default() }}", False),
        ("input.category in ['faq', 'billing', \"bug\", 3]", True),
        ("{{ event.tags != [] }}", True),
        ("{{ 'literal' }} {{ other.thing }} {{ true }}", False),
        ("plain text", False),
        ("{{ evnt.id }} {{ env.SECRET }} {{ evnt.x }}", False),
        ("foo == none", True),
        ("{{ False }}", True),
    ],
)
def test_the_regex_reading_of_simple_templates_agrees_with_the_jinja_parse(
    text: str, expression: bool
) -> None:
    fast = simple_references(text, expression)
    assert fast is not None
    assert fast == tuple(r.parts for r in _parsed_references(text, expression))
    # the free names too: the fast path must not hide an undefined root
    assert _read(text, expression)[1] == _parsed_free_names(text, expression)


@pytest.mark.parametrize(
    ("text", "expression", "expected"),
    [
        ("{{ env.SECRET }}", False, ["env"]),
        ("{{ foo.bar }} {{ event.a }} {{ foo }}", False, ["foo"]),
        ("{{ evnt.id }}", False, ["evnt"]),
        ("evnt.id == 'x' or steps.a.output", True, ["evnt"]),
        ("{{ event.x | default(fallback) }}", False, ["fallback"]),
        ("{% for x in event.items %}{{ x.a }}{{ loop.index }}{% endfor %}", False, []),
        ("{% set y = event.a %}{{ y | upper }}{{ y is defined }}", False, []),
        ("{% macro m(p) %}{{ p }}{{ q }}{% endmacro %}{{ m(1) }}", False, ["q"]),
        ("{{ loop.index }}", False, ["loop"]),  # outside a for loop, `loop` is undefined
        ("input.score > 3", True, []),
        ("{{ true and none }}", False, []),
    ],
)
def test_free_names_are_every_root_outside_the_scope(text: str, expression: bool, expected: list) -> None:
    assert free(text, expression=expression) == expected


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        ("{{ self }}", False),  # refused by the sandbox check, not silently dropped
        ("{{ in }}", False),  # a syntax error
        ("not", True),
        ("{{ event._secret }}", False),
        ("{{ event.x | upper }}", False),
        ("{{ event.x | default(event.y) }}", False),
        ("{{ event.x in [event.y] }}", False),
        ("{{ event.x | default('a') | upper }}", False),
        ("{{ event.a }} {{ event.b", False),
        ("{{- event.a -}}", False),
        ("{% if event.a %}x{% endif %}", False),
        ("{{ a }} and {{ b }}", True),
    ],
)
def test_anything_but_a_simple_template_is_left_to_jinja(text: str, expression: bool) -> None:
    assert simple_references(text, expression) is None


def test_expression_source_unwraps_braces() -> None:
    assert expression_source("{{ a == b }}") == "a == b"
    assert expression_source("  a == b ") == "a == b"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("{{ steps.classify.output }}", {"category": "faq", "scores": [0.2, 0.9]}),
        ("{{ steps.classify.output.scores }}", [0.2, 0.9]),
        ("{{ event.n }}", 3),
        ("{{ event.n > 2 }}", True),
        ("  {{ event.customer }}  ", {"email": "a@b.c", "tier": "gold"}),
        ("{{ event.missing | default(none) }}", None),
        ("id={{ event.id }}", "id=T-1"),  # not a lone expression: a string
        ("{{ event.n }}{{ event.n }}", "33"),
        ("plain text", "plain text"),
        ("{{ steps.classify.output | tojson }}", '{"category": "faq", "scores": [0.2, 0.9]}'),
    ],
)
def test_render_keeps_native_values_of_a_lone_expression(text: str, value: object) -> None:
    assert render(text, CTX) == value


def test_render_value_walks_json() -> None:
    body = {
        "ticket": "{{ event.id }}",
        "meta": ["{{ event.n }}", 7, {"c": "{{ steps.classify.output.category }}"}],
    }
    assert render_value(body, CTX) == {"ticket": "T-1", "meta": [3, 7, {"c": "faq"}]}
    assert sorted(template_strings(body)) == sorted(
        ["{{ event.id }}", "{{ event.n }}", "{{ steps.classify.output.category }}"]
    )


def test_conditions_bare_or_wrapped() -> None:
    assert condition("steps.classify.output.category == 'faq'", CTX) is True
    assert condition("{{ event.n < 2 }}", CTX) is False
    assert evaluate("event.customer.tier", CTX) == "gold"


def test_strict_undefined_names_the_missing_variable() -> None:
    with pytest.raises(ExpressionError, match="undefined"):
        render("Hi {{ event.nme }}", CTX)
    with pytest.raises(ExpressionError, match="undefined"):
        evaluate("evnt.body", CTX)


def test_expression_errors_are_flowgen_errors() -> None:
    assert issubclass(ExpressionError, FlowgenError)


ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__.os }}",
    "{{ lipsum.__globals__ }}",
    "{{ namespace.__init__ }}",
    "{{ event.__class__ }}",
    "{{ event.__class__.__base__.__subclasses__() }}",
    "{{ event | attr('__class__') }}",
    "{{ event['__class__'] }}",
    "{{ event.body.__class__ }}",
    "{{ self }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{% for x in [1] %}{{ loop.__class__ }}{% endfor %}",
    "{% for x in [1] %}{{ loop._iterator }}{% endfor %}",
    "{% set c = event.__class__ %}{{ c }}",
    "{{ range(10 ** 9) | list }}",
    "{% for i in range(100000000) %}{% endfor %}",
    "{{ 'a' * 10 ** 9 }}",
    "{{ [0] * 10 ** 8 }}",
    "{{ event.body * 1000000 }}",
    "{{ 2 ** 100000 }}",
    "{{ event.customer.update({'tier': 'x'}) }}",
    "{{ steps.classify.output.scores.append(1) }}",
    "{{ config }}",
    "{{ request.environ }}",
]


@pytest.mark.parametrize("text", ESCAPES)
def test_sandbox_escapes_are_refused_and_nothing_leaks(text: str) -> None:
    before = repr(CTX)
    with pytest.raises(ExpressionError) as info:
        render(text, CTX)
    message = str(info.value)
    assert "\n" not in message
    # The refusal names the problem, never an object it reached.
    for leak in ("<class", "<function", "<module", "<built-in", "<bound", "TemplateReference", "0x"):
        assert leak not in message, message
    assert repr(CTX) == before  # the context is never mutated


@pytest.mark.parametrize("text", ["{{ ''.__class__ }}", "{{ self }}", "{{ 'a' * 10 ** 9 }}"])
def test_conditions_are_sandboxed_too(text: str) -> None:
    with pytest.raises(ExpressionError):
        condition(text, CTX)


def test_small_multiplication_and_powers_still_work() -> None:
    assert render("{{ '-' * 3 }}", CTX) == "---"
    assert render("{{ event.n ** 2 }}", CTX) == 9
    assert render("{{ [0] * event.n }}", CTX) == [0, 0, 0]
