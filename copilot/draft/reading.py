"""What reading a brief gives: the `Reading` and the `Task`, `Condition` and `Band` in it.

Plain dataclasses, no vocabulary: the readers (`copilot.draft.reader` and the modules it
draws on) fill them, and the offline drafter (`copilot.draft.offline`) builds a flow from
them. Each task keeps the sentence and the words it was read from, so a step can quote
the brief.
"""

# ruff: noqa: E501  (the vocabulary below is regular expressions, one family per line, easier to read whole)
from __future__ import annotations

from dataclasses import dataclass, field

from copilot.draft.phrases import Match
from copilot.draft.triggers import Trigger

# ---------------------------------------------------------------------------- results


# What the reader appends to a condition it could not read (the "not understood" line).
UNMAPPED_CONDITION = " (a condition the offline drafter could not map)"


@dataclass
class Condition:
    """When a task runs: `urgent`, a score threshold, a label, a moderation flag, a field.

    `field` conditions read an output field (`output_field`) of the classify step that the drafter adds to
    its output_schema (`sentiment == 'negative'`, `severity == 'critical'`). `negated` is an
    "otherwise" branch; `alternatives` are conditions joined by "or" ("negative or urgent").
    """

    # urgent | score | label | flagged | field | event (a threshold on an event field) |
    # count ("if more than 10 builds failed": how many items a run has) | present ("only if
    # reporter_email was given": the event carries a value in that field)
    kind: str
    text: str
    op: str = "=="
    value: float | str | None = None
    output_field: str | None = None  # kind field: sentiment | severity
    negated: bool = False
    alternatives: list[Condition] = field(default_factory=list)
    all_of: bool = False  # "hot AND over 500 employees": every part must hold, not any
    # "Only act when status changes to 'submitted'": a condition over the whole flow's actions,
    # holding besides this one (its own "or"s stay inside)
    scope: Condition | None = None
    # the event field it tests is assumed, not required: a missing one makes the test false
    optional: bool = False
    # kind fields: the other field times this ("more than twice reference_high": 2.0)
    factor: float | None = None
    # kind fields/looked_up: added to the other value ("more than 25 degrees below the lower bound": -25)
    offset: float | None = None
    # kind asked: the kind of the judging step asked to give the number ("classify …, with a
    # repair cost estimate in dollars"), whose output it tests
    made_by: str | None = None


@dataclass
class Task:
    kind: str  # classify | score | moderate | extract | summarise | translate | answer | reply | enrich | notify | store
    text: str
    sentence: int
    start: int
    channel: str | None = None  # notify: slack, email, teams, pagerduty, sms, discord, webhook
    target: str | None = None  # enrich/store destination; translate language; score subject
    labels: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    docs: str | None = None  # answer: the document source named (docs, knowledge base, FAQ…)
    condition: Condition | None = None
    background: bool = False  # the brief says it can happen later / in the background
    unmapped_condition: str | None = None  # an if/when clause about this task that no rule read
    channel_named: bool = True  # notify: False when the brief named no channel (a guess)
    quote: str | None = None  # the clause of the brief this task implements, as written there
    api: str | None = None  # done by the team's own service, not a model ("with our fraud scoring API")
    source: str | None = None  # store: the kind of task whose output it writes ("summarise" for the CRM)
    action: str | None = None  # act: the verb and object, e.g. "block the card"
    after: list[str] = field(
        default_factory=list
    )  # kinds the brief orders before this one ("enrich, then score")
    also: list[Task] = field(default_factory=list)  # later mentions of the same task, merged into this one
    quotes: list[str] = field(default_factory=list)  # every clause that mentions it (quote first)
    # a lookup's fields the flow's conditions read, with their JSON types ("to get its
    # max_safe_moisture": number; "flagged as on_credit_hold": boolean)
    returns: dict[str, str] = field(default_factory=dict)
    # "Only act when …": the flow's rule over every action, joined to the condition this task
    # gets once its own unread one is decided (ensure_producers)
    scope: Condition | None = None
    # "first mark the printer … Then requeue the job": the action the brief puts right before
    # this one, whose step this one waits for
    follows: Task | None = None
    # where an email or a text goes: ("event", field), ("lookup", field) or ("env", NAME)
    recipient: tuple[str, str] | None = None
    # "email the student from studyrooms@uni.edu": the address it is sent from, never its recipient
    sender: str | None = None
    # classify: what the brief says to judge ("screens the gift message for profanity, …")
    criteria: str | None = None

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass
class Band:
    """One decision band: `option` when the score is `op` `value` ("decline at 0.8 and above")."""

    option: str
    op: str | None  # >= | > | < | <= ; None: everything else ("approve below")
    value: float | None
    text: str


@dataclass
class Reading:
    """Everything the offline drafter took from a brief."""

    sentences: list[str]
    trigger: Trigger
    sla: float | None = None
    sla_text: str | None = None
    sla_vague: str | None = None  # a vague latency word used instead of a number ("real time")
    sla_too_long: str | None = None  # a promise longer than a response can wait ("within 5 minutes")
    realtime: bool = False  # a vague latency word was seen, number or not
    budget: float | None = None
    budget_text: str | None = None
    # "$50 a month" with no volume to spread it over: said, never silently replaced
    budget_period: str | None = None
    cost_tier: str | None = None
    cost_text: str | None = None
    tasks: list[Task] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    noun: str = "event"
    event_fields: list[str] = field(default_factory=list)  # "Event: {id, subject, body}" in the brief
    event_types: dict[str, str] = field(default_factory=dict)  # "round_number (int)": stated types
    # "status (completed, failed or cancelled)": the values the brief lists for a field
    event_values: dict[str, list[str]] = field(default_factory=dict)
    docs_glob: str | None = None  # a document path the brief names, e.g. docs/help-centre/*.md
    rate: float | None = None  # expected events per second ("about 50 a second")
    concurrency: int | None = None  # most events in flight the brief allows ("at most 20 at a time")
    unmapped: list[str] = field(default_factory=list)
    # The answer is one of these ("needs approve, review or decline", "waits for allow, hold or
    # block"): a decision, and clauses whose verb is an option are decision bands, not actions.
    response_options: list[str] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    fallback_option: str | None = None  # "if the scorer is too late, answer `review`"
