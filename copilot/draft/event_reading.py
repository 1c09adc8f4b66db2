"""Reading what each event is and carries: its noun ("ticket", "claim"), its fields and their types.

The noun is what the budget is counted per, else the thing named where the brief says how
events arrive, else anywhere (`event_noun`, `read_noun`). The fields come from an
`Event: {...}` list, the prose of the sentence that delivers the event, or names written as
identifiers (`read_event_fields`), with the JSON types the brief states (`read_field_types`).
"""

from __future__ import annotations

import re

from copilot.draft.phrases import Match
from copilot.draft.reading import Task
from copilot.draft.triggers import Trigger

# ---------------------------------------------------------------------------- the domain noun

# (noun, pattern) for each kind of event the reader knows; the one named earliest wins, and
# "report" and "request" only count when no other is named (`_GENERIC_NOUNS`).
NOUNS = [
    ("support", r"\b(support )?tickets?\b|\bsupport\b|\bhelp ?desk\b"),
    ("transaction", r"\b(transactions?|payments?|charges?|card)\b"),
    ("lead", r"\b(leads?|sign-?ups?|prospects?)\b"),
    ("review", r"\b(reviews?|ratings?)\b"),
    # "Twilio posts to our webhook": the verb, not a post
    ("content", r"\b(comments?|posts?(?!\s+(?:to|into)\b)|user[- ]generated|uploads?|chat messages?)\b"),
    ("incident", r"(?<!-)\b(incidents?|alerts?|outages?|pages?)\b(?!-)"),  # never a "one-page summary"
    ("order", r"(?<!work )\b(orders?|purchases?|checkouts?)\b"),  # a work order is what the flow opens
    ("invoice", r"\b(invoices?|receipts?|bills?)\b"),
    ("email", r"\b(e-?mails?|inbox)\b"),
    ("document", r"\b(documents?|contracts?|pdfs?|files?)\b"),
    ("application", r"\b(applications?|resumes?|cvs?|candidates?)\b"),
    ("call", r"(?<![-\w])(calls?|transcripts?|voicemails?)\b(?!-)"),  # not "on-call", "call-for-help"
    ("claim", r"\b(claims?)\b"),
    ("message", r"\b(messages?|chats?|dms?|sms)\b"),
    ("report", r"\b(reports?)\b"),
    ("request", r"\b(requests?)\b"),
]
_GENERIC_NOUNS = frozenset({"report", "request"})
KNOWN_NOUNS = frozenset(noun for noun, _ in NOUNS)
_FIELD_LIST = re.compile(r"\bwith\b[^.;:]*$", re.I)
# A noun that qualifies the next one ("the demo-request form", "the report id") is not the event.
_MODIFIER = re.compile(r"\s+(?:form|id|number|page|link|url|type|status|queue|list|system)\b", re.I)
# A noun word used as a verb: "the system posts each email", "customers report an outage".
_AS_VERB = re.compile(r"\s+(?:each|every|a|an|the|their|our|its|us|them|it|his|her|new)\b", re.I)


# "under $0.01 per report", "less than 10c a deal", "$0.002 per photo": what the budget is counted
# in is what each event is, in the brief's own word
_COST_UNIT = re.compile(
    r"(?:[$€£]\s?\d[\d.,]*|\b\d[\d.,]*\s?(?:c|¢|cents?)\b|\b(?:a|one|half a) (?:cent|penny|dime)\b)"
    r"[^.;$€£]{0,30}?(?:\b(?:per|a|an|each)\s+|/\s*)([A-Za-z][a-z-]{2,}|[A-Z]{2,5})\b(?!['’-])"
)
_NOT_UNITS = frozenset({
    "pls", "plz", "please", "thanks", "thx", "lol", "ok", "okay",  # "under 1 cent each pls"
    "event", "run", "night", "day", "hour", "week", "month", "year", "minute", "second", "call", "time",
    "token", "tokens", "model", "batch", "item", "one", "piece", "pop", "go", "unit", "shot", "single",
    "message",  # a transport's word, not the thing it carries
    "half", "quarter", "third", "fifth", "tenth",  # "under a cent and a half": a fraction, no thing
})  # fmt: skip
# a sentence that states the budget: "keep it under …", "budget …", "we can spend …"
_BUDGET_SAID = re.compile(
    r"\b(?:budget|cost|costs|spend|spending|under|at most|no more than|max|maximum|cap|afford|ceiling|cheap|"
    r"keep|limit|less than)\b",
    re.I,
)


