"""The action vocabulary: which verbs ask the flow to act, and where a sentence's clauses start.

`ACTION_VERBS` maps each verb to the work it asks for (a model's, an effect outside, a
lookup); `action_of` finds the verb a clause instructs, telling an instruction from a noun,
a passive or a statement about someone else; `clause_spans` cuts a sentence where a new
instruction can start. `copilot.draft.clauses` builds the brief's requirements on them.
"""

# ruff: noqa: E501  (the vocabulary below is tables and regular expressions, easier to read whole)
from __future__ import annotations

import re

from copilot.draft.option_lists import ANSWERS_ONE_OF, quoted_list_comma
from copilot.draft.record_verbs import CAUSED_DONE, MAKE_RECORD, RUN_CHECK

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
            "offer",
            "alert",
            "page",
            "ping",
            "slack",  # "slack #dispatch right away"
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
            "append",
            "push",
            "sync",
            "add",
            "remove",
            "delete",
            "archive",
            "move",  # "move it to "shortlist" in Submittable": a status change in that system
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
            "sms",  # "sms every booked customer": the channel said as the verb
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
            # changes to a record in a system of the team's: "place a payment hold on the claim",
            # "void the citation in Tiburon", "waive the fee"
            "place",
            "void",
            "waive",
            "grant",
            "deny",
            "award",
            "reverse",
            "reassign",
            "dispatch",
            "restock",
            "reorder",
            "enroll",
            "register",
            "activate",
            "enable",
            "reschedule",
            "postpone",
            "extend",
            "restore",
            "reinstate",
            "settle",
            "invoice",
            "deduct",
            "unblock",
            "unfreeze",
            "downgrade",
            "upgrade",
            # "never change a tank's setpoint", "adjust the thermostat": a write to a record
            "change",
            "modify",
            "alter",
            "edit",
            "adjust",
            "overwrite",
            "divert",  # "never divert milk for low-risk cows"
            "increment",  # "increment the no_show_count property on the HubSpot contact"
            "decrement",
        ),
        "effect",
    ),
    # reading from a system of record: the draft needs a call that reads it, not a model's guess
    **dict.fromkeys(("look", "lookup", "fetch", "pull", "query", "retrieve", "search", "find"), "lookup"),
}

# Who does things in a brief's statements ("Customers submit a form", "Members post in Slack")
PEOPLE = frozenset({
    "customer", "user", "member", "client", "people", "patient", "applicant", "visitor", "guest", "employee",
    "staff", "agent", "we", "they", "you", "team", "partner", "vendor", "seller", "buyer", "driver", "student",
    "rep", "manager", "engineer", "developer", "admin", "analyst", "doctor", "nurse", "teacher", "parent",
    "donor", "volunteer", "tenant", "owner", "host", "rider", "courier", "supplier", "merchant", "player",
    "technician", "inspector", "officer", "operator", "clerk", "dispatcher", "coordinator", "supervisor",
    "editor", "reviewer", "author", "requester", "passenger", "resident", "homeowner", "caller", "pilot",
    "clinician", "physician", "crew", "shopper", "subscriber", "coach", "referee", "tech",
    "aide", "caregiver", "worker", "contractor", "lifeguard", "instructor", "trainer", "therapist",
    "pharmacist", "cashier", "installer", "cleaner", "carer", "nanny", "tutor", "landlord",
})  # fmt: skip

