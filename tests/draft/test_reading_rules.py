"""General readings of the offline drafter, one row each: a brief a user would write, and
what the drafted flow must do. Each row names a reading, not a brief of the dev set."""

from __future__ import annotations

import pytest

from copilot.draft.offline import draft_offline
from copilot.draft.request import DraftRequest


# the key of an event whose `id` the brief does not list: the id when the delivery has one
def assumed_id_key(*fields: str) -> str:
    listed = ", ".join(f"event.{f} | default('')" for f in fields)
    return f"{{{{ event.id if event.id is defined else [{listed}] | join('|') }}}}"


def drafted(brief: str) -> dict:
    return draft_offline(DraftRequest(brief=brief)).data


def step(data: dict, kind: str | None = None, id_has: str = "") -> dict:
    found = [s for s in data["steps"] if (kind is None or s["type"] == kind) and id_has in s["id"]]
    assert found, [s["id"] for s in data["steps"]]
    return found[0]


def test_a_score_on_the_briefs_own_scale_keeps_its_numbers():
    data = drafted(
        "Leads arrive by webhook. Score each lead from 0 to 100 for fit. If the score is 70 or above, "
        "create a deal in Salesforce."
    )
    assert step(data, "model", "score")["output_schema"]["properties"]["score"]["maximum"] == 100
    assert step(data, "http", "deal")["if"] == "{{ steps.check_score.output.score >= 70 }}"


def test_then_orders_a_later_mention_after_the_earlier_work():
    data = drafted(
        "Card events arrive on the Kafka topic auths; score each one for fraud risk. First look up the "
        "cardholder's transactions from our ledger API, then have a model score the risk. If the risk score "
        "is above 0.8, block the card via our risk API."
    )
    score = step(data, "model", "score")
    lookup_side = [n for n in score.get("needs", []) if "enrich" in n or "lookup" in n]
    assert lookup_side, score.get("needs")


def test_the_answers_values_make_bands_not_actions():
    data = drafted(
        "The processor calls our webhook and needs approve, review or decline within 2 seconds. Score each "
        "payment with our in-house fraud scoring API. Decline at 0.8 and above, send to review from 0.4, "
        "approve below. If the scorer is too late, answer `review`."
    )
    ids = [s["id"] for s in data["steps"]]
    assert not any(i.startswith(("decline", "approve", "escalate")) for i in ids), ids
    assert step(data, "http", "score")["request"]["method"] == "POST"  # the team's own service
    decision = step(data, "transform", "decision")["output"]["decision"]
    assert (
        "'decline' if" in decision
        and ">= 0.8" in decision
        and ">= 0.4" in decision
        and "'approve'" in decision
    )
    assert data["respond"]["on_deadline"]["body"]["decision"] == "review"


def test_otherwise_in_the_next_sentence_negates_the_condition_before_it():
    data = drafted(
        "Stripe sends a dispute webhook. Draft an evidence response for the dispute. If the disputed "
        "amount is over $1,000, send the draft to the finance team by email; otherwise submit it to Stripe."
    )
    assert (
        step(data, "http", "notify")["if"]
        == "{{ event.disputed_amount is defined and event.disputed_amount > 1000 }}"
    )
    assert (
        step(data, "http", "submit")["if"]
        == "{{ not (event.disputed_amount is defined and event.disputed_amount > 1000) }}"
    )
    assert "disputed_amount" in data["trigger"]["event_schema"]["properties"]  # said in the assumptions


def test_a_pronoun_condition_reads_the_question_before_it():
    data = drafted(
        "Truck readings arrive on an SQS queue. Check whether the temperature is outside 2-8 degrees. "
        "If it is, text the driver via Twilio."
    )
    assert "temperature" in step(data, "http", "notify")["if"]


def test_acknowledge_immediately_answers_202_and_runs_the_model_work_after():
    data = drafted(
        "Stripe sends a webhook for each chargeback. Summarise the customer's orders and post the summary to "
        "Slack. Acknowledge the webhook immediately."
    )
    assert data["respond"]["status"] == 202
    assert all(s.get("mode") == "async" for s in data["steps"] if s["type"] == "model")


def test_a_schedule_keeps_its_time_zone():
    data = drafted(
        "Every Monday at 8am Pacific, summarise last week's top articles and post the digest to Slack."
    )
    assert data["trigger"]["cron"] == "0 8 * * 1" and data["trigger"]["timezone"] == "America/Los_Angeles"


def test_a_note_written_by_a_model_and_attached_is_two_steps_in_order():
    data = drafted(
        "Cases arrive by webhook; score each with a model. Borderline cases (0.4 to 0.8) also get a short "
        "analyst note written by an LLM and attached to the fraud case."
    )
    note = step(data, "model", "reply")
    attach = step(data, "http", "attach")
    assert "check_reply" in attach["needs"]
    assert (
        note["if"]
        == attach["if"]
        == "{{ steps.check_score.output.score >= 0.4 and steps.check_score.output.score < 0.8 }}"
    )


@pytest.mark.parametrize(
    ("brief", "options"),
    [
        (
            "Orders arrive by webhook; decide whether to approve, hold or reject each one.",
            ["approve", "hold", "reject"],
        ),
        (
            "Posts arrive by webhook. Classify it as allow, review or remove and answer within 800ms.",
            ["allow", "review", "remove"],
        ),
    ],
)
def test_a_decision_with_stated_options_uses_them(brief, options):
    data = drafted(brief)
    model = next(s for s in data["steps"] if s["type"] == "model" and s["id"] in ("decide", "classify"))
    props = model["output_schema"]["properties"]
    assert options in ([p.get("enum") for p in props.values()]), props


def test_two_conditions_joined_by_and_must_both_hold():
    data = drafted(
        "Transactions arrive on the Kafka topic tx. Score each one for fraud risk. If the risk score is "
        "above 0.8 and the amount is over $1,000, freeze the card via our issuer API."
    )
    assert step(data, "http", "freeze")["if"] == (
        "{{ (steps.check_score.output.score > 0.8) and (event.amount is defined and event.amount > 1000) }}"
    )


def test_the_arriving_event_is_not_work_and_a_label_lead_limits_the_sentence():
    data = drafted(
        "Our clinic's booking system posts a webhook whenever a patient books, moves or cancels an "
        "appointment. Classify the change as new booking, reschedule or cancellation. For "
        "cancellations within 24 hours of the slot, add the patient to the no-show watchlist via our "
        "practice API. For every new booking, send the patient a confirmation SMS through Twilio."
    )
    ids = [s["id"] for s in data["steps"]]
    assert not any("cancel" in i or "move" in i for i in ids if i != "classify"), ids  # the event, not work
    labels = step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert labels[:3] == ["new_booking", "reschedule", "cancellation"]
    watch = step(data, "http", "add_patient")["if"]
    assert "label == 'cancellation'" in watch and " and " in watch  # and the 24-hour part, decided too
    assert step(data, "http", "sms")["if"] == "{{ steps.check_classify.output.label == 'new_booking' }}"


def test_a_count_on_a_schedule_counts_what_the_run_fetched():
    data = drafted(
        "Every weekday at 7am, pull yesterday's failed CI builds from our build server API. Summarise the "
        "likely causes. If more than 10 builds failed, also open a Jira ticket for the platform team."
    )
    assert step(data, "http", "fetch")["request"]["url"] == "${env:BUILD_SERVER_API_URL}"
    assert step(data, "http", "ticket")["if"] == "{{ (steps.fetch.output | length) > 10 }}"


def test_a_qualified_subject_is_a_condition():
    # "Leads scoring 75 or above get assigned": the subject limits the action, like an if-clause
    data = drafted(
        "Leads arrive by webhook. Score each lead from 0 to 100 for fit. Leads scoring 75 or above get "
        "assigned to a senior agent in Salesforce."
    )
    assert step(data, "http", "assign")["if"] == "{{ steps.check_score.output.score >= 75 }}"


def test_the_system_a_clause_names_is_the_one_called():
    data = drafted(
        "Claims arrive by webhook. Look up the policy in Guidewire using the policy number. Classify the "
        "claim as glass, collision or theft. After replying, write the claim category back to the claim "
        "record in Guidewire."
    )
    urls = [s["request"]["url"] for s in data["steps"] if s["type"] == "http"]
    assert urls and all("GUIDEWIRE" in u for u in urls), urls
    assert any(s["request"]["method"] == "POST" for s in data["steps"] if s["type"] == "http")


def test_two_grounded_tasks_share_one_retrieval():
    data = drafted(
        "Questions arrive by webhook. Check the question against our policy documents and decide allow or "
        "deny. Answer the question from our help-centre articles within 2 seconds."
    )
    ids = [s["id"] for s in data["steps"]]
    assert len(ids) == len(set(ids)), ids
    assert ids.count("docs") <= 1


def test_a_detection_outcome_is_not_sentiment():
    data = drafted(
        "Alerts arrive by webhook. Classify each alert as true positive or false positive and score the "
        "confidence from 0 to 1. True positives with confidence above 0.85 get paged to on-call via "
        "PagerDuty."
    )
    conditions = [str(s.get("if", "")) for s in data["steps"]]
    assert not any("sentiment" in c for c in conditions), conditions


def test_options_after_a_colon_are_not_actions():
    data = drafted(
        "Listings arrive by webhook. Check the listing against our prohibited items policy and give a "
        "verdict: approve, reject or manual review. Answer within 1.5 seconds."
    )
    ids = [s["id"] for s in data["steps"] if s["type"] == "http"]
    assert not any(i.startswith(("approve", "reject")) for i in ids), ids


def test_a_word_inside_another_verbs_object_is_not_a_task():
    # "fetch new app store reviews": the action is fetch; "store" names the app store
    data = drafted(
        "Every hour, fetch new app store reviews from the API and categorise them as bug, praise or other."
    )
    assert not [s for s in data["steps"] if s["type"] == "http" and s["request"].get("method") != "GET"]


def test_a_quoted_value_and_a_number_both_decide():
    data = drafted(
        "Cancellations arrive by webhook with the user id, the reason and their mrr. If the reason is "
        '"too expensive" and their MRR is over $500, alert the CSM in Salesforce by creating a task.'
    )
    condition = step(data, "http", "salesforce")["if"]
    assert "event.reason == 'too expensive'" in condition and "event.mrr > 500" in condition
    assert " and " in condition


def test_what_is_measured_is_the_noun_after_the_number():
    # "sellers with more than 3 rejections": the field is the rejections, not "sellers_with"
    data = drafted(
        "Listings arrive by webhook. Classify each listing as ok or prohibited. Sellers with more than 3 "
        "rejections in 30 days should be suspended via the accounts API."
    )
    assert step(data, "http", "suspend")["if"] == "{{ event.rejections is defined and event.rejections > 3 }}"


def test_a_subject_that_receives_a_message_is_a_limited_side_effect():
    data = drafted(
        "Listings arrive by webhook. Check the listing against our policy and give a verdict: approve, "
        "reject or manual review. Rejected listings get an email to the seller. Manual review ones go to "
        "the Trust & Safety queue in Zendesk."
    )
    decide = step(data, "model", "decide")
    assert decide["output_schema"]["properties"]["decision"]["enum"] == ["approve", "reject", "manual_review"]
    assert step(data, "http", "email")["if"] == "{{ steps.check_decide.output.decision == 'reject' }}"
    zendesk = [s for s in data["steps"] if "ZENDESK" in str(s.get("request", {}).get("url", ""))]
    assert zendesk and zendesk[0]["if"] == "{{ steps.check_decide.output.decision == 'manual_review' }}"


def test_a_listed_value_as_subject_limits_its_sentence_and_those_categories_are_the_list():
    data = drafted(
        "Parents send messages through the school app (absences, complaints, bullying reports). Classify "
        "each message into one of those categories. Absences should be recorded in the attendance system "
        "(SIMS). Complaints go to the head teacher's inbox."
    )
    labels = step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert {"absences", "complaints", "bullying_reports"} <= set(labels)
    conditions = {s["id"]: s.get("if") for s in data["steps"] if s["type"] == "http"}
    assert "{{ steps.check_classify.output.label == 'absences' }}" in conditions.values(), conditions
    assert "{{ steps.check_classify.output.label == 'complaints' }}" in conditions.values(), conditions


def test_options_in_parentheses_after_what_is_returned_are_the_decision():
    data = drafted(
        "Withdrawal requests hit our endpoint. We must return a risk verdict (allow, hold, block) within "
        "2 seconds. Check the request against our withdrawal policy documents and decide."
    )
    decide = step(data, "model", "decide")
    assert decide["output_schema"]["properties"]["decision"]["enum"] == ["allow", "hold", "block"]


def test_a_volume_is_traffic_and_what_a_reply_says_is_not_an_action():
    data = drafted(
        "We publish ~2k articles a day. When an editor hits publish, the CMS sends the article. Classify it "
        "as news, opinion or feature. If the article is an opinion piece, reply that an editor has been "
        "notified."
    )
    ids = [s["id"] for s in data["steps"]]
    assert not any(i.startswith(("publish", "escalate", "notify")) for i in ids), ids


def test_a_delivery_sentence_is_the_event_and_a_reply_to_someone_is_work():
    data = drafted(
        "The ticketing system posts each email to our webhook with the order number and the message "
        "text. Classify the request as cancellation, date change or complaint. Reply to the visitor "
        "within 10 seconds, answering only from the refund policy."
    )
    ids = [s["id"] for s in data["steps"]]
    assert not any("email" in i for i in ids), ids  # "posts each email" is how events arrive
    assert step(data, "retrieve")["id"] == "docs" and "docs" in step(data, "model", "answer")["needs"]
    assert data["name"].startswith("email")


def test_a_clause_subject_naming_several_labels_limits_it_to_any_of_them():
    data = drafted(
        "Residents report potholes through the city app, which sends us a webhook with the report id. "
        "Classify the severity as low, medium or high. High severity reports must create a work order "
        "in our Cityworks system right away; low and medium ones are added to the weekly repair list "
        "in the background."
    )
    conditions = [s.get("if", "") for s in data["steps"] if s["type"] == "http"]
    assert "{{ steps.check_classify.output.label == 'high' }}" in conditions, conditions
    assert any("'low'" in c and "'medium'" in c and " or " in c for c in conditions), conditions
    assert data["name"].startswith("report")


def test_the_fields_a_delivery_sentence_lists_are_the_event_and_a_lookup_keys_on_the_one_it_names():
    data = drafted(
        "Our reservations system posts each change to our webhook with the booking reference, the guest's "
        "email and the note text. Look up the booking in Mews by the booking reference. Classify the note as "
        "upgrade, complaint or question. Reply within 5 seconds."
    )
    props = data["trigger"]["event_schema"]["properties"]
    assert {"booking_reference", "guest_email", "note_text", "id"} <= set(props), props
    assert step(data, "http", "lookup")["request"]["url"].endswith("{{ event.booking_reference }}")
    assert "{{ event.note_text }}" in step(data, "model", "classify")["prompt"]["user"]
    assert "event.guest_email" in data["observability"]["redact"]


def test_fields_in_parentheses_beside_the_trigger_are_the_event_and_a_personal_key_stays_redacted():
    data = drafted(
        "Webhook from our repair form (customer name, device model, fault text, phone). Look up the customer "
        "in Repairly by the phone. Classify the fault as screen, battery or other. Answer within 3 seconds."
    )
    assert {"customer_name", "device_model", "fault_text", "phone"} <= set(
        data["trigger"]["event_schema"]["properties"]
    )
    lookup = step(data, "http", "lookup")
    assert lookup["request"]["url"] == "${env:REPAIRLY_API_URL}/{{ event.phone }}"
    assert "event.phone" in data["observability"]["redact"]  # still out of traces


def test_a_with_list_of_actions_or_outputs_is_not_the_event():
    data = drafted(
        "Every night at 2am UTC, tag each review with sentiment (positive, negative) and the aspect "
        "mentioned. Post a digest to Slack with the summary and a link."
    )
    assert "sentiment" not in data["trigger"].get("event_schema", {}).get("properties", {})


def test_x_goes_to_a_team_is_named_after_the_destination():
    data = drafted(
        "Tickets arrive by webhook. Classify each ticket as billing, outage or other. Outages go to the "
        "network operations team in Jira."
    )
    effect = step(data, "http", "network_operations")
    assert effect["id"].startswith("send_to_") and "go" not in effect["id"].split("_")
    assert "== 'outage'" in effect["if"]


@pytest.mark.parametrize(
    ("sentence", "options"),
    [
        ("Reply by SMS with approved, paid or declined and the time.", ["approved", "paid", "declined"]),
        ("Then decide: publish, cap_price or reject.", ["publish", "cap_price", "reject"]),
        ("Decision labels: approve, hold, reject.", ["approve", "hold", "reject"]),
        (
            "Have a model summarise both results into a decision: pass, refer or fail.",
            ["pass", "refer", "fail"],
        ),
    ],
)
def test_the_decisions_options_are_read_however_the_brief_lists_them(sentence, options):
    from copilot.draft.response_options import read_response_options

    assert read_response_options([sentence]) == options


def test_a_rule_no_step_can_carry_out_goes_to_the_model_that_answers_and_is_said():
    outcome = draft_offline(
        DraftRequest(
            brief="Customers email our desk via webhook. Answer each email from our rental policy within 5 "
            "seconds. Deposits are only refunded if the van is returned before 6pm. We never see the card "
            "number."
        )
    )
    answer = step(outcome.data, "model", "answer")
    assert "Deposits are only refunded if the van is returned before 6pm" in answer["prompt"]["system"]
    assert "Deposits are only refunded if the van is returned before 6pm" in answer["why"]["brief"]
    assert "never see" not in answer["prompt"]["system"]  # what the team knows is not a rule
    assert any("no step checks it" in a for a in outcome.assumptions)
    assert not any("Deposits" in u for u in outcome.unmapped)


def test_a_label_list_ends_before_how_the_work_is_done_and_a_camel_case_system_is_a_system():
    from copilot.draft.subjects import systems_named

    data = drafted(
        "Classify urgency as emergency, same-day or routine with a small model. Reply in 2 seconds."
    )
    props = step(data, "model", "classify")["output_schema"]["properties"]
    assert {"emergency", "same_day", "routine"} <= set(props["label"]["enum"]), props
    assert (
        "urgency" not in props
    )  # the brief's own levels are the labels, no stock low/normal/high beside them
    assert systems_named("Look up the pet's history in ezyVet by phone") == ("ezyVet",)


def test_a_forbidden_action_is_no_step_and_what_is_done_instead_keeps_its_condition():
    data = drafted(
        "Sensor readings arrive on the Kafka topic readings with device_id, reading and threshold. Have an "
        "LLM write a short status note. If the reading is above the threshold, don't text the owner at all; "
        "instead open a ticket in Zendesk."
    )
    ids = [s["id"] for s in data["steps"]]
    assert not any("text" in i or "sms" in i or "escalate" in i for i in ids), ids
    ticket = next(
        s for s in data["steps"] if s["type"] == "http" and "zendesk" in s["request"]["url"].lower()
    )
    assert ticket.get("if"), ticket


def test_work_handed_to_a_model_inside_a_retrieval_clause_is_drafted_and_what_it_writes_is_sent():
    data = drafted(
        "Results arrive by webhook with patient_id, value and unit. Retrieve the matching entry from the "
        "reference guide and have an LLM write a plain-language explanation, grounded only in that guide. "
        "Post the explanation to the patient's MyChart inbox."
    )
    writer = next(s for s in data["steps"] if s["type"] == "model")
    assert any(s["type"] == "retrieve" for s in data["steps"])
    post = next(s for s in data["steps"] if s["type"] == "http" and "MYCHART" in s["request"]["url"])
    assert f"check_{writer['id']}" in post["needs"], post["needs"]
    # patient_id names who the result is about: the idempotency key is the delivery's own id,
    # assumed, so a delivery without one is keyed on itself
    assert data["trigger"]["idempotency_key"].startswith("{{ event.id if event.id is defined else [")
    assert "id" not in data["trigger"]["event_schema"]["required"]


def test_post_nothing_when_a_condition_holds_posts_only_when_it_does_not():
    data = drafted(
        "Every weekday at 07:30 UTC: pull all Jira issues updated in the last day. Have an LLM write a short "
        "digest (what changed, anything blocked). Post the digest to the #leads Slack channel. If there are "
        "no matching issues, post nothing."
    )
    post = step(data, "http", "slack")
    assert post["if"].startswith("{{ not"), post["if"]
    assert "check_reply" in post["needs"]
    assert not any(s["id"].startswith("moderate") for s in data["steps"])  # "anything blocked" is content
    assert step(data, "http", "fetch")["request"]["url"] == "${env:JIRA_API_URL}"


def test_if_flagged_after_a_check_reads_the_checks_decision():
    data = drafted(
        "Parent messages arrive via webhook. Check each message for safeguarding concerns and decide pass or "
        "fail. If flagged: email the safeguarding lead with the message."
    )
    email = step(data, "http", "email")
    assert email["if"] == "{{ steps.check_decide.output.decision == 'fail' }}"
    assert not any(s["id"].startswith("moderate") for s in data["steps"])


def test_the_opening_when_clause_is_the_event_and_putting_it_in_a_queue_is_an_action():
    data = drafted(
        "When a Zendesk ticket is created in the Billing group, classify it as dispute, question or other. "
        "Put it in the Field Ops queue if it is a dispute."
    )
    assert data["trigger"]["type"] == "webhook"
    assert not any(s["id"].startswith("create") for s in data["steps"]), [s["id"] for s in data["steps"]]


def test_a_percentage_relative_to_another_value_is_not_an_event_threshold_and_contractions_name_cleanly():
    from copilot.draft.conditions import condition_field

    data = drafted(
        "Tickets arrive by webhook. If the bill is more than 40% above their 12-month average, put it in "
        "the Field Ops queue in Zendesk."
    )
    ifs = " ".join(str(s.get("if", "")) for s in data["steps"])
    assert "event.bill" not in ifs and "> 40" not in ifs, ifs
    assert condition_field("if it's a bill dispute") == "bill_dispute"
    assert condition_field("when the PO doesn't exist") == "po_not_exist"


def test_screening_against_a_named_system_calls_it_and_options_opening_a_clause_limit_it():
    data = drafted(
        "Applications land on an SQS queue (applicant_id, country, selfie_url). Screen the name against "
        "ComplyAdvantage sanctions lists, then have an LLM decide: pass, refer or fail. Write refer cases to "
        "Salesforce; pass and fail just update the account status via our accounts API."
    )
    assert data["trigger"]["topic"] != "applicant_id"
    assert not any(s["id"].startswith("moderate") for s in data["steps"])
    assert any("COMPLYADVANTAGE" in str(s.get("request", {}).get("url")) for s in data["steps"])
    refer = next(s for s in data["steps"] if "SALESFORCE" in str(s.get("request", {}).get("url")))
    assert refer["if"] == "{{ steps.check_decide.output.decision == 'refer' }}"
    status = next(s for s in data["steps"] if "ACCOUNTS" in str(s.get("request", {}).get("url")))
    assert status["if"] == "{{ steps.check_decide.output.decision in ['pass', 'fail'] }}"


def test_a_label_subject_with_a_relative_clause_keeps_both_the_label_and_the_threshold():
    data = drafted(
        "Stock events arrive on a Kafka topic. Classify the drug as critical, routine or controlled. "
        "Critical drugs that fall below 10 units must trigger a PagerDuty alert."
    )
    page = step(data, "http", "page")
    assert "label == 'critical'" in page["if"] and "event.units < 10" in page["if"] and " and " in page["if"]


def test_a_decision_said_by_its_option_and_decided_from_a_named_document():
    data = drafted(
        "Members send freeze requests by webhook. Use the freeze policy PDF to decide whether the freeze is "
        "allowed and return a freeze decision (approve, deny or needs_manager) within 2 seconds. If the "
        "decision is needs_manager, post it to the #front-desk Slack channel. Members on the Platinum "
        "plan get an automatic approve for freezes up to 3 months."
    )
    assert step(data, "http", "slack")["if"] == "{{ steps.check_decide.output.decision == 'needs_manager' }}"
    assert "docs" in step(data, "model", "decide")["needs"]
    assert "Platinum plan" in step(data, "model", "decide")["prompt"]["system"]  # a plan is not a system


@pytest.mark.parametrize(
    ("brief", "seconds", "budget"),
    [
        ("Invoices arrive on a Kafka topic. Extract the totals. 15 s per invoice, under 1 cent.", 15.0, 0.01),
        ("Messages arrive by webhook. Translate them to English. 3 s, 0.2 cents.", 3.0, 0.002),
        ("Results arrive by webhook. Summarise each one in under 20 seconds, one cent max.", 20.0, 0.01),
    ],
)
def test_terse_limits_are_the_sla_and_the_budget(brief, seconds, budget):
    from copilot.draft.reader import read

    reading = read(brief)
    assert (reading.sla, reading.budget) == (seconds, budget)


def test_the_decisions_own_option_clauses_are_in_its_prompt_and_options_limit_by_their_noun():
    data = drafted(
        "Invoices arrive on the Kafka topic ap.invoices (supplier_id, po_number, total). Decision labels: "
        "approve, hold, reject. Approve when every line matches within 2%; hold when there's no goods "
        "receipt yet. Email the supplier via Outlook only for rejections."
    )
    assert not any(s["id"].startswith("classify") for s in data["steps"])
    system = step(data, "model", "decide")["prompt"]["system"]
    assert "Approve when every line matches within 2%" in system and "no goods receipt" in system
    email = step(data, "http", "email")
    assert email["if"] == "{{ steps.check_decide.output.decision == 'reject' }}"
    assert email["request"]["url"].startswith("${env:OUTLOOK_API_URL}")


def test_a_field_present_and_documents_that_dont_cover_it_are_read_without_a_model():
    data = drafted(
        "Each message arrives as a webhook with the question, the applicant_id and the programme. "
        "Answer only from the admissions handbook; if they don't cover it, create a task in Salesforce. "
        "When applicant_id is present, log the answer on their Salesforce contact."
    )
    assert not any(s["id"].startswith("classify") for s in data["steps"]), [s["id"] for s in data["steps"]]
    task = step(data, "http", "task")
    assert task["if"] == "{{ not steps.check_answer.output.grounded }}"
    log = next(s for s in data["steps"] if s.get("if") == "{{ event.applicant_id != '' }}")
    assert "check_answer" in log["needs"]


def test_a_lookup_keys_on_the_things_own_field_and_the_system_it_reads_is_no_destination():
    data = drafted(
        "Warranty forms arrive by webhook (fields: serial_number, email, issue_description). Look up the "
        "serial in our Shopify orders to confirm the purchase, then decide covered or not_covered."
    )
    assert (
        step(data, "http", "lookup")["request"]["url"] == "${env:SHOPIFY_API_URL}/{{ event.serial_number }}"
    )
    assert not any(s["id"].startswith(("update", "store")) for s in data["steps"]), [
        s["id"] for s in data["steps"]
    ]


def test_an_option_heading_a_sentence_or_qualifying_its_subject_limits_its_actions():
    data = drafted(
        "Reports arrive by webhook. Give a verdict of malicious, suspicious, or clean. Malicious: open an "
        "incident in Sentinel. Suspicious ones get a ticket in Jira. Reply within 60 seconds."
    )
    incident = step(data, "http", "incident")
    assert incident["if"] == "{{ steps.check_decide.output.decision == 'malicious' }}"
    ticket = step(data, "http", "ticket")
    assert ticket["id"] == "create_ticket"
    assert ticket["if"] == "{{ steps.check_decide.output.decision == 'suspicious' }}"
    assert not any(s["id"].startswith("score") for s in data["steps"])


def test_fields_in_their_own_sentence_or_bullet_and_thresholds_on_named_fields():
    data = drafted(
        "Loan requests hit a webhook. Event has loan_id, loan_amount, credit_score and lock_days.\n"
        "- Decide approve, counter or refer.\n"
        "- refer when loan_amount is over 766550 or credit_score is under 620.\n"
        "- On approve, write the lock to Encompass."
    )
    props = data["trigger"]["event_schema"]["properties"]
    assert {"loan_id", "loan_amount", "credit_score", "lock_days"} <= set(props) and "is" not in props, props
    ifs = " ".join(str(s.get("if", "")) for s in data["steps"])
    assert "refer_when" not in ifs and "event.is" not in ifs, ifs
    # the option's own rule is the deciding model's criterion, not an action called "refer"
    assert "refer when loan_amount is over 766550" in step(data, "model", "decide")["prompt"]["system"]
    assert not any(s["id"].startswith("refer") for s in data["steps"])
    write = next(s for s in data["steps"] if "ENCOMPASS" in str(s.get("request", {}).get("url")))
    assert write["if"] == "{{ steps.check_decide.output.decision == 'approve' }}"


def test_a_model_that_picks_the_options_is_where_the_decision_is_and_on_option_leads_limit():
    data = drafted(
        "Loads arrive by webhook (load_id, weight_lbs). We have to accept or reject within 15 minutes. Pull "
        "lane rates from DAT. A model estimates margin and picks accept or reject. On accept, reserve a "
        "carrier in McLeod; on reject, send the 990 decline."
    )
    decide = step(data, "model", "decide")
    assert "lookup" in decide["needs"]  # what it decides from comes first
    assert step(data, "http", "reserve")["if"] == "{{ steps.check_decide.output.decision == 'accept' }}"
    decline = step(data, "http", "decline")
    assert decline["if"] == "{{ steps.check_decide.output.decision == 'reject' }}"
    assert decline["request"]["url"].startswith("${env:X990")  # an env name starts with a letter


def test_a_label_named_as_written_after_for_and_a_rule_kept_from_the_model_is_no_prompt_rule():
    outcome = draft_offline(
        DraftRequest(
            brief="Reports arrive on the Kafka topic outages. An LLM classifies the report as main_break, "
            "low_pressure or other. For main_break, page the on-call crew on PagerDuty. Admin roles are "
            "never auto-approved, whatever the model says."
        )
    )
    page = step(outcome.data, "http", "page")
    assert page["if"] == "{{ steps.check_classify.output.label == 'main_break' }}"
    assert "whatever the model says" not in step(outcome.data, "model", "classify")["prompt"]["system"]


def test_a_decision_of_options_and_option_nouns_in_any_form():
    from copilot.draft.decisions import option_of, stem
    from copilot.draft.response_options import read_response_options

    assert read_response_options(["A model drafts a decision of uphold, dismiss or hearing."]) == [
        "uphold",
        "dismiss",
        "hearing",
    ]
    assert stem("dismissals") == stem("dismiss") == "dismiss" and stem("passes") == "pass"
    assert option_of("only for rejections", ["approve", "hold", "reject"]) == "reject"


def test_work_handed_to_the_ai_is_model_work_and_otherwise_negates_the_sentence_before():
    data = drafted(
        "Inquiries post to a webhook with name, email, guest_count and a message. Have the AI write a warm "
        "reply using ONLY our pricing sheet (never quote a price that isn't in the sheet). If guest_count is "
        "over 180 we can't fit them, so politely decline and don't create a deal. Otherwise create a deal in "
        "HubSpot."
    )
    ids = [s["id"] for s in data["steps"]]
    assert not any("only" in s.get("request", {}).get("url", "").lower() for s in data["steps"]), ids
    assert any(s["type"] == "model" for s in data["steps"]) and any(
        s["type"] == "retrieve" for s in data["steps"]
    )
    deal = step(data, "http", "deal")
    assert deal["if"] == "{{ not (event.guest_count > 180) }}"
    assert data["trigger"]["event_schema"]["properties"]["guest_count"]["type"] == "number"


def test_labels_the_request_lists_its_labels_and_the_check_is_how_it_labels():
    data = drafted(
        "Access requests arrive by webhook: request_id, employee_email, role. Look the employee up in "
        "Okta to get their manager. A model checks the justification against the access policy doc and "
        "labels the request auto_approve, manager_approval or deny. Only for auto_approve, add the user to "
        "the Okta group. For manager_approval, send the manager a Slack message."
    )
    labels = step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert {"auto_approve", "manager_approval", "deny"} <= set(labels)
    assert not any(s["id"].startswith("decide") for s in data["steps"])
    assert step(data, "http", "lookup")["request"]["url"].startswith("${env:OKTA_API_URL}")
    add = step(data, "http", "add")
    assert add["if"] == "{{ steps.check_classify.output.label == 'auto_approve' }}"


def test_a_field_name_holding_a_verb_is_no_action_and_a_number_then_its_direction_is_a_threshold():
    data = drafted(
        "When a customer clicks cancel in our billing page, Chargebee fires a webhook with subscription_id, "
        "mrr and cancel_reason (free text). Get the account from HubSpot. The response is one of: "
        "offer_discount, show_roadmap, let_go. Create a churn-risk task in HubSpot only when mrr is 500 or "
        "more."
    )
    ids = [s["id"] for s in data["steps"]]
    assert not any(i.startswith("cancel") for i in ids) and not any(i.startswith("score") for i in ids), ids
    assert step(data, "http", "lookup")["request"]["url"].startswith("${env:HUBSPOT_API_URL}")
    assert step(data, "http", "task")["if"] == "{{ event.mrr >= 500 }}"
    enum = step(data, "model", "decide")["output_schema"]["properties"]["decision"]["enum"]
    assert enum == ["offer_discount", "show_roadmap", "let_go"]


def test_replies_quoted_sentence_by_sentence_are_the_answers_options_and_limit_their_sentences():
    outcome = draft_offline(
        DraftRequest(
            brief="Hold requests arrive by webhook with patron_id and item_id. Look up the item in Koha. If "
            'the item is on the shelf, reply "ready" and send the patron an SMS via Twilio. If it is checked '
            'out, reply "queued". Answer within 2 seconds.'
        )
    )
    data = outcome.data
    decide = step(data, "model", "decide")
    assert decide["output_schema"]["properties"]["decision"]["enum"] == ["ready", "queued"]
    assert "lookup" in decide["needs"]
    assert step(data, "http", "sms")["if"] == "{{ steps.check_decide.output.decision == 'ready' }}"
    assert 'reply "queued"' in decide["prompt"]["system"]  # when each answer is given: the model's criteria


def test_an_aside_in_parentheses_is_no_field_list_and_and_in_capitals_splits_a_threshold():
    from copilot.draft.reader import read

    reading = read(
        "Our booking system (Tripspark, don't ask) fires a webhook with sailing_id, cancel_reason and the "
        "list of booking refs. Only if new_state is closed AND wind_kmh over 70, page the patrol lead on "
        "PagerDuty."
    )
    assert reading.event_fields == ["sailing_id", "cancel_reason", "booking_refs"]
    page = next(t for t in reading.tasks if t.condition is not None)
    # both conjuncts: the field equal to a word, and the threshold after the capital AND
    assert (page.condition.output_field, page.condition.op, page.condition.value) == (
        "new_state",
        "==",
        "closed",
    )
    assert page.condition.all_of
    (wind,) = page.condition.alternatives
    assert (wind.output_field, wind.op, wind.value) == ("wind_kmh", ">", 70)


def test_a_conjunct_no_rule_reads_is_reported_not_dropped():
    from copilot.draft.reader import read

    reading = read(
        "Orders arrive by webhook. If the shipping region is overseas and the amount is over 500, page "
        "the fraud desk on PagerDuty."
    )
    page = next(t for t in reading.tasks if t.condition is not None)
    assert page.condition.output_field == "amount"
    assert any("shipping region is overseas" in u for u in reading.unmapped)


@pytest.mark.parametrize(
    "rule",
    [
        "Deny only when the weather service shows no hail at all; the model must not deny",
        "The reply must tell the caller to leave the building, and that text is fixed, not model-written",
        "A plain rule must reject any plan that sends a van more than 25 minutes away",
    ],
)
def test_a_rule_the_brief_keeps_from_the_model_is_never_a_prompt_rule(rule):
    from copilot.draft.brief_rules import is_rule

    assert not is_rule(rule, set())
    assert is_rule("Refunds are only allowed if the visit date is more than 48 hours away", set())


def test_an_assumed_event_field_is_never_required_so_real_events_are_still_answered():
    data = drafted(
        "Orders arrive by webhook. If the cart value is over 50, email the sales team. Reply in 2s."
    )
    schema = data["trigger"]["event_schema"]
    assert "cart_value" in schema["properties"] and "cart_value" not in schema.get("required", [])
    assert step(data, "http", "email")["if"] == "{{ event.cart_value is defined and event.cart_value > 50 }}"


def test_otherwise_after_a_condition_the_lookup_answers_negates_that_answer_and_names_no_false_gap():
    outcome = draft_offline(
        DraftRequest(
            brief="Requests arrive by webhook with member_id and problem_text. Look up the membership in "
            "Guidewire by member_id. If the membership is expired, reply that we can't dispatch and don't "
            "create a job. Otherwise create a dispatch job in Towbook. Also notify the partner garage "
            "through the Garage API. Answer within 3 seconds."
        )
    )
    job = step(outcome.data, "http", "job")
    # the lookup said right before it answers the test (both sides read it; no classifier guesses)
    assert job["if"] == "{{ not (steps.lookup.output.membership_expired | default(false)) }}"
    assert (
        step(outcome.data, "model", "reply")["if"]
        == "{{ steps.lookup.output.membership_expired | default(false) }}"
    )
    assert not any("no channel named" in u for u in outcome.unmapped)  # the Garage API is named


def test_a_scheduled_run_may_take_minutes_a_subset_is_no_fetched_count_and_a_summary_rule_goes_to_it():
    outcome = draft_offline(
        DraftRequest(
            brief="Every Monday at 8am UTC, pull last week's survey responses from Delighted. Have an LLM "
            "summarise the detractors' comments. Post the summary to the #cx Slack channel. If more than 20 "
            "responses mention billing, open a ticket in Linear. Don't include customer names in the "
            "summary. Finish within 5 minutes."
        )
    )
    data = outcome.data
    assert data["sla"]["latency_p95"] == "5m"
    assert "length" not in str(step(data, "http", "ticket").get("if"))
    assert "customer names" in step(data, "model", "summarise")["prompt"]["system"]


# ---------------------------------------------------------------- readings from the eighth review


def codes(data: dict, brief: str) -> list[str]:
    from copilot.draft.coverage import check

    return [f["code"] for f in check(data, brief).findings]


