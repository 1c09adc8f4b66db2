"""Reading a brief without a model: trigger, SLA, budget, tasks and conditions, by vocabulary.

Deterministic and honest: every phrase the reader acted on is recorded with the
sentence it came from, and every clause it found nothing in is reported, so the user
knows which parts of the brief the offline draft did not take into account.
"""

# ruff: noqa: E501  (the vocabulary below is regular expressions, one family per line, easier to read whole)
from __future__ import annotations

import re
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------- words

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "sixty": 60,
    "half a": 0.5, "a half": 0.5,
}  # fmt: skip
_NUM = r"(\d+(?:\.\d+)?|half an?|a half|an?|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|sixty)"
_UNIT_SECONDS = {
    "ms": 0.001, "msec": 0.001, "msecs": 0.001, "millisecond": 0.001, "milliseconds": 0.001, "millis": 0.001,
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
}  # fmt: skip
_UNIT = r"(ms|msecs?|milliseconds?|millis|secs?|seconds?|s|mins?|minutes?|m|hrs?|hours?|h|days?|d)\b"
_DURATION = re.compile(_NUM + r"\s*-?\s*" + _UNIT)


def number(text: str) -> float:
    text = text.strip().lower()
    if text in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[text])
    return float(text)


def seconds(amount: str, unit: str) -> float:
    return number(amount) * _UNIT_SECONDS[unit.lower()]


# ---------------------------------------------------------------------------- results


@dataclass
class Match:
    """Something the reader understood: what, the words, and where."""

    kind: str
    text: str
    sentence: int
    start: int = 0
    end: int = 0


@dataclass
class Condition:
    """When a task runs: `urgent`, a score threshold, a label, a moderation flag."""

    kind: str  # urgent | score | label | flagged
    text: str
    op: str = "=="
    value: float | str | None = None


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


@dataclass
class Trigger:
    kind: str = "webhook"  # webhook | schedule | queue
    every: float | None = None
    cron: str | None = None
    broker: str | None = None  # kafka, sqs, rabbitmq, kinesis, pubsub, nats, queue
    topic: str | None = None
    auth: str = "standard-webhooks"
    text: str | None = None  # the phrase that decided it
    others: list[str] = field(default_factory=list)  # other trigger phrases (one trigger per flow)


@dataclass
class Reading:
    """Everything the offline drafter took from a brief."""

    sentences: list[str]
    trigger: Trigger
    sla: float | None = None
    sla_text: str | None = None
    realtime: bool = False
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
    unmapped: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- sentences

_ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|etc|vs|approx|incl)\.", re.I)


def split_sentences(text: str) -> list[str]:
    """Sentences of a brief: on . ! ? ; and line breaks (bullets too), never inside 1.5 or $0.01."""
    protected = _ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", "\x00"), text)
    parts: list[str] = []
    for line in re.split(r"\n\s*\n|\n\s*(?:[-*•]|\d+[.)])\s+|\n(?=[A-Z#])", protected):
        for piece in re.split(r"(?<=[.!?;])\s+|;\s*", line.replace("\n", " ")):
            piece = piece.replace("\x00", ".").strip(" \t-*•#>")
            if piece and re.search(r"[A-Za-z]", piece):
                parts.append(" ".join(piece.split()))
    return parts


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


# ---------------------------------------------------------------------------- trigger