# Words that put a verb right after them in an instruction.
_LEAD = re.compile(
    r"^(?:(?:and|or|then|also|please|first|finally|always|only|immediately|just|next|afterwards|otherwise|else|"
    r"we|i|you|it|the (?:bot|flow|system|automation|agent|assistant)|flowgen|should|must|shall|will|"
    r"(?:have|let|get|ask|make) (?:the|a|an|our) (?:model|llm|ai|bot|agent|assistant)(?: to)?|"
    r"'ll|can|could|would|need to|needs to|want to|wants to|have to|has to|to|let'?s|go ahead and|"
    r"automatically|quickly|also|then|"
    # "In every case post a short note to Slack", "Either way, log it"
    r"in (?:every|each|all|any) cases?,?|either way,?|regardless,?|in both cases,?|"
    # "and only after that text the owner": when, then the order
    r"(?:right\s+)?(?:after|before)\s+(?:that|this),?)\s+)+",
    re.I,
)
# "set the order status to "printed"": an update of a record (never "set timer", a label)
_SET_TO = re.compile(
    # "set Background_Check__c to Cleared": a field named as written
    # "set the player's status to …": a possessive names whose
    r"\bset\s+(?:(?:the|its|their|his|her|our|that)\s+(?:[\w'’-]+\s+){0,3}?|[A-Za-z][A-Za-z0-9]*_\w*\s+)(?:to|as)\b",
    re.I,
)
# "First, have the model …", "use an LLM to …": the brief hands the work to a model
_HANDED = re.compile(
    r"\W*(?:(?:first|then|next|also|finally|otherwise|and|so),?\s+)?(?:(?:i|we)\s+)?"
    r"(?:have|let|get|ask|use|want|need|would\s+like|['’]d\s+like)\s+"
    r"(?:an?\s+|the\s+|our\s+)?"
    r"(?:llm|model|ai|gpt[\w.-]*|language model)\s+(?:to\s+)?([a-z]+)",
    re.I,
)
# "… telling them to", "asking the customer to": what a message asks of its reader
_TELLING = re.compile(
    r"\b(?:tell|telling|tells|ask|asking|asks|remind|reminding|advise|advising|instruct|instructing|urge|urging)\s+"
    r"(?:them|him|her|the\s+[\w-]+|our\s+[\w-]+|customers?|users?|guests?)\s*$",
    re.I,
)
# after "X gets notified": how events arrive ("… when an order is emailed to us"), not an order
_PASSIVE_EVENT = re.compile(r"^\s*(?:to|by)\s+(?:us|our\s+(?:inbox|endpoint|webhook))\b", re.I)
# "Hotel guests can message …", "Riders may text us …": what someone else is able to do
_ABLE = re.compile(
    r"\W*(?:(?!(?:if|when|whenever|unless|once|after|before|until|where)\b)[\w-]+\s+){0,3}?([a-z]+)\s+"
    # "staff will call them": what people do themselves, never "… will be paged" (the flow does that)
    r"(?:can|could|may|will(?!\s+be\b)|would(?!\s+be\b))\s+(?:also\s+|now\s+|still\s+|then\s+)?[a-z]",
    re.I,
)
_PASSIVE = re.compile(r"\b(?:is|are|was|were|be|been|being|gets?|got|has|have|had)\s+(?:\w+ly\s+)?$", re.I)
# A determiner right before a word makes it a noun ("the page", "an alert"), not an instruction.
DETERMINER = re.compile(r"\b(?:a|an|the|this|that|its|their|our|your|each|every|no|any|some)\s+$", re.I)
# One word of a clause, apostrophes and hyphens included ("don't", "auto-approve").
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")

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
    r"\s*(?:[\w'-]+(?:\s+[\w'-]+){0,2}\s*,\s*)+(?:[\w'-]+(?:\s+[\w'-]+){0,2}\s*,?\s+)?(?:or|and)\s+[\w'-]+(?:\s+[\w'-]+){0,2}\s*(?:[.;]|$)|"
    # "from this fixed list: compensation, manager, workload, other": three or more, no "or"
    r"\s*(?:[\w'-]+(?:\s+[\w'-]+)?\s*,\s*){2,}[\w'-]+(?:\s+[\w'-]+)?\s*(?:[.;]|$)|"
    # "one of: FAST_TRACK, ADJUSTER_VISIT, DENY_NO_EVENT": labels written as identifiers
    r"(?-i:\s*`?[A-Z][A-Z0-9_]+`?(?:\s*,\s*`?[A-Z][A-Z0-9_]+`?)+\s*(?:[.;]|$))",
    re.I,
)