@pytest.mark.parametrize(
    ("timetable", "cron", "zone"),
    [
        ("Every night at 03:30 America/Chicago", "30 3 * * *", "America/Chicago"),
        ("Every night at 11", "0 23 * * *", None),
        ("Every night at 2", "0 2 * * *", None),
    ],
)
def test_a_night_time_on_a_24_hour_clock_is_after_midnight_and_an_iana_zone_is_kept(timetable, cron, zone):
    data = drafted(
        f"{timetable}, pull the open purchase orders from the Coupa API and summarise them to Slack."
    )
    assert data["trigger"]["cron"] == cron
    assert data["trigger"].get("timezone") == zone


def test_a_time_of_day_and_a_thousands_comma_are_one_clause():
    from copilot.draft.verbs import clause_spans

    sentence = "Email the warehouse lead by 07:45, and orders over 12,500 go to the finance queue"
    assert [sentence[a:b].strip(" ,") for a, b in clause_spans(sentence)] == [
        "Email the warehouse lead by 07:45",
        "and orders over 12,500 go to the finance queue",
    ]


def test_a_lookup_in_documents_is_the_retrieval_that_grounds_the_writer():
    brief = (
        "Our kiosk posts a webhook whenever a locker jams, with locker_id and fault_code. Look up the fault "
        "in the Kiosk Repair manual (RAG) to get the fix steps. Have a model write a short note for the "
        "technician, max 200 chars. Done within 4 seconds."
    )
    data = drafted(brief)
    assert step(data, "retrieve")["id"] == "docs"
    writer = step(data, "model", "answer")
    assert "docs" in writer["needs"]
    assert "write a short note for the technician" in writer["prompt"]["system"]
    assert writer["output_schema"]["properties"]["text"]["maxLength"] == 200
    assert {"expr": "input.text | length <= 200", "message": "longer than 200 characters"} in step(
        data, "validate", "check_answer"
    )["rules"]
    assert not [s for s in data["steps"] if s["type"] == "http" and s["request"]["method"] == "GET"]
    assert "DR008" not in codes(data, brief)  # "Kiosk Repair" names the manual, not a system to call
    # the thing that arrives names the flow; its own id recurs, so it never keys idempotency
    assert data["name"].startswith("locker-")
    assert data["trigger"]["idempotency_key"] == assumed_id_key("locker_id", "fault_code")


def test_work_per_item_of_a_list_the_event_carries_is_a_gap():
    brief = (
        "The LMS posts a webhook when a course closes, with course_id and the list of student ids. For each "
        "student, look up the grade in Canvas and email the tutor via Postmark. Respond within 30 seconds."
    )
    assert "DR012" in codes(drafted(brief), brief)
    per_event = "Leads arrive by webhook with name and email. For each lead, look up the company in Clearbit."
    assert "DR012" not in codes(drafted(per_event), per_event)


def test_work_per_item_of_a_scheduled_run_is_a_gap():
    brief = (
        "Every morning at 7, pull the overnight returns from the Loop API. For each return, email the buyer."
    )
    assert "DR012" in codes(drafted(brief), brief)


def test_a_subject_qualified_with_a_flag_limits_what_the_sentence_does():
    data = drafted(
        "Shipments arrive by webhook with shipment_id and the carrier. Parcels with a customs hold must "
        "not be auto-released — just put those in a Freshdesk ticket for the broker. Answer within 2 seconds."
    )
    ticket = step(data, "http", "freshdesk")
    assert ticket["id"] == "put_in_freshdesk_ticket"  # the pronoun names nothing; where it goes does
    assert "customs" in ticket["if"]


def test_a_pronoun_lead_stands_for_the_term_the_sentence_before_defines():
    data = drafted(
        "Every 10 minutes we pull queue lengths for all call centres from the Genesys API. Any centre with "
        "more than 40 people waiting is a hot centre. For those, post an alert to Slack."
    )
    alert = step(data, "http", "slack")
    assert alert["if"] == "{{ steps.check_classify.output.hot_centre }}"
    assert "is a hot centre" in step(data, "model", "classify")["prompt"]["system"]


def test_a_schedule_tick_carries_no_field_for_a_threshold():
    data = drafted(
        "Every hour, pull the open incidents from the Opsgenie API. Page the duty manager via PagerDuty "
        "if an incident is open for more than 90 minutes."
    )
    properties = data["trigger"]["event_schema"]["properties"]
    assert set(properties) == {"id", "fired_at"}


def test_a_check_the_brief_keeps_for_code_is_no_call_and_stays_a_gap():
    brief = (
        "Orders arrive by webhook with order_id and total. Have a model draft a reply with a discount offer, "
        "but a plain rule must reject any discount above 30 percent. Answer within 2 seconds."
    )
    data = drafted(brief)
    assert not [s for s in data["steps"] if s["type"] == "http" and "reject" in s["id"]]
    assert "DR001" in codes(data, brief)


def test_identifier_labels_after_one_of_are_the_answers_options_and_a_subject_names_one():
    data = drafted(
        "- Trigger: webhook from our ATS, one message per applicant: applicant_id, role_id, resume_url\n"
        "- Fetch the role from Greenhouse\n"
        "- Call the Checkr API for background results\n"
        "- Decide one of: PHONE_SCREEN, ONSITE, DECLINE_POLITELY\n"
        "- Onsite candidates also go to the interview-scheduling queue (SQS `onsite`)\n"
        "- Answer within 20 seconds\n"
    )
    assert data["trigger"]["event_schema"]["required"] == ["applicant_id", "resume_url", "role_id"] or set(
        data["trigger"]["event_schema"]["properties"]
    ) >= {"applicant_id", "role_id", "resume_url"}
    decide = step(data, "model", "decide")
    assert decide["output_schema"]["properties"]["decision"]["enum"] == [
        "phone_screen",
        "onsite",
        "decline_politely",
    ]
    # both reads come before the decision: the Checkr call is a lookup, not an action after it
    assert {"lookup", "lookup_checkr"} <= set(decide["needs"])
    queue = next(
        s
        for s in data["steps"]
        if s["type"] == "http" and s.get("mode") == "async" and "onsite" in str(s.get("if"))
    )
    assert queue["if"] == "{{ steps.check_decide.output.decision == 'onsite' }}"


def test_an_assumed_id_is_not_required_so_the_event_the_brief_describes_is_answered(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from copilot.cli import app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "brief.txt").write_text(
        "The scale posts a webhook whenever a pallet is weighed, with pallet_ref and weight_kg. If weight_kg "
        "is over 900, alert the yard lead on Slack. Classify the pallet's risk as low or high. Answer within "
        "3 seconds."
    )
    drafted_ = CliRunner().invoke(app, ["draft", "@brief.txt", "--out", "flow.yaml"])
    assert drafted_.exit_code in (0, 1), drafted_.output
    (tmp_path / "event.json").write_text('{"pallet_ref": "P-77", "weight_kg": 950}')
    ran = CliRunner().invoke(app, ["run", "flow.yaml", "--event", "event.json", "--format", "json"])
    assert ran.exit_code == 0, ran.output
    assert '"status": 200' in ran.output.replace("'", '"') or '"status":200' in ran.output


# ---------------------------------------------------------------- readings from the ninth review


def test_a_heading_before_a_colon_limits_the_action_after_it():
    data = drafted(
        "Build failures arrive by webhook from Buildkite with pipeline and branch. Summarise the failure. "
        "Failures on the release branch: page the release manager via PagerDuty. Answer within 5 seconds."
    )
    page = step(data, "http", "page")
    assert "release_branch" in page["if"], page.get("if")


def test_a_heading_naming_a_label_is_that_label_and_a_colon_list_is_the_labels():
    data = drafted(
        "Pest-control calls land on the SQS queue pest-calls with call_id and transcript.\n"
        "- Classify the call: infestation / inspection / billing.\n"
        "- Infestation (rats, wasps, bed bugs): create a job in Jobber.\n"
        "- Answer within 4 seconds."
    )
    assert step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"][:3] == [
        "infestation",
        "inspection",
        "billing",
    ]
    job = next(s for s in data["steps"] if s["type"] == "http" and "JOBBER" in s["request"]["url"])
    assert job["if"] == "{{ steps.check_classify.output.label == 'infestation' }}"


def test_a_subject_naming_a_subset_limits_where_it_goes():
    data = drafted(
        "Sensor readings arrive by webhook with sensor_id and reading. Classify each reading as normal or "
        "abnormal. Leak alarms always go to the facilities lead via PagerDuty. Answer within 2 seconds."
    )
    page = step(data, "http", "page")
    assert "leak_alarms" in page["if"], page.get("if")


def test_the_sentence_events_arrive_in_and_a_noun_led_prohibition_are_no_actions():
    data = drafted(
        "Refund requests from our shop land on Google Pub/Sub topic refunds with refund_id and sku. "
        "Classify the reason as damaged, wrong size or other. Return gift cards are never auto-refunded. "
        "Answer within 3 seconds."
    )
    assert [s["id"] for s in data["steps"] if s["type"] == "http"] == []


def test_a_lookup_keys_on_the_field_the_clause_names_by_one_of_its_words_or_on_a_listed_key():
    data = drafted(
        "Texts arrive by webhook with from_phone and body. Look up the customer in Zoho by phone number "
        "first, then classify the text as order, complaint or other. Answer within 3 seconds."
    )
    assert step(data, "http", "lookup")["request"]["url"].endswith("{{ event.from_phone }}")
    data = drafted(
        "Orders land on the SQS queue orders, message {order_number, store_code, total}. Fetch the order "
        "from Shopify, then classify it as standard or rush. Answer within 3 seconds."
    )
    assert set(data["trigger"]["event_schema"]["properties"]) >= {"order_number", "store_code", "total"}
    assert step(data, "http", "lookup")["request"]["url"].endswith("{{ event.order_number }}")


def test_sorting_into_a_list_a_first_lookup_and_labels_after_for_limit_the_actions():
    data = drafted(
        "Our clinic app sends patient messages to a webhook: message_id, patient_ref, body. We want a bot "
        "that sorts each message into refill, billing, scheduling or clinical. Look up the patient in our "
        "records API by patient_ref before classifying. Open a ticket in Freshdesk for billing and "
        "scheduling messages. Answer within 3 seconds."
    )
    classify = step(data, "model", "classify")
    assert classify["output_schema"]["properties"]["label"]["enum"][:4] == [
        "refill",
        "billing",
        "scheduling",
        "clinical",
    ]
    lookup = step(data, "http", "lookup")
    assert "lookup" in classify["needs"] and lookup.get("mode") != "async"
    assert lookup["request"]["url"] == "${env:RECORDS_API_URL}/{{ event.patient_ref }}"
    ticket = next(s for s in data["steps"] if "FRESHDESK" in str(s.get("request", {}).get("url")))
    assert "'billing'" in ticket["if"] and "'scheduling'" in ticket["if"] and " or " in ticket["if"]


def test_a_sentence_keeping_text_from_models_keeps_each_of_its_clauses_out_of_prompts():
    brief = (
        "Alarm events arrive by webhook with site_id and alarm_type. Classify the alarm as fire, intrusion "
        "or fault. Fire: the caller message must be the fixed evacuation text from the safety manual, not "
        "model-written. Answer within 2 seconds."
    )
    outcome = draft_offline(DraftRequest(brief=brief))
    prompts = " ".join(str(s.get("prompt", {})) for s in outcome.data["steps"])
    assert "evacuation text" not in prompts
    assert any("evacuation text" in u for u in outcome.unmapped)  # said, as a gap (DR010)


def test_a_verb_ending_in_s_is_no_option_list():
    from copilot.draft.decisions import decision_options
    from copilot.draft.response_options import read_response_options

    sentence = "Comping a room is never something the AI decides or promises"
    assert decision_options(sentence) == []
    assert read_response_options([sentence]) == []


# ---------------------------------------------------------------- readings from the tenth review


def test_never_covers_every_verb_it_joins_and_whether_or_done_by_others_is_no_action():
    data = drafted(
        "Vendor sign-ups arrive on the SQS queue vendors with vendor_id and country. Classify the vendor's "
        "risk as low or high. Never approve or suspend the vendor automatically. Whether to suspend a vendor "
        "is the compliance team's call. Tax status is computed by our tax engine. Answer within 3 seconds."
    )
    assert [s["id"] for s in data["steps"] if s["type"] == "http"] == []


def test_a_word_after_is_compares_only_when_the_comparison_ends_there():
    from copilot.draft.conditions import read_conditions

    mapped, _, _ = read_conditions("Only when needed_by is within 10 days, email the borrower.")
    assert not [c for _, _, c in mapped if c.value == "within"]
    (only,) = [c for _, _, c in read_conditions("If ticket_state is open, page Sam.")[0]]
    assert (only.output_field, only.value) == ("ticket_state", "open")


def test_a_listed_field_named_like_a_number_is_one_so_a_real_event_is_accepted():
    data = drafted(
        "Meter readings arrive on the Kafka topic meters with meter_id, kwh and reading_date. Summarise each "
        "reading and post the summary to Slack. Answer within 3 seconds."
    )
    properties = data["trigger"]["event_schema"]["properties"]
    assert properties["kwh"]["type"] == "number" and properties["reading_date"]["type"] == "string"


def test_two_lookups_in_the_background_get_their_own_ids():
    data = drafted(
        "Webhook from Encompass when a borrower uploads a document: loan_id, doc_type. Fetch the loan from "
        "Encompass, then classify the document. Later, fetch the servicer record from our Servicing API. "
        "Answer within 3 seconds."
    )
    ids = [s["id"] for s in data["steps"]]
    assert len(ids) == len(set(ids)), ids


def test_a_label_written_as_an_identifier_leads_its_routing_and_a_fraud_desk_is_no_score():
    data = drafted(
        "Parcel claims arrive by webhook with claim_ref and claim_text. Classify each claim as lost, "
        "damaged or late_delivery. Late_delivery claims go to the carrier desk via Jira. If the text "
        "mentions theft, also notify the fraud desk in Slack. Answer within 3 seconds."
    )
    jira = next(s for s in data["steps"] if "JIRA" in str(s.get("request", {}).get("url")))
    # the listed values are the answer's (a decision) or the classifier's labels: either way, that value
    assert jira["if"].endswith("== 'late_delivery' }}") and "output." in jira["if"]
    assert not [s for s in data["steps"] if s["id"].startswith("score")]


def test_a_prohibition_no_step_breaks_is_no_gap():
    outcome = draft_offline(
        DraftRequest(
            brief="Refund requests arrive by webhook with order_ref and reason. Classify the reason as "
            "damaged or unwanted. Never cancel an order automatically. Answer within 3 seconds."
        )
    )
    from copilot.draft.coverage import unread_instructions

    assert not [g for g in unread_instructions(outcome.unmapped, outcome.data) if "cancel" in g["message"]]


def test_a_lookup_keys_on_the_thing_it_looks_up_before_a_date_later_in_its_clause():
    data = drafted(
        "Warranty claims land on the SQS queue claims with claim_id, serial_number, purchase_date and notes. "
        "Look up the serial in our Syteline ERP to confirm coverage on the purchase date, then summarise "
        "the claim. Answer within 3 seconds."
    )
    assert step(data, "http", "lookup")["request"]["url"].endswith("{{ event.serial_number }}")


def test_how_an_extraction_is_done_is_no_field_it_extracts():
    from copilot.draft.labels import list_after

    sentence = "Have a model extract the part numbers and fault codes, based on our service bulletins"
    assert list_after(sentence, sentence.index("extract") + len("extract")) == ["part_numbers", "fault_codes"]


def test_a_model_deciding_what_the_brief_keeps_from_models_is_a_gap():
    brief = (
        "Safety reports arrive by webhook with report_id and narrative. Only if it's a reportable incident, "
        "open a case in Intelex. Whether an incident is reportable is the safety officer's decision, not the "
        "model's. Answer within 3 seconds."
    )
    from copilot.draft.coverage import check

    found = check(drafted(brief), brief).findings
    assert any(f["code"] == "DR010" and "keeps it from models" in f["message"] for f in found), found


def test_never_joining_two_verbs_and_work_done_elsewhere_are_no_requirements():
    from copilot.draft.clauses import requirement_clauses

    texts = [
        c.text
        for c in requirement_clauses(
            "Never approve or suspend the vendor automatically. Tax status is computed by our tax engine. "
            "Post a summary to Slack."
        )
    ]
    assert texts == ["Post a summary to Slack"]


def test_a_list_field_is_per_item_only_for_its_own_head_noun():
    brief = (
        "Inspection reports arrive by webhook with report_id and reported_defects. Summarise each report "
        "and post it to Slack. Respond within 5 seconds, under 1 cent per report."
    )
    assert "DR012" not in codes(drafted(brief), brief)


def test_two_fields_of_the_event_compared_need_no_model():
    data = drafted(
        "The lab posts a webhook with sample_id, reading and upper_limit. If reading is over upper_limit, "
        "page the on-call chemist via PagerDuty. Answer within 3 seconds."
    )
    assert step(data, "http", "page")["if"] == "{{ event.reading > event.upper_limit }}"
    properties = data["trigger"]["event_schema"]["properties"]
    assert properties["reading"]["type"] == properties["upper_limit"]["type"] == "number"
    assert not [s for s in data["steps"] if s["type"] == "model"]


def test_work_another_system_does_is_no_step():
    data = drafted(
        "Returns arrive on the Kafka topic returns with return_id and sku. Classify the return as resellable "
        "or scrap. Refunds are issued by our ERP only. Answer within 2 seconds."
    )
    assert [s["id"] for s in data["steps"] if s["type"] == "http"] == []


# ---------------------------------------------------------------------------- session 12 readings


def test_any_model_task_grounded_in_named_documents_reads_a_retrieval_of_them():
    data = drafted(
        "Warranty claims arrive by webhook with claim_id and description. Have a model extract the part "
        "numbers, grounded in our service bulletin documents. Answer within 5 seconds."
    )
    extract = step(data, "model", "extract")
    assert "docs" in extract["needs"]
    assert step(data, "retrieve")["id"] == "docs"
    assert "service bulletin documents" in extract["prompt"]["system"]
    assert "steps.docs.output" in extract["prompt"]["user"]


def test_a_moderation_check_uses_the_briefs_categories_and_rules():
    data = drafted(
        "Tenants upload listing photos to the Pub/Sub topic photos with photo_id and caption. Check each "
        "photo for house rule violations (pets on furniture, visible smoking), grounded in the house rules "
        "PDF. If a violation is found, hide the photo via the Listings API. 2 seconds."
    )
    moderate = step(data, "model", "moderate")
    enum = moderate["output_schema"]["properties"]["categories"]["items"]["enum"]
    assert enum == ["pets_on_furniture", "visible_smoking", "none"]
    assert "house rules PDF" in moderate["prompt"]["system"]
    assert "community" not in moderate["prompt"]["system"]


def test_who_decides_is_no_order_and_a_step_doing_it_is_flagged():
    brief = (
        "Shipment delays arrive on the Kafka topic delays with shipment_id and minutes_late. Summarise the "
        "delay for the customer. Whether to reroute a shipment is the planner's call. Answer within 3 "
        "seconds."
    )
    data = drafted(brief)
    assert not [s for s in data["steps"] if "reroute" in s["id"]]
    assert not [c for c in codes(data, brief) if c in ("DR001", "DR006", "DR010")], codes(data, brief)
    data["steps"].append(
        {"id": "reroute_shipment", "type": "http", "request": {"method": "POST", "url": "${env:X_URL}"}}
    )
    assert "DR007" in codes(data, brief)


@pytest.mark.parametrize(
    ("sentence", "fields"),
    [
        ("our CRM fires a webhook w/ deal_id, region, seat_count, annual_value_usd.",
         ["deal_id", "region", "seat_count", "annual_value_usd"]),
        ("Each message contains well_id, depth_m, logged_at (timestamp) and flow_rate_lpm.",
         ["well_id", "depth_m", "logged_at", "flow_rate_lpm"]),
        ("Orders come in through our Shopify webhook: order_id, channel, gift_note (optional), item_count.",
         ["order_id", "channel", "gift_note", "item_count"]),
    ],
)  # fmt: skip
def test_names_written_as_identifiers_are_the_events_fields_however_introduced(sentence, fields):
    from copilot.draft.reader import read

    assert read(f"{sentence} Summarise it. Answer within 5 seconds.").event_fields == fields


@pytest.mark.parametrize(
    ("name", "number"),
    [("age_years", True), ("years_experience", True), ("storage_temp_c", True), ("depth_m3", True),
     ("delivery_month", False), ("order_number", False), ("price_list_url", False), ("read_at", False)],
)  # fmt: skip
def test_a_field_with_a_word_of_measure_in_its_name_is_a_number(name, number):
    from copilot.draft.event_sample import number_named

    assert number_named(name) is number


def test_a_threshold_names_a_field_by_its_words_without_its_unit():
    data = drafted(
        "Boiler readings arrive on the Kafka topic boilers with boiler_id and pressure_bar_psi. Summarise "
        "each reading. Pressure bar under 20 psi should open a ticket in ServiceNow. 5 seconds."
    )
    assert step(data, "http", "ticket")["if"] == "{{ event.pressure_bar_psi < 20 }}"


def test_nothing_should_be_done_is_a_prohibition_not_a_step():
    data = drafted(
        "Meter alerts arrive on the SQS queue alerts with meter_id and reading. Summarise the alert for "
        "the ops team in Slack. Nothing should be charged to the customer's account automatically. 5 seconds."
    )
    assert not [s for s in data["steps"] if "charge" in s["id"]]


def test_what_it_is_names_the_options_and_only_for_one_limits_the_action():
    data = drafted(
        "Door sensor events arrive by webhook with door_id and opened_at. Have the model decide if it's a "
        "break-in, a false alarm, or a resident. Only for break-ins, page security on PagerDuty. 2 seconds."
    )
    decide = step(data, "model", "decide")
    enum = decide["output_schema"]["properties"]["decision"]["enum"]
    assert enum == ["break_in", "false_alarm", "resident"]
    assert step(data, "http", "page")["if"] == "{{ steps.check_decide.output.decision == 'break_in' }}"


def test_the_unit_the_budget_counts_in_names_the_event():
    data = drafted(
        "Kennel bookings arrive by webhook with booking_ref and dog_name. Summarise each booking for the "
        "front desk. Answer within 4 seconds, under 1 cent per booking."
    )
    assert data["name"].startswith("booking-")
    assert data["trigger"]["path"] == "/hooks/booking"


def test_no_categories_named_means_the_model_names_one_not_a_stock_list():
    outcome = draft_offline(
        DraftRequest(
            brief="Grant applications arrive by webhook with grant_id and abstract. Categorize each grant "
            "and post it to Slack. 5 seconds, 2 cents per grant."
        )
    )
    label = step(outcome.data, "model", "classify")["output_schema"]["properties"]["label"]
    assert "enum" not in label and label["type"] == "string"
    assert any("names no categories" in a for a in outcome.assumptions)


def test_whether_a_field_was_given_is_read_from_the_event():
    data = drafted(
        "Clinic intake forms arrive by webhook: form_id, complaint, guardian_phone (optional). Summarise "
        "the form for the nurse. Text the guardian only if guardian_phone was given. 5 seconds."
    )
    sms = step(data, "http", "sms")
    assert sms["if"] == "{{ event.guardian_phone | default('') }}"
    assert "guardian_phone" not in data["trigger"]["event_schema"].get("required", [])


def test_anything_mentioning_a_topic_limits_the_action_to_those_events():
    data = drafted(
        "Tenant messages arrive by webhook with message_id and text. Summarise each message for the "
        "property manager. Anything mentioning a water leak must be escalated to the plumber via the "
        "Jobber API. 5 seconds."
    )
    escalate = next(s for s in data["steps"] if s["type"] == "http" and s.get("if"))
    assert "water_leak" in escalate["if"]


def test_a_model_task_done_by_querying_a_system_reads_that_system_by_the_keys_named():
    data = drafted(
        "Tree reports arrive by webhook with report_id, latitude, longitude and note. Use the model to "
        "categorize the report and to detect nearby duplicates by querying our ArcGIS layer service by "
        "lat/long. Answer within 6 seconds."
    )
    lookup = step(data, "http", "lookup")
    assert lookup["request"]["url"] == (
        "${env:ARCGIS_API_URL}?latitude={{ event.latitude | urlencode }}"
        "&longitude={{ event.longitude | urlencode }}"
    )


def test_routing_to_a_queue_in_a_named_system_writes_to_it():
    data = drafted(
        "Library requests arrive by webhook with request_id and text. Route the request to the right "
        "branch queue in Koha. Answer within 5 seconds."
    )
    assert any(s["type"] == "http" and "KOHA" in s["request"]["url"] for s in data["steps"])


def test_quoted_alternatives_and_an_unread_conjunct_all_limit_the_step():
    brief = (
        "Permit requests arrive by webhook with permit_id, kind and text. Summarise the request. If kind "
        'is "fence" or "shed" and it\'s a renewal, just link it to the earlier permit. 5 seconds.'
    )
    from copilot.draft.coverage import unread_instructions

    outcome = draft_offline(DraftRequest(brief=brief))
    link = step(outcome.data, "http", "link")
    assert "event.kind in ['fence', 'shed']" in link["if"] and " and " in link["if"]
    # the renewal half is a model's guess, said as a gap
    assert any("renewal" in g["message"] for g in unread_instructions(outcome.unmapped, outcome.data))


def test_an_sms_to_the_on_call_person_is_an_sms_not_a_page():
    data = drafted(
        "Freezer alarms arrive by webhook with freezer_id and temp_c. Summarise the alarm. Send an SMS to "
        "the on-call technician through Twilio. 3 seconds."
    )
    assert not [s for s in data["steps"] if "page" in s["id"]]
    assert step(data, "http", "sms")


def test_a_condition_naming_one_of_the_briefs_labels_reads_that_label():
    data = drafted(
        "Pool chemistry readings arrive by webhook with pool_id and notes. The model should classify risk "
        "as low, watch, or critical. Only if it's critical, notify the lifeguard lead on Slack. 3 seconds."
    )
    assert step(data, "http", "slack")["if"] == "{{ steps.check_classify.output.label == 'critical' }}"


def test_checking_against_documents_grounds_the_classifier_instead_of_a_pass_fail_step():
    data = drafted(
        "Crop photos arrive by webhook with photo_id and grower_note. Check the note against our Pest Guide "
        "handbook. The model should classify the pest as aphid, mite, or none. 8 seconds."
    )
    assert not [s for s in data["steps"] if s["id"] == "decide"]
    classify = step(data, "model", "classify")
    assert "docs" in classify["needs"] and "Pest Guide" in classify["prompt"]["system"]


def test_what_the_ai_must_never_say_is_in_the_writers_instructions():
    data = drafted(
        "Gym members message us by webhook with member_id and text. Write a friendly reply to the member. "
        "The AI must never give medical advice or promise refunds. 5 seconds."
    )
    assert "must never give medical advice" in step(data, "model", "reply")["prompt"]["system"]


def test_a_pick_with_no_options_is_an_open_decision_not_pass_fail():
    data = drafted(
        "Support chats arrive by webhook with chat_id and text. Have the model pick a team for the chat "
        "and summarise it. 5 seconds."
    )
    decision = step(data, "model", "decide")["output_schema"]["properties"]["decision"]
    assert "enum" not in decision


def test_a_clause_that_opens_with_dont_forbids_all_of_it():
    data = drafted(
        "Bug reports arrive by webhook with report_id, email and text. Summarise each report for Linear. "
        "dont put the email in anything that goes to Linear. 5 seconds."
    )
    assert not [s for s in data["steps"] if s["id"].startswith(("put", "send"))]


def test_a_label_range_is_the_labels_and_a_subject_naming_one_limits_the_action():
    data = drafted(
        "Outage tickets arrive on the SQS queue outages with ticket_id and text. Classify each ticket and "
        "assign priority P1-P3. P1 should also page the network on-call via PagerDuty. 3 seconds."
    )
    labels = step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert labels[:3] == ["p1", "p2", "p3"]
    assert step(data, "http", "page")["if"] == "{{ steps.check_classify.output.label == 'p1' }}"


def test_deduping_against_existing_records_of_a_system_reads_that_system():
    data = drafted(
        "Feature requests arrive by webhook with request_id, product_area and text. We want an llm to "
        "dedupe against existing Productboard notes (search by product_area) and tag each request. 8 seconds."
    )
    assert "PRODUCTBOARD" in step(data, "http", "lookup")["request"]["url"]


def test_a_leading_condition_limits_every_step_it_opens_including_a_lookup():
    data = drafted(
        "Insurance photos arrive by webhook with photo_id, damage_note and estimate_url. Summarise the "
        "damage note. Only if there's an estimate_url, fetch the estimate from Xactimate and attach the "
        "totals to the claim. 10 seconds."
    )
    lookup = step(data, "http", "lookup")
    assert lookup["if"] == "{{ event.estimate_url | default('') }}"


def test_a_cron_at_two_times_is_one_schedule_on_weekdays_in_the_named_zone():
    from copilot.draft.reader import read

    trigger = read(
        "A cron at 07:15 and 16:15 Denver time on business days. Pull the open invoices from our ERP and "
        "summarise them for finance."
    ).trigger
    assert (trigger.kind, trigger.cron, trigger.timezone) == ("schedule", "15 7,16 * * 1-5", "America/Denver")


def test_where_a_source_is_kept_is_not_a_write_to_it():
    data = drafted(
        "Every morning at 7am, summarise the price sheet we keep in Dropbox and post the summary to Slack."
    )
    assert not [s for s in data["steps"] if "dropbox" in s["id"].lower()]


def test_people_deciding_something_is_no_gap():
    brief = (
        "Listings arrive by webhook with listing_id and text. Score each listing for fraud risk 0-100. "
        "Moderators in Trust & Safety decide bans. 3 seconds."
    )
    assert "DR010" not in codes(drafted(brief), brief)


def test_a_check_in_a_system_to_decide_options_is_the_read_and_the_decision():
    data = drafted(
        "Lab orders arrive by webhook with order_id and panel_code. Check it against the panel rules in "
        "Epic (by panel_code) to decide approve/hold, with a reason. 10 seconds."
    )
    assert "EPIC" in step(data, "http", "lookup")["request"]["url"]
    decision = step(data, "model", "decide")["output_schema"]["properties"]["decision"]
    assert decision["enum"] == ["approve", "hold"]


def test_an_option_fixed_by_a_rule_is_said_as_a_gap_not_an_action():
    brief = (
        "Blood units arrive by webhook with unit_id and temp_c. Check it against the storage rules in "
        "Hemasoft (by unit_id) to decide release/discard. If temp_c is over 6, it must go to discard no "
        "matter what the model says. 10 seconds."
    )
    data = drafted(brief)
    assert not [s for s in data["steps"] if s["id"].startswith(("send", "go"))]
    found = codes(data, brief)
    assert "DR006" not in found


def test_a_condition_a_named_system_decides_is_asked_of_that_system():
    brief = (
        "Loan applications arrive by webhook with application_id and income. Summarise each application. "
        "Whether an application counts as high risk is decided by our credit engine, not the model. Only "
        "if it's high risk, open a review task in Jira. 5 seconds."
    )
    data = drafted(brief)
    engine = step(data, "http", "credit_engine")
    assert engine["output_schema"]["properties"]["high_risk"] == {"type": "boolean"}
    assert step(data, "http", "task")["if"] == "{{ steps.check_credit_engine.output.high_risk }}"
    assert not [s for s in data["steps"] if s["type"] == "model" and s["id"] in ("score", "classify")]
    assert "DR010" not in codes(data, brief)


def test_a_possessive_before_a_task_word_makes_it_a_noun():
    data = drafted(
        "Recall notices arrive by webhook with notice_id and product_name. Look up the product's label in "
        "our PIM system, then summarise the notice. 5 seconds."
    )
    assert not [s for s in data["steps"] if s["id"].startswith("classify")]
    assert "{{ event.product_name }}" in step(data, "http", "lookup")["request"]["url"]


def test_skipping_work_in_a_case_limits_it_and_what_sends_it():
    data = drafted(
        "Grant reports arrive by webhook with report_id, page_count and text. Summarize each report and "
        "email the summary to the program officer. If page_count is over 80, skip the summary and just "
        "send the officer a short notice. 5 seconds."
    )
    assert step(data, "model", "summarise")["if"] == "{{ not (event.page_count > 80) }}"
    assert step(data, "http", "email")["if"] == "{{ not (event.page_count > 80) }}"


def test_a_wait_longer_than_a_webhook_caller_is_said_and_a_hedged_minute_is_read():
    from copilot.draft.reader import read

    outcome = draft_offline(
        DraftRequest(
            brief="Claims arrive by webhook with claim_id and text. Summarise each claim. Turnaround within "
            "20 minutes."
        )
    )
    assert any("longer than a webhook caller waits" in a for a in outcome.assumptions)
    assert read("Orders arrive by webhook. Summarise each order; should be done in like a minute.").sla == 60


def test_matching_a_key_against_a_named_system_reads_that_system_by_the_key():
    data = drafted(
        "Court notices arrive by webhook with docket_number and text. Summarise each notice. Match the "
        "docket_number against our case system (Filevine) to find the owner. 5 seconds."
    )
    assert "{{ event.docket_number }}" in step(data, "http", "lookup")["request"]["url"]


def test_proposing_is_model_work_grounded_in_the_manual_pulled_for_it_and_sent_where_it_goes():
    data = drafted(
        "Gate changes arrive on the Kafka topic gates with flight_no and gate. Pull the relevant sections "
        'of our "Ground Ops Manual" to check the rules. Have the model propose two stand options with a '
        "reason each, so the proposal goes into the AODB suggestions queue. 30 seconds."
    )
    writer = step(data, "model", "reply")
    assert "docs" in writer["needs"] and step(data, "retrieve")
    sent = next(s for s in data["steps"] if s["type"] == "http" and "AODB" in s["request"]["url"])
    assert not sent.get("if") and f"check_{writer['id']}" in sent["needs"]


def test_fields_listed_in_any_sentence_keep_the_types_the_brief_states():
    data = drafted(
        "Our Discord bot publishes appeals to the Pub/Sub topic appeals. Each appeal has appeal_id, "
        'ban_reason (e.g. "spam", "toxicity"), strike_count (int), is_verified (bool) and hull_feet as a '
        "number. Summarise each appeal for the moderators. 10 seconds."
    )
    properties = data["trigger"]["event_schema"]["properties"]
    assert [properties[f]["type"] for f in ("ban_reason", "strike_count", "is_verified", "hull_feet")] == [
        "string",
        "integer",
        "boolean",
        "number",
    ]


def test_an_otherwise_after_a_condition_of_two_parts_negates_both_together():
    data = drafted(
        "Flood gauges publish to the Kafka topic gauges with gauge_id, level_cm and note. A model should "
        "classify each note as surge, drift or noise. If it's a surge and level_cm is above 300, page the "
        "hydrologist on PagerDuty; otherwise just log it to the gauge board in Airtable. 5 seconds."
    )
    page = step(data, "http", "page")["if"]
    assert "event.level_cm > 300" in page and "== 'surge'" in page and " and " in page
    logged = next(
        s for s in data["steps"] if s["type"] == "http" and s["id"] != step(data, "http", "page")["id"]
    )
    assert logged["if"].startswith("{{ not (") and " and " in logged["if"]


def test_what_is_not_done_in_a_case_and_what_is_done_instead_do_not_wait_on_each_other():
    data = drafted(
        "Charter requests arrive by webhook with request_id and guests (int). Use an LLM to pick the best "
        "available boat. If guests exceeds 40, do NOT assign a boat automatically, just post it to the "
        "#charters Slack channel. Answer within 3 seconds."
    )
    assert step(data, "model", "decide")["if"] == "{{ not (event.guests > 40) }}"
    slack = step(data, "http", "slack")
    assert slack["if"] == "{{ event.guests > 40 }}"
    assert not set(slack.get("needs") or []) & {"decide", "check_decide"}


def test_people_making_the_decision_is_no_task_and_a_named_service_is_called_by_its_key():
    data = drafted(
        "Import filings arrive on the SQS queue filings with entry_number, importer_ein and value_usd "
        "(number). Check the importer against our sanctions screening service (Veridex API). If value_usd "
        "is over 2500, flag it for formal entry in CargoWise; under that, mark it informal in CargoWise. "
        "Licensed brokers make the final classification decision. 10 seconds."
    )
    assert not [s for s in data["steps"] if s["id"].startswith("classify")]
    screening = next(s for s in data["steps"] if "VERIDEX" in s.get("request", {}).get("url", ""))
    assert screening["request"]["url"].endswith("{{ event.importer_ein }}")
    informal = next(s for s in data["steps"] if "informal" in s["id"])
    assert informal["if"] == "{{ not (event.value_usd > 2500) }}"


def test_a_write_for_every_event_never_waits_on_a_model_step_that_runs_for_some():
    data = drafted(
        "Donations arrive by webhook with donation_id, donor_email and amount (number). Record it in our "
        "Blackbaud ledger. If the amount is 500 or more, have an LLM write a thank-you note for the "
        "director. For everyone else send the standard receipt through Mailchimp. 5 seconds, cheap, like "
        "a tenth of a cent."
    )
    ledger = step(data, "http", "blackbaud")
    assert not ledger.get("if") and "check_reply" not in (ledger.get("needs") or [])
    receipt = next(s for s in data["steps"] if "MAILCHIMP" in s.get("request", {}).get("url", ""))
    assert receipt["if"] == "{{ not (event.amount >= 500) }}"
    assert data["sla"]["max_cost_per_event"] == 0.001


def test_an_unread_side_of_an_or_condition_is_one_more_way_the_step_runs():
    data = drafted(
        "Inspection forms arrive by webhook with form_id, defect_grade (int) and notes. The LLM should "
        "assess whether the inspector followed the checklist in the Inspector's Handbook. If it was rushed "
        "or defect_grade is 4 or higher, open a rework order in Fiix. 6 seconds."
    )
    rework = next(s for s in data["steps"] if "FIIX" in s.get("request", {}).get("url", ""))
    assert "event.defect_grade >= 4" in rework["if"] and " or " in rework["if"]
    assert "decision" in step(data, "model", "decide")["output_schema"]["properties"]
    assert not [s for s in data["steps"] if "INSPECTOR" in s.get("request", {}).get("url", "")]


def test_what_the_flow_must_not_state_is_in_the_writers_instructions():
    data = drafted(
        "Adverse event forms arrive by webhook with form_id and narrative. Summarise each form for the "
        "safety team. The flow must not state or suggest causality. 5 seconds."
    )
    assert "must not state or suggest causality" in step(data, "model", "summarise")["prompt"]["system"]


