"""The requirement clauses of a brief: what it asks the automation to *do*.

A requirement clause is a clause with an action verb used as a verb: an imperative
("page the on-call engineer", "block the card via our risk API"), a verb after a
subject or modal ("we should post to #sales", "it must update the CRM record"), or a
verb coordinated with one ("classify it and page on-call"). Nouns that look like verbs
("answers must only come from…", "an alert"), passives ("when a PR is opened") and
references to work already done ("after we have answered") are not requirements.

This reading is deliberately separate from the offline drafter's task reader: it is the
yardstick every draft is measured against (offline or LLM), so it must not share the
drafter's blind spots. Its vocabulary is tables, one concept each: the action verbs and
clause boundaries are in `copilot.draft.verbs`, what the brief forbids or keeps from the
flow in `copilot.draft.prohibitions`.
"""

# ruff: noqa: E501  (the vocabulary below is tables and regular expressions, easier to read whole)
from __future__ import annotations

import re
from dataclasses import dataclass

from copilot.draft.event_reading import fields_listed_at
from copilot.draft.option_lists import NAMED_AS
from copilot.draft.prohibitions import DONE_ELSEWHERE, NEGATED_LEAD, NOT_AN_ORDER, ONLY_THEY_CAN, negated
from copilot.draft.subjects import (
    label_subject,
    listed_values,
    subject_limiter,
    systems_named,
    systems_said,
)
from copilot.draft.verbs import (
    ACTION_VERBS,
    ASKED_WHETHER,
    DETERMINER,
    RESPONSE,
    WORD,
    action_of,
    clause_spans,
)

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
    r"(?:above|over|below|under|more than|less than|at least|exceeds?|>=?|<=?)\s*\$?\d|"
    # "Claims of $500 or more", "Readings at 5 to 8 degrees only get a message"
    r"\$?\d[\d,.]*\s*(?:[a-z%°]+\s+)?(?:or more|or less|or above|or below|or higher|or lower)\b|"
    r"\b(?:at|between|from)\s+\$?\d[\d,.]*\s*(?:to|-|–|and)\s*\$?\d|\bonly\s+(?:get|gets|go|goes|be)\b|"
    # "Units expiring within 48 hours are added to …": a subset by a time it is within
    # (never "a digest of everything expiring within 21 days": what the digest lists)
    r"(?<!\bof everything )(?<!\bof anything )(?<!\bof all )\b[a-z]+ing\s+(?:within|in|before|after)\s+\d+\s*"
    r"(?:minutes?|hours?|days?|weeks?|months?)\b)",
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
            first = WORD.match(sentence.lstrip(" -*"))
            imperative = first is not None and first.group(0).lower() in ACTION_VERBS
            delivered = _DELIVERED.search(sentence) if not imperative else None
            if delivered is None:
                return None
            # up to its comma or the first instruction after it ("… thru the webhook, clasify it")
            comma = sentence.find(",", delivered.end())
            if comma > 0:
                return index, 0, comma
            for w in WORD.finditer(sentence, delivered.end()):
                if w.group(0).lower() in ACTION_VERBS and not DETERMINER.search(sentence[: w.start()]):
                    return index, 0, w.start()
            return index, 0, len(sentence)
        if not sentence[: m.start()].strip(" ,"):  # it leads: the main clause follows its comma
            comma = sentence.find(",", m.end())
            end = comma if comma > 0 else len(sentence)
            # or starts at its first instruction when the comma is missing ("… via webhook classify it");
            # a button someone presses is not one ("When a customer clicks cancel in our billing page,")
            for w in WORD.finditer(sentence, m.end(), end):
                pressed = re.search(
                    r"\b(?:clicks?|taps?|press(?:es)?|hits?|selects?|chooses?|picks?)\s+$",
                    sentence[: w.start()],
                    re.I,
                )
                if (
                    w.group(0).lower() in ACTION_VERBS
                    and not DETERMINER.search(sentence[: w.start()])
                    and not pressed
                ):
                    end = w.start()
                    break
            return (index, m.start(), end) if end < len(sentence) else None
        return index, m.start(), len(sentence)
    return None


# what the event itself says: a "pull" or "find" in it is a model's reading, never a system's read
_FROM_THE_EVENT = re.compile(
    r"\b(?:from|out of|in)\s+(?:the|their|its|his|her|each|that)\s+(?:free[- ]?text|text|message|body|"
    r"description|email|note|notes|comments?|form|transcript|request|submission|reply)\b",
    re.I,
)


_LABEL_DOES = re.compile(
    r"^\W*(?P<label>[\w-]+)(?:\s+[\w-]+){0,2}?\s+(?:only\s+|also\s+|just\s+|then\s+)?(?P<rest>[a-z]+s\b.*)$",
    re.I,
)


