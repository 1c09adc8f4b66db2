"""The requirement clauses of a brief: what it asks the automation to *do*.

A requirement clause is a clause with an action verb used as a verb: an imperative
("page the on-call engineer", "block the card via our risk API"), a verb after a
subject or modal ("we should post to #sales", "it must update the CRM record"), or a
verb coordinated with one ("classify it and page on-call"). Nouns that look like verbs
("answers must only come from…", "an alert"), passives ("when a PR is opened") and
references to work already done ("after we have answered") are not requirements.

This reading is deliberately separate from the offline drafter's task reader: it is the
yardstick every draft is measured against (offline or LLM), so it must not share the
drafter's blind spots. Its vocabulary is tables, one concept each.
"""

# ruff: noqa: E501  (the vocabulary below is tables and regular expressions, easier to read whole)
from __future__ import annotations

import re
from dataclasses import dataclass

from copilot.draft.subjects import (
    label_subject,
    listed_values,
    subject_limiter,
    systems_named,
)

# verb (base form) -> "model" (work a model does) or "effect" (changes something outside)
ACTION_VERBS: dict[str, str] = {
    **dict.fromkeys(
        (
            "classify",
            "categorise",
            "categorize",
            "triage",
            "label",
            "tag",
            "score",
            "rate",
            "rank",
            "detect",
            "moderate",
            "screen",
            "summarise",
            "summarize",
            "extract",
            "translate",
            "answer",
            "draft",
            "write",
            "reply",
            "respond",
            "suggest",
            "propose",
            "recommend",
            "generate",
            "enrich",
            "analyse",
            "analyze",
            "assess",
            "evaluate",
            "review",
            "identify",
            "determine",
            "decide",
            "generate",
            "compose",
            "prioritise",
            "prioritize",
            "check",
            "verify",
            "route",
            "match",
            "dedupe",
            "deduplicate",
            "transcribe",
            "parse",
            "recommend",
            "predict",
            "estimate",
            "forecast",
            "compare",
            "pick",
            "choose",
            "select",
        ),
        "model",
    ),
    **dict.fromkeys(
        (
            "block",
            "freeze",
            "suspend",
            "lock",
            "hold",
            "put",
            "refund",
            "cancel",
            "close",
            "reopen",
            "open",
            "create",
            "file",
            "comment",
            "post",
            "send",
            "email",
            "e-mail",
            "message",
            "notify",
            "alert",
            "page",
            "ping",
            "escalate",
            "forward",
            "assign",
            "update",
            "store",
            "save",
            "log",
            "record",
            "insert",
            "upsert",
            "push",
            "sync",
            "add",
            "remove",
            "delete",
            "archive",
            "mark",
            "approve",
            "reject",
            "publish",
            "unpublish",
            "hide",
            "ban",
            "quarantine",
            "schedule",
            "book",
            "invite",
            "text",
            "call",
            "trigger",
            "pause",
            "resume",
            "flag",
            "reserve",
            "charge",
            "issue",
            "credit",
            "ship",
            "upload",
            "attach",
            "enqueue",
            "requeue",
            "mute",
            "kick",
            "patch",
            "decline",
            "release",
            "submit",
            "dm",
            "isolate",
            "disable",
            "reset",
            "unlock",
            "revoke",
            "deactivate",
            "refill",
            "renew",
            "hand",
            "transfer",
            "handoff",
            "link",
            "merge",
            "associate",
            "quarantine",
            "suspend",
        ),
        "effect",
    ),
    # reading from a system of record: the draft needs a call that reads it, not a model's guess
    **dict.fromkeys(("look", "lookup", "fetch", "pull", "query", "retrieve", "search", "find"), "lookup"),
}