def test_a_boolean_of_the_event_is_read_by_its_truth_and_named_booleans_are_booleans():
    data = drafted(
        "Hive sensors publish to the Kafka topic hives with hive_id, is_queenless, swarm_alarm and notes. "
        "Summarise each reading for the beekeeper. Only when swarm_alarm is true, text the keeper via "
        "Twilio. If is_queenless is false, log it to Airtable. 5 seconds, a couple cents tops."
    )
    assert step(data, "http", "sms")["if"] == "{{ event.swarm_alarm | default('') }}"
    logged = next(s for s in data["steps"] if "AIRTABLE" in s.get("request", {}).get("url", ""))
    assert logged["if"] == "{{ not (event.is_queenless | default('')) }}"
    assert data["trigger"]["event_schema"]["properties"]["is_queenless"]["type"] == "boolean"
    assert data["sla"]["max_cost_per_event"] == 0.02


def test_anything_else_is_the_other_branch():
    data = drafted(
        "Claims arrive by webhook with claim_id and amount (number). Summarise each claim. If amount is "
        "under 300, send it to auto-approval in Guidewire. Anything else goes to the adjuster queue in "
        "Guidewire. 5 seconds."
    )
    branches = [s["if"] for s in data["steps"] if s["type"] == "http"]
    assert branches == ["{{ event.amount < 300 }}", "{{ not (event.amount < 300) }}"]


@pytest.mark.parametrize(
    ("sentence", "kind", "topic"),
    [
        ("Trucks stream telemetry to Azure Event Hubs (hub name: fleet-data).", "queue", "fleet-data"),
        ("Keepers log daily observations and we get them through a Google Pub/Sub subscription called "
         "zoo-obs.", "queue", "zoo-obs"),
    ],
)  # fmt: skip
def test_a_named_hub_or_subscription_is_the_trigger_and_daily_data_is_no_schedule(sentence, kind, topic):
    from copilot.draft.reader import read

    trigger = read(f"{sentence} Summarise each event. 5 seconds.").trigger
    assert (trigger.kind, trigger.topic) == (kind, topic)


def test_what_the_model_should_flag_is_its_judgement_not_a_call_and_who_we_are_asks_nothing():
    brief = (
        "We run four bakeries in Oregon. Orders arrive by webhook with order_id, items and allergens. The "
        "model should flag whether the order breaks our allergen rules. If it breached, email the baker. "
        "Allergen sign-off is always done by the head baker. 5 seconds."
    )
    data = drafted(brief)
    assert not [s for s in data["steps"] if s["id"].startswith("flag")]
    assert not {"DR006", "DR010"} & set(codes(data, brief)), codes(data, brief)


def test_a_boolean_field_named_in_a_condition_is_read_and_its_not_kept():
    data = drafted(
        "Pump alarms arrive on the Kafka topic pumps with pump_id, drop_pct and in_service_window (bool). "
        "Summarise each alarm. If drop_pct is above 8 and the pump isn't in a service window, page the "
        "on-call engineer in Opsgenie. Never send a stop command to the pumps — only the operator on shift "
        "can stop a pump. Hard deadline 30 seconds from alarm to page."
    )
    pages = [s for s in data["steps"] if s["id"].startswith("page")]
    assert len(pages) == 1
    assert pages[0]["if"] == "{{ (event.drop_pct > 8) and (not (event.in_service_window | default(''))) }}"
    assert not [s for s in data["steps"] if s["id"].startswith("stop")]


@pytest.mark.parametrize(
    "sentence", ["If they're under 18, reject the form.", "If it's less than 4 hours away, send an SMS."]
)
def test_who_a_condition_is_about_or_a_time_from_now_is_no_field(sentence):
    from copilot.draft.conditions import read_conditions

    mapped, unread, _ = read_conditions(sentence)
    assert not mapped and unread


def test_a_text_written_to_go_out_by_a_channel_gets_the_step_that_sends_it():
    data = drafted(
        "Waitlist openings arrive by webhook with slot_id and patient_phone. Draft an SMS offer to the next "
        "patient via Twilio. The program committee makes scheduling decisions. 5 seconds."
    )
    sms = step(data, "http", "sms")
    assert "TWILIO" in sms["request"]["url"] and "check_reply" in sms["needs"]


def test_a_date_field_is_never_compared_as_a_number():
    data = drafted(
        "Permit renewals arrive by webhook with permit_id and inspection_date. Summarise each renewal. If "
        "the inspection_date is more than 365 days before today, email the clerk. 5 seconds."
    )
    assert data["trigger"]["event_schema"]["properties"]["inspection_date"]["type"] == "string"
    assert "event.inspection_date >" not in str(step(data, "http", "email").get("if"))


def test_a_violation_history_is_a_record_to_look_up_not_moderation():
    data = drafted(
        "Vendor applications arrive by webhook with application_id and plate. Look up the vendor's "
        "violation history in our Postgres table violations by plate, then summarise the application. "
        "5 seconds."
    )
    assert not [s for s in data["steps"] if s["id"].startswith("moderate")]


def test_a_noun_before_its_noun_and_verb_is_no_order():
    data = drafted(
        "Ticket refund requests arrive by webhook with request_id and visit_date. Refund policy is in our "
        '"Visitor Refund Policy" page. Summarise each request for the box office. 5 seconds.'
    )
    assert not [s for s in data["steps"] if s["id"].startswith(("page", "refund"))]


def test_dont_do_it_in_a_case_limits_the_earlier_step_to_the_other_case():
    data = drafted(
        "Placement tests arrive by webhook with response_id, student_email and writing_sample. Have an AI "
        "place the student at a level. Email the student their level via SendGrid. If the AI's level "
        "differs from the scores by more than one band, don't email — send it to the coordinator for "
        "manual placement instead. 8 seconds."
    )
    email = step(data, "http", "email")
    other = next(s for s in data["steps"] if s["type"] == "http" and s["id"] != email["id"])
    assert email["if"].startswith("{{ not (") and other["if"] and not other["if"].startswith("{{ not")


def test_a_persons_approval_is_a_gap_not_a_call_that_approves():
    brief = (
        "Snow events arrive on the Kafka topic storms with storm_id and trucks_needed (int). Summarise "
        "each storm for dispatch. A supervisor must approve any dispatch that sends more than 6 trucks. "
        "30 seconds."
    )
    data = drafted(brief)
    assert not [s for s in data["steps"] if s["id"].startswith("approve")]
    assert "DR006" in codes(data, brief)


def test_one_decision_from_its_two_clauses_its_options_end_where_prose_starts_and_a_passive_write():
    outcome = draft_offline(
        DraftRequest(
            brief="Crews register by webhook with entry_id, athlete_count (int) and fee_paid (bool). Have an "
            'LLM check the entry against the "Regatta Rules" PDF and decide accept, waitlist or reject, '
            "with a one-line reason. Only accepted entries get written to the race schedule in Google "
            "Sheets. 6 seconds."
        )
    )
    data = outcome.data
    decides = [s for s in data["steps"] if s["type"] == "model" and s["id"].startswith("decide")]
    assert len(decides) == 1
    assert decides[0]["output_schema"]["properties"]["decision"]["enum"] == ["accept", "waitlist", "reject"]
    written = next(s for s in data["steps"] if "schedule" in s["id"])
    assert written["if"] == "{{ steps.check_decide.output.decision == 'accept' }}"
    assert any("integers (athlete_count" in a and "booleans (fee_paid" in a for a in outcome.assumptions)
    from copilot.draft.drafting import _covered

    # the note the reader left is made of two clauses the decide step quotes: not "not understood"
    assert _covered(
        "have an llm check the entry and decide accept", ["have an llm check the entry", "decide accept"]
    )
    assert not _covered("have an llm check the entry and email the crew", ["have an llm check the entry"])


def test_a_comparison_with_what_a_lookup_returns_reads_the_lookup_and_otherwise_appends():
    data = drafted(
        "Freezer readings arrive on the Kafka topic cold.readings. Each message has freezer_id (string) and "
        "temp_c (number). Look up the freezer in our AssetDB by freezer_id to get its max_temp. If temp_c is "
        "above that freezer's max_temp, post to #facilities in Slack. Otherwise append the reading to the "
        "BigQuery table freezer_log."
    )
    lookup = step(data, "http", "lookup")
    assert lookup["output_schema"]["required"] == ["max_temp"]  # what the condition compares
    alert = step(data, "http", "slack")
    value = f"steps.{lookup['id']}.output.max_temp"
    assert alert["if"] == f"{{{{ {value} is defined and event.temp_c > {value} }}}}"
    assert lookup["id"] in alert["needs"]
    append = step(data, "http", "bigquery")
    assert append["if"] == f"{{{{ not ({alert['if'][3:-3]}) }}}}"  # "otherwise": the other branch
    # "that freezer's max_temp" names a value, not the other side of a threshold
    assert not alert["if"].startswith("{{ not")
    # no model rewrites the lookup into a profile nobody asked for
    assert not [s["id"] for s in data["steps"] if s["type"] == "model"]
    # the calls carry what the event is about, and the alert says why it fires
    assert alert["request"]["json"]["details"]["event"] == {
        "freezer_id": "{{ event.freezer_id }}",
        "temp_c": "{{ event.temp_c }}",
    }
    assert "{{ event.freezer_id }}" in alert["request"]["json"]["text"]
    assert "temp_c is above" in alert["request"]["json"]["text"]


def test_a_brief_that_forbids_models_is_held_to_it():
    from copilot.draft.coverage import check

    brief = (
        "Door sensor events arrive by webhook with door_id (string) and open_seconds (number). If "
        "open_seconds is over 120, page the on-call tech through PagerDuty. Do not call any language model "
        "for this; it is pure rules."
    )
    result = draft_offline(DraftRequest(brief=brief))
    assert not [s for s in result.data["steps"] if s["type"] == "model"]
    assert not any("language model" in u for u in result.unmapped), result.unmapped
    # a model step in such a flow is a gap the coverage names
    data = {
        **result.data,
        "steps": [*result.data["steps"], {"id": "guess", "type": "model", "why": {"brief": "x"}}],
    }
    found = [f for f in check(data, brief).findings if "calls a model" in f["message"]]
    assert found and "guess" in found[0]["message"]


def test_a_lookup_from_our_named_service_calls_that_service():
    data = drafted(
        "Card payments arrive by webhook with payment_id. Enrich each payment with the cardholder's "
        "recent payments from our ledger service, then post the payment to #ops in Slack."
    )
    assert "LEDGER_API_URL" in step(data, "http", "lookup")["request"]["url"]


def test_only_act_when_limits_every_action_besides_its_own_condition():
    data = drafted(
        "HubSpot sends a webhook whenever a deal changes. The payload includes deal_id (string), amount "
        '(number) and stage (string). Only act when stage changes to "closedwon". If amount is over 5000, '
        "post to #big-wins in Slack. Create an invoice in Xero for the deal."
    )
    slack, invoice = step(data, "http", "slack"), step(data, "http", "invoice")
    assert slack["if"] == "{{ (event.stage == 'closedwon') and (event.amount > 5000) }}"
    assert invoice["if"] == "{{ event.stage == 'closedwon' }}"
    assert data["trigger"]["example"]["stage"] == "closedwon"  # the own test takes the branch


def test_ignore_records_where_is_the_other_side_for_every_action():
    data = drafted(
        "Airtable posts a webhook for each changed row with row_id (string) and state (string). Ignore "
        'records where state is "draft". Email the owner a summary of the row through Postmark.'
    )
    assert step(data, "http", "email")["if"].startswith("{{ not (event.state == 'draft')")


def test_the_part_of_a_condition_a_boolean_field_names_is_read_from_the_event():
    data = drafted(
        "Our booking form posts a webhook with booking_id (string), wheelchair_access_needed (boolean) and "
        "venue (string). Look up the venue's free rooms in our Rooms API. If wheelchair access is needed "
        "and a step-free room is free, reserve it in the Rooms API."
    )
    reserve = step(data, "http", "reserve")
    assert "event.wheelchair_access_needed" in reserve["if"] and " and " in reserve["if"]


def test_a_written_email_goes_out_by_the_email_step_the_brief_already_has():
    data = drafted(
        "Typeform posts each signup with signup_id (string) and email (string). Email the person a welcome "
        'via Mailgun. The model should write the welcome email using our "Member Handbook".'
    )
    emails = [s for s in data["steps"] if s["type"] == "http" and "email" in s["id"]]
    assert len(emails) == 1, [s["id"] for s in data["steps"]]
    assert emails[0]["request"]["json"]["to"] == "{{ event.email }}"


@pytest.mark.parametrize(
    "sentence",
    [
        "Claims over 2000 EUR must be approved by the claims lead before the payout is sent through Adyen.",
        "Payouts need approval from the finance lead before the Adyen payout is sent.",
        "Have the model draft a payout note and send it to the claims lead for approval; only after "
        "approval, send the payout through Adyen.",
        "Send the payout through Adyen, but a manager has to sign off first.",
    ],
)
def test_an_action_that_waits_for_a_persons_approval_is_left_out_and_said(sentence):
    from copilot.draft.coverage import check

    brief = (
        f"Insurance claims arrive by webhook with claim_id. Post each claim to #claims in Slack. {sentence}"
    )
    data = drafted(brief)
    calls = [s for s in data["steps"] if s["type"] == "http" and s["request"]["method"] != "GET"]
    assert not [s for s in calls if "ADYEN" in s["request"]["url"] or "approv" in s["id"]], [
        s["id"] for s in calls
    ]
    messages = [f["message"] for f in check(data, brief).findings]
    assert any("for a person's approval" in m for m in messages), messages


def test_a_threshold_on_what_the_lookup_gets_reads_the_lookup_keyed_by_the_named_field():
    data = drafted(
        "Shopify sends a webhook for each new order with order_id (string), customer_email (string) and "
        "sku (string). Look up the product in our Akeneo catalogue by sku to get the stock level and the "
        "supplier. If the stock level is below 5, post the order to #restock in Slack."
    )
    lookup = step(data, "http", "lookup")
    assert lookup["request"]["url"].endswith("/{{ event.sku }}")  # the key, not what it gets
    assert lookup["output_schema"]["required"] == ["stock_level"]
    value = f"steps.{lookup['id']}.output.stock_level"
    assert step(data, "http", "slack")["if"] == f"{{{{ {value} is defined and {value} < 5 }}}}"
    assert "stock_level" not in data["trigger"]["event_schema"].get("properties", {})


def test_have_the_model_draft_a_note_is_a_writer_grounded_in_the_named_pdf():
    data = drafted(
        "Jobber posts a webhook for each booked visit with visit_id (string) and notes (string). Use the "
        '"Boiler Service Checklist" PDF as grounding and have the model draft a prep note for the '
        "engineer listing which parts likely need replacing. Post the prep note to #field in Slack. Reply "
        "to Jobber within 10 seconds and keep model spend under 2 cents per visit."
    )
    kinds = {s["id"]: s["type"] for s in data["steps"]}
    assert "score" not in kinds, kinds  # "which parts" / "which ranks": no scoring task
    assert any(s["type"] == "retrieve" for s in data["steps"]), kinds
    writer = next(s for s in data["steps"] if s["type"] == "model")
    assert "prep note" in writer["prompt"]["system"]
    assert not writer.get("if"), writer.get("if")  # "keep model spend under 2 cents" is the budget
    assert data["sla"]["max_cost_per_event"] == 0.02


def test_a_document_named_in_capitals_grounds_the_explanation_and_urgent_work_never_waits():
    data = drafted(
        "Boiler controllers publish faults to the Kafka topic boiler.faults. Each event has site_id "
        "(string), fault_code (string), restarts_today (integer) and gas_leak (boolean). Look up the "
        'fault_code in our "Burner Fault Manual" and have the model explain the likely cause in plain '
        "language for the engineer. If gas_leak is true, immediately create an emergency job in "
        "ServiceTitan — this must not wait on the model. For other faults, open a normal ServiceTitan "
        "job only when restarts_today is above 5."
    )
    types = {s["id"]: s["type"] for s in data["steps"]}
    assert "retrieve" in types.values() and not any(
        "CRM" in s.get("request", {}).get("url", "") for s in data["steps"]
    ), types
    assert "cause" in next(s for s in data["steps"] if s["type"] == "model")["prompt"]["system"]
    emergency = next(s for s in data["steps"] if s["type"] == "http" and "gas_leak" in str(s.get("if")))
    assert not emergency.get("needs"), emergency.get("needs")  # "must not wait on the model"
    normal = next(s for s in data["steps"] if s["type"] == "http" and "restarts_today" in str(s.get("if")))
    assert "not (event.gas_leak" in normal["if"]  # "for other faults"


def test_a_forbidden_thing_and_an_ordered_one_and_a_computed_value():
    data = drafted(
        "Crate returns arrive by webhook with customer_id (string), crate_count (integer) and "
        "deposit_per_crate (number). Look up the customer in our Odoo ERP by customer_id. If crate_count is "
        "greater than the crates checked out in Odoo, do not refund anything and open a discrepancy "
        "ticket in Linear. Otherwise compute the refund as crate_count times deposit_per_crate and "
        "issue the refund in Stripe."
    )
    ticket = step(data, "http", "ticket")  # "do not refund anything and open a ticket": the ticket is ordered
    lookup = step(data, "http", "lookup")
    value = f"steps.{lookup['id']}.output.crates_checked_out"
    assert ticket["if"] == f"{{{{ {value} is defined and event.crate_count > {value} }}}}"
    compute = step(data, "transform", "compute")
    assert compute["output"] == {"refund": "{{ event.crate_count * event.deposit_per_crate }}"}
    refund = step(data, "http", "refund")
    assert refund["if"] == f"{{{{ not ({ticket['if'][3:-3]}) }}}}"  # "otherwise": the other side
    assert refund["request"]["json"]["details"]["refund"] == "{{ steps.compute_refund.output.refund }}"


def test_a_field_named_only_in_a_condition_is_declared_and_its_gloss_is_the_test():
    data = drafted(
        "Shopify sends a webhook for each new order. If the order total is over $800 and the customer is new "
        "(first_order is true), email the owner. Answer Shopify within 2 s."
    )
    email = step(data, "http", "email")
    assert email["if"] == (
        "{{ (event.order_total is defined and event.order_total > 800) and (event.first_order | "
        "default('')) }}"
    )
    properties = data["trigger"]["event_schema"]["properties"]
    assert properties["first_order"] == {"type": "boolean"} and "order_total" in properties
    assert not [s for s in data["steps"] if s["type"] == "model" and "Answer Shopify" in str(s.get("prompt"))]


def test_a_field_compared_with_a_value_the_flows_one_lookup_holds_reads_that_lookup():
    data = drafted(
        "Fishing vessels post catch reports to our webhook with vessel_id (string) and landed_kg (number). "
        "Look up the vessel's licence in the Fisheries Registry API by vessel_id. If landed_kg exceeds the "
        "remaining quota, post to #quota in Slack. The filing must not be sent without the compliance "
        "officer signing off first."
    )
    lookup = step(data, "http", "lookup")
    value = f"steps.{lookup['id']}.output.remaining_quota"
    assert step(data, "http", "slack")["if"] == f"{{{{ {value} is defined and event.landed_kg > {value} }}}}"
    from copilot.draft.coverage import check

    brief = "Reports arrive by webhook. The filing must not be sent without the officer signing off first."
    assert any("approval" in f["message"] for f in check({"steps": []}, brief).findings)


def test_a_flag_of_the_looked_up_record_a_named_api_and_the_key_the_brief_names():
    data = drafted(
        "When Shopify sends us an orders/create webhook, classify the order as retail or wholesale. Look up "
        "the buyer in our Vend directory using the customer_id from the order. If the buyer's account is "
        "flagged as on_credit_hold, post the order to #holds in Slack. Otherwise send it to the fulfilment "
        "scheduler API at https://wh.internal/schedule."
    )
    lookup = step(data, "http", "lookup")
    assert lookup["request"]["url"].endswith("/{{ event.customer_id }}")
    assert "customer_id" in data["trigger"]["event_schema"]["required"]  # the lookup cannot run without it
    assert lookup["output_schema"]["properties"]["on_credit_hold"] == {"type": "boolean"}
    assert (
        step(data, "http", "slack")["if"]
        == f"{{{{ steps.{lookup['id']}.output.on_credit_hold | default(false) }}}}"
    )
    assert not [s for s in data["steps"] if s["type"] == "model" and "moderat" in s["id"]]
    scheduler = next(
        s for s in data["steps"] if "FULFILMENT_SCHEDULER_API_URL" in s.get("request", {}).get("url", "")
    )
    assert scheduler["if"].startswith("{{ not (")


def test_a_gap_between_two_fields_and_an_or_past_the_comma():
    data = drafted(
        "Freezer readings arrive on the Kafka topic cold.room with room_id (string), temp_c (number) and "
        "setpoint_c (number). If temp_c is more than 4 degrees above setpoint_c, or the door has been open "
        "for an hour, page the facilities engineer through PagerDuty."
    )
    page = step(data, "http", "page")
    assert page["if"].startswith("{{ (event.temp_c - event.setpoint_c > 4) or (")  # the "or" part is kept


def test_a_retrieval_for_an_event_without_text_searches_with_the_clauses_words():
    data = drafted(
        "Soil probes post readings to our webhook with bed_id (string), crop (string) and moisture_pct "
        '(number). Have the model write a short watering note for the grower, grounded in our "Irrigation '
        'Handbook". Post the note to #field in Slack.'
    )
    query = step(data, "retrieve")["query"]
    assert "tojson" not in query and "watering" in query and "{{ event.crop }}" in query, query


def test_if_someone_is_no_if_so():
    data = drafted(
        "Calendly posts each booking to our webhook. Check our roster in Airtable for a free interpreter. "
        "If nobody matches, email the scheduling desk. If someone matches, update the booking in Airtable."
    )
    email, update = step(data, "http", "email"), step(data, "http", "update")
    assert email["if"] != update["if"], (email["if"], update["if"])
    # one decision and its opposite, so both can never fire (or both be skipped) for one booking
    assert update["if"] == f"{{{{ not ({email['if'][3:-3]}) }}}}"


def test_an_email_to_the_events_address_is_sent_and_said_and_a_writer_using_a_policy_is_grounded():
    brief = (
        "When a kayak rental is returned, Lightspeed sends a webhook with rental_id (string), customer_email "
        "(string) and damage_reported (boolean). If damage_reported is true, have the model write a damage "
        'summary using our "Rental Damage Policy" and open a ticket in Zendesk; otherwise email the '
        "customer a thank-you note."
    )
    result = draft_offline(DraftRequest(brief=brief))
    email = step(result.data, "http", "email")
    assert email["request"]["json"]["to"] == "{{ event.customer_email }}"
    assert "event.customer_email" in result.data["observability"]["redact"]  # still out of traces
    assert any("customer_email" in a and "FG713" in a for a in result.assumptions)
    assert any(s["type"] == "retrieve" for s in result.data["steps"])  # "using our … Policy"


def test_an_action_never_waits_on_a_step_that_may_be_skipped_and_a_joined_writer_goes_with_its_action():
    # The summary runs only for damaged returns: a fee that waited on its gate would be skipped
    # with it (the engine skips a step whose needs were all skipped). The ticket opened "and"
    # after the summary is written carries it.
    data = drafted(
        "When a ski rental is returned, Lightspeed sends us a webhook with rental_id (string), "
        "damage_reported (boolean) and days_late (integer). If damage_reported is true, have the model "
        'write a damage summary using our "Rental Damage Policy" and open a ticket in Zendesk. If days_late '
        "is more than 2, charge a late fee through Stripe. Reply within 5 seconds."
    )
    fee = step(data, "http", "charge")
    assert fee["if"] == "{{ event.days_late > 2 }}"
    assert not fee.get("needs"), fee.get("needs")
    ticket = step(data, "http", "ticket")
    assert ticket.get("needs") and "steps.check_" in str(ticket["request"]["json"])


# ---------------------------------------------------------------- readings from the eighteenth review


def test_a_count_compared_with_a_number_is_the_counting_field_not_an_identifier():
    data = drafted(
        "Match reports arrive on an SQS queue (match_id, player_id, headshot_ratio, report_count). Score how "
        "likely the player is cheating from 0 to 100. If the score is 90 or above AND the player has at "
        "least 3 "
        "reports, suspend the account via the moderation API. Keep it under 3 seconds and five tenths of "
        "a cent."
    )
    suspend = step(data, "http", "suspend")
    assert "event.report_count >= 3" in suspend["if"] and "player_id" not in suspend["if"]
    # "the moderation API" is the system the suspension goes through, not moderation work
    assert not [s for s in data["steps"] if "moderat" in s["id"]], [s["id"] for s in data["steps"]]
    assert data["sla"]["max_cost_per_event"] == 0.005  # five tenths of a cent
    assert data["trigger"]["event_schema"]["properties"]["headshot_ratio"]["type"] == "number"


def test_flagged_on_data_that_is_not_content_is_no_moderation_verdict():
    data = drafted(
        "When the lab posts a result webhook (fields: patient_id, species, values), summarise the abnormal "
        "values for the vet. If any value is flagged critical, page the on-duty vet through PagerDuty. "
        "Respond within 3 seconds."
    )
    assert not [s for s in data["steps"] if "moderat" in s["id"]], [s["id"] for s in data["steps"]]
    assert "flagged_critical" in step(data, "http", "page")["if"]


def test_an_unread_condition_naming_the_classifiers_labels_tests_them():
    data = drafted(
        "The kiosk posts a webhook with reservation_id and vehicle_id when a car is checked in. Describe "
        "any new "
        "damage with its estimated severity (minor/moderate/major). If there's new damage rated moderate or "
        "major, create a damage claim in our claims system; for minor damage only log it on the vehicle "
        "record. "
        "Answer within 8 seconds."
    )
    assert not [s for s in data["steps"] if "moderat" in s["id"]]  # the degree, not moderation
    claim = step(data, "http", "claim")["if"]
    assert "label == 'moderate'" in claim and "label == 'major'" in claim and "minor" not in claim
    logged = [s for s in data["steps"] if s["type"] == "http" and "claim" not in s["id"]]
    assert logged and logged[0]["if"] == "{{ steps.check_classify.output.label == 'minor' }}"


def test_a_clause_that_needs_a_model_that_sees_images_is_a_gap():
    brief = (
        "The kiosk posts a webhook with the return photos (URLs). Use a vision model to compare the photos "
        "and classify the damage as none or some. Answer within 8 seconds."
    )
    data = drafted(brief)
    from copilot.draft.coverage import check

    assert any(f["code"] == "DR001" and "sees images" in f["message"] for f in check(data, brief).findings)


def test_an_event_nobody_described_requires_nothing_and_prompts_read_what_arrives():
    from jsonschema import Draft202012Validator

    data = drafted(
        "Stripe calls our webhook on charge.refunded. Summarise the refund for the finance team and post the "
        "summary to Slack. Answer within 3 seconds."
    )
    schema = data["trigger"]["event_schema"]
    stripe = {"id": "evt_1", "type": "charge.refunded", "data": {"object": {"amount": 1200}}}
    shopify = {"id": 5551234, "line_items": []}
    typeform = {"event_id": "01H", "form_response": {"answers": []}}
    for event in (stripe, shopify, typeform):
        assert not list(Draft202012Validator(schema).iter_errors(event)), event
    prompt = step(data, "model", "summar")["prompt"]["user"]
    assert "event.text if event.text is defined else event | tojson" in prompt


def test_the_event_noun_is_the_thing_the_flow_works_through_not_what_its_actions_create():
    data = drafted(
        "Every 15 minutes, pull the arrival feed from the port authority API. For each vessel whose ETA has "
        "slipped by more than 2 hours, ask the model to draft a short rescheduling note and post it to "
        "Slack. "
        "If the delay is over 6 hours, also open a Jira ticket for the berth planners."
    )
    assert "support" not in data["name"] and "ticket" not in data["name"], data["name"]
    assert "vessel" in data["name"]


def test_a_model_off_the_hot_path_reads_the_lookup_said_with_it():
    data = drafted(
        "Reports arrive on an SQS queue (match_id, player_id, report_count). Use a model to score how likely "
        "the player is cheating from 0 to 100, taking into account the player's past sanctions fetched from "
        "the player history API. If the score is 90 or above, post to the #trust-safety Discord webhook. "
        "Keep each report under 500ms."
    )
    score = step(data, "model", "score")
    assert score.get("mode") == "async"  # no model fits 500 ms: the flow acknowledges
    lookups = [s["id"] for s in data["steps"] if s["type"] == "http" and s["request"]["method"] == "GET"]
    assert lookups and set(lookups) <= set(score.get("needs", []))
    assert f"steps.{lookups[0]}.output" in score["prompt"]["user"]


def test_drafted_tests_hold_dead_letters_and_a_guessed_threshold_is_a_gap():
    outcome = draft_offline(
        DraftRequest(
            brief="Smart meters push readings through the Kafka topic meter-readings (meter_id, account_id, "
            "litres_per_hour). Ask the model if it is a leak. If it says leak with confidence > .8, text the "
            "customer via Twilio. 2 sec p95."
        )
    )
    assert outcome.data["tests"]["thresholds"]["dead_letters"] == ["rate<0.01"]
    from copilot.draft.coverage import unread_instructions

    gaps = [g for g in unread_instructions(outcome.unmapped, outcome.data) if g["code"] == "DR010"]
    assert len(gaps) == 1 and "number is not in the guess" in gaps[0]["message"], gaps


def test_a_checks_verdict_decides_the_actions_that_name_it():
    data = drafted(
        "When an applicant submits the Typeform, extract their program choice, GPA and test scores, and "
        "check "
        "eligibility against the program requirements handbook. Then have a model write a reviewer brief on "
        "the statement of purpose. If the applicant is ineligible (e.g. GPA below the program minimum), "
        "don't "
        "write the brief — just email them the standard notice. Eligible applicants get added to the "
        "Slate CRM."
    )
    # "test scores" is a field to extract, not a scoring model
    assert not [s for s in data["steps"] if s["type"] == "model" and s["id"].startswith("score")]
    decide = step(data, "model", "decide")
    assert decide["output_schema"]["properties"]["decision"]["enum"][:2] == ["eligible", "ineligible"]
    assert step(data, "http", "email")["if"] == "{{ steps.check_decide.output.decision == 'ineligible' }}"
    assert step(data, "http", "add")["if"] == "{{ steps.check_decide.output.decision == 'eligible' }}"
    # the brief is not written for ineligible applicants; the e.g. aside stays inside the condition
    reply = step(data, "model", "reply")
    assert reply["if"] == "{{ not (steps.check_decide.output.decision == 'ineligible') }}"
    assert len(reply["needs"]) == len(set(reply["needs"]))


def test_a_change_since_the_last_event_is_no_threshold_on_the_field():
    brief = (
        "Hive sensors publish to Google Pub/Sub with hive_id, temp_c and weight_kg. If the weight "
        "dropped more "
        "than 2 kg since the last reading, log a possible robbing incident in the Airtable hive log."
    )
    outcome = draft_offline(DraftRequest(brief=brief))
    logged = step(outcome.data, "http", "log")
    assert "event.weight_kg" not in logged["if"], logged["if"]
    from copilot.draft.coverage import unread_instructions

    gaps = unread_instructions(outcome.unmapped, outcome.data)
    assert any("dropped more than 2 kg" in g["message"] for g in gaps), gaps


def test_work_filed_in_the_passive_on_a_queue_is_an_action_and_a_lookup_is_named_after_its_api():
    data = drafted(
        "Reports arrive on an SQS queue (match_id, player_id, report_count). Use a model to score how "
        "likely the "
        "player is cheating from 0 to 100, taking into account the past sanctions fetched from the player "
        "history API. Scores between 60 and 89 should only be added to the human review queue. "
        "Answer within 5 seconds."
    )
    queued = step(data, "http", "queue")
    assert "score >= 60" in queued["if"] and "<= 89" in queued["if"], queued["if"]  # 89 is between
    lookup = next(s for s in data["steps"] if s["type"] == "http" and s["request"]["method"] == "GET")
    assert lookup["request"]["url"].startswith("${env:PLAYER_HISTORY_API_URL}")


def test_a_reply_with_what_the_check_listed_and_the_lookup_found_carries_both():
    data = drafted(
        "Loan requests arrive via a Zendesk form. First, look up each object's condition and conservation "
        "notes in our collections database (TMS API). Then have the model check the venue's facility report "
        "against our loan conditions policy — temperature, humidity, light levels — and list any "
        "deficiencies. "
        "Reply on the Zendesk ticket with a summary of deficiencies and the conservation notes. "
        "Target 20 seconds, under 15 cents a request."
    )
    assert data["sla"]["latency_p95"] == "20s"
    reply = step(data, "http", "zendesk")
    details = reply["request"]["json"]["details"]
    lookup = next(s["id"] for s in data["steps"] if s["type"] == "http" and s["request"]["method"] == "GET")
    assert f"steps.{lookup}.output" in str(details) and "check_decide" in str(details), details
    assert lookup in reply["needs"]


def test_flagged_critical_is_one_state_a_named_put_is_sent_as_put_and_a_pdf_is_said():
    outcome = draft_offline(
        DraftRequest(
            brief="When the lab posts a result webhook (fields: patient_id, values), summarise the abnormal "
            "values for the vet using our reference-range sheet (docs/reference-ranges.pdf). If any value is "
            "flagged critical, page the on-duty vet through PagerDuty. Then attach the summary to the "
            "patient "
            "record (PUT to the records API). Respond within 3 seconds."
        )
    )
    page = step(outcome.data, "http", "page")["if"]
    assert "flagged_critical" in page and "urgency" not in page, page
    assert step(outcome.data, "http", "attach")["request"]["method"] == "PUT"
    assert any("docs/reference-ranges.pdf" in a and "text export" in a for a in outcome.assumptions)


def test_a_writer_using_a_named_document_retrieves_it_and_a_models_flag_is_no_call():
    data = drafted(
        "Every 15 minutes, pull the vessel arrival feed from the port authority API. Ask the model to "
        "draft a "
        "short rescheduling note for each delayed vessel, using the berth allocation rules document. "
        "Post the "
        "note to the #berth-planning Slack channel. Have a model compare each vessel's delay against the "
        "plan "
        "and flag the worst ones."
    )
    writer = next(s for s in data["steps"] if s["type"] == "model" and "note" in s["prompt"]["system"])
    assert "docs" in writer["needs"], writer["needs"]
    # "… and flag the worst ones" is what the model marks, not a POST to an invented API
    assert not [s for s in data["steps"] if s["type"] == "http" and s["id"].startswith("flag")]


def test_an_exception_named_by_field_and_value_splits_the_action_from_its_instead():
    data = drafted(
        "Smart meters push readings through the Kafka topic meter-readings (meter_id, account_id, "
        "litres_per_hour). If the reading is above 30 litres_per_hour, text the customer via Twilio, but NOT "
        "for commercial accounts (account_type=commercial) those go to the key accounts team email instead. "
        "2 sec p95."
    )
    sms, email = step(data, "http", "sms")["if"], step(data, "http", "email")["if"]
    commercial = "event.account_type is defined and event.account_type == 'commercial'"
    assert f"not ({commercial})" in sms and "litres_per_hour > 30" in sms, sms
    assert commercial in email and "not (" not in email and "litres_per_hour > 30" in email, email
    assert "account_type" in data["trigger"]["event_schema"]["properties"]


def test_frames_sent_every_few_seconds_to_an_http_endpoint_are_a_webhook_not_a_schedule():
    data = drafted(
        "Cameras over the sorting line send a frame every 5 seconds to an HTTP endpoint, with line_id and "
        "bale_id. Classify the frame as clean or contaminated. If contaminated, post an alert to Teams."
    )
    assert data["trigger"]["type"] == "webhook"


def test_how_requests_arrive_is_no_action_and_always_is_no_subset():
    data = drafted(
        "refill requests come in from the shopify store as orders/create. classify each order as rx or otc. "
        "any controlled substance must never be auto-queued, always goes to the pharmacist manually with a "
        "note. sla 4s"
    )
    ids = [s["id"] for s in data["steps"]]
    assert not [i for i in ids if i.startswith("refill")], ids  # "refill requests come in" is the trigger
    assert "always" not in str([s.get("if") for s in data["steps"]])


def test_a_guessed_field_says_the_condition_not_its_otherwise():
    data = drafted(
        "The deal webhook carries deal_id, company_name and region. Look up the permit rules in "
        "permits-by-region.md and have a model write the proposal. If the region requires a special airspace "
        "permit, add a task for the ops team to file it, and don't attach the proposal to the deal yet. "
        "Otherwise attach the proposal to the deal as a note and notify the account owner by email."
    )
    classify = step(data, "model", "classify")
    field = next(p for p in classify["output_schema"]["properties"] if p.startswith("region"))
    assert f"Set {field} (true If the region requires" in classify["prompt"]["system"]
    assert "otherwise" not in classify["prompt"]["system"].lower()
    assert step(data, "http", "task")["if"] == f"{{{{ steps.check_classify.output.{field} }}}}"
    assert step(data, "http", "attach")["if"] == f"{{{{ not (steps.check_classify.output.{field}) }}}}"


def test_label_ones_acting_themselves_are_limited_to_that_label():
    data = drafted(
        "Citizen reports arrive on a Google Pub/Sub topic. Classify the severity as low, medium or critical. "
        "Critical ones page the duty inspector. Medium ones just create a normal work order in Cityworks. "
        "Low ones are added to the weekly backlog sheet."
    )
    order = step(data, "http", "order")
    assert order["if"] == "{{ steps.check_classify.output.label == 'medium' }}", order.get("if")


def test_kinds_listed_after_whether_it_is_are_labels_and_a_clause_opening_with_one_is_limited_to_it():
    data = drafted(
        "We receive privacy requests through a Zendesk form. Identify whether it is a data export, a "
        "deletion "
        "request, a consent withdrawal for research, or not a privacy request at all. Consent "
        "withdrawals call "
        "the research-consent API to revoke consent immediately. Acknowledge within 5 s."
    )
    labels = step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert {"data_export", "deletion_request", "consent_withdrawal"} <= set(labels), labels
    revoke = next(s for s in data["steps"] if s["type"] == "http")
    assert revoke["if"] == "{{ steps.check_classify.output.label == 'consent_withdrawal' }}", revoke


