"""Which field of the event a threshold reads, when the brief's words do not name it outright.

`measured_by_unit`: "Readings above 4 degrees" is the one numeric field that holds degrees
("Orders over $500" the one that holds money); `qualified`: "units_on_hand for O negative" also
tests the event's one kind-of field; `identifier_for_number`: an id is never compared as a
number; `own_field`: "If confidence is 0.8 or higher" is the event's `confidence`, no model
score; `valued_field` and `value_subjects`: "For Platinum loyalty members", "Completed jobs …"
test a value of a field. Used by `copilot.draft.deciders` and `copilot.draft.planning`.
"""

from __future__ import annotations

import re

from copilot.draft.event import EventShape
from copilot.draft.reading import Condition, Task

# "units_on_hand for O negative": the thing a measure is counted for, after the field's name
_FOR_QUALIFIER = re.compile(
    r"\bfor\s+((?:[A-Za-z0-9+-]+\s+){0,2}?[A-Za-z0-9+-]+)\s+(?=(?:drops?|falls?|is|are|goes|gets|reaches|hits|"
    r"exceeds?|rises?|below|above|under|over|less|more|at)\b)",
    re.I,
)
# fields that say which kind of thing an event is about: `blood_type`, `product_category`
_KIND_FIELD = re.compile(r"(?:^|_)(?:type|kind|category|class|group|grade|tier|variant)$", re.I)


def qualified(part: Condition, field: str, event: EventShape) -> Condition | None:
    """The qualifier of a threshold on a field, as a test of the event's one kind-of field
    ("units_on_hand for O negative" -> `blood_type == 'O negative'`)."""
    at = re.search(rf"\b{re.escape(field)}\b", part.text)
    m = _FOR_QUALIFIER.match(part.text, at.end() + 1) if at else None
    if m is None:
        return None
    kinds = [
        f
        for f in event.fields
        if "." not in f
        and _KIND_FIELD.search(f)
        and (event.schema.get("properties", {}).get(f) or {}).get("type", "string") == "string"
    ]
    if len(kinds) != 1:
        return None
    optional = kinds[0] not in (event.schema.get("required") or [])
    return Condition("event", m.group(0).strip(), "==", m.group(1), output_field=kinds[0], optional=optional)


def identifier_for_number(name: str, value: object) -> bool:
    """`player_id >= 3`: an identifier is never compared as a number."""
    suffix = name.lower().rsplit("_", 1)[-1]
    return not isinstance(value, (str, list)) and suffix in ("id", "uuid", "key", "ref")


# a unit said after a threshold, and what the names of the fields that measure it hold
_UNIT_FIELDS = (
    (r"degrees?|°|celsius|fahrenheit", r"temp|_c$|_f$|celsius|fahrenheit"),
    (r"kph|km/h|mph|knots", r"wind|speed|_kph$|_mph$|_kmh$"),
    (r"%|percent|per\s?cent", r"pct|percent|humidity|_rate$"),
)


# a threshold said in money, and the names of the fields that hold money
_MONEY_SAID = re.compile(r"[$€£]\s*\d|\d\s*(?:usd|eur|gbp|dollars|euros|pounds)\b", re.I)
_MONEY_FIELD = re.compile(r"amount|price|total|cost|value|fee|spend|balance|_usd$|_eur$|_gbp$|_cents$", re.I)


