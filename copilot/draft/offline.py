"""The offline drafter: a brief becomes a production-ready flow with no model and no network.

It reads the brief by vocabulary (`copilot.draft.reader`), then assembles the flow from the
building blocks (`copilot.draft.blocks`): fast models with a fallback from another provider
on the hot path, heavy work async, a validate step after every model output, timeouts
cut from the SLA with the shared estimates (`copilot.flow.graph.analyze`), pinned
documents, idempotency keys, limits, observability, and a load and chaos test block.
Deterministic: the same brief and options always give the same file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot import policy
from copilot.catalog import COST_TIER_TIERS, Catalog, ModelProfile
from copilot.draft import blocks
from copilot.draft.blocks import dur
from copilot.draft.event import EventShape, default_shape
from copilot.draft.reader import Condition, Reading, Task, read
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
_MAX_TOKENS = {
    "classify": 60,
    "score": 120,
    "moderate": 80,
    "extract": 250,
    "decide": 150,
    "summarise": 300,
    "translate": 500,
    "answer": 350,
    "reply": 300,
    "enrich": 400,
}
_DEFAULT_LABELS = {
    "support": ["faq", "billing", "bug", "account", "other"],
    "email": ["question", "request", "complaint", "spam", "other"],
    "incident": ["outage", "degradation", "security", "noise", "other"],
    "review": ["praise", "complaint", "question", "other"],
}
_URGENCY = ["low", "normal", "high"]
_CLASSIFY_WORDS = r"clas+i?f|categor|triag|label|tag|sort|rout|detect|identif|intent|kind|type"
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
    notes: Comments = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    pin_note: str | None = None
    warnings: list[str] = field(default_factory=list)  # said loudly: summary and file header
    acknowledge: bool = False  # no model fits the SLA: answer 202 at once, models run async


@dataclass
class OfflineDraft:
    """A drafted flow: its data, the comments that explain it, and what the reader could not map."""

    data: dict[str, Any]
    comments: Comments
    reading: Reading
    assumptions: list[str]
    unmapped: list[str]
    warnings: list[str] = field(default_factory=list)


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


def _default_event(trigger: str, noun: str, fields: list[str] | None = None) -> EventShape:
    if fields:
        from copilot.draft.event import shape_from

        sample = {name: _sample_value(name, noun) for name in fields}
        return shape_from(sample)
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


def _sample_value(name: str, noun: str) -> str:
    lower = name.lower()
    if lower == "id" or lower.endswith("_id") or name.endswith("Id"):
        return f"{noun[:3].upper()}-1001"
    if "mail" in lower:
        return "person@example.com"
    if "phone" in lower:
        return "+15550100"
    return f"Example {name.replace('_', ' ')}."


_CONDITION_STOP = frozenset(
    {
        "when",
        "whenever",
        "if",
        "only",
        "unless",
        "in",
        "case",
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "be",
        "it",
        "its",
        "it's",
        "they",
        "their",
        "our",
        "ours",
        "we",
        "there",
        "there's",
        "than",
        "that",
        "this",
        "of",
        "to",
        "for",
        "any",
        "some",
        "has",
        "have",
        "does",
        "do",
        "gets",
        "get",
        "turns",
        "becomes",
        "goes",
        "looks",
        "seems",
        "and",
        "or",
        "with",
        "on",
        "by",
        "s",
    }
)


def condition_field(clause: str) -> str:
    """A boolean output field named from a condition's own words: 'if there's a churn risk' -> churn_risk."""
    words = [w for w in re.findall(r"[a-z0-9]+", clause.lower()) if w not in _CONDITION_STOP]
    name = "_".join(words[:3]) or "condition_met"
    return name if re.match(r"[a-z]", name) else f"is_{name}"[:40]


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
    if decide is None and options and not reading.bands and not any(t.kind == "score" for t in tasks):
        sentence = next(
            (i for i, s in enumerate(reading.sentences) if all(o in s.lower() for o in options)), 0
        )
        decide = Task("decide", "(the answer is one of the options)", sentence, -1, labels=options)
        decide.quote = next((q for q in (reading.sentences[sentence],) if q), None)
        tasks.insert(0, decide)
    options = options or (decide.labels if decide is not None else [])
    if not options:
        return
    for task in tasks:
        if task.condition is None:
            continue
        for part in [task.condition, *task.condition.alternatives]:
            if part.kind not in ("field", "flagged", "urgent", "label"):
                continue
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


def _event_thresholds(tasks: list[Task], event: EventShape, given: bool, assumptions: list[str]) -> None:
    """ "Only send if the cart value is over $50": a threshold on an event field, decided without a
    model. The field joins the drafted event shape (and is said), or, when the user gave the
    event and it has no such field, the classifier decides the clause instead."""
    for task in tasks:
        if task.condition is None:
            continue
        parts = [task.condition, *task.condition.alternatives]
        for part in parts:
            if part.kind != "event" or not part.output_field:
                continue
            name = part.output_field
            properties = event.schema.setdefault("properties", {})
            if name in properties:
                continue
            if given:
                part.kind, part.value, part.op = "field", True, "=="
                part.output_field = condition_field(part.text)
                continue
            properties[name] = {"type": "number"}
            event.schema.setdefault("required", []).append(name)
            event.sample[name] = round(float(part.value or 0) * 2 or 1, 2)
            if name not in event.fields:
                event.fields.append(name)
            assumptions.append(
                f"the event carries `{name}` (a number) for {part.text!r}; "
                "pass --event sample.json to use the real field"
            )


def _ensure_producers(tasks: list[Task], assumptions: list[str], warnings: list[str]) -> list[Task]:
    """A condition needs a step that decides it: add classify/score/moderate when missing."""
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
            if part.kind in ("event", "fetched"):
                continue  # decided by the event itself, or by what the run fetched
            needed = {
                "decision": "decide",
                "urgent": "classify",
                "label": "classify",
                "field": "classify",
                "score": "score",
                "flagged": "moderate",
            }[part.kind]
            if needed == "moderate" and "moderate" not in kinds and "classify" in kinds:
                replacement = Condition("label", part.text, "==", "spam")
                if index == 0:
                    replacement.alternatives = cond.alternatives
                    task.condition = cond = replacement
                else:
                    cond.alternatives[index - 1] = replacement
                needed = "classify"
            if needed not in kinds and needed not in {t.kind for t in extra}:
                decider = Task(needed, f"(added to decide {part.text!r})", task.sentence, -1)
                decider.quote = task.quote  # it implements the clause's condition
                extra.append(decider)
                assumptions.append(f"added a `{needed}` step to decide {part.text!r}")
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

    event = request.event or _default_event(trigger, reading.noun, reading.event_fields)
    if request.event is None and reading.event_fields:
        assumptions.append(
            f"the event fields the brief lists ({', '.join(reading.event_fields)}) are strings; "
            "pass --event sample.json for the real shape"
        )
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

    tasks = list(reading.tasks)
    if trigger == "schedule" and not any(t.kind == "enrich" for t in tasks) and request.event is None:
        tasks.insert(0, Task("enrich", "(a schedule carries no data)", 0, -1, target="api"))
        assumptions.append(
            "a schedule carries no data: a `fetch` step GETs the items from ${env:SOURCE_API_URL}"
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
    _event_thresholds(tasks, event, request.event is not None, assumptions)
    tasks = _ensure_producers(tasks, assumptions, warnings)
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
    last_hot = max((_mentioned_at(t) for t in hot), default=None)
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
        tasks=tasks,
        hot=hot,
        background=background,
        brief=request.brief,
        notes=notes,
        assumptions=assumptions,
        warnings=warnings,
        acknowledge=acknowledge,
    )


_ACK_NOW = re.compile(
    r"\b(?:acknowledge|ack|accept)\s+(?:the\s+)?(?:webhook|request|event|call|delivery)?\s*"
    r"(?:immediately|right away|at once|instantly|straight away)",
    re.I,
)
HTTP_P95 = 0.3  # the catalog's generic http p95 (copilot.flow.estimate.HTTP_LATENCY)
# What an answer says when the documents do not hold one: never the model's memory.
UNGROUNDED_ANSWER = "We could not find this in our documentation; a person will follow up."


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


# ---------------------------------------------------------------------------- assembly


def _labels(task: Task, noun: str, tasks: list[Task]) -> list[str]:
    labels = list(task.labels) or list(
        _DEFAULT_LABELS.get(noun, ["question", "request", "complaint", "other"])
    )
    for other in tasks:
        cond = other.condition
        if (
            cond is not None
            and cond.kind == "label"
            and isinstance(cond.value, str)
            and cond.value not in labels
        ):
            labels.insert(0, cond.value)
    if "other" not in labels:
        labels.append("other")
    return labels


# Output fields the classifier adds when a condition reads them: (values, safe default, hint).
_CONDITION_FIELDS = {
    "sentiment": (["positive", "neutral", "negative"], "neutral", " (negative for an angry or upset writer)"),
    "severity": (["low", "medium", "high", "critical"], "medium", ""),
}


def _condition_fields(tasks: list[Task]) -> dict[str, tuple[list[Any], Any, str]]:
    """Output fields the classifier must set so each condition of the brief can be decided.

    A known field (sentiment, severity) has its labels; any other condition of the brief is a
    boolean named from its words, described to the model with the brief's own clause.
    """
    out: dict[str, tuple[list[Any], Any, str]] = {}
    for task in tasks:
        if task.condition is not None:
            for part in [task.condition, *task.condition.alternatives]:
                if part.kind != "field" or not part.output_field:
                    continue
                if part.output_field in _CONDITION_FIELDS:
                    out.setdefault(part.output_field, _CONDITION_FIELDS[part.output_field])
                else:
                    out.setdefault(part.output_field, ([True, False], False, f" (true {part.text.strip()})"))
    return out


def _model_spec(task: Task, plan: Plan) -> tuple[str, dict[str, Any], str, str, Any, list[dict[str, str]]]:
    """(step id, output_schema, system prompt, user prompt, on_fail default, validate rules)."""
    noun = display(plan.reading.noun)
    text = plan.text_ref
    if task.kind == "classify":
        extra = _condition_fields(plan.tasks)
        kinds = {c.kind for t in plan.tasks if t.condition for c in [t.condition, *t.condition.alternatives]}
        # Labels and urgency only when the brief asks to classify (or a condition reads them):
        # a classifier added to decide "when sentiment turns negative" sets that field and no
        # invented labels (a payment is not a question, request or complaint).
        asked = bool(task.labels) or bool(re.search(_CLASSIFY_WORDS, task.text, re.I))
        use_label = asked or "label" in kinds
        use_urgency = "urgent" in kinds or bool(
            re.search(r"urgen|priorit|sever", task.quote or task.text, re.I)
        )
        if not (use_label or use_urgency or extra):
            use_label = True
        labels = _labels(task, plan.reading.noun, plan.tasks) if use_label else []
        properties: dict[str, Any] = {}
        default: dict[str, Any] = {}
        if use_label:
            properties["label"] = {"type": "string", "enum": labels}
            default["label"] = "other"
        if use_urgency:
            properties["urgency"] = {"type": "string", "enum": _URGENCY}
            default["urgency"] = "normal"
        for name, (values, fallback, _) in extra.items():
            properties[name] = (
                {"type": "boolean"} if values == [True, False] else {"type": "string", "enum": values}
            )
            default[name] = fallback
        schema = {
            "type": "object",
            "required": list(properties),
            "properties": {**properties, "confidence": {"type": "number", "minimum": 0, "maximum": 1}},
        }
        also = "".join(
            f" Set {name}{how}." if v == [True, False] else f" Set {name} to one of {', '.join(v)}{how}."
            for name, (v, _, how) in extra.items()
        )
        what = (
            f"Classify the {noun} into exactly one label: {', '.join(labels)}."
            if use_label
            else f"Read the {noun}."
        )
        urgency = " Set urgency to high only when a person must act now." if use_urgency else ""
        system = f"{what}{urgency}{also} Answer only with the JSON object."
        first = next(iter(properties))
        rules = (
            [{"expr": f"input.label in {labels!r}", "message": "unknown label"}]
            if use_label
            else [{"expr": f"input.{first} is defined", "message": f"missing {first}"}]
        )
        return "classify", schema, system, text, default, rules
    if task.kind == "score":
        # A score reads every field (amount, merchant, country…), not one text, plus what the
        # brief puts before it (a lookup, extracted fields)
        fed = [part for part in plan.text_ref.split("\n\n") if "steps." in part]
        text = (
            plan.text_ref
            if plan.text_ref.startswith("{{ steps.")
            else "\n\n".join(["{{ event | tojson }}", *fed])
        )
        subject = task.target or "risk"
        top = score_scale(plan.reading)  # "from 0 to 100" is the brief's scale, kept
        schema = {
            "type": "object",
            "required": ["score", "reasons"],
            "properties": {
                "score": {"type": "number", "minimum": 0, "maximum": top},
                "reasons": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            },
        }
        system = (
            f"Score the {subject} of this {noun} from 0 (none) to {top} (certain) and give at most three "
            "short reasons. Answer only with the JSON object."
        )
        rules = [{"expr": f"input.score >= 0 and input.score <= {top}", "message": f"score outside 0..{top}"}]
        # Neither approve nor block on a broken answer: a middle score goes to review.
        return "score", schema, system, text, {"score": top / 2, "reasons": ["model output invalid"]}, rules
    if task.kind == "moderate":
        categories = ["harassment", "hate", "sexual", "violence", "self_harm", "spam", "none"]
        schema = {
            "type": "object",
            "required": ["allowed", "categories"],
            "properties": {
                "allowed": {"type": "boolean"},
                "categories": {"type": "array", "items": {"type": "string", "enum": categories}},
            },
        }
        system = (
            f"Decide whether this {noun} may be published under a standard community policy. List the "
            "violated categories (none when allowed). Answer only with the JSON object."
        )
        rules = [{"expr": "input.allowed in [true, false]", "message": "allowed must be a boolean"}]
        # Fail closed: an unreadable verdict holds the content for review.
        return "moderate", schema, system, text, {"allowed": False, "categories": ["none"]}, rules
    if task.kind == "extract":
        fields = task.fields or ["summary", "entities"]
        schema = {
            "type": "object",
            "required": fields,
            "properties": {f: {"type": ["string", "null"]} for f in fields},
        }
        system = (
            f"Extract these fields from the {noun}: {', '.join(fields)}. Use null for a field that is not "
            "there; never guess. Answer only with the JSON object."
        )
        rules = [{"expr": "input is mapping", "message": "expected an object of fields"}]
        return "extract", schema, system, text, dict.fromkeys(fields), rules
    if task.kind == "summarise":
        schema = {
            "type": "object",
            "required": ["summary"],
            "properties": {
                "summary": {"type": "string"},
                "key_points": {"type": "array", "items": {"type": "string"}},
            },
        }
        system = (
            f"Summarise the {noun} in at most three sentences, then list the key points. "
            "Answer only with the JSON object."
        )
        rules = [{"expr": "input.summary | length > 0", "message": "empty summary"}]
        return "summarise", schema, system, text, {"summary": "", "key_points": []}, rules
    if task.kind == "translate":
        lang = task.target or "english"
        schema = {
            "type": "object",
            "required": ["text", "source_language"],
            "properties": {"text": {"type": "string"}, "source_language": {"type": "string"}},
        }
        system = (
            f"Translate the text into {lang.capitalize()} and name its source language. Keep names and "
            "numbers as they are. Answer only with the JSON object."
        )
        rules = [{"expr": "input.text | length > 0", "message": "empty translation"}]
        return "translate", schema, system, text, {"text": "", "source_language": "unknown"}, rules
    if task.kind == "decide":
        options = task.labels or ["pass", "fail"]
        # the cautious answer when the model's output is unusable: a human look, else the last option
        safe = next(
            (o for o in options if o in ("review", "hold", "manual", "escalate", "fail", "reject")),
            options[-1],
        )
        schema = {
            "type": "object",
            "required": ["decision", "reason"],
            "properties": {"decision": {"type": "string", "enum": options}, "reason": {"type": "string"}},
        }
        against = f" against {task.docs}" if task.docs else ""
        context = (
            " Use only the context passages; when they do not settle it, choose " + repr(safe) + "."
            if task.docs
            else ""
        )
        system = (
            f"Check the {noun}{against} and decide one of: {', '.join(options)}. Give the reason in one "
            f"sentence.{context} Answer only with the JSON object."
        )
        user = (
            f"Context:\n{{{{ steps.docs.output | tojson }}}}\n\n{noun.capitalize()}:\n{text}"
            if task.docs
            else text
        )
        rules = [{"expr": f"input.decision in {options!r}", "message": "unknown decision"}]
        return "decide", schema, system, user, {"decision": safe, "reason": "model output invalid"}, rules
    if task.kind == "answer" and task.docs:
        schema = {
            "type": "object",
            "required": ["text", "grounded"],
            "properties": {"text": {"type": "string"}, "grounded": {"type": "boolean"}},
        }
        system = (
            "Answer the question using only the context passages. When they do not contain the answer, "
            "say so briefly and set grounded to false. Answer only with the JSON object."
        )
        user = f"Context:\n{{{{ steps.docs.output | tojson }}}}\n\nQuestion:\n{text}"
        rules = [{"expr": "input.text | length > 0", "message": "empty answer"}]
        if grounded(plan.reading):
            # The gate on the grounded flag: an answer the passages do not support never leaves;
            # the safe answer says so and hands over to a person.
            rules.append({"expr": "input.grounded", "message": "not grounded in the documents"})
            return "answer", schema, system, user, {"text": UNGROUNDED_ANSWER, "grounded": False}, rules
        return "answer", schema, system, user, {"text": "", "grounded": False}, rules
    # answer without documents, and reply: the brief's own words are the instruction ("write a
    # longer investigation note", "draft an apology email with the new ETA"), not a stock reply
    schema = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
    asked = (task.quote or "").strip(" .")
    system = (
        (
            f'The {noun} below. Do what this asks: "{asked}". '
            if asked
            else f"Write a short, polite reply to the {noun}. "
        )
        + "Use only what the input says; do not promise anything you cannot know. "
        "Answer only with the JSON object."
    )
    rules = [{"expr": "input.text | length > 0", "message": "empty reply"}]
    return "reply", schema, system, text, {"text": ""}, rules


@dataclass
class _Built:
    steps: list[dict[str, Any]]
    roles: dict[str, tuple[str, bool]]  # model step id -> (kind, hot)
    respond_needs: list[str]
    respond_body: dict[str, Any]
    producers: dict[str, str]  # kind -> validate step id
    pins: list[str]
    whys: dict[str, dict[str, Any]] = field(default_factory=dict)  # step id -> why (clause or block)


def _test(cond: Condition, producers: dict[str, str]) -> tuple[str, str] | None:
    """(boolean expression, the validate step it reads) for one condition, without braces."""
    if cond.kind == "decision" and ("decide" in producers or "decision" in producers):
        source = producers.get("decide") or producers["decision"]
        return f"steps.{source}.output.decision {cond.op} {cond.value!r}", source
    if cond.kind == "fetched":
        return f"(steps.fetch.output | length) {cond.op} {cond.value:g}", "fetch"
    if cond.kind == "event" and cond.output_field:
        return f"event.{cond.output_field} {cond.op} {cond.value:g}", ""
    if cond.kind == "urgent" and "classify" in producers:
        return f"steps.{producers['classify']}.output.urgency == 'high'", producers["classify"]
    if cond.kind == "label" and "classify" in producers:
        return f"steps.{producers['classify']}.output.label == {cond.value!r}", producers["classify"]
    if cond.kind == "field" and cond.output_field and cond.value is True and "classify" in producers:
        return f"steps.{producers['classify']}.output.{cond.output_field}", producers["classify"]
    if cond.kind == "field" and cond.output_field and "classify" in producers:
        return (
            f"steps.{producers['classify']}.output.{cond.output_field} == {cond.value!r}",
            producers["classify"],
        )
    if cond.kind == "score" and "score" in producers and cond.op == "range":
        low, high = cond.value  # type: ignore[misc]
        score = f"steps.{producers['score']}.output.score"
        return f"{score} >= {low:g} and {score} < {high:g}", producers["score"]
    if cond.kind == "score" and "score" in producers:
        return f"steps.{producers['score']}.output.score {cond.op} {cond.value:g}", producers["score"]
    if cond.kind == "flagged" and "moderate" in producers:
        return f"not steps.{producers['moderate']}.output.allowed", producers["moderate"]
    return None


def _condition_expr(cond: Condition, producers: dict[str, str]) -> tuple[str, list[str]] | None:
    """(`if` expression, the validate steps it reads) for a condition and its alternatives."""
    tests = [t for t in (_test(c, producers) for c in [cond, *cond.alternatives]) if t is not None]
    if not tests:
        return None
    joiner = " and " if cond.all_of else " or "
    expr = joiner.join(f"({t[0]})" if len(tests) > 1 else t[0] for t in tests)
    if cond.negated:
        expr = f"not ({expr})"
    return f"{{{{ {expr} }}}}", list(dict.fromkeys(t[1] for t in tests if t[1]))


def _model_step(
    step_id: str, task: Task, plan: Plan, spec: tuple[Any, ...], needs: list[str], mode: str
) -> dict[str, Any]:
    _, schema, system, user, _, _ = spec
    step: dict[str, Any] = {"id": step_id, "type": "model"}
    if mode == "async":
        step["mode"] = "async"
    if needs:
        step["needs"] = needs
    step["model"] = "?"  # filled in by _choose_models
    step["prompt"] = {"system": system, "user": user}
    step["max_tokens"] = _MAX_TOKENS.get(task.kind, 300)
    step["temperature"] = 0
    step["output_schema"] = schema
    step["timeout"] = "1s"  # set from the SLA by _set_timeouts
    attempts = blocks.HOT_RETRIES if mode != "async" else blocks.ASYNC_RETRIES
    step["retry"] = blocks.retry(attempts, 0.05, 0.2) if mode != "async" else blocks.retry(attempts, 1.0, 5.0)
    step["idempotency_key"] = f"{plan.id_ref}:{step_id}"
    return step


def build_steps(plan: Plan, base_dir: Path) -> _Built:
    steps: list[dict[str, Any]] = []
    roles: dict[str, tuple[str, bool]] = {}
    producers: dict[str, str] = {}
    respond_needs: list[str] = []
    body: dict[str, Any] = {}
    pins: list[str] = []
    id_field = plan.event.id_field
    body["id"] = plan.id_ref
    hot_needs: list[str] = []
    whys: dict[str, dict[str, Any]] = {}
    async_checks: set[str] = set()

    fetch = next((t for t in plan.tasks if t.kind == "enrich" and plan.trigger == "schedule"), None)
    if fetch is not None:
        # On a schedule the data comes from an API: fetched on the hot path, before the models.
        named = re.search(
            r"\bfrom\s+(?:our|the|their)\s+((?:[\w-]+\s+){0,2}?[\w-]+)\s+(?:api|service)\b",
            fetch.quote or "",
            re.I,
        )  # "pull yesterday's builds from our build server API": the system the run reads
        source = named.group(1) if named else fetch.target if fetch.target not in (None, "api") else "source"
        env = blocks.env_name(source, "api", "url")
        steps.append(
            {
                "id": "fetch",
                "type": "http",
                "description": "What this run works on.",
                "request": {"method": "GET", "url": f"${{env:{env}}}"},
                "timeout": dur(blocks.HTTP_TIMEOUT),
                "retry": blocks.retry(blocks.HOT_RETRIES, 0.1, 0.5),
                "idempotency_key": f"{plan.id_ref}:fetch",
            }
        )
        plan.text_ref = "{{ steps.fetch.output | tojson }}"
        hot_needs = ["fetch"]
        plan.notes[("steps", 0, "request")] = (
            f"set {env} to the API that lists the {plan.reading.noun}s to process"
        )

    def add_model(task: Task, mode: str, needs: list[str]) -> str:
        spec = _model_spec(task, plan)
        step_id = spec[0] if not any(s["id"] == spec[0] for s in steps) else f"{spec[0]}_{len(steps)}"
        steps.append(_model_step(step_id, task, plan, spec, needs, mode))
        roles[step_id] = (task.kind, mode != "async")
        check_id = f"check_{step_id}"
        steps.append(blocks.validate_step(check_id, step_id, spec[1], spec[5], spec[4], mode))
        producers.setdefault(task.kind, check_id)
        if task.quote:
            quoted = _quoted(task)
            if task.kind == "decide" and plan.reading.response_options:
                # the step deciding the answer implements the clauses that state its values too
                extra = [
                    c
                    for c in _option_clauses(plan)
                    if c not in (quoted if isinstance(quoted, list) else [quoted])
                ]
                quoted = [*(quoted if isinstance(quoted, list) else [quoted]), *extra] if extra else quoted
            whys[step_id] = {"brief": quoted}
        whys[check_id] = {"block": "validation-gate", "serves": [step_id]}
        if mode == "async":
            async_checks.add(check_id)
        return check_id

    def add_service(task: Task, needs: list[str]) -> str:
        """A task the team's own service does ("score them with our fraud scoring API"): an http
        call with the task's output schema, behind the same validation gate as a model's."""
        spec = _model_spec(task, plan)
        step_id = spec[0] if not any(s["id"] == spec[0] for s in steps) else f"{spec[0]}_{len(steps)}"
        redacted = set(plan.event.pii_fields)
        payload = {f: f"{{{{ event.{f} }}}}" for f in plan.event.fields if "." not in f and f not in redacted}
        step: dict[str, Any] = {
            "id": step_id,
            "type": "http",
            "description": f"{task.kind.capitalize()} by our {task.api} service.",
            "request": {
                "method": "POST",
                "url": f"${{env:{blocks.env_name(task.api or 'service', 'url')}}}",
                "json": payload or {"id": plan.id_ref},
            },
            "output_schema": spec[1],
            "timeout": dur(blocks.HTTP_TIMEOUT),
            "retry": blocks.retry(blocks.HOT_RETRIES, 0.05, 0.2),
            "idempotency_key": f"{plan.id_ref}:{step_id}",
        }
        if needs:
            step["needs"] = needs
        p95 = _stated_p95(plan.reading.sentences[task.sentence])
        if p95 is not None:
            step["latency"] = {"p50": dur(blocks.round_up_ms(p95 / 3, 5)), "p95": dur(p95)}
        steps.append(step)
        check_id = f"check_{step_id}"
        default = spec[4]
        if task.kind == "score" and plan.reading.fallback_option:
            # an unusable score answers the brief's fallback ("answer `review`, never approve")
            band = next((b for b in plan.reading.bands if b.option == plan.reading.fallback_option), None)
            if band is not None and band.value is not None:
                default = {**default, "score": band.value}
        steps.append(blocks.validate_step(check_id, step_id, spec[1], spec[5], default, "sync"))
        producers.setdefault(task.kind, check_id)
        whys[step_id] = {"brief": _quoted(task)}
        whys[check_id] = {"block": "validation-gate", "serves": [step_id]}
        return check_id

    def add_answer(task: Task, mode: str) -> tuple[str, bool]:
        cond = _condition_expr(task.condition, producers) if task.condition else None
        needs = list(hot_needs) + (cond[1] if cond else [])
        if task.kind in ("answer", "decide") and task.docs:
            glob = plan.reading.docs_glob or DOCS_GLOB
            pin, pin_note = _pin(base_dir, glob)
            pins.append(pin)
            query = plan.text_ref if plan.event.named_text_field or fetch else "{{ event | tojson }}"
            steps.append(blocks.retrieve_step("docs", query, glob, pin, needs, cond[0] if cond else None))
            if mode == "async":
                steps[-1]["mode"] = "async"
            plan.pin_note = pin_note
            answer_needs = ["docs"]
        else:
            answer_needs = needs
        check = add_model(task, mode, answer_needs)
        if "docs" in answer_needs:
            whys["docs"] = {"block": "retrieval", "serves": [steps[-2]["id"]]}
        if cond and not (task.kind in ("answer", "decide") and task.docs):
            steps[-2]["if"] = cond[0]
        return check, cond is not None

    lookup = _hot_lookup(plan) if fetch is None else None
    if lookup is not None:
        # "Enrich the lead, then score it": the lookup is on the hot path and feeds the models after it.
        env = blocks.env_name(lookup.target or "crm", "api", "url")
        steps.append(
            {
                "id": "lookup",
                "type": "http",
                "request": {
                    "method": "GET",
                    "url": f"${{env:{env}}}/{plan.id_ref}" if id_field else f"${{env:{env}}}",
                },
                "timeout": dur(blocks.HTTP_TIMEOUT),
                "retry": blocks.retry(blocks.HOT_RETRIES, 0.05, 0.2),
                "idempotency_key": f"{plan.id_ref}:lookup",
            }
        )
        whys["lookup"] = {"brief": _quoted(lookup)}
        hot_needs = ["lookup"]
        plan.text_ref = f"{plan.text_ref}\n\nLookup:\n{{{{ steps.lookup.output | tojson }}}}"
        plan.background = [t for t in plan.background if t is not lookup]

    # Data flows in the brief's order: a translation replaces the text every later model task
    # reads, an extraction and an explicitly earlier result ("X, then Y") are added to it.
    base_text = plan.text_ref
    upstream: list[str] = []
    ordered = sorted(plan.hot, key=lambda t: (t.sentence, t.start))
    for task in ordered:
        plan.text_ref, needs = _fed(task, base_text, producers, upstream)
        if task.kind in ("answer", "reply") or (task.kind == "decide" and task.docs):
            hot_needs_saved, hot_needs = hot_needs, list(dict.fromkeys([*hot_needs, *needs]))
            check, conditional = add_answer(task, "sync")
            hot_needs = hot_needs_saved
            body.update(_body_fields(task.kind, check, conditional=conditional))
        elif task.api:
            check = add_service(task, list(dict.fromkeys([*hot_needs, *needs])))
            body.update(_body_fields(task.kind, check, steps=steps))
        else:
            check = add_model(task, "sync", list(dict.fromkeys([*hot_needs, *needs])))
            body.update(_body_fields(task.kind, check, steps=steps))
        respond_needs.append(check)
        if task.kind in FEEDS:
            upstream.append(check)
    plan.text_ref = base_text

    reading = plan.reading
    if reading.bands and "score" in producers:
        # "Decline at 0.8 and above, send to review from 0.4, approve below": the answer is a
        # band of the score, decided in-process (no model, no I/O)
        score = f"steps.{producers['score']}.output.score"
        otherwise = next(
            (b.option for b in reading.bands if b.op is None), reading.fallback_option or "review"
        )
        expr = repr(otherwise)
        for band in reversed([b for b in reading.bands if b.op is not None]):
            expr = f"{band.option!r} if {score} {band.op} {band.value:g} else ({expr})"
        options = list(dict.fromkeys([*reading.response_options, *(b.option for b in reading.bands)]))
        steps.append(
            {
                "id": "decision",
                "type": "transform",
                "needs": [producers["score"]],
                "output": {"decision": f"{{{{ {expr} }}}}"},
                "output_schema": {
                    "type": "object",
                    "required": ["decision"],
                    "properties": {"decision": {"type": "string", "enum": options}},
                },
            }
        )
        whys["decision"] = {
            "brief": list(dict.fromkeys([b.text for b in reading.bands] + _option_clauses(plan)))
        }
        producers["decision"] = "decision"
        respond_needs.append("decision")
        body["decision"] = "{{ steps.decision.output.decision }}"

    # Off the hot path: enrichment, background summaries, then side effects; in the brief's order,
    # so what it puts first ("first look up the ledger, then score") exists for what follows
    plan.background = sorted(plan.background, key=lambda t: (t.kind != "enrich", t.sentence, max(t.start, 0)))
    for task in plan.background:
        if task.kind == "enrich" and task is not fetch:
            env = blocks.env_name(task.target or "crm", "api", "url")
            lookup_url = f"${{env:{env}}}/{plan.id_ref}" if id_field else f"${{env:{env}}}"
            steps.append(
                {
                    "id": "lookup",
                    "type": "http",
                    "mode": "async",
                    "request": {"method": "GET", "url": lookup_url},
                    "timeout": dur(blocks.HTTP_TIMEOUT),
                    "retry": blocks.retry(blocks.ASYNC_RETRIES, 0.2, 2.0),
                    "idempotency_key": f"{plan.id_ref}:lookup",
                }
            )
            enrich_task = Task("enrich", task.text, task.sentence, task.start)
            spec = (
                "enrich",
                {
                    "type": "object",
                    "required": ["summary"],
                    "properties": {
                        "summary": {"type": "string"},
                        "facts": {"type": "array", "items": {"type": "string"}},
                    },
                },
                f"Combine the lookup result and the {display(plan.reading.noun)} into a short profile: "
                "a summary and "
                "the facts worth keeping. Answer only with the JSON object.",
                f"Lookup:\n{{{{ steps.lookup.output | tojson }}}}\n\n{plan.text_ref}",
                {"summary": "", "facts": []},
                [{"expr": "input.summary | length > 0", "message": "empty profile"}],
            )
            steps.append(_model_step("enrich", enrich_task, plan, spec, ["lookup"], "async"))
            roles["enrich"] = ("enrich", False)
            steps.append(blocks.validate_step("check_enrich", "enrich", spec[1], spec[5], spec[4], "async"))
            producers.setdefault("enrich", "check_enrich")
            async_checks.add("check_enrich")
            if task.quote:
                whys["lookup"] = whys["enrich"] = {"brief": _quoted(task)}
            whys["check_enrich"] = {"block": "validation-gate", "serves": ["enrich"]}
        elif task.kind in HOT_KINDS and task.kind not in ("answer", "reply"):
            plan.text_ref, needs = _fed(task, base_text, producers, [])
            add_model(task, "async", list(dict.fromkeys([*hot_needs, *needs])))
            plan.text_ref = base_text
    for task in plan.background:
        if task.kind in ("answer", "reply"):
            # after the classifier its condition may read, and after what the brief puts first
            plan.text_ref, needs = _fed(task, base_text, producers, [])
            hot_needs_saved, hot_needs = hot_needs, list(dict.fromkeys([*hot_needs, *needs]))
            add_answer(task, "async")
            hot_needs, plan.text_ref = hot_needs_saved, base_text
    side_effects = [t for t in plan.background if t.kind in ("notify", "store", "act")]
    for task in side_effects:
        steps.append(_side_effect(task, plan, producers, respond_needs, steps, async_checks))
        if task.quote:
            whys[steps[-1]["id"]] = {"brief": _quoted(task)}
        elif task.text.startswith("(the response cannot wait"):
            whys[steps[-1]["id"]] = {
                "block": "acknowledgement",
                "serves": [s["id"] for s in steps if s["type"] == "model"],
            }
    if plan.acknowledge:
        # In-process and deterministic: the only thing that fits an SLA below every model's p95.
        steps.insert(
            1 if fetch is not None else 0,
            {
                "id": "accept",
                "type": "transform",
                "description": "The answer within the SLA; the models' results follow by side effect.",
                "output": {"status": "accepted"},
                "output_schema": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"type": "string", "enum": ["accepted"]}},
                },
            },
        )
        respond_needs = ["accept"]
        body["status"] = "{{ steps.accept.output.status }}"
        whys["accept"] = {
            "block": "acknowledgement",
            "serves": [s["id"] for s in steps if s["type"] == "model"],
        }
    if not respond_needs:
        respond_needs = [s["id"] for s in steps if s["type"] == "validate" and s.get("mode") != "async"][:1]
    if fetch is not None:
        whys["fetch"] = (
            {"brief": _quoted(fetch)}
            if fetch.quote
            else {"block": "enrichment", "serves": [s["id"] for s in steps if s["type"] == "model"]}
        )
    steps = [_with_why(step, whys.get(step["id"])) for step in steps]
    return _Built(steps, roles, respond_needs, body, producers, pins, whys)


def _quoted(task: Task) -> str | list[str]:
    """The clause a step quotes, or every clause when the brief states the task more than once."""
    quotes = [q for q in (task.quotes or [task.quote or ""]) if q]
    return quotes[0] if len(quotes) == 1 else quotes


def _with_why(step: dict[str, Any], why: dict[str, Any] | None) -> dict[str, Any]:
    """The step with its `why` right after id, type and description, where a reader looks first."""
    if why is None:
        return step
    head = {k: step[k] for k in ("id", "type", "description") if k in step}
    return {**head, "why": why, **{k: v for k, v in step.items() if k not in head}}


FEEDS = ("translate", "extract")  # model tasks whose output every later model task reads


def _fed(task: Task, text: str, producers: dict[str, str], upstream: list[str]) -> tuple[str, list[str]]:
    """What a hot model task reads, and the steps that must finish first: the translation (in
    place of the original text), extracted fields, and what the brief orders before it."""
    needs: list[str] = []
    for check in upstream:
        kind = next((k for k, c in producers.items() if c == check), "")
        if kind == "translate":
            text = f"{{{{ steps.{check}.output.text }}}}"
        elif kind == "extract":
            text = f"{text}\n\nExtracted fields:\n{{{{ steps.{check}.output | tojson }}}}"
        needs.append(check)
    for kind in task.after:
        check = producers.get(kind)
        if check and check not in needs:
            text = f"{text}\n\n{kind.capitalize()} result:\n{{{{ steps.{check}.output | tojson }}}}"
            needs.append(check)
    return text, needs


def _mentioned_at(task: Task) -> tuple[int, int]:
    """Where the brief last mentions a task ("score each one… First look up X, then score it")."""
    return max([(task.sentence, task.start), *((m.sentence, m.start) for m in task.also if m.start >= 0)])


def _hot_lookup(plan: Plan) -> Task | None:
    """An enrichment the brief names before a hot model task: it must run first, on the hot path."""
    if not plan.hot:
        return None
    last = max(_mentioned_at(t) for t in plan.hot)
    for task in plan.background:
        if (
            task.kind == "enrich"
            and not task.background
            and task.start >= 0
            and (task.sentence, task.start) < last
        ):
            return task
    return None


def _option_clauses(plan: Plan) -> list[str]:
    """Clauses of the brief that state the answer's values ("needs approve, review or decline",
    "answer `review`"): what the step deciding the answer implements."""
    from copilot.draft.clauses import requirement_clauses
    from copilot.draft.reader import option_of

    options = plan.reading.response_options
    return [
        c.text
        for c in requirement_clauses(plan.brief)
        if options
        and option_of(" ".join(re.findall(r"[A-Za-z][\w-]*", c.text)[:4]), options)
        and not c.destination
    ]


def _sentence_case(text: str) -> str:
    text = text.strip(" .")
    return (text[:1].upper() + text[1:] + ".") if text else text


def _stated_p95(sentence: str) -> float | None:
    """'p95 about 110 ms' in the brief: the service's own latency figure."""
    m = re.search(
        r"\bp95\s*(?:of|about|around|is|~|=|:)?\s*(?:about\s+|around\s+|~\s*)?(\d+(?:\.\d+)?)\s*(ms|s)\b",
        sentence,
        re.I,
    )
    if m is None:
        return None
    return float(m.group(1)) / (1000 if m.group(2).lower() == "ms" else 1)


