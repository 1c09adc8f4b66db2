"""The offline drafter never promises more than the brief said or the catalog allows.

Conditions stay conditions (a page never fires on every event because a clause was not
read), labels come only from label lists, an SLA no model can meet is said out loud and
designed around, and every timeout comment is true of the numbers beside it.
"""

# ruff: noqa: E501  (briefs and their expected labels read best one case per line)
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from copilot.catalog import default_catalog
from copilot.draft.drafting import DraftOptions, draft
from copilot.draft.explain import step_budgets
from copilot.draft.reader import read
from copilot.draft.request import make_request
from copilot.flow.estimate import model_profiles
from copilot.flow.load import load_flow
from copilot.flow.units import parse_duration

ROOT = Path(__file__).resolve().parents[2]


def drafted(tmp_path: Path, brief: str, *args: str, **kwargs):
    request = make_request(brief, **kwargs)
    out = tmp_path / "flow.yaml"
    outcome = draft(request, DraftOptions(provider="offline", out=str(out), force=True))
    assert outcome.error is None and outcome.written, outcome.error
    return outcome, load_flow(out).flow, out.read_text()


def side_effects(flow) -> dict[str, str | None]:
    return {s.id: s.if_ for s in flow.steps if s.type == "http" and s.mode == "async"}


# ---------------------------------------------------------------------------- conditions (finding 2)


def test_run_on_brief_pages_only_for_urgent_and_answers_only_billing(tmp_path):
    brief = f"@{ROOT / 'tests/data/briefs/21-multi-sentence-run-on.md'}"
    _, flow, _ = drafted(tmp_path, brief)
    assert side_effects(flow)["page_oncall"] == "{{ steps.check_classify.output.urgency == 'high' }}"
    assert flow.step("docs").if_ == "{{ steps.check_classify.output.label == 'billing' }}"
    assert flow.trigger.type == "webhook"  # "the weekly report" names a document, not a timetable


def test_negative_sentiment_gates_the_teams_message_and_the_classifier_decides_it(tmp_path):
    outcome, flow, _ = drafted(
        tmp_path,
        "Tickets arrive by webhook. If the sentiment is negative, notify the account manager on Teams.",
    )
    assert side_effects(flow)["notify_teams"] == "{{ steps.check_classify.output.sentiment == 'negative' }}"
    schema = flow.step("classify").output_schema
    assert "sentiment" in schema["required"]
    assert schema["properties"]["sentiment"]["enum"] == ["positive", "neutral", "negative"]
    assert flow.step("check_classify").on_fail.value["sentiment"] == "neutral"
    assert outcome.findings == [] or all(f["severity"] == "info" for f in outcome.findings)


def test_escalation_if_angry_is_conditional_and_its_missing_channel_is_reported(tmp_path):
    outcome, flow, _ = drafted(
        tmp_path, "A chatbot answers questions from the docs and escalates to a human if the user is angry."
    )
    assert side_effects(flow)["escalate"] == "{{ steps.check_classify.output.sentiment == 'negative' }}"
    assert any("escalates" in u and "no channel named" in u for u in outcome.unmapped)


def test_severity_pages_and_otherwise_logs(tmp_path):
    _, flow, _ = drafted(
        tmp_path, "When an alert fires, page PagerDuty if severity is critical, otherwise log it."
    )
    effects = side_effects(flow)
    critical = "steps.check_classify.output.severity == 'critical'"
    assert effects["page_oncall"] == "{{ " + critical + " }}"
    assert effects["store"] == "{{ not (" + critical + ") }}"
    assert "critical" in flow.step("classify").output_schema["properties"]["severity"]["enum"]


def test_negative_or_urgent_is_either(tmp_path):
    _, flow, _ = drafted(
        tmp_path,
        "product reviews arrive by webhook; detect sentiment and if its negative or urgent send it to slack",
    )
    condition = side_effects(flow)["notify_slack"]
    assert "sentiment == 'negative'" in condition and "urgency == 'high'" in condition and " or " in condition


def test_an_unreadable_condition_never_pages_on_every_event(tmp_path):
    outcome, flow, _ = drafted(
        tmp_path, "Tickets by webhook, classify them, and if the moon is full page the on-call engineer."
    )
    # gated on the brief's own condition, decided by the classifier as a boolean named from
    # its words: never on every event, never on a stand-in such as urgency
    assert side_effects(flow)["page_oncall"] == "{{ steps.check_classify.output.moon_full }}"
    classify = flow.step("classify")
    assert classify.output_schema["properties"]["moon_full"] == {"type": "boolean"}
    assert "moon_full" in classify.output_schema["required"]
    assert "the moon is full" in classify.prompt.system
    assert any("if the moon is full" in a and "moon_full" in a for a in outcome.assumptions)
    assert any("if the moon is full" in u for u in outcome.unmapped)


# ---------------------------------------------------------------------------- labels (finding 3, 8)


@pytest.mark.parametrize(
    ("brief", "labels"),
    [
        ("Triage GitHub issues by webhook and label them bug or feature", ["bug", "feature"]),
        ("tickets come in via webhook and get triaged into billing bug account or other", ["billing", "bug", "account", "other"]),
        ("classify it as billing, bug or other.", ["billing", "bug", "other"]),
        ("categorise them (bug, feature request, praise, other) by webhook", ["bug", "feature_request", "praise", "other"]),
        ("Detect intent by webhook. Intents: play music, set timer, weather, other.", ["play_music", "set_timer", "weather", "other"]),
        ("Classify support tickets by urgency, via webhook", []),
    ],
)  # fmt: skip
def test_labels_come_only_from_label_lists(brief, labels):
    classify = next(t for t in read(brief).tasks if t.kind == "classify")
    assert classify.labels == labels