# Words that put a verb right after them in an instruction.
_LEAD = re.compile(
    r"^(?:(?:and|or|then|also|please|first|finally|always|only|immediately|just|next|afterwards|otherwise|else|"
    r"we|i|you|it|the (?:bot|flow|system|automation|agent|assistant)|flowgen|should|must|shall|will|"
    r"(?:have|let|get|ask|make) (?:the|a|an|our) (?:model|llm|ai|bot|agent|assistant)(?: to)?|"
    r"'ll|can|could|would|need to|needs to|want to|wants to|have to|has to|to|let'?s|go ahead and|"
    r"automatically|quickly|also|then)\s+)+",
    re.I,
)
_PASSIVE = re.compile(r"\b(?:is|are|was|were|be|been|being|gets?|got|has|have|had)\s+(?:\w+ly\s+)?$", re.I)
_DETERMINER = re.compile(r"\b(?:a|an|the|this|that|its|their|our|your|each|every|no|any|some)\s+$", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")

# External systems a clause can write to: the draft needs a step that writes there.
DESTINATIONS = re.compile(
    r"\b(?:crm|salesforce|hubspot|zendesk|jira|linear|notion|airtable|bigquery|snowflake|warehouse|data warehouse|"
    r"database|postgres|s3|spreadsheet|google sheets?|sheet|erp|shopify|stripe|slack|#[\w-]+|teams|discord|"
    r"pagerduty|pager ?duty|opsgenie|on-?call|e-?mail|inbox|sms|github|gitlab|pull request|pr|issue tracker|"
    r"ticket(?:ing)? system|[\w-]+ api|api|webhook|endpoint|queue|topic|dashboard|calendar|ats|greenhouse|"
    r"(?:[\w-]+ )?(?:document|doc|wiki)|confluence|workday|netsuite|quickbooks|xero|mailchimp|intercom|freshdesk|servicenow|statuspage)\b",
    re.I,
)
# Phrases that limit an action to some events: the step must carry an `if:`.
LIMITERS = re.compile(
    r"\b(?:only (?:if|when|for)|if|when(?:ever)?|unless|in case|where|for (?:the )?(?:urgent|critical|high[- ]\w+|"
    r"low[- ]\w+|negative|flagged|suspicious|risky|angry|vip|priority|p1|sev-?1|important|large|big|failed|"
    r"[\w-]+-risk|[\w-]+ ones)|(?:urgent|critical|high[- ]risk|high[- ]priority|flagged|suspicious|risky|"
    r"negative|toxic|violating|fraudulent|failed|large|vip|enterprise|qualified|hot|approved|rejected|eligible|"
    r"ineligible|declined|accepted|held|blocked)\s+\w+s\b|(?:anything|everything|whatever|those|ones)\s+"
    r"(?:flagged|marked|sent|held|approved|rejected)\b|"
    r"(?:anything|everything|whatever|any\s+[\w-]+)\s+(?:that\s+)?(?:mention\w*|about|involv\w*|contain\w*|describ\w*)\b|"
    r"(?:above|over|below|under|more than|less than|at least|exceeds?|>=?|<=?)\s*\$?\d)",
    re.I,
)


def normalise(text: str) -> str:
    """Case- and whitespace-insensitive form used to compare quotes with the brief."""
    return " ".join(text.lower().replace("`", "").split())


@dataclass
class Clause:
    """One requirement of the brief."""

    text: str
    sentence: int
    verb: str
    kind: str  # model | effect
    destination: str | None = None  # an external system the clause writes to
    limiter: str | None = None  # the words that limit it to some events
    systems: tuple[str, ...] = ()  # systems the brief names for it ("in Guidewire", "via CrowdStrike")

    @property
    def effectful(self) -> bool:
        return self.kind == "effect" or self.destination is not None


# Words after which a base-form verb is an instruction: "and page", "please post", "we block".
_CONNECTORS = {
    "and", "then", "also", "please", "first", "finally", "always", "only", "immediately", "just", "next",
    "afterwards", "otherwise", "else", "we", "i", "you", "should", "must", "shall", "will", "can", "could",
    "to", "it", "so", "or", "but", "automatically", "quickly", "instead", "never", "don't", "dont", "do",
}  # fmt: skip
_OBJECT_START = re.compile(
    r"the|a|an|it|them|to|our|their|his|her|#[\w-]+|on|in|via|with|back|out|up|all|each|every|its|this|that|[\w-]+s"
)


# Short items joined by commas and a final or/and, up to the end of the clause: a list of options.
_OPTION_LIST = re.compile(
    r"\s*(?:[\w'-]+(?:\s+[\w'-]+)?\s*,\s*)+(?:[\w'-]+(?:\s+[\w'-]+)?\s*,?\s+)?(?:or|and)\s+[\w'-]+(?:\s+[\w'-]+)?\s*(?:[.;]|$)|"
    # "one of: FAST_TRACK, ADJUSTER_VISIT, DENY_NO_EVENT": labels written as identifiers
    r"(?-i:\s*`?[A-Z][A-Z0-9_]+`?(?:\s*,\s*`?[A-Z][A-Z0-9_]+`?)+\s*(?:[.;]|$))",
    re.I,
)


_IN_NUMBER = re.compile(r"(?<=\d)(?::\d\d|,\d{3})(?!\d)")


def clause_spans(sentence: str) -> list[tuple[int, int]]:
    """Clause spans: at commas, semicolons and 'then', and at 'and'/'or' before an action verb;
    never inside parentheses or backticks (a label list is one clause)."""
    cuts: list[tuple[int, int]] = []
    depth = 0
    tick = False
    for i, ch in enumerate(sentence):
        if ch == "`":
            tick = not tick
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch in ",;:" and depth == 0 and not tick:
            if _IN_NUMBER.match(sentence, i):
                continue  # "06:00" and "£15,000" are one number, not two clauses
            after = _WORD.match(sentence[i + 1 :].lstrip())
            if (
                ch == ","
                and re.search(r"\b(?:a|an|the|our|their|its|your)\s+[\w-]+$", sentence[:i], re.I)
                and after is not None
                and _base(after.group(0)) not in ACTION_VERBS
                and after.group(0).lower() not in ("and", "or", "then", "but", "so", "if", "when", "unless")
            ):
                continue  # "a short, friendly reply": adjectives, not clauses
            if ch == "," and re.search(
                r"\b(?:as|into|either|between|one of)\s+(?:[\w-]+\s+){0,2}[\w-]+(?:,\s*[\w-]+(?:\s+[\w-]+)?){0,8}$",
                sentence[:i],
                re.I,
            ):
                continue  # "classify it as new booking, reschedule or cancellation": one list
            if ch == ":" and _OPTION_LIST.match(sentence[i + 1 :]):
                continue  # "give a verdict: approve, reject or manual review": options, not actions
            if (
                ch == ","
                and ":" in sentence[:i]
                and _OPTION_LIST.match(sentence[sentence.rfind(":", 0, i) + 1 :])
            ):
                continue  # …and the commas inside that list
            cuts.append((i, i + 1))
    dashes = list(re.finditer(r"\s(?:—|–|--?)\s", sentence))
    if len(dashes) == 1 and sentence[: dashes[0].start()].count("(") <= sentence[: dashes[0].start()].count(
        ")"
    ):
        # "must never get an automatic reply — notify the lead": a dash between two clauses (a
        # pair of dashes encloses an aside, like parentheses: "moderate it — flag hate, spam — and…")
        cuts.append((dashes[0].start(), dashes[0].end()))
    for m in re.finditer(r"\s+(?:and then|then|and|or|but|so)\s+(?=([A-Za-z'-]+)(\s+[#\w'-]+)?)", sentence):
        word = m.group(1).lower()
        after = (m.group(2) or "").strip().lower()
        inside = sentence[: m.start()].count("(") > sentence[: m.start()].count(")")
        # "and page the on-call engineer" starts an instruction; "post or comment before…" joins nouns
        joiner = m.group(0).strip().lower()
        verb = _base(word) in ACTION_VERBS and (
            joiner != "or" or not after or bool(_OBJECT_START.fullmatch(after))
        )
        if not inside and (m.group(0).strip() in ("then", "and then") or verb):
            cuts.append((m.start(), m.end()))
    spans: list[tuple[int, int]] = []
    start = 0
    for a, b in sorted(cuts):
        if a >= start:
            spans.append((start, a))
            start = b
    spans.append((start, len(sentence)))
    return [(a, b) for a, b in spans if sentence[a:b].strip(" ,;:.")]


def base_verb(word: str) -> str:
    """The base form of a verb token (public for the task reader)."""
    return _base(word)


def _base(word: str) -> str:
    """The base form of a verb token: 'posts' -> 'post', 'escalates' -> 'escalate'."""
    w = re.sub(r"^(?:auto|re)-", "", word.lower())  # "auto-approve", "re-open"
    if w in ACTION_VERBS:
        return w
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", "")):
        if w.endswith(suffix) and (w[: -len(suffix)] + repl) in ACTION_VERBS:
            return w[: -len(suffix)] + repl
    return w


def _action(clause: str) -> tuple[str, str] | None:
    """(verb, kind) when the clause instructs an action, else None."""
    stripped = clause.strip(" ,;:.-*()")
    lead = _LEAD.match(stripped)
    rest = stripped[lead.end() :] if lead else stripped
    first = _WORD.match(rest)
    if first and rest[first.end() : first.end() + 1] == "_":
        if _base(first.group(0)) in ACTION_VERBS:
            return None  # "cancel_reason (free text)": a field's name, not the verb "cancel"
        first = None  # "Wrong_plate disputes go to …": an identifier, then the clause's own verb
    if first:
        word = first.group(0)
        base = _base(word)
        # the base form at the head of an instruction; a third-person form after a subject
        if (
            base in ACTION_VERBS
            # a third-person verb opening a clause continues a subject named before it
            # ("a chatbot answers questions and escalates to a human")
            and (
                word.lower() == base
                or lead is not None
                or re.match(
                    r"\s+(?:the|a|an|to|it|them|our|their|his|her|its|#[\w-]+)\b", rest[first.end() :], re.I
                )
            )
            and not re.match(r"\s*(?:must|should|will|can|may|are|is|were|was)\b", rest[first.end() :], re.I)
            # "Refund policy is in our … page": a noun before its noun and verb, not an order
            and not re.match(
                r"\s+[a-z][\w-]*\s+(?:is|are|was|were|has|have|lives?|sits?)\b", rest[first.end() :], re.I
            )
        ):
            return base, ACTION_VERBS[base]
    for m in re.finditer(r"\b([A-Za-z'-]+)\s+(?:the|a|an|our|their|them|it|to|him|her|#)\b", stripped, re.I):
        word = m.group(1)
        if word.isupper():
            continue  # "POST to our endpoint" is an HTTP method, not an instruction
        base = _base(word)
        if word.lower() != base:
            continue  # "the platform calls a webhook", "40 posts a second": a subject's verb, not an instruction
        before = _WORD.findall(stripped[: m.start()])
        conditional = re.match(r"\W*(?:then\s+|and\s+)?(?:only\s+)?(?:if|when|unless)\b", stripped, re.I)
        if before and before[-1].lower() not in _CONNECTORS and not conditional:
            continue  # "Customers submit a form": a statement about someone else ("if its cancel send it…" is not)
        if (
            base in ACTION_VERBS
            and not _DETERMINER.search(stripped[: m.start()])
            and not _PASSIVE.search(stripped[: m.start()])
        ):
            return base, ACTION_VERBS[base]
    subject = re.match(
        r"\W*(?:a|an|another|the|our|one)\s+(?:[\w-]+\s+){0,2}?(?:model|llm|\w*bot|agent|assistant|classifier|system)\b",
        stripped,
        re.I,
    )
    if subject:
        # "A fast model labels the text", "a chatbot on our site that answers questions": the model acts
        for word in _WORD.findall(stripped[subject.end() :])[:8]:
            base = _base(word)
            if base in ACTION_VERBS and word.lower() != base:
                return base, ACTION_VERBS[base]
    passive = re.search(
        r"\b(?:gets?|are|is|should be|must be|will be|and)\s+([a-z]+(?:ed|t|n))\s+(?:via|to|in|into|on|through|with|by|back)\b",
        stripped,
        re.I,
    )
    if passive and not re.search(
        r"\b(?:queue|topic|stream|webhook|endpoint|bucket|inbox|us)\b", stripped[passive.end() :], re.I
    ):
        # "Approved payouts get released via POST to the payments service": an instruction in the passive
        # ("requests are published to the queue" says how events arrive)
        for base in _participle_bases(passive.group(1)):
            if ACTION_VERBS.get(base) == "effect":
                return base, "effect"
        if passive.group(1).lower() in ("written", "saved", "recorded", "logged", "added") and re.match(
            r"\s*(?:to|into|in|on)\b", stripped[passive.end(1) :], re.I
        ):
            # "Only accepted entries get written to the race schedule in Google Sheets": a write
            return "store", "effect"
    written = re.search(
        r"\b([a-z]+(?:ed)|written)\s+by\s+(?:an?\s+|the\s+)?(?:llm|model|ai|gpt|language model)\b",
        stripped,
        re.I,
    )
    if written:
        # "a short analyst note written by an LLM": the model writes it
        for base in _participle_bases(written.group(1)):
            if ACTION_VERBS.get(base) == "model":
                return base, "model"
    received = _RECEIVES.search(stripped)
    if received:
        # "rejected listings get an email to the seller": the subject receives a side effect
        noun = received.group(1).lower()
        return _RECEIVED_VERBS.get(noun, "send"), ACTION_VERBS.get(
            _RECEIVED_VERBS.get(noun, "send"), "effect"
        )
    if re.search(
        r"\b(?:goes|go|is sent|are sent|get sent|gets sent|is routed|are routed|is posted|are posted)\s+(?:straight\s+)?(?:in)?to\b",
        stripped,
        re.I,
    ):
        return "send", "effect"  # "anything flagged for review goes to the compliance Slack channel"
    for m in re.finditer(
        r"\b(?:we|i|you|should|must|shall|will|'ll|can|need to|needs to|want to|wants to|have to|has to|"
        r"to|please|and)\s+(?:also\s+|then\s+|immediately\s+|automatically\s+|always\s+)?([A-Za-z'-]+)",
        stripped,
        re.I,
    ):
        word = m.group(1)
        base = _base(word)
        if base not in ACTION_VERBS or _PASSIVE.search(stripped[: m.start(1)]):
            continue
        if m.group(0).lower().startswith(("to ", "and ")) and _DETERMINER.search(stripped[: m.start()] + " "):
            continue
        return base, ACTION_VERBS[base]
    return None


# "… get an email", "… receive a refund": what the subject is sent, as the action that sends it
_RECEIVED_VERBS = {
    "email": "email", "e-mail": "email", "message": "message", "text": "text", "sms": "text",
    "notification": "notify", "alert": "alert", "page": "page", "refund": "refund", "ticket": "create",
    "dm": "dm", "call": "call", "credit": "credit", "invite": "invite", "invitation": "invite",
}  # fmt: skip
_RECEIVES = re.compile(
    r"\b(?:gets?|receives?|should (?:get|receive)|will (?:get|receive)|must (?:get|receive))\s+"
    r"(?:an?\s+|the\s+)?(?:[\w-]+\s+)?(" + "|".join(_RECEIVED_VERBS) + r")\b",
    re.I,
)


def received_noun(text: str) -> str | None:
    """ "Suspicious ones get a ticket in Jira" -> ticket: what a subject is sent, or None."""
    m = _RECEIVES.search(text)
    return m.group(1).lower() if m else None


_NEVER_RECEIVES = re.compile(
    r"\b(?:never|not|n't)\s+(?:get|gets|receive|receives|be sent|be given)\s+(?:an?\s+|any\s+)?(?:[\w-]+\s+)?"
    r"(" + "|".join([*_RECEIVED_VERBS, "reply", "answer", "response"]) + r")\b",
    re.I,
)

# "respond within 800ms", "return that in under 2 seconds": the response and its deadline,
# which the flow's `respond` block and SLA carry, not a step.
_RESPONSE = re.compile(
    r"^\W*(?:(?:and|then|we|it|must|should|to|please|need|needs|want|wants|have|has|got)\s+)*(?:(?:respond|reply|return|get back|come back)\w*\b"
    r"(?:[\s,;:-]+[\w']+){0,6}?|answer\w*)[\s,;:-]+(?:within|in under|in less than|under|in|below|inside)\s+"
    r"(?:about\s+)?[\d.]+\s*(?:ms|milliseconds?|s|secs?|seconds?|minutes?)\b",
    re.I,
)


_DELIVERED = re.compile(
    r"\b(?:posts|sends|pushes|forwards|delivers|calls|hits|publishes)\b.*\b(?:webhook|endpoint|url|queue|topic)\b",
    re.I,
)


def event_lead(sentences: list[str]) -> tuple[int, int, int] | None:
    """(sentence, start, end) of the when-clause that says how events arrive: "Whenever a
    ticket arrives, …" (up to its comma) or "… posts a webhook whenever a patient books, moves
    or cancels an appointment." (to the end). It names the event; its verbs ask for nothing."""
    from copilot.draft.triggers import read_trigger

    trigger = read_trigger(sentences, [])
    if not trigger.text:
        # no trigger phrase: the brief's opening "When a Zendesk ticket is created in the Billing
        # group, …" still says which event starts the flow (up to its comma)
        first = sentences[0] if sentences else ""
        opening = re.match(r"\W*(?:when(?:ever)?|each time|every time|as soon as)\b[^,]*", first, re.I)
        if opening is not None and _ARRIVAL.search(opening.group(0)) and opening.end() < len(first):
            return 0, 0, opening.end()
        return None
    for index, sentence in enumerate(sentences):
        if trigger.text not in sentence:
            continue
        m = re.search(r"\b(?:when(?:ever)?|each time|every time|as soon as)\b", sentence, re.I)
        if m is None:
            # "The ticketing system posts each email to our webhook with …": a sentence that
            # says how events are delivered is the event, all of it (its "email" is data)
            first = _WORD.match(sentence.lstrip(" -*"))
            imperative = first is not None and first.group(0).lower() in ACTION_VERBS
            delivered = _DELIVERED.search(sentence) if not imperative else None
            if delivered is None:
                return None
            # up to its comma or the first instruction after it ("… thru the webhook, clasify it")
            comma = sentence.find(",", delivered.end())
            if comma > 0:
                return index, 0, comma
            for w in _WORD.finditer(sentence, delivered.end()):
                if w.group(0).lower() in ACTION_VERBS and not _DETERMINER.search(sentence[: w.start()]):
                    return index, 0, w.start()
            return index, 0, len(sentence)
        if not sentence[: m.start()].strip(" ,"):  # it leads: the main clause follows its comma
            comma = sentence.find(",", m.end())
            end = comma if comma > 0 else len(sentence)
            # or starts at its first instruction when the comma is missing ("… via webhook classify it");
            # a button someone presses is not one ("When a customer clicks cancel in our billing page,")
            for w in _WORD.finditer(sentence, m.end(), end):
                pressed = re.search(
                    r"\b(?:clicks?|taps?|press(?:es)?|hits?|selects?|chooses?|picks?)\s+$",
                    sentence[: w.start()],
                    re.I,
                )
                if (
                    w.group(0).lower() in ACTION_VERBS
                    and not _DETERMINER.search(sentence[: w.start()])
                    and not pressed
                ):
                    end = w.start()
                    break
            return (index, m.start(), end) if end < len(sentence) else None
        return index, m.start(), len(sentence)
    return None


# Not work for the flow: "DTI is computed by our underwriting engine" (another system's job) and
# the second verb of "never reject or block …" (the "never" covers both)
DONE_ELSEWHERE = re.compile(
    r"\b(?:is|are)\s+(?:already\s+|only\s+|always\s+)?(?:[a-z]+ed|done|made|set|sent|run|written)\s+(?:only\s+)?"
    r"(?:by|in)\s+(?:our|the|their|a)\b(?!\s+(?:flow|bot|automation|model|llm|ai|agent)\b)",
    re.I,
)
NOT_AN_ORDER = re.compile(
    r"\b(?:never|don'?t|do not|must not|mustn'?t|should not|shouldn'?t|cannot|can'?t)\s+(?:[\w-]+\s+){1,3}?"
    r"(?:or|nor|and)\s*$",
    re.I,
)


# "whatever the model says", "no model decides those", "not model-written": the brief keeps it
# from models
NOT_THE_MODELS = re.compile(
    r"\b(?:(?:whatever|no matter what) the (?:model|llm|ai) says|no (?:model|llm|ai)\b|"
    r"without (?:asking )?(?:a|the|any) (?:model|llm|ai)(?: call)?|not (?:by )?the (?:model|llm|ai)|"
    # "the model must not deny", "that text is fixed, not model-written", "a plain rule must reject"
    r"the (?:model|llm|ai) (?:must|should|may|can) ?not|"
    r"not (?:model|llm|ai)[- ](?:written|generated|decided)|"
    r"(?:a )?(?:plain|hard|fixed|simple) (?:rule|check|code) (?:must|should|has to)|fixed text|verbatim|"
    # "Whether to suspend an agent is a compliance-team decision only", "… is the dispatcher's call"
    r"^\W*whether\b.*\b(?:is|are|stays?|remains?)\s+(?:a|an|the|our|their)\s+(?:[\w'’-]+\s+){0,3}?"
    r"(?:decision|call|judgement|judgment|choice)s?\b|"
    # "Humans in Trust & Safety decide bans", "recruiters decide", "our dispatchers make the call"
    r"^\W*(?:(?:only|but)\s+)?(?:humans?|people|staff|a\s+person|(?:our\s+|the\s+)?(?:[\w&-]+\s+){0,3}?"
    r"(?:team|analysts?|agents|reviewers?|managers?|moderators?|recruiters?|dispatchers?|clinicians?|vets?|doctors?|"
    r"nurses?|lawyers?|attorneys?|underwriters?|adjusters?|officers?))\s+(?:in\s+[\w&\s-]+?\s+)?"
    r"(?:decides?|make\s+the\s+(?:final\s+)?(?:[\w-]+\s+)?(?:call|decision)|(?:has|have)\s+the\s+final\s+say)\b)",
    re.I,
)


# "only the controller on shift can isolate a segment": someone else's action, kept from the flow
_ONLY_THEY_CAN = re.compile(
    r"^\W*(?:and\s+|but\s+|—\s*|-\s*)?only\s+(?:the\s+|our\s+|a\s+)?(?:[\w-]+\s+){0,4}?(?:can|may|is\s+allowed\s+to|are\s+allowed\s+to)\s+([a-z]+)",
    re.I,
)
# "Licensed brokers make the final classification decision", "Humans in T&S decide bans": people
# decide it, so no task of the flow comes from that sentence
HUMANS_DECIDE = re.compile(
    r"^\W*(?:(?:only|but)\s+)?(?:humans?|people|staff|a\s+person|(?:our\s+|the\s+)?(?:[\w&-]+\s+){0,3}?"
    r"(?:team|analysts?|agents|reviewers?|managers?|moderators?|recruiters?|dispatchers?|clinicians?|vets?|doctors?|"
    r"nurses?|lawyers?|attorneys?|underwriters?|adjusters?|officers?|brokers?|referees?|admins?|controllers?|"
    r"committee|board|panel|clerk|editors?|curators?|dockmaster|supervisors?))\s+"
    r"(?:in\s+[\w&\s-]+?\s+)?(?:decides?|makes?\s+(?:the\s+)?(?:final\s+)?(?:[\w-]+\s+)?(?:call|decision)s?|"
    r"(?:has|have)\s+the\s+final\s+say|rule\s+on)\b",
    re.I,
)


def keeps_from_models(sentence: str) -> bool:
    """Whether a sentence keeps a decision or text from models ("decided by our rule engine, not
    the model", "no model decides them", "not model-written")."""
    return bool(NOT_THE_MODELS.search(sentence) or _RULE_ENGINE.search(sentence))


# "decided by our rule engine", "computed by our underwriting engine": a system, not a model
_RULE_ENGINE = re.compile(
    r"\b(?:decided|computed|calculated|determined|made)\s+by\s+(?:our|the|an?)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:rule|rules|underwriting|scoring|pricing|tax|risk)?\s*(?:engine|service|system|team|adjusters?|analysts?)\b",
    re.I,
)


# "Whether an event counts as serious is decided by our rule engine": the system that decides it
_DECIDING_SYSTEM = re.compile(
    r"\b(?:decided|computed|calculated|determined|made|set|judged|scored)\s+by\s+(?:our|the|an?)\s+"
    r"(?P<system>(?:[\w-]+\s+){0,2}?(?:engine|service|system|api|scorer|model server))\b"
    r"|\b(?:our|the)\s+(?P<subject>(?:[\w-]+\s+){0,2}?(?:engine|service|system|api|scorer))\s+decides\b",
    re.I,
)


def deciding_system(condition: str, sentences: list[str]) -> tuple[str, str] | None:
    """(the system, the sentence saying so) when the brief says a system decides a condition
    ("… serious is decided by our rule engine" for "if it's a serious event"); None otherwise."""
    words = [w for w in re.findall(r"[a-z]+", condition.lower()) if len(w) > 3 and w not in ("only", "when")]
    for sentence in sentences:
        m = _DECIDING_SYSTEM.search(sentence)
        if m is None or not words:
            continue
        if all(re.search(rf"\b{re.escape(w[:5])}", sentence, re.I) for w in words):
            return " ".join((m.group("system") or m.group("subject")).split()).lower(), sentence
    return None


def requirement_clauses(brief: str) -> list[Clause]:
    """Every clause of the brief that asks the automation to do something, in brief order."""
    from copilot.draft.sentences import split_sentences

    out: list[Clause] = []
    sentences = split_sentences(brief)
    lead = event_lead(sentences)
    values = listed_values(brief)
    for index, sentence in enumerate(sentences):
        if _is_heading(brief, sentence):
            continue
        for a, b in clause_spans(sentence):
            if lead is not None and index == lead[0] and lead[1] <= a < lead[2]:
                continue  # the event that starts the flow, not work it asks for
            text = sentence[a:b].strip(" ,;:")
            found = _action(text)
            if found is None or _reference(text) or _RESPONSE.search(text) or len(_WORD.findall(text)) < 2:
                continue  # a bare verb ("Compare:") introduces something; it asks for nothing
            if _HABITUAL.search(text) or _REPORTED.search(sentence[:a]) or _WISHED.search(text):
                # "We publish ~2k articles a day": how things are, not work; "reply that a crew has
                # been notified": what the reply says, not an action of the flow
                continue
            verb, kind = found
            if (
                re.match(r"\W*whether\b", text, re.I)
                or _NEGATED_LEAD.match(text)
                or _ONLY_THEY_CAN.match(text)
                # "Hard deadline 30 seconds from alarm to page": how fast, not another page
                or re.match(
                    r"\W*(?:hard\s+|soft\s+)?(?:deadline|sla|latency|budget|cost\s+cap)\b", text, re.I
                )
            ):
                # "Whether to cancel a route is the dispatcher's call": who decides, no order;
                # "dont include player_id in anything that goes to jira": all of it forbidden
                continue
            if re.search(
                rf"\b(?!(?:and|then|so|but|also|please)\b)[a-z]{{3,}}\s+(?:that\s+|which\s+)?(?:we|they|you)\s+"
                rf"(?:already\s+|also\s+)?{verb}\w*\b",
                text,
                re.I,
            ):
                continue  # "the WASDE summary we store in SharePoint": where a source is kept
            if negated(text, verb) or NOT_AN_ORDER.search(sentence[:a]) or DONE_ELSEWHERE.search(text):
                continue  # "don't email them", "never reject or block …", "computed by our engine"
            systems = systems_named(text)
            if kind == "effect" and _MODEL_SUBJECT.match(text):
                kind = "model"  # "The model should flag whether the sale breached a limit": its judgement
            if kind == "model" and verb in _READ_VERBS and systems:
                kind = "lookup"  # "check the order in Shopify": a read from Shopify, not a model's opinion
            dest = DESTINATIONS.search(text)
            back = _WRITES_BACK.search(text) if kind == "model" and systems else None
            if back is not None:
                dest = back  # "write the category back to the claim record in Guidewire": a write to it
            limiter = (
                LIMITERS.search(text)
                or LIMITERS.search(_condition_context(sentence, a))
                or subject_limiter(sentence, a)
                or label_subject(sentence, values)
            )
            read = _BY_READING.search(text) if kind == "model" else None
            read_from = systems_named(read.group(0)) or _names_after_owner(read.group(0)) if read else ()
            if read is not None and read_from:
                # "detect duplicates by querying our ArcGIS feature service": the model's work
                # needs a read of that system first, a requirement of its own
                out.append(
                    Clause(
                        text=read.group(0).strip(" ,").rstrip("."),
                        sentence=index,
                        verb="lookup",
                        kind="lookup",
                        systems=read_from,
                    )
                )
                text = text[: read.start()].rstrip(" ,") or text
            out.append(
                Clause(
                    text=text.rstrip("."),
                    sentence=index,
                    verb=verb,
                    kind=kind,
                    destination=(systems[0] if back is not None else dest.group(0))
                    if kind != "lookup"  # a read from a system is not a write to it
                    and ((dest and kind == "effect") or (dest and _writes_to(text)) or back is not None)
                    else None,
                    limiter=limiter.group(0) if limiter else None,
                    systems=systems,
                )
            )
    return out


# "The model should flag …", "the LLM must mark …": what a model does, not a call outside
_MODEL_SUBJECT = re.compile(
    r"^\W*(?:the|an?|our)\s+(?:llm|model|ai|bot)\s+(?:should|must|will|can|needs?\s+to|has\s+to)\s+", re.I
)

# A model verb whose result goes into a named system: "write … back to the record in Guidewire",
# "route the request to the right department queue in Cityworks".
_WRITES_BACK = re.compile(
    r"\b(?:back (?:to|into|in)|into|onto)\b|\bto\s+(?:the|a|an|its|their|our)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:queue|team|inbox|board|list|folder|project|record|ticket|case|channel)\s+(?:in|on)\b",
    re.I,
)


def _names_after_owner(text: str) -> tuple[str, ...]:
    """ "querying our ArcGIS feature service" -> (ArcGIS,): a name right after our/the."""
    m = re.search(
        r"\b(?:the|our|their|its|existing|open|current|previous|past)\s+([A-Z][\w.-]*[A-Za-z0-9])", text
    )
    return (m.group(1),) if m and m.group(1).lower() not in ("api", "ai", "llm") else ()


# "… by querying our ArcGIS feature service by lat/long": a read the model's work depends on
_BY_READING = re.compile(
    r",?\s*\b(?:by|after|from)\s+(?:querying|calling|checking|searching|looking\s+(?:\w+\s+)?up|reading|fetching|pulling)\s+"
    r"(?:in\s+)?(?:the|our|their|its)\s+[^,;]*"
    # "dedupe against existing Jira issues (search Jira by build_version)": what it is matched against
    r"|\bagainst\s+(?:the\s+|our\s+)?(?:existing|open|current|previous|past)\s+[^,;]*",
    re.I,
)

# A clause that states a volume ("~2k articles a day", "about 50 a second") describes the
# traffic, unless a modal makes it an instruction.
_HABITUAL = re.compile(
    r"^(?!.*\b(?:must|should|need|needs|have to|has to|please)\b).*?[~≈]?\s*\d[\d,.]*\s*[km]?\s+"
    r"(?:[\w-]+\s+){0,2}(?:a|an|per|each|every)\s+(?:second|minute|hour|day|week|month|year)s?\b",
    re.I,
)
# The content of what a reply says: "reply that a crew has been notified", "tell them that…".
_REPORTED = re.compile(
    r"\b(?:reply|replies|answer|respond|tell|say|says|explain|inform|let\s+\w+\s+know)\w*\s+(?:\w+\s+)?that\s*[^,;.]*$",
    re.I,
)

# "if the guest says they want to cancel": a condition on what someone asks for, whose verb is
# theirs, not the flow's
_WISHED = re.compile(
    r"^\W*(?:only\s+)?(?:if|when|whenever|unless|in case|once)\b.*\b(?:wants?|wanted|would like|asks?|asked|"
    r"trying|tries|requests?|requested|says?|said|mentions?|mentioned|needs?)\s+(?:\w+\s+){0,2}?(?:to\s+)?"
    r"[A-Za-z'-]+\s*$",
    re.I,
)


def reported(before: str) -> bool:
    """True when the text right before a word opens what a reply says ("reply that …")."""
    return bool(_REPORTED.search(before))


# Model verbs that read a system of record when the clause names one.
_READ_VERBS = frozenset({"check", "verify", "match", "compare"})

# A negation right before the verb: the clause forbids the action ("never auto-refill", "don't
# email them at all", "doesnt need to block the reply").
_NEGATION = re.compile(
    r"\b(?:don'?t|do not|does not|doesn'?t|never|no need to|shouldn'?t|should not|must not|mustn'?t|"
    r"won'?t|will not|cannot|can'?t|not|"
    # "Nothing should be posted to the bill": the subject says none
    r"nothing|nobody|no one|none)\s+(?:[\w'-]+\s+){0,3}$",
    re.I,
)


_NEGATED_LEAD = re.compile(
    r"^\W*(?:(?:and|but|so|also|please)\s+)?(?:don'?t|do not|never|no need to|we (?:don'?t|never|do not|should not|shouldn'?t|must not))"
    r"(?:\s+(?:ever|need to|want to|have to|auto-?))*\s+",
    re.I,
)


def prohibits(text: str) -> bool:
    """ "Don't message the patient at all", "never email them": the clause forbids its action."""
    return _NEGATED_LEAD.match(text) is not None


def negated(text: str, verb: str) -> bool:
    """True when the clause's action verb is negated: it says what must not happen."""
    # "never post", "Nothing should be posted": the verb in any form
    forms = {
        verb,
        f"{verb}ed",
        f"{verb}d",
        f"{verb}{verb[-1:]}ed",
        f"{verb[:-1]}ied",
        f"{verb}ing",
        f"{verb[:-1]}ing",
    }
    for w in _WORD.finditer(text):
        if _base(w.group(0)) == verb or w.group(0).lower() in forms:
            return bool(_NEGATION.search(text[: w.start()]))
    return False


# Prohibitions and filters: clauses that say what must not happen, or which events to leave alone.
_FILTER = re.compile(
    r"\b(?:ignored?|skip(?:ped)?|drop(?:ped)?|discard(?:ed)?|disregard(?:ed)?|left alone|leave (?:it|them) alone|"
    r"no action)\b",
    re.I,
)


@dataclass
class Constraint:
    """A clause that limits what the flow does: a prohibition or a filter."""

    text: str
    sentence: int
    verb: str | None  # the forbidden action ("email"), None for a filter ("…should be ignored")


def constraints(brief: str) -> list[Constraint]:
    """The brief's prohibitions ("never auto-refill controlled substances") and filters
    ("moves of 48 hours or less should just be ignored"), in brief order."""
    from copilot.draft.sentences import split_sentences

    out: list[Constraint] = []
    for index, sentence in enumerate(split_sentences(brief)):
        for a, b in clause_spans(sentence):
            text = sentence[a:b].strip(" ,;:").rstrip(".")
            found = _action(text)
            lead = _NEGATED_LEAD.match(text)
            if lead is not None:
                # "Don't email enterprise customers": read the instruction the negation opens
                found = _action(text[lead.end() :])
                if found is not None:
                    out.append(Constraint(text, index, found[0]))
                    continue
            refused = _NEVER_RECEIVES.search(text)
            kept = re.match(r"\W*whether\s+to\s+([a-z]+)", text, re.I) or _ONLY_THEY_CAN.match(text)
            if kept is not None and (keeps_from_models(text) or _ONLY_THEY_CAN.match(text)):
                # "Whether to cancel a route is the dispatcher's call": the flow never cancels
                out.append(Constraint(text, index, _base(kept.group(1))))
            elif found is not None and negated(text, found[0]):
                out.append(Constraint(text, index, found[0]))
            elif refused is not None:
                # "Bullying reports must never get an automatic reply": the reply is what is forbidden
                out.append(
                    Constraint(
                        text, index, _RECEIVED_VERBS.get(refused.group(1).lower(), refused.group(1).lower())
                    )
                )
            elif _FILTER.search(text):
                out.append(Constraint(text, index, None))
    return out


def _writes_to(text: str) -> bool:
    """'summarise the history for the CRM', 'push it into Salesforce': model work with a destination."""
    text = re.sub(r"\([^()]*\)", " ", text)  # "(never quote a price that isn't in the sheet)": an aside
    m = re.search(
        # "using our pricing sheet" reads a source; it writes nothing
        r"\b(?:for|to|into|in|on|onto|via|through)\s+(?:the\s+|our\s+|a\s+)?" + DESTINATIONS.pattern,
        text,
        re.I,
    )
    # where the event comes from (a webhook, a queue, an endpoint, "the API") is not where a result
    # goes; a named system's API ("via the catalog API") is
    return m is not None and not re.search(
        r"^\w+\s+(?:the\s+|our\s+|a\s+)?(?:webhook|endpoint|queue|topic|api)$", m.group(0), re.I
    )


def _participle_bases(word: str) -> list[str]:
    """'released' -> [releas, release], 'posted' -> [post, poste], 'sent' -> [send]."""
    w = word.lower()
    irregular = {
        "attached": "attach",
        "sent": "send",
        "held": "hold",
        "put": "put",
        "written": "write",
        "logged": "log",
        "flagged": "flag",
    }
    if w in irregular:
        return [irregular[w]]
    if w.endswith("ed"):
        return [w[:-2], w[:-1], w[:-3] if len(w) > 4 and w[-3] == w[-4] else w[:-2]]
    return [w]


def verb_of(text: str) -> str | None:
    """The base form of the action verb a clause instructs, or None."""
    found = _action(text)
    return found[0] if found else None


def instructs(text: str) -> bool:
    """True when the clause asks for an action (an action verb used as a verb); "answer within 3
    seconds" names the response's deadline, not an action."""
    return _action(text) is not None and not _RESPONSE.search(text)


def _reference(text: str) -> bool:
    """'after we have answered', 'once it is classified': work mentioned, not asked for."""
    return bool(
        re.match(
            r"\s*(?:after|once|before|until|as soon as)\s+(?:we|it|they|you|the \w+)?\s*(?:have|has|had|is|are|was|were)?\s*\w+ed\b\s*$",
            text,
            re.I,
        )
    )


# "When a ticket arrives" names the event that starts the flow, not a condition on an action.
_ARRIVAL = re.compile(
    r"\bwhen(?:ever)?\s+(?:someone|somebody|anyone|a user|a customer|users|customers|they|we)\s+\w+s?\b|"
    r"\b(?:arriv\w*|comes? in|lands?|landed|is (?:opened|created|placed|submitted|posted|filed|received|merged|"
    r"published|uploaded)|gets? (?:opened|created|filed|posted)|signs? up|fires?|hits?|is pushed|come in)\b",
    re.I,
)


def _condition_context(sentence: str, clause_start: int) -> str:
    """The part of the sentence before a clause when it opens with if/when/unless ('If X, do Y')."""
    head = sentence[:clause_start]
    if re.match(r"\s*(?:only\s+)?(?:if|unless|in case|for)\b", head, re.I):
        return head
    if re.match(r"\s*(?:only\s+)?when(?:ever)?\b", head, re.I) and not _ARRIVAL.search(head):
        return head
    return ""


def headings(brief: str, sentences: list[str]) -> frozenset[int]:
    """Indices of the sentences that are markdown headings of the brief (titles, not requirements)."""
    return frozenset(i for i, sentence in enumerate(sentences) if _is_heading(brief, sentence))


def _is_heading(brief: str, sentence: str) -> bool:
    return any(
        line.lstrip().startswith("#") and normalise(line.lstrip("# \t")) == normalise(sentence)
        for line in brief.splitlines()
    )


def locate(quote: str, brief: str) -> tuple[int, int] | None:
    """Where a quote sits in the normalised brief, or None when it does not occur there."""
    q, b = normalise(quote).strip(" .,;:"), normalise(brief)
    if not q:
        return None
    at = b.find(q)
    return (at, at + len(q)) if at >= 0 else None
