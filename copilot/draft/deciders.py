"""Who decides each task's condition: the answer or a label, a threshold on the event, or a step added for it.

Planning runs these on the tasks the reader found: conditions naming the answer's options
or the brief's labels read those (`decision_conditions`, `labels_named`); thresholds and
presence checks on event fields are decided without a model and join the event's shape
(`event_thresholds`; presence in `copilot.draft.event_conditions`); what is still undecided
gets a classify, score or moderate step, or a call to the system the brief says decides it
(`ensure_producers`).
"""

from __future__ import annotations

import re

from copilot.draft.asked_outputs import asked_numbers
from copilot.draft.conditions import condition_field
from copilot.draft.decisions import documents_named
from copilot.draft.event import EventShape
from copilot.draft.event_sample import DATE_NAMED
from copilot.draft.label_tests import label_tests
from copilot.draft.labels import snake
from copilot.draft.lookup_answers import returned_by_lookup
from copilot.draft.prohibitions import deciding_system
from copilot.draft.reading import Condition, Reading, Task
from copilot.draft.response_options import quoted_reply
from copilot.draft.score_atoms import score_subject
from copilot.draft.threshold_fields import (
    identifier_for_number,
    measured_by_unit,
    own_field,
    qualified,
)


def labels_named(tasks: list[Task]) -> None:
    """ "Classify urgency as routine, soon, or emergency. Only if it's emergency, send an SMS": a
    condition that names one of the brief's own labels reads that label, not a stock urgency."""
    from copilot.draft.reader import option_of

    labels = [label for t in tasks if t.kind == "classify" for label in t.labels if label != "other"]
    if not labels:
        return
    for task in tasks:
        for part in [task.condition, *(task.condition.alternatives if task.condition else [])]:
            if part is None or part.kind not in ("urgent", "field"):
                continue
            named = option_of(part.text, labels)
            if named is not None:
                part.kind, part.op, part.value, part.output_field = "label", "==", named, None
                # "if it's a shift or drift": every label the part names, any of them
                others = [
                    o
                    for piece in re.split(r"\s+or\s+|\s*,\s*", part.text)
                    if (o := option_of(piece, labels)) is not None and o != named
                ]
                if others and not re.search(r"\b(?:not|no|never|isn'?t)\b", part.text, re.I):
                    part.op, part.value = "in", [named, *dict.fromkeys(others)]


# A check's two verdicts, by the word its clause uses ("check eligibility", "validate the claim")
_VERDICTS = (
    ("eligib", ["eligible", "ineligible"]),
    ("complian", ["compliant", "non_compliant"]),
    ("valid", ["valid", "invalid"]),
    ("qualif", ["qualified", "unqualified"]),
)


def _verdict_pair(decide: Task, tasks: list[Task]) -> list[str]:
    """The verdicts of a check whose words the conditions of the brief's actions use."""
    said = (decide.quote or decide.text).lower()
    for stem, pair in _VERDICTS:
        if stem not in said:
            continue
        for task in tasks:
            parts = [task.condition, *task.condition.alternatives] if task.condition else []
            if any(
                re.search(rf"\b(?:{'|'.join(pair)})\b", f"{p.text} {p.output_field or ''}", re.I)
                for p in parts
            ):
                return list(pair)
    return []