def measured_by_unit(part: Condition, event: EventShape, sentences: list[str]) -> str | None:
    """ "Readings above 4 degrees": a threshold in a unit on no field of the event, so the one
    numeric field whose name holds that unit (`air_temp_c`); "Orders over $500": the one field
    that holds money (`total_price`)."""
    numeric = [
        f
        for f in event.fields
        if "." not in f
        and (event.schema.get("properties", {}).get(f) or {}).get("type") in ("number", "integer")
    ]
    if _MONEY_SAID.search(part.text):
        found = [f for f in numeric if _MONEY_FIELD.search(f)]
        return found[0] if len(found) == 1 else None
    # "not (if readings under 25 ppm)": a prohibition's condition, said in the brief without its "not"
    text = re.sub(r"^not \((.*)\)$", r"\1", part.text.strip())
    text = re.sub(r"^(?:if|when|for)\s+", "", text, flags=re.I)  # "if readings under 25": "for readings …"
    for sentence in sentences:
        at = sentence.find(text)
        if at < 0:
            continue
        # the unit ends the threshold ("above 4 degrees") or follows it
        unit = re.search(r"\d\s*([a-z%°/]+)$", text, re.I) or re.match(
            r"\s*([a-z%°/]+)", sentence[at + len(text) :], re.I
        )
        if unit is None:
            return None
        for said, named in _UNIT_FIELDS:
            if re.fullmatch(said, unit.group(1), re.I):
                found = [f for f in numeric if re.search(named, f, re.I)]
                return found[0] if len(found) == 1 else None
        # "under 25 ppm": the one field named with that unit (`ammonia_ppm`)
        suffix = re.sub(r"[^a-z]", "", unit.group(1).lower())
        # "below 54 mg/dL": `glucose_mg_dl`, the unit's parts joined as the name joins words
        joined = "_".join(re.findall(r"[a-z]+", unit.group(1).lower()))
        found = [
            f
            for f in numeric
            if len(suffix) >= 2 and (f.lower().endswith(f"_{suffix}") or f.lower().endswith(f"_{joined}"))
        ]
        return found[0] if len(found) == 1 else None
    return None


# the last word of a string field that holds one of a few named values: `loyalty_tier`, `plan_level`
_VALUE_FIELD = re.compile(
    r"(?:^|_)(?:type|kind|category|class|group|grade|tier|variant|level|plan|segment|status)$"
)
_NOT_VALUES = frozenset(
    {"a", "an", "the", "our", "their", "his", "her", "its", "for", "on", "with", "of", "any"}
)


def valued_field(text: str, event: EventShape) -> Condition | None:
    """ "For Platinum loyalty members" with a string `loyalty_tier`: the value the clause names,
    right before a word of the field's name, is a test of that field (no model guesses it)."""
    found: list[tuple[str, str]] = []
    for field in event.fields:
        spec = event.schema.get("properties", {}).get(field) or {}
        if "." in field or spec.get("type", "string") != "string" or not _VALUE_FIELD.search(field):
            continue
        for word in field.lower().split("_"):
            m = (
                re.search(rf"\b([A-Za-z][\w-]*)\s+{re.escape(word)}s?\b", text, re.I)
                if len(word) > 2
                else None
            )
            if (
                m is None
                or m.group(1).lower() in _NOT_VALUES
                or m.group(1).lower() in field.lower().split("_")
            ):
                continue
            value = m.group(1)
            if value[0].isupper() or field.lower().endswith("_" + word):
                found.append((field, value))
                break
    if not found:
        # "For failed jobs" with "status (completed, failed or cancelled)": a value the brief lists
        for field in event.fields:
            spec = event.schema.get("properties", {}).get(field) or {}
            for value in spec.get("examples") or []:
                if isinstance(value, str) and re.search(rf"\b{re.escape(value)}\b", text, re.I):
                    found.append((field, value))
    if len({f for f, _ in found}) != 1 or len(found) != 1:
        return None
    field, value = found[0]
    optional = field not in (event.schema.get("required") or [])
    return Condition("event", text, "==", value, output_field=field, optional=optional)


def value_subjects(tasks: list[Task], event: EventShape, sentences: list[str]) -> None:
    """ "Completed jobs just set the order status to "printed"" with "status (completed, failed or
    cancelled)": an action whose sentence opens with a value the brief lists for a field runs
    only for events with that value."""
    for task in tasks:
        if (
            task.condition is not None
            or task.unmapped_condition
            or task.kind not in ("notify", "store", "act")
        ):
            continue
        if not 0 <= task.sentence < len(sentences) or task.start < 0:
            continue
        head = " ".join(re.findall(r"[A-Za-z][\w-]*", sentences[task.sentence][: task.start + 1])[:3])
        found = [
            (field, value)
            for field in event.fields
            for value in (event.schema.get("properties", {}).get(field) or {}).get("examples") or []
            if isinstance(value, str) and re.match(rf"(?:only\s+|just\s+)?{re.escape(value)}\b", head, re.I)
        ]
        if len(found) == 1:
            field, value = found[0]
            optional = field not in (event.schema.get("required") or [])
            task.condition = Condition("event", head, "==", value, output_field=field, optional=optional)


