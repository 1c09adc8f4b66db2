"""Numbers in a brief, as people write them: latency, money, event rate and concurrency.

Each reader owns one concept and is a table (see `copilot.draft.phrases`): a row is a
pattern and what it means, tried in order, the first row to read some words decides what
they mean. tests/draft/test_numbers.py reads the tables with the phrases users type.

What counts as a number here:

- digits with thousands separators ("10,000" is one number, never 10 and 000), decimals,
  a k / thousand / million scale ("10k events a day"), and the common number words ("a",
  "half a", "twenty");
- a latency is a number and a unit ("within 1.5 seconds", "under 800ms", "sub-second"); a
  vague word ("real time", "fast", "snappy") is *not* one: the SLA stays unread and the
  word is reported, so the drafter uses its stated default and says so. A duration over
  `MAX_SLA` ("within 24 hours") is a business rule, not a realtime latency;
- money is dollars per event, in any common wording ("a tenth of a cent", "0.4 cents",
  "$5 per 1,000 tickets"); a price per month or per token is not a per-event budget.
"""

# ruff: noqa: E501  (the vocabulary below is regular expressions, one row per line, easier to read whole)
from __future__ import annotations

import re
from dataclasses import dataclass

from copilot.draft.phrases import Match, scan
from copilot.flow.units import format_duration

# ---------------------------------------------------------------------------- words and digits

NUMBER_WORDS: dict[str, float] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "a hundred": 100, "hundred": 100, "a thousand": 1000,
    "thousand": 1000, "a million": 1e6, "million": 1e6, "half a": 0.5, "half an": 0.5, "a half": 0.5,
}  # fmt: skip
_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}

DIGITS = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"  # 10,000 | 1.5 | .5
_WORD = r"(?:half an?|a half|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|fifty|sixty)"
# a count of events: 1,200 | 10k | 2 million | a thousand
COUNT = rf"(?:{DIGITS}(?:\s*(?:k|thousand|million)\b|m(?=\s+[a-z]))?|a\s+(?:hundred|thousand|million))"


def number(text: str) -> float:
    """'1,200' -> 1200, '10k' -> 10000, 'half a' -> 0.5, 'twenty' -> 20."""
    text = " ".join(text.strip().lower().split())
    if text in NUMBER_WORDS:
        return float(NUMBER_WORDS[text])
    scaled = re.fullmatch(r"([\d,.]+)\s*(k|thousand|m|million)", text)
    if scaled:
        return float(scaled.group(1).replace(",", "")) * _SCALES[scaled.group(2)]
    return float(text.replace(",", ""))


# ---------------------------------------------------------------------------- durations

UNIT_SECONDS: dict[str, float] = {
    "ms": 0.001, "msec": 0.001, "msecs": 0.001, "millisecond": 0.001, "milliseconds": 0.001, "millis": 0.001,
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
}  # fmt: skip
_UNIT = r"(?P<unit>ms|msecs?|milliseconds?|millis|secs?|seconds?|s|mins?|minutes?|m|hrs?|hours?|h|days?|d)\b"
DURATION = rf"(?P<amount>{DIGITS}|{_WORD})\s*-?\s*{_UNIT}"
MAX_SLA = 120.0  # "within 24 hours" is a business rule, not a realtime latency


def seconds(amount: str, unit: str) -> float:
    """('1.5', 'seconds') -> 1.5; ('half a', 'second') -> 0.5."""
    return number(amount) * UNIT_SECONDS[unit.lower()]


# ---------------------------------------------------------------------------- latency (SLA)


@dataclass(frozen=True)
class LatencyPhrase:
    """Words about latency, and what they mean.

    `promise`: the brief asks for it ("within 2s"); `deadline`: the caller's own timeout
    ("bookeo times out after 10s", "before their 10 s timeout"), which the answer must beat:
    used when nothing promises, at `TIMEOUT_SHARE` of it; `figure`: a latency stated without a
    promise ("in 2 seconds", "an API with p95 about 110 ms"), used only when nothing else
    says; `vague`: a wish with no number ("real time"); `not a demand`: words that look
    like one and are not ("doesn't need to be fast", "a fast model"). `fixed` is the value
    of a phrase with no digits in it ("sub-second").
    """

    pattern: re.Pattern[str]
    meaning: str  # promise | deadline | figure | vague | not a demand
    fixed: float | None = None


def _latency(meaning: str, pattern: str, fixed: float | None = None) -> LatencyPhrase:
    return LatencyPhrase(re.compile(pattern, re.I), meaning, fixed)


