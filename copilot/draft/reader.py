"""Reading a brief without a model: trigger, SLA, budget, tasks and conditions, by vocabulary.

Deterministic and honest: every phrase the reader acted on is recorded with the
sentence it came from, and every clause it found nothing in is reported, so the user
knows which parts of the brief the offline draft did not take into account.

The trigger is read by `copilot.draft.triggers`, latency, money, rate and concurrency by
`copilot.draft.numbers` (`Trigger` and `Match` are re-exported here); this module reads
tasks and conditions and puts it all together in a `Reading`.
"""

# ruff: noqa: E501  (the vocabulary below is regular expressions, one family per line, easier to read whole)
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from copilot.draft.clauses import event_lead
from copilot.draft.numbers import read_concurrency, read_cost, read_rate, read_sla
from copilot.draft.phrases import Match
from copilot.draft.sentences import split_sentences
from copilot.draft.triggers import Trigger, read_trigger

# ---------------------------------------------------------------------------- results


@dataclass
class Condition:
    """When a task runs: `urgent`, a score threshold, a label, a moderation flag, a field.

    `field` conditions read an output field (`output_field`) of the classify step that the drafter adds to
    its output_schema (`sentiment == 'negative'`, `severity == 'critical'`). `negated` is an
    "otherwise" branch; `alternatives` are conditions joined by "or" ("negative or urgent").
    """

    # urgent | score | label | flagged | field | event (a threshold on an event field) |
    # count ("if more than 10 builds failed": how many items a run has)
    kind: str
    text: str
    op: str = "=="
    value: float | str | None = None
    output_field: str | None = None  # kind field: sentiment | severity
    negated: bool = False
    alternatives: list[Condition] = field(default_factory=list)
    all_of: bool = False  # "hot AND over 500 employees": every part must hold, not any


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
    realtime: bool = False  # a vague latency word was seen, number or not
    budget: float | None = None
    budget_text: str | None = None
    cost_tier: str | None = None
    cost_text: str | None = None
    tasks: list[Task] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    noun: str = "event"
    event_fields: list[str] = field(default_factory=list)  # "Event: {id, subject, body}" in the brief
    docs_glob: str | None = None  # a document path the brief names, e.g. docs/help-centre/*.md
    rate: float | None = None  # expected events per second ("about 50 a second")
    concurrency: int | None = None  # most events in flight the brief allows ("at most 20 at a time")
    unmapped: list[str] = field(default_factory=list)
    # The answer is one of these ("needs approve, review or decline", "waits for allow, hold or
    # block"): a decision, and clauses whose verb is an option are decision bands, not actions.
    response_options: list[str] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    fallback_option: str | None = None  # "if the scorer is too late, answer `review`"


# ---------------------------------------------------------------------------- sentences


def clauses(sentence: str) -> list[tuple[int, int]]:
    """(start, end) spans of a sentence's clauses: split at commas, 'and then', 'then', 'also'."""
    spans = []
    start = 0
    for match in re.finditer(
        r",\s*(?:and\s+)?(?:then\s+)?|\s+and then\s+|\s+then\s+|\s+also\s+|\s+plus\s+", sentence
    ):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(sentence)))
    return [(a, b) for a, b in spans if sentence[a:b].strip()]


# ---------------------------------------------------------------------------- tasks

_DOCS = (
    r"(docs|documentation|knowledge[- ]?base|kb|faqs?|help[- ]?cent(?:er|re)|help articles|support articles|"
    r"wiki|manuals?|handbook|policies|policy documents?|runbooks?|playbooks?|guides?|articles|product docs)"
)
_TASK_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("moderate", re.compile(r"\b(moderat\w*|toxic\w*|profanit\w*|nsfw|hate speech|harass\w*|abusive|offensive|"
                            r"inappropriate|unsafe content|policy violations?)\b", re.I)),
    ("score", re.compile(r"\b(scor(?:e|es|ed|ing)|rank(?:s|ed|ing)?|rate (?:it|them|each|how)|fraud|risk(?:y)?|"
                         r"likelihood|propensity|prioriti[sz]\w*)\b", re.I)),
    ("classify", re.compile(r"\b(clas+i?fy?\w*|clas+if\w*|cat[ae]gori[sz]\w*|triag\w*|label(?:s|led|ling)?|tag(?:s|ged|ging)? (?:it|them|each|the)|"
                            r"sort (?:it|them|each)|detect\w*|identif\w* (?:the )?(?:intent|category|type|topic|language|sentiment)|"
                            r"route (?:it|them|each|the|tickets?|messages?|emails?|requests?)|routing|sentiment|intent|"
                            r"how urgent|urgency)\b", re.I)),
    ("extract", re.compile(r"\b(extract\w*|pull(?:s|ed|ing)? out|pars(?:e|es|ed|ing)|captur(?:e|es|ed|ing)|grab(?:s|bed)?)\b", re.I)),
    ("summarise", re.compile(r"\b(sum+[ae]r\w*|tl;?dr|recap\w*|condens\w*|digest)\b", re.I)),
    ("translate", re.compile(r"\b(translat\w*)\b", re.I)),
    ("answer", re.compile(r"\b(answer(?:s|ed|ing)?|respond(?:s|ing)? to (?:the |their |customer )?(?:question|faq|customer|user)s?|"
                          r"repl(?:y|ies|ying) to|draft (?:a |an )?(?:reply|response|answer)|suggest (?:a |an )?(?:reply|response|answer)|"
                          r"write (?:a |an )?(?:reply|response|answer)|auto-?repl\w*|respond(?:s|ing)? with (?:an? )?answer|"
                          r"(?:post|send|leave)(?:s|ing)? (?:a |an )?(?:[\w-]+,? ){0,3}(?:reply|response|comment)|reply with)\b", re.I)),
    ("enrich", re.compile(r"\b(enrich\w*|look(?:s|ed|ing)? (?:\w+ )?up|lookup|fetch\w*|pull(?:s|ed|ing)? (?:[\w'-]+ ){0,4}?from|pull(?:s|ed|ing)? (?:in )?(?:data|details|info|"
                          r"history|the (?:customer|account|company))|pull(?:s|ed|ing)? (?:\w+ ){0,3}from|firmographic\w*|"
                          r"query (?:the |our )?(?:api|database|db|crm))\b", re.I)),
    ("notify", re.compile(r"\b(notif\w*|alert(?:s|ed|ing)? (?:the |our |a |on)|ping\w*|page(?:s|d)? (?:the |our )?(?:on-?call|pager ?duty|opsgenie)|page (?:someone|them)|"
                          r"post(?:s|ed|ing)? (?:it |them |a \w+ )?(?:to|in|on)|send(?:s|ing)? (?:\w+ ){0,3}(?:to|via|on|an? email)|"
                          r"message (?:the|our)|e-?mail (?:the|our|them|it)|escalat\w*|let (?:\w+ )?know|tell (?:the|our)|"
                          r"forward\w*|hand (?:it )?(?:off|over) to|(?:to|in|on|into|via|over|by) (?:the |our |a )?(?:#[\w-]+ )?"
                          r"(?:slack|teams|e-?mail|discord|pager ?duty|sms))\b", re.I)),
    ("store", re.compile(r"\b(stor(?:e|es|ed|ing)|sav(?:e|es|ed|ing)|persist\w*|archiv\w*|record(?:s|ed|ing)? (?:it|them|the|each|in|to)|"
                         r"log(?:s|ged|ging)? (?:it|them|the|each|every|to|into|in)|write(?:s)? (?:it |them |the \w+ )?(?:to|into)|"
                         r"insert\w*|upsert\w*|push(?:es|ed)? (?:it |them )?(?:to|into)|update(?:s)? (?:the )?(?:crm|record|sheet|"
                         r"database|db|ticket|spreadsheet|salesforce|hubspot|airtable|notion)|create(?:s)? (?:a )?(?:jira|linear|zendesk) "
                         r"(?:ticket|issue))\b", re.I)),
]  # fmt: skip
_CHANNELS = [
    ("pagerduty", re.compile(r"\b(pager ?duty|on-?call|page(?:s|d)?\b|opsgenie)", re.I)),
    ("slack", re.compile(r"\bslack\b", re.I)),
    ("teams", re.compile(r"\b(ms |microsoft )?teams\b", re.I)),
    ("email", re.compile(r"\b(e-?mail|mail)\b", re.I)),
    ("sms", re.compile(r"\b(sms|text message|twilio)\b", re.I)),
    ("discord", re.compile(r"\bdiscord\b", re.I)),
]
_DESTINATIONS = [
    "salesforce", "hubspot", "crm", "zendesk", "jira", "linear", "notion", "airtable", "bigquery", "snowflake",
    "postgres", "database", "db", "warehouse", "s3", "sheet", "spreadsheet", "api", "clearbit", "erp", "shopify", "stripe",
]  # fmt: skip
_LANGUAGES = [
    "english", "french", "german", "spanish", "italian", "portuguese", "dutch", "japanese", "chinese", "korean",
    "arabic", "hindi", "polish", "swedish", "russian", "turkish",
]  # fmt: skip
_BACKGROUND = re.compile(
    r"\b(in the background|async\w*|later|afterwards|after (?:we )?(?:respond|reply|answer)|after we have (?:answered|replied|responded)|"
    r"(?:can|may) take (?:as long as (?:it|they) needs?|a while|longer|(?:its|their) time)|off the hot path|"
    r"doesn'?t need to be (?:fast|instant|realtime|real-time)|no rush|not (?:time[- ])?critical|eventually|"
    r"for the crm|for the weekly report)\b",
    re.I,
)
_KNOWN_LABELS = [
    "faq", "billing", "refund", "bug", "complaint", "question", "feature", "feature request", "sales", "support",
    "spam", "account", "shipping", "technical", "outage", "security", "cancellation", "praise", "other", "urgent",
]  # fmt: skip


