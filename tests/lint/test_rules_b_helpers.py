"""The judgement calls inside rules FG3xx–FG8xx: what looks personal, secret, loopback, random.

The rules themselves are tested by their fixtures (tests/fixtures/rules/FG*.yml); these
pin down the heuristics they rest on, including the false positives they must avoid.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from copilot.flow.load import load_flow_text
from copilot.flow.sites import references_of
from copilot.hosts import is_loopback
from copilot.lint.rules.observability import looks_personal, personal_fields
from copilot.lint.rules.security import looks_random, provider_key, shannon_entropy


@pytest.mark.parametrize(
    "name",
    [
        "email",
        "customerEmail",
        "email_address",
        "phone",
        "phoneNumber",
        "mobile",
        "name",
        "first_name",
        "lastName",
        "customer_name",
        "fullname",
        "username",
        "address",
        "street",
        "postcode",
        "ip",
        "client_ip",
        "ip_address",
        "ssn",
        "dob",
        "date_of_birth",
        "passport_number",
        "iban",
        "credit_card",
        "card_number",
    ],
)
def test_personal_field_names(name: str) -> None:
    assert looks_personal(name)


@pytest.mark.parametrize(
    "name",
    [
        "id",
        "body",
        "subject",
        "product_name",
        "hostname",
        "filename",
        "team_name",
        "description",
        "zipfile",
        "shipping",
        "recipe",
        "card",
        "tip",
        "",
    ],
)
def test_non_personal_field_names(name: str) -> None:
    assert not looks_personal(name)


def test_personal_fields_walk_nested_objects_and_arrays() -> None:
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "customer": {
                "type": "object",
                "properties": {"email": {"type": "string"}, "plan": {"type": "string"}},
            },
            "contacts": {"type": "array", "items": {"type": "object", "properties": {"phone": {}}}},
            "sender_name": {"type": "string"},
        },
    }
    assert personal_fields(schema) == [
        ("event", "customer", "email"),
        ("event", "contacts", "phone"),
        ("event", "sender_name"),
    ]
    assert personal_fields(None) == []
    assert personal_fields({"properties": "junk"}) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("sk-proj-0000fake1111fake2222fake", "OpenAI"),
        ("key: sk-ant-api03-0000fake1111fake2222", "Anthropic"),
        ("AKIAIOSFODNN7EXAMPLE", "AWS"),
        ("ghp_0123456789abcdefghijABCDEFGHIJ012345", "GitHub"),
        ("xoxb-1234567890-abcdefghij", "Slack"),
        ("AIzaSyA-0123456789abcdefghijABCDEFGHIJK", "Google"),
        ("sk_live_0123456789abcdefABCD", "Stripe"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk", "JSON Web"),
        ("-----BEGIN RSA PRIVATE KEY-----", "private key"),
    ],
)
def test_provider_key_shapes(text: str, kind: str) -> None:
    found = provider_key(text)
    assert found is not None and kind in found


@pytest.mark.parametrize(
    "text",
    [
        "task-classification-pipeline-v2",
        "sk-learn-style-classifier-pipeline",
        "risk-assessment-for-enterprise-accounts",
        "sha256:ed3ad6cb02714830731c182326e001b7b9ccc6e0f57f267edfd3ff698a7525e9",
        "{{ event.id }}:classify",
        "openai/gpt-4o-mini-2024-07-18",
    ],
)
def test_not_provider_keys(text: str) -> None:
    assert provider_key(text) is None


def test_random_tokens_versus_identifiers() -> None:
    assert looks_random("Xa9bC7dE5fG3hJ1kL0mN8pQ6")
    assert looks_random("9f8e7d6c5b4a39f8e7d6c5b4a3")
    assert not looks_random("550e8400-e29b-41d4-a716-446655440000")  # a UUID names, it does not unlock
    assert not looks_random("support-triage-webhook-handler")  # no digits, low entropy
    assert not looks_random("short1A")
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("api.localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("[::1]", True),
        ("::1", True),
        ("10.0.0.1", False),
        ("0.0.0.0", False),
        ("example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_template_sites_cover_every_template_field() -> None:
    text = """
