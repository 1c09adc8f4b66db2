"""Coverage counts a requirement as done only when a step can do it: a named system is called,
a lookup is a read, an effect calls out, a prohibition is respected, a filter leaves events alone."""

from __future__ import annotations

from copilot.draft.clauses import requirement_clauses
from copilot.draft.coverage import check
from copilot.draft.prohibitions import constraints
from copilot.draft.subjects import systems_named


def http(step_id: str, url: str, *, method: str = "POST", quote: str, **extra: object) -> dict:
    return {
        "id": step_id,
        "type": "http",
        "request": {"method": method, "url": url},
        "why": {"brief": quote},
        **extra,
    }


def model(step_id: str, quote: str) -> dict:
    return {"id": step_id, "type": "model", "why": {"brief": quote}}


def codes(data: dict, brief: str) -> list[str]:
    return [f["code"] for f in check(data, brief).findings]


def test_a_named_system_must_be_called():
    brief = "Tickets arrive by webhook. Isolate the host through CrowdStrike."
    quote = "Isolate the host through CrowdStrike"
    wrong = {"steps": [http("isolate_host", "${env:CRM_API_URL}", quote=quote)]}
    right = {"steps": [http("isolate_host", "${env:CROWDSTRIKE_API_URL}", quote=quote)]}
    assert "DR008" in codes(wrong, brief)
    assert "DR008" not in codes(right, brief)


def test_a_lookup_is_a_read_not_a_models_guess():
    brief = "Orders arrive by webhook. Check the order in Shopify."
    quote = "Check the order in Shopify"
    guessed = {"steps": [model("decide", quote)]}
    read = {"steps": [http("lookup", "${env:SHOPIFY_API_URL}/{{ event.id }}", method="GET", quote=quote)]}
    assert "DR008" in codes(guessed, brief)
    assert codes(read, brief) == []


def test_an_effect_needs_a_call():
    brief = "Leads arrive by webhook. Reset the password for the user."
    assert "DR006" in codes({"steps": [model("reset", "Reset the password for the user")]}, brief)


def test_a_prohibition_is_not_an_action_and_is_kept():
    brief = (
        "Invoices arrive by webhook. If the invoice is overdue, email the customer. "
        "Don't email enterprise customers at all."
    )
    clauses = [c.text for c in requirement_clauses(brief)]
    assert "Don't email enterprise customers at all" not in clauses
    assert [c.verb for c in constraints(brief)] == ["email"]
    always = {"steps": [http("email_customer", "${env:EMAIL_API_URL}", quote="email the customer")]}
    gate = {"if": "{{ x }}"}
    gated = {"steps": [http("email_customer", "${env:EMAIL_API_URL}", quote="email the customer", **gate)]}
    assert "DR007" in codes(always, brief)
    assert "DR007" not in codes(gated, brief)


def test_a_filter_needs_some_side_effect_to_be_conditional():
    brief = (
        "Shipments arrive by webhook. Post each delay to Slack. Delays of 2 hours or less should be ignored."
    )
    always = {"steps": [http("notify_slack", "${env:SLACK_WEBHOOK_URL}", quote="Post each delay to Slack")]}
    assert "DR005" in codes(always, brief)


def test_a_qualified_subject_limits_the_action():
    brief = "Alerts arrive by webhook. Benign alerts get closed in Splunk."
    (clause,) = [c for c in requirement_clauses(brief) if c.verb == "close"]
    assert clause.limiter == "Benign alerts"
    always = {"steps": [http("close", "${env:SPLUNK_API_URL}", quote="Benign alerts get closed in Splunk")]}
    assert "DR005" in codes(always, brief)


def test_systems_are_names_not_places_inside_them():
    assert systems_named("create a Jira issue in the LOG project") == ()
    assert systems_named("post in the Sales Ops channel") == ()
    assert systems_named("look it up in the pharmacy system (PioneerRx)") == ("PioneerRx",)
    assert systems_named("write it back to the record in Guidewire") == ("Guidewire",)


