"""Reading tasks: what the flow must do, by the verbs and nouns of each sentence.

`read_tasks` matches the task vocabulary (classify, extract, summarise, translate,
answer, notify, store, enrich, ...) sentence by sentence, with the channel, destination,
language, labels and fields each names, skips what is only mentioned as already done,
and merges duplicates; `read_destinations` adds the writes named by "write to" phrases.
`quote_for` and `clause_span` give the clause a task quotes as its `why:`.
"""

# ruff: noqa: E501  (the vocabulary below is regular expressions, one family per line, easier to read whole)
from __future__ import annotations

import re

from copilot.draft.conditions import attach_conditions, read_conditions
from copilot.draft.extracted import whether_fields
from copilot.draft.labels import fields_text, label_condition, list_after, listed_labels, read_label_lists
from copilot.draft.phrases import CHANNELS, DOCUMENT_NOUNS, LOOKUP_BY, LOOKUP_GETS, Match
from copilot.draft.prohibitions import HUMANS_DECIDE
from copilot.draft.reading import Task
from copilot.draft.recipient_phrase import message_destination, people_differ
from copilot.draft.verbs import TYPE_GLOSS, clause_spans

# ---------------------------------------------------------------------------- tasks

_DOCS = (
    r"(help articles|support articles|product docs|policies|policy documents?|(?:[\w-]+ )?policy|"
    + DOCUMENT_NOUNS
    + r")"
)
_TASK_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # "moderate the comments", "content moderation"; never the degree ("damage rated moderate or major")
    ("moderate", re.compile(r"\b((?<!rated )(?<!\bas )(?<!\bis )(?<!\bor )(?<!\bbe )(?<!/)moderat\w*\b(?!\s*/|\s+(?:or|and|to|risk|damage|severity|priority|level|amounts?|use)\b)|toxic\w*|profanit\w*|nsfw|hate speech|harass\w*|abusive|offensive|"
                            r"inappropriate|unsafe content|"
                            # "check each photo for MLS rule violations"; "the truck's violation history" is a record
                            r"(?:for|of|any|no)\s+(?:[\w-]+\s+){0,2}?violations?(?!\s+(?:history|record|log|count|data))|"
                            r"(?:rule|policy|code|safety|compliance|content|house)\s+violations?(?!\s+(?:history|record|log|count|data)))\b", re.I)),
    ("score", re.compile(r"\b(scor(?:e|es|ed|ing)|rank(?:s|ed|ing)?|rate (?:it|them|each|how)|"
                         # "how urgent 1-5": a number on the brief's scale
                         r"how\s+(?:urgent|severe|serious|risky|likely)(?=\s+(?:it\s+is\s+)?(?:(?:on\s+a\s+|from\s+)?\d))|"
                         # "estimate severity from 1 to 5": a number on the brief's scale
                         # … and "rates the severity from 1 to 5", "gives a severity from 1 to 5"
                         r"(?:estimat|rat|giv|assign)\w*(?=\s+(?:the\s+|its\s+|their\s+|an?\s+|it\s+an?\s+)?(?:[\w-]+\s+){1,5}?(?:from|on\s+a|between|out\s+of|\()\s*\d)|fraud(?!\s+(?:desk|team|queue|ops|analysts?|department|inbox|channel))|"
                         r"risk(?:y)?(?!\s+(?:task|ticket|case|issue|record|note|flag|report|team|register|queue)s?\b)|"
                         r"likelihood|propensity|prioriti[sz]\w*)\b", re.I)),
    ("classify", re.compile(r"\b(clas+i?fy?\w*|clas+if\w*|cat[ae]gori[sz]\w*|(?:figure|work|find)\s+out\s+(?:what\s+(?:kind|type|sort)\s+of(?=\s+[\w-]+\s+(?:it|this)\s+is\s*\()|what\s+the\s+[\w-]+\s+is(?=\s*[-–—:]\s))|"
                            # "with the vitals and triage reason": what a triage gave, no triage of its own
                            r"triag\w*(?!\s+(?:reason|notes?|level|category|result|decision|outcome|summary|score)\b)|label(?:s|led|ling)?|"
                            # "a vision model grades the damage using the SEMA scheme: green, amber or red"
                            r"grad(?:e|es|ed|ing)(?=\s+(?:the|each|it|them|every)\b)|"
                            # "tagging the process tech": a person mentioned in a post, no label
                            r"tag(?:s|ged|ging)? (?:it|them|each|the(?! (?:[\w-]+ )?(?:tech|technician|manager|lead|supervisor|engineer|owner|team|on-?call|person)\b))|"
                            r"sorts? (?:it|them|each|every|incoming)|detect\w*|identif\w* (?:the )?(?:intent|category|type|topic|language|sentiment)|"
                            r"route (?:it|them|each|the|tickets?|messages?|emails?|requests?)(?![^,.;:]*\b(?:by|via|on|in|through)\s+(?:slack|teams|e-?mail|sms|text)\b)|routing|sentiment|intent|"
                            # "Identify whether it is a data export, a deletion request, …", "figure out if its a freeze, cancel, …"
                            r"(?:identif\w*|determin\w*|figure\w*\s+out|work\w*\s+out|tell)\s+(?:whether|if)\s+(?:it\s+is|it['’]?s|this\s+is)(?=\s+(?:an?\s+)?[\w-]+(?:\s+[\w-]+){0,3}\s*,)|"
                            # "figure out what they want: book a ride, cancel a ride, …": a choice among the listed asks
                            r"(?:figure\w*|work\w*)\s+out\s+what\s+(?:they|he|she|it|the\s+\w+)\s+(?:wants?|needs?|means?|is\s+asking(?:\s+for)?)(?=\s*:)|"
                            # "grade the call as grade 1, grade 2 or grade 3"
                            r"grad(?:e|es|ing)\s+(?:it|them|each\s+\w+|the\s+\w+)(?=\s+as\s)|"
                            r"how urgent(?!\s+(?:it\s+is\s+)?(?:(?:on\s+a\s+|from\s+)?\d))|urgency|(?:guess|assign|set|pick|estimate|give|rate|assess)\w*\s+(?:a\s+|the\s+|its\s+)?(?:severity|priority)|de-?dup\w*)\b", re.I)),
    ("extract", re.compile(r"\b(extract\w*|pull(?:s|ed|ing)? out|pars(?:e|es|ed|ing)|captur(?:e|es|ed|ing)|grab(?:s|bed)?)\b", re.I)),
    ("summarise", re.compile(r"\b(sum+[ae]r\w*|tl;?dr|recap\w*|condens\w*|digest)\b", re.I)),
    ("translate", re.compile(r"\b(translat\w*)\b", re.I)),
    ("answer", re.compile(r"\b(answer(?:s|ed|ing)?|respond(?:s|ing)? to (?:the |their |customer )?(?:question|faq|customer|user)s?|"
                          r"repl(?:y|ies|ying) to|drafts? (?:a |an )?(?:[\w-]+ )?(?:reply|response|answer)|suggest (?:a |an )?(?:reply|response|answer)|"
                          r"write (?:a |an )?(?:[\w-]+ )?(?:reply|response|answer)|auto-?repl\w*|respond(?:s|ing)? with (?:an? )?answer|"
                          r"(?:post|send|leave)(?:s|ing)? (?:a |an )?(?:[\w-]+,? ){0,3}(?:reply|response|comment)|reply with|"
                          # "have the model draft a prep note", "write a quarantine notice": a text it writes
                          r"(?:write|draft|compose|prepare|produce|generate)s? (?:up )?(?:a |an |the )?(?:[\w-]+ ){0,2}?"
                          r"(?:note|notice|message|letter|memo|report|briefing|explanation|instructions?|announcement|"
                          r"e-?mail|post|plan|statement|apology|welcome|confirmation|reminder|invitation|description)s?|"
                          # "have the model explain the likely cause in plain language"
                          r"explain(?:s)? (?:the |why |how |what |in plain)[\w ]{0,40}?(?:cause|reason|fault|error|problem|issue|risk|"
                          r"decision|result|outcome|change|difference|meaning|language|terms))\b", re.I)),
    ("enrich", re.compile(r"\b(enrich\w*|look(?:s|ed|ing)? (?:(?!up\b)[\w'-]+ ){0,3}up|get(?:s|ting)? (?:the |their |its )(?:[\w'-]+ ){0,3}?from|lookup|fetch\w*|pull(?:s|ed|ing)? (?:[\w'-]+ ){0,4}?from|pull(?:s|ed|ing)? (?:in )?(?:data|details|info|"
                          r"history|the (?:customer|account|company))|pull(?:s|ed|ing)? (?:\w+ ){0,3}from|firmographic\w*|"
                          r"query (?:the |our )?(?:api|database|db|crm)|"
                          # "Call the NOAA storm events API for hail reports": a read, not an action
                          r"(?:call|query|hit|check)(?:s|ed|ing)? (?:the |our |their )?(?:[\w.-]+ ){0,4}?api (?=for |to (?:get|fetch|find|pull|look up|check)\b)|"
                          # "check the contractor license against the state licensing API": a read of that API
                          r"(?:check|verify|validate)(?:s|ed|ing)? (?:the |their |its |each )?(?:[\w'-]+ ){0,3}?against (?:the |our |their )?(?:[\w.-]+ ){0,4}?api)\b", re.I)),
    ("notify", re.compile(r"\b(notif\w*|slack(?=\s+#[\w-]+)|alert(?:s|ed|ing)? (?:the |our |a |on)|ping\w*|page(?:s|d)? (?:the |our )?(?:on-?call|pager ?duty|opsgenie)|page (?:someone|them)|"
                          r"post(?:s|ed|ing)? (?:it |them |those |these |this |that |(?:an?|the) (?:[\w-]+ ){1,4}?)?(?:to|in|on)\b|send(?:s|ing)? (?:\w+ ){0,3}(?:to|via|on|an? email)|"
                          # "route the request to the licensing lead by Slack DM": a message, not a label
                          r"rout(?:e|es|ed|ing) (?:it|them|the \w+) to\b(?=[^,.;:]*\b(?:by|via|on|in|through)\s+(?:slack|teams|e-?mail|sms|text)\b)|"
                          # "injury ones should get a freeze option email": a message they receive
                          r"(?:(?<=should )|(?<=will )|(?<=must )|(?<=also ))(?:get|receive)\s+an?\s+(?:[\w-]+\s+){0,3}?(?:e-?mail|text|sms)\b|"
                          # "Submissions scoring below 4 get a polite rejection email"
                          r"(?<!\bto )\b(?:get|gets|receive|receives)\s+an?\s+(?:[\w-]+\s+){1,3}?(?:e-?mail|text|sms)\b|"
                          # "send the homeowner a polite note saying …": a message to a person
                          r"send(?:s|ing)? (?:the |our |each |every |that )?[\w-]+ (?:an? |the |their )?(?:[\w-]+ ){0,2}?(?:note|message|notice|letter|confirmation|reminder|apology|heads-up|invite|invitation|receipt)\b|"
                          r"message (?:the|our)|e-?mail (?:the|our|them|it|me|us)\b|(?<=is )e-?mailed to\b|(?<=are )e-?mailed to\b|text(?:s|ed)? (?:the|them|him|her|our|their|me|us)|text(?:s|ed)? (?=(?-i:[A-Z][a-z]+)\b)|"
                          # "first_time -> just a friendly sms": the option's action, a message named by its noun
                          r"(?<=->\s)(?:just\s+)?an?\s+(?:[\w-]+\s+){0,2}?(?:sms|text|e-?mail)\b|"
                          # "billing questions go as an email to billing@…": a message, sent that way
                          r"go(?:es)?\s+(?:out\s+)?(?:as|by|via)\s+(?:an?\s+)?(?:e-?mail|text|sms)\b|"
                          # "sms every booked customer", "email each applicant": a message to each of them
                          r"(?:e-?mail|text|sms|message)(?:s|ed)? (?:every|each|all|both) (?:of (?:the|them|our)\s+)?[\w-]+|escalat\w*|let (?:\w+ )?know|tell (?:the|our)|"
                          r"forward\w*|hand (?:it )?(?:off|over) to|(?:to|in|on|into|via|over|by) (?:the |our |a )?(?:#[\w-]+ )?"
                          r"(?:slack|teams|e-?mail|discord|pager ?duty|sms)|(?:by|via|over)\s+text(?:\s+message)?)\b", re.I)),
    ("store", re.compile(r"\b(stor(?:e|es|ed|ing)|sav(?:e|es|ed|ing)|persist\w*|archiv\w*|record(?:s|ed|ing)? (?:it|them|the|each|in|to)|"
                         r"log(?:s|ged|ging)? (?:it|them|the|each|every|to|into|in)|write(?:s)? (?:it |them |the \w+ )?(?:to|into)|"
                         # "should only be added to the human review queue", "add them to the waitlist"
                         r"(?:be\s+)?add(?:s|ed)?\s+(?:it\s+|them\s+)?to\s+(?:the\s+|our\s+|a\s+)?(?:[\w-]+\s+){0,3}?(?:queue|list|waitlist|backlog|board|sheet|table)|"
                         # "put it in the plow routing queue"
                         r"put(?:s)?\s+(?:it|them)\s+(?:in|into|on)\s+(?:the\s+|our\s+|a\s+)?(?:[\w-]+\s+){0,3}?(?:queue|list|waitlist|backlog|board|sheet|table)|"
                         r"insert\w*|upsert\w*|append(?:s|ed|ing)? (?:(?:it|them|the [\w-]+|each [\w-]+|a [\w-]+|an? row|rows?) )?(?:to|into|onto)\b|push(?:es|ed)? (?:it |them )?(?:to|into)|update(?:s)? (?:the )?(?:crm|record|sheet|"
                         r"database|db|ticket|spreadsheet|salesforce|hubspot|airtable|notion)|create(?:s)? (?:a )?(?:jira|linear|zendesk) "
                         r"(?:ticket|issue))\b", re.I)),
]  # fmt: skip
_DESTINATIONS = [
    "salesforce", "hubspot", "crm", "zendesk", "jira", "linear", "notion", "airtable", "bigquery", "snowflake",
    "postgres", "database", "db", "warehouse", "s3", "sheet", "spreadsheet", "api", "clearbit", "erp", "shopify", "stripe",
]  # fmt: skip
_LANGUAGES = [
    "english", "french", "german", "spanish", "italian", "portuguese", "dutch", "japanese", "chinese", "korean",
    "arabic", "hindi", "polish", "swedish", "russian", "turkish",
]  # fmt: skip
BACKGROUND = re.compile(
    r"\b(in the background|async\w*|later|afterwards|after (?:we )?(?:respond|reply|answer)|after we have (?:answered|replied|responded)|"
    r"(?:can|may) take (?:as long as (?:it|they) needs?|a while|longer|(?:its|their) time)|off the hot path|"
    r"doesn'?t need to be (?:fast|instant|realtime|real-time)|no rush|not (?:time[- ])?critical|eventually|"
    r"for the crm|for the weekly report)\b",
    re.I,
)


