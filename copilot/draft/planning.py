"""Planning an offline draft: from a `Reading` to a `Plan` of what the flow must hold.

`plan` decides, before any step is written, the trigger and its event, the SLA and the
budget (stated or defaulted, and said so), which tasks sit on the hot path, which
decisions a model makes and which a threshold on the event makes, and whether answers
are grounded in documents. Who decides each condition is `copilot.draft.deciders`;
the event a brief lists fields for, `copilot.draft.event_sample`; `ModelPicker`
(`copilot.draft.model_picker`) chooses catalog models by tier within the cost tier and
the SLA. The steps themselves are built from the plan by `copilot.draft.steps`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from copilot.catalog import COST_TIER_TIERS, ModelProfile
from copilot.draft import blocks
from copilot.draft.blocks import dur
from copilot.draft.deciders import (
    LISTED_TYPES,
    decision_conditions,
    declare_lookup_keys,
    declare_tested_fields,
    ensure_producers,
    event_thresholds,
    labels_named,
)
from copilot.draft.event import EventShape
from copilot.draft.event_conditions import presence_conditions
from copilot.draft.event_sample import default_event, names_the_event, shape_from_names
from copilot.draft.extracted import extracted_answers
from copilot.draft.field_types_said import listed_types
from copilot.draft.lookup_answers import (
    fetched_thresholds,
    looked_up_elsewhere,
    lookup_answers,
    valued_subjects,
)
from copilot.draft.model_picker import ModelPicker
from copilot.draft.prohibited_thresholds import (
    never_without,
    qualified_prohibitions,
    those_named_by_a_prohibition,
    threshold_prohibitions,
)
from copilot.draft.reading import Reading, Task
from copilot.draft.recipients import resolve_recipients
from copilot.draft.request import DraftRequest
from copilot.draft.threshold_fields import listed_value_tests, value_subjects, values_in_thresholds
from copilot.draft.written_messages import send_written_messages
from copilot.errors import FlowgenError
from copilot.flow.dump import Comments

DEFAULT_SLA = {"webhook": 2.0, "queue": 5.0, "schedule": 60.0}
REALTIME_SLA = 1.0
DOCS_GLOB = "docs/**/*.md"
SLA_SAFETY = 0.95  # plan the hot path to 95% of the SLA: estimates are estimates
HOT_KINDS = (
    "classify",
    "score",
    "moderate",
    "extract",
    "translate",
    "summarise",
    "answer",
    "reply",
    "decide",
)
_DISPLAY = {
    "support": "support ticket",
    "content": "post",
    "incident": "incident alert",
    "call": "call transcript",
}


def display(noun: str) -> str:
    """The noun as a prompt says it: `support` -> `support ticket`."""
    return _DISPLAY.get(noun, noun)


@dataclass
class Plan:
    """The decisions behind a draft, before they become a flow."""

    reading: Reading
    trigger: str
    sla: float
    cost_tier: str
    event: EventShape
    text_ref: str  # template of the text prompts read
    id_ref: str  # template naming the event (idempotency keys)
    tasks: list[Task]
    hot: list[Task]
    background: list[Task]
    brief: str = ""
    # the event's id as payloads and URLs carry it; differs from `id_ref` only for an assumed
    # `id`, which a real event may lack (never the whole event: it may hold personal data)
    shown_id: str = ""
    notes: Comments = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    pin_note: str | None = None
    warnings: list[str] = field(default_factory=list)  # said loudly: summary and file header
    acknowledge: bool = False  # no model fits the SLA: answer 202 at once, models run async
    # conditions the reader could not map that planning then read from the event or the answer
    # ("only if reporter_email was given"): no longer "not understood"
    read_late: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- planning


def _template(path: str | None) -> str | None:
    return f"{{{{ event.{path} }}}}" if path else None


def blocks_env(system: str) -> str:
    from copilot.draft.blocks import env_name

    return "${env:" + env_name(system, "api", "url") + "}"


def _schedule_source(sentences: list[str]) -> tuple[str, str] | None:
    """(the clause, the system) a scheduled run reads its items with: the brief's first read
    ("pull all Jira issues updated in the last 24 hours"); None when it names none."""
    from copilot.draft.clauses import requirement_clauses

    for clause in requirement_clauses(" ".join(sentences)):
        if clause.kind != "lookup":
            continue
        names = list(clause.systems) or [
            w for w in re.findall(r"\b[A-Z][a-z][\w-]*\b", clause.text[1:]) if w.lower() not in ("the", "our")
        ]
        return clause.text, (names[0].lower() if names else "source")
    return None


def plan(request: DraftRequest, reading: Reading) -> Plan:
    trigger = reading.trigger.kind
    assumptions: list[str] = []
    notes: Comments = {}
    if request.sla is not None:
        sla, source = request.sla, "from --sla"
    elif reading.sla is not None:
        sla, source = reading.sla, f"from the brief: {reading.sla_text!r}"
    elif reading.sla_vague:
        # "real time", "fast": a wish, not a number; the default for the trigger, said out loud
        sla = DEFAULT_SLA[trigger]
        source = f"the brief says {reading.sla_vague!r}, not a number: the {trigger} default {dur(sla)}"
        assumptions.append(
            f"{reading.sla_vague!r} is not a number: used the default {dur(sla)} for a {trigger}; "
            "pass --sla to set it"
        )
    elif reading.sla_too_long:
        # "Turnaround within 5 minutes" on a webhook: the work's deadline, longer than a caller
        # waits for an answer; the answer keeps the default, and the brief's figure is said
        sla = DEFAULT_SLA[trigger]
        source = f"the brief's {reading.sla_too_long!r} is longer than a {trigger} caller waits: {dur(sla)}"
        assumptions.append(
            f"{reading.sla_too_long!r} is longer than a {trigger} caller waits for its answer: the "
            f"response SLA is {dur(sla)} and the work the brief times runs after it; pass --sla to set it"
        )
    else:
        sla = DEFAULT_SLA[trigger]
        source = f"no latency in the brief: assumed {dur(sla)} for a {trigger} trigger"
        assumptions.append(f"SLA {dur(sla)} (no latency in the brief); pass --sla to change it")
    notes[("sla", "latency_p95")] = source
    cost_tier = request.cost_tier or reading.cost_tier or "standard"
    notes[("sla", "cost_tier")] = (
        (
            "from --cost-tier"
            if request.cost_tier
            else f"from the brief: {reading.cost_text!r}"
            if reading.cost_tier
            else "the default"
        )
        + f": may use the {', '.join(COST_TIER_TIERS[cost_tier])} tier"
        + ("s" if len(COST_TIER_TIERS[cost_tier]) > 1 else "")
    )

    listed = list(reading.event_fields)
    named_id = shape_from_names(listed).id_field if listed else None
    if listed and (named_id is None or not names_the_event(named_id, reading.noun)):
        # `patient_id`, `supplier_id`: who the event is about, not the event; keyed on them, a
        # second result for the same patient would be dropped as a duplicate
        # a key that is the whole event would send its personal fields everywhere the key goes
        listed.insert(0, "id")
        assumptions.append(
            (
                f"`{named_id}` names what the event is about, not the event: assumed an `id` (the "
                "delivery's own id) for the idempotency keys"
            )
            if named_id
            else "the brief names no id among the event's fields: assumed an `id` (the delivery's own "
            "id) for the idempotency keys"
        )
    event = request.event or default_event(trigger, reading.noun, listed, reading.event_types)
    if request.event is None:
        for name, values in reading.event_values.items():
            spec = event.schema.get("properties", {}).get(name)
            if isinstance(spec, dict) and spec.get("type") == "number" and not reading.event_types.get(name):
                # "the crop stage (spawn run, pinning or fruiting)": words, whatever its name suggests
                spec["type"] = "string"
                event.sample[name] = values[0]
            if isinstance(spec, dict) and spec.get("type") == "string":
                spec["examples"] = values  # "status (completed, failed or cancelled)"
    if request.event is None and reading.event_fields:
        assumptions.append(LISTED_TYPES)  # said once the types are settled (`listed_types`)
    elif request.event is None:
        assumptions.append(
            f"an event shaped {sorted(event.schema.get('properties', {}))}; pass --event sample.json "
            "so templates use your real fields"
        )
    # Only a field named like text is "the text"; otherwise prompts read the whole event.
    text_field = event.named_text_field if trigger != "schedule" or request.event else None
    id_field = event.id_field
    if id_field is None:
        assumptions.append(
            "the event has no id field (id, event_id, *_id): the idempotency keys are the whole event "
            "as JSON, so two identical events count as one; add an id to the event and use it"
        )
    subject = event.subject_field
    guessed = request.event is None and event.fields == ["id", "text"] and not reading.event_fields
    if guessed:
        # Nothing says what the event carries: `id` and `text` are guesses, so neither is
        # required (a Stripe charge or a Typeform answer has no `text`, a Typeform no `id`),
        # prompts read the text when there is one and the whole event when not, and the key
        # is the id when there is one.
        event.schema["required"] = []
        event.schema["properties"]["id"] = {"type": ["string", "integer"]}  # Shopify's ids are numbers
        text_ref = "{{ event.text if event.text is defined else event | tojson }}"
        id_ref = "{{ event.id if event.id is defined else event | tojson }}"
    elif text_field:
        text_ref = _template(text_field) or ""
        if subject and subject != text_field:
            text_ref = f"{_template(subject)}\n\n{text_ref}"
    else:
        text_ref = "{{ event | tojson }}"
    if not guessed:
        # No id-like field: the whole event is the key (long, but still the same for a redelivery).
        id_ref = _template(id_field) if id_field else "{{ event | tojson }}"
    shown_id = "{{ event.id | default('') }}" if guessed else id_ref
    plain = [f for f in reading.event_fields if f not in event.pii_fields and "." not in f]
    if request.event is None and id_field == "id" and plain and "id" not in reading.event_fields:
        # the `id` is assumed, not listed: a real event without it is still answered, keyed on the
        # fields the brief lists (never the personal ones: keys travel as Idempotency-Key headers)
        event.schema["required"] = [r for r in event.schema.get("required", []) if r != "id"]
        listed = ", ".join(f"event.{f} | default('')" for f in plain)
        id_ref = f"{{{{ event.id if event.id is defined else [{listed}] | join('|') }}}}"
        # the response and a page's dedup key still name the event: `appeal_id` when no `id` comes
        shown_id = (
            f"{{{{ event.id | default(event.{named_id} | default('')) }}}}"
            if named_id and "." not in named_id
            else "{{ event.id | default('') }}"
        )

    tasks = list(reading.tasks)
    if trigger == "schedule" and not any(t.kind == "enrich" for t in tasks) and request.event is None:
        fetch = Task("enrich", "(a schedule carries no data)", 0, -1, target="api")
        read_from = _schedule_source(reading.sentences)
        if read_from is not None:
            # "pull all Jira issues in project SUP …": what the run reads, and from which system
            fetch.quote, fetch.target = read_from
        tasks.insert(0, fetch)
        assumptions.append(
            "a schedule carries no data: a `fetch` step GETs the items from "
            + blocks_env(fetch.target if fetch.target != "api" else "source")
        )
    moderation = next((t for t in tasks if t.kind == "moderate" and t.quote), None)
    if moderation is not None:
        # "classify for toxicity" is the moderation itself: one step, not two in parallel
        for task in list(tasks):
            if task.kind == "classify" and task.quote == moderation.quote and not task.labels:
                tasks.remove(task)
    if grounded(reading):
        answer = next((t for t in tasks if t.kind == "answer"), None)
        for task in list(tasks):
            if task.kind == "reply":
                # "answers must only come from the docs": a reply is an answer, grounded like one
                if answer is not None:
                    answer.quotes = list(
                        dict.fromkeys([*(answer.quotes or [answer.quote or ""]), task.quote or ""])
                    )
                    answer.quotes = [q for q in answer.quotes if q]
                    tasks.remove(task)  # one grounded answer, not two chains
                else:
                    task.kind, task.docs = "answer", "docs"
                    answer = task
    if not any(t.kind in HOT_KINDS for t in tasks) and not any(
        t.kind in ("notify", "store", "act", "enrich") for t in tasks
    ):
        raise FlowgenError(
            "nothing in the brief says what the automation should do (no task such as classify, answer, "
            "summarise, notify, store or an action on a system): describe the work, e.g. "
            "'classify each ticket and page on-call for urgent ones'"
        )
    warnings: list[str] = []
    decision_conditions(tasks, reading)
    labels_named(tasks)
    top = score_scale(reading)
    if top > 1:
        # thresholds were read as shares ("above 80" -> 0.8, "4 or higher" -> 0.04); the brief
        # scores on its own scale (0-100, 1-5), so keep its numbers
        for task in tasks:
            for part in [task.condition, *(task.condition.alternatives if task.condition else [])]:
                if part is not None and part.kind == "score":
                    # a number the reader took as a share comes back to the brief's scale; one it
                    # kept as it was ("risk of 1" on a 1-5 scale) stays
                    if part.op == "range" and isinstance(part.value, tuple):
                        part.value = tuple(round(v * 100, 6) if v * 100 <= top else v for v in part.value)
                    elif isinstance(part.value, float) and part.value * 100 <= top:
                        part.value = round(part.value * 100, 6)
    for task in tasks:  # a count is of what a scheduled run fetched, else a number the event carries
        for part in [task.condition, *(task.condition.alternatives if task.condition else [])]:
            if part is not None and part.kind == "count":
                part.kind = "fetched" if trigger == "schedule" else "event"
    threshold_prohibitions(
        reading.sentences, tasks, event.fields
    )  # "never reverse a charge over $50; those go to …"
    those_named_by_a_prohibition(
        reading.sentences, tasks
    )  # "never confirm … with an overdue balance; those …"
    # "we never auto-reject a first-time constructor; those go to …": a yes/no field of the event
    flags = [f for f, v in event.schema.get("properties", {}).items() if (v or {}).get("type") == "boolean"]
    qualified_prohibitions(reading.sentences, tasks, flags)
    for name in never_without(
        reading.sentences, tasks, event.fields
    ):  # "never text anyone who did not give a phone"
        if name in (event.schema.get("required") or []):
            event.schema["required"].remove(name)  # an event may come without it
    event_thresholds(
        tasks,
        event,
        request.event is not None,
        assumptions,
        scheduled=trigger == "schedule",
        sentences=reading.sentences,
    )
    read_late: list[str] = []
    presence_conditions(tasks, event, read_late)
    extracted_answers(tasks)  # "If there is an active leak": the extraction's yes or no
    listed_value_tests(
        tasks, event, reading.sentences
    )  # "If the response is not verified", a value the brief lists
    values_in_thresholds(tasks, event)  # "above 1500 during fruiting": that stage too
    fetched_thresholds(tasks, reading.sentences)  # "the image confidence is below 0.85", fetched
    lookup_answers(tasks, read_late, reading.sentences, scheduled=trigger == "schedule", fields=event.fields)
    looked_up_elsewhere(tasks)  # "… Otherwise answer": the other side of the lookup's answer
    valued_subjects(tasks, reading.sentences)  # "will-call customers get an SMS"
    send_written_messages(tasks, reading.sentences)  # "Write the customer a results email …"
    resolve_recipients(tasks, event, reading.sentences, assumptions)
    value_subjects(tasks, event, reading.sentences)
    declare_tested_fields(tasks, event, request.event is not None, assumptions)
    declare_lookup_keys(tasks, event, request.event is not None, assumptions)
    assumptions[:] = [listed_types(reading, event) if a is LISTED_TYPES else a for a in assumptions]
    tasks = ensure_producers(tasks, assumptions, warnings, reading.sentences, read_late)
    hot_analysis = [
        t
        for t in tasks
        if t.kind in ("classify", "score", "moderate", "extract", "translate", "answer", "reply")
    ]
    hot: list[Task] = []
    background: list[Task] = []
    for task in tasks:
        if task.kind == "summarise":
            # The summary is the product when nothing else answers; otherwise it is extra work.
            if task.background or (hot_analysis and trigger == "webhook"):
                background.append(task)
            else:
                hot.append(task)
        elif task.kind in HOT_KINDS and not task.background:
            hot.append(task)
        else:
            background.append(task)
    movable = [t for t in background if t.kind in HOT_KINDS]
    if not hot and movable:
        # Something must be the result: with no other model task, the first one is on the hot path.
        hot.append(movable[0])
        background.remove(movable[0])
    acknowledge = False
    fastest = _fastest(request, cost_tier)
    # an http call on the hot path before the models: a schedule's fetch, or a lookup the brief
    # names before a model task ("enrich each one …, then score it")
    last_hot = max((mentioned_at(t) for t in hot), default=None)
    looked_up = any(
        t.kind == "enrich"
        and not t.background
        and t.start >= 0
        and last_hot
        and (t.sentence, t.start) < last_hot
        for t in background
    )
    fixed = (
        HTTP_P95
        if (any(t.kind == "enrich" for t in hot + tasks) and trigger == "schedule") or looked_up
        else 0.0
    )
    # compared in whole ms: 1s x 0.95 - 300ms is 650ms, not 649.99…
    hot_models = [t for t in hot if not t.api]  # a task our own service does is no model call
    # models in a row on the hot path: a translation or extraction feeds the ones after it
    in_row = 1 + sum(
        1
        for t in hot_models
        if t.kind in FEEDS
        and any((o.sentence, o.start) > (t.sentence, t.start) for o in hot_models if o is not t)
    )
    if (
        hot_models
        and fastest is not None
        and round((sla * SLA_SAFETY - fixed) * 1000) < round(fastest.p95 * in_row * 1000)
    ):
        # No model call fits the SLA, so none goes on the hot path: a deterministic 202
        # acknowledgement answers within it, and the models' results leave by side effects.
        services = [t for t in hot if t.api]
        if services:
            # the service answers within the SLA; only the model work moves off the hot path
            background = hot_models + background
            hot = services
        else:
            acknowledge = True
            background = hot + background
            hot = []
            if not any(t.kind in ("notify", "store") for t in background):
                background.append(
                    Task("store", "(the response cannot wait for a model)", 0, -1, target="results")
                )
                assumptions.append(
                    "the response cannot carry the model's result, so a `store` step POSTs it to "
                    "${env:RESULTS_API_URL}"
                )
            warnings.append(
                f"the SLA {dur(sla)}"
                + (f", less the {dur(fixed)} http call before the models," if fixed else "")
                + f" is below the p95 of the fastest model the {cost_tier} cost tier "
                f"allows ({fastest.id}, {dur(fastest.p95)}"
                + (f", {in_row} calls in a row" if in_row > 1 else "")
                + "): no model call fits in it. The response is a "
                "deterministic 202 acknowledgement and every model step runs async; with a model on the hot "
                "path most calls would end on the fallback or the on_deadline answer. Raise --sla to at "
                "least "
                f"{dur(blocks.round_up_ms((fastest.p95 * in_row + fixed) / SLA_SAFETY, 50))} "
                "to answer with the model's result"
            )
    ack = _ACK_NOW.search(request.brief)
    slow = reading.sla_too_long if request.sla is None and reading.sla is None else None
    if hot and not acknowledge and (ack or slow) and trigger == "webhook":
        # "Acknowledge the webhook immediately": the answer is the 202, the work follows async;
        # "Cases should be opened within 5 minutes": no caller waits that long, so the same
        acknowledge = True
        background = hot + background
        hot = []
        said = ack.group(0) if ack else slow
        notes[("respond", "status")] = f"from the brief: {said!r}"
        assumptions.append(f"{said!r}: the response is a 202 acknowledgement; every model step runs async")
    if reading.trigger.others:
        assumptions.append(
            f"one trigger per flow: used the {trigger} ({reading.trigger.text!r}); also mentioned "
            + ", ".join(repr(o) for o in reading.trigger.others)
            + " — draft another flow for that"
        )
    return Plan(
        reading=reading,
        trigger=trigger,
        sla=sla,
        cost_tier=cost_tier,
        event=event,
        text_ref=text_ref,
        id_ref=id_ref,
        shown_id=shown_id,
        tasks=tasks,
        hot=hot,
        background=background,
        brief=request.brief,
        notes=notes,
        assumptions=assumptions,
        warnings=warnings,
        acknowledge=acknowledge,
        read_late=[
            *read_late,
            *(
                c.text
                for t in tasks
                if t.condition is not None
                # a guess of the classifier ("field") stays "not understood"; any other reading
                # of a clause the reader left (a score "it" stands for) settles it
                and all(p.kind != "field" for p in [t.condition, *t.condition.alternatives])
                for c in [t.condition, *t.condition.alternatives]
            ),
        ],
    )


_ACK_NOW = re.compile(
    r"\b(?:acknowledge|ack|accept)\s+(?:the\s+)?(?:webhook|request|event|call|delivery)?\s*"
    r"(?:immediately|right away|at once|instantly|straight away)",
    re.I,
)
HTTP_P95 = 0.3  # the catalog's generic http p95 (copilot.flow.estimate.HTTP_LATENCY)


def score_scale(reading: Reading) -> int:
    """The top of the brief's own scale: 100 for "from 0 to 100" (or "out of 100"), 5 for "on a
    1-5 scale", 10 for "a fit score from 1 to 10"; else 1 (a share)."""
    text = " ".join(reading.sentences)
    if re.search(r"\b0\s*(?:to|-|–)\s*100\b|\bout of 100\b|/\s*100\b", text, re.I):
        return 100
    m = _SCALE.search(text)
    if m is not None:
        top = int(next(g for g in reversed(m.groups()) if g is not None))
        if 2 <= top <= 1000:
            return top
    from copilot.draft.score_atoms import SCORE_ATOM

    # "If the rubric score is below 40": a threshold above 1 on no stated scale is out of 100
    said = [
        float(g)
        for m in SCORE_ATOM.finditer(text)
        for g in m.groups()
        if g and re.fullmatch(r"\d+(?:\.\d+)?", g)
    ]
    if said and 1 < max(said) <= 100 and not re.search(r"%|percent", text, re.I):
        return 100
    return 1


