"""Planning an offline draft: from a `Reading` to a `Plan` of what the flow must hold.

`plan` decides, before any step is written, the trigger and its event, the SLA and the
budget (stated or defaulted, and said so), which tasks sit on the hot path, which
decisions a model makes and which a threshold on the event makes, and whether answers
are grounded in documents. `ModelPicker` chooses catalog models by tier within the
cost tier and the SLA. The steps themselves are built from the plan by
`copilot.draft.steps`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from copilot.catalog import COST_TIER_TIERS, Catalog, ModelProfile
from copilot.draft import blocks
from copilot.draft.blocks import dur
from copilot.draft.clauses import deciding_system
from copilot.draft.conditions import condition_field
from copilot.draft.decisions import documents_named, quoted_reply
from copilot.draft.event import EventShape, default_shape
from copilot.draft.reader import KNOWN_NOUNS, Condition, Reading, Task
from copilot.draft.request import DraftRequest
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


# ---------------------------------------------------------------------------- models


class ModelPicker:
    """Catalog choices: tier by cost tier, cheapest that fits a latency share, fallback elsewhere."""

    def __init__(self, catalog: Catalog, cost_tier: str, fallback_model: str | None, level: int) -> None:
        self.catalog = catalog
        self.allowed = COST_TIER_TIERS[cost_tier]
        self.fallback_model = fallback_model
        self.level = level  # 0: preferred; higher levels trade quality for cost (budget fitting)
        self.aliases: dict[str, str] = {}  # catalog id -> alias
        self.specs: dict[str, dict[str, Any]] = {}  # alias -> models: entry

    def _entries(self, tier: str) -> list[ModelProfile]:
        # Only models with known rate limits: an alias without rpm/tpm cannot be sized (FG502);
        # and, where the tier has them, models whose rpm carries the default ingress rate.
        known = [m for m in self.catalog.by_tier((tier,)) if m.rpm or m.tpm]
        roomy = [m for m in known if (m.rpm or 0) >= blocks.DEFAULT_RATE_PER_SECOND * 60]
        return roomy or known

    def choose(self, tier: str, share: float | None) -> ModelProfile:
        entries = self._entries(tier) or self._entries("fast")
        price = lambda m: (m.input_per_mtok + 4 * m.output_per_mtok, m.p95, m.id)
        if share is not None:
            fits = [m for m in entries if m.p95 * blocks.TIMEOUT_HEADROOM <= share]
            if fits:
                return min(fits, key=price)
            return min(entries, key=lambda m: (m.p95, price(m)))
        return min(entries, key=price)

    def fits(self, tier: str, share: float | None) -> bool:
        return share is None or any(m.p95 * blocks.TIMEOUT_HEADROOM <= share for m in self._entries(tier))

    def fallback_for(self, primary: ModelProfile, tiers: tuple[str, ...]) -> ModelProfile | None:
        if self.fallback_model is not None:
            return self.catalog.get(self.fallback_model)
        rank = {"fast": 0, "balanced": 1, "heavy": 2}
        pool = [
            m
            for t in tiers
            for m in self._entries(t)
            if m.provider != primary.provider and (m.context_window or 0) >= (primary.context_window or 0)
        ]
        if not pool:
            return None
        return min(
            pool,
            key=lambda m: (
                abs(rank.get(m.tier, 1) - rank.get(primary.tier, 1)),
                m.input_per_mtok + 4 * m.output_per_mtok,
                m.p95,
                m.id,
            ),
        )

    def alias(self, profile: ModelProfile, role: str) -> str:
        if profile.id in self.aliases:
            return self.aliases[profile.id]
        name = role
        n = 2
        while name in self.specs:
            name, n = f"{role}{n}", n + 1
        self.aliases[profile.id] = name
        use = f"{profile.provider}/{profile.snapshot}" if profile.snapshot else profile.id
        self.specs[name] = {"use": use}
        return name

    def tier_for(self, kind: str, hot: bool) -> str:
        """Fast on the hot path (a writer may be balanced); the best the cost tier allows off it."""
        if hot:
            if kind in ("answer", "reply") and "balanced" in self.allowed and self.level == 0:
                return "balanced"
            return "fast"
        if self.level >= 2:
            return "fast"
        best = self.allowed[-1]
        if self.level == 1 and len(self.allowed) > 1:
            best = self.allowed[-2]
        return best


# ---------------------------------------------------------------------------- planning


def _template(path: str | None) -> str | None:
    return f"{{{{ event.{path} }}}}" if path else None


def _default_event(
    trigger: str, noun: str, fields: list[str] | None = None, types: dict[str, str] | None = None
) -> EventShape:
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


def _names_the_event(field_name: str, noun: str) -> bool:
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
    return shape_from(
        {
            name: _TYPED_SAMPLES[stated[name]] if name in stated else _sample_value(name, noun)
            for name in names
        }
    )


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
})  # fmt: skip
_NOT_NUMBER_TAILS = frozenset({
    "id", "ids", "url", "uri", "link", "name", "code", "type", "group", "band", "date", "at", "on", "text",
    "email", "status", "currency", "unit", "label", "note", "notes", "list", "range", "bucket", "flag",
})  # fmt: skip


# `health_inspection_date`, `slot_start`, `sold_at`: a date or time, never compared as a number
_DATE_NAMED = re.compile(r"(?:^|_)(?:date|at|on|time|timestamp|start|end|deadline|until|since)$", re.I)


def boolean_named(name: str) -> bool:
    """`is_medical_patient`, `has_insurance`, `swarm_alarm_on`: a name that says yes or no."""
    return bool(re.match(r"(?:is|has|was|can|should|needs|wants|allow|allows)_", name.lower()))


def number_named(name: str) -> bool:
    """Whether a field's name says it holds a number (`pressure_psi`, `age_years`, `total`)."""
    parts = [p for p in re.split(r"_|(?<=[a-z])(?=[A-Z])", name) if p]
    lowered = [p.lower() for p in parts]
    if not lowered or lowered[-1] in _NOT_NUMBER_TAILS or _DATE_NAMED.search(name):
        return False
    return any(p in _NUMBER_WORDS for p in lowered)