# 'tag the order "engraving-hold"', "label it `urgent`": a fixed value the brief names, no choice
_LITERAL_TAG = re.compile(
    r"(?:tag|label|mark)(?:s|ged|led|ed)?\s+(?:it|them|each|the\s+(?:[\w-]+\s+){0,2}[\w-]+)\s+(?:as\s+|with\s+)?[\"“'`]([^\"”'`]{1,40})[\"”'`]",
    re.I,
)


def read_tasks(sentences: list[str], matches: list[Match], skip: frozenset[int] = frozenset()) -> list[Task]:
    """Tasks by vocabulary, sentence by sentence; `skip` holds headings (a title is not a task)."""
    tasks: list[Task] = []
    for index, sentence in enumerate(sentences):
        if index in skip or re.match(r"\W*whether\b", sentence, re.I) or HUMANS_DECIDE.match(sentence):
            # "Whether an application counts as high risk is decided by …", "Licensed brokers make
            # the final classification decision": who decides, no work of the flow
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
                if re.search(r"\b(?:instead\s+of|rather\s+than|without)\s+$", sentence[: m.start()], re.I):
                    # "forward them … instead of answering them with the model": work not to do
                    taken.append((m.start(), m.end()))
                    continue
                if kind in ("score", "moderate") and re.search(
                    r"\b(?:write|draft|compose|prepare|produce|generate)\b[^.;]*\bwith\b[^.;]*$",
                    sentence[: m.start()],
                    re.I,
                ):
                    # "write a digest … with the counts … and any review that mentions fraud": what
                    # the digest lists, no judgement of its own
                    taken.append((m.start(), m.end()))
                    continue
                before_word = re.search(r"([\w-]+)\s+$", sentence[: m.start()])
                if (
                    kind in ("score", "moderate")
                    and before_word is not None
                    and any(before_word.group(1).lower() in t.labels for t in tasks if t.kind == "classify")
                ):
                    # "Medium risk only adds a note": the label the flow decided, naming the events
                    taken.append((m.start(), m.end()))
                    continue
                if (
                    kind == "notify"
                    and re.match(r"by\s", m.group(0), re.I)
                    and LOOKUP_BY.search(sentence[: m.start()])
                ):
                    taken.append((m.start(), m.end()))  # "look up the grant in Carta by email": its key
                    continue
                if kind == "score" and LOOKUP_GETS.search(sentence[: m.start()]):
                    taken.append((m.start(), m.end()))  # "… to get its overflow risk class"
                    continue
                lead = re.match(r"\W*(?:for|on|with)\s+[^,;.]{1,40},", sentence, re.I)
                if kind in ("score", "moderate") and (
                    re.search(r"\b(?:if|when|whenever|unless)\b[^,;.:]*$", sentence[: m.start()], re.I)
                    # "For violations, email the guest": the lead names the events, no work to do
                    or (lead is not None and m.end() <= lead.end())
                ):
                    # "Only if it's high risk, open a task": the condition's word, not work to do
                    taken.append((m.start(), m.end()))
                    continue
                literal = _LITERAL_TAG.match(sentence, m.start()) if kind == "classify" else None
                if literal is not None:
                    # 'tag the order "engraving-hold" in Shopify': a fixed tag set on a record, no
                    # classification (no labels to invent)
                    system = _named_system(sentence, m.start())
                    act = Task(
                        "act", literal.group(0), index, m.start(), target=system.lower() if system else None
                    )
                    act.action = literal.group(0)
                    found.append(act)
                    taken.append((m.start(), literal.end()))
                    matches.append(Match("task", literal.group(0), index, m.start(), literal.end()))
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
                if task.kind == "score" and re.match(
                    r"\s+(?:the\s+|its\s+|their\s+)?(?:[\w-]+\s+){0,2}?as\s+[\w-]+\s*(?:,|or\b)",
                    sentence[m.end() :],
                ):
                    # "assess mastitis risk as low, medium or high": a choice among the brief's levels
                    labels, _ = listed_labels(sentence, m.end())
                    if len(labels) >= 2:
                        task.kind = "classify"
                if task.kind == "classify":
                    task.labels, span = listed_labels(sentence, m.end())
                    if span is not None:
                        matches.append(Match("labels", sentence[span[0] : span[1]], index, *span))
                    elif _REFERS_TO_LIST.search(sentence[m.end() :]):
                        # "Classify each message into one of those categories": the list the
                        # brief gave just before ("… (absences, questions, complaints)")
                        task.labels = _earlier_list(sentences, index)
                    if re.match(r"detect\w*\s+(spam)", lower[m.start() :]):
                        task.labels = ["spam", "not_spam"]
                if task.kind == "moderate":
                    # "checks each photo for MLS rule violations (visible people, watermarks, …)":
                    # the brief's own categories, not a stock community policy
                    task.labels, span = listed_labels(sentence, m.end())
                    if span is not None:
                        matches.append(Match("labels", sentence[span[0] : span[1]], index, *span))
                if kind == "extract":
                    task.fields = list_after(sentence, m.end())
                    task.returns.update(whether_fields(fields_text(sentence, m.end())))
                    if task.fields:
                        end = m.end() + len(fields_text(sentence, m.end()))
                        matches.append(Match("fields", sentence[m.end() : end], index, m.end(), end))
                if kind == "translate":
                    lang = re.search(r"\b(?:into|to)\s+(" + "|".join(_LANGUAGES) + r")\b", lower[m.start() :])
                    task.target = lang.group(1) if lang else "english"
                if kind == "score":
                    subject = re.search(
                        r"\b(fraud|risk|lead|priority|quality|churn|credit|relevance|intent)\b", lower
                    )
                    task.target = subject.group(1) if subject else None
                    scale = re.match(
                        r"[a-z]+\s+(?:the\s+|its\s+|their\s+|an?\s+|it\s+an?\s+)?([a-z][\w-]*)\s+(?:from|on\s+a|between|out\s+of)\s+\d",
                        lower[m.start() :],
                    )
                    if scale is not None:
                        task.target = scale.group(1)  # "gives a severity from 1 to 5": a severity
                if kind == "answer" and re.match(r"repl", m.group(0), re.I):
                    # "Reply to the visitor …, answering only from the refund policy": grounded
                    # when the sentence names the documents, a plain reply otherwise
                    docs = re.search(r"\b" + _DOCS + r"\b", sentence, re.I)
                    task.docs = docs.group(1).lower() if docs else None
                    if not task.docs:
                        task.kind = "reply"
                elif kind == "answer":
                    docs = re.search(r"\b" + _DOCS + r"\b", sentence, re.I)
                    task.docs = docs.group(1).lower() if docs else None
                    if not task.docs:
                        task.kind = "reply"  # an answer with nothing to ground it is a reply
                if kind == "notify" and m.group(0).startswith("POST"):
                    continue  # "POST to our endpoint" is the trigger's HTTP verb, not a message
                if kind in ("notify",):
                    # "post a warning to Slack but do not page anyone": a channel the brief forbids
                    # right there is no channel of this message
                    # "page on-call on pagerduty AND send the driver a text thru twilio": the
                    # channels of this clause, not of the next one
                    clause_end = clause_span(sentence, m.start())[1]
                    window = re.sub(
                        r"\b(?:don'?t|do not|never|not)\s+(?:\w+\s+)?(?:e-?mail|text|sms|slack|page|teams)\w*",
                        " ",
                        sentence[m.start() : max(m.end(), min(m.end() + 50, clause_end))],
                        flags=re.I,
                    )
                    channels = [name for name, p in CHANNELS if p.search(window)]
                    if (
                        "pagerduty" in channels
                        and len(channels) > 1
                        and not re.search(r"\b(?:pager ?duty|opsgenie|page(?:s|d)?)\b", window, re.I)
                    ):
                        # "send an SMS to the on-call vet through Twilio": on-call says who, the
                        # SMS is how
                        channels.remove("pagerduty")
                    named = True
                    if not channels:
                        # A channel named as a data source ("from the PagerDuty API") is not a destination.
                        elsewhere = re.sub(
                            r"\bfrom (?:the |our )?[\w-]+(?: [\w-]+)?"
                            # "don't email — send it to the coordinator instead": not that channel
                            r"|\b(?:don'?t|do not|never|not)\s+(?:\w+\s+)?(?:e-?mail|text|sms|slack|page|teams)\w*",
                            " ",
                            sentence,
                            flags=re.I,
                        )
                        channels = [name for name, p in CHANNELS if p.search(elsewhere)]
                    if not channels and re.search(r"e-?mail", m.group(0), re.I):
                        channels = ["email"]  # "every reply is emailed to the backer"
                    if "escalat" in m.group(0).lower() and not channels:
                        if re.search(r"on-?call|engineer|sre|ops", lower):
                            channels = ["pagerduty"]
                        else:
                            channels, named = ["webhook"], False
                    person = re.match(
                        r"\w+\s+(?:the\s+|our\s+|each\s+|every\s+|that\s+)?([a-z]+)",
                        sentence[m.start() :],
                        re.I,
                    )
                    if (
                        not channels
                        and person
                        and re.search(rf"\b{person.group(1).lower()}_email\b", " ".join(sentences))
                    ):
                        channels = ["email"]  # "send the homeowner a note": the event carries homeowner_email
                    if not channels:
                        channels, named = ["webhook"], False
                    for channel in channels:
                        if any(
                            t.kind == "notify"
                            and t.channel == channel
                            # "email me … and send the parent a tour invite": two people, two messages
                            and not _other_person(sentence, t.start, m.start())
                            for t in found + tasks
                            if t.sentence == index
                        ):
                            continue
                        notify = Task("notify", m.group(0), index, m.start(), channel=channel)
                        notify.channel_named = named
                        if not named:
                            # "alert the CSM in Salesforce": the named system is where the alert goes;
                            # "send it to the production scheduler API": that API
                            system = _named_system(sentence, m.start())
                            owned = re.search(
                                r"\b(?:our|the|their)\s+((?:[a-z][\w-]*\s+){0,2}?[a-z][\w-]*)\s+(?:api|service|endpoint)\b",
                                sentence[m.start() :],
                                re.I,
                            )
                            notify.target = (
                                system.lower() if system else owned.group(1).lower() if owned else None
                            )
                        found.append(notify)
                    taken.append((m.start(), m.end()))
                    matches.append(Match("task", m.group(0), index, m.start(), m.end()))
                    continue
                if kind in ("enrich", "store"):
                    dest = next((d for d in _DESTINATIONS if re.search(rf"\b{d}\b", lower)), None)
                    owned = re.search(
                        r"\b(?:our|the|their)\s+([a-z][\w-]*)\s+(?:api|service|system|database|db)\b",
                        lower[m.start() :],
                    )
                    if (
                        dest in (None, "api", "database", "db")
                        and owned
                        and owned.group(1)
                        not in ("own", "internal", "public", "rest", "main", "core", "other")
                    ):
                        # "in our assets API", "from our ledger service": that service, not any API
                        dest = owned.group(1)
                    where = re.match(
                        r"[\w' -]*?\b(?:in|to|into|onto)\s+(?:the|our|their)\s+((?:[a-z][\w-]*\s+){0,2}?"
                        r"(?:ledger|log|table|sheet|spreadsheet|register|registry|list|journal|archive|records?|"
                        r"history|database|db|bucket|board|tracker|inbox|queue))\b",
                        sentence[m.start() :],
                    )
                    if kind == "store" and dest in (None, "database", "db") and where:
                        dest = where.group(1)  # "recorded in the lab ledger": that ledger
                    task.target = dest
                if kind in ("enrich", "store", "act"):
                    # the system the clause names ("look up the policy in Guidewire") is where the
                    # call goes: more precise than a generic destination word, never invented
                    named = _named_system(sentence, m.start())
                    called = re.match(
                        r"(?i:call|query|hit)\w*\s+(?i:the\s+|our\s+)?([A-Z][\w-]+)", sentence[m.start() :]
                    )
                    named = named or (called.group(1) if called and kind == "enrich" else None)
                    task.target = named.lower() if named else task.target
                if kind == "store" and re.search(
                    r"\b[a-z]{3,}\s+(?:that\s+|which\s+)?(?:we|they|you)\s+(?:already\s+|also\s+)?$",
                    sentence[: m.start()],
                    re.I,
                ):
                    # "the USDA WASDE summary we store in SharePoint": where a source is kept, not
                    # an instruction to write there
                    matches.append(Match("reference", m.group(0), index, m.start(), m.end()))
                    taken.append((m.start(), m.end()))
                    continue
                if _mentioned_done(sentence, m.start(), m.group(0)):
                    # "after we have answered": work the brief refers to, not work it asks for
                    matches.append(Match("reference", m.group(0), index, m.start(), m.end()))
                    taken.append((m.start(), m.end()))
                    continue
                found.append(task)
                taken.append((m.start(), m.end()))
                matches.append(Match("task", m.group(0), index, m.start(), m.end()))
        if found:
            background = bool(BACKGROUND.search(sentence))
            for task in found:
                task.background = background and task.kind in (
                    "summarise",
                    "enrich",
                    "store",
                    "notify",
                    "extract",
                    "translate",
                )
            _ground(sentence, found, matches, index)
            attach_conditions(sentence, index, found, matches)
        else:
            _, unread, events = read_conditions(sentence)
            for start, end, clause in unread:
                matches.append(Match("unread_condition", clause, index, start, end))
            for start, end, event in events:
                matches.append(Match("event", event.text, index, start, end))
        tasks.extend(found)
    read_label_lists(sentences, tasks, matches)
    labels = [label for t in tasks if t.kind == "classify" for label in t.labels]
    for task in tasks:
        if task.kind in ("answer", "reply", "notify", "store") and task.condition is None:
            cond = label_condition(sentences[task.sentence], task, labels)
            if cond is not None:
                task.condition = cond
                task.unmapped_condition = None
    return _dedupe(tasks, sentences)