def test_a_label_list_is_understood_not_reported(tmp_path):
    reading = read("Tickets by webhook: classify it as billing, bug or other.")
    assert reading.unmapped == []


def test_not_understood_is_deduplicated_and_capped(tmp_path):
    brief = "Classify tickets by webhook. " + "Our mascot is a llama named Gerald. " * 200
    brief += " ".join(f"Clause number {n} means nothing here." for n in range(40))
    outcome, _, text = drafted(tmp_path, brief)
    assert outcome.unmapped.count("Our mascot is a llama named Gerald") == 1
    assert len(outcome.unmapped) == 41
    assert text.count("# Not understood (check by hand):") == 20
    assert "# Not understood: …and 21 more" in text


# ---------------------------------------------------------------------------- events (finding 12)


def test_an_event_without_text_or_id_is_read_whole_and_the_key_is_explained(tmp_path):
    event = tmp_path / "noid.json"
    event.write_text(json.dumps({"merchant": "ACME", "amount": 12.5, "currency": "EUR"}))
    outcome, flow, _ = drafted(
        tmp_path, "Score card transactions for fraud by webhook within 2 s", event=event
    )
    assert flow.step("score").prompt.user == "{{ event | tojson }}"
    assert flow.trigger.idempotency_key == "{{ event | tojson }}"
    note = next(a for a in outcome.assumptions if "no id field" in a)
    assert "whole event as JSON" in note and "add an id" in note and "hash" not in note


def test_a_text_event_is_read_by_its_text_field(tmp_path):
    event = tmp_path / "t.json"
    event.write_text(json.dumps({"ticket_id": "T-1", "merchant": "x", "body": "My card was declined"}))
    _, flow, _ = drafted(tmp_path, "Classify tickets by webhook within 2 s", event=event)
    assert flow.step("classify").prompt.user == "{{ event.body }}"


# ---------------------------------------------------------------------------- SLA (findings 4, 5)


@pytest.mark.parametrize("sla", ["50ms", "300ms"])
def test_an_sla_no_model_can_meet_acknowledges_and_says_so(tmp_path, sla):
    outcome, flow, text = drafted(tmp_path, f"Classify support tickets by webhook within {sla}")
    warning = next(w for w in outcome.warnings if "no model call fits" in w)
    assert f"SLA {sla}" in warning and "Raise --sla to at least" in warning
    assert f"# WARNING: the SLA {sla} is below the p95 of the fastest model" in text
    # the honest design: nothing slow on the hot path, the model async, a 202 at once
    assert flow.respond.needs == ["accept"] and flow.respond.status == 202
    assert flow.step("accept").type == "transform"
    assert flow.step("classify").mode == "async" and flow.step("update_results").mode == "async"
    assert outcome.analysis.hot_path == ["accept"]
    assert [f for f in outcome.findings if f["severity"] in ("error", "warning")] == []


def test_a_chain_that_starves_its_models_is_warned_about(tmp_path):
    outcome, flow, text = drafted(
        tmp_path, "Every 5 minutes classify new tickets and answer FAQ from the docs within 1 second"
    )
    profiles = model_profiles(flow, default_catalog())
    starved = [
        s.id
        for s in flow.steps
        if s.type == "model" and s.id in outcome.analysis.hot_path and s.timeout < profiles[s.model].p95
    ]
    assert starved  # the chain does not fit a 1s SLA …
    for step in starved:  # … and each starved step is named, in the summary and the file
        assert any(
            f"step `{step}`" in w and "most calls will end on the fallback" in w for w in outcome.warnings
        )
        assert f"# WARNING: step `{step}`" in text
    # no hot-path call may wait longer than the SLA (FG102), the fetch included
    assert flow.step("fetch").timeout <= flow.sla.latency_p95
    assert not [f for f in outcome.findings if f["code"] == "FG102"]


_NOTE = re.compile(r"timeout: (\S+)\s+#.*?(inside|ABOVE) this step's (\S+) of the")


@pytest.mark.parametrize(
    "brief",
    [
        "Every 5 minutes classify new tickets and answer FAQ from the docs within 1 second",
        "Answer customer questions from the docs by webhook within 1.2 seconds",
        "When a support ticket arrives by webhook, classify it, answer FAQ tickets from our docs within "
        "1.5 seconds and page on-call for urgent ones.",
    ],
)
def test_timeout_comments_are_true(tmp_path, brief):
    outcome, flow, text = drafted(tmp_path, brief)
    budgets = step_budgets(outcome.analysis)
    notes = _NOTE.findall(text)
    assert notes
    for timeout, word, budget in notes:
        assert (parse_duration(timeout) <= parse_duration(budget)) == (word == "inside"), (
            timeout,
            word,
            budget,
        )
    # and the budget printed is the analysis' own, rounded for reading (never `59348ms`)
    for step in flow.steps:
        if step.id in budgets and step.timeout is not None and step.type != "validate":
            assert abs(budgets[step.id] - parse_duration(_budget_in(text, step.id))) < 0.051
    assert not re.search(r"\d{4,}ms", text)


def _budget_in(text: str, step_id: str) -> str:
    block = text.split(f"- id: {step_id}\n", 1)[1].split("\n  - id:", 1)[0]
    return re.search(r"this step's (\S+) of the", block).group(1)