def requirement_clauses(brief: str) -> list[Clause]:
    """Every clause of the brief that asks the automation to do something, in brief order."""
    from copilot.draft.sentences import split_sentences

    out: list[Clause] = []
    sentences = split_sentences(brief)
    lead = event_lead(sentences)
    values = listed_values(brief)
    brief_systems = systems_named(brief)  # named once with capitals, then maybe in lower case
    for index, sentence in enumerate(sentences):
        if _is_heading(brief, sentence):
            continue
        listed = fields_listed_at(sentence) if _DELIVERED.search(sentence) else None
        for a, b in clause_spans(sentence):
            if lead is not None and index == lead[0] and lead[1] <= a < lead[2]:
                continue  # the event that starts the flow, not work it asks for
            if ASKED_WHETHER.search(sentence[:a]):
                continue  # "check whether it changes consent, adds a vulnerable population …": the question
            if re.search(r"\b(?:webhook|endpoint|url)\b", sentence[a:b], re.I) and re.match(
                r"\W*(?:it|they|which|that|[A-Z][\w.-]*)\s+(?:then\s+)?(?:posts|sends|pushes|calls|hits|publishes)\b",
                sentence[a:b],
            ):
                continue  # "…, it posts a webhook with the protocol number": how the event arrives
            if listed is not None and listed[0] <= a < listed[1]:
                continue  # "… hits our webhook with the name, email and answers to the intake questions"
            text = sentence[a:b].strip(" ,;:")
            if NAMED_AS.search(text):
                continue  # '- call those "checkin", "address_change", "flight_risk"': names, no call
            found = action_of(text)
            plural = re.match(r"^\W*(?P<label>[\w-]+)\s+[a-z]+s\s+(?P<rest>[a-z].*)$", text, re.I)
            if (
                found is not None
                and found[1] == "model"
                and plural
                and plural.group("label").lower() in values
            ):
                # "Moderate cases create a follow-up task in Epic": a label before its noun, then the
                # work (never the verb "moderate")
                then = action_of(plural.group("rest"))
                found = then if then is not None and then[1] == "effect" else found
            elif found is None and plural and index > 0:
                # "address changes update the address field in BailBooks": a kind of event (named
                # in a sentence before), then what is done for it
                then = action_of(plural.group("rest"))
                kinds = " ".join(sentences[:index]).lower()
                if then is not None and then[1] == "effect" and plural.group("label").lower() in kinds:
                    found = then
            said = _LABEL_DOES.match(text) if found is None else None
            head = text[: said.start("rest")].strip().lower() if said is not None else ""
            if said is not None and (said.group("label").lower() in values or head in values):
                # "Medium risk only adds a note to the cow's record": the label names the events,
                # the verb after it is the work
                found = action_of(said.group("rest"))
                found = found if found is not None and found[1] == "effect" else None
            if found is None or _reference(text) or RESPONSE.search(text) or len(WORD.findall(text)) < 2:
                continue  # a bare verb ("Compare:") introduces something; it asks for nothing
            if re.match(r"\W*[a-z]+\s+(?:and|or)\s+[a-z]+(?:\s+[a-z]+)?\W*$", text, re.I) and re.search(
                r",\s*$", sentence[:a]
            ):
                continue  # "to get their name, email and orientation date": a list's last nouns
            if (
                re.search(r"\b[a-z]+_[a-z0-9_]+\s*,\s*[a-z]+_[a-z0-9_]+\s*,\s*$", sentence[:a])
                and len(text.split()) <= 3
            ):
                continue  # "…, guest_name, message and language": the event's fields, no order
            reported = _REPORTED.search(sentence[:a])
            if reported is not None and re.search(r"\band\s*$", sentence[:a]) and _ORDER_START.match(text):
                reported = None  # "reply that the team will follow up and create a Jira ticket …": an order
            if _HABITUAL.search(text) or reported or _WISHED.search(text):
                # "We publish ~2k articles a day": how things are, not work; "reply that a crew has
                # been notified": what the reply says, not an action of the flow
                continue
            verb, kind = found
            if (
                re.match(r"\W*whether\b", text, re.I)
                or NEGATED_LEAD.match(text)
                or ONLY_THEY_CAN.match(text)
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
            systems = systems_named(text) or systems_said(text, brief_systems)
            if kind == "effect" and _MODEL_SUBJECT.match(text):
                kind = "model"  # "The model should flag whether the sale breached a limit": its judgement
            if kind == "model" and verb in _READ_VERBS and systems:
                kind = "lookup"  # "check the order in Shopify": a read from Shopify, not a model's opinion
            if (
                kind == "lookup"
                and not systems
                and re.search(r"\blook(?:s|ing)?\s+(?:at|over|through)\b", text, re.I)
            ):
                kind = "model"  # "want the AI to look at the purpose": reads what the event gives
            if kind == "lookup" and (
                _FROM_THE_EVENT.search(text)
                or (re.match(r"\W*pull(?:s|ed|ing)?\s+out\b", text, re.I) and not systems)
            ):
                kind = "model"  # "pull out anything important from the free text": the event's own words
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
# an imperative with its object: "create a Jira ticket", "open an incident"
_ORDER_START = re.compile(
    r"\W*(?:also\s+|then\s+)?(?:create|open|file|post|send|email|text|page|notify|add|update|log|assign|"
    r"escalate|forward|tag|flag|book|schedule|charge|refund|cancel|close|move|mark)\s+(?:a|an|the|our|their|it|them)\b",
    re.I,
)
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
    if re.match(
        r"\s*(?:only\s+)?(?:go|goes|get|gets|are|is|should|must|will)\b", sentence[clause_start:], re.I
    ):
        # "Claims of $500 or more, or with lower confidence, go to an adjuster": the clause is
        # what a qualified subject does, so the subject's limits are its own
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