def decision_conditions(tasks: list[Task], reading: Reading) -> None:
    """Conditions that name an option of the answer ("Blocked posts also open a ticket",
    "Approved payouts get released", "anything flagged for review goes to Slack") read the
    decision: the decide step's, or the bands' over a score. The brief's response options
    ("waits for allow, hold or block") are the decide step's labels."""
    from copilot.draft.reader import option_of

    options = list(reading.response_options)
    decide = next((t for t in tasks if t.kind == "decide"), None)
    if ("other" in options or reading.trigger.kind != "webhook") and any(
        t.kind == "classify" and set(options) == set(t.labels) for t in tasks
    ):
        # "Classify each text as lockout, rekey or other": a classifier's labels (a verdict the caller
        # waits for has no "other"; a queue or a schedule has no caller), no second step deciding
        # the same: "Maintenance alarms create a routine work order" tests the label
        for task in tasks:
            for part in [task.condition, *task.condition.alternatives] if task.condition else []:
                if part.kind == "decision" and set(
                    part.value if isinstance(part.value, list) else [part.value]
                ) <= set(options):
                    part.kind, part.output_field = "label", None
        return
    if decide is not None and options and not reading.bands:
        decide.labels = options
    if decide is not None and decide.docs is None and decide.start >= 0:
        source = documents_named(reading.sentences[decide.sentence])
        if source is not None:  # "Use the freeze policy PDF to decide whether …": from documents
            decide.docs = source.group(1).lower()
    if decide is None and options and not reading.bands and not any(t.kind == "score" for t in tasks):
        naming = (
            [i for i, s in enumerate(reading.sentences) if all(o in s.lower() for o in options)]
            or [i for i, s in enumerate(reading.sentences) if quoted_reply(s) in options]
            or [0]
        )
        # where the brief has it decided ("a model … picks accept or reject"), not where it only
        # names the answer ("we have to accept or reject within 15 minutes")
        sentence = next(
            (
                i
                for i in naming
                if re.search(
                    r"\b(?:decides?|picks?|chooses?|selects?|model|llm|ai)\b", reading.sentences[i], re.I
                )
            ),
            naming[0],
        )
        decide = Task("decide", "(the answer is one of the options)", sentence, -1, labels=options)
        decide.quote = next((q for q in (reading.sentences[sentence],) if q), None)
        source = documents_named(reading.sentences[sentence])
        if source is not None:  # "Use the freeze policy PDF to decide …": decided from documents
            decide.docs = source.group(1).lower()
        tasks.insert(0, decide)
    options = options or (decide.labels if decide is not None else [])
    if decide is not None and not options:
        # "check eligibility against the handbook … If the applicant is ineligible, email them":
        # the check's verdict decides, not a classifier's separate guess
        options = decide.labels = _verdict_pair(decide, tasks)
    if not options:
        return
    for task in tasks:
        if task.condition is None and not task.unmapped_condition and task.kind in ("notify", "store", "act"):
            # "Write refer cases to Salesforce", "pass and fail just update the status": the
            # options the clause opens with are the events it acts on
            opening = [w.lower() for w in re.findall(r"[A-Za-z][\w-]*", task.quote or "")[:4]]
            # "Titles recommended for renew or buy_additional_copy get added …": the whole subject
            subject = re.match(
                r"\W*((?:[\w-]+\s+){1,8}?)(?:get|gets|go|goes|are|is|should|must|will)\b",
                task.quote or "",
                re.I,
            )
            if subject is not None:
                opening = [w.lower() for w in re.findall(r"[A-Za-z][\w-]*", subject.group(1))]
            named = [o for o in options if o in opening]
            if not named and "_" in "".join(options):
                # "deduction questions get a reply": a two-word option, said in the plural
                two = option_of(" ".join(opening[:2]), [o for o in options if "_" in o])
                named = [two] if two else []
            # "Malicious: purge …", "On accept, reserve a carrier …" (its own clause's lead too)
            sentence = reading.sentences[task.sentence]
            clause_start = max(sentence.rfind(";", 0, max(task.start, 0)) + 1, 0)
            answered = quoted_reply(sentence)
            if not named and answered in options:  # 'If it is on the shelf, reply "ready" and text them'
                named = [answered]
            headed = re.match(r"\W*([A-Za-z][\w -]{0,30}?)\s*(?:[:=]|->|→)", sentence) or re.match(
                # "for escalate (more than 30 days late …) create a task": an aside may end the lead
                r"\W*(?:only\s+)?(?:on|upon|for|if|when)\s+((?:[\w-]+\s+){0,2}?[\w-]+)\s*(?:,|\([^()]*\))",
                sentence[clause_start:],
                re.I,
            )
            if not named and headed:  # "Malicious: purge the message … and open an incident"
                one = option_of(headed.group(1), options)
                named = [one] if one else []
            limited = re.search(
                r"\b(?:only\s+)?(?:for|on)\s+((?:[\w-]+\s+){0,2}?[\w-]+)\s*$", task.quote or ""
            )
            if not named and limited:  # "Email the supplier via Outlook only for rejections"
                one = option_of(limited.group(1), options)
                named = [one] if one else []
            if named and len(named) < len(options):
                task.condition = Condition(
                    "decision",
                    " ".join(named),
                    "in" if len(named) > 1 else "==",
                    named if len(named) > 1 else named[0],
                    output_field="decision",
                )
    for task in tasks:
        if task.condition is None and task.unmapped_condition:
            # "manual review ones go to the queue": a condition no rule read that names an option;
            # 'If it is on the shelf, reply "ready" and text them': the answer its sentence gives
            named = option_of(task.unmapped_condition, options)
            answered = quoted_reply(reading.sentences[task.sentence]) if task.start >= 0 else None
            named = named or (answered if answered in options else None)
            if named is not None:
                # "if its missing_trip or tip_missing": each option it names
                every = [o for o in options if option_of(task.unmapped_condition, [o])]
                # "if no_go": the option no_go, never also go, the word inside it
                every = _outermost(every)
                several = len(every) > 1 and not re.search(
                    r"\b(?:not|never|except)\b", task.unmapped_condition, re.I
                )
                task.condition = Condition(
                    "decision",
                    task.unmapped_condition,
                    "in" if several else "==",
                    every if several else named,  # type: ignore[arg-type]
                    output_field="decision",
                )
                task.unmapped_condition = None
        if task.condition is None:
            continue
        for part in [task.condition, *task.condition.alternatives]:
            if part.kind not in ("field", "flagged", "urgent", "label", "score"):
                continue
            if part.kind == "score" and (
                re.search(r"\d", part.text) or option_of(part.text, options) is None
            ):
                continue  # a threshold on a score stays one; "Suspicious ones" is the option
            # the condition's words, or its clause's ("anything flagged for review goes to Slack"), or
            # the sentence's lead ("For held and blocked posts, another model writes…")
            lead = reading.sentences[task.sentence][: max(task.start, 0)] if task.start > 0 else ""
            words = (
                f"{part.text} {task.quote or ''}" if part.kind == "flagged" else f"{part.text} {lead[-60:]}"
            )
            named = _outermost(
                [o for o in options if option_of(" ".join(w for w in re.findall(r"[\w-]+", words)), [o])]
            )
            if named:
                # "the reason is not weather or illness": none of them
                # (a negated part's text is negate()'s "not (…)": already said by `negated`)
                negative = not part.negated and bool(
                    re.search(r"\b(?:not|isn['’]?t|other\s+than|except|neither)\b", part.text, re.I)
                )
                part.kind, part.op, part.output_field = (
                    "decision",
                    ("not in" if negative else "in") if len(named) > 1 else ("!=" if negative else "=="),
                    "decision",
                )
                part.value = named if len(named) > 1 else named[0]