def test_a_qualified_subject_or_a_range_limits_the_action_it_does_and_an_unconditional_one_is_a_gap():
    from copilot.draft.coverage import check

    brief = (
        "Cargo claims arrive on an SQS queue. Have a model assess each claim and estimate the loss. "
        "Claims of "
        "$500 or more go to a claims adjuster in ServiceNow with the model's reasoning attached."
    )
    data = drafted(brief)
    adjuster = step(data, "http", "adjuster")
    if not adjuster.get("if"):
        assert any(f["code"] == "DR005" and "adjuster" in f["message"] for f in check(data, brief).findings)
    brief = (
        "Fridge readings stream on the Kafka topic kitchen.telemetry (unit_id, temp_c). If temp_c is "
        "above 8, "
        "page the kitchen manager through PagerDuty. Readings at 5 to 8 degrees only get a message in Teams."
    )
    data = drafted(brief)
    teams = step(data, "http", "teams")
    if not teams.get("if"):
        assert any(f["code"] == "DR005" and "teams" in f["message"] for f in check(data, brief).findings)


def test_no_llm_to_decide_leaves_the_writer_and_its_text_goes_in_the_page():
    from copilot.draft.coverage import check

    brief = (
        "Fridge readings stream on the Kafka topic kitchen.telemetry (site_id, unit_id, temp_c, "
        "door_open). No "
        "LLM is needed to decide anything here: if temp_c is above 8 and the door is not open, page the "
        "kitchen "
        "manager through PagerDuty, and have a model write a two-line explanation that goes in the page. "
        "Must react within 1.5 s."
    )
    data = drafted(brief)
    page = step(data, "http", "page")
    assert "event.door_open" in page["if"] and "check_classify" not in page["if"], page["if"]
    assert "check_reply" in page.get("needs", []) and "steps.check_reply.output" in str(page["request"])
    assert not [s for s in data["steps"] if s["type"] == "model" and s["id"] in ("classify", "decide")]
    codes = [f["code"] for f in check(data, brief).findings]
    assert "DR010" not in codes and "DR001" not in codes, codes


def test_an_action_in_every_case_never_waits_on_a_branch():
    data = drafted(
        "Stripe sends us charge.dispute.created webhooks with reason. If the reason is fraudulent, have the "
        "model draft dispute evidence and submit it to Stripe. In every case post a short note to "
        "#billing-disputes in Slack."
    )
    slack = step(data, "http", "slack")
    by_id = {s["id"]: s for s in data["steps"]}

    def may_skip(sid: str) -> bool:
        s = by_id[sid]
        return bool(s.get("if")) or any(may_skip(n) for n in s.get("needs", []))

    assert not slack.get("if") and not any(may_skip(n) for n in slack.get("needs", [])), slack


def test_a_check_through_a_named_service_is_a_call_and_kinds_of_events_acting_are_actions():
    data = drafted(
        "We receive privacy requests through a Zendesk form (requester_email, kit_id, free_text). Identify "
        "whether it is a data export, a deletion request, or a consent withdrawal. First verify the kit "
        "belongs "
        "to the requester via the identity service. Verified deletions open a Jira ticket in the PRIV "
        "project. "
        "Acknowledge within 5 s."
    )
    lookup = next(s for s in data["steps"] if s["type"] == "http" and s["request"]["method"] == "GET")
    assert lookup["request"]["url"].startswith("${env:IDENTITY_API_URL}"), lookup["request"]["url"]
    ticket = step(data, "http", "ticket")
    assert ticket["if"] == "{{ steps.check_classify.output.label == 'deletion_request' }}", ticket.get("if")


def test_never_twice_for_the_same_thing_keys_the_call_on_that_thing():
    outcome = draft_offline(
        DraftRequest(
            brief="When a member returns a tool, the kiosk calls our webhook with loan_id, member_email and "
            "days_overdue (integer). If days_overdue is more than 7, charge the late fee through Stripe, but "
            "never charge the same loan twice. Respond within 3 seconds."
        )
    )
    fee = step(outcome.data, "http", "charge")
    assert fee["idempotency_key"] == "{{ event.loan_id }}:" + fee["id"]
    assert "never charge the same loan twice" in str(fee["why"]["brief"])
    assert not [u for u in outcome.unmapped if "twice" in u]
    from copilot.draft.coverage import unread_instructions

    assert not [g for g in unread_instructions(outcome.unmapped, outcome.data) if "twice" in g["message"]]


def test_an_action_joined_to_a_subsets_first_action_is_limited_to_it_too():
    data = drafted(
        "When a member returns a tool, the kiosk calls our webhook with loan_id and condition_note. Use "
        "a model "
        "to classify the condition note as fine, needs_cleaning or damaged. Damaged tools get a repair "
        "ticket "
        "in Trello and the member gets an email asking what happened."
    )
    ticket, email = step(data, "http", "ticket"), step(data, "http", "email")
    assert ticket["if"] == email["if"] == "{{ steps.check_classify.output.label == 'damaged' }}"
    assert not [s for s in data["steps"] if s["type"] == "model" and s["id"] == "decide"]


def test_a_record_of_the_event_waits_for_no_writer():
    data = drafted(
        "Weather stations publish readings to the AWS SQS queue frost-watch with block_id, air_temp_c and "
        "wind_kph. Have a model write a short frost-risk note for the block and post it to the #vineyard-ops "
        "Slack channel. Readings above 4 degrees just get appended to the BigQuery readings table. Keep it "
        "under 2 seconds."
    )
    stored = step(data, "http", "bigquery")
    assert not stored.get("needs"), stored.get("needs")
    assert "check_" in str(step(data, "http", "slack").get("needs"))


def test_the_events_own_noun_measured_in_a_unit_is_the_field_that_holds_that_unit():
    data = drafted(
        "Weather stations publish readings to the AWS SQS queue frost-watch with block_id, air_temp_c and "
        "wind_kph. If air_temp_c is below 1, page the vineyard manager on PagerDuty. Readings above 4 "
        "degrees "
        "just get appended to the BigQuery readings table. Keep it under 2 seconds."
    )
    assert step(data, "http", "bigquery")["if"] == "{{ event.air_temp_c > 4 }}"
    assert "readings" not in data["trigger"]["event_schema"]["properties"]


def test_a_label_subject_read_as_the_condition_is_not_also_not_understood():
    outcome = draft_offline(
        DraftRequest(
            brief="The kiosk calls our webhook with loan_id and condition_note. Use a model to classify the "
            "condition note as fine, needs_cleaning or damaged. needs_cleaning ones are added to the "
            "cleaning "
            "list in Airtable."
        )
    )
    assert step(outcome.data, "http", "airtable")["if"] == (
        "{{ steps.check_classify.output.label == 'needs_cleaning' }}"
    )
    assert not [u for u in outcome.unmapped if "needs_cleaning" in u], outcome.unmapped


def test_how_often_events_arrive_is_no_second_trigger():
    outcome = draft_offline(
        DraftRequest(
            brief="Weather stations publish readings to the AWS SQS queue frost-watch every ten minutes, "
            "with "
            "block_id and air_temp_c. If air_temp_c is below 1, page the manager on PagerDuty."
        )
    )
    assert outcome.data["trigger"]["type"] == "queue"
    assert not [a for a in outcome.assumptions if "ten minutes" in a], outcome.assumptions


def test_a_score_on_a_small_scale_keeps_the_briefs_numbers_and_exactly_is_equality():
    data = drafted(
        "Snow sensors publish readings on the Kafka topic slope-telemetry (station_id, snow_depth_cm). "
        "Ask an "
        "LLM to estimate avalanche risk on a 1-5 scale. If the risk is 4 or higher, page the ski patrol lead "
        "via PagerDuty. If the risk is exactly 3, just post a warning in the #patrol Slack channel. Each "
        "reading within 20 seconds."
    )
    score = step(data, "model", "score")
    assert score["output_schema"]["properties"]["score"]["maximum"] == 5
    assert step(data, "http", "page")["if"] == "{{ steps.check_score.output.score >= 4 }}"
    assert step(data, "http", "slack")["if"] == "{{ steps.check_score.output.score == 3 }}"


def test_a_message_the_model_drafts_is_the_text_sent_and_a_case_to_skip_is_no_sla():
    data = drafted(
        "Train delay events arrive on our Google Pub/Sub subscription rail-ops-delays with train_id and "
        "delay_minutes. When delay_minutes is 15 or more, draft a passenger notice with an LLM and push it "
        "through the Twilio SMS API. Under 15 minutes, do nothing. Target: notice out within 90 seconds of "
        "the event."
    )
    assert data["sla"]["latency_p95"] == "90s"
    sms = step(data, "http", "sms")
    assert sms["request"]["json"]["text"] == "{{ steps.check_reply.output.text }}", sms["request"]["json"]


def test_the_warning_a_model_writes_is_the_warning_the_sms_sends():
    data = drafted(
        "Fishing vessels post catches to our webhook: vessel_id, species, weight_kg. If this catch "
        "pushes the "
        "vessel past 90% of its quota, send the skipper a warning SMS. Use a model only to write the warning "
        "text in the skipper's language."
    )
    sms = step(data, "http", "sms")
    assert sms["request"]["json"]["text"].startswith("{{ steps.check_"), sms["request"]["json"]


def test_the_scale_a_score_is_given_on_is_no_band_of_it():
    data = drafted(
        "Grant applications come in through Submittable webhooks (application_id, proposal_text). Have the "
        "model score fit from 1 to 10 and write a short rationale. Post the rationale to the #grants Slack "
        "channel."
    )
    reply = step(data, "model", "reply")
    assert not reply.get("if"), reply.get("if")


def test_moving_an_item_is_an_action_and_it_is_n_or_less_reads_the_score():
    data = drafted(
        "Grant applications come in through Submittable webhooks (application_id, proposal_text). Have the "
        "model score fit from 1 to 10. If the fit score is 7 or more, move it to shortlist in "
        "Submittable; if "
        "it is 3 or less, send the polite decline template by email."
    )
    assert step(data, "http", "move")["if"] == "{{ steps.check_score.output.score >= 7 }}"
    assert step(data, "http", "email")["if"] == "{{ steps.check_score.output.score <= 3 }}"


def test_a_subset_that_gets_a_task_gets_one_and_shares_its_limit_with_the_email_after_it():
    data = drafted(
        "Bookings come in from Bookeo as a webhook with booking_id, customer_email and notes. Classify the "
        "notes as birthday, corporate, accessibility or none. Accessibility bookings get a task in Asana for "
        "the venue manager and the customer gets an email confirming the step-free entrance."
    )
    task, email = step(data, "http", "task"), step(data, "http", "email")
    assert task["if"] == email["if"] == "{{ steps.check_classify.output.label == 'accessibility' }}"
    assert "ASANA" in task["request"]["url"]


def test_a_threshold_for_one_kind_after_the_field_a_protocol_and_an_action_only_after_another():
    from copilot.draft.coverage import check

    brief = (
        "The blood bank publishes stock updates to the Kafka topic blood-stock, with product_code, "
        "blood_type, "
        "units_on_hand and expiry_date. If units_on_hand for O negative drops below 10, page the transfusion "
        'lead on PagerDuty straight away. Have an LLM write a transfer request using our "Emergency Supply '
        'Protocol", and send it to the regional service by email only after the page has gone out. Units '
        "expiring within 48 hours are added to the redistribution list in Airtable."
    )
    data = drafted(brief)
    page = step(data, "http", "page")
    assert page["if"] == "{{ (event.units_on_hand < 10) and (event.blood_type == 'O negative') }}"
    assert step(data, "retrieve")
    email = step(data, "http", "email")
    assert email["if"] == page["if"] and page["id"] in email["needs"]
    airtable = step(data, "http", "airtable")
    if not airtable.get("if"):
        assert any(f["code"] == "DR005" and "airtable" in f["message"] for f in check(data, brief).findings)


def test_what_guests_can_do_is_how_events_arrive_and_a_value_before_a_fields_name_tests_it():
    data = drafted(
        "Hotel guests can message the front desk through our WhatsApp Business integration; each message "
        "comes in as a webhook with guest_name, room_number, message_text and loyalty_tier. Answer the "
        "question in two sentences. For Platinum loyalty members, also notify the duty manager on Teams."
    )
    ids = [s["id"] for s in data["steps"]]
    assert not any("whatsapp" in i for i in ids), ids  # the source, not a destination
    assert step(data, "http", "teams")["if"] == "{{ event.loyalty_tier == 'Platinum' }}"


def test_a_hand_over_when_the_model_is_unsure_reads_the_replys_own_flag_and_holds_the_reply():
    data = drafted(
        "Our website chat widget posts each visitor question to a webhook with question and visitor_id. "
        "Have the model answer the question in two sentences. If the model is unsure about its answer, "
        "create a Zendesk ticket for a human agent instead of replying."
    )
    ticket = step(data, "http", "zendesk")
    assert ticket["id"] == "create_zendesk_ticket"
    gate = step(data, "validate", "check_")
    assert ticket["if"] == f"{{{{ not steps.{gate['id']}.output.grounded }}}}"
    assert {"expr": "input.grounded", "message": "the model is not sure of it"} in gate["rules"]
    assert gate["on_fail"]["action"] == "default" and gate["on_fail"]["value"]["grounded"] is False


def test_a_money_threshold_reads_the_events_one_money_field_and_a_thousands_comma_is_no_clause_end():
    orders = drafted(
        "Shopify sends us an orders/create webhook with order_id, total_price and customer_email. Orders "
        "over "
        "$500 go to the fraud review queue in Airtable. Send every customer a thank-you email."
    )
    assert step(orders, "http", "fraud")["if"] == "{{ event.total_price > 500 }}"
    grants = drafted(
        "Grant applications come in through Submittable webhooks (application_id, org_name, "
        "requested_amount, "
        "proposal_text). Applications asking for more than $250,000 go straight to the board review Airtable "
        "base regardless of score. Anything in between stays untouched."
    )
    routed = [s for s in grants["steps"] if s["type"] == "http"]
    assert [s["if"] for s in routed] == ["{{ event.requested_amount > 250000 }}"]
    outcome = draft_offline(
        DraftRequest(
            brief="Grant applications arrive by webhook. Email the board. Anything else stays untouched."
        )
    )
    assert not any("untouched" in u for u in outcome.unmapped), outcome.unmapped


def test_event_fields_tested_by_contains_a_band_outside_it_and_a_unit_after_the_number():
    data = drafted(
        "Pool controllers publish readings to the Kafka topic pool-chemistry, with pool_id, "
        "free_chlorine_ppm, "
        "ph and turbidity_ntu. If free chlorine drops below 1.0 ppm or the pH is outside 7.2-7.8, page the "
        'supervisor through PagerDuty. If the pool_id contains "kids", also email the lifeguard lead. If '
        "turbidity_ntu is 0.5 or more, post to the #pools Slack channel."
    )
    page = step(data, "http", "page")["if"]
    assert page == "{{ (event.free_chlorine_ppm < 1) or ((event.ph < 7.2 or event.ph > 7.8)) }}", page
    assert step(data, "http", "email")["if"] == "{{ 'kids' in event.pool_id }}"
    assert step(data, "http", "slack")["if"] == "{{ event.turbidity_ntu >= 0.5 }}"
    properties = data["trigger"]["event_schema"]["properties"]
    assert properties["ph"]["type"] == properties["free_chlorine_ppm"]["type"] == "number"
    assert properties["pool_id"]["type"] == "string"


def test_a_webhook_whose_work_may_take_minutes_is_acknowledged_and_the_work_runs_after():
    data = drafted(
        "Our tournament platform sends a webhook after every game with game_id, event_name and pgn. Have the "
        "model write a short review note of the game and open a case in Airtable with the note. Cases should "
        "be opened within 5 minutes."
    )
    assert data["respond"]["status"] == 202
    assert all(s.get("mode") == "async" for s in data["steps"] if s["type"] in ("model", "http"))


def test_a_writer_based_on_a_named_document_file_retrieves_it():
    data = drafted(
        "Pool controllers publish readings to the Kafka topic pool-chemistry with pool_id and turbidity_ntu. "
        "If turbidity_ntu is above 0.5, post a closure notice to the #pools Slack channel. Use the model "
        "only "
        "to write the text of that closure notice, based on the state health code excerpt we keep "
        "(pool-code-excerpt.md)."
    )
    writer = next(s for s in data["steps"] if s["type"] == "model")
    assert "docs" in writer["needs"] and step(data, "retrieve")


def test_an_action_never_carries_a_writer_that_runs_on_other_events():
    data = drafted(
        "Editorial Manager sends a webhook when a manuscript is submitted: manuscript_id, title, abstract, "
        "word_count and corresponding_author_email. Have the model decide in_scope or out_of_scope. If it's "
        "out of scope, draft a desk-rejection letter and save it as a draft in Editorial Manager. If "
        "word_count is over 8000, email the corresponding author asking for a shortened version."
    )
    email = step(data, "http", "email")
    assert email["if"] == "{{ event.word_count > 8000 }}"
    assert "check_reply" not in email.get("needs", []) and "check_reply" not in str(email["request"])


def test_a_field_compared_with_a_number_is_a_number_and_a_described_field_keeps_its_written_name():
    data = drafted(
        "We subscribe to the Kafka topic alerts.transients. Each message has alert_id, ra, dec, magnitude, "
        "classifier_score (0 to 1) and a short free-text broker_comment. Have the model classify each alert "
        "as one of supernova_candidate, variable_star, asteroid or artifact. If it's a "
        "supernova_candidate and "
        "the magnitude is brighter than 18.5 (i.e. the number is below 18.5), create a follow-up observation "
        "request in our scheduler."
    )
    schema = data["trigger"]["event_schema"]["properties"]
    assert "broker_comment" in schema and not any(n.startswith("short") for n in schema), list(schema)
    compared = [s["if"] for s in data["steps"] if "event.magnitude <" in str(s.get("if", ""))]
    assert compared and schema["magnitude"]["type"] == "number", (compared, schema["magnitude"])
    assert isinstance(data["trigger"]["example"]["magnitude"], float)


def test_work_handed_to_a_model_is_a_model_step_whatever_its_verb():
    data = drafted(
        "Twilio sends us an inbound SMS webhook with from_number, body and received_at. Have the model work "
        "out the job type (lockout_home, lockout_car, rekey, lock_install or not_a_job). For lock_install "
        "texts, post to the #installs Slack channel."
    )
    labels = step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert labels[:5] == ["lockout_home", "lockout_car", "rekey", "lock_install", "not_a_job"], labels
    quote = drafted(
        "Square sends a webhook with booking_id and requested_work. First, have the model break "
        "requested_work into individual alteration jobs. Then text the customer the list via Twilio."
    )
    writer = [s for s in quote["steps"] if s["type"] == "model"]
    assert writer and "break requested_work" in writer[0]["prompt"]["system"], [
        s["id"] for s in quote["steps"]
    ]


def test_someone_who_gets_paged_is_paged_and_a_message_telling_them_to_call_is_no_call():
    outcome = draft_offline(
        DraftRequest(
            brief="Twilio sends us an inbound SMS webhook with from_number and body. Classify each text as "
            "lockout, rekey or other. Urgent lockouts must get an immediate reply telling them to call 911 "
            "first, and the on-call locksmith gets paged."
        )
    )
    ids = [s["id"] for s in outcome.data["steps"]]
    assert any(i.startswith("page") for i in ids), ids
    assert not any("call" in i and "page" not in i for i in ids), ids  # "to call 911" is what the reply says
    assert "decide" not in ids  # "as lockout, rekey or other" are the classifier's labels, decided once


def test_a_label_kept_from_places_and_an_aside_that_says_the_condition_again():
    data = drafted(
        "We subscribe to the Kafka topic alerts.transients; each message has alert_id, magnitude and "
        "classifier_score. Have the model classify each alert as one of supernova_candidate, variable_star, "
        "asteroid or artifact. If it's a supernova_candidate and the magnitude is brighter than 18.5 (i.e. "
        "the number is below 18.5), create an observation request in our scheduler. Only post to the "
        "#night-ops Slack channel when classifier_score is at least 0.8. Artifacts must never be sent to the "
        "scheduler or to Slack."
    )
    label = "steps.check_classify.output.label"
    request = step(data, "http", "request")["if"]
    assert "event.magnitude < 18.5" in request and "== 'supernova_candidate'" in request, request
    assert "brighter" not in request and "output.magnitude" not in request, request
    slack = step(data, "http", "slack")["if"]
    assert f"not ({label} == 'artifact')" in slack and "event.classifier_score >= 0.8" in slack, slack


def test_listed_values_of_a_field_open_the_sentences_that_act_on_them():
    data = drafted(
        "OctoPrint sends a webhook when a job ends, with printer_id, status (completed, failed or "
        "cancelled), "
        "filament_used_g and snapshot_caption. Have the model classify the failure cause from the caption as "
        "adhesion, clog, spaghetti, layer_shift or other. Requeue the job via our queue API only if "
        "filament_used_g is under 200; if it's 200 g or more, email the shop manager asking for approval. "
        'Completed jobs just set the order status to "printed" in our order system.'
    )
    labels = step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert labels == ["adhesion", "clog", "spaghetti", "layer_shift", "other"], labels
    assert step(data, "http", "email")["if"] == "{{ event.filament_used_g >= 200 }}"
    assert step(data, "http", "status")["if"] == "{{ event.status == 'completed' }}"
    assert data["trigger"]["event_schema"]["properties"]["status"]["examples"] == [
        "completed",
        "failed",
        "cancelled",
    ]


def test_a_decision_of_listed_labels_drives_the_actions_and_what_staff_will_do_is_no_step():
    data = drafted(
        "When our FillStation controller sends a webhook for a completed tank fill, the event carries "
        "tank_serial, gas_mix and customer_email. First, have the model check the tank against our "
        '"Cylinder Inspection Policy" PDF and decide one of three labels: ok, needs_inspection, or '
        "quarantine, quoting the policy section it relied on. If the label is quarantine, post a message to "
        "the #fill-room Slack channel. Only if the label is ok, send the customer an email with their fill "
        "receipt. Never email a customer about a quarantined tank — staff will call them."
    )
    decide = step(data, "model", "decide")
    assert decide["output_schema"]["properties"]["decision"]["enum"] == [
        "ok",
        "needs_inspection",
        "quarantine",
    ]
    assert step(data, "http", "slack")["if"] == "{{ steps.check_decide.output.decision == 'quarantine' }}"
    assert step(data, "http", "email")["if"] == "{{ steps.check_decide.output.decision == 'ok' }}"
    assert not [s for s in data["steps"] if s["type"] == "model" and s["id"] == "classify"]
    assert not [s for s in data["steps"] if "call" in s["id"]]  # the staff's call, not the flow's


def test_an_unquoted_word_a_list_field_includes_and_statements_about_people_or_timing_are_no_work():
    from copilot.draft.coverage import check

    brief = (
        "Our technicians submit service reports through PestPac, which fires a webhook with job_id, "
        "pests_found (a list) and technician_notes. Use the model to write a plain-language summary for "
        'the homeowner, using only the product labels in our "Approved Products" folder. Then send the '
        "summary to the customer by SMS. If pests_found includes termites or bed bugs, also create a "
        "follow-up inspection in PestPac. If we hold no record of the job, email the office. Customers "
        "should get the message within a minute."
    )
    data = draft_offline(DraftRequest(brief=brief)).data
    inspection = step(data, "http", "inspection")["if"]
    assert inspection == "{{ ('termites' in event.pests_found) or ('bed bugs' in event.pests_found) }}"
    assert not any(s.get("if") and "approved" in s["if"] for s in data["steps"])  # a quoted name, no verdict
    assert not any("minute" in s["id"] or "hold" in s["id"] for s in data["steps"]), [
        s["id"] for s in data["steps"]
    ]
    assert not any("technicians submit" in f["message"] for f in check(data, brief).findings)


def test_a_hard_rule_makes_the_outcome_whatever_the_model_says_and_a_lead_or_instead_is_no_model_work():
    data = drafted(
        "Reservation changes arrive on the Kafka topic reservations.changed with reservation_id, "
        "guest_email, party_size, pets and special_requests. Have the model read the special_requests and "
        "answer whether the reservation violates any rule. If party_size is over 6, or pets is more than "
        "2, it's a violation no matter what. For violations, email the guest and add a note in Campspot. "
        "For medical requests, forward them to the ranger inbox instead of answering them with the model."
    )
    email = step(data, "http", "email")["if"]
    assert "(event.party_size > 6) or (event.pets > 2)" in email, email
    assert step(data, "http", "note")["if"] == email
    kinds = [s["id"] for s in data["steps"] if s["type"] == "model"]
    assert "moderate" not in kinds and kinds.count("reply") + kinds.count("answer") == 1, kinds


def test_a_budget_per_period_is_no_budget_per_event_unless_the_brief_counts_the_events():
    from copilot.draft.numbers import read_cost

    assert (
        read_cost(["Keep each run under 20 seconds and the monthly model spend under $15."], []).budget
        is None
    )
    spread = read_cost(["We can spend $10 for a season of ~4,000 box requests."], [])
    assert spread.budget == 0.0025 and spread.budget_text == "$10 for a season of ~4,000 box requests"


def test_a_rule_that_something_must_always_go_to_an_outcome_is_no_message_of_its_own():
    data = drafted(
        "RinkMonitor posts ice readings to our webhook with sheet_id and ice_thickness_mm. Have the model "
        "classify each sheet as resurface, wait or maintenance. A sheet with ice_thickness_mm under 25 must "
        "always go to maintenance no matter what the model says. For maintenance, open a ticket in our "
        "Freshservice queue."
    )
    ticket = step(data, "http", "ticket")
    assert "event.ice_thickness_mm < 25" in ticket["if"] and "'maintenance'" in ticket["if"], ticket["if"]
    assert [s["id"] for s in data["steps"] if s["type"] == "http"] == [ticket["id"]]


@pytest.mark.parametrize(
    ("said", "budget"),
    [
        ("id like it under a nickel per inspection", 0.05),
        ("keep it cheap, a few tenths of a cent each", 0.003),
        ("no more than a dime per request", 0.1),
    ],
)
def test_coins_and_a_few_tenths_of_a_cent_are_budgets(said, budget):
    from copilot.draft.numbers import read_cost

    assert read_cost([said], []).budget == pytest.approx(budget)


def test_a_hurried_brief_lists_fields_after_w_slash_and_wants_the_model_to_do_its_work():
    outcome = draft_offline(
        DraftRequest(
            brief="our inspectors fill out the inspection in the HearthBook app and it posts a webhook to us "
            "w/ job id, homeowner email, flue type, cracks found yes/no and inspector notes which are kinda "
            "messy. want the model to turn the notes into a clean report for the homeowner. email the "
            "homeowner the report."
        )
    )
    fields = outcome.data["trigger"]["event_schema"]["properties"]
    assert {"job_id", "homeowner_email", "flue_type", "cracks_found", "inspector_notes"} <= set(fields), (
        fields
    )
    assert any(s["type"] == "model" for s in outcome.data["steps"])
    assert not any("want the model" in u for u in outcome.unmapped), outcome.unmapped


def test_then_orders_one_action_after_another_and_a_colon_says_how_an_action_is_done():
    data = drafted(
        "Pool controllers publish readings to the Kafka topic pool-chemistry with pool_id and "
        "turbidity_ntu. If turbidity_ntu is above 0.5 we have to close that pool: set the pool status to "
        '"closed" in our facility system and then post a closure notice to the #pools Slack channel.'
    )
    http = [s for s in data["steps"] if s["type"] == "http"]
    assert [s["id"] for s in http] == ["set_status", "notify_slack"], [s["id"] for s in http]
    assert "set_status" in http[1]["needs"]
    assert http[0]["if"] == http[1]["if"] == "{{ event.turbidity_ntu > 0.5 }}"


@pytest.mark.parametrize(
    "said",
    [
        "Our pool controllers publish readings every minute to the MQTT topic pools/+/chemistry.",
        "Kilns publish telemetry to MQTT `studio/kilns/+/telemetry` every 10 seconds.",
    ],
)
def test_an_mqtt_topic_path_is_the_queue_it_names(said):
    from copilot.draft.triggers import read_trigger

    trigger = read_trigger([said], [])
    assert (trigger.kind, trigger.broker) == ("queue", "mqtt") and "/+/" in (trigger.topic or ""), trigger


def test_a_yes_no_field_said_as_whether_and_but_only_if_and_if_instead_around_two_actions():
    data = drafted(
        "Pinsetters report faults to the Kafka topic lane-faults, with lane_number, fault_code and whether a "
        "game is currently in progress on that lane. Have the model classify each fault as front_desk_reset, "
        "mechanic_needed, or lane_closed. For lane_closed, mark the lane out of service in our Conqueror "
        "system, but only if no game is in progress — if a game is in progress, notify the front desk "
        "instead."
    )
    assert data["trigger"]["event_schema"]["properties"]["game_in_progress"]["type"] == "boolean"
    mark, notify = [s for s in data["steps"] if s["type"] == "http"]
    assert "not (event.game_in_progress" in mark["if"] and "'lane_closed'" in mark["if"], mark["if"]
    assert "not (" not in notify["if"] and "event.game_in_progress" in notify["if"], notify["if"]


def test_not_in_a_condition_keeps_its_sense_for_options_pronouns_and_counts_of_hours():
    fee = drafted(
        "Calendly sends an invitee.canceled webhook with student_email, cancel_reason and "
        "hours_before_start. First, have the model read the cancel_reason and decide whether it's "
        "weather, illness, vehicle, or no_reason. If hours_before_start is below 24 and the reason is not "
        "weather or illness, charge the $35 late-cancellation fee through Square."
    )
    charge = step(fee, "http", "fee")["if"]
    assert "event.hours_before_start < 24" in charge and "decision not in ['weather', 'illness']" in charge, (
        charge
    )
    roast = drafted(
        "Cropster sends a webhook when each batch finishes, with batch_id and weight_loss_pct. The model "
        "compares the batch to the target profile and says if its on-profile, underdeveloped, or "
        "overroasted. if its not on-profile, set the batch status to QC Hold in Cropster. couple cents per "
        "batch max."
    )
    hold = step(roast, "http", "status")["if"]
    assert hold.startswith("{{ not (") and "on_profile" in hold, hold
    assert roast["sla"]["max_cost_per_event"] == 0.02


def test_a_threshold_on_the_events_own_confidence_is_no_model_score_and_based_on_the_event_is_no_document():
    data = drafted(
        "Our facility gets fall-detection events from wearable pendants on an AWS SQS queue called "
        "fall-alerts. Each message contains resident_id, room_number, confidence (0 to 1) and heart_rate. If "
        "confidence is 0.8 or higher, immediately page the nurse on duty in PagerDuty. Then have the model "
        "write a one-paragraph incident note based only on the event fields. If confidence is between 0.5 "
        "and 0.8, just create a check-on-resident task in Asana."
    )
    models = [s["id"] for s in data["steps"] if s["type"] == "model"]
    assert "score" not in models and "classify" not in models, models
    assert not [s for s in data["steps"] if s["type"] == "retrieve"]
    assert step(data, "http", "page")["if"] == "{{ event.confidence >= 0.8 }}"
    assert step(data, "http", "check")["if"] == "{{ (event.confidence >= 0.5 and event.confidence <= 0.8) }}"


def test_a_persons_name_field_is_personal_for_the_drafter_as_for_the_linter_and_a_model_flag_is_no_call(
    tmp_path,
):
    from copilot.draft.drafting import DraftOptions, draft

    brief = (
        "when someone books a class on our Acuity page we get a webhook w/ booking_id, client_name, "
        "client_email, class_type and notes. otherwise have the AI read the notes and flag anything about "
        "burns. if age is under 16 email them our minors notice. private classes also get added to the "
        "Google Calendar of the lead instructor."
    )
    options = DraftOptions(provider="offline", allow_findings=True, out=str(tmp_path / "flow.yaml"))
    outcome = draft(DraftRequest(brief=brief), options)
    assert outcome.exit_code in (0, 1), outcome  # was 2: the email body carried client_name (FG713)
    data = draft_offline(DraftRequest(brief=brief)).data
    assert "event.client_name" in data["observability"]["redact"]
    assert not any("client_name" in str(s.get("request", {}).get("json", {})) for s in data["steps"])
    assert not [s for s in data["steps"] if s["type"] == "http" and s["id"].startswith("flag")]
    assert any(s["type"] == "model" for s in data["steps"])


def test_an_email_to_someone_the_event_has_no_address_for_goes_to_no_one_else_and_a_knots_field_is_a_number():
    data = drafted(
        "FlightDeck sends a webhook with flight_id, surface_wind_kt, wind_at_1000ft_kt, passenger_count and "
        "pilot_email. Have the model decide go, delay or cancel. For cancel, email every passenger through "
        "Postmark offering a rebooking link. For delay, email the pilot the reason."
    )
    emails = [s for s in data["steps"] if s["type"] == "http" and "email" in s["id"]]
    to = {s["if"]: s["request"]["json"].get("to") for s in emails}
    assert to == {
        "{{ steps.check_decide.output.decision == 'cancel' }}": None,
        "{{ steps.check_decide.output.decision == 'delay' }}": "{{ event.pilot_email }}",
    }, to
    assert all("Flight flight" not in str(s["request"]["json"]) for s in emails)
    assert data["trigger"]["event_schema"]["properties"]["wind_at_1000ft_kt"]["type"] == "number"


def test_a_business_that_books_through_a_product_sets_the_scene_and_an_allowed_recipient_is_no_violation():
    from copilot.draft.coverage import check

    brief = (
        "Our driving school books lessons through Calendly, and when a student cancels, Calendly sends us "
        "an invitee.canceled webhook with student_email, instructor_email and cancel_reason. Email the "
        "instructor that the slot is free, and email the student a short confirmation. Do not ever email "
        "anyone other than the student and instructor."
    )
    data = drafted(brief)
    to = sorted(str(s["request"]["json"].get("to")) for s in data["steps"] if s["type"] == "http")
    assert to == ["{{ event.instructor_email }}", "{{ event.student_email }}"], to
    codes = [(f["code"], f["message"][:60]) for f in check(data, brief).findings]
    assert not [c for c in codes if c[0] in ("DR007", "DR010")], codes


def test_a_listed_value_in_a_second_conjunct_tests_its_field():
    data = drafted(
        "Square Appointments sends a webhook with booking_id, owner_email, dog_weight_kg, service (bath, "
        "full_groom or nail_trim) and notes. If dog_weight_kg is over 40 and the service is full_groom, add "
        "30 minutes to the booking in Square."
    )
    assert (
        step(data, "http", "add")["if"]
        == "{{ (event.dog_weight_kg > 40) and (event.service == 'full_groom') }}"
    )


def test_a_checked_api_is_a_lookup_whose_answer_a_threshold_reads_and_an_order_ends_the_condition():
    data = drafted(
        "Hut reservations come in on the Kafka topic huts.reservations with reservation_id, guest_email and "
        "party_size. First check the avalanche bulletin API for the hut's region. If the danger level is 4 "
        "or more email the guests that the approach is closed and cancel the reservation in our HutBook "
        "system."
    )
    assert step(data, "http", "lookup")["request"]["method"] == "GET"
    level = "{{ steps.lookup.output.level is defined and steps.lookup.output.level >= 4 }}"
    assert step(data, "http", "email")["if"] == step(data, "http", "cancel")["if"] == level
    assert not [s for s in data["steps"] if s["type"] == "model" and s["id"] == "decide"]
    assert data["trigger"]["event_schema"]["properties"]["party_size"]["type"] == "number"  # a count


def test_a_message_whose_content_comes_from_a_guide_is_written_from_it_and_sent():
    data = drafted(
        "Square Appointments sends a webhook with booking_id, owner_email and notes. Classify the notes "
        "as calm or anxious. Then email the owner a confirmation with the prep tips from our grooming "
        "guide (only use the guide). Never cancel a booking automatically."
    )
    email = step(data, "http", "email")
    writer = step(data, "model", "answer")
    assert any(s["type"] == "retrieve" and s["id"] in writer["needs"] for s in data["steps"])
    assert f"steps.check_{writer['id']}.output.text" in email["request"]["json"]["text"]
    assert f"check_{writer['id']}" in email["needs"]
    assert "message" in writer["prompt"]["system"] and "grooming guide" in writer["prompt"]["system"]


def test_a_prohibition_no_step_breaks_is_understood():
    from copilot.draft.reader import read

    reading = read(
        "Square sends a webhook with booking_id and notes. Classify the notes as calm or anxious. "
        "Never cancel a booking automatically."
    )
    assert not [u for u in reading.unmapped if "cancel" in u], reading.unmapped


def test_a_post_that_asks_for_an_approval_is_drafted_and_a_plural_subject_reads_its_count_field():
    from copilot.draft.coverage import check

    brief = (
        "Reservations come in on the Kafka topic huts.reservations with reservation_id, guest_email and "
        "party_size. Classify the reservation as a or b. parties over 12 need the warden's approval so post "
        "those to the #wardens slack channel."
    )
    data = drafted(brief)
    assert step(data, "http", "slack")["if"] == "{{ event.party_size > 12 }}"
    assert not [f for f in check(data, brief).findings if f["code"] in ("DR001", "DR006")]


def test_a_record_change_verb_is_an_action_and_never_on_some_events_guards_it():
    data = drafted(
        "Appeals arrive from our Granicus form as a webhook with appeal_id, citation_number and "
        "appellant_email. First look up the citation in the Tiburon citation system by citation_number to "
        "get the fine amount and the number of prior citations. Then score its merit from 0 to 1. If the "
        "merit score is 0.8 or higher, void the citation in Tiburon and email the appellant that the appeal "
        "was granted. Never void a citation for a plate with more than 3 prior citations, whatever the "
        "model says."
    )
    void = step(data, "http", "void")
    assert "not (steps.lookup.output.prior_citations" in void["if"] and "> 3" in void["if"], void["if"]
    assert "prior_citations" not in step(data, "http", "email")["if"]
    assert "Score the merit of this" in step(data, "model", "score")["prompt"]["system"]


def test_a_score_against_a_rubric_reads_it_and_a_threshold_above_one_is_out_of_100():
    data = drafted(
        "Submittable sends a webhook with application_id, contact_email and proposal_text. Score it against "
        "the rubric in our 2025 Funding Guidelines document. If the rubric score is below 40, flag the "
        "application as 'needs revision' in Submittable. Answer within 10 seconds."
    )
    score = step(data, "model", "score")
    assert "against the rubric in our 2025 Funding Guidelines document" in score["prompt"]["system"]
    assert "risk" not in score["prompt"]["system"]
    assert any(s["type"] == "retrieve" and s["id"] in score["needs"] for s in data["steps"])
    assert step(data, "http", "flag")["if"] == "{{ steps.check_score.output.score < 40 }}"