def _unit_noun(sentences: list[str]) -> str | None:
    """The thing the budget is counted per, when it is a noun of the brief's domain."""
    for sentence in sentences:
        if not _BUDGET_SAID.search(sentence):
            continue  # "charge a $25/person fee": a price the flow charges, not what it spends
        for m in _COST_UNIT.finditer(sentence):
            word = m.group(1)
            lower = word.lower()
            singular = lower[:-1] if lower.endswith("s") and not lower.endswith("ss") else lower
            if lower in _NOT_UNITS or singular in _NOT_UNITS or (word[0].isupper() and not word.isupper()):
                continue  # "per Slack", "per event": no domain noun
            known = read_noun(singular, generic=True)
            return known if known != "event" else (word if word.isupper() else singular)
    return None


def event_noun(sentences: list[str], trigger: Trigger) -> str:
    """What each event is: the thing the budget is counted per ("$0.002 per photo"), else named
    where the brief says how events arrive, else anywhere."""
    unit = _unit_noun(sentences)
    if unit is not None:
        return unit
    arriving = next((s for s in sentences if trigger.text and trigger.text in s), None)
    # after the sentence events arrive in, only the brief's opening says what they are: a noun in
    # a later instruction ("page the on-call", "a one-page summary") is what the flow does
    texts = [t for t in (arriving, " ".join(sentences[:2])) if t is not None]
    # a specific noun where events arrive, then anywhere; "report", "request" only after that
    for index, text in enumerate(texts):
        noun = read_noun(text)
        if noun != "event":
            return noun
        if index == 0:
            # "whenever a lift changes state": the thing the arriving sentence names, before a
            # known noun elsewhere in the brief ("page the patrol lead")
            named = _ARRIVING_THING.search(text)
            if named and named.group(1).lower() not in _NOT_THINGS:
                return named.group(1).lower()
            if _SENSORS.search(text):
                return "reading"  # "hive sensors publish to Pub/Sub", "smart meters push readings"
            # "For each vessel whose ETA has slipped", "each inverter's yield": the thing the flow
            # works through, before a noun its actions name ("open a Jira ticket")
            for each in _EACH_THING.finditer(" ".join(sentences)):
                thing = each.group(1).lower()
                if thing not in _NOT_THINGS and thing not in _TIME_WORDS:
                    return thing[:-1] if thing.endswith("s") and not thing.endswith("ss") else thing
    return "event"


_SENSORS = re.compile(
    r"\b(?:sensors?|meters?|gauges?|probes?|telemetry|readings|devices?\s+(?:publish|send|push|report))\b",
    re.I,
)
_EACH_THING = re.compile(
    r"\b(?:each|every)\s+([a-z]{3,})(?=['’]s\b|\s*,|\s+(?:whose|who|that|which|with|in|on|from|of|where|is|has|into|as)\b)",
    re.I,
)
_TIME_WORDS = frozenset(
    {"minute", "minutes", "hour", "hours", "day", "days", "night", "nights", "morning", "evening", "week",
     "weeks", "month", "months", "year", "time", "run", "weekday", "monday", "tuesday", "wednesday",
     "thursday", "friday", "saturday", "sunday", "one", "other", "single"}
)  # fmt: skip


_ARRIVING_THING = re.compile(
    r"\b(?:whenever|when|each time|every time|once)\s+(?:a|an)\s+(?:new\s+)?([a-z][a-z]{2,})\s+"
    r"(?:is|gets|[a-z]{2,}(?:s|ed))\b",
)
_NOT_THINGS = frozenset(
    {"user", "customer", "person", "someone", "new", "thing", "change", "webhook", "event"}
)