def _snake(words: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")
    return re.sub(r"^(the|a|an|their|its|our)_", "", name)[:40]


_FIELDS_END = re.compile(
    r"\b(?:from|out of|in the|into|of the|for|so|to|and then|then|before|after|when|if)\b|[.;:()]"
    r"|,?\s*\band (?:also )?(?:save|store|send|post|write|push|log|e-?mail|notify|forward|update|summari[sz]e|"
    r"classify|route|alert|ping|put|insert|upsert)\w*",
    re.I,
)


def _fields_text(sentence: str, end: int) -> str:
    """The field list after an extract verb: up to a preposition or the next task's verb."""
    return _FIELDS_END.split(sentence[end:])[0]


def _list_after(sentence: str, end: int) -> list[str]:
    """'the order number, amount and due date' after a verb -> [order_number, amount, due_date]."""
    rest = _fields_text(sentence, end)
    items = [_snake(p) for p in re.split(r",|\band\b|\bor\b|/", rest)]
    return [
        i for i in items if i and len(i) <= 40 and i not in ("it", "them", "this", "that", "data", "info")
    ][:8]


_LIST_INTRO = re.compile(
    r"\b(?:into|as|labels?\s*:|categories\s*:|intents?\s*:|one of|either)\s+(?:one of\s+)?(?:either\s+)?",
    re.I,
)
_LIST_STOP = re.compile(
    r"[.;:()!?]|\b(?:then|so|by|via|through|thru|within|under|from|if|when|whenever|unless|before|after|"
    r"and (?:then |also )?(?:the|a|an|our|any|anything|all|everything|each|it|them|answer\w*|send\w*|post\w*|"
    r"notif\w*|page\w*|stor\w*|sav\w*|escalat\w*|repl\w*|route\w*|forward\w*|log\w*|alert\w*|ping\w*|e-?mail\w*|"
    r"summari[sz]\w*|extract\w*|scor\w*|flag\w*|draft\w*|write\w*|push\w*|updat\w*|creat\w*))\b",
    re.I,
)
_NOT_LABELS = {
    "webhook", "webhooks", "queue", "topic", "stream", "kafka", "slack", "teams", "email", "emails", "pagerduty",
    "sms", "api", "http", "it", "them", "this", "that", "category", "categories", "type", "types", "urgency",
    "priority", "intent", "intents", "sentiment", "label", "labels", "one", "ones", "each", "tickets", "ticket",
}  # fmt: skip
_LABEL_WORDS = {w for label in ("faq", "billing", "refund", "bug", "complaint", "question", "feature", "sales",
                                "support", "spam", "account", "shipping", "technical", "outage", "security",
                                "cancellation", "praise", "other", "urgent", "pricing", "partnership", "ham",
                                "positive", "negative", "neutral", "legal", "returns", "delivery", "invoice")
                for w in [label]}  # fmt: skip


def _label_items(text: str) -> list[str]:
    """'billing bug account or other' -> [billing, bug, account, other]: known words split on spaces."""
    items: list[str] = []
    for part in re.split(r",|\bor\b|\band\b|/|\|", text):
        words = [
            w for w in re.findall(r"[\w'-]+", part.lower()) if w not in ("the", "a", "an", "either", "our")
        ]
        if not words:
            continue
        if len(words) > 1 and all(w in _LABEL_WORDS for w in words):
            candidates = words  # a list written without commas
        elif len(words) <= 2 or (len(words) == 3 and words[1] in ("request", "requests")):
            candidates = [" ".join(words)]
        else:
            continue  # a phrase, not a label
        for candidate in candidates:
            name = _snake(candidate)
            if (
                name
                and len(name) <= 30
                and name not in _NOT_LABELS
                and not name.isdigit()
                and name not in items
            ):
                items.append(name)
    return items


def _labels(sentence: str, end: int) -> tuple[list[str], tuple[int, int] | None]:
    """Labels listed after a classify verb, and where the list is.

    Only an explicit list counts: in parentheses, after into/as/labels:/one of, or straight
    after "label them"/"tag it". Words such as "by webhook" are never labels.
    """
    rest = sentence[end:]
    paren = re.match(r"\s*(?:[\w-]+\s+){0,3}?\(([^)]+)\)", rest, re.I)
    if paren:
        items = _label_items(paren.group(1))
        if len(items) >= 2:
            return items[:12], (end + paren.start(1), end + paren.end(1))
    stop = _LIST_STOP.search(rest)
    window = rest[: stop.start() if stop else len(rest)]
    intro = _LIST_INTRO.search(window)
    if intro:
        start = intro.end()
    else:
        direct = re.match(r"\s*(?:it|them|each(?: one)?|these|those)\s+", window, re.I)
        if not direct or not re.search(r"\b(label|tag|mark)\w*\s*$", sentence[:end], re.I):
            return [], None
        start = direct.end()
    items = _label_items(window[start:])
    if len(items) < 2:
        return [], None
    return items[:12], (end + start, end + len(window.rstrip()))


_LABEL_SENTENCE = re.compile(r"^\s*(?:intents?|labels?|categories|classes|buckets|tags)\s*:\s*(.+)$", re.I)

# ---------------------------------------------------------------------------- conditions

_IF_CLAUSE = re.compile(
    r"\b(only if|if|when|whenever|where|in case|unless)\b(?:[^,.;]|\.\d|,\d{3})*?(?=,(?!\d{3})|\.(?!\d)|;|\bthen\b|\botherwise\b|\belse\b|$)",
    re.I,
)
# "When a ticket comes in" names the trigger, not a condition.
_EVENT_VERB = re.compile(
    r"\b(comes?|coming|arriv\w*|fires?|fired|land\w*|opens?|opened|sends?|sent|posts?|posted|submit\w*|upload\w*|"
    r"creat\w*|receiv\w*|happen\w*|trigger\w*|signs? up|signed up|places?|placed|hits?|files?|filed|starts?|"
    r"finish\w*|runs?|publish\w*|writes?|calls?|pushe[sd]|drops?|get(?:s)? (?:created|posted|filed|opened))\b",
    re.I,
)
_OPS = {"above": ">", "over": ">", "greater than": ">", "higher than": ">", "more than": ">", "exceeds": ">",
        ">=": ">=", ">": ">", "at least": ">=", "below": "<", "under": "<", "less than": "<",
        "lower than": "<", "<=": "<=", "<": "<"}  # fmt: skip
# "Borderline cases (0.4 to 0.8)", "scores between 40 and 80": a band of a score
_RANGE_ATOM = re.compile(
    r"\b(?:borderline|middling|between|scores?|cases|risk)\b[^.;]{0,20}?\(?\s*(\d+(?:\.\d+)?)\s*(?:to|-|–|and)\s*"
    r"(\d+(?:\.\d+)?)\s*\)?",
    re.I,
)
_SCORE_AFTER = re.compile(
    r"\b(?:score|risk|probability|confidence|likelihood|rating)(?:\s+score)?\s+(?:is\s+)?"
    r"(\d+(?:\.\d+)?)\s*(%|percent)?\s+(?:or|and)\s+(above|over|more|higher|below|under|less|lower)\b",
    re.I,
)
_SCORE_ATOM = re.compile(
    r"\b(?:score|risk|probability|confidence|likelihood|rating)(?:\s+score)?\s+(?:is\s+|comes back\s+|goes\s+)?"
    r"(above|over|greater than|higher than|more than|exceeds|>=|>|at least|below|under|less than|lower than|<=|<)\s*"
    r"(\d+(?:\.\d+)?)\s*(%|percent)?",
    re.I,
)
# "if the cart value is over $50", "orders above 1,000 EUR": a threshold on a field of the event
_EVENT_ATOM = re.compile(
    r"\b(?:(?:if|when|whenever|where|unless|only|and|or|any\s+\w+\s+where)\s+)?(?:the\s+|its\s+|their\s+|a\s+)?((?:[a-z]+\s+){0,2}?[a-z]+)\s+(?:is\s+|are\s+|was\s+)?"
    r"(above|over|greater than|higher than|more than|exceeds|>=|>|at least|below|under|less than|lower than|<=|<)\s*"
    r"[$€£]?\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(k|m|million|%|percent|usd|eur|gbp|dollars|euros)?\b",
    re.I,
)
_NOT_EVENT_FIELDS = re.compile(
    r"^(?:score|risk|probability|confidence|likelihood|rating|risk score|fraud score|it|that|this|they|we|cost|"
    r"latency|time|budget|p95|sla|respond|answer|reply|finish|\w+ in|\w+ within)$",
    re.I,
)
_SEVERITY_ATOM = re.compile(
    r"\b(?:severity|sev)\s+(?:is\s+|=+\s*|of\s+|level\s+)?(critical|high|major|sev-?1|p1|1)\b", re.I
)
_SENTIMENT_WORDS = r"negative|angry|upset|frustrated|unhappy|furious|annoyed|irate|positive|happy"
_STATE_WORDS = (
    r"urgent|critical|high[- ]priority|p1|sev(?:erity)?[- ]?1|emergenc\w*|high[- ]risk|risky|likely fraud\w*|"
    r"suspicious|flagged|unsafe|toxic|violat\w*|not allowed|spam|blocked|held|rejected|declined|denied|approved|"
    r"eligible|ineligible|accepted"
)
_STATE_ATOM = re.compile(rf"\b({_SENTIMENT_WORDS}|{_STATE_WORDS})\b", re.I)
_NOUN_FORM = re.compile(
    rf"\b(?:(?:anything|everything|whatever|all|any|those|ones)\s+(?:that(?:'s| is| are| seems?| looks?)\s+|(?:'s|is|are)\s+)?"
    rf"({_SENTIMENT_WORDS}|{_STATE_WORDS})\b|({_SENTIMENT_WORDS}|{_STATE_WORDS})\s+(?:ones|feedback|[a-z]+s))\b",
    re.I,
)


def _atom(word: str, text: str) -> Condition:
    word = word.lower()
    if word in ("approved", "accepted", "eligible", "ineligible"):
        # a verdict some step decides: the decide step's option when there is one (offline.plan)
        return Condition("field", text, "==", True, output_field=word)
    if re.fullmatch(_SENTIMENT_WORDS, word):
        value = "positive" if word in ("positive", "happy") else "negative"
        return Condition("field", text, "==", value, output_field="sentiment")
    if word in ("high-risk", "high risk", "risky", "suspicious") or word.startswith("likely fraud"):
        return Condition("score", text, ">", 0.8)
    if word in (
        "flagged",
        "unsafe",
        "toxic",
        "not allowed",
        "blocked",
        "held",
        "rejected",
        "declined",
        "denied",
    ) or (word.startswith("violat")):
        return Condition("flagged", text)
    if word == "spam":
        return Condition("label", text, "==", "spam")
    return Condition("urgent", text)


def _atoms(sentence: str, a: int, b: int, inside_if: bool) -> list[tuple[int, int, Condition]]:
    """The condition phrases between a and b: thresholds, severity, states ("negative", "urgent")."""
    found: list[tuple[int, int, Condition]] = []
    part = sentence[a:b]
    for m in _SCORE_ATOM.finditer(part):
        value = float(m.group(2))
        if m.group(3) or value > 1:
            value = value / 100
        found.append(
            (a + m.start(), a + m.end(), Condition("score", m.group(0), _OPS[m.group(1).lower()], value))
        )
    for m in _RANGE_ATOM.finditer(part):
        low, high = float(m.group(1)), float(m.group(2))
        if high > 1:
            low, high = low / 100, high / 100
        found.append((a + m.start(), a + m.end(), Condition("score", m.group(0), "range", (low, high))))
    for m in _SCORE_AFTER.finditer(part):
        value = float(m.group(1))
        if m.group(2) or value > 1:
            value = value / 100
        op = ">=" if m.group(3).lower() in ("above", "over", "more", "higher") else "<="
        found.append((a + m.start(), a + m.end(), Condition("score", m.group(0), op, value)))
    for m in _SEVERITY_ATOM.finditer(part):
        found.append(
            (
                a + m.start(),
                a + m.end(),
                Condition("field", m.group(0), "==", "critical", output_field="severity"),
            )
        )
    for m in _EVENT_ATOM.finditer(part):
        noun = m.group(1).strip()
        counted = False
        if noun.lower() in ("if", "when", "where", "unless", "only", "and", "or", "whenever"):
            counted = True
            # "if more than 10 builds failed": what is counted comes after the number
            after = re.match(r"\s*([a-z]+(?:\s+[a-z]+)?)", part[m.end() :], re.I)
            if after is None:
                continue
            noun = after.group(1)
        if _NOT_EVENT_FIELDS.match(noun) or any(s < a + m.end() and e > a + m.start() for s, e, _ in found):
            continue
        suffix = (m.group(4) or "").lower()
        value = float(m.group(3).replace(",", "")) * {"k": 1e3, "m": 1e6, "million": 1e6}.get(suffix, 1)
        found.append(
            (
                a + m.start(),
                a + m.end(),
                Condition(
                    "count" if counted else "event",
                    m.group(0),
                    _OPS[m.group(2).lower()],
                    value,
                    output_field=_snake(noun),
                ),
            )
        )
    states = _STATE_ATOM if inside_if else _NOUN_FORM
    for m in states.finditer(part):
        start, end = a + m.start(), a + m.end()
        if any(s < end and e > start for s, e, _ in found):
            continue
        word = next(g for g in m.groups() if g) if m.groups() else m.group(0)
        found.append((start, end, _atom(word, m.group(0))))
    return sorted(found, key=lambda f: f[0])


def _combine(sentence: str, atoms: list[tuple[int, int, Condition]], text: str) -> Condition:
    if len(atoms) == 1:
        cond = atoms[0][2]
        cond.text = text
        return cond
    # "negative or urgent": any of them. "X and Y" between two conditions means both must hold
    # ("if it's hot and the company has more than 500 employees").
    first = atoms[0][2]
    # the words between two conditions, and a joiner a condition's own match starts with
    joiners = [
        f"{sentence[e:s2]} {' '.join(c.text.split()[:1])}".strip().lower()
        for (_, e, _), (s2, _, c) in itertools.pairwise(atoms)
    ]
    both = bool(joiners) and all(re.match(r"(?:,\s*)?and\b", j) and " or " not in f" {j} " for j in joiners)
    return Condition(
        first.kind,
        text,
        first.op,
        first.value,
        first.output_field,
        alternatives=[c for _, _, c in atoms[1:]],
        all_of=both,
    )


def _conditions(sentence: str) -> tuple[list[tuple[int, int, Condition]], list[tuple[int, int, str]]]:
    """(mapped conditions with their spans, if/when clauses that no rule could read)."""
    mapped: list[tuple[int, int, Condition]] = []
    unread: list[tuple[int, int, str]] = []
    covered: list[tuple[int, int]] = []
    mapped_events: list[tuple[int, int]] = []
    for m in _IF_CLAUSE.finditer(sentence):
        word = m.group(1).lower()
        clause = m.group(0)
        if (
            word in ("when", "whenever")
            and _EVENT_VERB.search(clause)
            and not _atoms(sentence, m.start(), m.end(), True)
        ):
            covered.append((m.start(), m.end()))
            mapped_events.append((m.start(), m.end()))
            continue  # "when a ticket comes in": the event that starts the flow
        if word == "where" and not _atoms(sentence, m.start(), m.end(), True):
            continue  # "where" is more often a place than a condition
        covered.append((m.start(), m.end()))
        atoms = _atoms(sentence, m.start(), m.end(), True)
        if not atoms:
            if len(re.findall(r"[A-Za-z']+", clause)) >= 2:
                unread.append((m.start(), m.end(), clause.strip()))
            continue
        cond = _combine(sentence, atoms, clause.strip())
        cond.negated = word == "unless"
        mapped.append((m.start(), m.end(), cond))
    for start, end, cond in _atoms(sentence, 0, len(sentence), False):
        if not any(s <= start < e for s, e in covered):
            mapped.append((start, end, cond))
    for start, end, cond in _atoms(sentence, 0, len(sentence), True):
        if (
            cond.kind == "score"
            and _SCORE_ATOM.match(cond.text)
            and not any(s <= start < e for s, e in covered)
            and not any(s <= start < e for s, e, _ in mapped)
        ):
            mapped.append((start, end, cond))  # "score above 0.8 goes to review": a threshold needs no "if"
    events = [(s, e, Condition("event", sentence[s:e])) for s, e in mapped_events]
    return sorted(mapped, key=lambda f: f[0]), unread, events


def _leads(sentence: str, start: int, end: int) -> bool:
    """A condition that opens the sentence and ends at its comma: it governs the whole sentence."""
    head = sentence[:start]
    return bool(
        re.fullmatch(
            r"\W*(?:(?:only|and|but|so|also)\s+)?(?:for|if|when|whenever|unless|in case)?\s*(?:the\s+|all\s+|any\s+)?",
            head,
            re.I,
        )
    ) and bool(re.match(r"[^,;]{0,60},", sentence[start:]))


def _negate(cond: Condition, text: str) -> Condition:
    return Condition(
        cond.kind, text, cond.op, cond.value, cond.output_field, not cond.negated, list(cond.alternatives)
    )


_ACTING = ("notify", "store", "answer", "reply", "enrich", "summarise", "act")


def _attach_conditions(sentence: str, index: int, found: list[Task], matches: list[Match]) -> None:
    """Give each condition to the task it governs: the nearest acting task in the sentence."""
    mapped, unread, events = _conditions(sentence)
    for start, end, event in events:
        matches.append(Match("event", event.text, index, start, end))
    acting = [t for t in found if t.kind in _ACTING]
    for start, end, condition in mapped:
        matches.append(Match("condition", condition.text, index, start, end))
        if not acting:
            continue
        if _leads(sentence, start, end):
            # "For high-risk orders, hold the order and notify #ops": the lead limits every action after it
            for task in acting:
                if task.start > start and task.condition is None:
                    task.condition = condition
            continue
        nearest = min(acting, key=lambda t: (abs(t.start - start), t.start))
        if nearest.condition is None:
            nearest.condition = condition
    for start, end, clause in unread:
        # Reported, and the task it governs is marked: never silently unconditional.
        inside = [t.start for t in found if start < t.start < end]
        if inside:
            clause = sentence[start : min(inside)].strip(" ,")
        matches.append(Match("unread_condition", clause, index, start, end))
        candidates = [t for t in acting if t.condition is None]
        if candidates:
            nearest = min(candidates, key=lambda t: (abs(t.start - start), t.start))
            nearest.unmapped_condition = clause
    for m in re.finditer(r"\b(otherwise|else|if not)\b", sentence, re.I):
        before = [c for s, _, c in mapped if s < m.start()]
        if not before:
            continue
        matches.append(Match("condition", m.group(0), index, m.start(), m.end()))
        after = [t for t in acting if t.start > m.start()]
        if after:
            task = min(after, key=lambda t: t.start)
            if task.condition is None or task.condition is before[-1]:
                if task.condition is before[-1]:
                    # The nearest-task rule gave the "if" to the otherwise branch: move it back.
                    owners = [t for t in acting if t.start < m.start() and t.condition is None]
                    if owners:
                        owners[-1].condition = before[-1]
                task.condition = _negate(before[-1], f"{m.group(0)} (not {before[-1].text})")


def _label_condition(sentence: str, task: Task, labels: list[str]) -> Condition | None:
    """'answer FAQ tickets', 'forward demo requests', 'the billing ones answered' -> a label condition."""
    known = {_snake(label) for label in _KNOWN_LABELS}
    nouns = r"(?:tickets|questions|ones|requests|emails|messages|cases|issues|reviews)"
    after = re.match(
        r"\s+(?:the\s+|all\s+|any\s+)?(?:simple\s+)?([\w-]+)(?:\s+([\w-]+))?", sentence[task.end :], re.I
    )
    if after:
        one, two = after.group(1), after.group(2)
        attempts = ([[one, two]] if two else []) + [[one]]
        for words in attempts:
            name = _snake(" ".join(words))
            for candidate in dict.fromkeys((name, name[:-1] if name.endswith("s") else name)):
                if candidate == "other":
                    continue
                # the brief's own labels as they are; a known label only before a noun ("FAQ tickets")
                if candidate in labels or (
                    candidate in known and len(words) == 1 and two and re.fullmatch(nouns, two, re.I)
                ):
                    return Condition("label", f"{task.text} {' '.join(words)}", "==", candidate)
    before = re.search(
        rf"\bthe\s+([\w-]+)\s+(?:ones|{nouns})\s+(?:(?:get|are|should be|to be|will be)\s+)?$",
        sentence[max(0, task.start - 40) : task.start],
        re.I,
    )
    if before:
        name = _snake(before.group(1))
        if (name in labels or name in known) and name != "other":
            return Condition("label", f"the {before.group(1)} ones {task.text}", "==", name)
    return None


def read_tasks(sentences: list[str], matches: list[Match], skip: frozenset[int] = frozenset()) -> list[Task]:
    """Tasks by vocabulary, sentence by sentence; `skip` holds headings (a title is not a task)."""
    tasks: list[Task] = []
    for index, sentence in enumerate(sentences):
        if index in skip:
            continue
        taken: list[tuple[int, int]] = []
        found: list[Task] = []
        for kind, pattern in _TASK_PATTERNS:
            for m in pattern.finditer(sentence):
                if any(a <= m.start() < b for a, b in taken):
                    continue
                if _named_or_noun(sentence, m.start(), m.group(0)):
                    # "SendGrid's Inbound Parse webhook", "the return label": a name or a noun
                    taken.append((m.start(), m.end()))
                    continue
                task = Task(kind, m.group(0), index, m.start())
                lower = sentence.lower()
                if kind == "classify" and re.match(
                    r"detect\w*\s+(?:\w+\s+)?(fraud|anomal\w*|risk)", lower[m.start() :]
                ):
                    task.kind = "score"
                if kind == "classify" and re.match(
                    r"detect\w*\s+(?:\w+\s+)?(toxic\w*|abus\w*|hate|nsfw)", lower[m.start() :]
                ):
                    task.kind = "moderate"
                if task.kind == "classify":
                    task.labels, span = _labels(sentence, m.end())
                    if span is not None:
                        matches.append(Match("labels", sentence[span[0] : span[1]], index, *span))
                    if re.match(r"detect\w*\s+(spam)", lower[m.start() :]):
                        task.labels = ["spam", "not_spam"]
                if kind == "extract":
                    task.fields = _list_after(sentence, m.end())
                    if task.fields:
                        end = m.end() + len(_fields_text(sentence, m.end()))
                        matches.append(Match("fields", sentence[m.end() : end], index, m.end(), end))
                if kind == "translate":
                    lang = re.search(r"\b(?:into|to)\s+(" + "|".join(_LANGUAGES) + r")\b", lower[m.start() :])
                    task.target = lang.group(1) if lang else "english"
                if kind == "score":
                    subject = re.search(
                        r"\b(fraud|risk|lead|priority|quality|churn|credit|relevance|intent)\b", lower
                    )
                    task.target = subject.group(1) if subject else None
                if kind == "answer":
                    docs = re.search(r"\b" + _DOCS + r"\b", sentence, re.I)
                    task.docs = docs.group(1).lower() if docs else None
                    if not task.docs:
                        task.kind = "reply"  # an answer with nothing to ground it is a reply
                if kind == "notify" and m.group(0).startswith("POST"):
                    continue  # "POST to our endpoint" is the trigger's HTTP verb, not a message
                if kind in ("notify",):
                    window = sentence[m.start() : m.end() + 50]
                    channels = [name for name, p in _CHANNELS if p.search(window)]
                    named = True
                    if not channels:
                        # A channel named as a data source ("from the PagerDuty API") is not a destination.
                        elsewhere = re.sub(
                            r"\bfrom (?:the |our )?[\w-]+(?: [\w-]+)?", " ", sentence, flags=re.I
                        )
                        channels = [name for name, p in _CHANNELS if p.search(elsewhere)]
                    if "escalat" in m.group(0).lower() and not channels:
                        if re.search(r"on-?call|engineer|sre|ops", lower):
                            channels = ["pagerduty"]
                        else:
                            channels, named = ["webhook"], False
                    if not channels:
                        channels, named = ["webhook"], False
                    for channel in channels:
                        if any(
                            t.kind == "notify" and t.channel == channel
                            for t in found + tasks
                            if t.sentence == index
                        ):
                            continue
                        notify = Task("notify", m.group(0), index, m.start(), channel=channel)
                        notify.channel_named = named
                        found.append(notify)
                    taken.append((m.start(), m.end()))
                    matches.append(Match("task", m.group(0), index, m.start(), m.end()))
                    continue
                if kind in ("enrich", "store"):
                    dest = next((d for d in _DESTINATIONS if re.search(rf"\b{d}\b", lower)), None)
                    task.target = dest
                if _mentioned_done(sentence, m.start(), m.group(0)):
                    # "after we have answered": work the brief refers to, not work it asks for
                    matches.append(Match("reference", m.group(0), index, m.start(), m.end()))
                    taken.append((m.start(), m.end()))
                    continue
                found.append(task)
                taken.append((m.start(), m.end()))
                matches.append(Match("task", m.group(0), index, m.start(), m.end()))
        if found:
            background = bool(_BACKGROUND.search(sentence))
            for task in found:
                task.background = background and task.kind in (
                    "summarise",
                    "enrich",
                    "store",
                    "notify",
                    "extract",
                    "translate",
                )
            _attach_conditions(sentence, index, found, matches)
        else:
            _, unread, events = _conditions(sentence)
            for start, end, clause in unread:
                matches.append(Match("unread_condition", clause, index, start, end))
            for start, end, event in events:
                matches.append(Match("event", event.text, index, start, end))
        tasks.extend(found)
    _label_lists(sentences, tasks, matches)
    labels = [label for t in tasks if t.kind == "classify" for label in t.labels]
    for task in tasks:
        if task.kind in ("answer", "reply", "notify", "store") and task.condition is None:
            cond = _label_condition(sentences[task.sentence], task, labels)
            if cond is not None:
                task.condition = cond
                task.unmapped_condition = None
    return _dedupe(tasks)


def _named_or_noun(sentence: str, start: int, word: str) -> bool:
    """A task word used as a name (capitalised mid-sentence) or as a noun (after an article)."""
    first = word.split()[0] if word.split() else word
    if (
        first[:1].isupper()
        and not first.isupper()
        and sentence[:start].strip(" -*•(\"'")
        and not re.search(r"[.:;!?]\s*$", sentence[:start])
    ):
        return True
    return (
        bool(
            re.search(
                r"\b(?:the|a|an|this|that|its|their|our|your|each|every|any)\s+(?:[\w-]+\s+)?$",
                sentence[max(0, start - 30) : start],
                re.I,
            )
        )
        and first.lower() in _NOUN_VERBS
    )


# Task words that are as often nouns: "the return label", "an alert", "a post", "the answer".
_NOUN_VERBS = {
    "label", "labels", "tag", "tags", "page", "post", "posts", "alert", "alerts", "answer", "answers", "reply",
    "replies", "message", "comment", "email", "score", "summary", "digest", "record", "log", "note", "flag",
    "rank", "rating", "route", "translation", "store", "archive", "forward",
}  # fmt: skip


def _mentioned_done(sentence: str, start: int, word: str) -> bool:
    """'After we have answered', 'once it is classified', 'the summarised history': a reference."""
    if not re.search(r"(?:ed|en)$", word.strip(), re.I):
        return False
    before = sentence[max(0, start - 40) : start]
    return bool(
        re.search(
            r"\b(?:after|once|when|until|before|as soon as)\s+(?:\w+\s+){0,2}?(?:have|has|had|'ve|is|are|was|were|been)?\s*$",
            before,
            re.I,
        )
    )


_WRITE_TO = re.compile(
    r"\b(?:for|to|into|in|onto|on)\s+(?:the\s+|our\s+|a\s+)?("
    + "|".join(d for d in _DESTINATIONS if d not in ("api", "database", "db"))
    + r")\b",
    re.I,
)


def read_destinations(sentences: list[str], tasks: list[Task], matches: list[Match]) -> list[Task]:
    """'Summarise the history for the CRM': model work whose result the brief sends somewhere.

    The destination becomes a `store` task that writes that task's output, quoting the same
    clause, unless the brief already has a store or notify task aimed there.
    """
    added: list[Task] = []
    for task in tasks:
        if task.kind not in ("summarise", "extract", "score", "classify", "enrich", "translate", "moderate"):
            continue
        sentence = sentences[task.sentence]
        span = _clause_span(sentence, task.start)
        m = _WRITE_TO.search(sentence, span[0], span[1])
        if m is None:
            continue
        dest = m.group(1).lower()
        if any(
            t.kind in ("store", "notify") and t.target == dest and t.sentence == task.sentence for t in tasks
        ):
            continue
        store = Task("store", m.group(0), task.sentence, m.start(), target=dest, source=task.kind)
        store.background = task.background
        store.condition = task.condition
        added.append(store)
        matches.append(Match("task", m.group(0), task.sentence, m.start(), m.end()))
    return tasks + added


def _clause_span(sentence: str, start: int) -> tuple[int, int]:
    from copilot.draft.clauses import clause_spans

    for a, b in clause_spans(sentence):
        if a <= max(start, 0) < b:
            return a, b
    return 0, len(sentence)


def _acts(sentence: str, start: int) -> bool:
    """A notify/store word inside a clause that instructs something ("alerts a minute" does not)."""
    from copilot.draft.clauses import instructs

    return instructs(quote_for(sentence, start))


def quote_for(sentence: str, start: int) -> str:
    """The clause of `sentence` around position `start`: what a step built from it quotes."""
    a, b = _clause_span(sentence, start)
    return sentence[a:b].strip(" ,;:.")


_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_OBJECT_STOP = re.compile(
    r"\s+(?:\w+ing|via|through|using|with|in|on|to|into|for|from|at|when|if|unless|once|after|before|so|and|or|but|because|by)\b",
    re.I,
)


# A model verb of the brief -> the task kind that does it (for restatements of a task).
_MODEL_VERBS = {
    **dict.fromkeys(("classify", "categorise", "categorize", "triage", "label", "tag", "route", "sort", "detect", "identify"), "classify"),
    **dict.fromkeys(("score", "rate", "rank", "prioritise", "prioritize", "assess", "evaluate"), "score"),
    **dict.fromkeys(("summarise", "summarize"), "summarise"),
    **dict.fromkeys(("answer", "respond"), "answer"),
    **dict.fromkeys(("reply", "draft", "write", "compose"), "reply"),
    **dict.fromkeys(("extract", "parse"), "extract"),
    "translate": "translate",
    "moderate": "moderate",
    "screen": "moderate",
    "enrich": "enrich",
    **dict.fromkeys(("check", "verify", "decide", "determine", "compare", "validate", "judge", "review"), "decide"),
}  # fmt: skip
_OPTIONS = re.compile(
    r"\b(?:decide|determine|choose|return|answer|flag it as|mark it as)\s+(?:between\s+|whether\s+(?:to\s+)?)?"
    r"[`'\"]?([\w-]+)[`'\"]?((?:\s*(?:,|/|\bor\b|, or\b)\s*[`'\"]?[\w-]+[`'\"]?)+)",
    re.I,
)
_AGAINST = re.compile(
    r"\b(?:against|per|according to|based on|using|with)\s+(?:the\s+|our\s+|their\s+)?((?:[\w&-]+\s+){0,3}?"
    r"(?:policy|policies|list|playbook|guidelines?|handbook|rules|docs|documents|documentation|requirements|criteria|"
    r"style guide|terms))\b",
    re.I,
)


def decision_options(clause: str) -> list[str]:
    """'decide approve or review' -> [approve, review]; none named -> []."""
    m = _OPTIONS.search(clause)
    if not m:
        return []
    rest = re.split(r"\s*(?:,|/|\bor\b)\s*", m.group(2))
    words = [m.group(1), *rest]
    return list(dict.fromkeys(_snake(w.strip("`'\" ")) for w in words if w.strip("`'\" ,")))[:6]


_OPTION = r"[`'\"]?([a-z][\w-]*)[`'\"]?"
_RESPONSE_OPTIONS = re.compile(
    r"\b(?:answers?|respond(?:s)?|repl(?:y|ies)|returns?|needs?|wants?|expects?|waits?(?:\s+at\s+most\s+[\w\s.]+?)?\s+for|"
    r"decide\s+(?:whether\s+)?(?:to\s+)?|classify\s+(?:it|them|each\s+\w+)\s+as|mark\s+(?:it|them)\s+as|"
    r"(?:a\s+)?verdict\s+(?:of|:))\s*"
    r"(?:with\s+)?(?:a\s+verdict\s+of\s+|an?\s+|one\s+of\s+)?"
    + _OPTION
    + r"((?:\s*,\s*"
    + _OPTION
    + r")*)\s*,?\s+or\s+"
    + _OPTION,
    re.I,
)


_BY_SERVICE = re.compile(
    r"\b(?:with|using|via|through|by calling)\s+(?:our|the|their)\s+((?:[\w-]+\s+){0,4}?)(?:api|service|endpoint|scorer|model server)\b",
    re.I,
)


def read_response_options(sentences: list[str]) -> list[str]:
    """The values the response is one of: 'needs approve, review or decline within 300 ms'."""
    for sentence in sentences:
        m = _RESPONSE_OPTIONS.search(sentence)
        if m:
            middle = re.findall(r"[`'\"]?([a-z][\w-]*)[`'\"]?", m.group(2) or "", re.I)
            options = [m.group(1), *middle, m.group(m.lastindex)]
            options = [o.lower() for o in options if o.lower() not in ("a", "an", "the")]
            if 2 <= len(options) <= 6:
                return list(dict.fromkeys(options))
    return []


# "decline at 0.8 and above", "send to review from 0.4", "approve below": a band per option
_NOT_TIME = r"(?!\s*(?:ms|milliseconds?|s|secs?|seconds?|minutes?|min)\b)"
_BAND_AT = re.compile(
    r"(?:\bat|\bfrom|\babove|\bover|>=?)\s*(\d+(?:\.\d+)?)"
    + _NOT_TIME
    + r"\s*(%)?(?:\s+(?:and|or)\s+(above|over|higher|more))?|"
    r"(\d+(?:\.\d+)?)" + _NOT_TIME + r"\s*(%)?\s+(?:and|or)\s+(above|over|higher|more)",
    re.I,
)


def read_bands(sentences: list[str], options: list[str]) -> tuple[list[Band], str | None]:
    """Decision bands over a score, and the option answered when the score cannot be had."""
    if not options:
        return [], None
    stems = {option: _stem(option) for option in options}
    bands: list[Band] = []
    fallback = None
    for sentence in sentences:
        for a, b in clauses_of(sentence):
            clause = sentence[a:b].strip(" ,;.")
            words = [w.lower() for w in re.findall(r"[A-Za-z][\w-]*", clause)]
            if not words:
                continue
            named = [o for o, st in stems.items() if any(_stem(w) == st for w in words[:4])]
            if not named or _RESPONSE_OPTIONS.search(sentence[max(0, a - 40) : b]):
                continue  # the sentence that lists the options is not a band
            if re.match(r"\W*(?:answer|respond|return|reply)\b", clause, re.I) and re.search(
                r"\b(?:if|when)\b", sentence[:a], re.I
            ):
                fallback = fallback or named[0]  # "If the scorer's answer is garbage, answer `review`"
                continue
            m = _BAND_AT.search(clause)
            if m:
                value = float(m.group(1) or m.group(4))
                if (m.group(2) or m.group(5)) or value > 1:
                    value /= 100
                bands.append(Band(named[0], ">=", value, clause))
            elif re.search(r"\b(?:below|under|otherwise|else)\b", clause, re.I):
                bands.append(Band(named[0], None, None, clause))
    if len([b for b in bands if b.op]) < 1 or len({b.option for b in bands}) < 2:
        return [], fallback
    return sorted(bands, key=lambda b: (b.value is None, -(b.value or 0))), fallback


def _stem(word: str) -> str:
    """held -> hold, blocked -> block, approved -> approv, declines -> declin: options in any form."""
    w = word.lower().strip("`'\"")
    irregular = {
        "held": "hold",
        "sent": "send",
        "allowed": "allow",
        "approved": "approv",
        "approve": "approv",
    }
    if w in irregular:
        return irregular[w]
    for suffix in ("ing", "ed", "es", "e", "s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


def is_band(clause: str, options: list[str]) -> bool:
    """A clause that states a value of the answer rather than an action: its verb is an option
    ("decline at 0.8 and above", "hold the post for a human"), or it answers with one
    ("answer `review`"), or it sends to one at a threshold ("send to review from 0.4").
    "Approved payouts get released" names an option as a condition, and is an action."""
    from copilot.draft.clauses import verb_of

    verb = verb_of(clause)
    if verb is None:
        return False
    if option_of(verb, options):
        return True
    rest = clause.lower()
    if verb in ("answer", "respond", "reply", "return") and option_of(rest, options):
        return True
    return (
        verb in ("send", "route", "move", "put")
        and bool(option_of(rest, options))
        and bool(re.search(r"\d", rest))
    )


def option_of(text: str, options: list[str]) -> str | None:
    """The response option a phrase names, in any inflection ("Blocked posts" -> block)."""
    stems = {_stem(o): o for o in options}
    for word in re.findall(r"[A-Za-z][\w-]*", text):
        if _stem(word) in stems:
            return stems[_stem(word)]
    return None


def clauses_of(sentence: str) -> list[tuple[int, int]]:
    from copilot.draft.clauses import clause_spans

    return clause_spans(sentence)


def read_actions(
    sentences: list[str],
    brief: str,
    tasks: list[Task],
    matches: list[Match],
    options: list[str] | None = None,
) -> list[Task]:
    """Actions the task vocabulary has no word for ("block the card via our risk API"), read as
    verb + object + the system named, so no requirement of the brief is silently dropped."""
    from copilot.draft.clauses import requirement_clauses

    # A clause is implemented only by a task that acts: "post a summary to Slack" needs a
    # post, even though the summary task sits in the same clause.
    taken = [
        (t.sentence, _clause_span(sentences[t.sentence], t.start))
        for t in tasks
        if t.start >= 0 and t.kind in ("notify", "store", "act")
    ]
    added: list[Task] = []
    for clause in requirement_clauses(brief):
        index = next((i for i, s in enumerate(sentences) if clause.text in s), None)
        if index is None:
            continue
        if not clause.effectful:
            taken_any = [
                (t.sentence, _clause_span(sentences[t.sentence], t.start)) for t in tasks if t.start >= 0
            ]
            # "Route inbound sales emails" restates the classification: the classify step quotes it too
            kind = _MODEL_VERBS.get(clause.verb)
            owner = next((t for t in tasks if t.kind == kind), None)
            at = sentences[index].index(clause.text)
            if kind is None or any(i == index and a <= at < b for i, (a, b) in taken_any):
                continue
            if owner is not None:
                owner.also.append(Task(kind, clause.text, index, at))
            else:  # a model task the vocabulary missed ("route the tech stuff"): drafted, quoting it
                missed = Task(kind, clause.text, index, at)
                missed.quote = clause.text
                if kind == "decide":
                    # "check each request against our sanctions list and decide approve or review"
                    missed.labels = decision_options(sentences[index]) or ["pass", "fail"]
                    against = _AGAINST.search(sentences[index])
                    missed.docs = against.group(1).lower() if against else None
                _attach_conditions(sentences[index], index, [missed], matches)
                added.append(missed)
            continue
        sentence = sentences[index]
        start = sentence.index(clause.text)
        span = _clause_span(sentence, start)
        if any(i == index and a < span[1] and span[0] < b for i, (a, b) in taken):
            continue
        if options and is_band(clause.text, options) and not clause.destination:
            # "decline at 0.8 and above", "hold the post for a human": the answer's value, not an action
            matches.append(Match("band", clause.text, index, start, start + len(clause.text)))
            continue
        same = [
            t
            for t in tasks + added
            if t.kind in ("notify", "store", "act")
            and re.match(rf"\W*{re.escape(clause.verb)}", t.text, re.I)
        ]
        if same and clause.limiter and len(_WORD.findall(clause.text)) <= 12:
            # "Only send if the cart value is over $50": the brief limits an action it already named
            probe = Task(same[0].kind, clause.text, index, start + clause.text.lower().find(clause.verb))
            _attach_conditions(sentence, index, [probe], matches)
            if probe.condition is not None or probe.unmapped_condition:
                for task in same:
                    task.condition = task.condition or probe.condition
                    task.unmapped_condition = task.unmapped_condition or probe.unmapped_condition
                    task.also.append(probe)
                continue
        verb_at = re.search(rf"\b{re.escape(clause.verb)}\w*", clause.text, re.I) or re.match(
            r"", clause.text
        )
        rest = clause.text[verb_at.end() :]
        stop = _OBJECT_STOP.search(rest)
        obj = rest[: stop.start()] if stop else rest
        obj = re.sub(r"\(.*?\)", "", obj).strip(" ,.")
        system = re.search(
            r"\b(?:via|through|using|in|on|to|into)\s+(?:the\s+|our\s+|their\s+)?([\w#-]+(?:\s+(?:api|service|system))?)",
            rest,
            re.I,
        )
        # a channel named outright wins over "on-call" used as an adjective ("the on-call Slack channel")
        named = [name for name, p in _CHANNELS if p.search(clause.text)]
        channel = next((n for n in named if n != "pagerduty"), named[0] if named else None)
        task = Task(
            "notify" if channel else "act", clause.text, index, start + verb_at.start(), channel=channel
        )
        task.action = " ".join(f"{clause.verb} {obj}".split()[:5])
        task.target = system.group(1).lower() if system and not channel else None
        task.quote = clause.text
        _attach_conditions(sentence, index, [task], matches)
        written = re.search(
            r"\b(?:written|drafted|generated|composed)\s+by\s+(?:an?\s+|the\s+)?(?:llm|model|ai|gpt)\b",
            clause.text,
            re.I,
        )
        if written and task.kind == "act":
            # "a short note written by an LLM and attached to the case": the model writes, then the act
            writer = Task("reply", clause.text, index, start, condition=task.condition)
            writer.quote = clause.text
            writer.background = bool(_BACKGROUND.search(sentence))
            task.after.append("reply")
            added.append(writer)
        added.append(task)
        matches.append(Match("task", clause.text, index, start, start + len(clause.text)))
    return tasks + added


_THEN = re.compile(r"\b(?:then|after that|afterwards|next|followed by|before)\b", re.I)
_THEN_OPENS = re.compile(r"^\W*(?:then|after that|afterwards|next|finally|once that'?s? done)\b", re.I)


def read_order(sentences: list[str], tasks: list[Task]) -> None:
    """The order the brief states: "enrich, then score", "translate first, then classify",
    "Then post it to Slack." Each task records the kinds the brief puts before it."""
    # every mention counts: "score each one in 300 ms. First look up the ledger, then have a
    # model score the risk" orders the second mention of the score after the lookup
    mentions = [(t, t) for t in tasks if t.start >= 0] + [
        (m, t) for t in tasks for m in t.also if m.start >= 0
    ]
    placed_pairs = sorted(mentions, key=lambda p: (p[0].sentence, p[0].start))
    placed = [m for m, _ in placed_pairs]
    owner = {id(m): t for m, t in placed_pairs}
    for earlier, later in itertools.pairwise(placed):
        if earlier.kind == later.kind:
            continue
        if earlier.sentence == later.sentence:
            between = sentences[later.sentence][earlier.start + len(earlier.text) : later.start]
            ordered = bool(_THEN.search(between)) or bool(
                re.search(r"\bfirst\b", sentences[earlier.sentence][earlier.start : later.start], re.I)
            )
        else:
            ordered = bool(_THEN_OPENS.match(sentences[later.sentence])) and later.start == min(
                t.start for t in placed if t.sentence == later.sentence
            )
        target = owner[id(later)]
        if ordered and earlier.kind not in target.after and earlier.kind != target.kind:
            target.after.append(earlier.kind)


_PRONOUN_IF = re.compile(
    r"\b(?:if|when)\s+(?:it'?s|its|it is|they are|they're|the (?:label|intent|category|type) is|so|yes|it does|that'?s the case)"
    r"(?:\s+(?:an?\s+)?([\w-]+))?",
    re.I,
)
_WHETHER = re.compile(r"\b(?:whether|if)\s+(.+?)(?=[,.;]|$)", re.I)


def _lead_labels(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """'For cancellations within 24 hours of the slot, add the patient to the watchlist', 'For
    every new booking, send an SMS': a sentence led by one of the classifier's labels limits its
    actions to that label (and to whatever else the lead says, decided by the classifier)."""
    labels = [label for t in tasks if t.kind == "classify" for label in t.labels]
    if not labels:
        return
    for task in tasks:
        if task.condition is not None or task.kind not in _ACTING or task.start < 0:
            continue
        m = re.match(
            r"\W*for\s+(?:every\s+|each\s+|all\s+|any\s+)?([^,]{2,80}),", sentences[task.sentence], re.I
        )
        if m is None or m.end() > task.start:
            continue
        words = [_stem(w) for w in re.findall(r"[A-Za-z][\w-]*", m.group(1))]
        label = next((lb for lb in labels if all(_stem(p) in words for p in lb.split("_"))), None)
        if label is None:
            continue
        rest = [
            w
            for w in re.findall(r"[A-Za-z0-9][\w-]*", m.group(1))
            if _stem(w) not in [_stem(p) for p in label.split("_")]
        ]
        cond = Condition("label", m.group(0).rstrip(","), "==", label)
        if len(rest) >= 2:
            extra = " ".join(rest)
            cond.alternatives = [Condition("field", extra, "==", True, output_field=_snake(extra)[:40])]
            cond.all_of = True
        task.condition = cond
        task.unmapped_condition = None
        matches.append(Match("condition", m.group(0), task.sentence, m.start(), m.end()))


def _otherwise_across(sentences: list[str], tasks: list[Task]) -> None:
    """'If X, escalate; otherwise submit it': an "otherwise" sentence negates the condition of
    the sentence before it (the brief's ; and . split them)."""
    for task in tasks:
        if task.condition is not None or task.start < 0 or task.kind not in _ACTING:
            continue
        if not re.match(
            r"\W*(?:otherwise|else|if not|if it isn'?t|if not so)\b", sentences[task.sentence], re.I
        ):
            continue
        earlier = [t for t in tasks if t.sentence == task.sentence - 1 and t.condition is not None]
        if earlier:
            cond = earlier[-1].condition
            task.condition = _negate(cond, f"otherwise (not {cond.text})")
            task.unmapped_condition = None


def _pronoun_conditions(sentences: list[str], tasks: list[Task], labels: list[str]) -> None:
    """'if its cancel, send it to retention' (a label); 'Check whether X. If it is, text the
    driver' (the earlier question): conditions that name their subject by a pronoun."""
    for task in tasks:
        if task.condition is not None or task.kind not in _ACTING or task.start < 0:
            continue
        sentence = sentences[task.sentence]
        m = _PRONOUN_IF.search(sentence[: task.start + len(task.text)])
        if m is None:
            continue
        word = _snake(m.group(1) or "")
        if word in labels:
            task.condition = Condition("label", m.group(0), "==", word)
            task.unmapped_condition = None
            continue
        for earlier in reversed(sentences[max(0, task.sentence - 1) : task.sentence + 1]):
            question = _WHETHER.search(earlier[: m.start()] if earlier is sentence else earlier)
            if question and len(question.group(1).split()) >= 2:
                text = question.group(1).strip()
                task.condition = Condition("field", text, "==", True, output_field=None)
                task.unmapped_condition = None
                task.condition.output_field = (
                    "_".join(
                        w
                        for w in re.findall(r"[a-z0-9]+", text.lower())
                        if w not in ("the", "a", "an", "is", "are", "it", "its")
                    )[:40]
                    or "condition_met"
                )
                break


def _label_lists(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """'Intents: play music, set timer, weather, other.' as a sentence of its own."""
    classify = next((t for t in tasks if t.kind == "classify"), None)
    for index, sentence in enumerate(sentences):
        m = _LABEL_SENTENCE.match(sentence)
        if m is None:
            continue
        items = _label_items(m.group(1))
        if len(items) >= 2:
            matches.append(Match("labels", sentence, index, 0, len(sentence)))
            if classify is not None and not classify.labels:
                classify.labels = items[:12]


def _dedupe(tasks: list[Task]) -> list[Task]:
    """One task per kind (notify: per channel), first mention first; later mentions add details."""
    out: list[Task] = []
    for task in tasks:
        same = next(
            (t for t in out if t.kind == task.kind and (task.kind != "notify" or t.channel == task.channel)),
            None,
        )
        if same is None:
            out.append(task)
            continue
        same.also.append(task)  # the brief says it again: the step quotes every mention
        same.labels = same.labels or task.labels
        same.fields = same.fields or task.fields
        same.docs = same.docs or task.docs
        same.target = same.target or task.target
        same.condition = same.condition or task.condition
        if same.condition is None:
            same.unmapped_condition = same.unmapped_condition or task.unmapped_condition
        same.channel_named = same.channel_named or task.channel_named
    return out


# ---------------------------------------------------------------------------- the domain noun

_NOUNS = [
    ("support", r"\b(support )?tickets?\b|\bsupport\b|\bhelp ?desk\b"),
    ("transaction", r"\b(transactions?|payments?|charges?|card)\b"),
    ("lead", r"\b(leads?|sign-?ups?|prospects?)\b"),
    ("review", r"\b(reviews?|ratings?)\b"),
    ("content", r"\b(comments?|posts?|user[- ]generated|uploads?|chat messages?)\b"),
    ("incident", r"\b(incidents?|alerts?|outages?|pages?)\b"),
    ("order", r"\b(orders?|purchases?|checkouts?)\b"),
    ("invoice", r"\b(invoices?|receipts?|bills?)\b"),
    ("email", r"\b(e-?mails?|inbox)\b"),
    ("document", r"\b(documents?|contracts?|pdfs?|files?)\b"),
    ("application", r"\b(applications?|resumes?|cvs?|candidates?)\b"),
    ("call", r"\b(calls?|transcripts?|voicemails?)\b"),
    ("claim", r"\b(claims?)\b"),
    ("message", r"\b(messages?|chats?|dms?|sms)\b"),
]


def _event_noun(sentences: list[str], trigger: Trigger) -> str:
    """What each event is: named where the brief says how events arrive, else anywhere."""
    if trigger.text:
        arriving = next((s for s in sentences if trigger.text in s), None)
        if arriving is not None:
            noun = read_noun(arriving)
            if noun != "event":
                return noun
    return read_noun(" ".join(sentences))


def read_noun(text: str) -> str:
    best, best_pos = "event", len(text) + 1
    for noun, pattern in _NOUNS:
        m = re.search(pattern, text, re.I)
        if m and m.start() < best_pos:
            best, best_pos = noun, m.start()
    return best


# ---------------------------------------------------------------------------- event, documents, care

_PRIVACY = re.compile(
    r"\b(redact\w*|pii|personal (?:data|information)|gdpr|privacy|(?:must not|mustn'?t|shouldn'?t|should not|never)"
    r" (?:end up|appear|show up|be stored|be logged)(?: \w+){0,2} (?:in )?(?:the )?(?:logs?|traces?)(?: or (?:logs?|traces?))?)\b",
    re.I,
)
_GROUNDING = re.compile(
    r"\b((?:must |should )?only (?:come )?from (?:the |our )?[\w-]+(?: [\w-]+)?|never from (?:the )?model'?s? (?:own )?memory|"
    r"(?:don'?t|do not|never) (?:make (?:things|stuff|anything) up|hallucinat\w*|invent \w+)|no hallucinat\w*|"
    r"cite (?:the |its |their )?sources?|grounded|based (?:only|solely|purely|exclusively|strictly) on|"
    r"(?:using|use|from|on) only (?:the |our )?[\w-]+|only (?:using|use|on|based on) (?:the |our )?[\w-]+|"
    r"never (?:quote|state|give|invent|promise) (?:a |an |any )?[\w-]+ (?:that|which) (?:isn'?t|is not|aren'?t|are not) in)\b",
    re.I,
)
_EVENT_FIELDS = re.compile(
    r"\b(?:event|payload|body|input)s?\b[^{}\n]{0,30}?\{\s*([A-Za-z_][\w\s,.?]*)\}", re.I
)
_DOCS_GLOB = re.compile(
    r"`([^`\s]*[/*][^`\s]*\.(?:md|markdown|txt|html?|rst|pdf|json))`|\b((?:[\w.-]+/)+[\w.-]*\*[\w.*-]*)|"
    r"\b((?:[\w.-]+/)+[\w.-]+\.(?:md|markdown|txt|html?|rst))\b|(?:\bin|\bunder|\bat|\bfrom)\s+`?((?:[\w.-]+/)+)(?=[`\s).,;]|$)"
)


def read_event_fields(sentences: list[str], matches: list[Match]) -> list[str]:
    """`Event: {id, subject, body, email}` -> the field names (all read as strings)."""
    for index, sentence in enumerate(sentences):
        m = _EVENT_FIELDS.search(sentence)
        if m:
            names = [re.sub(r"\W", "", f) for f in m.group(1).split(",")]
            names = [n for n in names if re.fullmatch(r"[A-Za-z_]\w{0,40}", n)]
            if names:
                matches.append(Match("event", m.group(0), index, m.start(), m.end()))
                return names[:30]
    return []


def read_docs_glob(sentences: list[str], matches: list[Match]) -> str | None:
    for index, sentence in enumerate(sentences):
        m = _DOCS_GLOB.search(sentence)
        if m:
            path = (m.group(1) or m.group(2) or m.group(3) or m.group(4)).lstrip("./")
            if path.endswith("/"):
                path += "**/*.md"  # a folder: its Markdown documents (said in the assumptions)
            if not path.startswith("/") and ".." not in path.split("/"):
                matches.append(Match("docs", m.group(0), index, m.start(), m.end()))
                return path
    return None


# ---------------------------------------------------------------------------- the reader

_FILLER = re.compile(r"^(thanks?( you)?|thx|cheers|please|pls|hi|hello|hey|ok|okay|asap|ty|lol)[!. ]*$", re.I)


def read(brief: str) -> Reading:
    """What the offline drafter understood of `brief`, and what it did not."""
    sentences = split_sentences(brief)
    matches: list[Match] = []
    trigger = read_trigger(sentences, matches)
    sla = read_sla(sentences, matches)
    cost = read_cost(sentences, matches)
    from copilot.draft.clauses import headings

    tasks = read_tasks(sentences, matches, headings(brief, sentences))
    tasks = [
        t
        for t in tasks
        if t.kind not in ("notify", "store", "answer", "reply") or _acts(sentences[t.sentence], t.start)
    ]
    tasks = read_destinations(sentences, tasks, matches)
    options = read_response_options(sentences)
    bands, fallback = read_bands(sentences, options)
    tasks = read_actions(sentences, brief, tasks, matches, options)
    if options:
        # "send to review from 0.4", "answer `review`", "review or decline within 300 ms": values
        # of the answer, not work or actions
        tasks = [
            t
            for t in tasks
            if t.kind in ("classify", "score", "moderate", "extract", "summarise", "translate", "enrich")
            or not is_band(t.quote or quote_for(sentences[t.sentence], t.start), options)
            or (t.kind in ("notify", "store", "act") and t.target)
        ]
    for task in tasks:
        # "Score them with our fraud scoring API": within the task's own clause ("fetch … from the
        # API, categorise them" is a data source, not who categorises)
        api = (
            _BY_SERVICE.search(quote_for(sentences[task.sentence], task.start))
            if task.kind in ("score", "classify", "moderate", "extract") and task.start >= 0
            else None
        )
        if api is not None and task.start >= 0:
            task.api = " ".join(api.group(1).split()) or "scoring"
    _pronoun_conditions(
        sentences, tasks, [label for t in tasks if t.kind == "classify" for label in t.labels]
    )
    _otherwise_across(sentences, tasks)
    _lead_labels(sentences, tasks, matches)
    lead = event_lead(sentences)
    if lead is not None:
        # "Whenever a patient books, moves or cancels an appointment, …": the arriving event
        head = sentences[lead[0]][lead[1] : lead[2]]
        tasks = [t for t in tasks if not (t.sentence == lead[0] and lead[1] <= t.start < lead[2])]
        for task in tasks:
            if task.unmapped_condition and task.unmapped_condition in head:
                task.unmapped_condition = None
            if task.condition is not None and task.condition.kind == "field" and task.condition.text in head:
                task.condition = None
    read_order(sentences, tasks)
    for task in tasks:
        if task.quote is None and task.start >= 0:
            task.quote = quote_for(sentences[task.sentence], task.start)
        task.quotes = list(
            dict.fromkeys(
                [
                    task.quote or "",
                    *(quote_for(sentences[t.sentence], t.start) for t in task.also if t.start >= 0),
                ]
            )
        )
    for index, sentence in enumerate(sentences):
        for pattern, kind in ((_BACKGROUND, "background"), (_PRIVACY, "privacy"), (_GROUNDING, "grounding")):
            for m in pattern.finditer(sentence):
                matches.append(Match(kind, m.group(0), index, m.start(), m.end()))
    event_fields = read_event_fields(sentences, matches)
    rate = read_rate(sentences, matches)
    concurrency = read_concurrency(sentences, matches)
    docs_glob = read_docs_glob(sentences, matches)
    reading = Reading(
        sentences=sentences,
        trigger=trigger,
        sla=sla.seconds,
        sla_text=sla.text,
        sla_vague=sla.vague,
        realtime=sla.realtime,
        budget=cost.budget,
        budget_text=cost.budget_text,
        cost_tier=cost.tier,
        cost_text=cost.tier_text,
        tasks=tasks,
        matches=matches,
        noun=_event_noun(sentences, trigger),
        event_fields=event_fields,
        docs_glob=docs_glob,
        rate=rate,
        concurrency=concurrency,
        response_options=options,
        bands=bands,
        fallback_option=fallback,
    )
    reading.unmapped = list(dict.fromkeys([*unmapped(sentences, matches), *_vague(tasks, matches)]))
    if lead is not None:  # the arriving event's own words were read, as the event
        head = sentences[lead[0]][lead[1] : lead[2]]
        reading.unmapped = [u for u in reading.unmapped if u.split(" (")[0] not in head]
    return reading


def _vague(tasks: list[Task], matches: list[Match]) -> list[str]:
    """Conditions no rule could read, and notifications with no channel: drafted, but guessed."""
    out = [
        f"{m.text} (a condition the offline drafter could not map)"
        for m in matches
        if m.kind == "unread_condition"
    ]
    for task in tasks:
        if task.kind == "notify" and not task.channel_named:
            out.append(
                f"{task.text.strip()} (no channel named: drafted a generic webhook, ${{env:ESCALATION_WEBHOOK_URL}})"
            )
    return out


def unmapped(sentences: list[str], matches: list[Match]) -> list[str]:
    """Clauses with no recognised phrase and at least three words: what the user should check."""
    out: list[str] = []
    for index, sentence in enumerate(sentences):
        spans = [(m.start, m.end) for m in matches if m.sentence == index]
        for a, b in clauses(sentence):
            if any(s < b and e > a for s, e in spans):
                continue
            clause = sentence[a:b].strip(" ,.;:!?")
            words = re.findall(r"[A-Za-z']+", clause)
            if len(words) >= 3 and not _FILLER.match(clause) and clause not in out:
                out.append(clause)  # once: a pasted brief repeats itself
    return out