_SCHEDULE_EVERY = re.compile(
    r"\bevery\s+(?:" + _NUM + r"\s+)?(second|sec|minute|min|hour|hr|day|week)s?\b", re.I
)
_SCHEDULE_WORDS = re.compile(r"\b(hourly|half-hourly)\b", re.I)
_DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
_SCHEDULE_AT = re.compile(
    r"\b(daily|nightly|weekly|every\s+(?:day|morning|evening|night|weekday|workday|business day|"
    r"week|sunday|monday|tuesday|wednesday|thursday|friday|saturday)|each\s+(?:day|morning|night|week)|"
    r"(?:on\s+)?(?:mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays))"
    r"(?:\s+(?:at|around|@)\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?:\s*(utc|gmt))?)?",
    re.I,
)
_CRON_LITERAL = re.compile(r"[`\"']((?:[\d*/,-]+\s+){4}[\d*/,A-Za-z-]+)[`\"']")
_BROKERS = {
    "kafka": "kafka", "sqs": "sqs", "rabbitmq": "rabbitmq", "rabbit": "rabbitmq", "kinesis": "kinesis",
    "pub/sub": "pubsub", "pubsub": "pubsub", "nats": "nats", "event hub": "eventhub", "eventbridge": "eventbridge",
    "redis stream": "redis", "service bus": "servicebus", "amqp": "rabbitmq", "sns": "sns",
}  # fmt: skip
_QUEUE = re.compile(
    r"\b(kafka|sqs|rabbitmq|rabbit|kinesis|pub/?sub|nats|event ?hub|eventbridge|redis stream|service bus|amqp|sns)\b"
    r"|\b(?:from|on|off|via|into|in|through|consum\w*|read\w*|subscrib\w*|listen\w*|pull\w*)\s+(?:an?|the|our|a\s+\w+)?\s*"
    r"(?:[\w.`'\"-]+\s+)?(queue|topic|stream)\b"
    r"|\b(queue|topic|stream)\s+(?:named|called)\b",
    re.I,
)
_TOPIC_NAME = re.compile(
    r"(?:topic|queue|stream)\s+(?:named|called)?\s*[`\"']?([a-z0-9][\w.-]*[a-z0-9])[`\"']?"
    r"|[`\"']([a-z0-9][\w.-]*)[`\"']\s+(?:topic|queue|stream)"
    r"|\b([a-z0-9]+[._-][\w.-]*[a-z0-9])\s+(?:topic|queue|stream)\b",
    re.I,
)
_WEBHOOK = re.compile(
    r"\b(web ?hooks?|http post|post request|endpoint|api call|form submission|submits? (?:a|the) form)\b",
    re.I,
)
_STOP_TOPIC = {"and", "or", "the", "a", "an", "our", "their", "is", "it", "to", "from", "with", "for", "that"}


def _hour(hour: str | None, minute: str | None, half: str | None) -> tuple[int, int]:
    h = int(hour) if hour else 9
    m = int(minute) if minute else 0
    if half:
        half = half.lower().replace(".", "")
        if half == "pm" and h < 12:
            h += 12
        if half == "am" and h == 12:
            h = 0
    return min(h, 23), min(m, 59)


def _cron_for(phrase: str, hour: str | None, minute: str | None, half: str | None) -> str:
    h, m = _hour(hour, minute, half)
    p = phrase.lower()
    if "nightly" in p or "night" in p:
        h, m = _hour(hour, minute, half or "pm") if hour else (2, 0)
    if "evening" in p and not hour:
        h = 18
    for index, day in enumerate(_DAYS):
        if day in p:
            return f"{m} {h} * * {index}"
    if "weekday" in p or "workday" in p or "business day" in p:
        return f"{m} {h} * * 1-5"
    if "week" in p:
        return f"{m} {h} * * 1"
    return f"{m} {h} * * *"


def read_trigger(sentences: list[str], matches: list[Match]) -> Trigger:
    found: list[tuple[int, int, Trigger, Match]] = []
    for index, sentence in enumerate(sentences):
        for m in _CRON_LITERAL.finditer(sentence):
            t = Trigger("schedule", cron=" ".join(m.group(1).split()), text=m.group(0))
            found.append((index, m.start(), t, Match("trigger", m.group(0), index, m.start(), m.end())))
        for m in _SCHEDULE_AT.finditer(sentence):
            cron = _cron_for(m.group(1), m.group(2), m.group(3), m.group(4))
            t = Trigger("schedule", cron=cron, text=m.group(0))
            found.append((index, m.start(), t, Match("trigger", m.group(0), index, m.start(), m.end())))
        for m in _SCHEDULE_EVERY.finditer(sentence):
            unit = m.group(2).lower()
            if unit in ("day", "week"):
                continue  # "every day" is handled with its time of day above
            amount = m.group(1) or "1"
            every = seconds(amount, {"sec": "s", "min": "minute", "hr": "hour"}.get(unit, unit))
            t = Trigger("schedule", every=every, text=m.group(0))
            found.append((index, m.start(), t, Match("trigger", m.group(0), index, m.start(), m.end())))
        for m in _SCHEDULE_WORDS.finditer(sentence):
            t = Trigger("schedule", every=1800.0 if "half" in m.group(1).lower() else 3600.0, text=m.group(0))
            found.append((index, m.start(), t, Match("trigger", m.group(0), index, m.start(), m.end())))
        for m in _QUEUE.finditer(sentence):
            named = re.search(r"\b(" + "|".join(re.escape(k) for k in _BROKERS) + r")\b", sentence, re.I)
            broker = _BROKERS[named.group(1).lower()] if named else "queue"
            t = Trigger("queue", broker=broker, text=m.group(0))
            topic = _TOPIC_NAME.search(sentence)
            if topic:
                name = next(g for g in topic.groups() if g)
                if name.lower() not in _STOP_TOPIC and name.lower() not in _BROKERS:
                    t.topic = name
            found.append((index, m.start(), t, Match("trigger", m.group(0), index, m.start(), m.end())))
        for m in _WEBHOOK.finditer(sentence):
            t = Trigger("webhook", text=m.group(0))
            found.append((index, m.start(), t, Match("trigger", m.group(0), index, m.start(), m.end())))
    text = " ".join(sentences).lower()
    if not found:
        trigger = Trigger("webhook")
    else:
        # Explicit words beat the default; the first trigger named wins, and the others are reported.
        found.sort(key=lambda f: (f[0], f[1]))
        trigger = found[0][2]
        for _, _, other, _ in found[1:]:
            if other.kind != trigger.kind and other.text and other.text not in trigger.others:
                trigger.others.append(other.text)
        for _, _, t, match in found:
            if t.kind == trigger.kind:
                matches.append(match)
                if trigger.kind == "queue" and not trigger.topic and t.topic:
                    trigger.topic = t.topic
                if trigger.kind == "queue" and trigger.broker == "queue" and t.broker != "queue":
                    trigger.broker = t.broker
    if "github" in text and trigger.kind == "webhook":
        trigger.auth = "github"
    return trigger