_DIMENSIONS = {"wide": "width", "tall": "height", "high": "height", "long": "length", "deep": "depth"}
_GATHERINGS = frozenset({"groups", "group", "parties", "party", "bookings", "tables", "crowds", "teams"})


def _outermost(named: list[str]) -> list[str]:
    """ "if no_go" names the option no_go, never also go, the word inside it."""
    return [o for o in named if not any(o != other and o in other.split("_") for other in named)] or named


# What makes "flagged" a moderation verdict: the brief is about content and its policy
_CONTENT_POLICY = re.compile(
    r"\b(?:moderat(?:e|es|ed|ing|ion|ors?)\b(?!\s+(?:or|and|to)\b)|content|polic(?:y|ies)|community|guidelines?|"
    r"user[- ]generated|toxic\w*|nsfw|hate|harass\w*|spam\w*|abus\w*|offensive|inappropriate|violat\w*|"
    r"publish\w*|comments?|reviews?|listings?|photos?|images?|uploads?)\b",
    re.I,
)


def event_thresholds(
    tasks: list[Task],
    event: EventShape,
    given: bool,
    assumptions: list[str],
    *,
    scheduled: bool = False,
    sentences: list[str] | None = None,
) -> None:
    """ "Only send if the cart value is over $50": a threshold on an event field, decided without a
    model. The field joins the drafted event shape (and is said), or, when the user gave the
    event and it has no such field, the classifier decides the clause instead."""
    computed = {t.target for t in tasks if t.kind == "compute"}  # values the flow works out itself
    asked = asked_numbers(tasks, sentences or [])
    for task in tasks:
        if task.condition is None and task.scope is None:
            continue
        parts = [task.condition, *task.condition.alternatives] if task.condition is not None else []
        if task.scope is not None:
            parts.append(task.scope)  # "only act when status is 'submitted'": its field too
        if task.condition is not None and task.condition.scope not in (None, task.scope):
            parts.append(task.condition.scope)  # "never void … with more than 3 prior citations"
        for part in parts:
            own_field(part, event, tasks)  # "If confidence is 0.8 or higher" with `confidence`
            if part.kind == "fields" and part.output_field:
                _compared_fields(part, event, given, tasks)
                continue
            if part.kind != "event" or not part.output_field:
                continue
            name = part.output_field
            properties = event.schema.setdefault("properties", {})
            banded = isinstance(part.value, tuple)  # "the pH is outside 7.2-7.8": two numbers
            if name not in properties:
                # "free chlorine below 1.0 ppm" is `free_chlorine_ppm`: the name and its unit
                # "parties over 12" is `party_size`: the plural's stem and its measure
                stems = {re.sub(r"ies$", "y", name), name.removesuffix("s")} - {name}
                longer = [f for f in properties if f.startswith(name + "_") and "." not in f] or [
                    f
                    for f in properties
                    if any(f.startswith(st + "_") for st in stems)
                    and re.search(r"_(?:size|count|total|qty|quantity|number|amount)$", f)
                ]
                if not longer and "_" in name:
                    # "walls bigger than 60 ft wide" is `wall_width_ft`: the thing's field in those words
                    head, *said = [_DIMENSIONS.get(w, w) for w in name.split("_")]
                    longer = [
                        f
                        for f in properties
                        if f.startswith(head.removesuffix("s") + "_") and set(said) <= set(f.split("_"))
                    ]
                if not longer and name in _GATHERINGS:
                    # "groups of more than 10", "parties up to 8": the one size of a gathering the event has
                    longer = [f for f in properties if re.search(r"_(?:size|count)$", f) and "." not in f]
                    longer = longer if len(longer) == 1 else []
                if len(longer) > 1 and not isinstance(part.value, (str, list)):
                    # "vessel is over 60 feet" with `vessel_name` and `vessel_length_ft`: the number
                    longer = [f for f in longer if properties[f].get("type") in ("number", "integer")]
                if len(longer) == 1:
                    name = part.output_field = longer[0]
            if name in properties and DATE_NAMED.search(name) and not isinstance(part.value, str):
                # "more than 365 days before today" on a date: no number of the event says it
                part.kind, part.value, part.op = "field", True, "=="
                part.output_field = condition_field(part.text)
                continue
            if name in properties:
                # a field the event may leave out: without it the test is false, never an error
                part.optional = name not in (event.schema.get("required") or [])
                if not given and isinstance(part.value, list) and part.value:
                    event.sample[name] = part.value[0]  # 'category is "pothole" or "streetlight"'
                elif (
                    not given and not isinstance(part.value, str) and properties[name].get("type") == "string"
                ):
                    # "If guest_count is over 180": a field the brief lists, compared as a number
                    properties[name] = {"type": "number"}
                    event.sample[name] = (
                        round(float(part.value[0]), 2)
                        if banded
                        else round(float(part.value or 0) * 2 or 1, 2)
                    )
                elif not given and isinstance(part.value, str) and part.value and part.op == "==":
                    event.sample[name] = part.value  # "if new_state is closed": the example takes that branch
                continue
            counted = event.counted_field(name) if not isinstance(part.value, (str, list)) else None
            if counted is not None:
                part.output_field = counted  # "the player has at least 3 reports": `report_count`
                continue
            if sentences:
                measured = measured_by_unit(part, event, sentences)
                if measured is not None:
                    part.output_field = measured  # "Readings above 4 degrees": `air_temp_c`
                    part.optional = measured not in (event.schema.get("required") or [])
                    continue
            # "If severity is 4 or higher or cars_waiting is over 10": the first part's own words,
            # never the field its alternative names
            own = part.text
            for alternative in part.alternatives if not part.all_of else []:
                at = own.find(alternative.text.strip())
                own = own[:at] if at > 0 else own
            written = "_" in name and re.search(rf"\b{re.escape(name)}\b", own)
            known = (
                event.field_named_in(own) if (given or event.source != "default") and not written else None
            )
            if (
                known is not None
                and not isinstance(part.value, (str, list))
                and (properties.get(known) or {}).get("type") == "string"
                and re.search(rf"\b{re.escape(name.replace('_', ' '))}\b", part.text, re.I)
                and name != known
                and "_" in name
            ):
                known = None  # "a plate with more than 3 prior citations" counts citations, not the plate
            if known is not None and "." not in known and not identifier_for_number(known, part.value):
                part.output_field = known  # "anything over 45,000 lbs" is the event's `weight_lbs`
                qualifier = qualified(part, known, event)
                if qualifier is not None and part is task.condition:
                    # "If units_on_hand for O negative drops below 10": that product's count only
                    part.alternatives, part.all_of = [*part.alternatives, qualifier], True
                continue
            if name in computed or name.removesuffix("s") in computed:
                part.output_field = name if name in computed else name.removesuffix("s")
                continue  # "refunds above 500 EUR": the refund the flow computes, not the event's
            given_by = next((n for n in asked if n == name or n.endswith(f"_{name}")), None)
            if given_by is not None and not isinstance(part.value, (str, list)):
                # "classify …, with a repair cost estimate in dollars. If the estimate is over
                # $150": the number the model was asked for, not a field of the event
                part.kind, part.output_field, part.made_by = "asked", given_by, asked[given_by].kind
                continue
            lookup = returned_by_lookup(name, tasks)
            reads = [t for t in tasks if t.kind == "enrich" and not t.docs and t.start >= 0]
            if (
                lookup is None
                and event.source != "default"
                and len(reads) == 1
                and reads[0].sentence <= task.sentence
                and reads[0] is not task  # a lookup's own purpose is never its condition
            ):
                # "check the avalanche bulletin API … if the danger level is 4 or more": the one
                # lookup before it answers, when the event the brief lists has no such field
                lookup = reads[0]
            if lookup is not None and not isinstance(part.value, (str, list)):
                # "look up the organ … to get the pipe count. If the pipe count is over 2000": the
                # lookup's answer, not the event, carries it (the lookup declares the field)
                part.kind = "returned"
                lookup.returns[name] = "number"
                continue
            scored = next(
                (
                    t
                    for t in tasks
                    if t.kind == "score"
                    # "score the pass's data completeness … if completeness is below 0.9"
                    and (
                        f"_{snake(score_subject(t.quote or t.text, '')[0] or t.target or '')}".endswith(
                            f"_{name}"
                        )
                        # "Score each inquiry from 0 to 100 … Inquiries between 40 and 74": what it scores
                        or any(
                            re.search(
                                rf"\b(?:(?:each|every|the)\s+|how\s+well\s+it\s+){re.escape(w)}",
                                t.quote or t.text,
                                re.I,
                            )
                            for w in {re.sub(r"ies$", "y", name), name.removesuffix("s")}
                            if len(w) >= 4
                        )
                    )
                ),
                None,
            )
            if scored is not None and not isinstance(part.value, (str, list)):
                part.kind = "score"  # "estimate severity from 1 to 5 … if the severity is 4 or higher"
                continue
            generic = name.removesuffix("s") in _EVENT_WORDS
            if given or scheduled or generic:
                part.kind, part.value, part.op = "field", True, "=="
                # "not (if readings below 50 km/h)": the field is the test said positively
                part.output_field = condition_field(re.sub(r"^not \((.*)\)$", r"\1", part.text.strip()))
                if generic and not scheduled:
                    # "for readings below 50 km/h" with two fields in km/h: which one is unsaid,
                    # and a field named "readings" would be invented
                    assumptions.append(
                        f"no one field of the event is {part.text.strip()!r}: the classifier decides it "
                        f"as `{part.output_field}`; name the field in the brief"
                    )
                if scheduled and not given:
                    # a schedule's tick carries no data: the threshold is on what the run fetched
                    assumptions.append(
                        f"a scheduled run's tick has no `{name}`: the classifier decides "
                        f"{part.text.strip()!r} from what the run fetched, as `{part.output_field}`; "
                        "check its prompt"
                    )
                continue
            text = isinstance(part.value, (str, list))  # 'is "pothole" or "streetlight"': strings
            # assumed, so not required: a real event without it is still answered, and the test
            # is false without it (said below), instead of every event being refused
            properties[name] = {"type": "string" if text else "number"}
            part.optional = True
            event.sample[name] = (
                (part.value[0] if isinstance(part.value, list) else part.value)
                if text
                else round(float(part.value[0]), 2)
                if banded
                else round(float(part.value or 0) * 2 or 1, 2)
            )
            if name not in event.fields:
                event.fields.append(name)
            said = " ".join(part.text.split())
            assumptions.append(
                f"the event carries `{name}` ({'a string' if text else 'a number'}) for {said!r} "
                "(an event without it does not meet the condition); pass --event sample.json to use "
                "the real field"
            )


