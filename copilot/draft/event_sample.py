"""The event a brief describes by its field names: each field's type and example value.

A field's type is the one the brief states, else read from its name (`number_named`,
`boolean_named`); with no fields named, the event is a default of its kind (`default_event`).
"""

from __future__ import annotations

import re
from typing import Any

from copilot.draft.event import EventShape, default_shape
from copilot.draft.event_reading import KNOWN_NOUNS


def default_event(
    trigger: str, noun: str, fields: list[str] | None = None, types: dict[str, str] | None = None
) -> EventShape:
    """The event a draft assumes: the fields the brief lists, a schedule's tick, or a default of its noun."""
    if fields:
        return shape_from_names(fields, noun, types)
    if trigger == "schedule":
        sample = {"id": "run-2026-01-01T09:00Z", "fired_at": "2026-01-01T09:00:00Z"}
        schema = {
            "type": "object",
            "required": ["id", "fired_at"],
            "properties": {"id": {"type": "string"}, "fired_at": {"type": "string"}},
        }
        return EventShape(sample=sample, schema=schema, source="default", fields=["id", "fired_at"])
    shape = default_shape(noun)
    return shape


def names_the_event(field_name: str, noun: str) -> bool:
    """Whether an id field names the event itself (`id`, `message_id`, `<noun>_id`)."""
    # `order_id` names an order event; `lift_id` on "whenever a lift changes state" names the lift,
    # which changes again: only the nouns that arrive once are their own events
    return field_name.lower() in ("id", "uuid", "message_id", "request_id", "delivery_id", "webhook_id") or (
        noun in KNOWN_NOUNS and field_name.lower() == f"{noun.lower()}_id"
    )


_TYPED_SAMPLES: dict[str, Any] = {"integer": 3, "number": 12.5, "boolean": False, "array": []}


def shape_from_names(
    names: list[str], noun: str = "event", types: dict[str, str] | None = None
) -> EventShape:
    """The shape of an event whose fields the brief names: the type it states ("round_number
    (int)"), else a number for a name of measure, else a string."""
    from copilot.draft.event import shape_from

    stated = types or {}
    shape = shape_from(
        {
            name: _TYPED_SAMPLES[stated[name]] if name in stated else _sample_value(name, noun)
            for name in names
        }
    )
    for name in names:
        spec = shape.schema.get("properties", {}).get(name)
        if name not in stated and isinstance(spec, dict) and spec.get("type") == "array":
            # a list named by its noun says nothing of its items: Shopify's `line_items` are objects
            spec.pop("items", None)
        if (
            name not in stated
            and isinstance(spec, dict)
            and spec.get("type") == "string"
            and _ID_NAMED.search(name)
        ):
            # `order_id`, `ticket_id`: Shopify, Freshdesk and Clio send these as numbers, others as
            # strings; the brief's name says which field, not which of the two
            spec["type"] = ["string", "integer"]
    return shape


_ID_NAMED = re.compile(r"(?:^|_)id$", re.I)