def read_noun(text: str, *, generic: bool = True) -> str:
    best, best_pos = "event", len(text) + 1
    for generic_pass in (False, True) if generic else (False,):
        for noun, pattern in NOUNS:
            if (noun in _GENERIC_NOUNS) != generic_pass:
                continue
            m = next(
                (
                    m
                    for m in re.finditer(pattern, text, re.I)
                    # a verb ("posts each email"), or a field the event carries ("with their … work email")
                    if not _AS_VERB.match(text, m.end())
                    and not _MODIFIER.match(text, m.end())
                    and not _FIELD_LIST.search(text, 0, m.start())
                    # "the planner's call": someone's, not the thing that arrives
                    and not re.search(r"['’]s\s+$", text[: m.start()])
                    # a field of the event listed in parentheses or braces: "(member_id, email, …)"
                    and text.count("(", 0, m.start()) <= text.count(")", 0, m.start())
                    and text.count("{", 0, m.start()) <= text.count("}", 0, m.start())
                ),
                None,
            )
            if m and m.start() < best_pos:
                best, best_pos = noun, m.start()
        if best != "event":
            break
    return best


_EVENT_FIELDS = re.compile(
    r"\b(?:event|payload|body|input|message)s?\b[^{}\n]{0,30}?\{\s*([A-Za-z_][\w\s,.?]*)\}", re.I
)


def read_event_fields(
    sentences: list[str], matches: list[Match], trigger: Trigger | None = None
) -> list[str]:
    """`Event: {id, subject, body, email}` -> the field names (all read as strings); else the
    fields the sentence that delivers the event lists in prose (`_prose_fields`)."""
    for index, sentence in enumerate(sentences):
        m = _EVENT_FIELDS.search(sentence)
        if m:
            names = [re.sub(r"\W", "", f) for f in m.group(1).split(",")]
            names = [n for n in names if re.fullmatch(r"[A-Za-z_]\w{0,40}", n)]
            if names:
                matches.append(Match("event", m.group(0), index, m.start(), m.end()))
                return names[:30]
    if trigger is not None and trigger.kind == "schedule":
        return []  # a schedule's event is the tick; what it lists is data to fetch or outputs
    trigger_text = trigger.text if trigger is not None else None
    for index, sentence in enumerate(sentences):
        delivers = (trigger_text and trigger_text in sentence) or (
            _DELIVERS.search(sentence) and not _IMPERATIVE_START.match(sentence)
        )
        listed = _prose_fields(sentence) if delivers else None
        if listed:
            names, start = listed
            matches.append(Match("event", sentence[start:], index, start, len(sentence)))
            return names
    for index, sentence in enumerate(sentences):
        # "Each dispute has dispute_id, match_id, …": names written as identifiers are the event's
        # fields in whatever sentence lists them
        named = _identifier_fields(sentence)
        if named is not None:
            matches.append(Match("event", sentence[named[1] :], index, named[1], len(sentence)))
            return named[0]
    return []


# "round_number (int)", "loa_feet as a number", "is_member (bool)", "session_hours which is a
# number", "has_color true/false", "weight_kg - a number": the type the brief states
_STATED_TYPE = re.compile(
    r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+)\s*"
    r"(?:\(\s*(?:an?\s+)?|\s+as\s+an?\s+|,?\s+(?:which|that)\s+(?:is|are|'s|’s)\s+(?:an?\s+)?"
    r"|\s+is\s+(?:an?\s+)?|\s*[-–—:]\s*(?:an?\s+)?|\s+(?=(?:true/false|yes/no|y/n|t/f)\b))"
    r"(int|integer|number|numeric|float|decimal|bool|boolean|true/false|yes/no|y/n|t/f|list|array)\b",
    re.I,
)
# "damage_reported (yes/no)" is a flag, typed boolean as a JSON payload carries one (Bookeo's,
# Square's and Stripe's APIs send flags as true/false), not a string enum ["yes", "no"]: a
# condition on it ("if damage reported") tests it as a flag, where the string "no" would read
# true; and a sender that does post "yes"/"no" strings is rejected loudly at the trigger's
# schema instead of taking the wrong branch quietly
_TYPES = {
    **dict.fromkeys(("int", "integer"), "integer"),
    **dict.fromkeys(("number", "numeric", "float", "decimal"), "number"),
    **dict.fromkeys(("bool", "boolean", "true/false", "yes/no", "y/n", "t/f"), "boolean"),
    **dict.fromkeys(("list", "array"), "array"),
}