def _named_or_noun(sentence: str, start: int, word: str) -> bool:
    """A task word used as a name (capitalised mid-sentence), as a noun (after an article), or as
    an event field followed by its type ("email (string)"), or inside a compound ("fall-detection
    events")."""
    if start > 0 and sentence[start - 1] == "-":
        return True
    first = word.split()[0] if word.split() else word
    if first.lower() in ("store", "stores") and not re.match(
        r"\s+(?:it|them|the|each|every|a|an|this|that|those|these|all|its|their|our|his|her|results?|"
        r"[a-z]+_[a-z_]+|in|into|to|on)\b",
        sentence[start + len(first) :],
        re.I,
    ):
        return True  # "our personalised jewellery store": a shop, not "store it"
    if re.match(r"\s+(?:me|us|them|him|her)\b", sentence[start + len(first) :], re.I):
        return False  # "If there's a spot email me": a verb with its object, never "a spot email"
    if re.search(
        r"\b(?:can|could|will|would)\s+(?:the|an?|our)\s+(?:ai|llm|model|bot|gpt)\s+$", sentence[:start], re.I
    ):
        return False  # "can the AI score how well it fits": asked of the model, never "the AI score"
    if TYPE_GLOSS.match(sentence, start + len(first)):
        return True
    lowered = first.lower()
    if (
        lowered.endswith("s")
        and lowered[:-1] in _NOUN_VERBS
        and re.match(r"\s*(?:[,.;:)]|and\b|or\b|$)", sentence[start + len(first) :])
    ):
        return True  # "extract their GPA and test scores, and check …": a plural noun, not "scores each lead"
    if _SYSTEM_NAME.match(sentence, start + len(first)) and re.search(
        r"\b(?:the|our|their|its|a|an|via|through|using|with)\s+(?:[\w-]+\s+)?$",
        sentence[max(0, start - 30) : start],
        re.I,
    ):
        # "suspend the account via the moderation API", "our fraud scoring service": the system
        # another action goes through, not work of its own
        return True
    if (
        first[:1].isupper()
        and not first.isupper()
        and sentence[:start].strip(" -*•(\"'")
        and not re.search(r"[.:;!?]\s*$", sentence[:start])
    ):
        return True
    if re.search(
        r"\b(?:after|before|besides|with|like|than|then|and|do|does)\s+(?:that|this)\s+$",
        sentence[:start],
        re.I,
    ):
        return False  # "and only after that text the owner": "that" is a pronoun, "text" its verb
    if lowered == "summary" and re.search(
        r"\b(?:writes?|drafts?|compos\w+|produces?|generates?|prepares?|creates?)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,2}$",
        sentence[max(0, start - 50) : start],
        re.I,
    ):
        return False  # "a model writes a two-sentence summary": the writing is the work
    return bool(
        re.search(
            # "the return label", "the product's label", "listing which ranks need attention": a
            # determiner, a possessive or a question word before it
            r"(?:\b(?:the|a|an|this|that|its|their|our|your|each|every|any|which|what|whose)\s+(?:[\w-]+\s+)?|"
            r"[a-z]['’]s\s+)$",
            sentence[max(0, start - 30) : start],
            re.I,
        )
    ) and (first.lower() in _NOUN_VERBS or first.lower().removesuffix("s") in _NOUN_VERBS)