# words for the event itself, never the name of one of its fields ("for readings below 50")
_EVENT_WORDS = frozenset(
    {"reading", "value", "level", "measurement", "event", "message", "alert", "record", "one"}
)

LISTED_TYPES = "(the types of the listed fields)"  # a placeholder, replaced by `listed_types`


_LOOKUP_KEY = re.compile(r"\b(?:by|using)\s+(?:the\s+|its\s+|their\s+)?`?([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b`?")


def declare_lookup_keys(tasks: list[Task], event: EventShape, given: bool, assumptions: list[str]) -> None:
    """ "Look up the dentist using the customer_id from the order", an event the brief lists no
    fields of: the key it names is a field of the event (assumed, said, and required: the lookup
    cannot run without it, and an event that lacks it is refused at the door, 422 naming it),
    never the delivery's id."""
    if given or event.source != "default":
        return
    properties = event.schema.setdefault("properties", {})
    for task in tasks:
        m = _LOOKUP_KEY.search(task.quote or task.text) if task.kind == "enrich" and not task.docs else None
        if m is None or m.group(1) in properties:
            continue
        name = m.group(1)
        properties[name] = {"type": "string"}
        required = event.schema.setdefault("required", [])
        if isinstance(required, list):
            required.append(name)
        event.sample[name] = f"{name}-1"
        event.fields.append(name)
        assumptions.append(
            f"the event carries `{name}` (a string) to look up by; "
            "pass --event sample.json to use the real field"
        )