def _body_fields(
    kind: str, check: str, conditional: bool = False, steps: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    out = f"steps.{check}.output"
    default = " | default('')" if conditional else ""
    if kind == "classify":
        # whatever the classifier was asked to decide: label, urgency, the brief's own conditions
        gate = next((s for s in steps or [] if s["id"] == check), None)
        names = list((gate or {}).get("output_schema", {}).get("properties", {"label": 0, "urgency": 0}))
        return {n: f"{{{{ {out}.{n}{default} }}}}" for n in names if n != "confidence"}
    return {
        "classify": {"label": f"{{{{ {out}.label }}}}", "urgency": f"{{{{ {out}.urgency }}}}"},
        "score": {"score": f"{{{{ {out}.score }}}}"},
        "moderate": {"allowed": f"{{{{ {out}.allowed }}}}"},
        "extract": {"fields": f"{{{{ {out} }}}}"},
        "summarise": {"summary": f"{{{{ {out}.summary }}}}"},
        "translate": {"translation": f"{{{{ {out}.text }}}}"},
        "answer": {"answer": f"{{{{ {out}.text{default} }}}}"},
        "decide": {
            "decision": f"{{{{ {out}.decision{default} }}}}",
            "reason": f"{{{{ {out}.reason{default} }}}}",
        },
        "reply": {"reply": f"{{{{ {out}.text{default} }}}}"},
    }.get(kind, {})


_CHANNEL_ENV = {
    "slack": ("SLACK_WEBHOOK_URL", "post to Slack"),
    "teams": ("TEAMS_WEBHOOK_URL", "post to Microsoft Teams"),
    "email": ("EMAIL_API_URL", "send an email through the mail API"),
    "pagerduty": ("PAGERDUTY_EVENTS_URL", "page on-call through PagerDuty"),
    "sms": ("SMS_API_URL", "send a text message"),
    "discord": ("DISCORD_WEBHOOK_URL", "post to Discord"),
    "webhook": ("ESCALATION_WEBHOOK_URL", "hand over to the escalation endpoint"),
}


# How a clause names a task's output: "post the summary", "log the decision", "send the score".
_MENTIONS = {
    "classify": r"classif|categor|label|decision|verdict|triage|urgen",
    "score": r"score|risk|decision|verdict",
    "moderate": r"moderat|verdict|decision|flag|violat",
    "extract": r"extract|fields|details|data",
    "summarise": r"summar|digest|recap|brief\b|history",
    "translate": r"translat",
    "answer": r"answer|reply|response|draft",
    "reply": r"reply|response|answer|e-?mail|message|note|comment|draft|copy|text",
    "enrich": r"enrich|profile|research|firmographic|lookup|looked up",
}


_IT = re.compile(
    r"\W*(?:(?:otherwise|then|also|just|else)\s+)?\w+\s+(?:it|them|this|that|these|those|the results?)\b",
    re.I,
)


def _referred(task: Task, tasks: list[Task]) -> set[str]:
    """'generate a call summary and attach it to the customer record': the work an 'it' names,
    the model task just before this one (in its sentence, else in the two before)."""
    if not _IT.match(task.quote or task.text):
        return set()
    models = [t for t in tasks if t.start >= 0 and t.kind in _MENTIONS]
    before = [t for t in models if t.sentence == task.sentence and t.start < task.start]
    if not before:  # "Draft the evidence. If …, send it to finance; otherwise submit it"
        earlier = [t for t in models if task.sentence - 2 <= t.sentence < task.sentence]
        last = max((t.sentence for t in earlier), default=None)
        before = [t for t in earlier if t.sentence == last]
    return {max(before, key=lambda t: t.start).kind} if before else set()


def _side_effect(
    task: Task,
    plan: Plan,
    producers: dict[str, str],
    respond_needs: list[str],
    steps: list[dict[str, Any]],
    async_checks: set[str] | None = None,
) -> dict[str, Any]:
    """A notification, write or action, waiting only for the outputs it uses.

    Its condition's deciding step, the task whose result it writes (`source`), outputs its
    clause names ("post the summary"), and the quick sync decisions (label, score) as
    context. Never slow async work it does not use: an urgent page must not wait for a
    background summary (FG109).
    """
    noun = display(plan.reading.noun)
    slow = async_checks or set()
    cond = _condition_expr(task.condition, producers) if task.condition else None
    needs: list[str] = []
    if cond:
        needs.extend(cond[1])
    quote = (task.quote or task.text).lower()
    details: dict[str, Any] = {}
    for kind, check in producers.items():
        fields = _body_fields(kind, check, steps=steps) or (
            {"summary": f"{{{{ steps.{check}.output.summary }}}}"} if kind == "enrich" else {}
        )
        mentioned = (
            bool(re.search(_MENTIONS.get(kind, r"^$"), quote))
            or kind in task.after
            or kind in _referred(task, plan.tasks)
        )
        context = check not in slow and kind in ("classify", "score", "moderate") and task.kind != "store"
        if (
            check in needs
            or task.source == kind
            or mentioned
            or context
            or (task.kind == "store" and not task.source and check not in slow)
        ):
            details.update(fields)
            if check not in needs:
                needs.append(check)
    if not needs:
        needs = list(respond_needs[:1])
    existing = {s["id"] for s in steps}
    if task.kind == "act":
        action = task.action or task.text
        words = [
            w
            for w in re.findall(r"[a-z0-9]+", action.lower())
            if w not in ("the", "a", "an", "our", "their", "its", "it", "them", "this", "each", "every")
        ]
        # verb + the object's head noun: "block the card" -> block_card, "post a short reply" -> post_reply
        step_id = "_".join([words[0], words[-1]] if len(words) > 1 else words) or "act"
        system = task.target or "_".join(words[1:3]) or "action"
        env = blocks.env_name(re.sub(r"\b(api|service|system)\b", "", system).strip() or system, "api", "url")
        body = {"id": plan.id_ref, "action": " ".join(words[:4]), "details": details}
        # the brief's own words say what it does; a made-up summary would only paraphrase them
        description = (task.quote or action)[:100]
    elif task.kind == "notify":
        env, description = _CHANNEL_ENV.get(task.channel or "webhook", _CHANNEL_ENV["webhook"])
        step_id = {"pagerduty": "page_oncall", "webhook": "escalate"}.get(
            task.channel or "", f"notify_{task.channel}"
        )
        headline = (
            f"{noun.capitalize()} {{{{ event.{plan.event.id_field} }}}}"
            if plan.event.id_field
            else noun.capitalize()
        )
        if task.channel == "pagerduty":
            body: dict[str, Any] = {
                "summary": headline,
                "severity": "critical",
                "dedup_key": plan.id_ref,
                "details": details,
            }
        elif task.channel == "email":
            body = {"subject": headline, "text": details}
        else:
            body = {"text": headline, "details": details}
    else:
        dest = task.target or "store"
        env = blocks.env_name(dest if dest not in ("database", "db") else "records", "api", "url")
        step_id = (
            "update_" + re.sub(r"[^a-z0-9]+", "_", dest.lower()).strip("_") if dest != "store" else "store"
        )
        description = f"record the result in {dest}"
        body = {"id": plan.id_ref, "result": details}
    while step_id in existing:
        step_id += "_2"
    return blocks.http_step(
        step_id,
        env,
        body,
        needs=needs,
        condition=cond[0] if cond else None,
        id_template=plan.id_ref,
        description=_sentence_case(description),
    )


def _pin(base_dir: Path, glob: str) -> tuple[str, str]:
    """The pin of the docs glob today, and the honest note about it."""
    from copilot.flow.sources import pin_for, resolve

    files = resolve(glob, base_dir)
    pin = pin_for(glob, base_dir)
    if files:
        return (
            pin,
            f"{len(files)} file{'s' if len(files) != 1 else ''} matched when drafted, pinned by content",
        )
    return pin, (
        "matched no files when drafted: this is the pin of the EMPTY set; add the documents and "
        "update it (flowgen never invents a pin, the engine refuses a mismatch)"
    )


# ---------------------------------------------------------------------------- numbers


def _choose_models(
    built: _Built, plan: Plan, picker: ModelPicker, shares: dict[str, float]
) -> dict[str, ModelProfile]:
    chosen: dict[str, ModelProfile] = {}
    for step in built.steps:
        if step["type"] != "model":
            continue
        kind, hot = built.roles[step["id"]]
        tier = picker.tier_for(kind, hot)
        share = shares.get(step["id"]) if hot else None
        if hot and tier != "fast" and not picker.fits(tier, share):
            tier = "fast"  # a better writer that misses the SLA is no better
        primary = picker.choose(tier, share)
        role = (
            "fast"
            if hot and tier == "fast"
            else "writer"
            if hot
            else "heavy"
            if tier == "heavy"
            else "worker"
        )
        step["model"] = picker.alias(primary, role)
        fallback_tiers = ("fast",) if hot else tuple(reversed(picker.allowed))
        fallback = picker.fallback_for(primary, fallback_tiers) or picker.fallback_for(
            primary, picker.allowed
        )
        if fallback is not None:
            step["fallback"] = [picker.alias(fallback, "backup" if hot else "heavy_backup")]
        chosen[step["id"]] = primary
    return chosen


def _hot_paths(steps: list[dict[str, Any]], respond_needs: list[str]) -> list[list[str]]:
    """Every chain of the hot path, from a step with no needs to one the response waits for."""
    needs = {s["id"]: [n for n in s.get("needs", [])] for s in steps}
    paths: list[list[str]] = []

    def walk(step: str, tail: list[str]) -> None:
        chain = [step, *tail]
        ups = [n for n in needs.get(step, []) if n in needs]
        if not ups:
            paths.append(chain)
        for up in ups:
            walk(up, chain)

    for end in respond_needs:
        walk(end, [])
    return paths


def _fixed_p95(step: dict[str, Any]) -> float:
    from copilot.flow.estimate import HTTP_LATENCY, LOCAL_LATENCY, RETRIEVE_LATENCY

    return {"retrieve": RETRIEVE_LATENCY[1], "http": HTTP_LATENCY[1]}.get(step["type"], LOCAL_LATENCY[1])


def _shares(built: _Built, sla: float, p95: dict[str, float], safety: float) -> dict[str, float]:
    """Each hot model step's slice of the SLA: split along every chain by model p95, tightest wins."""
    by_id = {s["id"]: s for s in built.steps}
    shares: dict[str, float] = {}
    for path in _hot_paths(built.steps, built.respond_needs):
        models = [s for s in path if by_id[s]["type"] == "model"]
        fixed = sum(_fixed_p95(by_id[s]) for s in path if by_id[s]["type"] != "model")
        available = sla * safety - fixed
        total = sum(p95.get(m, 1.0) for m in models) or 1.0
        for m in models:
            share = max(available * p95.get(m, 1.0) / total, 0.02)
            shares[m] = min(shares.get(m, math.inf), share)
    return shares


def _hot_ids(built: _Built) -> set[str]:
    return {step for chain in _hot_paths(built.steps, built.respond_needs) for step in chain}


def _set_timeouts(
    built: _Built, chosen: dict[str, ModelProfile], shares: dict[str, float], plan: Plan
) -> None:
    respond_chain = _hot_ids(built)
    for step in built.steps:
        if step["type"] in ("http", "retrieve") and step["id"] in respond_chain:
            # A hot call's bound comes from the SLA too: never the 2s default under a 1s SLA.
            step["timeout"] = dur(
                policy.io_timeout(step["type"], _fixed_p95(step), plan.sla * policy.HOT_IO_SHARE)
            )
            continue
        if step["type"] != "model":
            continue
        profile = chosen[step["id"]]
        _, hot = built.roles[step["id"]]
        if not hot:
            step["timeout"] = dur(policy.background_model_timeout(profile.p95))
            continue
        # one policy for drafts and `lint --fix` (copilot.policy): cut only the stragglers,
        # inside this step's share of the SLA, leaving room for the fallback
        timeout = policy.model_timeout(
            profile.p95, shares.get(step["id"], plan.sla), fallback=bool(step.get("fallback"))
        )
        step["timeout"] = dur(timeout)
        if timeout < policy.MIN_RETRY_TIMEOUT:
            step.pop("retry", None)  # a retry cannot fit; one call, then the fallback
            step.pop("idempotency_key", None)


def _assemble(
    plan: Plan, request: DraftRequest, base_dir: Path, level: int, safety: float
) -> tuple[dict[str, Any], _Built]:
    picker = ModelPicker(request.catalog, plan.cost_tier, request.fallback_model, level)
    built = build_steps(plan, base_dir)
    # First pass: equal shares pick the models; second: shares by the chosen models' p95.
    even = _shares(built, plan.sla, {}, safety)
    chosen = _choose_models(built, plan, picker, even)
    shares = _shares(built, plan.sla, {k: v.p95 for k, v in chosen.items()}, safety)
    _set_timeouts(built, chosen, shares, plan)
    data = _flow_data(plan, built, picker, chosen, budget=request.budget or plan.reading.budget)
    return data, built


def _trigger_block(plan: Plan, rate: int, rate_note: str) -> dict[str, Any]:
    reading = plan.reading
    trig = reading.trigger
    block: dict[str, Any] = {"type": plan.trigger}
    if plan.trigger == "webhook":
        block["path"] = f"/hooks/{reading.noun}"
        secret = blocks.env_name(reading.noun, "webhook", "secret")
        block["auth"] = {"scheme": trig.auth, "secret": f"${{env:{secret}}}"}
    elif plan.trigger == "schedule":
        if trig.cron:
            block["cron"] = trig.cron
            if trig.timezone and trig.timezone != "UTC":
                block["timezone"] = trig.timezone  # the brief's times are local times
        else:
            block["every"] = dur(trig.every or 300.0)
    else:
        broker = trig.broker or "queue"
        block["source"] = f"${{env:{blocks.env_name(broker if broker != 'queue' else 'queue', 'url')}}}"
        block["topic"] = trig.topic or f"{reading.noun}s"
        block["group"] = f"flowgen-{reading.noun}"
    block["event_schema"] = plan.event.schema
    block["example"] = plan.event.sample
    block["idempotency_key"] = plan.id_ref
    block["dedupe_window"] = blocks.DEDUPE_WINDOW
    if plan.trigger != "schedule":
        block["rate_limit"] = {"limit": rate, "period": "1s", "burst": rate * 2}
        plan.notes[("trigger", "rate_limit")] = rate_note
        if reading.concurrency is not None:
            block["concurrency"] = reading.concurrency
            stated = next((m.text for m in reading.matches if m.kind == "concurrency"), None)
            plan.notes[("trigger", "concurrency")] = f"from the brief: {stated!r}"
        else:
            block["concurrency"] = max(10, math.ceil(rate * plan.sla * 2))
            little = f"Little's law: {rate}/s × {dur(plan.sla)} SLA × 2 headroom"
            plan.notes[("trigger", "concurrency")] = little
    return block


def _flow_data(
    plan: Plan, built: _Built, picker: ModelPicker, chosen: dict[str, ModelProfile], budget: float | None
) -> dict[str, Any]:
    reading = plan.reading
    # Ingress rate: at most 50/s, and below what the most limited model allows per event.
    calls: dict[str, int] = {}
    for step in built.steps:
        if step["type"] == "model":
            calls[chosen[step["id"]].id] = calls.get(chosen[step["id"]].id, 0) + 1
    if reading.rate is not None:
        rate = max(1, math.ceil(reading.rate))
        note = f"{rate}/s: the traffic the brief expects"
    else:
        rate = blocks.DEFAULT_RATE_PER_SECOND
        note = f"{rate}/s: a default for one flow; raise it with the models' limits in mind"
    for model_id, n in calls.items():
        profile = picker.catalog.models[model_id]
        if profile.rpm:
            allowed = int(profile.rpm / 60 / n)
            if allowed < rate:
                rate = max(1, allowed)
                note = f"below {profile.id}'s {profile.rpm} rpm for {n} call{'s' if n > 1 else ''} per event"
    trigger = _trigger_block(plan, rate, note)
    name = flow_name(reading, plan)
    redact = [f"event.{f}" for f in plan.event.pii_fields]
    data: dict[str, Any] = {
        "apiVersion": "flowgen/v1",
        "kind": "Flow",
        "name": name,
        "description": describe(plan),
        "brief": plan.brief.strip(),
        "sla": {
            "latency_p95": dur(plan.sla),
            "max_cost_per_event": budget or 1.0,
            "cost_tier": plan.cost_tier,
        },
        "trigger": trigger,
        "models": picker.specs,
        "steps": built.steps,
        "respond": {
            "needs": built.respond_needs,
            **({"status": 202} if plan.acknowledge else {}),
            "body": built.respond_body,
            "on_deadline": {
                "status": 202,
                "body": {
                    "id": built.respond_body["id"],
                    "status": "queued",
                    # the brief's answer when the decision cannot be had in time ("answer `review`")
                    **(
                        {"decision": reading.fallback_option}
                        if reading.fallback_option and "decision" in built.respond_body
                        else {}
                    ),
                },
            },
        },
        "on_error": blocks.dead_letter(),
        "observability": blocks.observability(plan.sla, budget or 1.0, redact),
        "tests": blocks.tests_block(
            plan.sla, budget or 1.0, rate, _chaos_alias(built, chosen, picker), trigger=plan.trigger
        ),
    }
    return data


def _chaos_alias(built: _Built, chosen: dict[str, ModelProfile], picker: ModelPicker) -> str:
    for step in built.steps:
        if step["type"] == "model" and built.roles[step["id"]][1]:
            return step["model"]
    return next(iter(picker.specs), "fast")


_TASK_WORDS = {
    "classify": "triage",
    "score": "scoring",
    "moderate": "moderation",
    "extract": "extraction",
    "summarise": "summary",
    "translate": "translation",
    "answer": "answers",
    "reply": "replies",
    "enrich": "enrichment",
    "notify": "alerts",
    "store": "sync",
}


def flow_name(reading: Reading, plan: Plan) -> str:
    main = (
        (plan.hot or plan.background or plan.tasks)[0].kind if (plan.hot or plan.background) else "classify"
    )
    if (
        any(t.kind == "enrich" and t.text != "(a schedule carries no data)" for t in plan.background)
        and main
        in (
            "classify",
            "score",
        )
        and plan.reading.noun == "lead"
    ):
        main = "enrich"
    noun = reading.noun if reading.noun != "event" else "event"
    word = _TASK_WORDS.get(main, "flow")
    if noun == "transaction" and main == "score":
        word = "scoring"
    name = re.sub(r"[^a-z0-9-]+", "-", f"{noun}-{word}".lower()).strip("-")
    return name[:60] or "drafted-flow"


_WORK = {
    "classify": "classify it",
    "decide": "check it and decide",
    "score": "score it",
    "moderate": "check it against the content policy",
    "extract": "extract its fields",
    "summarise": "summarise it",
    "translate": "translate it",
    "answer": "answer it from pinned documents",
    "reply": "draft a reply",
    "enrich": "look up more about it",
}
_CHANNEL_PHRASE = {
    "pagerduty": "page on-call",
    "slack": "post to Slack",
    "teams": "post to Teams",
    "email": "send an email",
    "sms": "send a text message",
    "discord": "post to Discord",
    "webhook": "hand over to the escalation endpoint",
}


def _system(name: str) -> str:
    """'crm' -> 'the CRM', 'bigquery' -> 'Bigquery', 'warehouse' -> 'the warehouse'."""
    if len(name) <= 3:
        return f"the {name.upper()}"
    if name in ("warehouse", "database", "sheet", "spreadsheet", "results", "records"):
        return f"the {name}"
    return name[0].upper() + name[1:]


def _joined(phrases: list[str]) -> str:
    return ", ".join(phrases[:-1]) + " and " + phrases[-1] if len(phrases) > 1 else phrases[0]


def describe(plan: Plan) -> str:
    """One sentence a person reads: the work done on each event, then what it changes outside."""
    work = list(dict.fromkeys(_WORK[t.kind] for t in plan.tasks if t.kind in _WORK and t.start >= -1))
    effects: list[str] = []
    for task in plan.tasks:
        if task.kind == "notify":
            effects.append(_CHANNEL_PHRASE.get(task.channel or "webhook", "notify someone"))
        elif task.kind == "store":
            effects.append(
                f"write the result to {_system(task.target)}" if task.target else "store the result"
            )
        elif task.kind == "act" and task.action:
            effects.append(" ".join(task.action.split()[:4]))
    effects = list(dict.fromkeys(effects))
    trig = {"webhook": "arriving by webhook", "schedule": "on a schedule", "queue": "from a queue"}[
        plan.trigger
    ]
    parts = [p for p in (_joined(work) if work else "", _joined(effects) if effects else "") if p]
    return f"For each {display(plan.reading.noun)} {trig}: {'; '.join(parts)}."


# ---------------------------------------------------------------------------- the drafter


def draft_offline(request: DraftRequest, out_path: Path | None = None) -> OfflineDraft:
    """The offline draft of `request.brief`: flow data, comments, and what was not understood."""
    from copilot.flow.graph import analyze
    from copilot.flow.models import Flow

    reading = read(request.brief)
    base_dir = (out_path.parent if out_path is not None else Path.cwd()).resolve()
    budget = request.budget or reading.budget
    best: tuple[dict[str, Any], _Built, Plan, Any] | None = None
    for level in range(3):
        safety = SLA_SAFETY
        for _ in range(6):
            current = plan(request, reading)
            data, built = _assemble(current, request, base_dir, level, safety)
            flow = Flow.model_validate(data)
            analysis = analyze(flow, request.catalog)
            if analysis.critical_path is None or analysis.critical_path.p95 <= current.sla:
                break
            safety *= 0.9  # the estimate came out over the SLA: plan to a tighter slice
        best = (data, built, current, analysis)
        if budget is None or analysis.cost_per_event <= budget:
            break
    assert best is not None
    data, built, current, analysis = best
    if budget is None:
        # No budget in the brief: set one with headroom over the estimate, and say so.
        chosen = _nice_budget(analysis.cost_per_event * 4)
        _set_budget(data, chosen)
        current.assumptions.append(
            f"a budget of ${blocks.money(chosen)}/event, about 4x the estimate (room for hedges); "
            "pass --budget to set yours"
        )
        current.notes[("sla", "max_cost_per_event")] = (
            f"assumed: ~4x the estimated ${analysis.cost_per_event:.5f}/event"
        )
    else:
        source = "from --budget" if request.budget else f"from the brief: {reading.budget_text!r}"
        current.notes[("sla", "max_cost_per_event")] = (
            f"{source}; estimated ${analysis.cost_per_event:.5f}/event"
        )
        if analysis.cost_per_event > budget:
            current.assumptions.append(
                "even the cheapest models the cost tier allows are estimated at "
                f"${analysis.cost_per_event:.5f}/event, "
                f"over the ${blocks.money(budget)} budget"
            )
    if current.pin_note:
        index = next(i for i, s in enumerate(data["steps"]) if s["id"] == "docs")
        current.notes[("steps", index, "sources")] = current.pin_note
        if "EMPTY" in current.pin_note:
            glob = reading.docs_glob or DOCS_GLOB
            current.assumptions.append(
                f"documents under {glob} next to the flow file; none there yet, so the pin must be updated"
            )
    current.notes[("respond", "on_deadline")] = (
        "answered when the SLA passes; the hot path then finishes as async work"
    )
    if current.acknowledge:
        current.notes.setdefault(
            ("respond", "status"),
            "202: no model fits the SLA, so the response acknowledges and the models run async",
        )
    current.warnings.extend(_starved(flow, analysis, request.catalog))
    return OfflineDraft(
        data=data,
        comments=dict(current.notes),
        reading=reading,
        assumptions=current.assumptions,
        unmapped=reading.unmapped,
        warnings=current.warnings,
    )


def _starved(flow: Any, analysis: Any, catalog: Catalog) -> list[str]:
    """Hot-path model steps whose timeout is below their model's p95: most calls will not finish."""
    from copilot.flow.estimate import model_profiles

    profiles = model_profiles(flow, catalog)
    out = []
    for step in flow.steps:
        if step.type != "model" or step.id not in analysis.hot_path or step.timeout is None:
            continue
        profile = profiles.get(step.model) if step.model else None
        if profile is not None and step.timeout < profile.p95:
            out.append(
                f"step `{step.id}` gets a {dur(step.timeout)} timeout, below its model's p95 "
                f"{dur(profile.p95)} ({profile.id}): the SLA {dur(analysis.sla)} is too short for this "
                "chain, so most calls will end on the fallback or the on_deadline answer; raise --sla or "
                "drop a step from the hot path"
            )
    return out


def _nice_budget(value: float) -> float:
    """Two significant digits, rounded up: 0.0012345 -> 0.0013."""
    if value <= 0:
        return 0.001
    exponent = math.floor(math.log10(value)) - 1
    return round(math.ceil(value / 10**exponent) * 10**exponent, 10)


def _set_budget(data: dict[str, Any], budget: float) -> None:
    data["sla"]["max_cost_per_event"] = budget
    for alert in data["observability"]["alerts"]:
        if alert["metric"] == "cost_per_event":
            alert["above"] = budget
    data["tests"]["thresholds"]["cost_per_event"] = [f"avg<{blocks.money(budget)}"]