# "status (completed, failed or cancelled)": the values a listed field takes
_FIELD_VALUES = re.compile(
    # "status (completed, failed or cancelled)", "event_type (delivered, picked_up, expired)"
    r"\b([a-z][a-z0-9_]*)\s*\(\s*([\w-]+(?:\s*,\s*[\w-]+)*\s*,?\s*(?:(?:\bor\b|\band\b|/)\s*)?[\w-]+)\s*\)"
)


def read_field_values(sentences: list[str], fields: list[str]) -> dict[str, list[str]]:
    """The values the brief lists for a field ("status (completed, failed or cancelled)")."""
    out: dict[str, list[str]] = {}
    for sentence in sentences:
        for m in _FIELD_VALUES.finditer(sentence):
            values = [v for v in re.split(r"\s*(?:,|/|\bor\b|\band\b)\s*", m.group(2)) if v]
            joined = re.search(r"\bor\b|\band\b|/", m.group(2)) is not None
            if (
                m.group(1) in fields
                and len(values) >= (2 if joined else 3)
                and not any(v.isdigit() for v in values)
            ):
                out[m.group(1)] = values
        for m in _CHOICE.finditer(sentence):
            name = f"{m.group(1)}_or_{m.group(2)}".replace("-", "_").lower()
            if name in fields:
                out[name] = [m.group(1).lower(), m.group(2).lower()]  # "wood-fired", "electric"
        for name in fields:
            # "the manufacturer's verification response (verified, not verified, or no response)":
            # a field named in prose, its values listed after its words
            said = r"['’]?s?\s+".join(re.escape(w) for w in name.split("_"))
            # or after a colon: "(piano type: upright or grand, last tuned, …)"
            m = re.search(rf"\b{said}\s*\(([^()]+)\)", sentence, re.I) or re.search(
                rf"\b{said}\s*:\s*([\w -]+?\s+or\s+[\w-]+)", sentence, re.I
            )
            if m is None or name in out:
                continue
            values = [
                v.strip() for v in re.split(r"\s*,\s*(?:or\s+)?|\s+or\s+|\s*/\s*", m.group(1)) if v.strip()
            ]
            if (
                2 <= len(values) <= 8
                and all(len(v.split()) <= 3 for v in values)
                and not any(v.isdigit() for v in values)
            ):
                out[name] = values
    return out


def read_field_types(sentences: list[str], fields: list[str]) -> dict[str, str]:
    """The JSON type the brief states for each listed field it types."""
    out: dict[str, str] = {}
    for sentence in sentences:
        for m in _STATED_TYPE.finditer(sentence):
            if m.group(1) in fields:
                out[m.group(1)] = _TYPES[m.group(2).lower()]
        for m in re.finditer(
            r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)*)\s+(?:(?:flag|boolean|yes/no|true/false)\b|(?:is|are|=+)\s+(?:true|false)\b)",
            sentence,
            re.I,
        ):
            # "a companion_ticket flag", "If road_closure_needed is true": a yes or no
            if m.group(1) in fields:
                out.setdefault(m.group(1), "boolean")
        for m in _WHETHER_FIELD.finditer(sentence):
            # "and whether a game is in progress": the yes/no field that item became
            words = re.findall(r"[a-z]+", " ".join(w for w in m.group("noun", "what") if w).lower())
            if "_".join(words) in fields:
                out.setdefault("_".join(words), "boolean")
    return out