_ABOUT = r"\s*(?:~|about\s+|around\s+|roughly\s+|like\s+|approx(?:imately|\.)?\s+)?"
_PROMISE_BEFORE = (
    r"(?:\b(?:within|under|below|in less than|less than|in under|no (?:more|longer|slower) than|not (?:more|longer) than|"
    r"at most|at the most|max(?:imum)?(?: of)?|sla(?: of| is| target of)?|(?:p9[59]|latency|response times?)(?: latency)?\s*"
    r"(?:of|target of|below|under|less than|at most|must be under|must be below)|(?:a |an )?latency (?:budget|target) of|"
    # "Target 20 seconds", "aim for 3s"
    r"target(?:ing)?(?: of)?|aim(?:ing)? for)|<=?|≤)\s*:?"
)
_FIGURE_BEFORE = (
    r"\b(?:in|inside|p9[59](?: latency)?(?: is| at| =| :)?|latency(?: is| of about)?|response time(?: is)?)"
)

# "bookeo times out after like 10s", "their webhook gives up after 10 seconds", "must answer
# before the 10s timeout": the caller stops waiting then, so the answer (and the flow's
# `respond.on_deadline`, sent when the SLA passes) must land before it, with room for the
# network and the caller's own clock: the SLA is this share of the caller's timeout
TIMEOUT_SHARE = 0.8
_TIMES_OUT = r"\b(?:times?|timing|timed)[- ]?(?:us\s+|the request\s+|the call\s+)?out"
_GIVES_UP = r"\b(?:gives?|giving|gave)\s+up(?:\s+(?:on us|waiting))?"
_TIMEOUT_NOUN = r"time[- ]?outs?\b"
_DEADLINE_ROWS = [
    rf"(?:{_TIMES_OUT}|{_GIVES_UP})\s+(?:after|at|in|past)\s+(?:only\s+|just\s+)?{_ABOUT}{DURATION}",
    # "before the 10s timeout", "inside their 10-second timeout", "has a 10 s timeout"
    rf"\b(?:before|within|inside|under|beats?|beat(?:ing)?|has|have)\s+(?:the|their|its|his|her|a|an|our|that|this|[A-Z]\w*['’]s)\s+(?:[\w-]+\s+){{0,2}}?{_ABOUT}{DURATION}\s*{_TIMEOUT_NOUN}",
    # "their timeout is 10s", "the webhook timeout of ~10 seconds"
    rf"\b(?:their|its|the caller['’]?s|the (?:webhook|request|caller|client|callback)|[A-Z]\w*['’]s)\s+(?:(?:webhook|request|http|response|callback)\s+)?{_TIMEOUT_NOUN}\s*(?:is|of|=|:|at)\s*{_ABOUT}{DURATION}",
]

# a duration written with digits ("15 s"): "as a webhook" must never read as "a" + "s"
_DIGIT_DURATION = r"(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>ms|milliseconds?|s|secs?|seconds?|mins?|minutes?)\b"
LATENCY: list[LatencyPhrase] = [
    _latency(
        "not a demand",
        r"\b(?:(?:does|do|did)(?:n'?t| not)|needn'?t|no need to|not need to)\s+(?:need|have)?\s*(?:to\s+)?(?:be\s+)?(?:super\s+|very\s+|that\s+)?(?:fast|quick|instant|immediate|real[- ]?time|snappy)\w*",
    ),
    _latency("not a demand", r"\b(?:no rush|not in a hurry|not (?:time[- ])?critical|can be slow)\b"),
    _latency(
        "not a demand", r"\b(?:fast|quick|speedy|snappy)(?:er|est)?\s+(?:models?|llms?|ones?|path|lane)\b"
    ),
    *(_latency("deadline", pattern) for pattern in _DEADLINE_ROWS),
    _latency("promise", rf"{_PROMISE_BEFORE}{_ABOUT}{DURATION}"),
    _latency(
        "promise",
        rf"\b{DURATION}\s+(?:is fine|is plenty|is ok(?:ay)?|is acceptable|is the (?:limit|max(?:imum)?|budget)|max(?:imum)?|tops|at most|or less|or under|or faster|p9[59]|latency|sla|end[- ]to[- ]end)\b",
    ),
    # "15 s per invoice", "2 seconds a request": the time each event may take
    _latency(
        "promise",
        rf"\b{_DIGIT_DURATION}\s+(?:per|each|for each|an?)\s+(?!(?:second|sec|minute|min|hour|day|week|month|year)s?\b)[a-z][\w-]*",
    ),
    # "3 s, 0.2 cents.": a terse brief's bare duration opening its sentence
    _latency("promise", rf"^\W*{_ABOUT}{_DIGIT_DURATION}\s*(?=[,;.]|$)"),
    _latency("promise", r"\bsub[- ]?\s?second\b", fixed=1.0),
    # "it's fine if it takes like 10 seconds", "it can take up to 10 seconds": what it may take
    _latency(
        "promise",
        rf"\b(?:(?:fine|ok(?:ay)?|alright|acceptable)\s+if\s+it\s+takes|(?:it|each|that)\s+(?:can|may|could)\s+take)"
        rf"\s+(?:up\s+to\s+)?{_ABOUT}{DURATION}",
    ),
    # "answer back fast (like 3 sec, …)", "fast, like 3 sec": the vague word, then its number
    _latency(
        "promise",
        # "should be quick, 3s-ish": the number, hedged, after the vague word
        rf"\b(?:fast|quick(?:ly)?|speedy|snappy)\s*[,(]?\s*(?:(?:like|about|around|roughly|say|~)\s*)?{_DIGIT_DURATION}"
        r"(?:-?ish)?",
    ),
    _latency("figure", rf"{_FIGURE_BEFORE}\s*{_ABOUT}{DURATION}"),
    _latency(
        "vague",
        r"\b(?:real[- ]?time|instant(?:ly|aneous(?:ly)?)?|immediate(?:ly)?|right away|(?:lightning|blazing(?:ly)?|super|really|very)[- ]fast|fast|faster|quickly|be quick|quick (?:response|reply|answer|turnaround)s?|snappy|speedy|asap|as (?:fast|quickly|soon) as possible|low[- ]latency|in no time|promptly|without (?:delay|lag)|no lag)\b",
    ),
]