def _sample_value(name: str, noun: str) -> str | float | bool:
    lower = name.lower()
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


def _labels_named(tasks: list[Task]) -> None:
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


def _decisions(tasks: list[Task], reading: Reading) -> None:
    """Conditions that name an option of the answer ("Blocked posts also open a ticket",
    "Approved payouts get released", "anything flagged for review goes to Slack") read the
    decision: the decide step's, or the bands' over a score. The brief's response options
    ("waits for allow, hold or block") are the decide step's labels."""
    from copilot.draft.reader import option_of

    options = list(reading.response_options)
    decide = next((t for t in tasks if t.kind == "decide"), None)
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
    if not options:
        return
    for task in tasks:
        if task.condition is None and not task.unmapped_condition and task.kind in ("notify", "store", "act"):
            # "Write refer cases to Salesforce", "pass and fail just update the status": the
            # options the clause opens with are the events it acts on
            opening = [w.lower() for w in re.findall(r"[A-Za-z][\w-]*", task.quote or "")[:4]]
            named = [o for o in options if o in opening]
            # "Malicious: purge …", "On accept, reserve a carrier …" (its own clause's lead too)
            sentence = reading.sentences[task.sentence]
            clause_start = max(sentence.rfind(";", 0, max(task.start, 0)) + 1, 0)
            answered = quoted_reply(sentence)
            if not named and answered in options:  # 'If it is on the shelf, reply "ready" and text them'
                named = [answered]
            headed = re.match(r"\W*([A-Za-z][\w -]{0,30}?)\s*:", sentence) or re.match(
                r"\W*(?:only\s+)?(?:on|upon|for|if|when)\s+((?:[\w-]+\s+){0,2}?[\w-]+)\s*,",
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
                task.condition = Condition(
                    "decision", task.unmapped_condition, "==", named, output_field="decision"
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
            named = [o for o in options if option_of(" ".join(w for w in re.findall(r"[\w-]+", words)), [o])]
            if named:
                part.kind, part.op, part.output_field = (
                    "decision",
                    "in" if len(named) > 1 else "==",
                    "decision",
                )
                part.value = named if len(named) > 1 else named[0]


def _event_thresholds(
    tasks: list[Task], event: EventShape, given: bool, assumptions: list[str], *, scheduled: bool = False
) -> None:
    """ "Only send if the cart value is over $50": a threshold on an event field, decided without a
    model. The field joins the drafted event shape (and is said), or, when the user gave the
    event and it has no such field, the classifier decides the clause instead."""
    for task in tasks:
        if task.condition is None:
            continue
        parts = [task.condition, *task.condition.alternatives]
        for part in parts:
            if part.kind == "fields" and part.output_field:
                _compared_fields(part, event, given)
                continue
            if part.kind != "event" or not part.output_field:
                continue
            name = part.output_field
            properties = event.schema.setdefault("properties", {})
            if name in properties and _DATE_NAMED.search(name) and not isinstance(part.value, str):
                # "more than 365 days before today" on a date: no number of the event says it
                part.kind, part.value, part.op = "field", True, "=="
                part.output_field = condition_field(part.text)
                continue
            if name in properties:
                if not given and isinstance(part.value, list) and part.value:
                    event.sample[name] = part.value[0]  # 'category is "pothole" or "streetlight"'
                elif (
                    not given and not isinstance(part.value, str) and properties[name].get("type") == "string"
                ):
                    # "If guest_count is over 180": a field the brief lists, compared as a number
                    properties[name] = {"type": "number"}
                    event.sample[name] = round(float(part.value or 0) * 2 or 1, 2)
                elif not given and isinstance(part.value, str) and part.value and part.op == "==":
                    event.sample[name] = part.value  # "if new_state is closed": the example takes that branch
                continue
            known = event.field_named_in(part.text) if (given or event.source != "default") else None
            if known is not None and "." not in known:
                part.output_field = known  # "anything over 45,000 lbs" is the event's `weight_lbs`
                continue
            if given or scheduled:
                part.kind, part.value, part.op = "field", True, "=="
                part.output_field = condition_field(part.text)
                if scheduled and not given:
                    # a schedule's tick carries no data: the threshold is on what the run fetched
                    assumptions.append(
                        f"a scheduled run's tick has no `{name}`: the classifier decides "
                        f"{part.text.strip()!r} from what the run fetched, as `{part.output_field}`; "
                        "check its prompt"
                    )
                continue
            text = isinstance(part.value, (str, list))  # 'is "pothole" or "streetlight"': strings
            # assumed, so not required: a real event without it is still answered, and only the
            # step that tests it fails (loudly, dead-lettered) instead of every event being refused
            properties[name] = {"type": "string" if text else "number"}
            event.sample[name] = (
                (part.value[0] if isinstance(part.value, list) else part.value)
                if text
                else round(float(part.value or 0) * 2 or 1, 2)
            )
            if name not in event.fields:
                event.fields.append(name)
            assumptions.append(
                f"the event carries `{name}` ({'a string' if text else 'a number'}) for {part.text!r}; "
                "pass --event sample.json to use the real field"
            )


# "only if reporter_email was given", "when there's a crash_dump_url", "if the phone is missing":
# whether the event carries a value, which the event itself says (no model guesses it)
_PRESENT = re.compile(
    r"\b(?:is|was|are|were|gets?|got|has been)\s+(?:given|provided|present|set|filled(?:\s+in)?|supplied|"
    r"included|available|there|known)\b|\bnon-?empty\b|\bnot\s+(?:empty|blank)\b|"
    r"\b(?:if|when|whenever)\s+(?:there(?:'s|’s|\s+is|\s+are)|it\s+has|they\s+(?:gave|give|provided?))\s+(?:a|an|any)\s+",
    re.I,
)
_ABSENT = re.compile(
    r"\b(?:is|was|are|were)\s+(?:missing|empty|blank|absent|not\s+given|not\s+provided|not\s+set)\b|"
    r"\bthere(?:'s|’s|\s+is)\s+no\b|\bwithout\s+(?:a|an)\b",
    re.I,
)


_SAYS_TRUTH = re.compile(r"\b([a-z][a-z0-9_]*)\s+(?:is|=|==|equals)\s+(true|false|yes|no)\b", re.I)


_LISTED_TYPES = "(the types of the listed fields)"  # a placeholder, replaced by `_listed_types`


def _listed_types(reading: Reading, event: EventShape) -> str:
    """What the draft assumed of the fields the brief lists, type by type, as the schema has them:
    "are strings (a, b) and numbers (c: named or compared like one)"."""
    properties = event.schema.get("properties", {})
    by_type: dict[str, list[str]] = {}
    for name in reading.event_fields:
        kind = (properties.get(name) or {}).get("type", "string")
        by_type.setdefault(kind, []).append(name)
    if list(by_type) == ["string"]:
        return (
            f"the event fields the brief lists ({', '.join(reading.event_fields)}) are strings; "
            "pass --event sample.json for the real shape"
        )
    words = {"string": "strings", "number": "numbers", "integer": "integers", "boolean": "booleans",
             "array": "lists"}  # fmt: skip
    parts = [
        f"{words.get(kind, kind)} ({', '.join(names)}"
        + (": named, stated or compared like one" if kind != "string" else "")
        + ")"
        for kind, names in by_type.items()
    ]
    joined = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    return f"the event fields the brief lists are {joined}; pass --event sample.json for the real shape"


def _boolean_named_in(text: str, booleans: list[str]) -> str | None:
    """The one boolean field of the event whose words the condition says ("isn't in a
    maintenance window" -> `in_maintenance_window`)."""
    found = [
        name
        for name in booleans
        if (words := [w for w in name.lower().split("_") if len(w) >= 3 and w not in ("has", "was", "the")])
        and all(re.search(rf"\b{re.escape(w[:5])}", text, re.I) for w in words)
    ]
    return found[0] if len(found) == 1 else None


def _presence_conditions(tasks: list[Task], event: EventShape) -> None:
    """A condition on whether the event carries a field, or on a boolean it carries ("if injury is
    true"), is read from the event: no model guesses it."""
    from copilot.draft.conditions import truth_condition

    booleans = [
        name
        for name, spec in (event.schema.get("properties") or {}).items()
        if isinstance(spec, dict) and spec.get("type") == "boolean"
    ]
    for task in tasks:
        parts = [task.condition, *task.condition.alternatives] if task.condition else []
        for index, part in enumerate(parts):
            said = _SAYS_TRUTH.search(part.text) if part.kind == "field" else None
            named = _boolean_named_in(part.text, booleans) if part.kind == "field" and said is None else None
            if named is not None:
                # "the segment isn't in a maintenance window" with `in_maintenance_window`
                negative = re.search(
                    r"\b(?:not|isn'?t|aren'?t|wasn'?t|no|never|without|outside)\b", part.text, re.I
                )
                read = truth_condition(part.text, named, "false" if negative else "true")
                if read is not None and index == 0:
                    read.alternatives, read.all_of = part.alternatives, part.all_of
                    task.condition = read
                elif read is not None and task.condition is not None:
                    task.condition.alternatives[index - 1] = read
                continue
            if said is not None and said.group(1) in event.fields:
                read = truth_condition(part.text, said.group(1), said.group(2))
                if read is not None and index == 0:
                    read.alternatives, read.all_of = part.alternatives, part.all_of
                    task.condition = read
                elif read is not None and task.condition is not None:
                    task.condition.alternatives[index - 1] = read
    for task in tasks:
        text = task.unmapped_condition
        if task.condition is not None or not text:
            continue
        absent = _ABSENT.search(text)
        if not (absent or _PRESENT.search(text)):
            continue
        name = event.field_named_in(text)
        if name is None or "." in name:
            continue
        task.condition = Condition("present", text, "!=", "", output_field=name, negated=bool(absent))
        task.unmapped_condition = None
        required = event.schema.get("required")
        if isinstance(required, list) and name in required:
            required.remove(name)  # "only if it was given": an event may come without it


def _compared_fields(part: Condition, event: EventShape, given: bool) -> None:
    """ "If value is over reference_high": both fields are numbers of the event; a field the
    event lacks leaves the comparison to the classifier (its guess, said as DR010)."""
    properties = event.schema.setdefault("properties", {})
    names = [part.output_field or "", str(part.value)]
    if not all(n in properties for n in names):
        part.kind, part.value, part.op = "field", True, "=="
        part.output_field = condition_field(part.text)
        return
    if not given:
        for name, sample in zip(names, (2.0, 1.0), strict=True):
            properties[name] = {"type": "number"}
            event.sample[name] = sample  # the example takes the branch


def _ensure_producers(
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
    for task in tasks:
        if task.condition is None and task.unmapped_condition and task.kind in ("notify", "store", "act"):
            # The brief made this side effect conditional and no rule read the condition: never
            # fire it on every event, and never on a stand-in like urgency. The classifier
            # decides the brief's own condition as a boolean field named from its words.
            task.condition = Condition(
                "field",
                task.unmapped_condition,
                "==",
                True,
                output_field=condition_field(task.unmapped_condition),
            )
            assumptions.append(
                f"the condition {task.unmapped_condition!r} is decided by the classifier as "
                f"`{task.condition.output_field}`; check its prompt"
            )
        cond = task.condition
        if cond is None:
            continue
        parts = [cond, *cond.alternatives]
        for index, part in enumerate(parts):
            if part.kind in ("event", "fields", "fetched", "ungrounded", "present"):
                continue  # decided by the event itself, or by what the run fetched
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
    return extra + tasks


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
            f"response SLA is {dur(sla)}; pass --sla to set it, or use a queue trigger for slow work"
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
    if listed and (named_id is None or not _names_the_event(named_id, reading.noun)):
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
    event = request.event or _default_event(trigger, reading.noun, listed, reading.event_types)
    if request.event is None and reading.event_fields:
        assumptions.append(_LISTED_TYPES)  # said once the types are settled (`_listed_types`)
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
    if text_field:
        text_ref = _template(text_field) or ""
        if subject and subject != text_field:
            text_ref = f"{_template(subject)}\n\n{text_ref}"
    else:
        text_ref = "{{ event | tojson }}"
    # No id-like field: the whole event is the key (long, but still the same for a redelivery).
    id_ref = _template(id_field) if id_field else "{{ event | tojson }}"
    shown_id = id_ref
    plain = [f for f in reading.event_fields if f not in event.pii_fields and "." not in f]
    if request.event is None and id_field == "id" and plain and "id" not in reading.event_fields:
        # the `id` is assumed, not listed: a real event without it is still answered, keyed on the
        # fields the brief lists (never the personal ones: keys travel as Idempotency-Key headers)
        event.schema["required"] = [r for r in event.schema.get("required", []) if r != "id"]
        listed = ", ".join(f"event.{f} | default('')" for f in plain)
        id_ref = f"{{{{ event.id if event.id is defined else [{listed}] | join('|') }}}}"
        shown_id = "{{ event.id | default('') }}"

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
    _decisions(tasks, reading)
    _labels_named(tasks)
    if score_scale(reading) == 100:
        # thresholds were read as shares ("above 80" -> 0.8); the brief scores 0-100, so keep its numbers
        for task in tasks:
            for part in [task.condition, *(task.condition.alternatives if task.condition else [])]:
                if part is not None and part.kind == "score":
                    if part.op == "range" and isinstance(part.value, tuple):
                        part.value = tuple(round(v * 100, 6) for v in part.value)
                    elif isinstance(part.value, float):
                        part.value = round(part.value * 100, 6)
    for task in tasks:  # a count is of what a scheduled run fetched, else a number the event carries
        for part in [task.condition, *(task.condition.alternatives if task.condition else [])]:
            if part is not None and part.kind == "count":
                part.kind = "fetched" if trigger == "schedule" else "event"
    _event_thresholds(tasks, event, request.event is not None, assumptions, scheduled=trigger == "schedule")
    _presence_conditions(tasks, event)
    assumptions[:] = [_listed_types(reading, event) if a is _LISTED_TYPES else a for a in assumptions]
    read_late: list[str] = []
    tasks = _ensure_producers(tasks, assumptions, warnings, reading.sentences, read_late)
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
    if hot and not acknowledge and ack and trigger == "webhook":
        # "Acknowledge the webhook immediately": the answer is the 202, the work follows async
        acknowledge = True
        background = hot + background
        hot = []
        notes[("respond", "status")] = f"from the brief: {ack.group(0)!r}"
        assumptions.append(
            f"{ack.group(0)!r}: the response is a 202 acknowledgement; every model step runs async"
        )
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
                for c in [t.condition, *t.condition.alternatives]
                if c.kind in ("present", "decision")
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
    """100 when the brief scores "from 0 to 100" (or "out of 100"), else 1."""
    text = " ".join(reading.sentences)
    return 100 if re.search(r"\b0\s*(?:to|-|–)\s*100\b|\bout of 100\b|/\s*100\b", text, re.I) else 1


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