apiVersion: flowgen/v1
kind: Flow
name: sites
trigger: {type: webhook, path: /x, idempotency_key: "{{ event.id }}"}
models: {fast: {use: openai/gpt-4o-mini-2024-07-18}}
steps:
  - id: a
    type: model
    model: fast
    if: "event.kind == 'x'"
    prompt: {system: "S {{ event.kind }}", user: "U {{ event.body }}"}
  - id: b
    type: validate
    input: "{{ steps.a.output }}"
    rules: [{expr: "input.ok"}]
  - id: c
    type: retrieve
    query: "{{ event.body }}"
    sources: [{path: docs/*.md, version: "1"}]
  - id: d
    type: transform
    output: {x: ["{{ event.id }}", plain]}
  - id: e
    type: http
    request: {url: "https://h/{{ event.id }}", headers: {X-Id: "{{ event.id }}"}, json: {k: "{{ event.k }}"}}
    idempotency_key: "{{ event.id }}:e"
respond:
  body: {r: "{{ steps.a.output }}"}
  on_deadline: {body: {q: "{{ event.id }}"}}
"""
    loaded = load_flow_text(text, "sites.yaml")
    locs = [(site.loc, site.expression, site.step) for site in loaded.sites]
    assert locs == [
        (("trigger", "idempotency_key"), False, None),
        (("steps", 0, "if"), True, "a"),
        (("steps", 0, "prompt", "system"), False, "a"),
        (("steps", 0, "prompt", "user"), False, "a"),
        (("steps", 1, "input"), False, "b"),
        (("steps", 1, "rules", 0, "expr"), True, "b"),
        (("steps", 2, "query"), False, "c"),
        (("steps", 3, "output", "x", 0), False, "d"),
        (("steps", 4, "request", "url"), False, "e"),
        (("steps", 4, "request", "headers", "X-Id"), False, "e"),
        (("steps", 4, "request", "json", "k"), False, "e"),
        (("steps", 4, "idempotency_key"), False, "e"),
        (("respond", "body", "r"), False, None),
        (("respond", "on_deadline", "body", "q"), False, None),
    ]


_NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True)
_PATH = st.tuples(st.sampled_from(["event", "steps", "input", "other"]), st.lists(_NAME, max_size=3))
_TEXT = st.text(alphabet=" abc:.-\n", max_size=8)


@given(st.lists(st.tuples(_TEXT, _PATH), max_size=4), _TEXT)
def test_fast_reference_path_agrees_with_jinja(pieces: list, tail: str) -> None:
    """`references_of` skips Jinja for `{{ dotted.path }}` templates: same answer as the parser."""
    from copilot.flow.expressions import ExpressionError, _parsed_references

    text = "".join(f"{before}{{{{ {'.'.join([root, *rest])} }}}}" for before, (root, rest) in pieces) + tail
    try:
        expected = tuple(ref.parts for ref in _parsed_references(text, False))
    except ExpressionError:
        expected = ()
    assert references_of(text, False) == expected


@pytest.mark.parametrize(
    ("text", "expression", "expected"),
    [
        ("{{ event.a }} and {{ steps.x.output.y }}", False, (("event", "a"), ("steps", "x", "output", "y"))),
        ("{{ event.a | upper }}", False, (("event", "a"),)),
        ("{{ event._private }}", False, ()),
        ("{% if event.a %}{{ event.b }}{% endif %}", False, (("event", "a"), ("event", "b"))),
        ("input.ok and input.n > 2", True, (("input", "ok"), ("input", "n"))),
        ("{{ steps.checked.output.category == 'faq' }}", True, (("steps", "checked", "output", "category"),)),
        ("event.kind", True, (("event", "kind"),)),
        ("{{ event.a", False, ()),
    ],
)
def test_template_references(text: str, expression: bool, expected: tuple) -> None:
    assert references_of(text, expression) == expected