# the word that names what a score threshold compares: "If confidence is 0.8 or higher"
_SCORE_WORD = re.compile(r"\b(confidence|score|risk|probability|likelihood|rating)\b", re.I)


def own_field(part: Condition, event: EventShape, tasks: list[Task]) -> None:
    """ "If confidence is 0.8 or higher" with the event's own `confidence`, when the brief asks
    for no score: a test of that field as written ("between 0.5 and 0.8" too), no model score."""
    said = _SCORE_WORD.search(part.text) if part.kind == "score" else None
    if said is None or any(t.kind == "score" and t.start >= 0 for t in tasks):
        return
    numbers = [
        f
        for f in event.fields
        if "." not in f
        and re.search(rf"(?:^|_){said.group(1).lower()}(?:_|$)", f.lower())
        and (event.schema.get("properties", {}).get(f) or {}).get("type") in ("number", "integer", "string")
    ]
    if len(numbers) != 1:
        return
    written = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", part.text[said.end() :])]
    part.kind, part.output_field = "event", numbers[0]
    if part.op == "range" and len(written) >= 2:
        part.value = (written[0], written[1])
    elif part.op != "range" and written:
        part.value = written[0]


# "If the response is not verified", "when the status comes back as no response"
_SAID_VALUE = re.compile(
    r"^\W*(?:(?:but\s+)?only\s+)?(?:if|when|whenever|once)?\s*(?:the|its|their)\s+(?P<noun>[a-z]+(?:\s+[a-z]+)?)\s+"
    r"(?:is|was|comes?\s+back(?:\s+as)?|=+|equals)\s+(?P<value>[\w -]+?)\s*$|"
    r"^\W*(?:if|when)\s+there\s+(?:is|was)\s+(?P<none>no\s+[a-z]+)\s*$|"
    # "if its a grand": a value of one listed field, said of the event itself
    # "if they picked wood-fired also": the value they chose
    r"^\W*(?:if|when)\s+(?:it['’]?s|its|it\s+is|they['’]?re|they\s+are|they\s+(?:picked|chose|want|wanted|selected))\s+"
    r"(?:an?\s+|the\s+)?(?P<bare>[\w-]+(?:\s+(?!also\b|too\b)[\w-]+)?)(?:\s+(?:also|too|one))?\s*$",
    re.I,
)


# "On delivered, look up …", "For expired ones, email …": a lead naming one value of the event's field
_VALUE_LEAD = re.compile(
    r"^\W*(?:on|upon|for|after|when|if)\s+(?:an?\s+|the\s+)?(?P<value>[a-z][\w -]{0,24}?)"
    r"(?:\s+(?:events?|ones|messages|packages|items))?\s*[,:]",
    re.I,
)


def _value_leads(tasks: list[Task], listed: dict[str, list[str]], sentences: list[str]) -> None:
    """Each action of a sentence that a listed value leads ("On expired, email the leasing office and
    mark the package for return") runs only when the event's field has that value."""
    for task in tasks:
        # "For denied events, look up …": a state word guessed for the lead is the listed value
        guessed = task.condition is not None and task.condition.kind in ("flagged", "field", "urgent")
        if (task.condition is not None and not guessed) or task.start < 0:
            continue
        if task.kind not in ("notify", "store", "act", "enrich") or task.sentence >= len(sentences):
            continue
        m = _VALUE_LEAD.match(sentences[task.sentence])
        if m is None or m.end() > task.start:
            continue
        if task.unmapped_condition and task.unmapped_condition.strip(" ,:") != m.group(0).strip(" ,:"):
            continue  # a test of its own, still to be read
        value = " ".join(m.group("value").lower().replace("_", " ").split())
        found = [
            (f, v)
            for f, values in listed.items()
            for v in values
            if " ".join(v.lower().replace("_", " ").split()) == value
        ]
        if len(found) == 1:
            task.condition = Condition(
                "event", m.group(0).strip(" ,:"), "==", found[0][1], output_field=found[0][0]
            )
            task.unmapped_condition = None