def test_an_action_verb_handed_to_a_model_with_no_system_is_model_work():
    data = drafted(
        "Placement tests arrive by webhook with response_id, student_email and writing_sample. Have an AI "
        "place the student at a level. Email the student their level via SendGrid. 8 seconds."
    )
    assert not [s for s in data["steps"] if s["type"] == "http" and s["id"].startswith("place")]
    assert any(s["type"] == "model" for s in data["steps"])


def test_measures_bounds_and_lists_are_typed_as_the_event_carries_them():
    data = drafted(
        "Results arrive on RabbitMQ with result_id, value, reference_low, reference_high, months_active, "
        "term_months and target_languages. Summarise each result. Post it to the #lab Slack channel."
    )
    schema = data["trigger"]["event_schema"]["properties"]
    assert [schema[f]["type"] for f in ("value", "reference_low", "reference_high")] == ["number"] * 3
    assert schema["months_active"]["type"] == schema["term_months"]["type"] == "number"
    assert schema["target_languages"] == {"type": "array"}  # its items unknown: strings or objects


def test_the_response_names_the_event_by_its_listed_id_when_no_delivery_id_comes():
    data = drafted(
        "Appeals arrive from our Granicus form as a webhook with appeal_id, citation_number and reason_text. "
        "Classify the reason as signage or meter. Answer within 3 s."
    )
    assert data["respond"]["body"]["id"] == "{{ event.id | default(event.appeal_id | default('')) }}"


LAB_BRIEF = (
    "Our LIMS publishes every result to the RabbitMQ queue lims.results with sample_id, patient_mrn, "
    "analyte, value, reference_low, reference_high and ordering_physician_id. If the value falls outside "
    "the reference range, have the model write a two-sentence note for the chart. If the value is more "
    "than twice reference_high or below half of reference_low, page the ordering physician through "
    "PagerDuty and post the result to the lab supervisors' Teams channel. First look up the physician's "
    "pager in our provider directory API by ordering_physician_id, then page. Never include the "
    "patient_mrn in the Teams post."
)


def test_a_field_against_the_events_own_bounds_and_their_multiples_is_compared_field_to_field():
    data = drafted(LAB_BRIEF)
    note = step(data, "model", "reply")
    assert note["if"] == "{{ (event.value < event.reference_low) or (event.value > event.reference_high) }}"
    critical = "{{ (event.value > event.reference_high * 2) or (event.value < event.reference_low * 0.5) }}"
    assert step(data, "http", "page")["if"] == step(data, "http", "teams")["if"] == critical
    assert "lookup" in step(data, "http", "page")["needs"]  # "First look up the pager, then page"


def test_a_field_the_brief_keeps_out_of_a_message_is_not_in_its_payload():
    from copilot.draft.coverage import check

    data = drafted(LAB_BRIEF)
    assert "patient_mrn" not in str(step(data, "http", "teams")["request"]["json"])
    assert not [f for f in check(data, LAB_BRIEF).findings if f["code"] == "DR007"]
    # a hand-written flow that sends it is told so
    step(data, "http", "teams")["request"]["json"]["details"] = {
        "mrn": "{{ event.patient_mrn }}",
        "patient_mrn": 1,
    }
    found = [f for f in check(data, LAB_BRIEF).findings if f["code"] == "DR007"]
    assert found and "patient_mrn" in found[0]["message"], found


def test_an_estimate_on_a_scale_is_a_score_its_threshold_reads_and_instead_of_limits_the_others():
    data = drafted(
        "Residents report leaks through SeeClickFix, which calls our webhook with request_id, address and "
        "description. Classify the report as main break, service line, meter, hydrant or not a leak, and "
        "estimate severity from 1 to 5. If it is a main break or the severity is 4 or higher, create an "
        "emergency work order in Cityworks. If it is not a leak, close the request in SeeClickFix instead "
        "of creating any work order."
    )
    labels = step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert "not_leak" in labels and not [lb for lb in labels if "severity" in lb], labels
    assert "Score the severity" in step(data, "model", "score")["prompt"]["system"]
    assert "steps.check_score.output.score >= 4" in step(data, "http", "create")["if"]
    assert "event.severity" not in str(data["steps"])
    assert step(data, "http", "close")["if"] == "{{ steps.check_classify.output.label == 'not_leak' }}"
    assert "not (steps.check_classify.output.label == 'not_leak')" in step(data, "http", "create")["if"]


def test_two_messages_to_one_person_on_different_events_say_what_the_brief_says():
    data = drafted(
        "Jotform posts a webhook with submission_id, homeowner_email, roof_age_years and shading_notes. "
        "Score the site's solar feasibility from 0 to 100. The feasibility reasoning must only use our "
        "Residential Installation Standards guide, not general knowledge. If roof_age_years is over 20, "
        "email the "
        "homeowner that a roof inspection is needed before we can quote. If the feasibility score is 70 or "
        "above, create a deal in HubSpot; otherwise send the homeowner a polite note saying solar may not "
        "pay off for their roof."
    )
    emails = [s for s in data["steps"] if s["type"] == "http" and "email" in s["id"]]
    texts = {s["if"]: s["request"]["json"]["text"] for s in emails}
    assert texts == {
        "{{ event.roof_age_years > 20 }}": "A roof inspection is needed before we can quote.",
        "{{ not (steps.check_score.output.score >= 70) }}": "Solar may not pay off for your roof.",
    }, texts
    assert all(s["request"]["json"]["to"] == "{{ event.homeowner_email }}" for s in emails)
    score = step(data, "model", "score")
    assert "docs" in score["needs"] and "Score the solar feasibility" in score["prompt"]["system"]


def test_a_messy_brief_lists_labels_for_the_ai_and_each_pronoun_if_reads_its_own_label():
    brief = (
        "ok so guests message us on whatsapp and mews forwards every message to our webhook, it has "
        "reservation_id, room_number, guest_name, message and language. we want the ai to figure out what "
        "they want (housekeeping, maintenance, food, checkout, complaint or other) and write a reply in the "
        "guests language. if its maintenance open a task in our hotelkit for the engineering team, if its a "
        "complaint ping the duty manager on teams right away and dont let the bot reply itself in that case. "
        "should feel instant, like under 2 sec."
    )
    data = drafted(brief)
    labels = step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert labels == ["housekeeping", "maintenance", "food", "checkout", "complaint", "other"], labels
    assert "== 'maintenance'" in step(data, "http", "task")["if"]
    assert step(data, "http", "teams")["if"] == "{{ steps.check_classify.output.label == 'complaint' }}"
    assert not [s for s in data["steps"] if s["id"] == "message"]  # a field of the event, no action
    held = [
        s.get("if", "") for s in data["steps"] if s["type"] in ("model", "retrieve") and s["id"] != "classify"
    ]
    assert any("not (steps.check_classify.output.label == 'complaint')" in w for w in held), held
    from copilot.draft.reader import read

    assert not [u for u in read(brief).unmapped if "instant" in u or "maintenance" in u]


def test_a_messy_label_list_after_a_dash_and_an_if_clause_of_labels_and_a_tenure_are_all_read():
    data = drafted(
        "mindbody hits our webhook w/ member_id, home_club, months_active, reason (free text) and email. "
        "want "
        "ai to read the reason and tag it - moving, price, injury, not using it, unhappy w staff, other. if "
        "price or not using it and theyve been active more then 6 months send them a retention offer email. "
        "injury ones should get a freeze option email instaed of cancel. needs to answer mindbody in like 3 "
        "secs max"
    )
    labels = step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert labels == ["moving", "price", "injury", "not_using_it", "unhappy_w_staff", "other"], labels
    ifs = sorted(s["if"] for s in data["steps"] if s["type"] == "http" and "email" in s["id"])
    label = "steps.check_classify.output.label"
    assert ifs == [
        f"{{{{ (event.months_active > 6) and (({label} == 'price') or ({label} == 'not_using_it')) }}}}",
        f"{{{{ {label} == 'injury' }}}}",
    ], ifs
    assert not [s for s in data["steps"] if s["type"] == "model" and s["id"] == "reply"]  # the SLA


def test_a_listed_value_lead_a_slack_dm_a_model_judged_condition_and_a_conditional_reply_rule():
    from copilot.draft.coverage import check

    brief = (
        "Music supervisors request sync licences through our Airtable form, which triggers a webhook with "
        "request_id, requester_email, company, project_type (film, tv, ad, trailer, game or web) and "
        "budget_usd. Draft a reply to the requester that quotes a fee using only our Sync Licensing Rate "
        "Sheet. If the budget_usd is below 500, the reply should politely decline instead of quoting. For "
        "trailer requests, route the request to the licensing lead by Slack DM instead. If the company is a "
        "major brand, as judged by the model, also post the request to the #licensing-deals Slack channel."
    )
    data = drafted(brief)
    slack = sorted(s["if"] for s in data["steps"] if s["type"] == "http" and "slack" in s["id"])
    assert slack == [
        "{{ event.project_type == 'trailer' }}",
        "{{ steps.check_classify.output.company_major_brand }}",
    ], slack
    writer = step(data, "model", "answer")["prompt"]["system"]
    assert "If the budget_usd is below 500, the reply should politely decline instead of quoting" in writer
    gaps = [f["message"][:70] for f in check(data, brief).findings if f["code"] in ("DR010", "DR001")]
    assert not gaps, gaps


def test_a_score_band_said_as_scoring_between_is_the_scores_and_never_crashes_beside_a_lookup():
    data = drafted(
        "ShelterLuv calls our webhook with application_id, applicant_email, animal_id and a why_adopt essay. "
        "First look up the animal's record in ShelterLuv by animal_id, then score the application's fit "
        "from 0 to 100. Applications scoring 75 or above get an email inviting the applicant to book a "
        "meet-and-greet. Applications scoring between 40 and 74 go to the adoption counsellors' Teams "
        "channel. Never mention the score in anything sent to the applicant."
    )
    teams = step(data, "http", "teams")
    assert teams["if"] == (
        "{{ steps.check_score.output.score >= 40 and steps.check_score.output.score <= 74 }}"
    )  # 74 itself is "between 40 and 74" on a whole-number scale
    assert "score" in str(teams["request"]["json"])  # the counsellors see it
    assert "check_score.output.score" not in str(step(data, "http", "email")["request"]["json"])


def test_a_band_of_what_a_lookup_returns_is_a_test_not_a_crash():
    from copilot.draft.reading import Condition
    from copilot.draft.side_effects import condition_expr

    band = Condition("returned", "between 2 and 8", "range", (2.0, 8.0), output_field="temp")
    expr, reads = condition_expr(band, {"lookup": "lookup"}) or ("", [])
    assert "steps.lookup.output.temp >= 2 and steps.lookup.output.temp <= 8" in expr and reads == ["lookup"]


def test_otherwise_if_never_with_a_flag_and_flags_typed_as_booleans():
    data = drafted(
        "Microsoft Forms triggers a webhook with application_id, contact_email, crew_size, "
        "road_closure_needed, pyrotechnics and a description. Score its neighbourhood impact from 1 to 10 "
        "using only the Film Permit Guidelines. If road_closure_needed is true or pyrotechnics is true, "
        "email the application to the traffic and fire departments. Otherwise, if the impact score is 3 or "
        "below, issue a provisional permit by creating a record in Accela. For impact scores above 7, also "
        "notify the district councillor's office by email. Never issue a provisional permit for an "
        "application with pyrotechnics."
    )
    schema = data["trigger"]["event_schema"]["properties"]
    assert schema["road_closure_needed"]["type"] == schema["pyrotechnics"]["type"] == "boolean"
    permit = step(data, "http", "permit")["if"]
    assert "not (event.pyrotechnics | default(''))" in permit, permit
    assert "not ((event.road_closure_needed | default('')) or (event.pyrotechnics | default('')))" in permit
    assert "steps.check_score.output.score <= 3" in permit
    assert any(s.get("if") == "{{ steps.check_score.output.score > 7 }}" for s in data["steps"])
    assert "docs" in step(data, "model", "score")["needs"]


def test_but_never_for_some_events_limits_the_action_said_before_it():
    data = drafted(
        "Dockwa posts a webhook with reservation_id, boater_email, vessel_name, vessel_length_ft, nights "
        "and a "
        "free-text notes field. Classify the notes as fuel, pump-out or none. Email the boater a "
        "confirmation, "
        "but never email a boater whose vessel is over 60 feet, because the dockmaster calls them instead."
    )
    assert step(data, "http", "email")["if"] == "{{ not (event.vessel_length_ft > 60) }}"
    assert "notes" in data["trigger"]["event_schema"]["properties"]


def test_a_lookups_purpose_is_no_condition_and_never_a_dependency_on_itself():
    data = drafted(
        "Stripe sends charge.refund.requested webhooks; the metadata includes sailing_id and reason. Look up "
        "the sailing in our Navis scheduling system by sailing_id to see if it was cancelled or delayed more "
        "than 90 minutes. If the sailing was cancelled, issue the full refund through the Stripe refunds API."
    )
    lookup = step(data, "http", "lookup")
    assert "if" not in lookup and lookup["id"] not in (lookup.get("needs") or [])


def test_a_messy_brief_with_an_urgency_scale_two_word_labels_and_a_quiet_window():
    brief = (
        "ok so seeclickfix posts to us whenever someone reports a snow issue, fields are issue_id, address, "
        "category, description and reporter_phone (sometimes empty). we want the ai to figure out if its an "
        "unplowed street, a blocked hydrant, ice on sidewalk or somthing else and how urgent 1-5. if urgency "
        "is 4 or more AND its a blocked hydrant text the fire dept liason right away, otherwise if its an "
        "unplowed street put it in the plow routing queue. if reporter phone is there send them an sms "
        "saying "
        "we got it, dont send sms between 11pm and 6am tho."
    )
    data = drafted(brief)
    label = "steps.check_classify.output.label"
    urgent = f"(steps.check_score.output.score >= 4) and ({label} == 'blocked_hydrant')"
    assert step(data, "http", "sms")["if"] == f"{{{{ {urgent} }}}}"
    assert (
        step(data, "http", "plow")["if"] == f"{{{{ (not ({urgent})) and ({label} == 'unplowed_street') }}}}"
    )
    assert "Score the urgency" in step(data, "model", "score")["prompt"]["system"]
    assert not [s for s in data["steps"] if "event.sms" in str(s.get("if", ""))]
    from copilot.draft.coverage import unread_instructions
    from copilot.draft.reader import read

    assert any("hours of the day" in f["message"] for f in unread_instructions(read(brief).unmapped, data))


def test_final_check_8_a_filter_said_as_need_nothing_a_first_lookup_and_a_kept_action_flagged():
    from copilot.draft.coverage import unread_instructions
    from copilot.draft.reader import read

    turbine = (
        "SCADA publishes readings to the Kafka topic turbines.vibration with turbine_id, vibration_mm_s and "
        "wind_speed_ms. If vibration_mm_s is above 11, page the site technician in PagerDuty. Readings "
        "inside the limits need nothing. Never page for a turbine whose wind_speed_ms is under 3."
    )
    assert not read(turbine).unmapped
    assert step(drafted(turbine), "http", "page")["if"] == (
        "{{ (not (event.wind_speed_ms < 3)) and (event.vibration_mm_s > 11) }}"
    )
    waitlist = (
        "banner hits our webhook w/ course_id, seats_open and instructor_email. first check the waitlist "
        "api for the next student in line. if seats_open is 3 or more email the instructor a heads up, "
        "otherwise just text the next student via twilio that they have 24 hours to claim the seat. if the "
        "student is an international student dont text them. keep it around a cent"
    )
    data = drafted(waitlist)
    assert data["sla"]["max_cost_per_event"] == 0.01
    assert "lookup" in step(data, "http", "sms")["needs"] and "lookup" in step(data, "http", "email")["needs"]
    found = unread_instructions(read(waitlist).unmapped, data)
    assert any("keeps an action from some events" in f["message"] for f in found), found


def test_readings_published_to_a_topic_are_readings_not_a_noun_from_elsewhere():
    from copilot.draft.reader import read

    reading = read(
        "Our wind farm's SCADA system publishes turbine readings to the Kafka topic turbines.vibration, with "
        "turbine_id and vibration_mm_s. If vibration_mm_s is above 11, page the site technician in PagerDuty "
        "and open an incident in Maximo."
    )
    assert reading.noun == "reading"


def test_final_check_9_one_field_two_bounds_and_an_unread_condition_on_a_drafted_step_is_a_gap():
    from copilot.draft.coverage import unread_instructions
    from copilot.draft.reader import read

    brewery = (
        "Tank controllers publish readings to the MQTT topic brewery/tanks/+/status with tank_id, gravity "
        "and temp_c. If temp_c is above 22 or below 16, text the brewer on duty via Twilio."
    )
    assert step(drafted(brewery), "http", "sms")["if"] == "{{ (event.temp_c > 22) or (event.temp_c < 16) }}"
    library = (
        "Koha sends a webhook with hold_id, patron_email, item_format (book, dvd or ebook) and branch. "
        "If the "
        "item is an ebook, email the patron the OverDrive link. Otherwise, if a copy is available at their "
        "branch, email the patron that it is ready for pickup."
    )
    data = drafted(library)
    found = unread_instructions(read(library).unmapped, data)
    # no lookup fetches it: the classifier guesses it, said as a gap, beside the otherwise
    assert any("the classifier guesses it" in f["message"] for f in found), found
    assert step(data, "http", "notify_email_2")["if"] == (
        "{{ (not (event.item_format == 'ebook')) and (steps.check_classify.output.copy_available_at) }}"
    )


def test_a_condition_on_what_the_first_lookup_fetched_is_its_answer_beside_the_otherwise():
    library = (
        "Koha sends a webhook with hold_id, patron_email, item_format (book, dvd or ebook) and branch. "
        "First look up the item's availability in the Koha API by hold_id. If the item is an ebook, email "
        "the patron the OverDrive link. Otherwise, if a copy is available at their branch, email the "
        "patron that it is ready for pickup."
    )
    draft = draft_offline(DraftRequest(brief=library))
    assert not [u for u in draft.unmapped if "available" in u]
    data = draft.data
    lookup = step(data, "http", "lookup")
    assert lookup["output_schema"]["properties"]["copy_available"] == {"type": "boolean"}
    pickup = [s for s in data["steps"] if s["id"].startswith("notify_email") and "ebook' }}" not in s["if"]]
    assert [s["if"] for s in pickup] == [
        "{{ (not (event.item_format == 'ebook')) and (steps.lookup.output.copy_available | default(false)) }}"
    ]
    assert "lookup" in pickup[0]["needs"]


def test_a_topic_never_to_be_mentioned_holds_in_fixed_text_and_goes_to_the_writer_otherwise():
    fixed = draft_offline(
        DraftRequest(
            brief=(
                "Koha sends a webhook with hold_id, patron_email and patron_age. Email the patron that the "
                "hold is ready for pickup. Patrons under 13 must never receive anything mentioning late fees."
            )
        )
    )
    assert not fixed.unmapped
    assert any("holds: no text the flow sends mentions 'late fees'" in a for a in fixed.assumptions)
    written = draft_offline(
        DraftRequest(
            brief=(
                "Guests message us on WhatsApp with guest_phone and text. Have the model write a reply and "
                "text it to the guest. Never mention the cancellation fee to a guest."
            )
        )
    )
    writers = [
        s
        for s in written.data["steps"]
        if s["type"] == "model" and "cancellation fee" in s["prompt"]["system"]
    ]
    assert writers, [s["prompt"]["system"] for s in written.data["steps"] if s["type"] == "model"]
    assert not [u for u in written.unmapped if "cancellation" in u]


def test_never_changing_a_record_is_a_prohibition_the_draft_keeps():
    draft = draft_offline(
        DraftRequest(
            brief=(
                "Tank controllers publish readings to the MQTT topic brewery/tanks with tank_id and temp_c. "
                "If temp_c is above 22, text the brewer via Twilio. Never change a tank's setpoint from this "
                "flow."
            )
        )
    )
    assert not draft.unmapped
    assert [s["id"] for s in draft.data["steps"] if s["type"] == "http"] == ["notify_sms"]


def test_never_x_or_y_and_send_nothing_are_no_side_effects():
    payroll = drafted(
        "Consume messages from the Kafka topic payroll.runs with run_id, employee_id, gross_pay and "
        "prior_gross_pay. Have a model score how anomalous the pay line is from 0 to 100. If the score is 80 "
        "or above, post to the #payroll-alerts Slack channel. Below 50 do nothing. Never email or message "
        "the employee directly."
    )
    assert [s["id"] for s in payroll["steps"] if s["type"] == "http"] == ["notify_slack"]
    props = payroll["trigger"]["event_schema"]["properties"]
    assert props["gross_pay"] == {"type": "number"} and props["prior_gross_pay"] == {"type": "number"}
    brief = (
        "Our ad platform publishes creatives to the Pub/Sub subscription ads with creative_id and "
        "headline. Decide approve or reject. On reject, set the creative status to rejected in Ad "
        "Manager. On approve, set the status to approved and send nothing."
    )
    ads = drafted(brief)
    assert not [s for s in ads["steps"] if "nothing" in s["id"] or "NOTHING" in str(s.get("request"))]
    from copilot.draft.coverage import check

    assert not [f for f in check(ads, brief).findings if f["code"] == "DR001"]


def test_a_second_message_to_one_person_on_another_label_is_its_own_step():
    data = drafted(
        "Return requests land on the SQS queue rma-requests with order_id, customer_email and "
        "issue_description. Classify the request as in_warranty, out_of_warranty or possible_misuse, "
        "answering strictly from our RMA Policy document. If in_warranty, create a prepaid return label in "
        "ShipStation and email the customer the label. If out_of_warranty, email the customer a repair quote "
        "instead, with no label."
    )
    classify = step(data, "model", "classify")
    assert classify["output_schema"]["properties"]["label"]["enum"][:3] == [
        "in_warranty",
        "out_of_warranty",
        "possible_misuse",
    ]
    assert "answering_strictly" not in str(classify["output_schema"])
    emails = [s["if"] for s in data["steps"] if s["id"].startswith("notify_email")]
    assert len(emails) == 2 and any("'out_of_warranty'" in e for e in emails), emails


def test_a_message_goes_to_the_person_the_brief_names_not_the_events_own_address():
    clinic = drafted(
        "Jotform posts to our webhook with submission_id, patient_name, phone and email. If the patient "
        "reports chest pain, send an SMS to the on-call physio with the patient's name. Otherwise email the "
        "patient a booking link."
    )
    assert step(clinic, "http", "sms")["request"]["json"]["to"] == "${env:ON_CALL_PHYSIO_PHONE}"
    assert step(clinic, "http", "email")["request"]["json"]["to"] == "{{ event.email }}"
    vending = drafted(
        "Vending machines publish faults on the MQTT topic vending/events with machine_id and error_code. "
        "Look up the machine's route driver in Route4Me. If error_code is JAM, text the route driver."
    )
    sms = step(vending, "http", "sms")
    assert sms["request"]["json"]["to"] == "{{ steps.lookup.output.route_driver_phone }}"
    assert "lookup" in sms["needs"]
    assert step(vending, "http", "lookup")["output_schema"]["properties"]["route_driver_phone"] == {
        "type": "string"
    }
    tutoring = drafted(
        "Calendly sends a webhook with invitee_email and invitee_name when a student misses a session. Look "
        "up the student in HubSpot to get their plan, parent_email and prior no-shows. Email the parent a "
        "reschedule link."
    )
    assert (
        step(tutoring, "http", "email")["request"]["json"]["to"] == "{{ steps.lookup.output.parent_email }}"
    )


def test_what_a_message_is_asked_to_carry_is_in_its_body_by_name():
    clinic = drafted(
        "Jotform posts to our webhook with submission_id, patient_name, phone and symptoms_text. Classify "
        "the urgency as urgent or routine. If urgent, send an SMS to the on-call physio with the patient's "
        "name, phone and the urgency."
    )
    body = step(clinic, "http", "sms")["request"]["json"]
    assert body["patient_name"] == "{{ event.patient_name }}" and body["phone"] == "{{ event.phone }}"
    assert body["details"]["label"] == "{{ steps.check_classify.output.label }}"  # the urgency decided
    payroll = drafted(
        "Consume messages from the Kafka topic payroll.runs with run_id, employee_id and gross_pay. Have a "
        "model score how anomalous the pay line is from 0 to 100 and give a one-sentence reason. If the "
        "score is 80 or above, open a Jira ticket in the PAY project with the run_id, employee_id, score "
        "and reason."
    )
    ticket = step(payroll, "http", "ticket")["request"]["json"]
    assert (
        ticket["run_id"] == "{{ event.run_id }}" and ticket["score"] == "{{ steps.check_score.output.score }}"
    )
    assert any(k.startswith("reason") for k in ticket), ticket


def test_a_texter_is_texted_back_at_the_number_the_webhook_names_as_it_spells_it():
    data = drafted(
        "ppl text our twilio number all day, the webhook gives From, Body, and MessageSid. need the bot to "
        "figure out if its an emergency or a routine request. if emergency text the customer back that "
        "somebody will call in 15 min."
    )
    assert set(data["trigger"]["event_schema"]["properties"]) >= {"From", "Body", "MessageSid"}
    sms = step(data, "http", "sms")
    assert sms["request"]["json"]["to"] == "{{ event.From }}"
    assert "emergency" in sms["if"] or "urgency" in sms["if"], sms["if"]


def test_a_lead_listing_several_labels_limits_the_action_to_any_of_them():
    data = drafted(
        "Vending machines publish telemetry on the MQTT topic vending/events with machine_id and error_text. "
        "Classify the fault as cooling, coin_mechanism, card_reader, jam or other. For coin_mechanism, "
        "card_reader or jam faults, add a stop to the driver's next-day route in Route4Me."
    )
    condition = step(data, "http", "stop")["if"]
    assert all(f"'{label}'" in condition for label in ("coin_mechanism", "card_reader", "jam")), condition
    assert "'cooling'" not in condition


def test_a_side_effect_limited_by_the_day_of_the_week_is_a_gap():
    from copilot.draft.coverage import check

    brief = (
        "Vending machines publish faults on the MQTT topic vending/events with machine_id and machine_type. "
        "If machine_type is refrigerated, create an urgent work order in ServiceTitan. Never dispatch "
        "anything on Saturday or Sunday for ambient machines."
    )
    found = [f for f in check(drafted(brief), brief).findings if f["code"] == "DR010"]
    assert any("cannot read the clock" in f["message"] for f in found), found


def test_a_budget_per_month_or_day_is_spread_over_the_events_it_covers():
    kafka = drafted(
        "Consume messages from the Kafka topic payroll.runs with run_id and gross_pay. Have a model score "
        "how anomalous the pay line is from 0 to 100. The whole thing must stay under $200 a month at "
        "roughly 40,000 messages."
    )
    assert kafka["sla"]["max_cost_per_event"] == 0.005
    daily = drafted(
        "Every evening at 18:30 Central time, fetch today's daily logs from Procore. Summarise the day in "
        "five bullet points and email the summary to the project manager. The full run must finish by "
        "19:00 and the budget is about a dollar a day."
    )
    assert daily["sla"]["max_cost_per_event"] == 1.0  # one run a day
    assert daily["sla"]["latency_p95"] == "15m"  # 30 minutes to 19:00, capped at a run's 15
    draft = draft_offline(
        DraftRequest(
            brief=(
                "Vending machines publish faults on the MQTT topic vending/events with machine_id and "
                "error_text. Classify the fault as cooling, jam or other. Keep model spend below $50 a month."
            )
        )
    )
    assert any("'$50 a month' names no volume" in a for a in draft.assumptions), draft.assumptions


def test_two_people_emailed_are_two_messages_each_with_its_own_condition():
    data = drafted(
        "Every evening at 18:30, fetch today's daily logs from Procore. Summarise the day in five bullet "
        "points. Email the summary to the project manager. Only if there is a high-severity safety incident, "
        "also email the site safety officer."
    )
    emails = {
        s["request"]["json"]["to"]: s.get("if") for s in data["steps"] if s["id"].startswith("notify_email")
    }
    assert emails.get("${env:PROJECT_MANAGER_EMAIL}", "missing") is None, emails
    assert emails.get("${env:SITE_SAFETY_OFFICER_EMAIL}"), emails


def test_a_classification_answering_strictly_from_a_document_reads_it_and_a_second_read_is_a_lookup():
    data = drafted(
        "Return requests land on the SQS queue rma-requests with order_id, serial_number and "
        "issue_description. First look up the order in Shopify and the serial number in our warranty "
        "database (Postgres, table warranty_units) to get purchase date and warranty end date. Then classify "
        "the request as in_warranty, out_of_warranty or possible_misuse, answering strictly from our RMA "
        "Policy v3 document."
    )
    classify = step(data, "model", "classify")
    assert "docs" in classify["needs"], classify["needs"]
    urls = [
        s["request"]["url"] for s in data["steps"] if s["type"] == "http" and s["request"]["method"] == "GET"
    ]
    assert "${env:SHOPIFY_API_URL}/{{ event.order_id }}" in urls, urls
    assert "${env:POSTGRES_API_URL}/{{ event.serial_number }}" in urls, urls


def test_a_value_the_lookup_gets_decides_the_step_and_a_passive_never_is_a_rule():
    draft = draft_offline(
        DraftRequest(
            brief=(
                "Calendly sends a webhook with invitee_email and invitee_name when a student misses a "
                "session. Look up the student in HubSpot to get their plan (standard or scholarship). If the "
                "plan is standard, charge the $25 fee to the customer in Stripe and mention the fee in the "
                "email. Students on the scholarship plan must never be charged. In all cases, increment the "
                "no_show_count property on the HubSpot contact."
            )
        )
    )
    data = draft.data
    assert step(data, "http", "charge")["if"] == (
        "{{ steps.lookup.output.plan is defined and steps.lookup.output.plan == 'standard' }}"
    )
    assert step(data, "http", "lookup")["output_schema"]["properties"]["plan"] == {"type": "string"}
    assert "if" not in step(data, "http", "increment")
    assert not draft.unmapped, draft.unmapped


def test_no_automatic_reply_on_some_events_holds_every_reply_and_each_branch_keeps_its_own_test():
    data = drafted(
        "Zendesk calls our webhook with ticket_id, requester_email and description. Answer only from our "
        "Desk Warranty Guide. If the part is still covered, post a public reply on the ticket with the ship "
        "date. If it is not covered, post a public reply listing the paid parts options. If the customer "
        "mentions any injury, do not reply automatically at all; instead assign the ticket to the Product "
        "Safety group."
    )
    posts = {s["id"]: s["if"] for s in data["steps"] if s["id"].startswith("post_reply")}
    assert len(posts) == 2, posts
    assert all("not (steps.check_classify.output.customer_injury)" in c for c in posts.values()), posts
    assert sum("not (steps.check_classify.output.part_still_covered)" in c for c in posts.values()) == 1, (
        posts
    )
    assign = step(data, "http", "assign")
    assert assign["if"] == "{{ steps.check_classify.output.customer_injury }}"


def test_two_branches_in_one_run_on_sentence_each_with_its_people_and_the_lookups_answer():
    from copilot.draft.coverage import check

    brief = (
        "Parents fill in our Typeform enquiry form; it sends a webhook with parent_name, parent_email and "
        "child_dob. I'd love it if the AI could pull out anything important from the free text like "
        "allergies, then check our Brightwheel roster for whether there's a spot in the right age group. If "
        "there's a spot email me (director@littlesprouts.example) with the details and send the parent a "
        "tour invite with our Calendly link, if theres no spot add them to the waitlist Google Sheet and "
        "send the parent a kind note saying they're on the list."
    )
    data = drafted(brief)
    emails = {s["id"]: (s["request"]["json"]["to"], s["if"]) for s in data["steps"] if "email" in s["id"]}
    spot = "steps.lookup.output.spot | default(false)"
    assert ("director@littlesprouts.example", f"{{{{ {spot} }}}}") in emails.values(), emails
    assert ("{{ event.parent_email }}", f"{{{{ {spot} }}}}") in emails.values(), emails
    assert ("{{ event.parent_email }}", f"{{{{ not ({spot}) }}}}") in emails.values(), emails
    assert step(data, "http", "sheet")["if"] == f"{{{{ not ({spot}) }}}}"
    codes = {f["code"] for f in check(data, brief).findings}
    assert not codes & {"DR008", "DR010"}, codes  # the free text is no system; the wish no condition


def test_an_unusable_decision_falls_back_to_a_human_look_not_a_refusal():
    data = drafted(
        "Our ad platform publishes creatives to the Pub/Sub subscription ads with creative_id and headline. "
        "Decide approve, needs_changes or reject. On reject, set the creative status to rejected in Ad "
        "Manager."
    )
    assert step(data, "validate", "check_decide")["on_fail"]["value"]["decision"] == "needs_changes"
    two = drafted(
        "Our ad platform publishes creatives to the Pub/Sub subscription ads with creative_id and headline. "
        "Decide approve or reject. On reject, set the creative status to rejected in Ad Manager."
    )
    assert step(two, "validate", "check_decide")["on_fail"]["value"]["decision"] == "reject"  # never approve


def test_an_action_on_the_events_record_goes_to_the_system_it_came_from_and_a_fixed_tag_is_no_label():
    zendesk = drafted(
        "Zendesk calls our webhook when a ticket tagged warranty is created, with ticket_id and description. "
        "If the part is still covered, post a public reply on the ticket with the ship date. If it is not "
        "covered, post a public reply listing the paid parts options. Otherwise assign the ticket to the "
        '"Product Safety" group.'
    )
    urls = {s["id"]: s["request"]["url"] for s in zendesk["steps"] if s["type"] == "http"}
    assert set(urls.values()) == {"${env:ZENDESK_API_URL}"}, urls
    shopify = drafted(
        "When Shopify sends the orders/create webhook for our personalised jewellery store, the payload has "
        "order_id and engraving_text. Check the engraving_text for profanity. If anything is flagged, tag "
        'the order "engraving-hold" in Shopify. Otherwise create a record in the "Engraving Jobs" table of '
        "our workshop Airtable base with the order_id."
    )
    ids = [s["id"] for s in shopify["steps"]]
    assert not [i for i in ids if i.startswith(("classify", "store", "update_shopify"))], ids
    tag = step(shopify, "http", "tag")
    assert tag["request"]["url"] == "${env:SHOPIFY_API_URL}" and tag["if"], tag
    assert step(shopify, "http", "record")["request"]["url"] == "${env:AIRTABLE_API_URL}"