def declare_tested_fields(tasks: list[Task], event: EventShape, given: bool, assumptions: list[str]) -> None:
    """Every event field a condition tests by its truth ("the customer is new (first_order is
    true)") is in the event schema: added (a boolean, and said) when the brief named it only
    there; when the user's own event has no such field, the classifier decides the clause."""
    properties = event.schema.setdefault("properties", {})
    for task in tasks:
        cond = task.condition
        parts = [cond, *cond.alternatives, *([cond.scope] if cond.scope else [])] if cond else []
        for part in parts:
            name = part.output_field or ""
            if part.kind != "present" or not name or "." in name or name in properties:
                continue
            reads = [t for t in tasks if t.kind == "enrich" and not t.docs]
            if len(reads) == 1 and re.search(r"\b(?:flagged|marked|set|tagged)\s+as\b", part.text, re.I):
                # "the dentist's account is flagged as on_credit_hold": a flag of the record the
                # flow's one lookup reads, not of the event
                part.kind, part.op = "returned", "truthy"
                reads[0].returns[name] = "boolean"
                continue
            if given:
                part.kind, part.value, part.op = "field", True, "=="
                part.output_field = condition_field(part.text)
                continue
            truth = bool(re.search(r"\b(?:true|false|yes|no)\b", part.text, re.I))
            properties[name] = {"type": "boolean"} if truth else {"type": "string"}
            event.sample[name] = (not part.negated) if truth else ("" if part.negated else "given")
            if name not in event.fields:
                event.fields.append(name)
            kind = "a boolean" if truth else "a string"
            assumptions.append(
                f"the event carries `{name}` ({kind}) for {' '.join(part.text.split())!r}; "
                "pass --event sample.json to use the real field"
            )