# What follows a task word that names a system: "the moderation API", "our scoring service"
_SYSTEM_NAME = re.compile(
    r"\w*\s+(?:[\w-]+\s+)?(?:api|service|endpoint|system|engine|queue|platform|tool)\b", re.I
)

# Task words that are as often nouns: "the return label", "an alert", "a post", "the answer".
_NOUN_VERBS = {
    "label", "labels", "tag", "tags", "page", "post", "posts", "alert", "alerts", "answer", "answers", "reply",
    "replies", "message", "comment", "email", "score", "summary", "digest", "record", "log", "note", "flag",
    "rank", "rating", "route", "translation", "store", "archive", "forward", "save", "check", "match", "review",
    "update", "call", "release", "hold", "block", "schedule", "booking", "charge", "credit", "refund", "request",
    "report", "text", "file", "lock", "issue", "cancel", "cancellation", "search", "fetch", "pull", "notice",
    "triage",
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
        span = clause_span(sentence, task.start)
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


_REFERS_TO_LIST = re.compile(
    r"^\W*(?:\w+\s+){0,4}?(?:into|as|in)?\s*(?:one of\s+)?(?:those|these|the above|the following|the same)\s+"
    r"(?:categories|types|kinds|labels|classes|buckets|groups|topics|intents)\b",
    re.I,
)


def _earlier_list(sentences: list[str], index: int) -> list[str]:
    """The last parenthesised list of two or more items in the sentences up to `index`."""
    from copilot.draft.labels import label_items

    for sentence in reversed(sentences[: index + 1]):
        for group in reversed(re.findall(r"\(([^()]{3,200})\)", sentence)):
            items = label_items(group)
            if len(items) >= 2:
                return items[:12]
    return []


def _named_system(sentence: str, start: int) -> str | None:
    """The first system the clause around `start` names, if any."""
    from copilot.draft.subjects import systems_named

    a, b = clause_span(sentence, start)
    found = systems_named(sentence[a:b])
    return found[0] if found else None


def clause_span(sentence: str, start: int) -> tuple[int, int]:
    """The (start, end) of the clause of `sentence` that holds position `start` (the whole sentence if none)."""
    for a, b in clause_spans(sentence):
        if a <= max(start, 0) < b:
            return a, b
    return 0, len(sentence)


# "extract the symptom terms, grounded in our SOP documents", "check each photo for violations
# against the MLS rules PDF": the documents a model task works from. "grounded in" names them
# whatever they are called; the other phrases need a word for documents after them.
_NOUN_WORD = r"(?!(?:and|or|then|to|for|before|after|when|if|so|but|with|while|via)\b)[\w'\"“”-]+"
_GROUNDING = re.compile(
    r"\b(?:grounded|grounding)\s+(?:in|on)\s+(?P<any>(?:the|our|its|their|my)\s+(?:"
    + _NOUN_WORD
    + r"\s+){0,4}"
    + _NOUN_WORD
    + r")\b"
    r"|\b(?:based on|according to|in line with|following|per|using|against|citing|quoting|with reference to|"
    # "classify it …, answering strictly from our RMA Policy v3 document"
    r"(?:strictly|only|solely|exclusively|purely)\s+(?:from|on|by))\s+(?:only\s+)?"
    # greedy: "our \"Local Rules Deadline Calculator\" reference" is all one name
    # "against the rubric in our 2025 Funding Guidelines document": a name of up to six words
    r"(?:the|our|its|their|my)\s+(?:[\w'\"“”-]+\s+){0,6}(?P<docs>"
    + _DOCS[1:-1]
    + r"|docs?|documents?|sops?|procedures?|"
    r"pdfs?|rules|rulebook|rubrics?|guidelines|standards?|reference)\b",
    re.I,
)
_MODEL_KINDS = ("classify", "moderate", "extract", "summarise", "score", "translate")


def _ground(sentence: str, found: list[Task], matches: list[Match], index: int) -> None:
    """A model task whose own part of the sentence names the documents it works from reads them
    (a retrieval feeds its prompt), as an answer does: the model never judges from memory."""
    ordered = sorted(found, key=lambda t: t.start)
    for task, after in zip(ordered, [*ordered[1:], None], strict=True):
        # a writer too: "draft a short rescheduling note …, using the berth allocation rules document"
        if task.kind not in (*_MODEL_KINDS, "answer", "reply") or task.docs:
            continue
        if (
            after is not None
            and after.kind == "answer"
            and after.docs
            and task.kind in _MODEL_KINDS
            and re.match(r"answering\b", sentence[after.start :], re.I)
        ):
            # "classify the request as …, answering strictly from our RMA Policy": how it classifies
            task.docs = after.docs
            continue
        end = after.start if after is not None and after.start > task.start else len(sentence)
        m = _GROUNDING.search(sentence, task.start, end)
        if m is None:
            continue
        # the documents as the brief names them: "our pharmacovigilance SOP documents" -> that
        task.docs = re.sub(r"^.*?\b(?:the|our|its|their)\s+", "", m.group(0), count=1, flags=re.I)
        matches.append(Match("docs", m.group(0), index, m.start(), m.end()))


_FORBIDDEN_BEFORE = re.compile(
    r"\b(?:don'?t|do not|never|must not|mustn'?t|should not|shouldn'?t)\s+(?:ever\s+)?$", re.I
)


def quote_for(sentence: str, start: int) -> str:
    """The clause of `sentence` around position `start`: what a step built from it quotes."""
    a, b = clause_span(sentence, start)
    return sentence[a:b].strip(" ,;:.")


def _other_person(sentence: str, first: int, then: int) -> bool:
    """Whether the message said at `then` goes to someone else than the one at `first`, or on
    other events ("… send the parent a tour invite, if theres no spot … send the parent a note")."""
    if re.search(
        r"\b(?:if|when|unless|otherwise|else)\b", sentence[min(first, then) : max(first, then)], re.I
    ):
        return True
    return people_differ(
        sentence[first : clause_span(sentence, first)[1]], sentence[then : clause_span(sentence, then)[1]]
    )


def _two_people(first: Task, then: Task, sentences: list[str] | None) -> bool:
    """Whether two tasks' messages go to different people."""

    def said(t: Task) -> str:
        if sentences is not None and t.start >= 0 and 0 <= t.sentence < len(sentences):
            sentence = sentences[t.sentence]
            return sentence[t.start : clause_span(sentence, t.start)[1]]
        return t.quote or t.text

    return people_differ(said(first), said(then))


def _dedupe(tasks: list[Task], sentences: list[str] | None = None) -> list[Task]:
    """One task per kind (notify: per channel), first mention first; later mentions add details.
    A later mention the brief forbids ("…, don't email — send it to the coordinator instead") adds
    nothing to the earlier one: it stays apart, for the prohibition reader to drop."""
    from copilot.draft.verbs import REPLY_TO_PERSON, RESPONSE

    out: list[Task] = []
    for task in tasks:
        if (
            sentences is not None
            and task.start >= 0
            and RESPONSE.search(quote_for(sentences[task.sentence], task.start))
            and not REPLY_TO_PERSON.match(sentences[task.sentence], task.start)
        ):
            continue  # "Reply to Calendly within 10 seconds": the response's deadline, no mention of a task
        if (
            sentences is not None
            and task.start > 0
            and _FORBIDDEN_BEFORE.search(sentences[task.sentence][max(0, task.start - 30) : task.start])
        ):
            out.append(task)
            continue
        same = next(
            (
                t
                for t in out
                if t.kind == task.kind
                and (task.kind != "notify" or t.channel == task.channel)
                # "If the roof is old, email the homeowner …; otherwise send the homeowner a note":
                # two messages, each on its own events
                and not (
                    task.kind == "notify"
                    and (t.condition is not None or bool(t.unmapped_condition))
                    and (
                        (
                            task.condition is not None
                            and (t.condition is None or t.condition.text != task.condition.text)
                        )
                        # "If out_of_warranty, email the customer a repair quote": a test of its own,
                        # read later or said, never the first message's
                        or bool(task.unmapped_condition and task.unmapped_condition != t.unmapped_condition)
                        or bool(
                            sentences
                            and re.match(
                                r"\W*(?:otherwise|else|instead)\b",
                                quote_for(sentences[task.sentence], task.start),
                                re.I,
                            )
                        )
                    )
                )
                # "Email the summary to the project manager … also email the site safety officer":
                # two people, two messages
                and not (task.kind == "notify" and _two_people(t, task, sentences))
                # "… by Slack DM" and "… to the #licensing-deals Slack channel": two destinations
                and not (
                    task.kind == "notify"
                    and sentences is not None
                    and t.sentence != task.sentence
                    and message_destination(sentences[t.sentence])
                    != message_destination(sentences[task.sentence])
                )
                # "… should get a freeze option email": a new message (an indefinite one), not the
                # email said before again
                and not (
                    task.kind == "notify"
                    and t.sentence != task.sentence
                    and re.search(
                        r"\b(?:get|receive)\s+an?\s+(?:[\w-]+\s+){0,3}?(?:e-?mail|text|sms)\b",
                        task.text,
                        re.I,
                    )
                )
                # reads from two systems the brief names are two lookups
                and not (task.kind == "enrich" and t.target and task.target and t.target != task.target)
            ),
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
        if (
            same.kind in ("reply", "answer")
            and (same.condition or same.unmapped_condition)
            and (task.condition or task.unmapped_condition)
            and not (same.condition and task.condition and same.condition.text == task.condition.text)
        ):
            # "For missing_reward … reply with the tracking link … if it has passed, reply that the
            # address is locked": one writer for several branches runs on all of them; each
            # message that sends its text keeps its own condition
            same.condition = same.unmapped_condition = None
            task.condition = task.unmapped_condition = None
        same.condition = same.condition or task.condition
        if same.condition is None:
            same.unmapped_condition = same.unmapped_condition or task.unmapped_condition
        same.channel_named = same.channel_named or task.channel_named
    return out