@dataclass
class Sla:
    """The latency a brief asks for.

    `seconds` and `text` are the number read and the words it came from (None when the
    brief states none); `vague` is the vague word ("real time") a brief used *instead of*
    a number, for the drafter to quote when it uses its default; `realtime` is True when
    any such word was seen, number or not.
    """

    seconds: float | None = None
    text: str | None = None
    vague: str | None = None
    realtime: bool = False
    too_long: str | None = None  # "Turnaround within 5 minutes" on a webhook: said, not used


def read_sla(sentences: list[str], matches: list[Match], limit: float | None = None) -> Sla:
    """The first latency the brief promises; else the first one it states; else its vague word."""
    stated: list[tuple[int, float, Match, str]] = []  # (rank: promise 0, deadline 1, figure 2), …
    vague: list[Match] = []
    too_long: list[Match] = []
    for index, sentence in enumerate(sentences):
        for row, m in scan(LATENCY, sentence):
            found = Match("sla", m.group(0).strip(), index, m.start(), m.end())
            if row.meaning == "vague":
                vague.append(Match("realtime", m.group(0), index, m.start(), m.end()))
            elif row.meaning in ("promise", "deadline", "figure"):
                if _NO_ACTION_AFTER.match(sentence, m.end()):
                    continue  # "Under 15 minutes, do nothing": a range of the event's values, not a latency
                value = row.fixed if row.fixed is not None else seconds(m.group("amount"), m.group("unit"))
                text = found.text
                if row.meaning == "deadline":
                    # the caller's timeout: answer within a safe share of it, and say what was taken
                    value = round(value * TIMEOUT_SHARE, 3)
                    text = f"{text} (answer within {format_duration(value)}, {TIMEOUT_SHARE:.0%} of that timeout)"
                if 0 < value <= (limit or MAX_SLA):
                    stated.append((("promise", "deadline", "figure").index(row.meaning), value, found, text))
                elif value > 0 and row.meaning in ("promise", "deadline"):
                    too_long.append(found)
    matches.extend(vague)
    matches.extend(too_long)  # read, and said in the assumptions
    if not stated:
        return Sla(
            vague=vague[0].text if vague else None,
            realtime=bool(vague),
            too_long=too_long[0].text if too_long else None,
        )
    # a promise ("within 3s") over the caller's timeout ("they time out at 10s") over a figure
    best = min(s[0] for s in stated)
    _, value, _, text = min((s for s in stated if s[0] == best), key=lambda s: (s[2].sentence, s[2].start))
    matches.extend(s[2] for s in stated)
    return Sla(value, text, None, bool(vague))


_FINISH_BY = re.compile(
    r"\b(?:finish(?:ed)?|done|complete[d]?|ready|sent|out|land|in\s+(?:their\s+)?inbox(?:es)?)\s+(?:by|before)\s+"
    r"(?P<hour>\d{1,2})(?::(?P<minute>\d\d))?\s*(?P<half>am|pm|a\.m\.|p\.m\.)?",
    re.I,
)