# ---------------------------------------------------------------------------- SLA, budget

_SLA_BEFORE = re.compile(
    r"(within|under|below|in less than|less than|in under|no more than|at most|max(?:imum)?|<=?|p9[59]\s*(?:latency\s*)?"
    r"(?:of|at|below|under|<=?|=|:|is)?|latency\s*(?:of|under|below|<)?|sla\s*(?:of|is|:)?|in|inside|by|budget of)\s*(?:~|about|around|roughly)?\s*$",
    re.I,
)
_SUBSECOND = re.compile(r"\bsub-?\s?second\b", re.I)
_REALTIME = re.compile(
    r"\b(real[- ]?time|instant(?:ly)?|immediately|right away|live|in the moment|low[- ]latency|fast as possible|asap)\b",
    re.I,
)
_NOT_SLA_BEFORE = re.compile(
    r"(every|for|after|older than|last|past|each|per|within the last|dedupe\w*)\s*$", re.I
)
_MAX_SLA = 120.0  # a "within 24 hours" is a business rule, not a realtime latency


def read_sla(sentences: list[str], matches: list[Match]) -> tuple[float | None, str | None, bool]:
    candidates: list[tuple[float, str, int, Match]] = []
    realtime = False
    for index, sentence in enumerate(sentences):
        for m in _DURATION.finditer(sentence):
            before = sentence[max(0, m.start() - 40) : m.start()]
            if _NOT_SLA_BEFORE.search(before) or not _SLA_BEFORE.search(before):
                continue
            value = seconds(m.group(1), m.group(2))
            if not 0 < value <= _MAX_SLA:
                continue
            start = m.start() - len(_SLA_BEFORE.search(before).group(0))
            phrase = sentence[start : m.end()].strip()
            promise = (
                1
                if re.match(
                    r"(within|under|below|in less than|less than|in under|no more than|at most|sla|<|p9[59]\s*(?:latency\s*)?(?:below|under|<))",
                    phrase,
                    re.I,
                )
                else 0
            )
            candidates.append((value, phrase, promise, Match("sla", phrase, index, start, m.end())))
        for m in _SUBSECOND.finditer(sentence):
            candidates.append((1.0, m.group(0), 0, Match("sla", m.group(0), index, m.start(), m.end())))
        for m in _REALTIME.finditer(sentence):
            realtime = True
            matches.append(Match("realtime", m.group(0), index, m.start(), m.end()))
    if not candidates:
        return None, None, realtime
    # The first promise stated ("within 300 ms") is the headline; a figure that only
    # describes something ("an API with p95 about 110 ms") counts only when nothing promises.
    promised = [c for c in candidates if c[2]] or candidates
    value, phrase, _, _ = min(promised, key=lambda c: (c[3].sentence, c[3].start))
    matches.extend(c[3] for c in candidates)
    return value, phrase, realtime