def listed_value_tests(tasks: list[Task], event: EventShape, sentences: list[str] | None = None) -> None:
    """ "If the response is not verified" with "the manufacturer's verification response
    (verified, not verified, or no response)": the event's field equals the value it lists (a value
    may itself say "not"), never a guess of the classifier."""
    properties = event.schema.get("properties", {})
    listed = {
        f: [str(v) for v in (properties.get(f) or {}).get("examples") or [] if isinstance(v, str)]
        for f in event.fields
    }
    _value_leads(tasks, listed, sentences or [])
    _ignored_values(tasks, listed, sentences or [])
    for task in tasks:
        guess = task.condition
        # unread, or read as a state word ("not approved" taken for the verdict `approved`)
        said = (
            task.unmapped_condition
            if guess is None
            else guess.text
            if guess.kind in ("field", "urgent", "flagged") and not guess.alternatives and guess.scope is None
            else None
        )
        m = _SAID_VALUE.match(said or "")
        if m is None:
            continue
        if m.group("noun"):
            noun = "_".join(m.group("noun").lower().split())
        elif m.group("none"):
            noun = m.group("none").lower().split()[-1]  # "there is no response": the response
        else:
            noun = ""  # "if its a grand": any field that lists the value
        value = " ".join((m.group("value") or m.group("none") or m.group("bare")).lower().split())
        found = [
            (f, v)
            for f, values in listed.items()
            if m.group("bare") or f == noun or f.endswith(f"_{noun}")
            for v in values
            if " ".join(v.lower().replace("_", " ").split()) == value.replace("_", " ")
        ]
        if len(found) == 1:
            field, written = found[0]
            task.condition = Condition("event", said or "", "==", written, output_field=field)
            task.unmapped_condition = None


def values_in_thresholds(tasks: list[Task], event: EventShape) -> None:
    """ "If co2_ppm is above 1500 during fruiting" with "the crop stage (spawn run, pinning or
    fruiting)": a threshold said of one value of a listed field holds only for that value too."""
    properties = event.schema.get("properties", {})
    listed = {
        f: [str(v) for v in (properties.get(f) or {}).get("examples") or [] if isinstance(v, str)]
        for f in event.fields
    }
    for task in tasks:
        cond = task.condition
        if cond is None or cond.kind != "event" or cond.negated or (cond.alternatives and not cond.all_of):
            continue
        said = " ".join(re.findall(r"[a-z0-9]+", cond.text.lower()))
        named = [
            (f, v)
            for f, values in listed.items()
            if f != cond.output_field and len(values) >= 2
            for v in values
            if re.search(rf"\b{re.escape(' '.join(re.findall(r'[a-z0-9]+', v.lower())))}\b", said)
        ]
        if len(named) == 1:
            field, value = named[0]
            cond.alternatives = [
                *cond.alternatives,
                Condition("event", cond.text, "==", value, output_field=field),
            ]
            cond.all_of = True


# "Granted events are ignored entirely": a value the event's field lists, whose events get nothing
_IGNORED = re.compile(
    r"^\W*(?P<value>[\w-]+(?:\s+[\w-]+)?)\s+(?:events?|ones|messages|requests|readings|records|items|results)\s+"
    r"(?:are|get|should\s+be|can\s+be|will\s+be)\s+(?:just\s+|simply\s+)?(?:ignored|skipped|dropped)\b",
    re.I,
)


def _ignored_values(tasks: list[Task], listed: dict[str, list[str]], sentences: list[str]) -> None:
    """Every action and lookup runs only on events whose field does not have the value the brief
    says is ignored (the flow's `if:` holds it; no model decides it)."""
    from copilot.draft.overrides import add_scope

    for sentence in sentences:
        m = _IGNORED.match(sentence)
        value = " ".join(m.group("value").lower().replace("_", " ").split()) if m else ""
        found = [
            (f, v) for f, values in listed.items() for v in values if v.lower().replace("_", " ") == value
        ]
        if m is None or len(found) != 1:
            continue
        field, written = found[0]
        for task in tasks:
            if task.kind in ("notify", "store", "act", "enrich"):
                never = Condition("event", m.group(0).strip(" ."), "!=", written, output_field=field)
                if task.condition is None:
                    task.condition = never
                elif not (task.condition.kind == "event" and task.condition.output_field == field):
                    add_scope(task.condition, never)