def finish_by(sentences: list[str], matches: list[Match], cron: str | None, limit: float) -> Sla | None:
    """ "Every evening at 18:30 … the full run must finish by 19:00": a scheduled run's latency is
    the time from its start to that hour (at most `limit`); None when the brief says no such thing."""
    fields = (cron or "").split()
    if len(fields) != 5 or not fields[0].isdigit() or not fields[1].isdigit():
        return None
    start = int(fields[1]) * 60 + int(fields[0])
    for index, sentence in enumerate(sentences):
        m = _FINISH_BY.search(sentence)
        if m is None:
            continue
        hour = int(m.group("hour")) % 12 + (12 if (m.group("half") or "").lower().startswith("p") else 0)
        if not m.group("half") and int(m.group("hour")) >= 12:
            hour = int(m.group("hour"))
        gap = (hour * 60 + int(m.group("minute") or 0) - start) * 60.0
        if gap > 0:
            matches.append(Match("sla", m.group(0), index, m.start(), m.end()))
            value = min(gap, limit)
            capped = f", capped at {format_duration(limit)}" if gap > limit else ""
            return Sla(value, f"{m.group(0)} ({format_duration(gap)} after the run starts{capped})")
    return None


# ---------------------------------------------------------------------------- money


@dataclass(frozen=True)
class MoneyPhrase:
    """An amount of money: the pattern, and dollars per unit of the number it reads (`n`; one if none)."""

    pattern: re.Pattern[str]
    dollars: float


def _money(pattern: str, dollars: float) -> MoneyPhrase:
    return MoneyPhrase(re.compile(pattern, re.I), dollars)


_CENT = r"(?:cents?|penny|pennies|¢)"
MONEY: list[MoneyPhrase] = [
    # "a cent and a half", "one and a half cents"
    _money(rf"\b(?:an?|one)\s+(?:{_CENT}\s+and\s+a\s+half|and\s+a\s+half\s+{_CENT})", 0.015),
    # "a few tenths of a cent" (a few is about three), "a couple of fifths of a cent"
    *(
        _money(rf"\ba\s+{many}\s+{fraction}s\s+of\s+(?:an?|one)\s+{_CENT}", value * count)
        for fraction, value in (("tenth", 0.001), ("fifth", 0.002))
        for many, count in (("few", 3), (r"couple(?:\s+of)?", 2))
    ),
    # "a tenth of a cent", "five tenths of a cent", "3 quarters of a cent": a count of the fraction;
    # "cheap, tenth of a cent per reading": a chatty brief drops the article
    *(
        _money(rf"\b(?:(?P<n>{DIGITS}|{_WORD})\s+)?{fraction}s?\s+of\s+(?:an?|one)\s+{_CENT}", value)
        for fraction, value in (("tenth", 0.001), ("fifth", 0.002), ("quarter", 0.0025), ("third", 0.01 / 3))
    ),
    _money(
        rf"\b(?:half\s+(?:of\s+)?(?:an?|one)|(?:an?|one)\s+half\s+(?:of\s+)?(?:an?|one))\s+{_CENT}", 0.005
    ),
    _money(r"\b(?:an?|one)\s+tenth\s+of\s+(?:an?|one)\s+dollar\b", 0.1),
    _money(rf"(?<![\w$.,])(?P<n>{DIGITS})\s*(?:{_CENT}|c\b|p\b|pence\b)", 0.01),  # "1p": a penny, a cent
    # "under a nickel", "a dime a request": US coins by name
    _money(r"\b(?:an?|one)\s+nickel\b", 0.05),
    _money(r"\b(?:an?|one)\s+dime\b", 0.1),
    _money(rf"\b(?:a\s+)?couple\s+(?:of\s+)?{_CENT}", 0.02),  # "couple cents per batch max"
    _money(rf"\ba\s+few\s+{_CENT}", 0.03),
    _money(rf"\b(?P<n>{_WORD})\s+{_CENT}", 0.01),
    _money(rf"(?:\bus)?\$\s?(?P<n>{DIGITS})(?:\s*(?:usd|dollars?))?", 1.0),
    _money(rf"(?<![\w$.,])(?P<n>{DIGITS})\s*(?:usd|dollars?|bucks)\b", 1.0),
    _money(r"\b(?:an?|one)\s+dollar\b", 1.0),
]
# what a per-event price is per: "per ticket", "/event", "a pop", "per 1,000 tickets", "for every 10k events"
_PER = re.compile(
    rf"\s*(?:usd\s*)?(?:/|\bper\b|\ba\b|\ban\b|\beach\b|\bfor each\b|\bfor every\b|\bevery\b|\bon each\b|\bfor one\b)\s*"
    rf"(?:single\s+)?(?:(?P<count>{COUNT}|hundred|thousand|million)\s+)?(?P<unit>[a-z][\w-]*)",
    re.I,
)
# a price per one of these is not a budget per event
_NOT_PER_EVENT = re.compile(
    r"(?:month|mo|day|week|year|yr|hour|hr|minute|min|second|sec|quarter|annum|tokens?|[mk]?tok|characters?|chars?|words?|seats?|users?|licen[cs]es?|gb|mb)s?|monthly|daily",
    re.I,
)
# "$10 for a season of ~4,000 boxes": an amount over a period and the events in it
_OVER_PERIOD = re.compile(
    r"\s+(?:for|across|over|in)\s+(?:a|the|one|each)\s+(?:season|month|year|week|day|quarter)\s+of\s+"
    r"(?:~\s*|about\s+|around\s+|roughly\s+)?(?P<count>\d{1,3}(?:,\d{3})+|\d+)\s+[a-z][\w-]*(?:\s+[a-z][\w-]*)?",
    re.I,
)
# a period a budget can be per ("$50 a month"), in seconds
_PERIODS = re.compile(r"(?P<period>month|mo|day|dai|week|year|yr)s?", re.I)
PERIOD_SECONDS = {"month": 30 * 86400.0, "mo": 30 * 86400.0, "day": 86400.0, "dai": 86400.0, "week": 7 * 86400.0,
                  "year": 365 * 86400.0, "yr": 365 * 86400.0}  # fmt: skip