def test_what_a_verdict_is_asked_to_list_is_a_field_the_messages_after_it_carry():
    draft = draft_offline(
        DraftRequest(
            brief=(
                "Our ad platform publishes creatives to the Pub/Sub subscription ads with creative_id, "
                "advertiser_rep_email and body_text. Review each creative against our Advertising Standards "
                "Handbook only, and decide approve, needs_changes or reject, listing the handbook section "
                "numbers that were violated. On reject, email the advertiser rep with the cited sections."
            )
        )
    )
    gate = step(draft.data, "validate", "check_decide")
    assert gate["output_schema"]["properties"]["handbook_section_numbers"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    assert gate["on_fail"]["value"]["handbook_section_numbers"] == []
    body = step(draft.data, "http", "email")["request"]["json"]
    assert body["handbook_section_numbers"] == "{{ steps.check_decide.output.handbook_section_numbers }}"
    assert not [u for u in draft.unmapped if "listing" in u], draft.unmapped


def test_a_digest_of_everything_expiring_is_its_content_not_its_condition():
    from copilot.draft.coverage import check

    brief = (
        "Every weekday at 07:00 UTC, pull the list of TLS certificates from our ServiceNow CMDB. Have the "
        "model write a short risk note. Post a single digest of everything expiring within 21 days to the "
        "#platform-certs Slack channel."
    )
    data = drafted(brief)
    assert step(data, "http", "slack")["id"] == "notify_slack" or step(data, "http", "digest")
    assert not [f for f in check(data, brief).findings if f["code"] == "DR005"]


def test_an_only_if_before_its_order_limits_that_order_inside_the_otherwise():
    data = drafted(
        "Jotform posts to our webhook with submission_id, patient_name, email and symptoms_text. Classify "
        "the urgency as urgent, soon or routine. If the patient reports chest pain, send an SMS to the "
        "on-call physio. Otherwise email the patient three proposed slots, and only if urgency is urgent "
        "also put a hold on the earliest slot in Cliniko."
    )
    email = step(data, "http", "email")["if"]
    assert "urgent" not in email and email.startswith("{{ not ("), email
    hold = step(data, "http", "hold")["if"]
    assert "'urgent'" in hold and hold.startswith("{{ (not ("), hold


def test_levels_assessed_decide_the_actions_and_a_level_led_sentence_is_an_action_for_it():
    data = drafted(
        "Our milking robots publish a message to RabbitMQ (exchange milking.sessions) with cow_id and "
        "body_temp_c. Pull the cow's last 10 milkings from our DairyComp herd records, then have a model "
        "assess mastitis risk as low, medium or high. If the risk is high, flag the cow in DairyComp. Medium "
        "risk only adds a note to the cow's record. The monthly budget is $60 for about 90,000 milkings."
    )
    assert data["trigger"]["type"] == "queue"
    assert step(data, "http", "flag")["if"] == "{{ steps.check_classify.output.label == 'high' }}"
    assert step(data, "http", "note")["if"] == "{{ steps.check_classify.output.label == 'medium' }}"
    assert not [s for s in data["steps"] if s["id"].startswith("score")]
    assert data["sla"]["max_cost_per_event"] == pytest.approx(60 / 90000, rel=1e-3)  # four figures
    volume = drafted(
        "guesty sends us a webhook when a guest checks out with reservation_id and listing_id. text the crew "
        "lead on twilio. id say max 300 bucks a month, we get maybe 1500 checkouts a month"
    )
    assert volume["sla"]["max_cost_per_event"] == pytest.approx(0.2)
    assert volume["trigger"]["rate_limit"]["limit"] > 1  # a monthly volume is no peak rate


def test_a_prohibition_of_two_actions_on_some_events_guards_both_and_each_then_follows_its_own():
    data = drafted(
        "Alarm panels report through an AWS Kinesis stream (alarm-signals) with account_number, zone_type "
        "and test_mode. Look up the account in our Manitou monitoring platform for the site address and "
        "keyholder phone numbers. Then have a model classify the signal as likely_false, intrusion, fire or "
        "panic. For fire or panic, create a priority-1 dispatch ticket in Manitou and text the first "
        "keyholder with the address. For intrusion, text the first keyholder first and create a priority-2 "
        "ticket. Never create any ticket or text anyone when test_mode is true."
    )
    effects = [s for s in data["steps"] if s["id"].startswith(("create", "notify_sms"))]
    assert len(effects) == 4 and all("test_mode" in s["if"] for s in effects), [s.get("if") for s in effects]
    texts = [s for s in effects if s["id"].startswith("notify_sms")]
    assert all(s["request"]["json"]["to"] == "{{ steps.lookup.output.first_keyholder_phone }}" for s in texts)
    intrusion_sms = next(s["id"] for s in texts if "'intrusion'" in s["if"])
    second_ticket = next(s for s in effects if s["id"].startswith("create") and "'intrusion'" in s["if"])
    assert intrusion_sms in second_ticket["needs"], second_ticket["needs"]


def test_an_order_after_what_a_reply_says_is_its_own_action():
    data = drafted(
        "Prospects send questions through our Zendesk trust form with ticket_id, company and question_text. "
        "Answer each question only from our SOC 2 report, and cite the section. If the documents don't cover "
        "the question, do not guess: reply that the security team will follow up and create a Jira ticket in "
        "the SECQ project with the question and the company."
    )
    ticket = step(data, "http", "ticket")
    assert ticket["request"]["url"] == "${env:JIRA_API_URL}"
    assert ticket["if"] == "{{ not steps.check_answer.output.grounded }}"


def test_a_nightly_digest_lists_what_it_lists_and_per_item_work_is_named_by_its_items():
    from copilot.draft.coverage import check

    brief = (
        "Every night at 02:00 UTC, pull the previous day's app reviews from AppFollow. Classify each "
        "review's sentiment (positive, neutral, negative). Then write a digest for the mobile team with the "
        "counts per topic, and any review that mentions fraud or stolen money, and post it to the "
        "#mobile-feedback Slack channel. For every 1- or 2-star review that mentions a crash, create a "
        "Linear issue in the MOB team. Do not reply to any reviews publicly."
    )
    data = drafted(brief)
    assert not [s for s in data["steps"] if s["id"].startswith("score")]
    assert "check_reply" in step(data, "http", "slack")["needs"]
    found = check(data, brief).findings
    per_item = [f["clause"] for f in found if f["code"] == "DR012"]
    # "Classify each review" in a nightly run is per-item work too
    assert per_item == ["each review", "For every 1- or 2-star review"], per_item
    assert not [f for f in found if f["code"] == "DR007"]  # the digest's writer is no public reply


def test_models_read_the_body_and_a_condition_a_model_judges_is_never_a_lookups_field():
    data = drafted(
        "Help Scout calls our webhook with conversation_id, sender_email, subject and the email body. "
        "Extract the claimant name, the asset IDs and whether the notice has the statement of good faith. "
        "Look up each asset in our Bynder DAM to get the contributor. If the notice is complete and the "
        "asset exists, unpublish the asset through the Bynder API."
    )
    assert "{{ event.email_body }}" in step(data, "model", "extract")["prompt"]["user"]
    unpublish = step(data, "http", "unpublish")["if"]
    assert "steps.lookup.output" not in unpublish and "check_classify" in unpublish, unpublish


def test_one_reply_said_in_several_branches_runs_on_all_and_is_emailed_as_written():
    data = drafted(
        "BackerKit sends a webhook with message_id, backer_email, pledge_id, subject and body. Classify each "
        "message as address_change, missing_reward or other. For address_change, if the lock date has "
        "passed, reply that the address is locked. For missing_reward, look up the shipment in ShipBob by "
        "pledge_id and reply with the tracking link. Every reply is emailed to the backer and must only use "
        "our campaign FAQ for policy statements."
    )
    writer = next(s for s in data["steps"] if s["type"] == "model" and s["id"] in ("answer", "reply"))
    assert "if" not in writer, writer.get("if")
    email = step(data, "http", "email")
    assert email["request"]["json"]["to"] == "{{ event.backer_email }}"
    assert email["request"]["json"]["text"] == f"{{{{ steps.check_{writer['id']}.output.text }}}}"


def test_final_check_10_either_score_bare_thresholds_lowercase_systems_and_an_otherwise_after_a_lead():
    market = draft_offline(
        DraftRequest(
            brief=(
                "hey so our farmers market gets vendor applications thru jotform (webhook w/ application_id, "
                "business_name, contact_email, sells_hot_food yes/no, and a description). can the ai read "
                "the description and score how well they fit our local-grown rules from 1-5. if the score is "
                "4 or 5 add them to the approved vendors airtable. if sells_hot_food is true we ALSO need to "
                "email the fire marshal (fire@ourtown.example) w/ the business name. under 3 just send a "
                "polite decline email. we get like 300 apps a month and dont want to spend more than 5 bucks "
                "a month"
            )
        )
    )
    data = market.data
    airtable = step(data, "http", "airtable")
    assert airtable["request"]["url"] == "${env:AIRTABLE_API_URL}"
    assert airtable["if"] == (
        "{{ steps.check_score.output.score >= 4 and steps.check_score.output.score <= 5 }}"
    )
    emails = {
        s["request"]["json"]["to"]: s["if"] for s in data["steps"] if s["id"].startswith("notify_email")
    }
    assert emails["fire@ourtown.example"] == "{{ event.sells_hot_food | default('') }}"
    assert emails["{{ event.contact_email }}"] == "{{ steps.check_score.output.score < 3 }}"
    assert data["sla"]["max_cost_per_event"] == 0.01667
    assert not market.unmapped, market.unmapped
    plots = drafted(
        "Wix posts a webhook with enquiry_id, contact_email, contact_phone and message. Have a model "
        "classify the enquiry as pre_need, at_need or general_question. For at_need enquiries, text the "
        "on-duty funeral coordinator right away. Otherwise email the family a short, kind reply."
    )
    assert step(plots, "http", "sms")["if"] == "{{ steps.check_classify.output.label == 'at_need' }}"
    assert step(plots, "http", "email")["if"] == "{{ not (steps.check_classify.output.label == 'at_need') }}"


def test_a_nats_subject_an_exchange_a_budget_said_as_monthly_and_metres_are_read():
    nats = drafted(
        "Each request lands on the NATS subject registry.retirements with request_id, buyer_email and "
        "tonnes. Have a model classify it as valid or invalid. We process about 1,200 requests a month on a "
        "$25 monthly budget."
    )
    assert nats["trigger"]["topic"] == "registry.retirements"
    assert nats["sla"]["max_cost_per_event"] == pytest.approx(25 / 1200, rel=1e-3)
    rabbit = drafted(
        "our bms pushes alarms onto rabbitmq (exchange dc.alarms, routing key crac.#) and each msg has "
        "unit_id, nearest_residence_m and note. classify the note as leak or other."
    )
    assert rabbit["trigger"]["topic"] == "dc.alarms"
    assert rabbit["trigger"]["event_schema"]["properties"]["nearest_residence_m"] == {"type": "number"}


def test_labels_said_with_or_and_then_a_threshold_with_and_are_one_conjunct():
    data = drafted(
        "Our SPC system publishes excursions to the Kafka topic fab.spc with lot_id, tool_id, value and "
        "wafer_count. Have the model classify the excursion as one of shift, drift, outlier or sensor_fault. "
        "If it's a shift or drift and wafer_count is 5 or more, put the lot on hold in Camstar. If it's "
        "sensor_fault, open a ServiceNow ticket for the equipment team instead and never hold the lot."
    )
    assert step(data, "http", "lot")["if"] == (
        "{{ (event.wafer_count >= 5) and (steps.check_classify.output.label in ['shift', 'drift']) }}"
    )


def test_an_acronym_names_the_field_a_pager_it_names_is_used_and_control_limits_are_numbers():
    data = drafted(
        "Seismographs publish a message to MQTT topic quarry/+/blast with site_id, blast_id, "
        "peak_particle_velocity_mm_s, ucl and nearest_residence_m. If PPV is above 12.5 mm/s, page the "
        "blasting engineer in Opsgenie."
    )
    page = step(data, "http", "page")
    assert page["if"] == "{{ event.peak_particle_velocity_mm_s > 12.5 }}"
    assert page["request"]["url"] == "${env:OPSGENIE_API_URL}"
    props = data["trigger"]["event_schema"]["properties"]
    assert "ppv" not in props and props["ucl"] == {"type": "number"}


def test_a_lookups_list_of_nouns_is_no_message_and_a_field_set_by_name_is_an_update():
    from copilot.draft.coverage import check

    brief = (
        "Checkr sends us a report.completed webhook with candidate_id, report_id and status (clear or "
        "consider). Look up the volunteer in Salesforce NPSP by candidate_id to get their name, email and "
        "orientation date. If the status is clear, set Background_Check__c to Cleared on their contact and "
        "then email the volunteer a welcome note. If the status is consider, email the safeguarding lead at "
        "safeguarding@brightpathmentors.org."
    )
    data = drafted(brief)
    emails = [s["request"]["json"]["to"] for s in data["steps"] if s["id"].startswith("notify_email")]
    assert sorted(emails) == [
        "safeguarding@brightpathmentors.org",
        "{{ steps.lookup.output.volunteer_email }}",
    ]
    update = step(data, "http", "set_")
    assert update["if"] == "{{ event.status == 'clear' }}" and not update["id"].endswith("_c")
    assert not [f for f in check(data, brief).findings if f["code"] in ("DR010", "DR001")]


def test_an_action_after_a_semicolon_stays_under_the_if_that_opened_the_sentence():
    data = drafted(
        "Each request lands on the NATS subject registry.retirements with request_id and buyer_email. Check "
        "in our registry database that every serial belongs to the project. If any serial fails that check, "
        "don't retire anything; email compliance@terracredit.io with the request_id."
    )
    email = step(data, "http", "email")
    assert email["request"]["json"]["to"] == "compliance@terracredit.io"
    assert email.get("if"), "the compliance email runs only when a serial fails"


def test_an_order_the_brief_states_between_two_side_effects_is_no_lint_warning(tmp_path):
    from copilot.draft.drafting import DraftOptions, draft
    from copilot.draft.request import make_request
    from copilot.lint.engine import lint_text

    brief = tmp_path / "brief.md"
    brief.write_text(
        "Our SPC system publishes excursions to the Kafka topic fab.spc with lot_id and wafer_count. If "
        "wafer_count is 5 or more, put the lot on hold in Camstar and then page the on-call process "
        "engineer in PagerDuty."
    )
    out = tmp_path / "flow.yaml"
    outcome = draft(make_request(f"@{brief}"), DraftOptions(provider="offline", out=str(out), own_test=False))
    assert outcome.written
    text = out.read_text()
    assert 'disable=FG109 reason="the brief puts put_lot first"' in text
    assert not [f for f in lint_text(text, str(out)) if f.code == "FG109"]


def test_an_otherwise_read_before_its_condition_negates_the_lookups_answer_and_is_declared():
    data = drafted(
        "Accela posts a webhook with application_id, applicant_email, address and trunk_diameter_cm. First "
        "look up the parcel in our GIS service by address to get whether the tree is on the heritage "
        "register. Have a model classify the reason as hazard, construction or preference. If the tree is "
        "on the heritage register, email the city arborist (arborist@cityofoakvale.gov) with the "
        "application. Otherwise, if the reason is hazard and trunk_diameter_cm is under 60, email the "
        "applicant that their permit is approved."
    )
    heritage = "steps.lookup.output.tree_heritage_register | default(false)"
    emails = {
        s["request"]["json"]["to"]: s["if"] for s in data["steps"] if s["id"].startswith("notify_email")
    }
    assert emails["arborist@cityofoakvale.gov"] == f"{{{{ {heritage} }}}}"
    assert emails["{{ event.applicant_email }}"].startswith(f"{{{{ (not ({heritage}))"), emails
    courier = drafted(
        "Our courier app publishes exceptions to the Kafka topic courier.exceptions with parcel_id, "
        "recipient_phone and driver_note. If the parcel was damaged, text the recipient that a claim is "
        "open. For every other exception, text the recipient a link to reschedule the delivery."
    )
    texts = [s["if"] for s in courier["steps"] if s["id"].startswith("notify_sms")]
    assert len(texts) == 2 and texts[1] == f"{{{{ not ({texts[0][3:-3]}) }}}}", texts


def test_an_option_named_by_its_last_word_a_value_led_subject_and_a_thing_made_for_them():
    data = drafted(
        "Meter readings arrive on the Kafka topic meter-readings with meter_id, account_id and kwh. Look up "
        "the account in our Oracle CIS to get their billing type (prepaid or postpaid) and phone number. "
        "Have the model decide whether the reading is valid or a meter fault, and if it's a fault only open "
        "a work order in Maximo. For valid readings over 900 kWh: postpaid customers get a usage review "
        "opened in Oracle CIS, and prepaid customers get an SMS with the current usage."
    )
    # "if it's a fault" is the option meter_fault, never "valid or a meter fault" (always true)
    assert step(data, "http", "order")["if"] == "{{ steps.check_decide.output.decision == 'meter_fault' }}"
    review, sms = step(data, "http", "review"), step(data, "http", "sms")
    for side, plan in ((review, "postpaid"), (sms, "prepaid")):
        assert f"steps.lookup.output.billing_type == '{plan}'" in side["if"], side["if"]
        assert "event.kwh > 900" in side["if"] and "decision == 'valid'" in side["if"], side["if"]
    assert sms["request"]["json"]["to"] == "{{ steps.lookup.output.customer_phone }}"


def test_a_closed_list_keeps_three_word_labels_and_a_false_flag_or_a_threshold_is_not_inverted():
    data = drafted(
        "Greenhouse controllers publish alerts to the RabbitMQ queue gh.alerts with bay_id, misting_ok, "
        "humidity_pct and a grower note. Classify the grower note as pump failure, pest sighting or root "
        "rot outbreak. If misting_ok is false or humidity_pct is above 95, page the on-call grower. If the "
        "note is classified as a root rot outbreak, email the plant pathologist at path@greenbay.farm. If "
        "the note is a pest sighting that mentions whiteflies or thrips, post to Slack #ipm."
    )
    labels = step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert {"pump_failure", "pest_sighting", "root_rot_outbreak"} <= set(labels), labels
    page = step(data, "http", "page")["if"]
    assert "not (event.misting_ok" in page and "event.humidity_pct > 95" in page and " or " in page, page
    assert not page.startswith("{{ not ("), page  # the false flag alone is negated, never the whole test
    email = step(data, "http", "email")["if"]
    assert email == "{{ steps.check_classify.output.label == 'root_rot_outbreak' }}", email
    slack = step(data, "http", "slack")["if"]  # that label, and what it must also mention
    assert "label == 'pest_sighting'" in slack and " and " in slack, slack


def test_a_threshold_on_what_a_score_rates_is_that_score_on_a_scheduled_run():
    data = drafted(
        "Every night at 01:00 UTC, pull the day's pallet scans from our Manhattan WMS API. Score each "
        "scan's label legibility from 0 to 1. If legibility is below 0.7, open a Jira ticket in the DOCK "
        "project."
    )
    assert step(data, "http", "ticket")["if"] == "{{ steps.check_score.output.score < 0.7 }}"


def test_a_threshold_in_a_unit_is_the_field_of_that_unit_and_the_events_own_noun_is_no_field():
    data = drafted(
        "Boiler rooms publish readings to the Google Pub/Sub topic boiler-events with boiler_id, co_ppm, "
        "flue_temp_c and stack_temp_c. If co_ppm is 50 or above, page the boiler engineer through "
        "PagerDuty. If flue_temp_c is above 240, post to Slack #boilers. Do not page anyone for readings "
        "under 30 ppm, and never post to Slack for readings below 200 degrees."
    )
    page = step(data, "http", "page")["if"]
    assert "event.co_ppm < 30" in page and "readings" not in page, page
    properties = data["trigger"]["event_schema"]["properties"]
    assert "readings" not in properties, sorted(properties)  # two fields in degrees: never invented


def test_an_order_forbidden_inside_its_own_if_clause_and_a_flag_judgement_are_no_calls():
    data = drafted(
        "Renters text our Twilio number and Twilio posts the From number and the Body to our webhook. "
        "Classify the message as booking, cancel or question. if its a cancel and the rental starts "
        "within 24 hrs dont cancel it, just post to Slack #rentals. Have the model flag if the message "
        "mentions damage, and if it does, email claims@kayakhut.co."
    )
    ids = [s["id"] for s in data["steps"]]
    assert not any(i.startswith(("cancel", "flag")) for i in ids), ids
    assert step(data, "http", "email")["if"] != step(data, "http", "slack").get("if"), ids


def test_a_dictated_message_keeps_its_words_each_person_gets_one_and_a_forbidden_channel_is_none():
    data = drafted(
        "Silo sensors stream readings over NATS on subject silos.telemetry with silo_id, site_id and "
        "co2_ppm. If co2_ppm is above 5000, send an SMS to the shift foreman and the site manager saying "
        '"EVACUATE: CO2 at <co2> ppm in silo <silo_id>". If co2_ppm is between 2000 and 5000, post a '
        "warning to Slack #silos but do not page anyone."
    )
    texts = [s for s in data["steps"] if s["id"].startswith("notify_sms")]
    assert len(texts) == 2, [s["id"] for s in data["steps"]]
    assert {s["request"]["json"]["to"] for s in texts} == {
        "${env:SHIFT_FOREMAN_PHONE}",
        "${env:SITE_MANAGER_PHONE}",
    }
    for sms in texts:
        assert sms["request"]["json"]["text"] == (
            "EVACUATE: CO2 at {{ event.co2_ppm }} ppm in silo {{ event.silo_id }}"
        )
    assert not [s["id"] for s in data["steps"] if s["id"].startswith("page")]


def test_a_question_asked_sentences_before_a_possessive_status_and_the_non_events():
    data = drafted(
        "When a lifeguard files an incident in Sling, Sling sends a webhook with the swimmer id, pool id "
        "and the incident description. Classify whether the description suggests a possible spinal "
        "injury. Look up the swimmer's emergency contacts in our Daxko membership system by swimmer id. "
        'If it is a possible spinal injury, first set the swimmer\'s status to "medical hold" in Daxko, '
        "then email the emergency contacts the incident summary. For non-spinal incidents just log the "
        "report in the pool's Airtable incident log."
    )
    flag = "steps.check_classify.output.possible_spinal_injury"
    assert step(data, "http", "status")["if"] == f"{{{{ {flag} }}}}"
    email = step(data, "http", "email")
    assert email["if"] == f"{{{{ {flag} }}}}"
    assert email["request"]["json"]["to"] == "{{ steps.lookup.output.emergency_contacts_email }}"
    assert step(data, "http", "airtable")["if"] == f"{{{{ not ({flag}) }}}}"


def test_a_nightly_drop_onto_a_queue_is_the_queue_trigger():
    data = drafted(
        "Every night our Dexcom Clarity export drops a glucose summary per patient onto our SQS queue "
        "cgm-daily, with patient_id and time_in_range. Process each message within 20 seconds. If "
        "time_in_range is below 50, email the care team at care@sugarclinic.health."
    )
    assert data["trigger"]["type"] == "queue" and data["trigger"]["topic"] == "cgm-daily", data["trigger"]


def test_each_prohibition_says_how_the_flow_holds_it_or_is_a_gap():
    from copilot.draft.coverage import check

    brief = (
        "When a member cancels a class booking in Mindbody, Mindbody sends a webhook with booking_id, "
        "member_email, member_phone and the cancellation note. Classify the note as illness, injury or "
        "change of plans. If it is an injury, refund the class through the Stripe refunds API. Never refund "
        "change of plans cancellations. Text the member a rebooking link, and never text members anything "
        "about their payment card."
    )
    data = drafted(brief)
    coverage = check(data, brief)
    rules = {r.clause.text: r for r in coverage.rows if r.clause.kind == "constraint"}
    refund = rules["Never refund change of plans cancellations"]
    assert refund.steps == ["refund_class"] and refund.notes[0].startswith("held: refund_class runs only if")
    texting = next(r for text, r in rules.items() if "payment card" in text)
    assert texting.steps == ["notify_sms"] and texting.gaps == ["DR013"], (texting.steps, texting.gaps)
    assert check(data, brief).to_json()[-1]["kind"] == "constraint"


def test_a_value_the_brief_lists_for_a_prose_field_is_tested_as_written_and_never_inverted():
    data = drafted(
        "Our lab publishes a message to the RabbitMQ queue lab.results whenever an assay comes back, with "
        "the sample id, the analyst's review status (approved, not approved, or pending) and up to three "
        "chart URLs. If the status is not approved, set the sample's status to RETEST in our LabWare LIMS. "
        "If the status is pending, post to Slack #lab-queue."
    )
    field = "event.analyst_review_status"
    assert step(data, "http", "status")["if"] == f"{{{{ {field} == 'not approved' }}}}"
    assert step(data, "http", "slack")["if"] == f"{{{{ {field} == 'pending' }}}}"
    assert "chart_urls" in data["trigger"]["event_schema"]["properties"]


def test_a_guessed_condition_said_with_not_is_named_and_tested_the_same_way():
    data = drafted(
        "Visitors submit our Formstack sign-in form, which posts a webhook with the visitor name, host "
        "email and the visit purpose. Classify the purpose as delivery, interview or meeting. If the host "
        "is not on site, email the front desk at desk@oakhall.example."
    )
    test = step(data, "http", "email")["if"]
    assert test == "{{ steps.check_classify.output.host_not_site }}", test  # true when not on site


def test_a_field_list_in_the_trigger_sentence_holds_no_action():
    data = drafted(
        "When a collector submits our Jotform consignment request, Jotform posts a webhook with the "
        "request id, collector email, book title, record label, pressing year and up to five photo URLs. "
        "Score the item's resale value from 0 to 100. If the score is 80 or above, post to Slack #buyers."
    )
    ids = [s["id"] for s in data["steps"]]
    assert not any(i.startswith(("book", "record")) for i in ids), ids
    props = data["trigger"]["event_schema"]["properties"]
    assert {"book_title", "record_label", "photo_urls"} <= set(props), sorted(props)


def test_a_for_lead_carries_past_its_semicolon_and_a_third_persons_number_is_never_the_senders():
    brief = (
        "Our night shift security guards text in incidents to our Twilio number; Twilio posts each inbound "
        "SMS to our webhook with From, Body, MessageSid and the timestamp. Look up the guard in our "
        "Trackforce roster by their phone number to find the site and the site's client contacts. Classify "
        "the message as break-in, alarm fault or other. For break-ins, page the duty manager in PagerDuty "
        "with the site; then send the guard an SMS confirming the page. For alarm faults, send an SMS to "
        "the site's client contact with the alarm zone."
    )
    data = drafted(brief)
    props = data["trigger"]["event_schema"]["properties"]
    assert {"From", "Body", "MessageSid"} <= set(props), sorted(props)
    texts = {
        s["why"]["brief"] if isinstance(s["why"]["brief"], str) else s["why"]["brief"][0]: s
        for s in data["steps"]
        if s["id"].startswith("notify_sms")
    }
    guard = next(s for q, s in texts.items() if "send the guard" in q)
    client = next(s for q, s in texts.items() if "client contact" in q)
    assert guard["if"] == "{{ steps.check_classify.output.label == 'break_in' }}", guard["if"]
    assert guard["request"]["json"]["to"] == "{{ event.From }}"
    assert client["request"]["json"]["to"].startswith("{{ steps.lookup.output."), client["request"]["json"]
    assert "DR010" not in codes(data, brief)  # "guards text in incidents": how events arrive


def test_a_colon_list_after_one_of_a_message_to_them_and_its_described_words():
    data = drafted(
        "Chargebee sends us a webhook whenever a meal-kit subscription is cancelled, with the customer "
        "email, phone number, plan name and the free-text cancellation reason. Classify the cancellation "
        "reason into one of: moving away, price, taste, delivery problems, or other. If the reason is "
        "price, text them a 25%-off comeback offer for two boxes via Twilio."
    )
    labels = step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert {"moving_away", "price", "taste", "delivery_problems"} <= set(labels), labels
    sms = step(data, "http", "sms")
    assert sms["if"] == "{{ steps.check_classify.output.label == 'price' }}", sms["if"]
    assert sms["request"]["json"]["to"] == "{{ event.phone_number }}"  # never the cancellation reason
    assert sms["request"]["json"]["text"] == "25%-off comeback offer for two boxes."


def test_a_condition_the_extraction_was_asked_reads_its_yes_or_no():
    data = drafted(
        "Aircall posts a webhook after each call to our plumbing line with the call id, caller phone "
        "number and the transcript. Extract the service address, the boiler brand if mentioned, and "
        "whether the caller reports water coming through a ceiling. If water is coming through a ceiling, "
        "page the on-call plumber through PagerDuty."
    )
    extract = step(data, "model", "extract")
    props = extract["output_schema"]["properties"]
    assert props["water_coming_through_ceiling"] == {"type": "boolean"}, props
    assert "boiler_brand" in props and not any(p.startswith("whether") for p in props), props
    page = step(data, "http", "page")
    assert page["if"] == "{{ steps.check_extract.output.water_coming_through_ceiling }}", page["if"]
    assert not [s for s in data["steps"] if s["id"] == "classify"]  # no second guess of the same thing


def test_an_order_stated_in_its_own_sentence_makes_the_later_action_wait():
    brief = (
        "Our exchange streams every withdrawal request to the Kinesis stream withdrawals with account_id, "
        "amount_usd and destination_wallet. Score each request for account-takeover risk from 0 to 1. If "
        "the score is above 0.9, freeze the account through our account-control API and open a Jira "
        "ticket in the FRAUD project. The freeze must happen before the ticket is opened."
    )
    data = drafted(brief)
    ticket = step(data, "http", "ticket")
    freeze = step(data, "http", "freeze")
    assert freeze["id"] in ticket["needs"], ticket["needs"]
    assert "DR010" not in codes(data, brief)


def test_a_rule_on_what_a_message_carries_is_held_by_its_body_not_by_when_it_runs():
    from copilot.draft.coverage import check

    brief = (
        "Shopify sends an orders/create webhook with the order number, customer email, shipping address "
        "and the delivery notes. Use a model to extract the gate code and whether they want assembly from "
        "the notes. If they want assembly, email the customer a confirmation with the order number. Never "
        "put the gate code in the email to the customer, and don't post anything to Slack."
    )
    data = drafted(brief)
    # the drafted email sends the extraction's fields by name, the gate code left out
    body = str(step(data, "http", "email")["request"]["json"])
    assert "gate_code" not in body and "check_extract.output }}" not in body, body
    rows = {r.clause.text: r for r in check(data, brief).rows if r.clause.kind == "constraint"}
    slack = next(r for text, r in rows.items() if "Slack" in text)
    assert slack.notes == ["held: no step of the flow does it"] and not slack.gaps
    # an email that carries the whole extraction, gate code included: not held, a gap
    whole = {
        **step(data, "http", "email"),
        "request": {
            "method": "POST",
            "url": "${env:EMAIL_API_URL}",
            "json": {"fields": "{{ steps.check_extract.output }}"},
        },
    }
    data["steps"] = [s for s in data["steps"] if s["id"] != "notify_email"] + [whole]
    rows = {r.clause.text: r for r in check(data, brief).rows if r.clause.kind == "constraint"}
    gate = next(r for text, r in rows.items() if "gate code" in text)
    assert gate.steps == ["notify_email"] and gate.gaps == ["DR013"], (gate.steps, gate.notes)
    data["steps"] = [s for s in data["steps"] if s["id"] != "notify_email"] + [
        {
            **step(data, "http", "email"),
            "request": {
                "method": "POST",
                "url": "${env:EMAIL_API_URL}",
                "json": {"text": "{{ event.order_number }}"},
            },
        }
    ]
    rows = {r.clause.text: r for r in check(data, brief).rows if r.clause.kind == "constraint"}
    held = next(r for text, r in rows.items() if "gate code" in text)
    assert held.notes == ["held: notify_email sends no gate code and no model-written text"], held.notes


def test_final_check_12_another_value_a_label_kept_from_a_page_a_parts_list_and_a_value_said_of_it():
    inspections = drafted(
        "Our crane operators submit a daily rigging check through the SafetyCulture app, which sends a "
        "webhook with the check id, yard id, sling tag, the status colour (green, amber or red) and the "
        "findings. Look up the yard in our Procore project directory by yard id to get the yard manager's "
        "email. Classify the findings as frayed sling, bent hook or tidiness. If the status colour is red, "
        "page the yard manager through PagerDuty with the sling tag. If it is amber, email the yard manager "
        "the findings. Don't page anyone for tidiness findings."
    )
    lookup = step(inspections, "http", "lookup")
    assert lookup["request"]["url"].startswith("${env:PROCORE_API_URL}"), lookup["request"]["url"]
    page = step(inspections, "http", "page")["if"]
    assert (
        "event.status_colour == 'red'" in page
        and "not (steps.check_classify.output.label == 'tidiness')" in page
    )
    assert step(inspections, "http", "email")["if"] == "{{ event.status_colour == 'amber' }}"
    bookings = drafted(
        "people book a harp tuning thru our acuity page, acuity hits our webhook with the client name, "
        "email, the address and answers to the intake questions (harp type: pedal or lever, last tuned, any "
        "notes). if its a pedal, text me the address. email everyone a confirmation. never text customers, "
        "only email them"
    )
    props = bookings["trigger"]["event_schema"]["properties"]
    assert {"client_name", "email", "address", "harp_type", "last_tuned", "notes"} <= set(props), sorted(
        props
    )
    sms = step(bookings, "http", "sms")
    assert (
        sms["if"] == "{{ event.harp_type == 'pedal' }}"
        and sms["request"]["json"]["to"] == "${env:TEAM_PHONE}"
    )
    emails = [s["id"] for s in bookings["steps"] if s["id"].startswith("notify_email")]
    assert len(emails) == 1, emails  # "only email them" is the channel, not a second email
    from copilot.draft.coverage import check

    intake = [r for r in check(bookings, bookings["brief"]).rows if "intake questions" in r.clause.text]
    assert not intake, [r.clause.text for r in intake]  # words of the event's field list, no requirement


def test_each_message_sends_its_own_words_and_a_writers_text_only_where_it_is_asked_for():
    data = drafted(
        "people book a harp tuning thru our acuity page, acuity hits our webhook with the client name, "
        "email, the address and notes. i want the ai to read the notes and write a short note on what the "
        "harp needs. if its urgent, text me the address. if it needs restringing email the customer that "
        "we'll quote on site. everyone gets a confirmation email w/ the prep checklist from our prep guide "
        "doc."
    )
    texts = {s["id"]: s["request"]["json"].get("text") for s in data["steps"] if s["id"].startswith("notify")}
    assert texts["notify_email"] == "We'll quote on site.", texts
    assert "check_reply" not in str(texts["notify_sms"]), texts  # the address, never the note it wrote
    assert texts["notify_email_2"] == "{{ steps.check_answer.output.text }}", texts  # the prep checklist


def test_verbs_inside_a_check_whether_question_are_no_calls_and_a_system_is_no_document():
    brief = (
        "When a sponsor files a trial amendment in Veeva Vault, it posts a webhook with the study number "
        "and the amendment text. Classify the amendment's risk as minor or major, and check whether it "
        "changes the dosing schedule, adds a new site or removes a safety visit. Look up the study's "
        "current status in Veeva Vault by study number. Answer the sponsor's question using only our "
        "amendment SOP manual. If the risk is major, email the safety board at dsmb@trial.example."
    )
    data = drafted(brief)
    ids = [s["id"] for s in data["steps"]]
    assert not any(i.startswith(("add", "remove", "change")) for i in ids), ids
    assert step(data, "http", "lookup")["request"]["method"] == "GET"  # "in Veeva Vault by study number"
    assert not any(
        "posts a webhook" in r.clause.text
        for r in __import__("copilot.draft.coverage", fromlist=["check"]).check(data, brief).rows
    )


def test_two_labels_said_of_it_and_a_second_text_after_that_in_the_same_sentence():
    data = drafted(
        "Calendly sends a webhook with the booking id, the client's phone number, the dog's name and the "
        "notes. Classify the notes as nail trim, bath, matting or skin infection. If it is matting or skin "
        "infection, text the on-call groomer (+1 555 0188) with the dog's name, and only after that text "
        "the owner that the groomer has been alerted."
    )
    texts = [s for s in data["steps"] if s["id"].startswith("notify_sms")]
    assert len(texts) == 2, [s["id"] for s in data["steps"]]
    for sms in texts:
        assert "== 'matting'" in sms["if"] and "== 'skin_infection'" in sms["if"], sms["if"]
    owner = texts[1]
    assert texts[0]["id"] in owner["needs"], owner["needs"]  # only after the groomer's text
    assert owner["request"]["json"]["text"] == "The groomer has been alerted."


def test_a_field_said_as_x_of_the_y_is_named_y_x_and_the_owners_email_is_where_it_goes():
    data = drafted(
        "When a parent uploads a medical form in Brightwheel, Brightwheel sends a webhook with the child "
        "id, the parent's email, the name of the clinic and the URL of the uploaded PDF. Extract the "
        "allergy list from the form. If an allergy is listed, email the parent a reminder to bring an "
        "EpiPen."
    )
    props = data["trigger"]["event_schema"]["properties"]
    assert {"child_id", "parent_email", "clinic_name", "pdf_url"} <= set(props), sorted(props)
    assert step(data, "http", "email")["request"]["json"]["to"] == "{{ event.parent_email }}"


def test_a_threshold_during_a_listed_stage_and_the_other_side_of_inside_and_outside():
    from copilot.draft.coverage import check

    brief = (
        "Our hydroponic racks publish a reading every minute to the MQTT topic farm/racks with rack_id, "
        "ec_ms, ph and the growth stage (seedling, vegetative or flowering). If ec_ms is above 2.5 during "
        "flowering, open a maintenance card in Trello. Don't open maintenance cards for racks in seedling."
    )
    data = drafted(brief)
    props = data["trigger"]["event_schema"]["properties"]
    assert props["growth_stage"]["type"] == "string", props  # its values are words, whatever its name
    card = step(data, "http", "card")["if"]
    assert card == "{{ (event.ec_ms > 2.5) and (event.growth_stage == 'flowering') }}", card
    rule = next(r for r in check(data, brief).rows if r.clause.kind == "constraint")
    assert rule.notes[0].startswith("held: open_card runs only if") and not rule.gaps, (rule.notes, rule.gaps)
    rentals = drafted(
        "people book a hot tub rental on our squarespace form, it hits our webhook w/ the customer name, "
        "email and delivery address. have the ai check the address against our delivery zones doc. if "
        "its outside the zone email them that we cant deliver there. if its inside, hold the date in our "
        "google calendar."
    )
    outside = step(rentals, "http", "email")["if"]
    inside = step(rentals, "http", "hold")["if"]
    assert inside == outside.replace("{{ ", "{{ not (").replace(" }}", ") }}"), (outside, inside)


def test_a_vague_word_with_its_hedged_number_is_the_sla_and_no_reply():
    data = drafted(
        "ok we rent hot tubs and people book on our squarespace form, it hits our webhook w/ the customer "
        "name, email and delivery address. have the ai check the address against our delivery zones doc "
        "and answer back fast (like 3 sec, under a cent). if its outside the zone email them that we cant "
        "deliver there. if its inside, hold the date in our google calendar."
    )
    assert data["sla"]["latency_p95"] == "3s", data["sla"]
    assert not [s["id"] for s in data["steps"] if s["id"] == "reply"]


def test_a_choice_listed_as_whether_they_want_a_or_b_is_one_field_and_its_value_decides():
    data = drafted(
        "people book a kayak tour on our wix form, it hits our webhook w/ the customer name, email and "
        "whether they want the single or tandem one. email everyone a confirmation. if they picked "
        "tandem also text our guide (+1 555 0150) the customer name."
    )
    props = data["trigger"]["event_schema"]["properties"]
    assert props["single_or_tandem"]["examples"] == ["single", "tandem"], props
    assert step(data, "http", "sms")["if"] == "{{ event.single_or_tandem == 'tandem' }}"


_SKI = (
    "every morning at 6am pull the snow report from the OpenSnow api and grab todays bookings from our "
    "Checkfront account. then have the ai decide open / delay / close — basically if wind is over 40 mph its "
    "close, under 10 cm new snow its delay. if close, sms every booked guest that lessons are off and "
    "refunds are automatic plus refund them in checkfront, if delay text them a link to pick a new time, if "
    "open do nothing to guests just post the plan to #instructors slack. dont refund anybody on a delay."
)


def test_options_a_later_clause_names_are_the_decisions_and_each_if_tests_its_option():
    data = drafted(_SKI)
    decided = "{{ steps.check_decide.output.decision == '%s' }}"
    assert step(data, "model", "decide")["output_schema"]["properties"]["decision"]["enum"] == [
        "open",
        "delay",
        "close",
    ]
    sms = [s for s in data["steps"] if s["id"].startswith("notify_sms")]
    assert [s["if"] for s in sms] == [decided % "close", decided % "delay"], sms
    # "plus refund them in checkfront" is an action of the "if close" lead, not of the next "if"
    assert step(data, "http", "refund")["if"] == decided % "close"
    assert step(data, "http", "slack")["if"] == decided % "open"


def test_an_sms_verb_before_every_is_a_text_message_and_its_content_is_what_it_says():
    data = drafted(_SKI)
    texts = [s["request"]["json"]["text"] for s in data["steps"] if s["id"].startswith("notify_sms")]
    assert texts == ["Lessons are off and refunds are automatic.", "Link to pick a new time."], texts


def test_cases_that_map_to_an_option_are_the_deciders_rules_and_no_option_list_is_a_gap():
    from copilot.draft.coverage import check

    data = drafted(_SKI)
    system = step(data, "model", "decide")["prompt"]["system"]
    assert '"if wind is over 40 mph its close."' in system and '"under 10 cm new snow its delay."' in system
    found = check(data, _SKI).findings
    said = [f["clause"] for f in found]
    # "every booked guest" of a scheduled run is per-item work; "do nothing to guests just post the
    # plan" asks for the post and forbids nothing of it
    assert [f["clause"] for f in found if f["code"] == "DR012"] == ["every booked guest"], said
    assert not [f for f in found if f["code"] == "DR013"], said
    brief = "Each morning have the AI decide go, reschedule or cancel. If cancel, text every booked customer."
    plain = drafted(brief)
    assert step(plain, "http", "sms")["if"] == "{{ steps.check_decide.output.decision == 'cancel' }}"
    assert not [f for f in check(plain, brief).findings if "reschedule or cancel" in str(f.get("clause"))]


_REEFER = (
    "Reefer container readings arrive on our Kafka topic reefer-temps with container_id, booking_ref, temp_c "
    "and humidity_pct. Look up the booking's setpoint range in our CargoWise system by booking_ref. If "
    "temp_c is more than 3 degrees above the upper limit of the range, post an alert to the #cold-chain "
    "Slack channel. If humidity_pct is 95 or above, page the reefer technician in PagerDuty. A model writes "
    "a two-sentence summary of the likely cause for the Slack alert."
)


def test_a_margin_past_a_value_the_lookup_returns_compares_with_it_never_with_the_bare_number():
    data = drafted(_REEFER)
    slack = step(data, "http", "slack")
    limit = "steps.lookup.output.upper_limit_range"
    assert slack["if"] == f"{{{{ {limit} is defined and event.temp_c > {limit} + 3 }}}}", slack["if"]
    assert step(data, "http", "lookup")["output_schema"]["properties"]["upper_limit_range"] == {
        "type": "number"
    }
    # no lookup to name the other value: the whole clause is the classifier's guess, never "> 25"
    ladle = drafted(
        "Ladle readings arrive on Kinesis with ladle_id and temp_c. If temp_c is more than 25 degrees "
        "below the lower bound of the window, post an alert to the #melt-shop Slack channel."
    )
    assert "event.temp_c > 25" not in str(step(ladle, "http", "slack")["if"])


def test_a_text_written_for_a_message_the_brief_sends_goes_into_it_and_the_event_decides_the_page_alone():
    data = drafted(_REEFER)
    slacks = [s for s in data["steps"] if "slack" in s["id"]]
    assert len(slacks) == 1, [s["id"] for s in slacks]
    assert "{{ steps.check_summarise.output.summary }}" in str(slacks[0]["request"]["json"])
    assert (
        "A model writes a two-sentence summary of the likely cause for the Slack alert"
        in slacks[0]["why"]["brief"]
    )
    # the page reads only the event: it waits for no model
    assert not step(data, "http", "page").get("needs"), step(data, "http", "page")


def test_a_lead_qualified_by_that_are_keeps_every_part_and_an_amount_of_n_or_more_is_the_events():
    from copilot.draft.coverage import check

    brief = (
        "Refund requests arrive on our SQS queue with request_id, policy_id, refund_amount and the agent's "
        "note. Look up the policy in Guidewire to get whether it is active. For requests under $250 that are "
        "active and not disputed, issue the refund through the Stripe API. Requests of $250 or more must "
        "never be refunded automatically: open a Jira ticket for the finance team."
    )
    data = drafted(brief)
    refund = step(data, "http", "refund")["if"]
    assert refund.startswith("{{ (event.refund_amount < 250) and (") and "disputed" in refund, refund
    assert step(data, "http", "ticket")["if"] == "{{ event.refund_amount >= 250 }}"
    # the refund's `if:` leaves out what the rule forbids: held, no DR013
    assert not [f for f in check(data, brief).findings if f["code"] == "DR013"]


def test_a_kind_with_examples_is_a_label_and_its_heading_governs_the_whole_sentence():
    data = drafted(
        "Refill requests arrive by webhook from our patient app with patient_id, phone, drug_name and "
        "message. the ai should figure out if its a refill, a side effect question, a billing question or an "
        "urgent problem like a rash / swelling. URGENT: reply right away telling them to call the pharmacist "
        "and also page our on-call pharmacist on pagerduty. billing questions go as an email to "
        "billing@pharm.example."
    )
    label = "{{ steps.check_classify.output.label == '%s' }}"
    assert "urgent_problem" in step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert step(data, "http", "page")["if"] == label % "urgent_problem"
    assert step(data, "model", "reply")["if"] == label % "urgent_problem"
    email = step(data, "http", "email")
    assert email["if"] == label % "billing_question"
    assert email["request"]["json"]["to"] == "billing@pharm.example"


def test_a_threshold_on_what_the_lookup_fetched_and_a_never_over_rule_gate_the_action_and_those():
    from copilot.draft.coverage import check

    brief = (
        "Returns arrive by webhook from our Booqable store with order_id, customer_email, deposit_amount and "
        "damage_notes. Pull the inspection record from our Fleetio API by order_id, including the damage "
        "score. If the damage score is below 3, refund the deposit through Stripe. Never refund a deposit "
        "over $500 without a manager; those go to the managers queue in Asana."
    )
    data = drafted(brief)
    damage = "(steps.lookup.output.damage_score is defined and steps.lookup.output.damage_score < 3)"
    assert step(data, "http", "refund")["if"] == f"{{{{ {damage} and (event.deposit_amount <= 500) }}}}"
    assert step(data, "http", "manager")["if"] == f"{{{{ {damage} and (event.deposit_amount > 500) }}}}"
    assert not [s for s in data["steps"] if s["type"] == "model"]  # no model scores the damage
    assert not [f for f in check(data, brief).findings if f["code"] == "DR013"]


def test_the_on_duty_professional_is_staff_and_applicants_above_a_fetched_limit_compare_their_own_number():
    data = drafted(
        "Our legal aid clinic's intake form writes each new request to a Google Cloud Pub/Sub topic with "
        "request_id, applicant_name, applicant_email, phone, county, household_size and monthly_income. Look "
        "up the county's income limit in our eligibility table in Airtable using county and household size. "
        "Have a model categorize the problem as eviction, family, benefits or outside_scope. Eviction cases "
        "go straight to the on-duty housing attorney by SMS with the applicant's first name and county; "
        "applicants above the income limit get a polite email referral to the state bar's referral service."
    )
    sms = step(data, "http", "sms")
    assert sms["request"]["json"]["to"] == "${env:ON_DUTY_HOUSING_ATTORNEY_PHONE}", sms["request"]["json"]
    email = step(data, "http", "email")
    assert email["request"]["json"]["to"].startswith("{{ event.applicant_email }}")
    limit = "steps.lookup.output.income_limit"
    assert email["if"] == f"{{{{ {limit} is defined and event.monthly_income > {limit} }}}}", email["if"]


def test_the_llm_decides_a_colon_list_and_each_branch_tests_the_options_it_names():
    data = drafted(
        "so renters on our scooter app can dispute a parking fine in the app and that drops a message on "
        "rabbitmq with rider_id, fine_id, amount and a comment. then the llm decides: wrong_zone, "
        "app_glitch, repeat_offender, or abuse_suspected. if its wrong_zone or app_glitch just void the fine "
        "through fines-svc. anything abuse_suspected goes to the trust&safety team in a Jira ticket. repeat "
        "offenders get a warning message via braze explaining the fine."
    )
    decided = "steps.check_decide.output.decision"
    assert step(data, "model", "decide")["output_schema"]["properties"]["decision"]["enum"] == [
        "wrong_zone",
        "app_glitch",
        "repeat_offender",
        "abuse_suspected",
    ]
    assert step(data, "http", "void")["if"] == f"{{{{ {decided} in ['wrong_zone', 'app_glitch'] }}}}"
    jira = step(data, "http", "trust")
    assert (
        jira["id"] == "send_to_trust_safety_team"
        and jira["if"] == f"{{{{ {decided} == 'abuse_suspected' }}}}"
    )
    warning = step(data, "http", "message")
    assert warning["if"] == f"{{{{ {decided} == 'repeat_offender' }}}}", warning["if"]
    assert warning["request"]["url"] == "${env:BRAZE_API_URL}", warning["request"]


def test_school_nights_weeknights_and_at_like_11pm_are_read_as_said():
    from copilot.draft.triggers import read_trigger

    said = {
        "we want something that runs every school night at 9pm.": "0 21 * * 0-4",
        "every weeknight at 9pm, pull the list": "0 21 * * 1-5",
        "every night at like 11pm pull the samples": "0 23 * * *",
    }
    for sentence, cron in said.items():
        trigger = read_trigger([sentence], [])
        assert (trigger.kind, trigger.cron) == ("schedule", cron), (sentence, trigger)


def test_a_scheduled_run_is_named_by_what_it_works_through_and_a_fixed_list_is_the_labels():
    data = drafted(
        "Every Monday at 7am, pull last week's completed exit interview surveys from Workday (employee_id, "
        "department, manager_id, free-text comments). For each interview, have a model tag the themes from "
        "this fixed list: compensation, manager, workload, career growth, relocation, other. Then write a "
        "one-page summary per department and email it to that department's HR business partner. Hold those "
        "until 9am if it is a holiday."
    )
    assert data["name"].startswith("interview"), data["name"]
    labels = step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert labels == ["compensation", "manager", "workload", "career_growth", "relocation", "other"]
    assert not [s for s in data["steps"] if s["id"].startswith("hold")]  # a time to send, no call
    students = drafted(
        "Every school night at 9pm pull that day's attendance from PowerSchool; for each student who had an "
        "unexcused absence, text the guardian. Hold those until 7am."
    )
    assert students["trigger"]["cron"] == "0 21 * * 0-4" and students["name"].startswith("student")


def test_what_is_sent_before_to_is_no_recipient():
    from copilot.draft.recipient_phrase import recipient_phrases

    assert recipient_phrases("email it to that department's HR business partner") == [
        "department's hr business partner"
    ]
    assert recipient_phrases("text the route driver right away") == ["route driver"]


def test_a_lead_naming_a_value_the_events_field_lists_gates_its_sentence():
    data = drafted(
        "Our bike-share docks publish events to a Google Pub/Sub topic dock-events with event_type (docked, "
        "undocked, faulted), dock_id, station_id and rider_id. On faulted, email the station technician at "
        "ops@bikes.example and mark the dock out of service in our fleet API. On docked, post the station id "
        "to the #rebalancing Slack channel."
    )
    faulted = "{{ event.event_type == 'faulted' }}"
    assert step(data, "http", "email")["if"] == faulted
    assert step(data, "http", "mark")["if"] == faulted
    assert step(data, "http", "slack")["if"] == "{{ event.event_type == 'docked' }}"


def test_scores_of_n_and_above_lead_every_action_of_their_clause():
    data = drafted(
        "Deposits arrive on Kafka with deposit_id and amount. Run the check image through a vision model "
        "that returns a risk score from 0 to 100. Scores of 80 and above put the deposit on hold and page "
        "the deposit-ops on-call through PagerDuty; scores between 50 and 79 go to the manual review queue."
    )
    assert step(data, "http", "page")["if"] == "{{ steps.check_score.output.score >= 80 }}"


def test_a_messy_form_w_a_quoted_box_by_text_and_make_a_case_are_read():
    from copilot.draft.coverage import check

    brief = (
        "ok so when a tenant files a noise complaint form in Buildium it hits our webhook w/ tenant_id, "
        "unit, the neighbours unit and a big free text 'what happened' box. can u have an ai tag it as "
        "music, party, pets, threats or other, and if its threats or party that has to go to the property "
        "manager on call RIGHT away by text plus make a Buildium case. everything else just email the "
        "building manager a summary. pls never send the tenant's name or the free text to the building "
        "manager."
    )
    data = drafted(brief)
    assert {"tenant_id", "unit", "neighbours_unit", "what_happened"} <= set(
        data["trigger"]["event_schema"]["properties"]
    )
    label = "steps.check_classify.output.label"
    both = f"{{{{ ({label} == 'threats') or ({label} == 'party') }}}}"
    assert step(data, "http", "sms")["if"] == both
    case = step(data, "http", "case")
    assert case["if"] == both and case["request"]["url"] == "${env:BUILDIUM_API_URL}", case
    # the rule is about what reaches the building manager: the email, never the SMS
    held = [f for f in check(data, brief).findings if f["code"] == "DR013"]
    assert all("notify_sms" not in f["message"] for f in held), held


def test_a_grade_scale_its_any_lead_its_only_for_and_a_label_that_does_something():
    data = drafted(
        "Our water utility's call software posts a webhook for every main-break call with call_id, "
        "caller_phone and the agent's notes. Have a model grade the call as level 1 (flooding), level 2 or "
        "level 3 from the notes. Any level 1, or any call where the caller reports a sinkhole, must dispatch "
        "a crew through our ClickSoftware work order API and page the duty supervisor in PagerDuty; level 2 "
        "creates a next-day work order only. Text the caller back with the crew ETA only for level 1. "
        "Dispatch decisions need to be made within 1.5 s."
    )
    label = "steps.check_classify.output.label"
    assert step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"][:3] == [
        "level_1",
        "level_2",
        "level_3",
    ]
    urgent = step(data, "http", "page")["if"]
    assert urgent.startswith(f"{{{{ ({label} == 'level_1') or (steps.check_classify.output."), urgent
    assert "sinkhole" in urgent
    assert step(data, "http", "sms")["if"] == f"{{{{ {label} == 'level_1' }}}}"
    orders = [s for s in data["steps"] if s["id"].startswith("create")]
    assert [s["if"] for s in orders] == [f"{{{{ {label} == 'level_2' }}}}"], orders
    assert not [s for s in data["steps"] if "need" in s["id"]]  # the SLA sentence is no call


