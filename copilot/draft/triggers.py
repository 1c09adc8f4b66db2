"""What starts a flow, read from a brief: a webhook, a schedule or a queue.

One table (see `copilot.draft.phrases`), `TRIGGERS`: each row is a pattern, the trigger
kind it names, how strongly it names it, and how to read the details (cron, broker, topic,
GitHub signatures). The reader takes the strongest phrase, the earliest among equals:

- `STATED`: the brief says how the flow is triggered ("a scheduled trigger is used",
  "triggered by a webhook", "consumes from the orders topic", "arrives by webhook");
- `NAMED`: a mechanism is named ("Kafka", "webhook", "daily at 9", "hourly");
- `INFERRED`: a source that pushes ("form submissions", "Stripe events", "calls our endpoint");
- `RESULT`: a timetable word in what the flow *produces* ("a daily digest"); it makes the
  trigger a schedule only when nothing else says how events arrive.

So an explicit statement wins over inference, and "a daily digest" or "tomorrow's report"
never turns a flow fed by a webhook or a queue into a schedule. Rows with no kind name
things that are not triggers ("the dead-letter queue", "for the weekly report") and only
keep later rows from reading those words.

Phrases of the chosen kind add their details (a stated "scheduled trigger" takes its cron
from "daily at 7am"); strong phrases of another kind are kept in `Trigger.others`, since a
flow has one trigger and the user should know which mention was not used.
"""

# ruff: noqa: E501  (the vocabulary below is regular expressions, one row per line, easier to read whole)
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from copilot.draft.numbers import seconds
from copilot.draft.phrases import Match, scan

RESULT, INFERRED, NAMED, STATED = 0, 1, 2, 3


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
    timezone: str | None = None  # IANA zone a schedule's times are read in ("8am Pacific")


@dataclass(frozen=True)
class TriggerPhrase:
    """A row of `TRIGGERS`: words, the trigger kind they name (None: not a trigger), how strongly, and its details."""

    pattern: re.Pattern[str]
    kind: str | None
    strength: int = NAMED
    details: Callable[[re.Match[str], str], Trigger] | None = None


# ---------------------------------------------------------------------------- details

_DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]


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


def cron_for(phrase: str, hour: str | None = None, minute: str | None = None, half: str | None = None) -> str:
    """A cron line for a timetable phrase: ('every weekday', '8', '30', None) -> '30 8 * * 1-5'."""
    h, m = _hour(hour, minute, half)
    p = phrase.lower()
    if "nightly" in p or "night" in p:
        # "every night at 11" is 23:00, but "at 2" or a 24-hour "02:00" is after midnight
        evening = hour is not None and not hour.startswith("0") and 6 <= int(hour) <= 11
        h, m = _hour(hour, minute, half or ("pm" if evening else None)) if hour else (2, 0)
    if ("evening" in p) and not hour:
        h = 18
    if "month" in p:
        return f"{m} {h} 1 * *"
    if "school night" in p:
        return f"{m} {h} * * 0-4"  # the nights before a school day: Sunday to Thursday
    if "weeknight" in p or "school day" in p:
        return f"{m} {h} * * 1-5"
    for index, day in enumerate(_DAYS):
        if day in p:
            return f"{m} {h} * * {index}"
    if "weekday" in p or "workday" in p or "business day" in p:
        return f"{m} {h} * * 1-5"
    if "week" in p:
        return f"{m} {h} * * 1"
    return f"{m} {h} * * *"


def _group(m: re.Match[str], name: str) -> str | None:
    return m.group(name) if name in m.re.groupindex else None


