"""Unit tests of the drafting pieces: reader, extraction, wire schema, settings, event shapes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from copilot.draft.event import shape_from
from copilot.draft.extract import BadAnswer, extract_flow
from copilot.draft.llm import retry_after
from copilot.draft.reader import read, split_sentences
from copilot.draft.settings import resolve_provider, resolve_settings
from copilot.draft.wire import from_wire, strict_schema, to_wire
from copilot.errors import FlowgenError
from copilot.flow.load import load_document

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples/flows").glob("*.yaml"))

# ---------------------------------------------------------------------------- reader


@pytest.mark.parametrize(
    ("brief", "kind", "detail"),
    [
        ("When a ticket arrives by webhook, classify it.", "webhook", None),
        ("Every 5 minutes check the queue of invoices.", "schedule", ("every", 300.0)),
        ("daily at 9am send a digest", "schedule", ("cron", "0 9 * * *")),
        ("every weekday at 5:30pm summarise", "schedule", ("cron", "30 17 * * 1-5")),
        (
            "Consume events from the kafka topic orders.created and classify them",
            "queue",
            ("topic", "orders.created"),
        ),
        ("messages arrive on an SQS queue; summarise each", "queue", ("broker", "sqs")),
        ("summarise each post", "webhook", None),
    ],
)
def test_reader_finds_the_trigger(brief, kind, detail):
    trigger = read(brief).trigger
    assert trigger.kind == kind
    if detail:
        assert getattr(trigger, detail[0]) == detail[1]


@pytest.mark.parametrize(
    ("brief", "sla"),
    [
        ("answer within 2 seconds", 2.0),
        ("respond in under 500 ms", 0.5),
        ("p95 below 1s please", 1.0),
        ("needs sub-second replies", 1.0),
        ("within half a second", 0.5),
        ("reply within 300 ms; the API we call has p95 about 110 ms", 0.3),
        ("escalate tickets with no reply within 24 hours", None),
        ("every 5 minutes, summarise", None),
    ],
)
def test_reader_finds_the_sla(brief, sla):
    assert read(brief).sla == sla


def test_reader_real_time_is_a_default_not_a_number():
    reading = read("classify chats in real-time")
    assert reading.sla is None and reading.realtime is True


@pytest.mark.parametrize(
    ("brief", "budget", "tier"),
    [
        ("keep it under $0.01 per event", 0.01, None),
        ("at most 0.4 cents per ticket", 0.004, None),
        ("two cents per alert", 0.02, None),
        ("it needs to be cheap", None, "economy"),
        ("cost matters a lot here", None, "economy"),
        ("accuracy matters most, cost is no object", None, "premium"),
    ],
)
def test_reader_finds_budget_and_cost_tier(brief, budget, tier):
    reading = read(brief)
    assert reading.budget == pytest.approx(budget) if budget else reading.budget is None
    assert reading.cost_tier == tier


def test_reader_tasks_conditions_and_channels():
    reading = read(
        "Classify each ticket into billing, bug or other, answer FAQ tickets from the docs, "
        "and page on-call for urgent ones. Post to Slack when the score is above 0.8."
    )
    kinds = [(t.kind, t.channel) for t in reading.tasks]
    assert ("classify", None) in kinds and ("answer", None) in kinds
    assert ("notify", "pagerduty") in kinds and ("notify", "slack") in kinds
    classify = next(t for t in reading.tasks if t.kind == "classify")
    assert classify.labels == ["billing", "bug", "other"]
    page = next(t for t in reading.tasks if t.channel == "pagerduty")
    assert page.condition.kind == "urgent"
    slack = next(t for t in reading.tasks if t.channel == "slack")
    assert (slack.condition.kind, slack.condition.op, slack.condition.value) == ("score", ">", 0.8)
    answer = next(t for t in reading.tasks if t.kind == "answer")
    assert answer.docs is not None and answer.condition.value == "faq"


def test_reader_extract_fields_and_translate_language():
    reading = read(
        "Extract the order number, amount and due date from each email, then translate it into German."
    )
    extract = next(t for t in reading.tasks if t.kind == "extract")
    assert extract.fields == ["order_number", "amount", "due_date"]
    assert next(t for t in reading.tasks if t.kind == "translate").target == "german"


def test_reader_reports_what_it_did_not_understand():
    reading = read("Classify tickets. Our CEO loves dashboards. Thanks!")
    assert reading.unmapped == ["Our CEO loves dashboards"]


def test_sentences_keep_decimals_and_abbreviations():
    assert split_sentences("Answer in 1.5 s, e.g. FAQs. Budget $0.01 per event.") == [
        "Answer in 1.5 s, e.g. FAQs.",
        "Budget $0.01 per event.",
    ]


# ---------------------------------------------------------------------------- extraction


FLOW = {"apiVersion": "flowgen/v1", "kind": "Flow", "name": "x", "steps": []}


@pytest.mark.parametrize(
    ("content", "how"),
    [
        (json.dumps(FLOW), "json"),
        ("```json\n" + json.dumps(FLOW) + "\n```", "fenced"),
        ("Here you go: " + json.dumps(FLOW) + " hope it helps {not json}", "prose"),
        ("```yaml\napiVersion: flowgen/v1\nkind: Flow\nname: x\nsteps: []\n```", "yaml"),
    ],
)
def test_extract_finds_the_flow(content, how):
    data, found = extract_flow(content)
    assert data["name"] == "x" and found == how


@pytest.mark.parametrize(
    ("content", "finish", "kind"),
    [
        ("", "stop", "empty"),
        (None, "stop", "empty"),
        (json.dumps(FLOW)[:20], "length", "truncated"),
        ("I cannot produce JSON today.", "stop", "not_json"),
        ("[1, 2, 3]", "stop", "wrong_shape"),
    ],
)
def test_extract_names_each_bad_answer(content, finish, kind):
    with pytest.raises(BadAnswer) as info:
        extract_flow(content, finish)
    assert info.value.kind == kind and info.value.problem


# ---------------------------------------------------------------------------- wire schema


def _walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def test_strict_schema_closes_every_object_and_requires_every_property():
    schema = strict_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    objects = 0
    for path, node in _walk(schema):
        assert "oneOf" not in node and "default" not in node and "const" not in node, path
        if node.get("type") == "object":
            objects += 1
            assert node["additionalProperties"] is False, path
            assert set(node["required"]) == set(node["properties"]), path
    assert objects > 30


ANSWERS = sorted((Path(__file__).resolve().parent / "answers").glob("*.yaml"))


@pytest.mark.parametrize(
    "path", [*EXAMPLES, *ANSWERS], ids=[*(p.stem for p in EXAMPLES), *(f"answer-{p.stem}" for p in ANSWERS)]
)
def test_wire_shape_round_trips_every_example(path):
    from copilot.flow.models import Flow

    data = load_document(path).data
    wire = to_wire(copy.deepcopy(data))
    # A draft must say why each step exists: the only thing strict mode refuses in an example
    # written before `why` is the missing `why` of each step.
    validator = jsonschema.Draft202012Validator(strict_schema())
    refused = sorted(tuple(e.absolute_path) for e in validator.iter_errors(wire))
    unexplained = [i for i, step in enumerate(data["steps"]) if "why" not in step]
    assert refused == [("steps", i) for i in unexplained]
    explained = copy.deepcopy(wire)
    for i in unexplained:
        explained["steps"][i]["why"] = {"brief": None, "block": "enrichment", "serves": ["x"]}
    validator.validate(explained)
    back = from_wire(wire)
    assert Flow.model_validate(back).model_dump(mode="json") == Flow.model_validate(data).model_dump(
        mode="json"
    )
    assert from_wire(copy.deepcopy(data), strict=False) == data  # a plain answer passes through unchanged


@pytest.mark.parametrize(
    "why",
    [
        {"brief": "Page the on-call engineer for urgent tickets"},
        {"brief": ["classify it", "how urgent it is"]},
        {"block": "validation-gate", "serves": ["classify"]},
    ],
)
def test_why_is_required_on_the_wire_and_comes_back_in_every_shape(why):
    strict = strict_schema()
    for name in ("ModelStep", "ValidateStep", "RetrieveStep", "TransformStep", "HttpStep"):
        node = strict["$defs"][name]
        assert "why" in node["required"] and node["properties"]["why"] == {"$ref": "#/$defs/Why"}, name
    data = load_document(ROOT / "tests/draft/answers/support-triage.yaml").data
    data["steps"][0]["why"] = why
    wire = to_wire(copy.deepcopy(data))
    jsonschema.Draft202012Validator(strict).validate(wire)
    assert set(wire["steps"][0]["why"]) == {"brief", "block", "serves"}  # closed: every key, null when unused
    assert from_wire(wire)["steps"][0]["why"] == why


# ---------------------------------------------------------------------------- settings


def test_settings_precedence_flags_then_environment_then_config(tmp_path):
    config = (
        tmp_path / "pyproject.toml",
        {"model": "cfg-model", "base_url": "http://cfg/v1", "api_key": "${env:MY_KEY}"},
    )
    env = {"MY_KEY": "from-config-ref", "FLOWGEN_MODEL": "env-model"}
    s = resolve_settings(environ=env, config=config)
    assert (s.model, s.base_url, s.api_key) == ("env-model", "http://cfg/v1", "from-config-ref")
    assert "MY_KEY" in s.key_source and "from-config-ref" not in json.dumps(s.describe())
    s = resolve_settings(
        model="flag-model", api_key="flag-key", environ={**env, "OPENAI_API_KEY": "env-key"}, config=config
    )
    assert (s.model, s.api_key, s.key_source) == ("flag-model", "flag-key", "--api-key")


def test_a_literal_key_in_a_config_file_is_refused(tmp_path):
    with pytest.raises(FlowgenError, match="never the key itself"):
        resolve_settings(environ={}, config=(tmp_path / ".flowgen.toml", {"api_key": "sk-live-123"}))


def test_auto_provider_is_offline_without_key_or_url():
    assert resolve_provider("auto", environ={}) == "offline"
    assert resolve_provider("auto", environ={"OPENAI_API_KEY": "k"}) == "openai"
    assert resolve_provider("auto", environ={"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}) == "openai"
    assert resolve_provider("offline", environ={"OPENAI_API_KEY": "k"}) == "offline"


def test_retry_after_reads_seconds_milliseconds_and_dates():
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "250"}) == 0.25
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470.0) == 10.0
    assert retry_after({}) is None


# ---------------------------------------------------------------------------- event shapes


def test_event_sample_gives_text_id_and_personal_fields():
    shape = shape_from(
        {"ticket_id": "T1", "subject": "Hi", "body": "Long text here", "customer": {"email": "a@b.c"}}
    )
    assert shape.text_field == "body" and shape.subject_field == "subject"
    assert shape.id_field == "ticket_id" and shape.pii_fields == ["customer.email"]
    assert shape.schema["properties"]["customer"]["properties"]["email"] == {"type": "string"}


def test_event_schema_gives_a_sample():
    shape = shape_from(
        {"type": "object", "properties": {"id": {"type": "string"}, "amount": {"type": "number"}}}
    )
    assert shape.source == "schema" and shape.sample == {"id": "id-1", "amount": 1.0}


def test_a_draft_that_does_not_validate_is_never_written_even_with_allow_findings(tmp_path):
    from copilot.draft.drafting import EXIT_FAILED, DraftOptions, DraftOutcome, _write

    out = tmp_path / "flow.yaml"
    outcome = DraftOutcome(provider="offline", text="apiVersion: flowgen/v1\n")
    outcome.findings = [
        {
            "code": "FG007",
            "severity": "error",
            "json_path": "$.steps[3].id",
            "message": "duplicate step id `docs`",
        }
    ]
    _write(outcome, DraftOptions(out=str(out), allow_findings=True))
    assert not out.exists() and not outcome.written
    assert outcome.exit_code == EXIT_FAILED and "does not validate: FG007" in outcome.error