# "on a 1-5 scale", "a fit score from 1 to 10", "rate it 0–10", "out of 10"
_SCALE = re.compile(
    r"\b[01]\s*(?:to|-|–)\s*(\d{1,4})\s+scale\b|\bscale\s+of\s+[01]\s*(?:to|-|–)\s*(\d{1,4})\b|"
    # "estimate the hours (0.5 to 6)": a scale may start at a fraction, in parentheses
    r"\b(?:score|scores|rate|rating|risk|fit|estimat|urgent|severe|severit|giv|assign)\w*\s+(?:[\w-]+\s+){0,4}?(?:from\s+|\(\s*)?(?:[01]|0?\.\d+)\s*(?:to|-|–)\s*(\d{1,4})\b|"
    r"\bout\s+of\s+(\d{1,4})\b",
    re.I,
)


def grounded(reading: Reading) -> bool:
    """The brief demands answers only from documents ("must only come from the help-centre")."""
    return any(m.kind == "grounding" for m in reading.matches)


def _fastest(request: DraftRequest, cost_tier: str) -> ModelProfile | None:
    """The allowed hot-path model with the lowest p95: the floor under any SLA with a model in it."""
    picker = ModelPicker(request.catalog, cost_tier, request.fallback_model, 0)
    entries = picker._entries("fast")
    return min(entries, key=lambda m: (m.p95, m.id)) if entries else None


FEEDS = ("translate", "extract")  # model tasks whose output every later model task reads


def mentioned_at(task: Task) -> tuple[int, int]:
    """Where the brief last mentions a task ("score each one… First look up X, then score it")."""
    return max([(task.sentence, task.start), *((m.sentence, m.start) for m in task.also if m.start >= 0)])