# "posts each email to our webhook with the order number, the visitor's email and the message
# text", "the payload includes the SKU, the store id and the count": what the event carries
_DELIVERS = re.compile(
    r"\b(?:posts|sends|pushes|forwards|publishes|submits|submitted|arrives?|comes? in|lands?|payloads?|"
    r"webhooks?|queue|topic|trigger|POST|events?|messages?|fields)\b",
    re.I,
)
_IMPERATIVE_START = re.compile(r"^\W*(?:please\s+)?(?:post|send|push|forward|publish)\b", re.I)
_CARRIES = re.compile(
    # "w/ job id, homeowner email, …": "with", as a hurried brief writes it
    r"\b(?:with|w/|containing|contains|including|includes|carrying|carries|has|having|gives|provides)\s+"
    r"(?:(?:us|you)\s+)?(?:fields?\s+)?(?:like\s+)?|"
    r"\bfields?\s*:\s*|\b(?:event|payload|body|message)s?\s*(?:fields?\s*)?:\s*|"
    # "(fields are like client_id, artist, …)", "the fields include …"
    r"\bfields?\s+(?:are|is|include|includes|incl\.?)\s*:?\s*"
    r"(?:(?:like|roughly|basically|something like|prob(?:ably)?)\b)?\s*",
    re.I,
)
_NOT_A_FIELD = re.compile(
    r"^(?:more|less|fewer|over|under|at|no|any|all|every|each|some|only|about|around|up|a lot|lots|"
    r"details?|info(?:rmation)?|data|stuff|things?|everything|it|them|us)\b",
    re.I,
)
_CLAUSE_WORDS = frozenset(
    {"they're", "they", "that", "which", "who", "we", "you", "it", "is", "are", "was", "where", "when"}
)
_OWNERS = frozenset({"the", "a", "an", "its", "their", "his", "her", "our", "your"})
_HOW_WRITTEN = frozenset(
    {"free-text", "free_text", "freeform", "free-form", "optional", "short", "raw", "plain-text"}
)


_IDENTIFIER = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\[\])?")
# What a loose list says after a name, and is no name nor the end of the list: an aside in
# parentheses ("(optional)", "(int)"), the type ("as a number", "which is a number", "- a
# number", "true/false", "yes/no") and a hedge ("i think", "probably")
_TYPE_WORDS = (
    r"(?:int|integer|number|numeric|float|decimal|bool|boolean|string|text|list|array|"
    r"date|datetime|timestamp)"
)
_GLOSS = (
    r"\s*\([^()]*\)"
    rf"|(?:,?\s+(?:which|that)\s+(?:is|are|'s|’s)|\s+(?:is|as)|\s*[-–—:])\s+(?:an?\s+)?{_TYPE_WORDS}\b"
    r"|\s+(?:true/false|yes/no|y/n|t/f)\b(?!/)"
    # a hedge ends its item: "has_color true/false i think)", never "the amount, maybe the currency"
    r"|,?\s+(?:i think|i guess|i believe|i'm pretty sure|probably|prob|maybe|iirc|afaik|or so|or something)\b"
    r"(?=\s*(?:[,.;:!?)]|\band\b|\bor\b|$))"
)
_GLOSSES = re.compile(rf"(?:{_GLOSS})+", re.I)
# "request_id, category, description, latitude, reporter_email (optional), photo_count": a list
# of names written as identifiers, asides allowed, however the sentence introduces it
_LISTED_NAME = (
    rf"`?[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\[\])?`?(?:{_GLOSS})*"
    # a name ends the item: "and the list of booking refs" is prose, not a name
    r"(?=\s*(?:,|\band\b|\bor\b|[.;:!?)]|$))"
)
_IDENTIFIER_LIST = re.compile(_LISTED_NAME + r"(?:\s*(?:,|\band\b|,\s*and\b)\s*" + _LISTED_NAME + ")+")


# what comes before a model's options, never an event's fields: "the reason bucket:", "classify it as"
_OPTIONS_BEFORE = re.compile(
    r"\b(?:buckets?|categor\w*|labels?|class(?:es)?|kinds?|verdicts?|decisions?|options?|one\s+of|"
    r"figure\s+out|classify|decide|pick|choose)\b[^:.;]{0,40}[:]?\s*$",
    re.I,
)