def _compared_fields(part: Condition, event: EventShape, given: bool, tasks: list[Task]) -> None:
    """ "If value is over reference_high": both fields are numbers of the event. "If moisture_pct
    is above that silo's max_safe_moisture" after "look up the silo … to get its
    max_safe_moisture": the event's number against what the lookup returns (the lookup declares
    that field). Any other field the event lacks leaves the comparison to the classifier (its
    guess, said as DR010)."""
    properties = event.schema.setdefault("properties", {})
    names = [part.output_field or "", str(part.value)]
    returned = re.compile(rf"\b{re.escape(names[1])}\b")
    system = re.search(r"\b(?:in|from|on|per)\s+(?:the\s+|our\s+)?([A-Z][\w-]*)\W*$", part.text)
    lookup = next(
        (t for t in tasks if t.kind == "enrich" and not t.docs and returned.search(t.quote or t.text)), None
    ) or next(
        # "… than the kegs checked out in Odoo": the lookup of Odoo returns it
        (
            t
            for t in tasks
            if t.kind == "enrich" and not t.docs and system and t.target == system.group(1).lower()
        ),
        None,
    )
    reads = [t for t in tasks if t.kind == "enrich" and not t.docs]
    if lookup is None and system is None and len(reads) == 1:
        # "if wash_count is at least the maximum wash life", the flow's one lookup reading the item:
        # the value is in its answer (the lookup declares it, so an answer without it fails loudly)
        lookup = reads[0]
    if names[0] in properties and names[1] not in properties and lookup is not None:
        part.kind = "looked_up"
        lookup.returns[names[1]] = "number"
        if not given:
            properties[names[0]] = {"type": "number"}
        return
    if not all(n in properties for n in names):
        part.kind, part.value, part.op = "field", True, "=="
        part.output_field = condition_field(part.text)
        return
    if not given:
        for name, sample in zip(names, (2.0, 1.0), strict=True):
            properties[name] = {"type": "number"}
            event.sample[name] = sample  # the example takes the branch