def test_figure_out_what_they_want_lists_the_asks_as_labels_never_actions():
    data = drafted(
        "riders text us and twilio sends a webhook with From, Body and MessageSid. have the ai figure out "
        "what they want: book a ride, cancel a ride, where's my ride, or something else. reply to the rider "
        "by SMS."
    )
    labels = step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"]
    assert labels == ["book_ride", "cancel_ride", "where_my_ride", "other"], labels
    assert not [s for s in data["steps"] if s["id"] in ("book_ride", "cancel_ride")]


def test_assess_severity_as_lists_labels_tagging_a_person_is_no_label_and_answer_each_x_within_is_the_sla():
    data = drafted(
        "HackerOne sends us a webhook for every new report with report_id, title and asset_identifier. A "
        "model should assess severity as critical, high, medium, low or informative. For critical reports, "
        "page the owning team's on-call in PagerDuty. The initial triage answer should be back within 4 "
        "seconds."
    )
    assert step(data, "http", "page")["if"] == "{{ steps.check_classify.output.label == 'critical' }}"
    assert [s["id"] for s in data["steps"] if s["type"] == "model"] == ["classify"]
    presses = drafted(
        "Presses publish a cycle summary to RabbitMQ with press_id and cycle_time_s. A model compares the "
        "cycle against the window and returns in_control, drifting or out_of_control. When it says drifting, "
        "post to the #molding-floor Slack channel tagging the process tech for that press. Answer each cycle "
        "within 1 second p95."
    )
    assert [s["id"] for s in presses["steps"] if s["type"] == "model"] == ["decide"]


def test_an_email_or_text_to_no_one_is_a_gap_of_its_own():
    from copilot.draft.coverage import check
    from copilot.draft.unaddressed import unaddressed

    brief = (
        "Package lockers publish events to Pub/Sub with event_type, locker_id and unit_number. On delivered, "
        "send them a pickup code by SMS."
    )
    data = drafted(brief)
    sms = step(data, "http", "sms")
    assert "to" not in sms["request"]["json"]
    gaps = [f for f in check(data, brief).findings if f["code"] == "DR014"]
    assert [f["json_path"] for f in gaps] == [f"$.steps[{data['steps'].index(sms)}].request.json"], gaps
    sms["request"]["json"]["to"] = "{{ event.phone }}"  # addressed: no gap
    assert not unaddressed(data)


def test_what_each_event_is_comes_from_the_opening_not_a_later_instruction_or_a_fee():
    from copilot.draft.reader import read

    said = {
        # "a one-page summary", "page the supervisor", "call a curtailment event": instructions
        "Every 15 minutes, pull the demand-response forecast from the PJM API. A model decides curtail, "
        "pre_cool or no_action. If curtail, page the grid supervisor in PagerDuty and call the "
        "hotline.": "event",
        # "$25/person fee" is a price the flow charges, not what the budget is counted per
        "opentable sends us a webhook when a reservation gets marked no-show with reservation_id and "
        "party_size. charge a $25/person fee in Stripe.": "reservation",
        # "under a cent and a half": a fraction, no thing
        "Typeform sends a webhook when a loan application is submitted with application_id. Keep each "
        "application under a cent and a half.": "application",
    }
    for brief, noun in said.items():
        assert read(brief).noun == noun, (brief, read(brief).noun)


def test_not_a_label_runs_on_every_other_label():
    data = drafted(
        "Classify each refund request as refund, exchange or complaint. If it is not a refund, email "
        "support@shop.example the request."
    )
    assert step(data, "http", "email")["if"] == "{{ steps.check_classify.output.label != 'refund' }}"
    shifts = drafted(
        "Cancellations arrive on Kafka with shift_id and hours_notice. A model classifies the reason as one "
        "of: clinical_need_gone, budget, clinician_issue or unclear. If hours_notice is under 48 and the "
        "reason is not clinician_issue, create a cancellation-fee invoice draft in Xero."
    )
    fee = step(shifts, "http", "draft")["if"]
    assert (
        fee == "{{ (event.hours_notice < 48) and (steps.check_classify.output.label != 'clinician_issue') }}"
    ), fee


def test_and_say_a_b_or_c_names_the_options_and_option_equals_leads_its_action():
    from copilot.draft.decisions import decision_options

    assert decision_options('look at the reading and say "slow_leak", "blowout_risk" or "sensor_fault".') == [
        "slow_leak",
        "blowout_risk",
        "sensor_fault",
    ]
    data = drafted(
        "Claims arrive by webhook with claim_id and notes. Have the AI decide approve, review or deny. "
        "deny = email the claimant at claims@insure.example. review = open a ticket in Jira."
    )
    decided = "{{ steps.check_decide.output.decision == '%s' }}"
    assert step(data, "http", "email")["if"] == decided % "deny"
    assert step(data, "http", "ticket")["if"] == decided % "review"


def test_final_check_14_a_kind_lead_without_comma_whose_address_a_later_lookup_gives_and_what_the_text_says():
    from copilot.draft.coverage import check

    brief = (
        "hey so our piercing studio uses square appointments and when someone books it fires a webhook with "
        "booking_id, client_name, client_email, client_phone, piercer_id, placement and a notes box where "
        "they describe what they want. have the ai sort each booking into ear, facial, oral or body. for "
        "facial and oral ones email the piercer (their email is in our airtable staff table, look it up by "
        "piercer_id) the notes so they can prep. if the client says theyre under 16 anywhere in the notes "
        "text our front desk at +1 555 0142 right away. never send the client's phone number to the piercer."
    )
    data = drafted(brief)
    assert data["name"].startswith("booking"), data["name"]
    assert "notes" in data["trigger"]["event_schema"]["properties"]
    label = "steps.check_classify.output.label"
    email = step(data, "http", "email")
    assert email["if"] == f"{{{{ ({label} == 'facial') or ({label} == 'oral') }}}}", email["if"]
    assert email["request"]["json"]["to"] == "{{ steps.lookup.output.piercer_email }}"
    assert email["request"]["json"]["notes"] == "{{ event.notes }}"
    # what the notes say is the model's judgement, never a lookup's field or an event number
    sms = step(data, "http", "sms")["if"]
    assert sms.startswith("{{ steps.check_classify.output.") and "lookup" not in sms, sms
    assert not [f for f in check(data, brief).findings if f["code"] == "DR013"]


def test_final_check_14_them_after_a_note_for_someone_is_that_someone():
    data = drafted(
        "Our seismographs publish each blast reading to an SQS queue with blast_id, monitor_id and "
        "peak_velocity. Look up the monitor's nearest residence and the neighbour's contact in our Airtable "
        "neighbours table by monitor_id. Have a model write a two-sentence note about the blast for the "
        "neighbour and email it to them, but only when peak_velocity is above 5."
    )
    email = step(data, "http", "email")
    assert email["request"]["json"]["to"] == "{{ steps.lookup.output.neighbour_email }}", email["request"]
    assert email["if"] == "{{ event.peak_velocity > 5 }}"


def test_arrow_leads_a_fee_charged_is_no_budget_and_them_is_the_events_one_address():
    brief = (
        "opentable sends us a webhook when a reservation gets marked no-show, it has reservation_id, "
        "guest_name, guest_email, party_size and restaurant_id. lookup the guests history in our sevenrooms "
        'crm by guest_email (lifetime spend) — then have the ai decide: "first_time", "repeat_offender", '
        'or "vip_mistake" (vip is anyone with lifetime spend over $2000). repeat_offender -> charge the '
        "$25/person no show fee thru stripe and email them the receipt. first_time -> just a friendly sms "
        "with a rebooking link. Response in 2.5s, budget is like 0.3 cents/event"
    )
    data = drafted(brief)
    assert data["sla"]["max_cost_per_event"] == 0.003, data["sla"]
    decided = "{{ steps.check_decide.output.decision == '%s' }}"
    charge = step(data, "http", "charge")
    assert charge["if"] == decided % "repeat_offender" and charge["request"]["url"] == "${env:STRIPE_API_URL}"
    email = step(data, "http", "email")
    assert email["if"] == decided % "repeat_offender"
    assert email["request"]["json"]["to"].startswith("{{ event.guest_email }}")
    assert step(data, "http", "sms")["if"] == decided % "first_time"


def test_answering_one_of_colon_lists_the_options():
    from copilot.draft.decisions import decision_options

    said = (
        "A model decides whether to call a curtailment event, answering one of: curtail, pre_cool or "
        "no_action."
    )
    assert decision_options(said) == ["curtail", "pre_cool", "no_action"]


def test_decides_whether_to_call_is_the_decision_not_a_call():
    data = drafted(
        "Every 15 minutes, pull the demand-response forecast from the PJM API. A model decides whether to "
        "call a curtailment event, answering one of: curtail, pre_cool or no_action. If the decision is "
        "pre_cool, post a heads-up to the #grid-ops Slack channel."
    )
    assert not [s for s in data["steps"] if s["id"].startswith("call")]
    assert step(data, "model", "decide")["output_schema"]["properties"]["decision"]["enum"] == [
        "curtail",
        "pre_cool",
        "no_action",
    ]
    assert step(data, "http", "slack")["if"] == "{{ steps.check_decide.output.decision == 'pre_cool' }}"


def test_final_check_15_a_lookups_question_a_product_named_when_and_the_other_half_of_an_and():
    from copilot.draft.coverage import check

    venue = (
        "people fill out the inquiry form on our squarespace site, it posts to our webhook with inquiry_id, "
        "email, wedding_date and a message box. look up the wedding_date in our google calendar to see if "
        "its already booked. have the ai sort each inquiry into ready_to_book, just_browsing or "
        "vendor_pitch. if the date is free and its ready_to_book email the couple our pricing pdf link."
    )
    data = drafted(venue)
    email = step(data, "http", "email")
    assert email["if"].startswith("{{ (steps.check_classify.output.label == 'ready_to_book') and ("), email[
        "if"
    ]
    assert "date_free" in email["if"]
    assert email["request"]["json"]["text"] == "Pricing pdf link."
    assert not [f for f in check(data, venue).findings if "already booked" in str(f.get("clause"))]
    pools = (
        "Pool controllers publish readings to the Kafka topic pool-chem with pool_id and ph. Look up the "
        "pool's supervisor in our When I Work roster by pool_id. If ph is outside 7.2-7.8, page the "
        "supervisor in PagerDuty."
    )
    assert not [f for f in check(drafted(pools), pools).findings if f["code"] == "DR010"]


def test_quoted_options_a_label_equals_action_lead_and_a_shouted_and():
    tyres = (
        "Our trucks send TPMS readings over NATS subject fleet.tpms with vehicle_id, pressure_psi and "
        'driver_phone. we want a model to look at the reading and say "slow_leak", "blowout_risk" or '
        '"sensor_fault". blowout_risk = page the on call fleet manager on pagerduty AND send the driver a '
        "text thru twilio telling them to pull over. slow_leak = make a work order in fleetio. needs to be "
        "cheap, tenth of a cent per reading max."
    )
    data = drafted(tyres)
    assert data["sla"]["max_cost_per_event"] == 0.001
    assert step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"][:3] == [
        "slow_leak",
        "blowout_risk",
        "sensor_fault",
    ]
    blowout = "{{ steps.check_classify.output.label == 'blowout_risk' }}"
    assert step(data, "http", "page")["if"] == blowout
    # the text is its own step (one per clause, not one per channel named in the sentence) and
    # it is limited like the page it is joined to by "AND"
    texts = [s for s in data["steps"] if "sms" in s["id"]]
    assert len(texts) == 1 and texts[0]["if"] == blowout, texts
    assert [s["if"] for s in data["steps"] if "fleetio" in str(s)] == [
        "{{ steps.check_classify.output.label == 'slow_leak' }}"
    ]


def test_a_recommendation_with_arrow_leads_a_listed_rule_and_a_second_read_in_lower_case():
    rentals = (
        "When someone submits a rental application on our AppFolio listing we get a webhook with name, "
        "email, monthly_income and unit_id. pull the unit rent from appfolio and run the credit check "
        "thru TransUnion SmartMove. have the AI summarise and give a recommendation approve / conditional "
        "/ decline - income has to be at least 3x the rent for approve. approve -> email the applicant the "
        "lease signing link. conditional -> email asking for a co-signer. never use anything about age, "
        "race, religion, familial status in the decision."
    )
    data = drafted(rentals)
    decide = step(data, "model", "decide")
    assert decide["output_schema"]["properties"]["decision"]["enum"] == ["approve", "conditional", "decline"]
    system = decide["prompt"]["system"]
    assert "income has to be at least 3x the rent for approve" in system
    assert "age, race, religion, familial status in the decision" in system
    emails = [s for s in data["steps"] if "email" in s["id"]]
    decided = "{{ steps.check_decide.output.decision == '%s' }}"
    assert sorted(s["if"] for s in emails) == sorted([decided % "approve", decided % "conditional"])
    urls = [
        s["request"]["url"] for s in data["steps"] if s["type"] == "http" and s["request"]["method"] == "GET"
    ]
    assert any("APPFOLIO" in u for u in urls) and any("TRANSUNION" in u for u in urls), urls


def test_make_a_work_order_names_the_record_not_the_verb():
    data = drafted(
        "Orders arrive by webhook with order_id. Make a work order in Fleetio for the nearest depot."
    )
    made = [s for s in data["steps"] if s["type"] == "http"]
    assert [s["request"]["json"]["action"] for s in made] == ["create work order"]


def test_an_email_sent_from_an_address_goes_to_the_person_not_the_sender():
    data = drafted(
        "LibCal fires a webhook at us when someone books a room (booking_id, student_email, party_size). "
        "Check the room capacity in our rooms spreadsheet (google sheets) and email the student from "
        "studyrooms@uni.edu telling them to pick a bigger room."
    )
    email = step(data, "http", "email")["request"]["json"]
    assert email["to"] == "{{ event.student_email }}" and email["from"] == "studyrooms@uni.edu", email
    assert any(s["type"] == "http" and "GOOGLE" in s["request"]["url"] for s in data["steps"])


def test_returns_one_of_a_list_an_instead_after_a_semicolon_and_a_hard_rule_on_a_longer_label():
    diets = (
        "Meal orders land on an SQS queue (order_id, patient_mrn, ward, room, items). A model checks the "
        "requested items against the diet order and returns compliant, needs_substitution or blocked. "
        "Compliant orders go straight to the kitchen system (CBORD) via its API. Blocked orders are not "
        "sent to the kitchen at all; the ward's charge nurse gets a Teams message instead."
    )
    data = drafted(diets)
    teams = [s for s in data["steps"] if "teams" in s["id"]]
    assert [s["if"] for s in teams] == ["{{ steps.check_decide.output.decision == 'blocked' }}"], teams
    medics = (
        "Medics log encounters to Google Pub/Sub (encounter_id, tent, complaint_text, spo2, gcs). A model "
        "triages each encounter into treat_and_release, observe, or transfer_to_hospital. If spo2 is below "
        "90 or gcs is below 13 it's a transfer no matter what the model says. For transfer_to_hospital, "
        "page the medical director on PagerDuty with the tent, vitals and triage reason."
    )
    data = drafted(medics)
    assert step(data, "http", "page")["if"] == (
        "{{ (steps.check_classify.output.label == 'transfer_to_hospital') or (event.spo2 < 90) or "
        "(event.gcs < 13) }}"
    )
    properties = data["trigger"]["event_schema"]["properties"]
    # a number a rule compares is a number; an id may come as text or as a number
    assert properties["gcs"]["type"] == "number"
    assert properties["encounter_id"]["type"] == ["string", "integer"]


def test_a_broken_model_answer_takes_the_value_under_which_the_fewest_actions_go_out():
    diets = (
        "Meal orders land on an SQS queue (order_id, patient_mrn, ward, room, items). A model checks the "
        "requested items against the diet order and returns compliant, needs_substitution or blocked. "
        "Compliant orders go straight to the kitchen system (CBORD) via its API. For needs_substitution, "
        "the order goes to CBORD with the substitutions marked. Blocked orders are not sent to the kitchen "
        "at all; the ward's charge nurse gets a Teams message instead."
    )
    result = draft_offline(DraftRequest(brief=diets))
    gate = step(result.data, "validate", "check_decide")
    # "needs_substitution" reads like a human look, but it sends the order to the kitchen
    assert gate["on_fail"]["value"]["decision"] == "blocked"
    assert any("answers `decision: blocked`" in a for a in result.assumptions), result.assumptions
    # a default that already acts the least stays as the drafter chose it
    loans = (
        "Typeform posts each loan application to our webhook with application_id and email. A model "
        "decides approve, manual_review or decline. If approve, email the applicant the offer. If "
        "manual_review, post it to the #underwriting Slack channel."
    )
    assert step(drafted(loans), "validate", "check_decide")["on_fail"]["value"]["decision"] == "manual_review"


def test_anything_except_a_label_and_posting_the_draft_runs_when_the_draft_is_written():
    pension = (
        "Freshdesk forwards each new ticket to us as a webhook (ticket_id, member_number, subject, body). "
        "A model classifies the question as benefits_estimate, transfer_out, death_benefit or other. For "
        "anything except death_benefit, draft a reply using only the member FAQ documents. Post the draft "
        "as a private note on the Freshdesk ticket for an administrator to approve. Death benefit queries "
        "go straight to the bereavement team's queue in Freshdesk."
    )
    data = drafted(pension)
    others = "{{ steps.check_classify.output.label != 'death_benefit' }}"
    assert step(data, "retrieve")["if"] == others
    post = step(data, "http", "post_draft")
    assert post["if"] == others and "check_answer" in post["needs"]
    assert post["request"]["json"]["details"]["answer"] == "{{ steps.check_answer.output.text }}"
    assert step(data, "http", "bereavement")["id"] == "send_to_bereavement_team_queue"


def test_a_screen_for_named_things_is_how_the_labeller_judges_and_the_message_passed_on_goes_with_it():
    gifts = (
        "When an order is created Shopify sends an orders/create webhook with order_id, customer_email, "
        "gift_message and shipping_country. A model screens the gift message for profanity, harassment and "
        "personal data (phone numbers, home addresses) and labels it ok, edit_needed or reject. ok messages "
        "are sent to our print vendor (Printful API) with the order id. Keep it under 2 s p95 and $0.0008 "
        "each."
    )
    data = drafted(gifts)
    assert data["sla"]["max_cost_per_event"] == 0.0008
    assert not [s for s in data["steps"] if s["type"] == "model" and s["id"].startswith("moderate")]
    system = step(data, "model", "classify")["prompt"]["system"]
    assert "profanity, harassment and personal data (phone numbers, home addresses)" in system
    sent = step(data, "http", "send")
    assert sent["if"] == "{{ steps.check_classify.output.label == 'ok' }}"
    assert sent["request"]["json"]["details"]["gift_message"] == "{{ event.gift_message }}"


def test_a_label_lead_with_an_or_aside_a_slash_unit_and_a_label_named_like_a_verb():
    glucose = (
        "When our Dexcom integration posts a glucose reading webhook (patient_id, glucose_mg_dl, "
        "trend_arrow), look up the patient's care plan and assigned nurse in Epic. A model should judge "
        "the risk as low, moderate or urgent based on the reading and the care plan. Urgent cases "
        "(anything below 54 mg/dL, or urgent from the model) page the assigned nurse via PagerDuty. "
        "Moderate cases create a follow-up task in Epic for the nurse to review within 24 hours."
    )
    data = drafted(glucose)
    assert step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"][:3] == [
        "low",
        "moderate",
        "urgent",
    ]
    assert not [s for s in data["steps"] if s["id"].startswith("moderate")]
    assert step(data, "http", "page")["if"] == (
        "{{ (steps.check_classify.output.label == 'urgent') or (event.glucose_mg_dl < 54) }}"
    )
    task = step(data, "http", "task")
    assert task["request"]["method"] == "POST"
    assert task["if"] == "{{ steps.check_classify.output.label == 'moderate' }}"


def test_a_prohibition_keeps_the_lead_of_its_action_and_a_posted_status_is_what_the_lookup_found():
    orchard = (
        "Soil probes publish readings to the Google Pub/Sub topic orchard-soil with block_id, "
        "volumetric_water_content and battery_pct. A model decides irrigate_now, skip or check_probe. For "
        "irrigate_now, open the block's valve through the WiseConn API. For check_probe, create a "
        "maintenance task in FarmOS. Never open a valve when battery_pct is below 10."
    )
    valve = step(drafted(orchard), "http", "valve")
    assert valve["if"] == (
        "{{ (not (event.battery_pct < 10)) and (steps.check_decide.output.decision == 'irrigate_now') }}"
    )
    rebates = (
        "Each new Zendesk ticket hits our webhook with ticket_id, requester_email, subject and body. "
        "Classify the ticket as rebate_question, application_status or other. For rebate_question, answer "
        "using only the rebate program guide. Post the answer as a public reply on the Zendesk ticket. For "
        "application_status, look up the application in Salesforce by the requester's email and post the "
        "status as an internal note for the agent, not a public reply."
    )
    status = step(drafted(rebates), "http", "post_status")
    assert "check_answer" not in status["needs"] and "lookup" in status["needs"], status["needs"]
    assert status["request"]["json"]["details"]["looked_up"] == "{{ steps.lookup.output }}"


def test_tags_them_a_list_an_arrow_lead_a_thing_added_to_a_record_and_never_send_it_to_a_label():
    karaoke = (
        "private room bookings come in thru OpenTable webhooks (reservation_id, guest name, phone, "
        "party_size, special_requests). can u make it so the AI reads special requests and tags them "
        "birthday, corporate, bachelorette or none. for party size over 12 we need a deposit so create a "
        "Square invoice for $100 and text the guest the link. birthdays get a free dessert note added to "
        "the reservation in OpenTable. corporate bookings => email events@singsongbars.com with the "
        "details. dont send deposit links to corporate bookings ever."
    )
    data = drafted(karaoke)
    assert step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"][:4] == [
        "birthday",
        "corporate",
        "bachelorette",
        "none",
    ]
    labelled = "{{ steps.check_classify.output.label == '%s' }}"
    assert step(data, "http", "note")["if"] == labelled % "birthday"
    assert step(data, "http", "email")["if"] == labelled % "corporate"
    kept = "{{ (not (steps.check_classify.output.label == 'corporate')) and (event.party_size > 12) }}"
    assert step(data, "http", "invoice")["if"] == kept
    assert step(data, "http", "sms")["if"] == kept


def test_the_reason_is_not_a_label_alone_or_beside_a_guess_and_its_otherwise_is_the_whole_opposite():
    said = (
        "Acuity sends a webhook with appointment_id and reason_text. Have a model classify the "
        "cancellation reason text as illness, schedule_conflict, dissatisfied or other. If %s, refund the "
        "full amount through the Stripe refunds API; otherwise issue a studio credit in Airtable."
    )
    alone = drafted(said % "the reason is not dissatisfied")
    assert step(alone, "http", "refund")["if"] == "{{ steps.check_classify.output.label != 'dissatisfied' }}"
    assert step(alone, "http", "credit")["if"] == (
        "{{ not (steps.check_classify.output.label != 'dissatisfied') }}"
    )
    both = drafted(
        said % "the class starts more than 72 hours after the cancellation and the reason is not dissatisfied"
    )
    refund = step(both, "http", "refund")["if"]
    assert refund == (
        "{{ (steps.check_classify.output.class_starts_more) and "
        "(steps.check_classify.output.label != 'dissatisfied') }}"
    ), refund
    assert step(both, "http", "credit")["if"] == "{{ not (" + refund[3:-3] + ") }}"


def test_decides_the_priority_as_a_list_of_options():
    admits = (
        "Our interface engine publishes admit messages to the Kafka topic adt.admits with mrn, unit and "
        "diagnosis. A model decides the bed priority as routine, expedite or isolation_critical. If it's "
        "isolation_critical, create an EVS cleaning request in TeleTracking. Expedite admits get posted to "
        "the #bed-huddle Slack channel with the unit."
    )
    data = drafted(admits)
    assert step(data, "model", "decide")["output_schema"]["properties"]["decision"]["enum"] == [
        "routine",
        "expedite",
        "isolation_critical",
    ]
    decided = "{{ steps.check_decide.output.decision == '%s' }}"
    assert step(data, "http", "evs")["if"] == decided % "isolation_critical"
    assert step(data, "http", "slack")["if"] == decided % "expedite"


def test_pick_a_tone_colon_options_an_option_named_like_a_verb_and_a_lead_with_an_aside():
    arrears = (
        "Buildium fires a webhook when a tenant's balance becomes past due with tenant_id, phone and "
        "days_late. Look up the tenant's payment plan in Buildium, and check HubSpot for notes that the "
        "tenant asked for hardship assistance. Have a model pick a tone for outreach: gentle, firm or "
        "escalate. For gentle or firm, text the tenant through Twilio with the balance. for escalate (more "
        "than 30 days late and no payment plan) create a task for the property manager in Buildium and "
        "email legal@harborlineproperties.com the ledger summary."
    )
    data = drafted(arrears)
    assert step(data, "model", "decide")["output_schema"]["properties"]["decision"]["enum"] == [
        "gentle",
        "firm",
        "escalate",
    ]
    assert any(s["type"] == "http" and "HUBSPOT" in s["request"]["url"] for s in data["steps"])
    assert not [s for s in data["steps"] if s["id"] == "escalate"]
    escalate = "{{ steps.check_decide.output.decision == 'escalate' }}"
    assert step(data, "http", "task")["if"] == escalate
    assert step(data, "http", "email")["if"] == escalate
    assert step(data, "http", "sms")["if"] == "{{ steps.check_decide.output.decision in ['gentle', 'firm'] }}"