_IN_NUMBER = re.compile(r"(?<=\d)(?::\d\d|,\d{3}|:\d(?=\s|$|[,.;]))(?!\d)")  # "06:00", "£15,000", "4:1"


_SAYS = frozenset({"mention", "include", "tell", "say", "explain", "note", "quote", "cite"})


def clause_spans(sentence: str) -> list[tuple[int, int]]:
    """Clause spans: at commas, semicolons and 'then', and at 'and'/'or' before an action verb;
    never inside parentheses or backticks (a label list is one clause)."""
    cuts: list[tuple[int, int]] = []
    depth = 0
    tick = False
    # 'we reply "Thanks, check-in received" by sms': a quoted text is one piece of its clause
    quoted = [(m.start(), m.end()) for m in re.finditer(r"\"[^\"]{1,200}\"|“[^”]{1,200}”", sentence)]
    for i, ch in enumerate(sentence):
        if any(a < i < b for a, b in quoted):
            continue
        if ch == "`":
            tick = not tick
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch in ",;:" and depth == 0 and not tick:
            if _IN_NUMBER.match(sentence, i) or sentence.startswith("://", i):
                continue  # "06:00", "£15,000" and "https://lab.internal" are one thing, not two clauses
            after = WORD.match(sentence[i + 1 :].lstrip())
            if (
                ch == ","
                and re.search(r"\b(?:a|an|the|our|their|its|your)\s+[\w-]+$", sentence[:i], re.I)
                and re.match(
                    r"\s*[a-z]+\s+(?:and|or)\s+[a-z]+(?:\s+[a-z]+)?\s*[.;]?\s*$", sentence[i + 1 :], re.I
                )
            ):
                continue  # "to get their name, email and orientation date": the list's last nouns
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
            if ch == "," and quoted_list_comma(sentence, i):
                continue  # 'say "slow_leak", "blowout_risk" or "sensor_fault"': quoted options, one list
            if ch == ":" and _OPTION_LIST.match(sentence[i + 1 :]):
                continue  # "give a verdict: approve, reject or manual review": options, not actions
            if (
                ch == ","
                and ":" in sentence[:i]
                and _OPTION_LIST.match(sentence[sentence.rfind(":", 0, i) + 1 :])
            ):
                continue  # …and the commas inside that list
            cuts.append((i, i + 1))
    # "fits of 7 or more -> add a row to our airtable pipeline": a threshold case, then what it gets
    # (a label before the arrow stays with its action: "corporate bookings => email events@…")
    cuts += [
        (m.start(), m.end())
        for m in re.finditer(r"\s(?:->|→|=>)\s", sentence)
        if re.search(r"\d[^,;:]*$", sentence[: m.start()])
    ]
    dashes = list(re.finditer(r"\s(?:—|–|--?)\s", sentence))
    if len(dashes) == 1 and sentence[: dashes[0].start()].count("(") <= sentence[: dashes[0].start()].count(
        ")"
    ):
        # "must never get an automatic reply — notify the lead": a dash between two clauses (a
        # pair of dashes encloses an aside, like parentheses: "moderate it — flag hate, spam — and…")
        cuts.append((dashes[0].start(), dashes[0].end()))
    # "… that refunds are automatic plus refund them in FareHarbor": "plus" before a verb joins an action
    for m in re.finditer(
        # "page on-call AND text the driver": a shouted joiner joins the same way
        r"\s+(?i:and then|and also|then|and|or|but|so|plus)\s+(?=([A-Za-z'-]+)(\s+[#\w'-]+)?)",
        sentence,
    ):
        word = m.group(1).lower()
        after = (m.group(2) or "").strip().lower()
        inside = sentence[: m.start()].count("(") > sentence[: m.start()].count(")")
        # "and page the on-call engineer" starts an instruction; "post or comment before…" joins nouns
        joiner = m.group(0).strip().lower()
        verb = (
            _base(word) in ACTION_VERBS
            # "… observe or transfer_to_hospital": an identifier, not the verb it starts with
            and sentence[m.end() + len(word) : m.end() + len(word) + 1] != "_"
            and (joiner != "or" or not after or bool(_OBJECT_START.fullmatch(after)))
            # "labels it ok, edit_needed or reject": the last option, not a second action
            and not (joiner == "or" and ANSWERS_ONE_OF.search(sentence[: m.start()].rstrip(",")))
            # "pick a tone for outreach: gentle, firm or escalate": the list after a colon
            and not (
                joiner == "or"
                and ":" in sentence[: m.start()]
                and _OPTION_LIST.match(sentence[sentence.rfind(":", 0, m.start()) + 1 :])
            )
            # "text them that lessons are cancelled and refunds are automatic": what the message says
            and not (
                after in ("is", "are", "was", "were", "will", "have", "has")
                and re.search(
                    r"\b(?:that|saying|telling)\s+(?:the\s+|our\s+|your\s+)?[a-z]+\s+(?:is|are|was|were|will|have|has)\b[^,;:]*$",
                    sentence[: m.start()],
                    re.I,
                )
            )
        )
        # "… get a repair ticket in Trello and the member gets an email": a new subject that
        # receives something is a clause of its own
        receives = joiner == "and" and re.match(
            r"(?:the|a|an|our|their|each|every)\s+[\w-]+\s+(?:gets?|receives?|is\s+sent|are\s+sent)\b",
            sentence[m.end() :],
            re.I,
        )
        # "charge the fee in Stripe and mention the fee in the email": what a message says, a clause
        says = joiner == "and" and word in _SAYS and bool(_OBJECT_START.fullmatch(after))
        # "… plus make a Maxient case", "… and run the credit check thru TransUnion"
        made = bool(MAKE_RECORD.match(sentence, m.end()) or RUN_CHECK.match(sentence, m.end()))
        # "… get logged in BailBooks and we reply …": the team's own next action
        ours = re.match(r"(?:we|i)\s+(?:also\s+|then\s+)?([a-z]+)", sentence[m.end() :], re.I)
        made = made or (joiner == "and" and ours is not None and _base(ours.group(1)) in ACTION_VERBS)
        if not inside and (m.group(0).strip() in ("then", "and then") or verb or receives or says or made):
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