def _identifier_fields(sentence: str) -> tuple[list[str], int] | None:
    """Two or more names with underscores in one comma list: the event's fields, whatever words
    come before them ("w/", "contains", "webhook:")."""
    for m in _IDENTIFIER_LIST.finditer(sentence):
        if _OPTIONS_BEFORE.search(sentence[: m.start()]):
            continue  # "figure out the reason bucket: price, too_much_coffee, …": a model's options
        # "claim_type (e.g. \"disconnect\", \"cheating\")": an aside, commas and all, is no item
        bare = _GLOSSES.sub("", m.group(0))
        items = [re.sub(r"[`\[\]]", "", i).strip() for i in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", bare)]
        items = [i for i in items if i]
        if sum("_" in i for i in items) >= 2 and len(set(items)) == len(items):
            return items[:30], m.start()
    return None


def outside_field_lists(sentences: list[str], tasks: list[Task], matches: list[Match]) -> list[Task]:
    """The tasks that are not words of the event's field list ("answers to the intake questions"
    after "hits our webhook with …")."""
    delivering = {m.sentence for m in matches if m.kind == "trigger" and 0 <= m.sentence < len(sentences)}
    listed = {index: fields_listed_at(sentences[index]) for index in delivering}
    return [
        t
        for t in tasks
        if (span := listed.get(t.sentence)) is None or t.start < 0 or not span[0] <= t.start < span[1]
    ]


def fields_listed_at(sentence: str) -> tuple[int, int] | None:
    """Where a sentence lists the event's fields in prose ("… with the response id, seller name,
    book title …"), or None: no clause of that list is an action ("book title")."""
    listed = _prose_fields(sentence)
    if listed is None:
        return None
    start = listed[1]
    if sentence[start : start + 1] == "(":
        close = sentence.find(")", start)
        return start, close + 1 if close > 0 else len(sentence)
    # the list runs to its sentence's end or the clause that follows it ("…, then classify it")
    depth, at = 0, start
    while at < len(sentence):
        depth += {"(": 1, ")": -1}.get(sentence[at], 0)
        if depth < 0:
            break  # "(fields: patient_id, values)": the parenthesis the list was in ends it
        if depth == 0 and re.match(
            r"[.;]|,\s*(?:then|so|and then|which|where|when)\b|\s[-–—]\s", sentence[at:]
        ):
            break
        at += 1
    return start, at


def _prose_fields(sentence: str) -> tuple[list[str], int] | None:
    """(snake_case field names, where the list starts) when a sentence lists names written as
    identifiers, or two or more short noun phrases after "with"/"containing"/"includes", or in
    parentheses ("a webhook from our booking form (owner name, phone)"): `the visitor's email`
    -> visitor_email."""
    named = _identifier_fields(sentence)
    phrased = _phrase_fields(sentence)
    if named is not None and (phrased is None or not set(named[0]) <= set(phrased[0])):
        return named  # names as identifiers, unless the prose list holds them and more
    return phrased


def _parts_listed(rest: str) -> str:
    """ "…, the address and answers to the intake questions (piano type: upright or grand, last
    tuned, any notes)": an item whose parenthesis lists its parts is those parts (a part's values
    after its colon left out)."""

    def parts(m: re.Match[str]) -> str:
        items = [i.strip() for i in re.sub(r"\s*:[^,]*", "", m.group("inner")).split(",") if i.strip()]
        if "and" not in m.group("lead"):
            return m.group("lead") + ", ".join(items)
        return ", " + ", ".join(items[:-1]) + " and " + items[-1]  # the list still ends at its "and"

    return re.sub(
        # only a whole named by its parts ("answers to the intake questions", "the contact details"),
        # never a field and its values ("the review status (approved, not approved, or pending)")
        r"(?P<lead>(?:^|,|\band\b)\s*)(?:(?!and\b)[\w'’-]+\s+){0,5}?(?:answers|questions|details|fields|info|information|"
        r"data|items|parts)\s+(?:[\w'’-]+\s+){0,4}?\((?P<inner>[^()]*,[^()]*)\)",
        parts,
        rest,
        count=1,
    )


def _phrase_fields(sentence: str) -> tuple[list[str], int] | None:
    for m in _CARRIES.finditer(sentence):
        rest = _parts_listed(sentence[m.end() :])
        rest = re.sub(r"\s*\([^()]*\)", "", rest)  # "(may be empty)": an aside
        end = re.search(r"[.;:!?()]|\s[-–—]\s|,\s*(?:then|so|and then|which|where|when)\b", rest)
        listed = rest[: end.start()] if end else rest
        last = re.search(r"(?:,\s*|\s+)(?:and|or|plus)\s+", listed)
        if last is not None:  # "A, B and C, classify it": the list ends at the comma after its "and"
            listed = listed[: last.end()] + listed[last.end() :].split(",")[0]
        names = _field_names(listed)
        if names:
            return names, m.start()
    for m in re.finditer(
        r":\s*((?:`?[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\[\])?`?\s*,\s*)+(?:and\s+)?`?[a-z][a-z0-9_]*(?:\[\])?`?)\s*(?:[.;]|$)",
        sentence,
    ):
        # "one message per claim: claim_id, policy_no, photos[]": names written as identifiers
        if _OPTIONS_BEFORE.search(sentence[: m.start()]):
            continue
        items = re.split(r"\s*,\s*(?:and\s+)?", m.group(1))
        if sum("_" in i or i.endswith("[]") for i in items) >= 2:
            names = _field_names(m.group(1).replace("[]", "").replace("`", ""))
            if names:
                return names, m.start()
    for m in re.finditer(r"\(([^()]*)\)", sentence):
        listed = re.split(r"\bfields?\s*:\s*", m.group(1))[-1]  # "(webhook, fields: a, b)"
        names = _field_names(listed)
        if names:
            return names, m.start()
    return None


_WHETHER_FIELD = re.compile(
    r"\W*whether\s+(?:(?:the|a|an|its|their)\s+(?P<noun>[a-z]+)\s+(?:is|are|was|has\s+been)\s+|"
    r"(?:they|it|he|she)(?:['’](?:re|s)|\s+(?:is|are))\s+(?:an?\s+|the\s+)?)"
    r"(?:currently\s+|already\s+|still\s+|now\s+)?(?P<what>in\s+[a-z]+|[a-z]+(?:\s+(?!(?:on|at|in|for|of|to|by|with)\b)[a-z]+)?)",
    re.I,
)


_CAMEL = re.compile(r"[A-Za-z][a-z0-9]+(?:[A-Z][a-z0-9]+)+")  # `MessageSid`, `callSid`


# "whether they want the wood-fired or electric one": a choice the event carries, and its values
_CHOICE = re.compile(
    r"\bwhether\s+(?:they|he|she|it|the\s+\w+)\s+(?:wants?|picked|chose|choose|prefers?|selected|needs?)\s+"
    r"(?:the\s+|a\s+|an\s+)?([\w-]+)\s+or\s+(?:the\s+|a\s+|an\s+)?([\w-]+)(?:\s+(?:one|option|model|version))?",
    re.I,
)


def _field_names(listed: str) -> list[str]:
    """`the order number, the visitor's email and the message text` -> order_number,
    visitor_email, message_text; [] unless it is a list of two or more short noun phrases."""
    listed = _GLOSSES.sub("", listed)  # "session hours which is a number", "has color true/false"
    # "whether they want the wood-fired or electric one": one field, its two values
    listed = _CHOICE.sub(lambda m: f"{m.group(1)}_or_{m.group(2)}".replace("-", "_"), listed)
    items = [i.strip() for i in re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or|plus)\s+", listed)]
    names: list[str] = []
    if any(_CAMEL.fullmatch(i) for i in items) and all(
        re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", i) for i in items
    ):
        # "From, Body, and MessageSid": Twilio's names, written as the payload spells them
        return items[:30] if len(items) >= 2 and len(set(items)) == len(items) else []
    # "From, Body, MessageSid and the timestamp": a list that copies a payload's own names keeps them
    payload_names = any(_CAMEL.fullmatch(i) for i in items)
    for item in items:
        if payload_names and re.fullmatch(r"[A-Z][A-Za-z0-9]*", item):
            names.append(item)
            continue
        asked = _WHETHER_FIELD.match(item)
        if asked is not None:
            # "whether a game is currently in progress on that lane" -> game_in_progress, "whether
            # they're a paying member" -> paying_member: a yes/no field named by what it says
            name = "_".join(
                w.lower()
                for w in re.findall(
                    r"[A-Za-z]+",
                    " ".join(asked.group("noun", "what")) if asked.group("noun") else asked.group("what"),
                )
            )
            if name and name not in names:
                names.append(name[:40])
            continue
        quoted = re.search(
            r"['\"‘“]([A-Za-z][\w ’']{1,30}?)['\"’”]\s*(?:box|field|column|section|question)?\s*$", item
        )
        if quoted is not None and len(quoted.group(1).split()) <= 4:
            # "a big free text 'whats going on' box": the box is named by its quoted words
            names.append(
                "_".join(re.findall(r"[a-z0-9]+", quoted.group(1).lower().replace("’", "").replace("'", "")))
            )
            continue
        if re.search(r"[A-Za-z]['’](?:t|re|ve|ll|d|m)\b", item):
            return []  # "(Tripspark, don't ask)": an aside, not a list of fields
        named = re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", item)
        if len(named) == 1 and not item.strip("` ").startswith(named[0] + " "):
            names.append(named[0])  # "a short free-text broker_comment": the name it is written as
            continue
        # "up to three photo URLs", "sometimes photos": how many, not what the field is
        item = re.sub(
            r"^\s*(?:up\s+to\s+(?:\w+\s+)?|one\s+or\s+more\s+|several\s+|sometimes\s+|optional(?:ly)?\s+|any\s+)",
            "",
            item,
            flags=re.I,
        )
        words = [w.lower().replace("’", "'") for w in re.findall(r"[A-Za-z][\w'’-]*", item)]
        while words and words[0] in _OWNERS:
            words = words[1:]
        # "the intake tech's free-text condition notes": how it is written is not what it is
        words = [w for w in words if w not in _HOW_WRITTEN] or words
        owner = next((i for i, w in enumerate(words) if re.search(r"'s$|s'$", w)), None)
        if owner is not None and len(words) > 3:
            words = words[owner:]  # "the returning pharmacy's account number" -> pharmacy_account_number
        if words[:2] in (["list", "of"], ["array", "of"], ["set", "of"]):
            words = words[2:]  # "the list of booking refs" -> booking_refs
        elif "of" in words[1:3] and len(words) <= 6 and words[-1] not in _CLAUSE_WORDS:
            # "the URL of the uploaded PDF" -> pdf_url, "the name of the clinic" -> clinic_name
            words = [words[-1], *words[: words.index("of")]]
        cut = next((i for i, w in enumerate(words) if i and w in _CLAUSE_WORDS), len(words))
        words = words[:cut]  # "the programme they're looking at": the noun before its clause
        words = [re.sub(r"'s$|'$", "", w).replace("-", "_") for w in words]
        # "a free-text notes field", "an optional comments field": the name is the noun before "field"
        if len(words) > 1 and words[-1] in ("field", "column", "attribute", "property", "box"):
            words = [
                w
                for w in words[:-1]
                if w not in ("free_text", "optional", "short", "long", "text", "a", "an")
            ]
            words = words[-1:] if words else words
        if (
            not words
            or len(words) > 3
            or _NOT_A_FIELD.match(" ".join(words))
            # "reading_m3" is a name; "2 photos" is not
            or (re.search(r"\d", item) and not _IDENTIFIER.fullmatch(item.strip("` ")))
        ):
            return []
        names.append("_".join(words))
    return names[:30] if len(names) >= 2 and len(set(names)) == len(names) else []