def test_a_model_recommends_one_of_a_list_and_a_subject_naming_two_of_them():
    renewals = (
        "Every night at 1 am, pull the list of ebook licenses expiring in the next 30 days from the "
        "OverDrive Marketplace API. For each title, a model recommends renew, let_expire or "
        "buy_additional_copy, using a holds-to-copies ratio of 4:1 or more as the main signal for buying "
        "another copy. Titles recommended for renew or buy_additional_copy get added to the Marketplace "
        "cart."
    )
    data = drafted(renewals)
    assert step(data, "model", "decide")["output_schema"]["properties"]["decision"]["enum"] == [
        "renew",
        "let_expire",
        "buy_additional_copy",
    ]
    assert not [s for s in data["steps"] if s["id"] == "reply"]
    assert step(data, "http", "add")["if"] == (
        "{{ steps.check_decide.output.decision in ['renew', 'buy_additional_copy'] }}"
    )


def test_the_budget_said_as_an_order_or_beside_an_action_is_no_step_and_no_condition():
    makers = (
        "Each submission is published to the Pub/Sub topic tool-reports with submission_id, "
        "member_email, tool_name and description. For broken tools, open a GitHub issue in the "
        "makerspace/equipment repo. Respond to the form submitter with a thank-you email in under a "
        "minute, and hold the per-report cost at or below 0.6 cents."
    )
    data = drafted(makers)
    assert data["sla"]["max_cost_per_event"] == 0.006
    assert not [s for s in data["steps"] if "cost" in s["id"]]
    assert "cost" not in str([s.get("if") for s in data["steps"]])
    assert "cost" not in str(data["trigger"]["event_schema"]["properties"])
    loans = (
        "Each new Intercom message arrives as a webhook with conversation_id, user_id and body. Answer "
        "the question using only the servicing FAQ documents. The reply must be posted back to Intercom "
        "within 3 seconds p95, at no more than $0.005 per message."
    )
    data = drafted(loans)
    assert data["sla"]["max_cost_per_event"] == 0.005
    assert "0.005" not in str([s.get("if") for s in data["steps"]])


def test_a_sentence_stating_the_rules_goes_whole_to_the_decider_and_denied_is_deny():
    rooms = (
        "When a resident books the party room or the rooftop BuildingLink sends a webhook (booking_id, "
        "resident_email, amenity, guest_count, purpose). we want the AI to look at the purpose and decide "
        "approve / needs_review / deny. rules are rooftop max 20 guests, party room max 40, nothing past "
        "11pm, no commercial events. approved -> email the resident a confirmation. denied -> email the "
        "resident the reason nicely."
    )
    data = drafted(rooms)
    assert not [s for s in data["steps"] if s["id"] == "reply"]
    system = step(data, "model", "decide")["prompt"]["system"]
    assert (
        "rules are rooftop max 20 guests, party room max 40, nothing past 11pm, no commercial events"
        in system
    )
    decided = "{{ steps.check_decide.output.decision == '%s' }}"
    assert sorted(s["if"] for s in data["steps"] if "email" in s["id"]) == [
        decided % "approve",
        decided % "deny",
    ]


def test_kinds_named_after_their_description_a_kind_then_its_action_and_a_quoted_reply_kept_whole():
    bonds = (
        "twilio hits our webhook with From, Body and the MessageSid. look up the client by phone number in "
        "our bondsman crm (BailBooks). then have the AI read the text and figure out if its a normal "
        "checkin, a change of address, or something sketchy like they say theyre leaving the state - call "
        'those "checkin", "address_change", "flight_risk". normal checkins just get logged in bailbooks and '
        'we reply "Thanks, check-in received" by sms. address changes update the address field in '
        "bailbooks AND email the assigned agent."
    )
    data = drafted(bonds)
    assert step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"][:3] == [
        "checkin",
        "address_change",
        "flight_risk",
    ]
    assert not [s for s in data["steps"] if s["id"].startswith("call")]
    labelled = "{{ steps.check_classify.output.label == '%s' }}"
    assert step(data, "http", "field")["if"] == labelled % "address_change"
    assert step(data, "http", "email")["if"] == labelled % "address_change"
    from copilot.draft.verbs import clause_spans

    said = 'logged in bailbooks and we reply "Thanks, check-in received" by sms.'
    assert [said[a:b].strip() for a, b in clause_spans(said)] == [
        "logged in bailbooks",
        'we reply "Thanks, check-in received" by sms.',
    ]


def test_final_check_16_a_lookup_by_phone_the_whole_text_and_what_the_lookup_got_goes_with_the_refund():
    cleaners = (
        "customers text our twilio number about their orders, twilio posts to our webhook w/ From, Body, "
        "MessageSid. look up the customer by phone in our CleanCloud account to find their open orders. "
        "then have the ai figure out if its a ready_question or a complaint. complaint -> make a ticket in "
        "zendesk for the store manager w/ the whole text."
    )
    data = drafted(cleaners)
    assert step(data, "http", "lookup")["request"]["url"] == "${env:CLEANCLOUD_API_URL}/{{ event.From }}"
    assert step(data, "http", "ticket")["request"]["json"]["details"]["Body"] == "{{ event.Body }}"
    rentals = (
        "Lightspeed sends a webhook with rental_id, customer_email and condition_notes. Look up the rental "
        "agreement in our Rentman account by rental_id to get the deposit amount and the damage waiver "
        "status. A model grades the return as clean, minor_wear or damaged. For clean returns, refund the "
        "deposit through Stripe."
    )
    refund = step(drafted(rentals), "http", "refund")
    assert "lookup" in refund["needs"]
    assert refund["request"]["json"]["details"]["looked_up"] == "{{ steps.lookup.output }}"


def test_grades_by_a_named_scheme_an_article_before_slashed_options_and_an_option_inside_another():
    racks = (
        "Each submission lands on our SQS queue rack-inspections with site, aisle, bay and notes. A vision "
        "model grades the damage using the SEMA traffic-light scheme: green, amber or red. Red means the bay "
        "must be offloaded: create an urgent Jira ticket in the FACILITY project. Amber gets a Jira ticket "
        "with a 4-week due date."
    )
    data = drafted(racks)
    assert step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"][:3] == [
        "green",
        "amber",
        "red",
    ]
    flying = (
        "every morning at 6:30 pull todays launch bookings from our ClubSpark account. have the model "
        "decide a go / marginal / no_go for the day based on crosswind and cloud base. if no_go, cancel "
        "their bookings in clubspark. go = post the day's launch list in slack channel #flightline."
    )
    data = drafted(flying)
    assert step(data, "model", "decide")["output_schema"]["properties"]["decision"]["enum"] == [
        "go",
        "marginal",
        "no_go",
    ]
    decided = "{{ steps.check_decide.output.decision == '%s' }}"
    assert step(data, "http", "cancel")["if"] == decided % "no_go"
    assert step(data, "http", "slack")["if"] == decided % "go"


def test_decides_if_its_one_of_a_list_in_a_chatty_brief():
    from copilot.draft.decisions import decision_options

    said = "then an ai decides if its a scoring_error, rules_question or conduct complaint"
    assert decision_options(said) == ["scoring_error", "rules_question", "conduct_complaint"]
    assert decision_options("figure out if it's a refund or an exchange") == ["refund", "exchange"]


def test_figure_out_the_bucket_colon_list_and_if_its_a_bucket_then_the_action():
    coffee = (
        "recharge sends us a webhook whenever a subscriber cancels, with customer_id, subscription_id and "
        "cancel_reason. pull the customers order history from shopify by customer_id. then have the model "
        "figure out the reason bucket: price, too_much_coffee, taste, shipping_problem or other. if its "
        "shipping_problem make a gorgias ticket for the CX team with the order history attached."
    )
    data = drafted(coffee)
    assert step(data, "model", "classify")["output_schema"]["properties"]["label"]["enum"][:5] == [
        "price",
        "too_much_coffee",
        "taste",
        "shipping_problem",
        "other",
    ]
    assert (
        step(data, "http", "ticket")["if"] == "{{ steps.check_classify.output.label == 'shipping_problem' }}"
    )
    assert "too_much_coffee" not in data["trigger"]["event_schema"]["properties"]


def test_a_model_that_rates_or_gives_a_severity_on_a_scale_is_a_score_and_no_label():
    rated = drafted(
        "Gate controllers publish fault events to the Kafka topic gate-faults with gate_id. A model rates "
        "the severity from 1 to 5. If severity is 4 or higher, page the field tech via PagerDuty."
    )
    assert step(rated, "model", "score")["output_schema"]["properties"]["score"]["maximum"] == 5
    assert step(rated, "http", "page")["if"] == "{{ steps.check_score.output.score >= 4 }}"
    given = drafted(
        "Gate controllers publish fault events to the Kafka topic gate-faults with gate_id. A model "
        "classifies the fault as sensor, arm_mechanical or power and gives a severity from 1 to 5."
    )
    assert step(given, "model", "classify")["output_schema"]["properties"]["label"]["enum"] == [
        "sensor",
        "arm_mechanical",
        "power",
        "other",
    ]
    assert step(given, "model", "score")["output_schema"]["properties"]["score"]["maximum"] == 5
    either = drafted(
        "Gate controllers publish fault events to the Kafka topic gate-faults with gate_id and "
        "cars_waiting. A model classifies the fault as sensor, arm_mechanical or power and gives a severity "
        "from 1 to 5. If severity is 4 or higher or cars_waiting is over 10, page the field tech via "
        "PagerDuty."
    )
    two = drafted(
        "Gate controllers publish fault events to the Kafka topic gate-faults with gate_id and "
        "cars_waiting. A model classifies the fault as sensor or power and gives a severity from 1 to 5. "
        "If severity is 4 or 5 or cars_waiting is over 10, page the field tech via PagerDuty."
    )
    assert step(two, "http", "page")["if"] == (
        "{{ (steps.check_score.output.score >= 4 and steps.check_score.output.score <= 5) or "
        "(event.cars_waiting > 10) }}"
    )
    # the first part's own words name its field, never the one its alternative names
    assert step(either, "http", "page")["if"] == (
        "{{ (steps.check_score.output.score >= 4) or (event.cars_waiting > 10) }}"
    )


def test_final_check_17_those_a_prohibition_names_go_elsewhere_only_for_those_events():
    bakery = (
        "Each new wholesale order arrives as an orders/create webhook with order_id, cafe_email and notes. "
        "Look up the cafe's account in our QuickBooks by cafe_email to get their credit limit and overdue "
        "balance. Never confirm an order for a cafe with an overdue balance; those go to the accounts "
        "queue in QuickBooks instead."
    )
    queue = step(drafted(bakery), "http", "accounts")
    assert queue.get("if") and "overdue_balance" in queue["if"], queue.get("if")


def test_a_comparative_subject_is_the_other_side_of_the_earlier_test_on_that_measure():
    # "Lower severities …" names the measure of an earlier test: it runs where that part fails
    # (not where "or the queue is long" fails too), and never on every event
    data = drafted(
        "Boiler alarms arrive on an SQS queue with site_id, alarm_code and queue_depth. A model rates "
        "the priority from 1 to 5. If priority is 4 or 5 or queue_depth is over 20, page the on-call "
        "engineer via PagerDuty. Never reset the boiler from this flow. Lower priorities just get a "
        "ticket created in Jira."
    )
    page = step(data, "http", "page")["if"]
    ticket = step(data, "http", "ticket")["if"]
    assert "queue_depth" in page
    assert ticket.startswith("{{ not (") and "queue_depth" not in ticket, ticket
    assert ticket.replace("{{ not ", "{{ ", 1) in page.replace(" or (event.queue_depth > 20)", ""), (
        page,
        ticket,
    )


def test_a_message_telling_its_reader_to_act_says_so_and_thresholds_below_zero_keep_their_sign():
    data = drafted(
        "Freezer sensors publish readings to the Kafka topic freezer-temps with store_id, unit_id and "
        "temp_c. If temp_c is below minus 25 or above -10, send an SMS via Twilio to the store manager "
        "telling them to move the stock to the backup freezer."
    )
    sms = step(data, "http", "sms")
    assert "please move the stock to the backup freezer" in sms["request"]["json"]["text"].lower(), sms
    # a number below zero keeps its sign, in any wording
    assert sms["if"] == "{{ (event.temp_c < -25) or (event.temp_c > -10) }}"


def test_treat_a_threshold_as_an_outcome_forces_it_and_keeps_the_other_outcomes_off():
    data = drafted(
        "Drone flight requests arrive by webhook with pilot_id, site and wind_kts. Have the model decide "
        "an approve / review / deny for the request, and treat wind_kts over 20 as deny no matter what the "
        "model says. If approve, post the request in the #flights Slack channel. If review, email the "
        "safety officer. If deny, text the pilot via Twilio."
    )
    deny = step(data, "http", "sms")["if"]
    assert "== 'deny'" in deny and "or (event.wind_kts > 20)" in deny, deny
    for other, outcome in (("slack", "approve"), ("email", "review")):
        cond = step(data, "http", other)["if"]
        assert f"== '{outcome}'" in cond and "not (event.wind_kts > 20)" in cond, cond


def test_a_number_the_verdict_is_asked_for_is_its_output_and_what_the_brief_keeps_out_stays_out():
    data = drafted(
        "When a Stripe webhook tells us a bike rental ended (it has the booking number, the bike's "
        "frame code, the rider's email and the mechanic's free-text inspection notes), have a model "
        "read the inspection notes and classify the wear as normal, worn or broken, with a repair cost "
        "estimate in euros. If the wear is normal, email the rider that their deposit is released. If "
        "it is broken or the estimate is over 80 euros, open a ticket in Jira with the frame code, the "
        "notes and the estimate. Never email the rider a repair cost estimate."
    )
    props = data["trigger"]["event_schema"]["properties"]
    assert {"booking_number", "rider_email", "mechanic_inspection_notes"} <= set(props), props
    gate = step(data, "validate")
    assert gate["output_schema"]["properties"]["repair_cost_estimate"] == {"type": "number"}
    ticket = step(data, "http", "ticket")
    assert "output.repair_cost_estimate > 80" in ticket["if"] and "event." not in ticket["if"], ticket["if"]
    assert ticket["request"]["json"]["mechanic_inspection_notes"] == "{{ event.mechanic_inspection_notes }}"
    email = step(data, "http", "email")
    assert "estimate" not in str(email["request"]["json"]), email["request"]["json"]
    assert email["request"]["json"]["text"] == "Your deposit is released."


def test_no_thing_is_the_classifiers_none_label_and_which_part_is_an_extracted_field():
    data = drafted(
        "When a scooter is docked, the dock publishes a message on NATS with ride_id, scooter_id, "
        "rider_phone and inspection_notes. Extract from the inspection_notes which part is broken "
        "(brake, light, wheel) and classify the severity as none, minor or major. For major damage, "
        "post the scooter_id to the #fleet Slack channel. If there is no damage, text the rider a "
        "thank-you via Twilio."
    )
    assert step(data, "http", "sms")["if"] == "{{ steps.check_classify.output.label == 'none' }}"
    extract = step(data, "model", "extract")
    assert list(extract["output_schema"]["properties"]) == ["broken_part"], extract["output_schema"]


def test_a_score_band_subject_gets_its_message_and_a_never_for_a_kind_of_event_splits_it():
    data = drafted(
        "Grant applications arrive by webhook from Submittable with application_id, applicant_email, "
        "budget_total, is_returning_applicant and summary. Score the application from 1 to 10 against "
        "our funding criteria. Applications scoring below 4 get a polite decline email, except that we "
        "never auto-decline a returning applicant; those go to the panel review queue in Submittable "
        "instead."
    )
    props = data["trigger"]["event_schema"]["properties"]
    assert "applications_scoring" not in props and props["is_returning_applicant"] == {"type": "boolean"}
    email = step(data, "http", "email")["if"]
    queue = step(data, "http", "queue")["if"]
    assert "score < 4" in email and "not (event.is_returning_applicant" in email, email
    assert "score < 4" in queue and "and (event.is_returning_applicant" in queue, queue


def test_a_queue_classifiers_labels_are_its_own_and_what_a_lookup_gets_is_no_score():
    data = drafted(
        "Our BMS publishes chiller alarms to the Kafka topic chiller-alarms with chiller_id, alarm_code "
        "and supply_temp_c. Look up the chiller in our Maximo asset register to get its failure risk "
        "class. Classify each alarm as nuisance, maintenance or critical. If it is critical or "
        "supply_temp_c is above 12, page the on-call engineer via Opsgenie. Maintenance alarms create a "
        "routine work order in Maximo."
    )
    kinds = [s["id"] for s in data["steps"] if s["type"] == "model"]
    assert kinds == ["classify"], kinds
    page = step(data, "http", "page")["if"]
    assert "check_classify.output.label == 'critical'" in page and "supply_temp_c > 12" in page, page
    order = step(data, "http", "order")["if"]
    assert order == "{{ steps.check_classify.output.label == 'maintenance' }}", order


def test_a_corrected_number_holds_and_a_bigger_subject_gets_its_own_message():
    data = drafted(
        "ok so people book escape rooms thru a typeform, it hits our webhook with name, phone, "
        "party_size and slot. text the customer a confirmation via twilio for parties up to 6 people "
        "-- actually no make that 8, bigger groups than 8 get an email to the manager "
        "(manager@lockbox-rooms.com) instead and NO text."
    )
    assert step(data, "http", "sms")["if"] == "{{ event.party_size <= 8 }}"
    assert step(data, "http", "email")["if"] == "{{ event.party_size > 8 }}"


def test_a_message_a_model_writes_for_a_person_is_sent_to_them_with_the_briefs_content_rules():
    data = drafted(
        "Our lab pushes each finished well-water test onto the SQS queue water-results with sample_id, "
        "owner_email, nitrate_mg_l and sample_age_days. Write the owner a results email explaining what "
        "their nitrate level means, using only our state guidance documents. If nitrate_mg_l is 10 or "
        "higher, include the treatment options from the guidance. If sample_age_days is more than 2, do "
        "not send results at all; email the owner that the sample was too old and a new kit is coming. "
        "Never recommend a specific installer by name."
    )
    sends = [s for s in data["steps"] if s["type"] == "http" and "email" in s["id"]]
    results = [s for s in sends if "steps.check_answer.output" in str(s["request"]["json"])]
    assert len(results) == 1, [s["id"] for s in sends]
    assert results[0]["request"]["json"]["to"] == "{{ event.owner_email }}"
    assert results[0]["if"] == "{{ not (event.sample_age_days > 2) }}", results[0].get("if")
    system = step(data, "model", "answer")["prompt"]["system"]
    assert "include the treatment options" in system and "Never recommend a specific installer" in system


def test_a_relaxed_time_limit_is_the_sla_and_a_product_named_my_x_is_x():
    data = drafted(
        "when a student cancels a class in calendly we get the invitee.canceled webhook with invitee_email "
        "and class_name. look up the student in My Dance Studio to see their credits. email the student a "
        "rebooking link. also dont ever email the teacher directly. it's fine if it takes like 10 seconds."
    )
    assert data["sla"]["latency_p95"] == "10s"
    assert "DANCE" in step(data, "http", "lookup")["request"]["url"], step(data, "http", "lookup")["request"]


def test_the_answer_not_in_the_documents_is_its_grounded_flag_where_the_answer_was_written():
    data = drafted(
        "Customers of our bike repair shop chat with us in Intercom, and every new message triggers our "
        "webhook with conversation_id, user_email and message. Classify each message as pricing, booking "
        "or other. Pricing and other questions are answered from our service menu documents only; if the "
        "answer is not in those documents, assign the conversation to the human support team in Intercom."
    )
    assign = step(data, "http", "assign")["if"]
    assert "not steps.check_answer.output.grounded" in assign, assign
    # the answer is written for pricing and other questions only: the flag is read where it was
    assert "label in ['pricing', 'other']" in assign, assign
    assert step(data, "retrieve")["if"] == "{{ steps.check_classify.output.label in ['pricing', 'other'] }}"


def test_a_plain_topic_name_is_kept_and_what_a_lookup_fetched_is_no_document_set():
    data = drafted(
        "Our trail app publishes every new hazard report to the Google Pub/Sub topic hazards, with "
        "report_id, trail_id, reporter_id and description. Look up the trail's closure checklist from the "
        "Parks API. Classify the report as minor, closure or duplicate, using the checklist and the "
        "reporter's description. Closure reports are posted to the #rangers Slack channel."
    )
    assert data["trigger"]["topic"] == "hazards"
    assert not [s["id"] for s in data["steps"] if s["type"] == "retrieve"]
    data = drafted(
        "When a canoe comes back, the dock tablet publishes a rental.returned message on NATS with "
        "rental_id and notes. Classify the notes as clean or damaged. For damaged ones, post the rental_id "
        "to the #dock Slack channel."
    )
    assert data["trigger"]["topic"] == "rental.returned"


def test_what_a_message_must_not_include_is_said_to_the_model_that_writes_it():
    data = drafted(
        "Every weekday at 6 am, fetch yesterday's meter repair work orders from Cityworks. Write a short "
        "summary of what the crews fixed, then post the digest to the #meters Slack channel. Never include "
        "customer names or service addresses in the Slack post."
    )
    system = step(data, "model", "summar")["prompt"]["system"]
    assert "Never include customer names or service addresses" in system, system


def test_a_vital_sign_the_event_lists_is_a_number():
    data = drafted(
        "Home monitors publish each reading to the Kafka topic vitals.readings with patient_id, pulse, "
        "spo2 and measured_at. If spo2 is below 90, page the on-call nurse via PagerDuty."
    )
    props = data["trigger"]["event_schema"]["properties"]
    assert props["pulse"] == {"type": "number"} and props["spo2"] == {"type": "number"}, props


def test_a_never_for_a_false_flag_is_held_by_an_if_that_requires_the_flag():
    from copilot.draft.coverage import check

    brief = (
        "Shopify sends us an order webhook with order_id, customer_email, total, note and "
        "accepts_marketing. Classify the note as gift, moved or other. If the note is gift and total is "
        "over 200, email the customer a thank-you coupon. Never send a coupon to customers who said they "
        "moved, and never email anyone whose accepts_marketing is false."
    )
    data = drafted(brief)
    email = step(data, "http", "email")["if"]
    assert "event.accepts_marketing | default('')" in email and " or " not in email, email
    assert not [f for f in check(data, brief).findings if f["code"] == "DR013"]


def test_an_action_that_sets_a_field_to_a_value_sends_that_value():
    data = drafted(
        "When a ticket is created in Freshdesk, Freshdesk calls our webhook with ticket_id, subject and "
        "body. Classify the ticket as outage, billing or other. If it is an outage, set the Freshdesk "
        "ticket priority to urgent."
    )
    act = next(s for s in data["steps"] if s["type"] == "http" and "priority" in s["id"])
    assert act["request"]["json"]["priority"] == "urgent", act["request"]["json"]


def test_a_lookup_limited_to_a_label_runs_after_the_classifier_and_feeds_that_branch():
    data = drafted(
        "When a new ticket is created in Zendesk for our coffee gear shop, Zendesk calls our webhook with "
        "ticket_id, subject, body and product_sku. Classify the ticket as warranty_question, shipping or "
        "other. For warranty questions, look up the product by its product_sku in our Akeneo PIM and answer "
        "the customer using only our warranty policy documents."
    )
    ids = [s["id"] for s in data["steps"]]
    lookup = step(data, "http", "lookup")
    assert ids.index("check_classify") < ids.index(lookup["id"]), ids
    assert lookup["if"] == "{{ steps.check_classify.output.label == 'warranty_question' }}"
    assert "steps.lookup.output" in step(data, "model", "answer")["prompt"]["user"]


def test_a_kind_that_is_just_logged_needs_no_step_and_is_read():
    from copilot.draft.reader import read

    brief = (
        "Door controllers publish alarms to the Kafka topic door-alarms with door_id and alarm_code. "
        "Classify each alarm as forced, held_open or nuisance. Forced alarms page the guard via "
        "PagerDuty. Nuisance alarms are just logged."
    )
    assert not [u for u in read(brief).unmapped if "logged" in u]
    assert [s["id"] for s in drafted(brief)["steps"] if s["type"] == "http"] == ["page_oncall"]


def test_a_messy_estimate_its_threshold_its_otherwise_and_a_dashed_kind():
    data = drafted(
        "hey so we're a mobile bike repair biz. when someone pays the deposit stripe sends us a webhook with "
        "booking_id, email, phone, bike_type and issue_description. can u have the AI figure out what kind "
        "of job it is (tune_up, flat, brakes, no_shift) and estimate the hours (0.5 to 5). if its over 3 "
        "hrs, flag it in our airtable jobs base, otherwise just text the customer a confirmation. oh and "
        "no_shift jobs are urgent - slack #workshop right away. should be quick, 3s-ish, and cheap... like "
        "less than 0.3 cents each. oops i meant less than 0.5 cents"
    )
    assert [s["id"] for s in data["steps"] if s["type"] == "model"] == ["classify", "score"]
    flag = next(s for s in data["steps"] if s["type"] == "http" and "airtable" in s["id"])["if"]
    assert flag == "{{ steps.check_score.output.score > 3 }}", flag
    assert step(data, "http", "sms")["if"] == "{{ not (steps.check_score.output.score > 3) }}"
    assert "== 'no_shift'" in step(data, "http", "slack")["if"]
    assert data["sla"]["latency_p95"] == "3s" and data["sla"]["max_cost_per_event"] == 0.005


def test_a_band_of_what_the_model_scores_and_a_text_to_the_lead_only_with_a_phone():
    from copilot.draft.coverage import check

    brief = (
        "People request a wedding venue tour through our Typeform, and the webhook gives us response_id, "
        "full_name, email, phone, guest_count and budget_usd. Score each request from 0 to 100 for how "
        "likely it is to book. Requests scoring 75 or above are hot: text the lead a thank-you with our "
        "planner's direct line. Requests between 40 and 74 get a brochure email. Never text anyone who "
        "did not give a phone number."
    )
    data = drafted(brief)
    assert "requests" not in data["trigger"]["event_schema"]["properties"]
    assert step(data, "http", "email")["if"] == (
        "{{ steps.check_score.output.score >= 40 and steps.check_score.output.score <= 74 }}"
    )
    sms = step(data, "http", "sms")
    assert sms["request"]["json"]["to"] == "{{ event.phone }}"
    assert sms["if"] == "{{ (steps.check_score.output.score >= 75) and (event.phone | default('')) }}"
    assert "phone" not in data["trigger"]["event_schema"]["required"]
    found = {f["code"] for f in check(data, brief).findings}
    assert not found & {"DR010", "DR013"}, found


def test_a_listed_value_that_is_ignored_and_a_lead_naming_a_listed_value_limit_the_flow():
    data = drafted(
        "We consume the Kafka topic gate-events from our parking gates. Each event has event_id, plate, "
        "gate_id and outcome (opened or refused). Opened events are ignored entirely. For refused events, "
        "look up the plate in our permit system by plate, then classify the refusal as expired_permit, "
        "unknown_plate or hardware_fault. For hardware_fault, create a ServiceNow ticket for facilities."
    )
    ticket = step(data, "http", "ticket")["if"]
    assert "event.outcome != 'opened'" in ticket and "== 'hardware_fault'" in ticket, ticket


def test_a_messy_action_taken_back_is_gone_and_its_replacement_keeps_its_events():
    data = drafted(
        "ok so when a customer emails support gorgias fires a webhook to us with ticket id, customer email "
        "and the message. have the ai figure out what the complaint is - late delivery, damaged item or "
        "billing. for damaged item issue a $20 store credit in shopify... wait actually no, scratch that, "
        'just tag the gorgias ticket "refund-review" and ping #cx-leads on slack.'
    )
    ids = [s["id"] for s in data["steps"]]
    assert not [i for i in ids if "credit" in i or "issue" in i], ids
    assert "== 'damaged_item'" in step(data, "http", "slack")["if"]
    tag = next(s for s in data["steps"] if s["type"] == "http" and "tag" in s["id"])
    assert "== 'damaged_item'" in tag["if"], tag.get("if")


def test_a_lookup_by_email_is_keyed_on_the_address_and_sends_no_email():
    data = drafted(
        "Members ask questions about their gym plan in Intercom, and Intercom sends a webhook with "
        "conversation_id, member_email and message. Look up the member's plan in Mindbody by email "
        "(plan name, renewal date). Classify the question as billing, classes or other. For billing "
        "questions, post the conversation_id to the #front-desk Slack channel."
    )
    assert not [s["id"] for s in data["steps"] if "email" in s["id"]], [s["id"] for s in data["steps"]]


def test_anything_lower_after_a_threshold_is_its_other_side():
    data = drafted(
        "Expense reports arrive by webhook with report_id, employee_email and total. Score each report "
        "from 0 to 1 for policy compliance. Reports scoring 0.8 or higher are approved in Expensify; "
        "anything lower goes into a summary email to the controller at controller@ourco.example."
    )
    assert step(data, "http", "email")["if"] == "{{ not (steps.check_score.output.score >= 0.8) }}"


def test_the_reply_going_back_over_whatsapp_is_sent_to_whoever_wrote_with_the_question_posted():
    data = drafted(
        "Campers message our campground's WhatsApp number and Twilio posts a webhook with MessageSid, From "
        "and Body. Answer the camper's question using only our site rules (the markdown files in "
        "docs/camp/). If the answer isn't in those documents, post the question to the #office Slack "
        "channel. The reply goes back to the camper over WhatsApp."
    )
    sms = step(data, "http", "sms")["request"]["json"]
    assert sms["to"] == "{{ event.From }}" and "check_answer.output.text" in sms["text"], sms
    assert "event.Body" in str(step(data, "http", "slack")["request"]["json"])


def test_a_check_against_an_api_is_a_lookup_and_otherwise_is_the_other_side_of_its_answer():
    from copilot.draft.coverage import check

    brief = (
        "Electricians submit permit questions through our portal, which drops them onto the SQS queue "
        "permit-questions with question_id, electrician_license, electrician_email and question. First "
        "check the electrician license against the state licensing API. If the license is expired, do not "
        "answer the question at all; just email the electrician that their license needs renewal. "
        "Otherwise answer strictly from our electrical code PDFs in docs/codes/ and email the answer to the "
        "electrician."
    )
    data = drafted(brief)
    assert not [s for s in data["steps"] if s["type"] == "model" and s["id"] != "answer"], data["steps"]
    emails = [s for s in data["steps"] if s["type"] == "http" and "email" in s["id"]]
    expired = "steps.lookup.output.license_expired | default(false)"
    assert sorted(s["if"] for s in emails) == sorted([f"{{{{ {expired} }}}}", f"{{{{ not ({expired}) }}}}"])
    assert all(s["request"]["json"]["to"] == "{{ event.electrician_email }}" for s in emails)
    assert not [f for f in check(data, brief).findings if f["code"] in ("DR013", "DR014")]


def test_holding_a_message_until_later_is_no_step_and_is_said_as_not_understood():
    from copilot.draft.reader import read

    brief = (
        "Our tour buses publish faults to the NATS subject fleet.bus.faults with bus_id, driver_phone, "
        "passengers_on_board and fault_code. If fault_code is E9, text the driver through Twilio to stop "
        "safely. Never text the driver while passengers_on_board is greater than 0; hold the text until the "
        "bus is empty. Minor faults 1 and 2 are just logged, nothing else."
    )
    ids = [s["id"] for s in drafted(brief)["steps"]]
    assert ids == ["notify_sms"], ids
    unmapped = read(brief).unmapped
    assert any("hold the text" in u for u in unmapped) and not any("logged" in u for u in unmapped), unmapped


def test_a_never_over_a_measure_names_its_field_by_unit_and_instead_gets_the_other_side():
    data = drafted(
        "HubSpot calls our webhook when the window cleaning quote form is submitted, with contact_id, email, "
        "floor_count and notes. Everyone gets an email with the price range. Never send a price for "
        "buildings over 20 floors; create a HubSpot task for a rope-access survey instead."
    )
    assert "buildings" not in data["trigger"]["event_schema"]["properties"]
    assert step(data, "http", "email")["if"] == "{{ event.floor_count <= 20 }}"
    assert step(data, "http", "task")["if"] == "{{ event.floor_count > 20 }}"


def test_what_the_brief_keeps_out_of_messages_is_left_out_of_every_place_and_every_whole():
    data = drafted(
        "Our leak scanner publishes findings to the Kafka topic leaks with repo, author_email and snippet. "
        "Classify the finding as live or test. For live findings, post to the #security Slack channel and "
        "open a Jira ticket. Never put the snippet itself into Slack or Jira."
    )
    for s in data["steps"]:
        if s["type"] == "http":
            assert "snippet" not in str(s["request"].get("json")), s["id"]
    data = drafted(
        "our booking system pushes party bookings onto kafka topic parties.booked, fields are booking_id, "
        "parent_email and notes. we want the ai to read the notes and pull out allergies + any wheelchair "
        "needs. email the parent a confirmation w/ the party details. DONT mention allergies in the parent "
        "email."
    )
    email = str(step(data, "http", "email")["request"]["json"])
    assert "allerg" not in email and "wheelchair" in email, email


def test_a_case_arrow_its_score_band_a_measured_subject_and_a_two_word_estimate():
    data = drafted(
        "gardeners apply for plots thru a typeform, the webhook has response_id, contact_email, "
        "bed_width_ft and a free text plan box. can the AI score how well it fits our program 0-10 and "
        "estimate the repair hours from 1 to 40. fits of 7 or more -> add a row to our airtable "
        "list and email the contact a welcome. beds bigger than 12 ft wide get flagged for a volunteer visit "
        "in airtable too."
    )
    models = [s["id"] for s in data["steps"] if s["type"] == "model"]
    assert models[0] == "score" and len(models) >= 1, models  # asked of the model ("can the AI score …")
    row = next(s for s in data["steps"] if s["type"] == "http" and "row" in s["id"])
    assert row["if"] == step(data, "http", "email")["if"] and ">= 7" in row["if"], row["if"]
    flag = next(s for s in data["steps"] if s["type"] == "http" and "flag" in s["id"])
    assert flag["if"] == "{{ event.bed_width_ft > 12 }}", flag.get("if")


def test_a_field_the_brief_sets_in_parentheses_a_thank_you_and_a_chatty_please_after_the_budget():
    data = drafted(
        "gyms ask us for climbing wall installs thru a typeform, the webhook has response_id, contact_email "
        "and wall_height_ft. walls taller than 30 ft tall get flagged for a survey in airtable (field "
        "survey = yes). email the contact a thank you with our brochure link. under 1 cent each pls"
    )
    flag = next(s for s in data["steps"] if s["type"] == "http" and "flag" in s["id"])
    assert flag["if"] == "{{ event.wall_height_ft > 30 }}" and flag["request"]["json"]["survey"] == "yes"
    email = step(data, "http", "email")["request"]["json"]
    assert email["text"] == "Thank you with our brochure link." and "Pl " not in email.get("subject", ""), (
        email
    )


def test_a_condition_on_what_the_text_says_is_said_as_the_classifiers_not_as_not_understood():
    outcome = draft_offline(
        DraftRequest(
            brief="Guests message our hostel and Twilio posts a webhook with From and Body. If the message "
            "is about a lost item, create a card on our Trello lost-and-found board. Reply within 4 seconds."
        )
    )
    assert "message_lost_item" in step(outcome.data, "http", "card")["if"]
    assert not [u for u in outcome.unmapped if "lost item" in u], outcome.unmapped
    assert any(
        "the classifier decides 'If the message is about a lost item'" in a for a in outcome.assumptions
    )


def test_wait_no_dont_takes_back_the_actions_with_that_verb_said_before_it():
    data = drafted(
        "HubSpot fires a webhook when a kitchen-remodel deal moves to the contract stage, with deal_id, "
        "contact_id and financing_type. For financed deals, email the lender the contract - actually no, "
        "don't email the lender ourselves, just create a HubSpot task for our finance coordinator."
    )
    ids = [s["id"] for s in data["steps"]]
    assert not [i for i in ids if "email" in i], ids
    assert [i for i in ids if "task" in i], ids


def test_a_named_colleague_a_board_to_go_in_a_hurried_theres_and_a_relaxed_plenty():
    from copilot.draft.coverage import check

    brief = (
        "ok so our watch repair bench logs every drop-off and publishes to the nats subject bench.dropoffs "
        "with ticket_no, customer_phone, watch_kind and a notes field. have the ai read the notes and pull "
        "out the caliber and whether theres water damage. if its a diver watch text Priya at her number in "
        'our settings. water damage ones go in our Trello board "rust jobs". 5 seconds is plenty, under '
        "half a cent each"
    )
    data = drafted(brief)
    assert step(data, "http", "sms")["request"]["json"]["to"] == "${env:PRIYA_PHONE}"
    trello = next(
        s for s in data["steps"] if s["type"] == "http" and "trello" in str(s["request"]["url"]).lower()
    )
    assert trello["if"] == "{{ steps.check_extract.output.water_damage }}", trello.get("if")
    assert data["sla"]["latency_p95"] == "5s"
    assert not [f for f in check(data, brief).findings if f["code"] in ("DR008", "DR010")]


def test_a_task_for_a_person_to_inspect_in_person_needs_no_vision_and_a_long_measure_is_estimated():
    from copilot.draft.coverage import check

    brief = (
        "Customers ask for quotes through our Squarespace form, which posts a webhook with form_id, email, "
        "photo_url and notes. Have a model estimate the square feet of flooring needed from 10 to 2000 and "
        "classify the job as simple or restoration. For restoration jobs, create a task in Asana for Marco "
        "to inspect the frame in person."
    )
    data = drafted(brief)
    assert [s["id"] for s in data["steps"] if s["type"] == "model"] == ["score", "classify"] or "score" in [
        s["id"] for s in data["steps"]
    ]
    assert not [f for f in check(data, brief).findings if f["code"] == "DR001"]


def test_an_estimate_more_than_what_a_lookup_returns_compares_the_two():
    data = drafted(
        "Customers ask for deck stain quotes through our Jotform, which posts a webhook with form_id, "
        "email, deck_area_sqft and stain_choice. Look up the stain in our Airtable inventory by stain_choice "
        "to get the gallons in stock. Have a model estimate the gallons of stain needed from 1 to 20. If the "
        "gallons needed are more than the gallons in stock, email our buyer at buyer@deckco.example."
    )
    cond = step(data, "http", "email")["if"]
    assert "steps.check_score.output.score > steps.lookup.output.gallons_in_stock" in cond, cond