# "… a month at roughly 40,000 messages", "… a day for about 300 tickets": the events it covers
_AT_VOLUME = re.compile(
    rf"\s*,?\s+(?:at|for|with|across|over|on)\s+(?:~\s*|about\s+|around\s+|roughly\s+|some\s+|approx(?:imately|\.)?\s+)?"
    rf"(?P<count>{COUNT})\s+[a-z][\w-]*",
    re.I,
)


def events_per(seconds: float, rate: float | None, every: float | None, cron: str | None) -> float | None:
    """How many events a period of `seconds` holds: the stated rate, else a schedule's runs."""
    if rate:
        return rate * seconds
    if every:
        return seconds / every
    fields = (cron or "").split()
    if len(fields) == 5 and all(re.fullmatch(r"\d+(?:,\d+)*", f) for f in fields[:2]):
        per_day = len(fields[0].split(",")) * len(fields[1].split(","))
        days = 7.0 if fields[4] == "*" else 5.0 if fields[4] in ("1-5", "MON-FRI") else None
        if days is not None and fields[2] == "*" and fields[3] == "*":
            return per_day * days / 7 * seconds / 86400
    return None


# "on a $25 monthly budget": the period after the amount, as an adjective
_MONTHLY_AFTER = re.compile(r"\s+(?P<unit>month|week|year|dai)ly\b", re.I)


def period_budget(sentences: list[str]) -> tuple[float, float, str] | None:
    """(dollars, the period in seconds, the words) of a budget the brief gives per period and not
    per event ("keep model spend below $50 a month", "about a dollar a day"); None without one."""
    for sentence in sentences:
        for row, m in scan(MONEY, sentence):
            amount = row.dollars * (number(m.group("n")) if "n" in m.re.groupindex and m.group("n") else 1.0)
            per = _PER.match(sentence, m.end()) or _MONTHLY_AFTER.match(sentence, m.end())
            period = _PERIODS.fullmatch(per.group("unit")) if per is not None else None
            before = sentence[max(0, m.start() - 40) : m.start()]
            asked = (
                _BUDGET_BEFORE.search(before)
                or _SMALL_BEFORE.search(before)
                or re.search(r"\b(?:budget|spend|keep|stay)\w*\b", sentence, re.I)
            )
            if per is not None and period is not None and amount > 0 and asked:
                return amount, PERIOD_SECONDS[period.group("period").lower()], sentence[m.start() : per.end()]
    return None


# "the monthly model spend under $15", "a daily budget of $2": a budget per period, not per event
_PERIOD_BEFORE = re.compile(
    r"\b(?:monthly|daily|weekly|yearly|annual|seasonal|per\s+(?:month|day|week|year))\b", re.I
)
# words before an amount that make it a budget even with no "per …" ("budget $0.002", "under a penny")
_BUDGET_BEFORE = re.compile(
    # never someone else's spend or price ("anyone with lifetime spend over $2000", "order total")
    r"(?<!lifetime )(?<!total )(?<!annual )(?<!average )(?<!their )(?<!customer )(?<!guest )"
    r"\b(?:budget|spend|spending|costs?|costing|pay|paying|price|cap|afford|cheap(?:ly)?)\b[^.$;]{0,30}$",
    re.I,
)
# what follows a duration that is a case of the event, not a latency: "Under 15 minutes, do nothing"
_NO_ACTION_AFTER = re.compile(
    r"\s*[,:;–-]?\s*(?:just\s+)?(?:do\s+nothing|nothing\b|skip\b|ignore\b|no\s+action|leave\s+it|drop\s+it|don'?t\s+do)",
    re.I,
)

