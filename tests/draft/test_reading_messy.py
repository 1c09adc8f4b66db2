"""Messy briefs, as people type them: a loose field list with asides in it, and a latency
said as another system's timeout. Each row names a general reading; the review briefs 08
and 12 (bench/review-briefs/sixteenth) are one case each."""

from __future__ import annotations

import pytest

from copilot.draft.offline import draft_offline
from copilot.draft.request import DraftRequest


def outcome(brief: str):
    return draft_offline(DraftRequest(brief=brief))


def event_types(data: dict) -> dict[str, str]:
    props = data["trigger"]["event_schema"]["properties"]
    return {name: spec["type"] for name, spec in props.items() if name != "id"}


# ---------------------------------------------------------------------------- A. loose field lists

TATTOO = (  # review brief 08, verbatim
    "ok so basically square sends us a webhook evry time a tattoo appointmnet is marked complete (fields are "
    "like client_id, artist, placement, session_hours which is a number, and has_color true/false i think). "
    'what i want is the bot to write an aftercare msg for the client using our "Aftercare Sheet v3" doc, but '
    "color work gets the extra color section obvs. oh and look up the client in our Vagaro account by "
    "client_id so we know if they said they have allergies. if allergies is yes then DONT send anything "
    "automatically, the artist has to look at it first and ok it. otherwise text it to them with twilio. "
    "dont ever give medical advice beyond whats in the sheet!! should be quick like under 5 sec, and cheap, "
    "like half a cent per appt max"
)


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        (
            TATTOO,
            {
                # an id named, untyped: Square sends some ids as numbers, some as strings
                "client_id": ["string", "integer"],
                "artist": "string",
                "placement": "string",
                "session_hours": "number",
                "has_color": "boolean",
            },
        ),
        (  # "the payload has like …": a hedge before, a gloss and a hedge inside
            "Shopify pings our webhook whenever a return is filed (the payload has like order_ref, sku, "
            "refund_amount which is a number, and restock yes/no i guess). Write a short note to the "
            "customer confirming the return and email it with Postmark.",
            {"order_ref": "string", "sku": "string", "refund_amount": "number", "restock": "boolean"},
        ),
        (  # "fields are like …" with no parentheses, a type after a dash, a hedge after a flag
            "our clinic software sends a webhook when a vet visit is closed, fields are like pet_name, "
            "species, pain_level - a number, vaccinated true/false probably, owner_email. Draft a follow-up "
            "email to the owner with the care notes.",
            {
                "pet_name": "string",
                "species": "string",
                "pain_level": "number",
                "vaccinated": "boolean",
                "owner_email": "string",
            },
        ),
        (  # "it has …" inside parentheses
            "Typeform sends us each survey response (it has respondent_email, rating_stars which is an int, "
            "would_return yes/no, and comment). Summarise the comment and post it to Slack.",
            {
                "respondent_email": "string",
                "rating_stars": "integer",
                "would_return": "boolean",
                "comment": "string",
            },
        ),
    ],
    ids=["review-08-tattoo", "returns-payload-has-like", "vet-fields-are-like", "survey-it-has"],
)
def test_a_loose_field_list_keeps_its_fields_and_stated_types(brief, expected):
    result = outcome(brief)
    assert event_types(result.data) == expected
    # the asides are read with the list, not left over as words the drafter did not understand
    assert not any(("which is" in u or "true/false" in u or "yes/no" in u) for u in result.unmapped)


def test_fields_are_like_introduces_a_list_of_plain_words():
    data = outcome(
        "The marina's booking form posts to our webhook, fields are like the boat name, the owner phone and "
        "the slip number. Text the owner a confirmation via Twilio."
    ).data
    assert {"boat_name", "owner_phone", "slip_number"} <= set(event_types(data))


# ---------------------------------------------------------------------------- B. the caller's timeout

ESCAPE_ROOM = (  # review brief 12, verbatim
    "hey so our escape rooms use bookeo and it posts to a webhook when a game ends, fields: booking_id, "
    "room_name, group_size (int), damage_reported (yes/no), gm_notes (the game master types whatever here "
    "lol). if damage reported we need to look at the booking in bookeo by booking_id to find the depositt "
    "amount and then have the ai read the gm_notes and guess the damage severity low/med/high using our "
    '"Room Damage Guide". high = hold the whole deposit but a manager has to sign off first, med = keep '
    "half, low = refund full. if no damage just refund the deposit no questions. refunds go thru stripe. oh "
    "and NEVER charge more than the deposit, we got burned on that once. reply fast pls (bookeo times out "
    "after like 10s) and keep ai cost sub 2 cents"
)


def test_review_brief_12_takes_its_sla_from_bookeos_timeout():
    result = outcome(ESCAPE_ROOM)
    data = result.data
    assert data["sla"]["latency_p95"] == "8s"  # 80% of the 10 s bookeo waits
    assert data["sla"]["max_cost_per_event"] == 0.02
    assert not any("SLA" in a or "default" in a for a in result.assumptions), result.assumptions
    assert not any("times out" in u or "sub 2 cents" in u for u in result.unmapped)
    # the fields of brief 12 still read, the yes/no one as a flag
    assert event_types(data) == {
        "booking_id": ["string", "integer"],
        "room_name": "string",
        "group_size": "integer",
        "damage_reported": "boolean",
        "gm_notes": "string",
    }


@pytest.mark.parametrize(
    ("brief", "sla", "budget"),
    [
        (
            "Calendly posts to our webhook when a meeting is booked; their webhook gives up after 10 "
            "seconds. Classify the meeting type and add it to HubSpot. Keep it under 2c per booking.",
            "8s",
            0.02,
        ),
        (
            "Our phone system calls our endpoint for each missed call and we must answer before the 5s "
            "timeout. Summarise the voicemail and post it to Slack, 2 cents max.",
            "4s",
            0.02,
        ),
        (
            "Zendesk sends us a webhook for each new ticket (zendesk times out after about 3s). Tag each "
            "ticket by topic and keep it sub 1 cent.",
            "2.4s",
            0.01,
        ),
        (  # a latency the brief asks for wins over the caller's timeout
            "Intercom sends each chat message to our webhook. Reply to the customer within 3 seconds; "
            "Intercom times out after 10s anyway. Please keep it sub 2 cents for us.",
            "3s",
            0.02,
        ),
    ],
    ids=["gives-up-after", "before-the-timeout", "times-out-after-about", "promise-wins"],
)
def test_a_callers_timeout_sets_the_sla_and_casual_cents_the_budget(brief, sla, budget):
    result = outcome(brief)
    assert result.data["sla"]["latency_p95"] == sla
    assert result.data["sla"]["max_cost_per_event"] == budget
