# ruff: noqa: E501  (phrase tables read best one case a line)
"""What starts a flow, read from phrases users write: `copilot.draft.triggers`.

Each row is a brief and the trigger it must give: the kind, and the details the brief states
(timetable, broker, topic, GitHub signatures). An explicit statement beats inference, and a
timetable word in what the flow produces ("a daily digest") never outweighs a push or a queue.
"""

from __future__ import annotations

import pytest

from copilot.draft.reader import Trigger, read, split_sentences
from copilot.draft.triggers import cron_for, read_trigger


def trigger_of(brief: str) -> Trigger:
    return read_trigger(split_sentences(brief), [])


TRIGGERS = [
    # pushes
    ("When a ticket arrives by webhook, classify it.", "webhook", {}),
    ("Tickets come in from zendesk via webhook and get triaged", "webhook", {}),
    ("Detect spam in contact form submissions", "webhook", {}),
    ("Stripe posts payment events to us; score each for fraud", "webhook", {"auth": "standard-webhooks"}),
    ("the vendor calls our endpoint with each order", "webhook", {}),
    ("When someone opens an issue on our GitHub repo, label it", "webhook", {"auth": "github"}),
    ("GitHub Actions workflow_run webhooks come in when a deploy finishes", "webhook", {"auth": "github"}),
    ("summarise each post", "webhook", {"text": None}),
    ("shopify order webhok -> check for reseller abuse. also nightly we want a report of held orders", "webhook", {}),
    # schedules
    ("Every 5 minutes check the queue of invoices.", "schedule", {"every": 300.0}),
    ("daily at 9am send a digest", "schedule", {"cron": "0 9 * * *"}),
    ("Daily at 9 summarise yesterday's tickets", "schedule", {"cron": "0 9 * * *"}),
    ("every weekday at 8:30 summarise new leads", "schedule", {"cron": "30 8 * * 1-5"}),
    ("every weekday at 5:30pm summarise", "schedule", {"cron": "30 17 * * 1-5"}),
    ("every morning, summarise the open incidents", "schedule", {"cron": "0 9 * * *"}),
    ("hourly: fetch new app store reviews", "schedule", {"every": 3600.0}),
    ("Nightly, summarise the day's error logs", "schedule", {"cron": "0 2 * * *"}),
    ("Every Monday at 8am email the churn report", "schedule", {"cron": "0 8 * * 1"}),
    ("Every Monday at 8am Pacific, collect the most-read articles", "schedule", {"cron": "0 8 * * 1", "timezone": "America/Los_Angeles"}),
    ("daily at 9:00 CET summarise the open tickets", "schedule", {"cron": "0 9 * * *", "timezone": "Europe/Berlin"}),
    ("Run at 7:30 every weekday (cron 30 7 * * 1-5). Fetch balances", "schedule", {"cron": "30 7 * * 1-5"}),
    ("A scheduled trigger is used; classify the new rows", "schedule", {}),
    # queues
    ("Consume events from the kafka topic orders.created and classify them", "queue", {"broker": "kafka", "topic": "orders.created"}),
    ("messages arrive on an SQS queue; summarise each", "queue", {"broker": "sqs"}),
    ("Candidates apply through Greenhouse, which sends each application to a queue we consume", "queue", {}),
    ("Listen to the Pub/Sub topic user-uploads and moderate captions", "queue", {"broker": "pubsub", "topic": "user-uploads"}),
    ("Alerts arrive on the rabbitmq queue `alerts`.", "queue", {"broker": "rabbitmq", "topic": "alerts"}),
    ("Call transcripts are published to the Kinesis stream call-transcripts.", "queue", {"broker": "kinesis", "topic": "call-transcripts"}),
    ("Comments come through Azure Event Hubs (hub: comments).", "queue", {"broker": "eventhub", "topic": "comments"}),
    ("Readings land in a Redis stream every few seconds", "queue", {"broker": "redis"}),
    ("jobs are pushed to NATS by the uploader", "queue", {"broker": "nats"}),
    ("a message on the queue starts the flow", "queue", {"broker": "queue"}),
    ("it consumes from the invoices topic", "queue", {"topic": "invoices"}),
    ("Signed NDAs are dropped on an SQS queue (nda-review).", "queue", {"broker": "sqs", "topic": "nda-review"}),
    ("Consume from the orders queue and send failures to the dead-letter queue", "queue", {"topic": "orders"}),
]  # fmt: skip

