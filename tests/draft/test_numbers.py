"""The numbers a brief states, read the way users write them: money, latency, rate, concurrency.

Each table is a phrase a user would type and what `copilot.draft.numbers` must read in it.
"""

from __future__ import annotations

import pytest

from copilot.draft.numbers import number, read_concurrency, read_cost, read_rate, read_sla
from copilot.draft.reader import read, split_sentences


def _sentences(text: str) -> list[str]:
    return split_sentences(text)


# ---------------------------------------------------------------------------- money

MONEY = [
    ("a tenth of a cent per event", 0.001),
    ("needs to be cheap, tenth of a cent per reading max", 0.001),
    ("a cent and a half per application", 0.015),
    ("Keep it under 2 s p95 and $0.0008 each.", 0.0008),
    ("about 0.3 cents apiece", 0.003),
    ("half a cent per ticket", 0.005),
    ("0.4 cents per ticket", 0.004),
    ("at most 0.4 cents per ticket", 0.004),
    ("budget $0.002 per call", 0.002),
    ("keep it under $0.01 per event", 0.01),
    ("2 cents per alert", 0.02),
    ("two cents per alert", 0.02),
    ("$5 per 1,000 tickets", 0.005),
    ("we can spend about $5 per 1,000 tickets", 0.005),
    ("$20 per 10k events", 0.002),
    ("we can spend $10 per 10,000 requests", 0.001),
    ("$1 per thousand events", 0.001),
    ("$0.25 per 100 documents", 0.0025),
    ("keep it under a penny", 0.01),
    ("less than a cent per review", 0.01),
    ("Budget: a fifth of a cent per post", 0.002),
    ("a quarter of a cent per message", 0.0025),
    ("Keep it under one cent per lead", 0.01),
    ("Half a cent per email max", 0.005),
    ("0.5¢ per event", 0.005),
    ("$0.003/ticket", 0.003),
    ("we dont want to spend more than $0.003 per ticket", 0.003),
    ("cost under 1.5 cents", 0.015),
    ("cost maybe 0.05 cents each", 0.0005),
    ("3 cents a pop", 0.03),
    ("costs should stay below $0.01", 0.01),
    ("Two cents per alert at most.", 0.02),
    # prices that are not a budget per event
    ("$500 a month is what we pay today", None),
    ("the model costs $3 per million tokens", None),
    ("flag orders over $100 for review", None),
    ("refunds under $50 are approved automatically", None),
    ("we process 10,000 tickets a day", None),
]


@pytest.mark.parametrize(("phrase", "dollars"), MONEY, ids=[p for p, _ in MONEY])
def test_money(phrase, dollars):
    cost = read_cost(_sentences(phrase), [])
    if dollars is None:
        assert cost.budget is None, cost
    else:
        assert cost.budget == pytest.approx(dollars), cost


def test_the_budget_keeps_the_words_it_came_from():
    cost = read_cost(_sentences("Budget: a tenth of a cent per authorisation."), [])
    assert cost.budget_text == "a tenth of a cent per authorisation"


@pytest.mark.parametrize(
    ("phrase", "tier"),
    [
        ("it needs to be cheap", "economy"),
        ("cost matters a lot here", "economy"),
        ("accuracy matters most, cost is no object", "premium"),
        ("classify each ticket", None),
    ],
)
def test_cost_tier(phrase, tier):
    assert read_cost(_sentences(phrase), []).tier == tier


@pytest.mark.parametrize(
    ("text", "value"),
    [("10,000", 10000), ("1,200", 1200), ("10k", 10000), ("2 million", 2e6), ("half a", 0.5), ("Twenty", 20)],
)
def test_number_reads_separators_scales_and_words(text, value):
    assert number(text) == value


# ---------------------------------------------------------------------------- latency