_MONEY = re.compile(
    r"(?:\$\s?(\d+(?:\.\d+)?|\.\d+)|(\d+(?:\.\d+)?)\s*(?:usd|dollars?)|(\d+(?:\.\d+)?|half a|a|one|two|three|four|five|ten)\s*(?:cents?|¢))"
    r"\s*(?:usd\s*)?(?:per|/|a|an|each|for each|for every|every)\s*(?:single\s+)?([a-z]+)",
    re.I,
)
_RATE = re.compile(
    r"\b(\d+(?:,\d{3})*)\s+(?:[\w-]+\s+){0,2}?(?:a|per|/|each)\s*(second|sec|s|minute|min)\b", re.I
)


def read_rate(sentences: list[str], matches: list[Match]) -> float | None:
    """'about 50 authorisations a second' -> 50.0 events per second."""
    for index, sentence in enumerate(sentences):
        for m in _RATE.finditer(sentence):
            count = float(m.group(1).replace(",", ""))
            per_second = count if m.group(2).lower().startswith("s") else count / 60
            if per_second > 0:
                matches.append(Match("rate", m.group(0), index, m.start(), m.end()))
                return per_second
    return None


_UNDER_A_CENT = re.compile(r"\b(?:under|below|less than)\s+(?:a|one)\s+(?:cent|penny)\b", re.I)
_CHEAP = re.compile(
    r"\b(cheap(?:ly|er|est)?|low[- ]cost|cost (?:matters|is important|sensitive)|cost[- ]sensitive|keep (?:the )?costs? "
    r"(?:down|low)|inexpensive|economical|on a budget|tight budget|budget is tight|as cheap as|minimi[sz]e (?:the )?cost)\b",
    re.I,
)
_PREMIUM = re.compile(
    r"\b(best (?:possible )?quality|highest quality|quality matters most|accuracy (?:matters|is) (?:most|critical)|"
    r"premium|cost is no (?:object|issue|concern)|money is no object|best model)\b",
    re.I,
)