EXPLICIT_WINS = [
    ("A scheduled trigger is used. The vendor posts updates to us and we classify them.", "schedule", {}),
    ("Triggered by a webhook; send a daily summary email to the team.", "webhook", {}),
    ("It consumes from the orders topic on Kafka and posts a daily summary to Slack.", "queue", {"broker": "kafka", "topic": "orders"}),
    ("Tickets come in by webhook. Also every day at 6pm summarise the day's tickets.", "webhook", {"others": ["every day at 6pm"]}),
    ("A scheduled trigger is used: daily at 7am summarise new forum posts.", "schedule", {"cron": "0 7 * * *"}),
    ("Form submissions are batched, and a scheduled trigger runs it every 10 minutes.", "schedule", {"every": 600.0}),
    ("Rank search results for relevance, triggered by an HTTP POST from the search service.", "webhook", {}),
]  # fmt: skip

RESULT_CLAUSE_TRAP = [
    ("When a ticket arrives by webhook, classify it and add it to the daily digest.", "webhook", {}),
    ("Orders come in from the Kafka topic orders; email a daily summary to ops.", "queue", {"broker": "kafka"}),
    ("Stripe posts failed payments to us; include them in tomorrow's report.", "webhook", {"others": []}),
    ("Score each form submission and put the hot ones in the weekly report.", "webhook", {}),
    ("Flag risky orders from Shopify events; a nightly recap goes to the ops channel.", "webhook", {}),
    ("summarise it for the weekly report later", "webhook", {}),
    # with nothing else to go on, a digest the flow sends is its timetable
    ("Send a daily digest of new signups to Slack.", "schedule", {"cron": "0 9 * * *"}),
]  # fmt: skip

ALL = TRIGGERS + EXPLICIT_WINS + RESULT_CLAUSE_TRAP


@pytest.mark.parametrize(("brief", "kind", "details"), ALL, ids=[b for b, _, _ in ALL])
def test_trigger(brief, kind, details):
    trigger = trigger_of(brief)
    assert trigger.kind == kind, trigger
    for name, value in details.items():
        assert getattr(trigger, name) == value, (name, trigger)


def test_there_are_enough_trigger_rows():
    assert len(ALL) >= 20 and len(EXPLICIT_WINS) >= 5 and len(RESULT_CLAUSE_TRAP) >= 5


def test_the_trigger_quotes_the_phrase_that_decided_it_and_marks_its_words_read():
    reading = read("Consume card payments from the kafka topic payments.authorized and score each one.")
    assert reading.trigger.text == "Consume card payments from the kafka topic"
    assert next(m.text for m in reading.matches if m.kind == "trigger") == reading.trigger.text


def test_trigger_is_still_importable_from_the_reader():
    from copilot.draft import reader, triggers

    assert reader.Trigger is triggers.Trigger


@pytest.mark.parametrize(
    ("phrase", "hour", "minute", "half", "cron"),
    [
        ("daily", "9", None, "am", "0 9 * * *"),
        ("every friday", "4", "15", "pm", "15 16 * * 5"),
        ("nightly", None, None, None, "0 2 * * *"),
        ("every evening", None, None, None, "0 18 * * *"),
        ("weekly", None, None, None, "0 9 * * 1"),
        ("monthly", None, None, None, "0 9 1 * *"),
    ],
)
def test_cron_for_a_timetable(phrase, hour, minute, half, cron):
    assert cron_for(phrase, hour, minute, half) == cron