LATENCY = [
    ("answer within 1.5 seconds", 1.5),
    ("respond in under 800ms", 0.8),
    ("under 800 ms please", 0.8),
    ("p95 of 2s", 2.0),
    ("p95 below 1s please", 1.0),
    ("latency under 250ms", 0.25),
    ("<500ms end to end", 0.5),
    ("in less than half a second", 0.5),
    ("in under a second", 1.0),
    ("Rank search results in half a second", 0.5),
    ("needs sub-second replies", 1.0),
    ("whole thing under 1.2 secs", 1.2),
    ("2s is fine", 2.0),
    ("800ms max", 0.8),
    ("Should take less than 3 seconds.", 3.0),
    ("waits at most one second for an answer", 1.0),
    ("within 2,000 ms", 2.0),
    ("reply within 300 ms; the API we call has p95 about 110 ms", 0.3),
    ("real-time, p95 under 2 seconds", 2.0),
    # not a realtime latency
    ("escalate tickets with no reply within 24 hours", None),
    ("every 5 minutes, summarise", None),
    ("ignore repeats for 30 seconds", None),
    ("it's fine if the research takes half a minute", None),
]


@pytest.mark.parametrize(("phrase", "sla"), LATENCY, ids=[p for p, _ in LATENCY])
def test_latency(phrase, sla):
    assert read_sla(_sentences(phrase), []).seconds == sla


VAGUE = [
    ("classify chats in real time", "real time"),
    ("classify chats in real-time", "real-time"),
    ("make it fast", "fast"),
    ("answers should come back quickly", "quickly"),
    ("it has to feel snappy", "snappy"),
    ("instant replies for the chat widget", "instant"),
    ("a realtime chatbot for our site", "realtime"),
    # not a wish for speed
    ("doesn't need to be fast", None),
    ("Doesnt need to be fast.", None),
    ("use a fast model for the labels", None),
    ("summarise each ticket", None),
]


@pytest.mark.parametrize(("phrase", "vague"), VAGUE, ids=[p for p, _ in VAGUE])
def test_vague_latency_words_are_not_numbers(phrase, vague):
    sla = read_sla(_sentences(phrase), [])
    assert sla.seconds is None
    assert sla.vague == vague
    assert sla.realtime is (vague is not None)


def test_a_vague_word_next_to_a_number_leaves_the_number_in_charge():
    reading = read("translate incoming chat messages in real time, p95 below 1s")
    assert reading.sla == 1.0 and reading.sla_vague is None and reading.realtime is True


def test_the_reading_records_the_vague_word():
    reading = read("A realtime chatbot on our website. Must feel instant!!")
    assert reading.sla is None and reading.sla_vague == "realtime"


# ---------------------------------------------------------------------------- rate

RATES = [
    ("about 50 a second", 50.0),
    ("Peak traffic is about 50 authorisations a second.", 50.0),
    ("Up to 40 posts a second", 40.0),
    ("1,200 per minute", 20.0),
    ("10k events a day", 10_000 / 86_400),
    ("around 3,000 per hour", 3_000 / 3_600),
    ("2 million events per day", 2e6 / 86_400),
    ("100 rps at peak", 100.0),
    ("5 req/s", 5.0),
    ("normally 5 per minute, peaks of 100 per second", 100.0),
    ("a few alerts a minute", None),
    ("reply within 2 seconds", None),
    ("support runs 24 hours a day", None),
    ("2 cents per alert", None),
    ("$20 per 10k events", None),
]


@pytest.mark.parametrize(("phrase", "per_second"), RATES, ids=[p for p, _ in RATES])
def test_rate(phrase, per_second):
    rate = read_rate(_sentences(phrase), [])
    if per_second is None:
        assert rate is None
    else:
        assert rate == pytest.approx(per_second)


# ---------------------------------------------------------------------------- concurrency

CONCURRENCY = [
    ("at most 20 at a time", 20),
    ("no more than 10 concurrent", 10),
    ("concurrency of 50", 50),
    ("max 5 in parallel", 5),
    ("limit concurrency to 30", 30),
    ("the vendor API allows 8 concurrent requests", 8),
    ("process them one at a time", 1),
    ("about 50 a second", None),
    ("within 2 seconds", None),
]


@pytest.mark.parametrize(("phrase", "cap"), CONCURRENCY, ids=[p for p, _ in CONCURRENCY])
def test_concurrency(phrase, cap):
    assert read_concurrency(_sentences(phrase), []) == cap


def test_the_reading_keeps_the_stated_concurrency():
    reading = read("Classify tickets that arrive by webhook, no more than 10 concurrent.")
    assert reading.concurrency == 10
    assert any(m.kind == "concurrency" for m in reading.matches)