# "signup_id (string) and email (string)": a field of the event, named with its type
TYPE_GLOSS = re.compile(
    r"\s*\((?:an?\s+)?(?:string|str|text|number|numeric|int|integer|float|decimal|bool|boolean|true/false|"
    r"yes/no|date|datetime|timestamp|iso\b[^)]*|url|uri|e-?mail(?:\s+address)?|phone|array|list|object)\b[^)]*\)?",
    re.I,
)


# "never text customers, only email them": which channel the brief allows, not a message of its own
CHANNEL_ONLY = re.compile(
    r"\W*only\s+(?:e-?mail|text|sms|message|call|contact)\s+(?:them|him|her|it)\s*[.;,]?\s*$", re.I
)

# "check whether it changes consent, adds a vulnerable population or …": text before a clause that
# leaves it inside a question (one question: no second if, at most 80 characters), so its verb is
# asked about, never done
ASKED_WHETHER = re.compile(
    r"\b(?:check|see|determine|find\s+out|figure\s+out|verify|assess|judge|note)\s+(?:whether|if)\b"
    r"(?:(?!\b(?:if|whether|then|and\s+if)\b)[^.;:]){0,80}[,\s]$",
    re.I,
)


def action_of(clause: str) -> tuple[str, str] | None:
    """(verb, kind) when the clause instructs an action, else None."""
    stripped = clause.strip(" ,;:.-*()")
    # "if its shipping_problem make a gorgias ticket": the option its lead names, then the action
    stripped = re.sub(
        r"^\W*(?:if|when)\s+(?:its|it['’]s|it\s+is)\s+(?:an?\s+)?[\w-]+\s+(?=[a-z]+\s)",
        "",
        stripped,
        flags=re.I,
    )
    # "Urgent cases (anything below 54 mg/dL, or urgent from the model) page the nurse": the aside
    # says which, the verb after it acts
    stripped = re.sub(r"(?<=\w)\s*\([^()]*\)\s*(?=\w)", " ", stripped)
    # "repeat_offender -> charge the fee …", "deny = email the claimant": the option, then its action
    stripped = re.sub(r"^\W*[\w-]+(?:\s+[\w-]+)?\s*(?:->|=>|→|=)\s*(?=[a-z])", "", stripped, flags=re.I)
    if _SET_TO.search(stripped) and not _PASSIVE.search(stripped[: _SET_TO.search(stripped).start()]):
        return "set", "effect"  # "set the order status to "printed" in our order system": an update
    if MAKE_RECORD.match(stripped):
        return "create", "effect"  # "plus make a Maxient case": a record made in a system
    if RUN_CHECK.match(stripped):
        return "run", "lookup"  # "run the credit/background check thru TransUnion": a read of its own
    handed = _HANDED.match(stripped)
    if handed is not None and _base(handed.group(1)) not in ACTION_VERBS:
        # "Have the model work out the job type", "have the model break requested_work into
        # jobs": work handed to a model is model work, whatever its verb
        return _base(handed.group(1)), "model"
    if re.match(
        r"\W*(?:only\s+)?(?:if|when|whenever|unless|once)\s+(?:we|i|you|they)\s+(?!(?:have\s+to|need\s+to|must|should)\b)",
        stripped,
        re.I,
    ):
        return None  # "If we hold matching records": what is the case, not what to do
    able = _ABLE.match(stripped)
    if able and able.group(1).lower().rstrip("s") in PEOPLE - {"we", "you"}:
        return None  # "Hotel guests can message the front desk": how events arrive, not an order
    lead = _LEAD.match(stripped)
    rest = stripped[lead.end() :] if lead else stripped
    first = WORD.match(rest)
    if first and rest[first.end() : first.end() + 1] == "_":
        if _base(first.group(0)) in ACTION_VERBS:
            return None  # "cancel_reason (free text)": a field's name, not the verb "cancel"
        first = None  # "Wrong_plate disputes go to …": an identifier, then the clause's own verb
    if first and TYPE_GLOSS.match(rest, first.end()):
        return None  # "email (string)": a field of the event named with its type, not "email"
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
                # "refill requests come in from the store": a noun, then how it arrives
                r"\s+[a-z][\w-]*\s+(?:is|are|was|were|has|have|lives?|sits?|comes?|arrives?|lands?|need\s+to|needs\s+to)\b",
                rest[first.end() :],
                re.I,
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
        if re.search(r"\bwhether\s+(?:or\s+not\s+)?to\s+$", stripped[: m.start()], re.I):
            continue  # "a model decides whether to call a curtailment event": the question, not the order
        before = WORD.findall(stripped[: m.start()])
        # "for custom and coverup ones email the artist": a lead naming which events, then the order
        conditional = re.match(r"\W*(?:then\s+|and\s+)?(?:only\s+)?(?:if|when|unless|for)\b", stripped, re.I)
        caused = re.search(
            # "have the model draft a prep note", "let the AI write the reply": the flow makes it act
            r"\b(?:have|let|get|ask|make)\s+(?:the\s+|an?\s+|our\s+)?(?:[\w-]+\s+)?(?:model|llm|ai|gpt|bot|assistant|agent)"
            r"\s+(?:to\s+)?$",
            stripped[: m.start()],
            re.I,
        )
        kind_of_event = (
            # "Verified deletions open a Jira ticket in the PRIV project": a kind of event, then what
            # the flow does with it in a named system (people do things; kinds of events get done)
            before
            and len(before) <= 3
            and before[-1].lower().endswith("s")
            and not any(w.lower().rstrip("s") in PEOPLE for w in before)
            and base in ACTION_VERBS
            and re.search(r"\b(?:in|to|into|via|on)\s+(?:the\s+|our\s+)?[A-Z][\w-]+", stripped[m.end() :])
        )
        if (
            before
            and before[-1].lower() not in _CONNECTORS
            and not conditional
            and not caused
            and not kind_of_event
        ):
            continue  # "Customers submit a form": a statement about someone else ("if its cancel send it…" is not)
        if (
            base in ACTION_VERBS
            and not DETERMINER.search(stripped[: m.start()])
            and not _PASSIVE.search(stripped[: m.start()])
        ):
            return base, ACTION_VERBS[base]
    subject = re.match(
        r"\W*(?:(?:then|and|so|next|after\s+that),?\s+)?(?:a|an|another|the|our|one)\s+(?:[\w-]+\s+){0,2}?"
        r"(?:model|llm|ai|\w*bot|agent|assistant|classifier|system)\b",
        stripped,
        re.I,
    )
    if subject:
        # "A fast model labels the text", "a chatbot on our site that answers questions": the model acts
        for word in WORD.findall(stripped[subject.end() :])[:8]:
            base = _base(word)
            if base in ACTION_VERBS and word.lower() != base:
                return base, ACTION_VERBS[base]
    passive = re.search(
        # "Negative results should just be recorded in the lab ledger": an adverb may sit in between
        r"\b(?:gets?|are|is|(?:should|must|will|can)\s+(?:just\s+|only\s+|also\s+|simply\s+|always\s+)?be|and)\s+"
        # "get flagged for a site visit in airtable": what for, then where
        r"(?:just\s+|only\s+|also\s+|simply\s+)?([a-z]+(?:ed|t|n))\s+(?:for\s+(?:[\w-]+\s+){1,4}?)?"
        r"(?:via|to|in|into|on|through|with|by|back|from|using)\b",
        stripped,
        re.I,
    )
    if passive and (
        # "should only be added to the human review queue" files work; "are published to the queue"
        # says how events arrive
        passive.group(1).lower() in ("added", "written", "saved", "recorded", "logged")
        or not re.search(
            r"\b(?:queue|topic|stream|webhook|endpoint|bucket|inbox|us)\b", stripped[passive.end() :], re.I
        )
    ):
        # "Approved payouts get released via POST to the payments service": an instruction in the passive
        # ("requests are published to the queue" says how events arrive)
        for base in _participle_bases(passive.group(1)):
            if ACTION_VERBS.get(base) == "effect" or base == "answer":  # "… are answered from our docs"
                return base, ACTION_VERBS[base]
        if passive.group(1).lower() in ("written", "saved", "recorded", "logged", "added") and re.match(
            r"\s*(?:to|into|in|on)\b", stripped[passive.end(1) :], re.I
        ):
            # "Only accepted entries get written to the race schedule in Google Sheets": a write
            return "store", "effect"
    caused_done = CAUSED_DONE.search(stripped)
    if caused_done is not None:
        for base in _participle_bases(caused_done.group("done")):
            if ACTION_VERBS.get(base) == "effect":
                return base, "effect"
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
    told = re.search(
        r"\b(?:gets?|got|is|are|should be|must be|will be)\s+(?:also\s+|then\s+|immediately\s+)?"
        r"(paged|notified|emailed|texted|alerted|pinged|messaged)\b",
        stripped,
        re.I,
    )
    if told and not _PASSIVE_EVENT.search(stripped[told.end() :]):
        # "the on-call locksmith gets paged": someone is told, so the flow tells them
        base = next((b for b in _participle_bases(told.group(1)) if b in ACTION_VERBS), "notify")
        return base, ACTION_VERBS.get(base, "effect")
    received = _RECEIVES.search(stripped)
    if (
        received
        and re.search(r"\bthe\s+(?:[\w-]+\s+)?" + received.group(1), received.group(0), re.I)
        and re.search(r"\b(?:within|in\s+under|in\s+less\s+than|by)\s+(?:an?\s+|\d)", stripped, re.I)
    ):
        return None  # "Customers should get the message within a minute": when, of a message drafted before
    if received:
        # "rejected listings get an email to the seller": the subject receives a side effect
        noun = received.group(1).lower()
        return RECEIVED_VERBS.get(noun, "send"), ACTION_VERBS.get(RECEIVED_VERBS.get(noun, "send"), "effect")
    if re.search(
        r"\b(?:goes|go|is sent|are sent|get sent|gets sent|is routed|are routed|is posted|are posted)\s+(?:straight\s+)?(?:(?:in)?to|in(?=\s+(?:our|the)\s+[\w-]+\s+(?:board|list|queue|inbox|sheet|channel)))\b",
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
        if m.group(0).lower().startswith(("to ", "and ")) and DETERMINER.search(stripped[: m.start()] + " "):
            continue
        if m.group(0).lower().startswith("to ") and _TELLING.search(stripped[: m.start()]):
            continue  # "a reply telling them to call 911 first": what the message says, not work
        return base, ACTION_VERBS[base]
    return None


# "… get an email", "… receive a refund": what the subject is sent, as the action that sends it
RECEIVED_VERBS = {
    "email": "email", "e-mail": "email", "message": "message", "text": "text", "sms": "text",
    "notification": "notify", "alert": "alert", "page": "page", "refund": "refund", "ticket": "create",
    # "Accessibility bookings get a task in Asana": a record made for them in a system
    "task": "create", "issue": "create", "case": "create", "card": "create",
    "dm": "dm", "call": "call", "credit": "credit", "invite": "invite", "invitation": "invite",
}  # fmt: skip
_RECEIVES = re.compile(
    r"\b(?:gets?|receives?|should (?:get|receive)|will (?:get|receive)|must (?:get|receive))\s+"
    r"(?:an?\s+|the\s+)?(?!no\b|not\b)(?:[\w-]+\s+)?(" + "|".join(RECEIVED_VERBS) + r")\b",
    re.I,
)


def received_noun(text: str) -> str | None:
    """ "Suspicious ones get a ticket in Jira" -> ticket: what a subject is sent, or None."""
    m = _RECEIVES.search(text)
    if m is None:
        # "auto-delivery customers get a delivery order created in Cargas": the order is made
        done = CAUSED_DONE.search(text)
        return done.group("noun").lower() if done else None
    return m.group(1).lower()


# "respond within 800ms", "return that in under 2 seconds": the response and its deadline,
# which the flow's `respond` block and SLA carry, not a step.
# A reply with a recipient is work even when the same clause gives the response's deadline.
REPLY_TO_PERSON = re.compile(
    r"(?:reply|respond|answer|write back)\s+(?:to\s+)?(?:the|each|every|our|their|that)\s+"
    r"(?:[\w-]+\s+)?(?:visitor|customer|user|guest|caller|sender|resident|patient|member|client|"
    r"person|parent|student|applicant|candidate|driver|passenger|traveller|traveler|buyer|seller|lead|"
    r"employee|donor|tenant|owner|requester|reporter)s?\b",
    re.I,
)


RESPONSE = re.compile(
    r"^\W*(?:(?:and|then|we|it|must|should|to|please|need|needs|want|wants|have|has|got)\s+)*(?:(?:respond|reply|return|get back|come back)\w*\b"
    # "Answer Stripe within 2 s": whom it answers may stand between
    # "needs to answer mindbody in like 3 secs max": whom, in any case, and a hedge before the number
    # "answer back fast (like 3 sec, …)": a vague word and its hedged number
    r"(?:[\s,;:-]+[\w']+){0,6}?|answer\w*(?:\s+(?:the\s+|each\s+|every\s+)?[\w-]+)?)[\s,;:-]+"
    r"(?:(?:within|in under|in less than|under|in|below|inside)\s+|(?:fast|quickly|quick)\s*[,(]?\s*)"
    r"(?:(?:about|like|roughly|around|approx\.?|~)\s*)?[\d.]+\s*(?:ms|milliseconds?|s|secs?|seconds?|minutes?)\b",
    re.I,
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
    found = action_of(text)
    return found[0] if found else None


def instructs(text: str) -> bool:
    """True when the clause asks for an action (an action verb used as a verb); "answer within 3
    seconds" names the response's deadline, not an action."""
    return action_of(text) is not None and not RESPONSE.search(text)