# Time-zone words after a time of day: "8am Pacific", "9:00 CET", "6pm London time".
_ZONES: list[tuple[str, str]] = [
    (r"pacific|pt|pst|pdt|san francisco|los angeles|seattle", "America/Los_Angeles"),
    (r"eastern|et|est|edt|new york", "America/New_York"),
    (r"central|ct|cst|cdt|chicago", "America/Chicago"),
    (r"mountain|mt|mst|mdt|denver", "America/Denver"),
    (r"london|uk|bst|gmt", "Europe/London"),
    (r"cet|cest|berlin|paris|amsterdam|madrid|central european", "Europe/Berlin"),
    (r"ist|india|mumbai|bangalore", "Asia/Kolkata"),
    (r"jst|tokyo|japan", "Asia/Tokyo"),
    (r"aest|sydney", "Australia/Sydney"),
    (r"utc|z", "UTC"),
]  # fmt: skip


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def time_zone(after: str) -> str | None:
    """The IANA zone named right after a time of day, if any."""
    named = re.match(
        r"\s*\(?\s*((?:Africa|America|Asia|Atlantic|Australia|Europe|Indian|Pacific)/[A-Za-z_]+(?:/[A-Za-z_]+)?)\b",
        after,
    )
    if named and _known_zone(named.group(1)):
        return named.group(1)
    for words, zone in _ZONES:
        if re.match(rf"\s*(?:\(?\s*)(?:{words})\b(?:\s+time)?", after, re.I):
            return zone
    return None


def _timetable(m: re.Match[str], sentence: str) -> Trigger:
    phrase = m.group("phrase")
    if re.fullmatch(r"(?:half-)?hourly", phrase, re.I):
        return Trigger("schedule", every=1800.0 if "half" in phrase.lower() else 3600.0)
    trigger = Trigger(
        "schedule", cron=cron_for(phrase, _group(m, "hour"), _group(m, "minute"), _group(m, "half"))
    )
    if _group(m, "hour"):
        trigger.timezone = time_zone(sentence[m.end() :])
    return trigger


def _every(m: re.Match[str], sentence: str) -> Trigger:
    return Trigger("schedule", every=seconds(m.group("amount") or "1", m.group("unit").lower().rstrip("s")))