_NEGATIVE_SUBJECT = re.compile(r"\b(?:nobody|no one|no-one|none|nothing)\b", re.I)


def _affirmed(text: str) -> tuple[str, bool]:
    """The condition said positively, and whether it was said negatively: "if nobody matches" ->
    ("someone matches", True); "If someone matches" -> ("someone matches", False)."""
    words = re.sub(r"^\W*(?:only\s+)?(?:if|when|whenever|once)\s+", "", text.strip(), flags=re.I).lower()
    # "if its not on-profile" is "its on-profile", said negatively
    said_not = re.search(r"\b(it['’]?s|its|is|are|was|were)\s+not\b|\b(is|are|was)n['’]?t\b", words)
    if said_not is not None:
        words = words[: said_not.start()] + (said_not.group(1) or said_not.group(2)) + words[said_not.end() :]
    # "if theres no spot" is "there's a spot", said negatively
    words = re.sub(r"\bthere['’]?s\b|\bthere\s+is\b", "there is", words)
    no_thing = re.search(r"\bthere is no\b", words)
    if no_thing is not None:
        words = words[: no_thing.start()] + "there is a" + words[no_thing.end() :]
    negative = bool(_NEGATIVE_SUBJECT.search(words)) or said_not is not None or no_thing is not None
    positive = _NEGATIVE_SUBJECT.sub("someone", words)
    positive = re.sub(r"\b(?:anyone|anybody|somebody|something|anything)\b", "someone", positive)
    return " ".join(positive.split()), negative