def read_cost(
    sentences: list[str], matches: list[Match]
) -> tuple[float | None, str | None, str | None, str | None]:
    budget = budget_text = tier = tier_text = None
    for index, sentence in enumerate(sentences):
        for m in _MONEY.finditer(sentence):
            dollars = m.group(1) or m.group(2)
            value = float(dollars) if dollars else number(m.group(3)) / 100  # cents
            if value > 0 and budget is None:
                budget, budget_text = value, m.group(0)
                matches.append(Match("budget", m.group(0), index, m.start(), m.end()))
        for m in _UNDER_A_CENT.finditer(sentence):
            if budget is None:
                budget, budget_text = 0.01, m.group(0)
                matches.append(Match("budget", m.group(0), index, m.start(), m.end()))
        for pattern, name in ((_CHEAP, "economy"), (_PREMIUM, "premium")):
            for m in pattern.finditer(sentence):
                if tier is None:
                    tier, tier_text = name, m.group(0)
                matches.append(Match("cost", m.group(0), index, m.start(), m.end()))
    return budget, budget_text, tier, tier_text


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
    ("enrich", re.compile(r"\b(enrich\w*|look(?:s|ed|ing)? (?:\w+ )?up|lookup|fetch\w*|pull(?:s|ed|ing)? (?:in )?(?:data|details|info|"
                          r"history|the (?:customer|account|company))|pull(?:s|ed|ing)? (?:\w+ ){0,3}from|firmographic\w*|"
                          r"query (?:the |our )?(?:api|database|db|crm))\b", re.I)),
    ("notify", re.compile(r"\b(notif\w*|alert(?:s|ed|ing)? (?:the |our |a |on)|ping\w*|page(?:s|d)? (?:the |our )?on-?call|page (?:someone|them)|"
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


def _list_after(sentence: str, end: int) -> list[str]:
    """'the order number, amount and due date' after a verb -> [order_number, amount, due_date]."""
    rest = sentence[end:]
    rest = re.split(
        r"\b(?:from|out of|in the|into|of the|for|so|to|and then|then|before|after|when|if)\b|[.;:()]", rest
    )[0]
    items = [_snake(p) for p in re.split(r",|\band\b|\bor\b|/", rest)]
    return [
        i for i in items if i and len(i) <= 40 and i not in ("it", "them", "this", "that", "data", "info")
    ][:8]


def _labels(sentence: str, end: int) -> list[str]:
    """'into billing, bug or other' / 'as spam or ham' after a classify verb."""
    paren = re.match(r"\s*(?:it|them|each(?: \w+)?|the \w+|these|those)?\s*\(([^)]+)\)", sentence[end:], re.I)
    if paren:
        items = [_snake(p) for p in re.split(r",|\bor\b|\band\b|/", paren.group(1))]
        items = [i for i in items if i and len(i) <= 30]
        if len(items) >= 2:
            return items[:12]
    m = re.match(r"[^.;]*?\b(?:into|as|by|between)\s+(?:one of\s+)?(?:either\s+)?([\w\s,/'-]+?)(?:\.|;|$|\bthen\b|\bso\b|\band (?:then )?(?:answer|send|post|notify|page|store|escalate|reply|route))",
                 sentence[end:], re.I)  # fmt: skip
    if not m:
        return []
    items = [_snake(p) for p in re.split(r",|\bor\b|\band\b|/", m.group(1))]
    items = [
        i
        for i in items
        if i
        and len(i) <= 30
        and not re.fullmatch(r"(category|categories|type|types|urgency|priority|it|them|\d+)", i)
    ]
    return items[:12] if len(items) >= 2 else []


def _condition_in(sentence: str) -> list[tuple[int, Condition]]:
    out: list[tuple[int, Condition]] = []
    for m in re.finditer(
        r"\b(?:score|risk|probability|confidence|likelihood|rating)(?:\s+score)?\s+(?:is\s+|comes back\s+|goes\s+)?"
        r"(above|over|greater than|higher than|more than|exceeds|>=|>|at least|below|under|less than|lower than|<=|<)\s*"
        r"(\d+(?:\.\d+)?)\s*(%|percent)?",
        sentence,
        re.I,
    ):
        op = {"above": ">", "over": ">", "greater than": ">", "higher than": ">", "more than": ">", "exceeds": ">",
              ">=": ">=", ">": ">", "at least": ">=", "below": "<", "under": "<", "less than": "<",
              "lower than": "<", "<=": "<=", "<": "<"}[m.group(1).lower()]  # fmt: skip
        value = float(m.group(2))
        if m.group(3) or value > 1:
            value = value / 100
        out.append((m.start(), Condition("score", m.group(0), op, value)))
    for m in re.finditer(
        r"\b(?:if|when|whenever|for|where|only)\b[^,.;]{0,40}?\b(urgent|critical|high[- ]priority|p1|sev(?:erity)?[- ]?1|"
        r"emergenc\w*|high[- ]risk|risky|likely fraud\w*|suspicious|flagged|unsafe|toxic|violat\w*|not allowed|spam)\b",
        sentence,
        re.I,
    ):
        word = m.group(1).lower()
        if word in ("high-risk", "high risk", "risky", "suspicious") or word.startswith("likely fraud"):
            out.append((m.start(), Condition("score", m.group(0), ">", 0.8)))
        elif word in ("flagged", "unsafe", "toxic", "not allowed") or word.startswith("violat"):
            out.append((m.start(), Condition("flagged", m.group(0))))
        elif word == "spam":
            out.append((m.start(), Condition("label", m.group(0), "==", "spam")))
        else:
            out.append((m.start(), Condition("urgent", m.group(0))))
    for m in re.finditer(
        r"\b(urgent|critical|high[- ]priority)\s+(?:ones|tickets|issues|cases|messages|alerts|incidents|requests)\b",
        sentence,
        re.I,
    ):
        if not any(abs(pos - m.start()) < 45 for pos, _ in out):
            out.append((m.start(), Condition("urgent", m.group(0))))
    return out


def _task_label_condition(sentence: str, task_end: int) -> str | None:
    """'answer FAQ tickets' -> 'faq': the category a task is limited to."""
    m = re.match(r"\s+(?:the\s+)?(?:simple\s+)?([\w-]+(?:\s+request)?)\s+(?:tickets|questions|ones|requests|emails|messages|cases)\b",
                 sentence[task_end:], re.I)  # fmt: skip
    if m and _snake(m.group(1)) in [_snake(label) for label in _KNOWN_LABELS]:
        return _snake(m.group(1))
    return None


def read_tasks(sentences: list[str], matches: list[Match]) -> list[Task]:
    tasks: list[Task] = []
    for index, sentence in enumerate(sentences):
        taken: list[tuple[int, int]] = []
        found: list[Task] = []
        for kind, pattern in _TASK_PATTERNS:
            for m in pattern.finditer(sentence):
                if any(a <= m.start() < b for a, b in taken):
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
                    task.labels = _labels(sentence, m.end())
                    if re.match(r"detect\w*\s+(spam)", lower[m.start() :]):
                        task.labels = ["spam", "not_spam"]
                if kind == "extract":
                    task.fields = _list_after(sentence, m.end())
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
                    label = _task_label_condition(sentence, m.end())
                    if label:
                        task.condition = Condition("label", f"{m.group(0)} {label}", "==", label)
                if kind in ("notify",):
                    window = sentence[m.start() : m.end() + 50]
                    channels = [name for name, p in _CHANNELS if p.search(window)]
                    if not channels:
                        # A channel named as a data source ("from the PagerDuty API") is not a destination.
                        elsewhere = re.sub(
                            r"\bfrom (?:the |our )?[\w-]+(?: [\w-]+)?", " ", sentence, flags=re.I
                        )
                        channels = [name for name, p in _CHANNELS if p.search(elsewhere)]
                    if "escalat" in m.group(0).lower() and not channels:
                        channels = [
                            "pagerduty" if re.search(r"on-?call|engineer|sre|ops", lower) else "webhook"
                        ]
                    if not channels:
                        channels = ["webhook"]
                    for channel in channels:
                        if any(
                            t.kind == "notify" and t.channel == channel
                            for t in found + tasks
                            if t.sentence == index
                        ):
                            continue
                        found.append(Task("notify", m.group(0), index, m.start(), channel=channel))
                    taken.append((m.start(), m.end()))
                    matches.append(Match("task", m.group(0), index, m.start(), m.end()))
                    continue
                if kind in ("enrich", "store"):
                    dest = next((d for d in _DESTINATIONS if re.search(rf"\b{d}\b", lower)), None)
                    task.target = dest
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
            for position, condition in _condition_in(sentence):
                matches.append(
                    Match("condition", condition.text, index, position, position + len(condition.text))
                )
                acting = [
                    t
                    for t in found
                    if t.kind in ("notify", "store", "answer", "reply", "enrich", "summarise")
                ]
                if not acting:
                    continue
                nearest = min(acting, key=lambda t: abs(t.start - position))
                if nearest.condition is None:
                    nearest.condition = condition
        tasks.extend(found)
    return _dedupe(tasks)


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
        same.labels = same.labels or task.labels
        same.fields = same.fields or task.fields
        same.docs = same.docs or task.docs
        same.target = same.target or task.target
        same.condition = same.condition or task.condition
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
    r"cite (?:the |its |their )?sources?|grounded)\b",
    re.I,
)
_EVENT_FIELDS = re.compile(
    r"\b(?:event|payload|body|input)s?\b[^{}\n]{0,30}?\{\s*([A-Za-z_][\w\s,.?]*)\}", re.I
)
_DOCS_GLOB = re.compile(
    r"`([^`\s]*[/*][^`\s]*\.(?:md|markdown|txt|html?|rst|pdf|json))`|\b((?:[\w.-]+/)+[\w.-]*\*[\w.*-]*)"
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
            path = (m.group(1) or m.group(2)).lstrip("./")
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
    sla, sla_text, realtime = read_sla(sentences, matches)
    budget, budget_text, tier, tier_text = read_cost(sentences, matches)
    tasks = read_tasks(sentences, matches)
    for index, sentence in enumerate(sentences):
        for pattern, kind in ((_BACKGROUND, "background"), (_PRIVACY, "privacy"), (_GROUNDING, "grounding")):
            for m in pattern.finditer(sentence):
                matches.append(Match(kind, m.group(0), index, m.start(), m.end()))
    event_fields = read_event_fields(sentences, matches)
    rate = read_rate(sentences, matches)
    docs_glob = read_docs_glob(sentences, matches)
    reading = Reading(
        sentences=sentences,
        trigger=trigger,
        sla=sla,
        sla_text=sla_text,
        realtime=realtime,
        budget=budget,
        budget_text=budget_text,
        cost_tier=tier,
        cost_text=tier_text,
        tasks=tasks,
        matches=matches,
        noun=read_noun(" ".join(sentences)),
        event_fields=event_fields,
        docs_glob=docs_glob,
        rate=rate,
    )
    reading.unmapped = unmapped(sentences, matches)
    return reading


def unmapped(sentences: list[str], matches: list[Match]) -> list[str]:
    """Clauses with no recognised phrase and at least three words: what the user should check."""
    out = []
    for index, sentence in enumerate(sentences):
        spans = [(m.start, m.end) for m in matches if m.sentence == index]
        for a, b in clauses(sentence):
            if any(s < b and e > a for s, e in spans):
                continue
            clause = sentence[a:b].strip(" ,.;:!?")
            words = re.findall(r"[A-Za-z']+", clause)
            if len(words) >= 3 and not _FILLER.match(clause):
                out.append(clause)
    return out