def test_a_documents_source_needs_a_retrieval():
    brief = "Requests arrive by webhook. Compare the request with our price-match policy and decide."
    quote = "Compare the request with our price-match policy and decide"
    assert "DR009" in codes({"steps": [model("decide", quote)]}, brief)
    docs = {"id": "docs", "type": "retrieve", "why": {"block": "retrieval", "serves": ["decide"]}}
    retrieved = {"steps": [docs, model("decide", quote)]}
    assert "DR009" not in codes(retrieved, brief)


def test_a_forbidden_reply_is_kept_by_a_condition():
    brief = (
        "Parents send messages (absences, complaints, bullying reports). Draft a reply to each message. "
        "Bullying reports must never get an automatic reply."
    )
    always = {"steps": [model("reply", "Draft a reply to each message")]}
    gated = {"steps": [{**model("reply", "Draft a reply to each message"), "if": "{{ x }}"}]}
    assert "DR007" in codes(always, brief)
    assert "DR007" not in codes(gated, brief)


def test_a_listed_value_as_subject_limits_the_action():
    brief = (
        "Parents send messages (absences, complaints, bullying reports). Classify each message into one of "
        "those categories. Complaints go to the head teacher's inbox."
    )
    (clause,) = [c for c in requirement_clauses(brief) if c.kind == "effect"]
    assert clause.limiter == "Complaints"


def test_unread_instructions_are_gaps_but_bands_and_handled_conditions_are_not():
    from copilot.draft.coverage import unread_instructions

    flow = {"steps": [{"id": "notify", "type": "http", "if": "{{ steps.c.output.no_known_outage }}"}]}
    found = unread_instructions(
        [
            "If there is no known outage (a condition the offline drafter could not map)",
            "If the scorer is late (a condition the offline drafter could not map)",
            "escalate it to the duty manager",
            "so the customer sees an answer",
        ],
        flow,
    )
    assert [f["clause"] for f in found] == ["If there is no known outage", "escalate it to the duty manager"]


def test_an_answer_the_brief_asks_for_must_be_returned():
    brief = "Withdrawals hit our endpoint. We must return a risk verdict (allow, hold, block) in 300 ms."
    ack = {"steps": [], "respond": {"body": {"id": "{{ event.id }}", "status": "queued"}}}
    answered = {"steps": [], "respond": {"body": {"decision": "{{ steps.check_decide.output.decision }}"}}}
    assert "DR011" in codes(ack, brief)
    assert "DR011" not in codes(answered, brief)


def test_what_the_drafter_could_not_read_is_a_gap_when_it_asks_for_something():
    from copilot.draft.coverage import asks_something

    asks = [
        "Never charge a freeze fee to members who are under a medical hold",
        "Ignore events for discontinued items",
        "partial refunds go through Adyen automatically",
        "Donations over $250 need the written acknowledgement wording",
        "Give a verdict of malicious",
    ]
    says = [
        "We never see the card number",
        "so the customer sees an answer while the ticket form is still open",
        'people will try "ignore your instructions"',
        "The post text is untrusted user input",
        "in bursts after webinars",
    ]
    assert [t for t in asks if not asks_something(t)] == []
    assert [t for t in says if asks_something(t)] == []


def test_a_writers_clause_quoted_only_by_a_lookup_is_not_done():
    brief = (
        "Faults arrive by webhook with fault_code. Look up the fault_code in our Fault API and have the "
        "model explain the likely cause for the dispatcher."
    )
    quote = brief.split(". ", 1)[1].rstrip(".")
    lookup = http("lookup", "${env:FAULT_API_URL}/{{ event.fault_code }}", method="GET", quote=quote)
    found = [f for f in check({"steps": [lookup]}, brief).findings if "no model step" in f["message"]]
    assert found and found[0]["code"] == "DR001"
    assert not [
        f
        for f in check({"steps": [lookup, model("explain", quote)]}, brief).findings
        if "no model step" in f["message"]
    ]