def ensure_producers(
    tasks: list[Task],
    assumptions: list[str],
    warnings: list[str],
    sentences: list[str] | None = None,
    read_late: list[str] | None = None,
) -> list[Task]:
    """A condition needs a step that decides it: add classify/score/moderate when missing, or a
    call to the system the brief says decides it. `read_late` collects what that settles."""
    sentences = sentences or []
    read_late = read_late if read_late is not None else []
    kinds = {t.kind for t in tasks}
    extra: list[Task] = []
    guessed: dict[
        str, tuple[str, bool]
    ] = {}  # a guessed condition, said positively -> (field, said negatively)
    split: dict[str, Condition] = {}  # an unread condition read in parts -> what it became
    for task in tasks:
        if task.condition is None and task.unmapped_condition and task.kind in ("notify", "store", "act"):
            # The brief made this side effect conditional and no rule read the condition: never
            # fire it on every event, and never on a stand-in like urgency. The classifier
            # decides the brief's own condition as a boolean field named from its words.
            said_whole = task.unmapped_condition
            labelled, rest = label_tests(
                task.unmapped_condition, [lb for t in tasks if t.kind == "classify" for lb in t.labels]
            )
            if labelled and rest:
                # "If the class starts more than 72 hours after … and the reason is not dissatisfied":
                # the label test read as one, the rest guessed (its "not" is the label's, not its own)
                task.unmapped_condition = rest
            positive, negative = _affirmed(task.unmapped_condition)
            earlier = guessed.get(positive)
            # "if its not on-profile" first: the field says it positively, and this step its opposite
            named = earlier[0] if earlier else condition_field(task.unmapped_condition)
            said_not = (
                negative
                and earlier is None
                and not _NEGATIVE_SUBJECT.search(task.unmapped_condition.lower())
                # "If the response is not verified" named `response_not_verified` says it already:
                # negating that field too would fire on verified responses
                and "not" not in named.split("_")
            )
            task.condition = Condition(
                "field",
                task.unmapped_condition,
                "==",
                True,
                # "if nobody matches … If someone matches": one decision and its opposite
                output_field=named,
                negated=bool(earlier and earlier[1] != negative) or said_not,
            )
            if labelled and rest:
                task.condition.alternatives, task.condition.all_of = labelled, True
                split[said_whole] = task.condition
            if earlier is None:
                guessed[positive] = (task.condition.output_field or "", negative and not said_not)
            assumptions.append(
                f"the condition {task.unmapped_condition!r} is decided by the classifier as "
                f"`{task.condition.output_field}`; check its prompt"
            )
        if task.scope is not None and task.kind in ("notify", "store", "act"):
            # "Only act when …" holds besides whatever this step's own condition became
            if task.condition is None:
                task.condition = task.scope
            elif task.condition is not task.scope:
                task.condition.scope = task.scope
        cond = task.condition
        if cond is None:
            continue
        parts = [cond, *cond.alternatives]
        for index, part in enumerate(parts):
            if part.kind in (
                "event",
                "fields",
                "looked_up",
                "returned",
                "difference",
                "fetched",
                "ungrounded",
                "present",
                "extracted",
                "asked",
                "score_vs_lookup",
            ):
                # decided by the event itself, what the run fetched, the extraction, a verdict's number
                continue
            if part.kind in ("score", "urgent", "flagged") and deciding_system(part.text, sentences):
                # "high risk … is decided by our credit engine": that engine's yes or no, not a
                # threshold on a model's score
                part.kind, part.op, part.value = "field", "==", True
                part.output_field = condition_field(part.text)
            needed = {
                "decision": "decide",
                "urgent": "classify",
                "label": "classify",
                "field": "classify",
                "score": "score",
                "flagged": "moderate",
            }[part.kind]
            refusal = next(
                (
                    o
                    for t in tasks
                    if t.kind == "decide"
                    for o in t.labels
                    if o
                    in ("fail", "reject", "block", "hold", "deny", "decline", "flag", "refer", "escalate")
                ),
                None,
            )
            replacement = None
            if needed == "moderate" and "moderate" not in kinds and refusal is not None:
                # "Check for safeguarding concerns. If flagged, email the lead": the check decides
                replacement = Condition("decision", part.text, "==", refusal, output_field="decision")
                needed = "decide"
            elif (
                needed == "moderate"
                and "moderate" not in kinds
                and any(t.kind == "classify" and "spam" in t.labels for t in tasks)
            ):
                replacement = Condition("label", part.text, "==", "spam")
                needed = "classify"
            elif (
                needed == "moderate"
                and "moderate" not in kinds
                and not _CONTENT_POLICY.search(" ".join(sentences))
            ):
                # "If any value is flagged critical" on a lab result: a state of the event's data
                # the classifier reads, not a content-policy verdict
                part.kind, part.op, part.value = "field", "==", True
                part.output_field = condition_field(part.text)
                needed = "classify"
            if replacement is not None and index == 0:
                replacement.alternatives = cond.alternatives
                task.condition = cond = replacement
            elif replacement is not None:
                cond.alternatives[index - 1] = replacement
            if needed not in kinds and needed not in {t.kind for t in extra}:
                decider = Task(needed, f"(added to decide {part.text!r})", task.sentence, -1)
                decider.quote = task.quote  # it implements the clause's condition
                decided_by = deciding_system(part.text, list(sentences)) if needed == "classify" else None
                if decided_by is not None:
                    # "… is decided by our rule engine, not the model": that system is asked
                    decider.api, said = decided_by
                    assumptions[:] = [
                        a for a in assumptions if not a.startswith(f"the condition {part.text!r}")
                    ]
                    assumptions.append(f"our {decider.api} decides {part.text!r}: an http call, no model")
                    read_late.extend([part.text, said])
                else:
                    assumptions.append(f"added a `{needed}` step to decide {part.text!r}")
                extra.append(decider)
                kinds.add(needed)
    from copilot.draft.conditions import negate

    for task in tasks:
        # "…; otherwise issue a studio credit": the opposite of the whole condition read in parts
        said = task.condition.text.strip() if task.condition is not None else ""
        inner = re.match(r"^otherwise \(not (.*)\)$", said, re.I)
        if inner is not None and inner.group(1) in split:
            task.condition = negate(split[inner.group(1)], said)
    return extra + tasks