# "under 800ms and five tenths of a cent": the "under" of a latency limit holds the amount too
_LIMITS_BEFORE = re.compile(
    r"\b(?:under|below|within|less than|at most|no more than)\s+[\d.,]+\s*(?:ms|s|secs?|seconds?|mins?|minutes?)"
    # "under 2 s p95 and $0.0008 each"
    r"(?:\s+(?:at\s+)?p\d{2})?\s+and\s+(?:under\s+|about\s+|around\s+|~)?$",
    re.I,
)
_SMALL_BEFORE = re.compile(
    r"\b(?:under|below|less than|at most|no more than|not more than|max(?:imum)?|up to|cheaper than|within|sub)[- ]?\s*(?:~|about\s+|around\s+|like\s+)?$"
    # "keep it around a cent", "keep each one under 2 cents"
    r"|\bkeep\s+(?:it|them|each(?:\s+one)?|the\s+(?:cost|spend|bill))\s+(?:at\s+|to\s+)?(?:~|about\s+|around\s+|roughly\s+|under\s+|below\s+|like\s+)?$",
    re.I,
)


# "one cent max", "2 cents tops": the amount, then the word that makes it a cap
# "$0.0008 each.", "0.3 cents apiece": a small amount said per one
_SMALL_AFTER = re.compile(
    r"\s*(?:max(?:imum)?|tops|at most|or less|or under|cap|limit|apiece|each(?=\s*(?:[.;,]|$)))\b", re.I
)


@dataclass(frozen=True)
class TierPhrase:
    pattern: re.Pattern[str]
    tier: str  # economy | premium


COST_TIERS: list[TierPhrase] = [
    TierPhrase(re.compile(r"\b(cheap(?:ly|er|est)?|low[- ]cost|cost (?:matters|is important|sensitive)|cost[- ]sensitive|keep (?:the )?costs? (?:down|low)|inexpensive|economical|on a budget|tight budget|budget is tight|as cheap as|minimi[sz]e (?:the )?cost)\b", re.I), "economy"),
    TierPhrase(re.compile(r"\b(best (?:possible )?quality|highest quality|quality matters most|accuracy (?:matters|is) (?:most|critical)|premium|cost is no (?:object|issue|concern)|money is no object|best model)\b", re.I), "premium"),
]  # fmt: skip


@dataclass
class Cost:
    """The budget per event in dollars and the cost tier a brief asks for, each with its words."""

    budget: float | None = None
    budget_text: str | None = None
    tier: str | None = None
    tier_text: str | None = None


def money(sentence: str) -> list[tuple[float, re.Match[str], str]]:
    """Per-event budgets in a sentence: (dollars, the amount's match, the words incl. 'per …')."""
    out: list[tuple[float, re.Match[str], str]] = []
    for row, m in scan(MONEY, sentence):
        amount = row.dollars * (number(m.group("n")) if "n" in m.re.groupindex and m.group("n") else 1.0)
        per = _PER.match(sentence, m.end())
        if per is not None:
            if _NOT_PER_EVENT.fullmatch(per.group("unit")):
                volume = (
                    _AT_VOLUME.match(sentence, per.end()) if _PERIODS.fullmatch(per.group("unit")) else None
                )
                if volume is not None and number(volume.group("count")) > 0:
                    # "$200 a month at roughly 40,000 messages": the period's budget over its events
                    out.append(
                        (amount / number(volume.group("count")), m, sentence[m.start() : volume.end()])
                    )
                continue  # "$500 a month", "$3 per million tokens": a price, not a budget per event
            count = number(per.group("count")) if per.group("count") else 1.0
            out.append((amount / count, m, sentence[m.start() : per.end()]))
            continue
        before = sentence[max(0, m.start() - 40) : m.start()]
        spread = _OVER_PERIOD.match(sentence, m.end())
        if spread is not None and number(spread.group("count")) > 0:
            # "$10 for a season of ~4,000 boxes": the budget spread over the events it names
            out.append((amount / number(spread.group("count")), m, sentence[m.start() : spread.end()]))
            continue
        volume = _AT_VOLUME.match(sentence, m.end())
        if (
            volume is not None
            and number(volume.group("count")) > 0
            and (_PERIOD_BEFORE.search(before) or _BUDGET_BEFORE.search(before))
        ):
            # "the monthly budget is $60 for about 90,000 milkings": spread over the events it covers
            out.append((amount / number(volume.group("count")), m, sentence[m.start() : volume.end()]))
            continue
        if _PERIOD_BEFORE.search(before):
            continue  # "the monthly model spend under $15": a budget per month, not per event
        after = _SMALL_AFTER.match(sentence, m.end())
        # "3 s, 0.2 cents.": cents in a terse line of limits are the budget per event
        terse = amount < 0.1 and len(re.findall(r"[A-Za-z]+", sentence)) <= 6
        limits = _LIMITS_BEFORE.search(before)
        if _BUDGET_BEFORE.search(before) or (
            amount < 1 and (_SMALL_BEFORE.search(before) or after or terse or limits)
        ):
            out.append((amount, m, sentence[m.start() : after.end()] if after else m.group(0)))
    return out