def _cron_at(m: re.Match[str], sentence: str) -> Trigger:
    """ "A cron at 06:30 and 13:30 Chicago time on trading days": the times as one cron line
    (hours joined when the minutes agree), weekdays when the brief says trading or business days."""
    times = re.findall(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", m.group("times"), re.I)
    hours: list[int] = []
    minutes: set[str] = set()
    for hour, minute, half in times:
        h = int(hour) % 12 + (12 if half.lower() == "pm" else 0) if half else int(hour)
        if h < 24:
            hours.append(h)
            minutes.add(str(int(minute or 0)))
    if not hours:
        return Trigger("schedule")
    days = (
        "1-5"
        if re.search(r"\b(?:trading|business|working|week)\s*days?\b|\bweekdays\b", sentence, re.I)
        else "*"
    )
    same = len(minutes) == 1  # one cron line holds several hours only at one minute
    minute = next(iter(minutes)) if same else str(int(times[0][1] or 0))
    hours = hours if same else hours[:1]
    trigger = Trigger(
        "schedule", cron=f"{minute} {','.join(str(h) for h in dict.fromkeys(hours))} * * {days}"
    )
    trigger.timezone = time_zone(sentence[m.end() :])
    return trigger


def _cron_literal(m: re.Match[str], sentence: str) -> Trigger:
    return Trigger("schedule", cron=" ".join(m.group("cron").split()))


_BROKERS: list[tuple[str, str]] = [
    (r"kafka|msk|confluent", "kafka"), (r"sqs", "sqs"), (r"rabbit(?:mq)?|amqp", "rabbitmq"), (r"kinesis", "kinesis"),
    (r"pub\s?/\s?sub|pubsub", "pubsub"), (r"nats(?: jetstream)?", "nats"), (r"event\s?hubs?", "eventhub"),
    (r"eventbridge", "eventbridge"), (r"redis(?: streams?)?", "redis"), (r"service\s?bus", "servicebus"),
    (r"sns", "sns"), (r"activemq", "activemq"), (r"pulsar", "pulsar"), (r"nsq", "nsq"), (r"mqtt", "mqtt"),
]  # fmt: skip
BROKER = "(?:" + "|".join(p for p, _ in _BROKERS) + ")"
_NOT_TOPIC = {"a", "an", "the", "our", "their", "its", "this", "that", "message", "messages", "event", "events",
              "same", "input", "output", "main", "default", "work", "job", "task", "incoming", "new", "as", "and", "or",
              "is", "it", "to", "from", "with", "for", "each", "every", "when"}  # fmt: skip
_NOT_A_SOURCE = re.compile(r"dead[- ]?letter|dlq|retry|error|failure|poison", re.I)
# a queue or topic name: quoted, dotted/dashed, or a plain word in "the orders topic"
_TOPIC_NAMES = [
    re.compile(
        # "subscription called zims-observations", "(hub name: fleet-telemetry)"
        r"\b(?:topic|queue|stream|subscription|hub)\s+(?:named|called|name\s*[:=]?)\s+[`\"']?(?P<name>[\w.-]*\w)",
        re.I,
    ),
    re.compile(
        # "(applicant_id, country, …)" after "queue" lists the message's fields, not its name
        r"\b(?:topic|queue|stream|subscription|hub)\s*(?::|\(\s*(?:(?:topic|queue|stream|hub)\s*:\s*)?)\s*[`\"']?(?P<name>[\w.-]*\w)(?![\w.-]|\s*,)",
        re.I,
    ),
    re.compile(r"\b(?:topic|queue|stream|subscription)\s+[`\"'](?P<name>[^`\"'\s]+)[`\"']", re.I),
    # "the NATS subject registry.retirements", "rabbitmq (exchange dc.alarms, …)": their names for it
    re.compile(r"\b(?:subject|exchange|channel)\s+`?(?P<name>[a-z0-9*>#]+(?:[./_-][a-z0-9*>#]+)+)", re.I),
    re.compile(r"[`\"'](?P<name>[^`\"'\s]+)[`\"']\s+(?:topic|queue|stream|subscription)\b", re.I),
    # "publish telemetry to MQTT studio/kilns/+/telemetry": a topic path right after its broker
    re.compile(rf"\b{BROKER}\s+`?(?P<name>[a-z0-9+#]+(?:/[a-z0-9+#_-]+)+)", re.I),
    # "the MQTT topic pools/+/chemistry": a topic with levels and wildcards
    re.compile(
        r"\b(?:topic|queue|stream|subscription)\s+`?(?P<name>[a-z0-9+#]+(?:[./_+-][a-z0-9+#]+)+)", re.I
    ),
    re.compile(r"\b(?P<name>[a-z0-9]+(?:[._-][a-z0-9]+)+)\s+(?:topic|queue|stream|subscription)\b", re.I),
    re.compile(
        r"\b(?:from|on|to|off|the)\s+(?P<name>[a-z][\w-]*)\s+(?:topic|queue|stream|subscription)\b", re.I
    ),
    # "the Google Pub/Sub topic sightings, with …": a plain lower-case name right after the word
    re.compile(
        r"\b(?:topic|queue|stream|subscription)\s+(?P<name>[a-z][a-z0-9_-]*)(?=\s*[,.;]|\s+(?:with|carrying)\b)"
    ),
    # "publishes a rental.returned message on NATS": a dotted subject named before its message
    re.compile(
        r"\b(?P<name>[a-z0-9_]+(?:\.[a-z0-9_]+)+)\s+(?:messages?|events?)\s+(?:on|to|in|into|via)\b", re.I
    ),
]


def broker_in(text: str) -> str | None:
    """The message broker a phrase names: 'the Pub/Sub topic' -> 'pubsub'."""
    for pattern, name in _BROKERS:
        if re.search(rf"\b(?:{pattern})\b", text, re.I):
            return name
    return None


def topic_in(text: str) -> str | None:
    """The queue or topic name a sentence states: 'the kafka topic payments.authorized' -> that."""
    for pattern in _TOPIC_NAMES:
        for m in pattern.finditer(text):
            name = m.group("name")
            if name.lower() not in _NOT_TOPIC and not _NOT_A_SOURCE.match(name) and broker_in(name) is None:
                return name
    return None


def _queue(m: re.Match[str], sentence: str) -> Trigger:
    broker = broker_in(m.group(0)) or broker_in(sentence) or "queue"
    return Trigger("queue", broker=broker, topic=topic_in(m.group(0)) or topic_in(sentence))


def _webhook(m: re.Match[str], sentence: str) -> Trigger:
    """A webhook; GitHub signs its own ('the GitHub webhook', 'an issue opened on our GitHub repo')."""
    github = re.search(r"\bgithub\b", m.group(0), re.I)
    return Trigger("webhook", auth="github" if github else "standard-webhooks")


# ---------------------------------------------------------------------------- the table


def _row(
    kind: str | None,
    strength: int,
    pattern: str,
    details: Callable[[re.Match[str], str], Trigger] | None = None,
) -> TriggerPhrase:
    return TriggerPhrase(re.compile(pattern, re.I), kind, strength, details)


_WEBHOOK = r"web ?h?oo?ks?"  # "webhook", and the "webhok"/"webook" a hurried brief types
_CHANNEL = rf"(?:(?:an?|the|our|their)\s+)?(?:[\w.`'\"/-]+\s+){{0,2}}?(?:queue|topic|stream|subscription)s?\b|(?:the\s+)?{BROKER}\b"
_ARRIVE = r"(?:arriv\w*|stream(?:s|ed|ing)?\s+in|land\w*|com(?:e|es|ing)(?:\s+in)?|show(?:s)?\s+up|appear\w*|received|delivered|submitted|sent\s+to\s+us|incoming|inbound)"
_DAY_WORDS = r"(?:weeknight|school\s+night|school\s+day|day|morning|evening|night|weekday|workday|business day|week|month|sunday|monday|tuesday|wednesday|thursday|friday|saturday)s?\b"
_AT_TIME = r"(?:\s+(?:at|around|@)\s*(?:(?:like|about|around|approx\.?|roughly|~)\s*)?(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<half>(?:am|pm)\b|a\.m\.|p\.m\.)?(?:\s*(?:utc|gmt))?)?"
_VENDORS = r"stripe|shopify|zendesk|github(?: actions)?|gitlab|intercom|typeform|jira|hubspot|twilio|calendly|paddle|sendgrid|mailgun|postmark"
_RESULT_NOUN = r"(?:digest|summary|summaries|report|recap|roundup|round-up|newsletter|briefing|email|update|standup|review|meeting|rollup|roll-up)s?"
_PERIODIC = r"(?:daily|nightly|weekly|monthly|hourly|morning|evening|end[- ]of[- ]day|eod)"

TRIGGERS: list[TriggerPhrase] = [
    # not triggers: where results go, and queues the flow writes to
    _row(
        None,
        RESULT,
        rf"\b(?:for|in|into|to|on|onto)\s+(?:the|our|this|next|each)\s+{_PERIODIC}\s+{_RESULT_NOUN}\b",
    ),
    _row(
        None,
        RESULT,
        r"\b(?:tomorrow|today|tonight|yesterday|this week|next week|last week|this month)'?s\s+[\w-]+",
    ),
    _row(
        None,
        RESULT,
        r"\b(?:dead[- ]?letter|retry|error|failure|poison|review|moderation|approval|human|manual)\s+(?:queue|topic)s?\b|\bdlq\b",
    ),
    # stated: the brief says how the flow starts
    _row(
        "schedule",
        STATED,
        r"[`\"'](?P<cron>(?:[\d*/,-]+\s+){4}[\d*/,A-Za-z-]+)[`\"']|\bcron(?:\s+expression|\s+schedule)?\s*:?\s*(?P<cron2>(?:[\d*/,-]+\s+){4}[\d*/,-]*[\d*])",
        lambda m, s: Trigger("schedule", cron=" ".join((m.group("cron") or m.group("cron2")).split())),
    ),
    _row(
        "schedule",
        STATED,
        # "A cron at 06:30 and 13:30 Chicago time", "a scheduled job at 6am and 2pm"
        r"\b(?:cron(?:\s+job)?|scheduled\s+(?:job|run|task))\s+(?:that\s+)?(?:runs?\s+|fires?\s+)?(?:at|@)\s*"
        r"(?P<times>\d{1,2}(?::\d{2})?\s*(?:am|pm)?(?:\s*(?:,|and|&)\s*\d{1,2}(?::\d{2})?\s*(?:am|pm)?)*)",
        _cron_at,
    ),
    _row(
        "schedule",
        STATED,
        r"\b(?:scheduled|cron|timer|time)[- ](?:based\s+)?(?:trigger|job|run|task)s?\b|\btrigger(?:ed|s)?\s+(?:is\s+)?(?:by|on|via|from|with)?\s*(?:an?|the)?\s*(?:schedule|cron(?:\s+job)?|timer|clock)\b|\b(?:runs?|running|executes?)\s+on\s+an?\s+(?:schedule|timer|cron)\b|\bon\s+an?\s+(?:schedule|timer|cron)\b",
    ),
    _row(
        "webhook",
        STATED,
        rf"\btrigger(?:ed|s)?\s+(?:is\s+)?(?:by|via|on|from|off|through|with|=|:)?\s*(?:an?|the|our|each|every)?\s*(?:new\s+)?(?:incoming\s+|inbound\s+)?(?:{_WEBHOOK}|https?(?:\s+(?:post|request|call)s?)?|post requests?|api calls?)\b|\b(?:{_WEBHOOK}|http)[- ](?:based\s+)?trigger\b",
        _webhook,
    ),
    _row(
        "webhook",
        STATED,
        rf"\b{_ARRIVE}\s+(?:[\w-]+\s+){{0,4}}?(?:via|by|through|thru|over|as|from|on)\s+(?:(?:an?|the|our|their)\s+)?(?:[\w-]+\s+)?{_WEBHOOK}\b|\b(?:incoming|inbound)\s+{_WEBHOOK}\b|\(\s*{_WEBHOOK}\s*\)|\b(?:(?:{_VENDORS})(?:'s)?(?:\s+[\w.-]+){{0,2}}?\s+)?{_WEBHOOK}\s+(?:come|comes|coming|arrive|arrives|land|lands|fire|fires)\b",
        _webhook,
    ),
    _row(
        "webhook",
        STATED,
        rf"\b(?:hits?|hitting|calls?|calling)\s+(?:an?|the|our)\s+(?:[\w-]+\s+)?{_WEBHOOK}\b",
        _webhook,
    ),
    _row(
        "webhook",
        STATED,
        # "cameras send a frame every 5 seconds to an HTTP endpoint": pushed to us, however often
        r"\b(?:sends?|sent|posts?|posted|pushe?s?|pushed|delivers?|uploads?)\s+(?:[\w-]+\s+){0,6}?to\s+"
        r"(?:an?|the|our)\s+(?:[\w-]+\s+)?(?:https?|rest)\s+(?:endpoint|url|api)\b",
        _webhook,
    ),
    _row(
        "webhook",
        STATED,
        rf"\b(?:{_VENDORS})\b(?:'s)?(?:\s+[\w./-]+){{0,3}}?\s+{_WEBHOOK}\b",
        _webhook,
    ),
    _row(
        "queue",
        STATED,
        rf"\btrigger(?:ed|s)?\s+(?:by|from|on|off|via)\s+(?:(?:an?|the|each|every|new)\s+)?(?:(?:messages?|events?|records?)\s+(?:on|in|from)\s+)?(?:{_CHANNEL})|\b(?:queue|topic|stream|{BROKER})[- ](?:based\s+)?trigger\b",
        _queue,
    ),
    _row(
        "queue",
        STATED,
        rf"\b(?:consum|subscrib|listen|read|pull|poll|ingest)\w*\s+(?:[\w-]+\s+){{0,3}}?(?:from|to|on|off)\s+(?:{_CHANNEL})",
        _queue,
    ),
    _row(
        "queue",
        STATED,
        # "put it in the Field Ops queue" is the flow's own action, not how events arrive
        # "drops a usage summary per patient onto our SQS queue": what is put there may take words
        rf"\b(?:{_ARRIVE}|publish\w*|push(?:es|ed)|posts|posted|puts?|drop(?:s|ped)|enqueued|emitted|produced|streamed|sends?|sent|writes?)(?!\s+(?:it|them|this|that|these|those)\b)\s+(?:[\w-]+\s+){{0,5}}?(?:on|to|in|into|onto|via|through|from|over)\s+(?:{_CHANNEL})",
        _queue,
    ),
    _row(
        "queue",
        STATED,
        rf"\b(?:an?\s+|each\s+|every\s+|new\s+)?(?:messages?|events?|records?|items?|jobs?)\s+(?:on|in|from|off)\s+(?:{_CHANNEL})",
        _queue,
    ),
    # a result: a timetable word in what the flow produces
    _row("schedule", RESULT, rf"\b(?P<phrase>{_PERIODIC})\s+{_RESULT_NOUN}\b", _timetable),
    # named: a mechanism
    _row(
        "schedule",
        NAMED,
        rf"\bat\s+(?P<hour>\d{{1,2}})(?::(?P<minute>\d{{2}}))?\s*(?P<half>(?:am|pm)\b|a\.m\.|p\.m\.)?\s+(?P<phrase>every\s+{_DAY_WORDS}|each\s+{_DAY_WORDS}|daily|nightly|weekly|on\s+(?:weekdays|mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays))\b",
        _timetable,
    ),
    _row(
        "schedule",
        NAMED,
        # "Keepers log daily observations": how often the data is made, not when the flow runs
        # "submit a daily rigging check": an adjective of what someone makes, after its article
        r"(?<!\ba )(?<!\ban )(?<!\bour )(?<!\btheir )"
        r"\b(?P<phrase>(?:daily|nightly|weekly|monthly)(?!\s+(?!at\b)[a-z]+s\b)"
        # "the monthly budget is $60": money per period, no schedule
        r"(?!\s+(?:budget|spend|spending|cost|costs|bill|limit|cap|volume|fee|total|allowance)\b)|"
        rf"every\s+{_DAY_WORDS}|each\s+{_DAY_WORDS}|once\s+(?:a|per)\s+(?:day|week|month)|(?:on\s+)?(?:weekdays|mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays)){_AT_TIME}",
        _timetable,
    ),
    _row(
        "schedule",
        NAMED,
        r"\bevery\s+(?:(?P<amount>\d+(?:\.\d+)?|two|three|four|five|six|ten|fifteen|twenty|thirty|sixty)\s+)?(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?)\b",
        _every,
    ),
    _row(
        "schedule",
        NAMED,
        r"\b(?P<phrase>half-hourly|hourly)\b|\bonce\s+(?:an|per)\s+(?P<hour_word>hour)\b",
        lambda m, s: Trigger(
            "schedule", every=1800.0 if m.group("phrase") and "half" in m.group("phrase").lower() else 3600.0
        ),
    ),
    _row("queue", NAMED, rf"\b(?:{BROKER})\b", _queue),
    _row(
        "queue",
        NAMED,
        r"\b(?:from|on|off|via|through|thru)\s+(?:an?|the|our)\s+(?:[\w.`'\"-]+\s+)?(?:queue|topic|stream)\b|\b(?:queue|topic|stream)\s+(?:named|called)\b",
        _queue,
    ),
    _row(
        "webhook",
        NAMED,
        rf"\b(?:{_VENDORS})(?:'s)?(?:\s+[\w.-]+){{0,2}}?\s+(?:{_WEBHOOK}|events?)\b",
        _webhook,
    ),
    _row(
        "webhook", NAMED, rf"\b{_WEBHOOK}\b|\bhttps?\s+(?:post|request|call)s?\b|\bpost requests?\b", _webhook
    ),
    # inferred: a source that pushes to us
    _row(
        "webhook",
        INFERRED,
        r"\b(?:(?:opens?|opened|creates?|created|files?|filed|comments?\s+on|pushes\s+to|merges?)\s+(?:an?\s+|the\s+)?(?:new\s+)?(?:issue|pull request|pr|comment|commit)s?\s+(?:on|in|to)\s+(?:our\s+|the\s+|a\s+)?github|(?:issue|pull request|pr)s?\s+(?:is|are)\s+(?:opened|created|merged|closed)\s+(?:on|in)\s+github|on\s+(?:our|the)\s+github\s+(?:repo\w*|org\w*|project))\b",
        _webhook,
    ),
    _row(
        "webhook", INFERRED, rf"\b(?:{_VENDORS})\s+(?:sends?|posts?|calls?|pushes|notifies)\s+us\b", _webhook
    ),
    _row(
        "webhook",
        INFERRED,
        r"\bform\s+submissions?\b|\bsubmits?\s+(?:an?|the|our)\s+(?:[\w-]+\s+){0,2}?form\b|\bsubmitted\s+(?:via|through|on)\s+(?:an?|the|our)\s+(?:[\w-]+\s+)?form\b",
        _webhook,
    ),
    _row(
        "webhook",
        INFERRED,
        r"\b(?:posts?|sends?|pushes)\s+(?:[\w-]+\s+){0,3}?to\s+(?:us|you|our\s+(?:endpoint|api|url|server|service|backend))\b|\bcalls?\s+(?:us|our\s+(?:endpoint|api|url|server|service|backend))\b|\bsends?\s+us\b|\b(?:to|hits?|at)\s+(?:an?|our|the)\s+(?:[\w-]+\s+)?endpoint\b|\bapi\s+calls?\s+(?:from|to us)\b",
        _webhook,
    ),
]


def read_trigger(sentences: list[str], matches: list[Match]) -> Trigger:
    """The trigger a brief describes: the strongest phrase, the first among equals (default: a webhook)."""
    found: list[tuple[TriggerPhrase, Trigger, Match]] = []
    for index, sentence in enumerate(sentences):
        for row, m in scan(TRIGGERS, sentence):
            if row.kind is None:
                continue
            trigger = row.details(m, sentence) if row.details else Trigger(row.kind)
            trigger.text = m.group(0).strip()
            found.append((row, trigger, Match("trigger", m.group(0), index, m.start(), m.end())))
    if not found:
        return Trigger("webhook")
    order = {id(f): n for n, f in enumerate(found)}
    best = max(found, key=lambda f: (f[0].strength, -order[id(f)]))
    chosen = best[1]
    chosen_at = best[2].sentence
    for row, other, match in found:
        if other.kind != chosen.kind:
            cadence = (
                # "stations publish readings to the SQS queue every ten minutes": how often events
                # come, in the sentence that says how they arrive, not a second trigger
                other.kind == "schedule"
                and chosen.kind != "schedule"
                and other.every is not None
                and match.sentence == chosen_at
            )
            if row.strength >= NAMED and other.text not in chosen.others and not cadence:
                chosen.others.append(other.text or "")
            if cadence:
                matches.append(match)
            continue
        matches.append(match)
        _add_details(chosen, other)
    return chosen


def _add_details(chosen: Trigger, other: Trigger) -> None:
    """Details of another phrase of the same kind: a timetable, a broker, a topic, GitHub's signature."""
    if chosen.kind == "schedule" and chosen.cron is None and chosen.every is None:
        chosen.cron, chosen.every = other.cron, other.every
    if chosen.kind == "queue":
        chosen.topic = chosen.topic or other.topic
        if chosen.broker in (None, "queue") and other.broker not in (None, "queue"):
            chosen.broker = other.broker
    if chosen.kind == "webhook" and other.auth == "github":
        chosen.auth = "github"