# "kwh", "patient_age", "guest_count", "storage_temp_c", "years_experience", "reading_m3": a
# listed field with a word of measure or amount in its name is a number, unless its last word
# names something else ("price_list_url", "age_group")
_NUMBER_WORDS = frozenset({
    "amount", "total", "count", "qty", "quantity", "age", "price", "cost", "score", "pct", "percent",
    "percentage", "kg", "kwh", "kw", "mw", "km", "miles", "lbs", "lb", "weight", "minutes", "mins", "hours",
    "hrs", "days", "years", "yrs", "lat", "lon", "lng", "latitude", "longitude", "balance", "usd", "eur",
    "gbp", "temp", "temperature", "speed", "units", "seats", "guests", "min", "max", "kmh", "mph", "celsius",
    "fahrenheit", "psi", "m3", "deg", "degrees", "bu", "liters", "litres", "gallons", "volume", "length",
    "feet", "ft", "inches", "amps", "volts", "watts", "meters", "metres", "knots", "cycles",
    "rpm", "bph", "gpm", "lpm", "cfm", "mbps", "tonnes", "tons", "mwh", "pence", "grams", "oz", "lux", "db",
    "width", "height", "depth", "distance", "duration", "ms", "seconds", "secs", "bpm", "mg", "ml",
    "ratio", "rate", "hz", "khz", "mhz", "humidity", "ppm", "ppb", "frequency", "pressure", "voltage", "mm",
    "cm", "lph", "gph", "rssi", "soc", "kpa", "bar", "mbar", "kt", "kts", "g", "ntu", "wind",
    "visibility", "cents", "level", "stage", "months", "weeks", "nights", "low", "high", "value", "limit",
    "threshold", "pay", "salary", "wage", "wages", "fee", "fees", "revenue", "income", "spend", "subtotal",
    "tax", "discount", "m",  # `nearest_residence_m`: metres
    "ucl", "lcl", "usl", "lsl",  # control and specification limits
    # vital signs and other counted readings: `pulse`, `systolic`, `odometer`, `credits_left`
    "pulse", "systolic", "diastolic", "spo2", "glucose", "bmi", "mileage", "odometer", "credits", "points",
    "stars", "rating", "attempts", "views", "clicks",
})  # fmt: skip
# `target_languages`, `dtc_codes`, `order_ids`: a list of values (a JSON array), not one string
_LIST_TAILS = frozenset({
    "languages", "tags", "skills", "labels", "categories", "attachments", "items", "recipients", "urls",
    "keywords", "topics", "codes", "ids", "photos", "images", "files", "allergies", "symptoms",
    "countries", "regions", "markets", "locales", "emails", "phones", "sections", "skus", "links",
})  # fmt: skip
_NOT_NUMBER_TAILS = frozenset({
    "id", "ids", "url", "uri", "link", "name", "code", "type", "group", "band", "date", "at", "on", "text",
    "email", "status", "currency", "unit", "label", "note", "notes", "list", "range", "bucket", "flag",
    # `pay_period`, `fee_type`, `tax_region`: what kind, not how much
    "period", "region", "country", "method", "plan", "tier", "reason", "description", "title", "source",
    "kind", "category", "mode", "channel", "address", "policy", "schedule",
})  # fmt: skip


# `health_inspection_date`, `slot_start`, `sold_at`: a date or time, never compared as a number
# `lesson_start`, `shipped_at`: a time; never `hours_before_start` or `days_until_deadline`, counts of a unit
DATE_NAMED = re.compile(
    r"^(?!(?:hours?|hrs?|days?|minutes?|mins?|seconds?|secs?|weeks?|months?|years?)_)"
    r".*(?:^|_)(?:date|at|on|time|timestamp|start|end|deadline|until|since)$",
    re.I,
)


def boolean_named(name: str) -> bool:
    """`is_medical_patient`, `has_insurance`, `swarm_alarm_on`: a name that says yes or no."""
    lower = name.lower()
    if lower.split("_")[0] in _NUMBER_WORDS:
        return False  # `months_active`, `days_open`: how long, a number
    return bool(
        re.match(r"(?:is|has|was|can|should|needs|wants|allow|allows)_", lower)
        # `door_open`, `vent_closed`, `account_locked`: a state that is on or off
        or re.search(r"_(?:open|closed|locked|enabled|disabled|active|online|offline|paid|verified)$", lower)
    )


def number_named(name: str) -> bool:
    """Whether a field's name says it holds a number (`pressure_psi`, `age_years`, `total`)."""
    parts = [p for p in re.split(r"_|(?<=[a-z])(?=[A-Z])", name) if p]
    lowered = [p.lower() for p in parts]
    if not lowered or lowered[-1] in _NOT_NUMBER_TAILS or DATE_NAMED.search(name):
        return False
    if lowered[-1] == "size" and lowered[0] in _COUNTED_GROUPS:
        return True  # `party_size`, `team_size`: how many people (never `company_size`, often a band)
    return any(p in _NUMBER_WORDS for p in lowered)


_COUNTED_GROUPS = frozenset({"party", "team", "group", "household", "crew", "class", "family", "batch"})


def _sample_value(name: str, noun: str) -> str | float | bool | list[str]:
    lower = name.lower()
    if lower.rsplit("_", 1)[-1] in _LIST_TAILS:
        return [f"example {lower.rsplit('_', 1)[-1].removesuffix('s')}"]
    if boolean_named(name):
        return False
    if number_named(name):
        return 12.5  # typed as a number, as the event will carry it
    if lower == "id" or lower.endswith("_id") or name.endswith("Id"):
        return f"{noun[:3].upper()}-1001"
    if "mail" in lower:
        return "person@example.com"
    if "phone" in lower:
        return "+15550100"
    return f"Example {name.replace('_', ' ')}."