_BUDGET_SAID = re.compile(
    r"\b(?:budget|spend|spending|cost|costs|afford|cheap|keep|under|at most|no more than|max|cap|ceiling|"
    r"ai spend|model spend|per\s+(?:event|message|ticket|call|run|request))\b",
    re.I,
)
_CHARGED = re.compile(r"\b(?:fee|fees|charge|charged|refund|invoice|price|pay\s+(?:them|out)|payout)\b", re.I)


_CORRECTED = re.compile(
    r"\b(?:oops|sorry|actually|correction|scratch\s+that|i\s+meant?|make\s+(?:that|it))\b[^.;$€£\d]*$", re.I
)


def read_cost(sentences: list[str], matches: list[Match]) -> Cost:
    """The first per-event budget and the first cost tier the brief names."""
    cost = Cost()
    found = [
        (index, value, m, words)
        for index, sentence in enumerate(sentences)
        for value, m, words in money(sentence)
        if value > 0
    ]
    # a budget said as one ("budget is like 0.3 cents/event") before an amount the flow charges
    # or pays ("charge the $25/person no-show fee")
    said = [
        f
        for f in found
        if _BUDGET_SAID.search(sentences[f[0]])
        and not _CHARGED.search(sentences[f[0]][max(0, f[2].start() - 30) : f[2].start() + len(f[3]) + 20])
    ]
    # "less than 0.3 cents each. oops i meant less than 0.5 cents": the brief's correction holds
    corrected = [
        f for f in found if _CORRECTED.search(sentences[f[0]][max(0, f[2].start() - 40) : f[2].start()])
    ]
    if said or found:
        index, value, m, words = (corrected or said or found)[0]
        for i, _, was, said_words in (said or found) if corrected else []:
            # the amount the correction replaced is read too, never "not understood"
            matches.append(Match("budget", said_words.strip(), i, was.start(), was.start() + len(said_words)))
        # four significant figures: "$60 for 90,000" is $0.0006667, never float noise
        cost.budget, cost.budget_text = float(f"{value:.4g}"), words.strip()
        matches.append(Match("budget", words.strip(), index, m.start(), m.start() + len(words)))
    for index, sentence in enumerate(sentences):
        for row, m in scan(COST_TIERS, sentence):
            if cost.tier is None:
                cost.tier, cost.tier_text = row.tier, m.group(0)
            matches.append(Match("cost", m.group(0), index, m.start(), m.end()))
    return cost


# ---------------------------------------------------------------------------- event rate


@dataclass(frozen=True)
class RatePhrase:
    """Events per period: the pattern (groups `count`, and `unit` unless `per` fixes it)."""

    pattern: re.Pattern[str]
    per: float | None = None  # seconds in the period; None: read the `unit` group
    rate: bool = True  # False: words that look like a rate and are not ("2 cents a ticket")
    average: bool = False  # a volume over weeks or months: for budgets, not for peaks


_PERIOD_SECONDS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "min": 60.0,
    "minute": 60.0,
    "hr": 3600.0,
    "hour": 3600.0,
    "h": 3600.0,
    "day": 86400.0,
    "week": 7 * 86400.0,
    "month": 30 * 86400.0,  # "1500 checkouts a month": volume, for a budget given per month
}
_COUNT_AT = rf"(?<![\w$.,])(?P<count>{COUNT})"
RATES: list[RatePhrase] = [
    RatePhrase(
        re.compile(
            rf"{_COUNT_AT}\s*(?:ms|s|secs?|seconds?|mins?|minutes?|hours?|hrs?|days?|weeks?|times)\b", re.I
        ),
        rate=False,
    ),
    RatePhrase(re.compile(rf"{_COUNT_AT}\s*(?:cents?|¢|dollars?|usd)\b", re.I), rate=False),
    RatePhrase(re.compile(r"\$\s?" + DIGITS, re.I), rate=False),
    RatePhrase(
        re.compile(
            rf"{_COUNT_AT}\s*(?:rps|qps|tps|eps|(?:req(?:uest)?s?|events?|msgs?|messages?)?\s*/\s*s(?:ec(?:ond)?)?)\b",
            re.I,
        ),
        per=1.0,
    ),
    RatePhrase(
        re.compile(
            rf"{_COUNT_AT}\s*(?:rpm|(?:req(?:uest)?s?|events?|msgs?|messages?)?\s*/\s*min(?:ute)?)\b", re.I
        ),
        per=60.0,
    ),
    RatePhrase(
        re.compile(
            rf"{_COUNT_AT}\s+(?:[\w-]+\s+){{0,2}}?(?:a|an|per|/|each|every)\s*(?P<unit>second|sec|s|minute|min|hour|hr|h|day)\b",
            re.I,
        )
    ),
    # "we get maybe 1500 checkouts a month": a volume to spread a monthly budget over, never a
    # peak rate to size the ingress limit by
    RatePhrase(
        re.compile(
            rf"{_COUNT_AT}\s+(?:[\w-]+\s+){{0,2}}?(?:a|an|per|/|each|every)\s*(?P<unit>week|month)\b", re.I
        ),
        average=True,
    ),
]


def read_rate(sentences: list[str], matches: list[Match], averages: bool = False) -> float | None:
    """Events per second the brief expects ('about 50 a second' -> 50.0): the highest it states (a
    peak); with `averages`, a volume per week or month counts too ("1500 checkouts a month")."""
    best: tuple[float, Match] | None = None
    for index, sentence in enumerate(sentences):
        for row, m in scan(RATES, sentence):
            if not row.rate or (row.average and not averages):
                continue
            per = row.per if row.per is not None else _PERIOD_SECONDS[m.group("unit").lower()]
            per_second = number(m.group("count")) / per
            if per_second > 0 and (best is None or per_second > best[0]):
                best = (per_second, Match("rate", m.group(0), index, m.start(), m.end()))
    if best is None:
        return None
    matches.append(best[1])
    return best[0]


# ---------------------------------------------------------------------------- concurrency


@dataclass(frozen=True)
class ConcurrencyPhrase:
    """Words that cap the events in flight; group `n` is the cap."""

    pattern: re.Pattern[str]


def _cap(pattern: str) -> ConcurrencyPhrase:
    return ConcurrencyPhrase(re.compile(pattern, re.I))


_N = r"(?P<n>\d{1,3}(?:,\d{3})+|\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|fifty)"
_AT_ONCE = r"(?:at (?:a|the same|any one|one) time|at once|concurrent(?:ly)?|in parallel|simultaneous(?:ly)?|in[- ]flight|parallel)"
CONCURRENCY: list[ConcurrencyPhrase] = [
    _cap(
        rf"\bconcurrency\s*(?:limit|cap|level)?\s*(?:of|at|=|:|is|to|should be|must be|under|below|<=?)?\s*(?:max(?:imum)?|at most|up to|about|around)?\s*{_N}\b"
    ),
    _cap(
        rf"\b(?:limit|cap|keep|restrict|throttle)\s+(?:the\s+)?concurrency\s+(?:to|at|under|below)\s+{_N}\b"
    ),
    _cap(
        rf"\b(?:at most|no more than|not more than|never more than|up to|max(?:imum)?(?:\s+of)?|only)\s+{_N}\s+(?:[\w-]+\s+){{0,3}}?{_AT_ONCE}"
    ),
    _cap(rf"\b{_N}\s+(?:[\w-]+\s+){{0,2}}?{_AT_ONCE}\s+(?:max(?:imum)?|at most|tops)\b"),
    _cap(
        rf"\b{_N}\s+(?:concurrent|parallel|simultaneous)\s+(?:calls|requests|jobs|workers|connections|runs|executions|events|tasks)\b"
    ),
    _cap(r"\b(?P<n>one)\s+at\s+a\s+time\b"),
]


def read_concurrency(sentences: list[str], matches: list[Match]) -> int | None:
    """The most events in flight the brief allows ('at most 20 at a time' -> 20), if it says."""
    for index, sentence in enumerate(sentences):
        for _, m in scan(CONCURRENCY, sentence):
            value = int(number(m.group("n")))
            if value > 0:
                matches.append(Match("concurrency", m.group(0), index, m.start(), m.end()))
                return value
    return None
