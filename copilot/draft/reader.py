"""Reading a brief without a model: trigger, SLA, budget, tasks and conditions, by vocabulary.

Deterministic and honest: every phrase the reader acted on is recorded with the
sentence it came from, and every clause it found nothing in is reported, so the user
knows which parts of the brief the offline draft did not take into account.

`read` puts it all together in a `Reading` (`copilot.draft.reading`). The trigger is read
by `copilot.draft.triggers`; latency, money, rate and concurrency by
`copilot.draft.numbers`; tasks by `copilot.draft.tasks`, their conditions by
`copilot.draft.conditions`, label and field lists by `copilot.draft.labels`, decision
options, score bands and verb-stated model actions by `copilot.draft.decisions`, the
conditions a task takes from the sentences around it by `copilot.draft.task_conditions`,
the event's noun and fields by `copilot.draft.event_reading`. This module holds what
joins them across sentences (the order of tasks, lookups that ground a writer, the docs
to ground on) and the clauses nothing was read from (`unmapped`). The names of the
readers it draws on are re-exported here (`__all__`).
"""

# ruff: noqa: E501  (the vocabulary below is regular expressions, one family per line, easier to read whole)
from __future__ import annotations

import itertools
import re

from copilot.draft.budget_words import drop_limit_words
from copilot.draft.clauses import event_lead
from copilot.draft.computations import read_computations
from copilot.draft.corrections import corrected_numbers
from copilot.draft.decisions import (
    clauses_of,
    decision_options,
    is_band,
    option_of,
    read_actions,
)
from copilot.draft.documents_named import (
    WRITES_FROM,
    fetched_not_documents,
    ruled_by_documents,
    written_from_documents,
)
from copilot.draft.event_reading import (
    event_noun,
    outside_field_lists,
    read_event_fields,
    read_field_types,
    read_field_values,
    read_noun,
)
from copilot.draft.late_reading import (
    labels_in_parts,
    labels_not_verbs,
    named_kinds,
    non_conditions,
    one_writer_for_all_branches,
    options_are_no_actions,
    options_in_thresholds,
    read_content_lists,
    read_option_lists,
    screen_into_labels,
    semicolon_leads,
    settle_matches,
    stated_before,
)
from copilot.draft.named_systems import name_systems
from copilot.draft.numbers import (
    events_per,
    finish_by,
    period_budget,
    read_concurrency,
    read_cost,
    read_rate,
    read_sla,
)
from copilot.draft.option_lists import quoted_list_comma
from copilot.draft.otherwise import otherwise_across
from copilot.draft.overrides import (
    apply_overrides,
    instead_of,
    never_for_label,
    never_send_to_label,
    never_verb_for_label,
    never_when,
    no_reply_then,
    read_overrides,
)
from copilot.draft.phrases import DOCUMENT_NOUNS, Match
from copilot.draft.pronoun_conditions import pronoun_conditions
from copilot.draft.reading import UNMAPPED_CONDITION, Band, Condition, Reading, Task
from copilot.draft.response_options import read_bands, read_response_options
from copilot.draft.retractions import deferred_actions, retracted
from copilot.draft.scope_phrases import read_every_case, read_no_models, read_nothing_else
from copilot.draft.second_reads import second_reads
from copilot.draft.sentences import split_sentences
from copilot.draft.subjects import systems_named
from copilot.draft.task_conditions import (
    bare_score_leads,
    carry_instead,
    except_for,
    for_labels,
    lead_conditions,
    lead_labels,
    option_subjects,
    scope_conditions,
    skip_conditions,
    subject_shared,
    unmapped_labels,
    without_prohibited,
)
from copilot.draft.tasks import BACKGROUND, quote_for, read_destinations, read_tasks
from copilot.draft.triggers import Trigger, read_trigger
from copilot.draft.written_for import written_for

__all__ = [
    "Band",
    "Condition",
    "Match",
    "Reading",
    "Task",
    "Trigger",
    "clauses",
    "clauses_of",
    "decision_options",
    "event_lead",
    "is_band",
    "option_of",
    "quote_for",
    "read",
    "read_actions",
    "read_bands",
    "read_concurrency",
    "read_cost",
    "read_destinations",
    "read_docs_glob",
    "read_event_fields",
    "read_noun",
    "read_order",
    "read_rate",
    "read_response_options",
    "read_sla",
    "read_tasks",
    "read_trigger",
    "split_sentences",
    "unmapped",
]


# ---------------------------------------------------------------------------- sentences


def clauses(sentence: str) -> list[tuple[int, int]]:
    """(start, end) spans of a sentence's clauses: split at commas, 'and then', 'then', 'also'."""
    spans = []
    start = 0
    for match in re.finditer(
        r",\s*(?:and\s+)?(?:then\s+)?|\s+and then\s+|\s+then\s+|\s+also\s+|\s+plus\s+", sentence
    ):
        if quoted_list_comma(sentence, match.start()):
            continue  # 'say "slow_leak", "blowout_risk" or "sensor_fault"': one list of options
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(sentence)))
    return [(a, b) for a, b in spans if sentence[a:b].strip()]


def _acts(sentence: str, start: int) -> bool:
    """A notify/store word inside a clause that instructs something ("alerts a minute" does not)."""
    from copilot.draft.clauses import reported
    from copilot.draft.tasks import clause_span
    from copilot.draft.verbs import ACTION_VERBS, REPLY_TO_PERSON, base_verb, instructs, verb_of

    quote = quote_for(sentence, start)
    if REPLY_TO_PERSON.match(sentence, start) and not reported(sentence[:start]):
        return True  # "Reply to the visitor within 10 seconds": a reply, and its deadline
    if re.match(r"(?:get|receive)\s+an?\b", sentence[start:], re.I) and re.search(
        r"\b(?:should|must|will)\s+(?:also\s+)?$|^\W*(?:[\w-]+\s+){0,5}?(?:\d[\d.]*|ones)\s+$",
        sentence[:start],
        re.I,
    ):
        return True  # "injury ones should get a freeze option email", "… scoring below 4 get a polite …"
    if re.match(
        r"go(?:es)?\s+(?:out\s+)?(?:as|by|via)\s+(?:an?\s+)?(?:e-?mail|text|sms)\b", sentence[start:], re.I
    ) or re.search(r"(?:->|→)\s*$", sentence[:start]):  # "first_time -> just a friendly sms"
        return True  # "billing questions go as an email to billing@…": the message is the instruction
    first = re.match(r"[A-Za-z][A-Za-z'-]*", sentence[start:])
    if (
        first is not None
        and ACTION_VERBS.get(first.group(0).lower()) == "effect"
        and re.match(r"\W*(?:otherwise\s+|else\s+)?(?:if|when|whenever|unless)\b", quote, re.I)
    ):
        return True  # "otherwise if its an unplowed street put it in the plow routing queue"
    if not instructs(quote) or reported(sentence[:start]):
        return False  # "reply that a crew has been notified": what the reply says, not an action
    word = re.match(r"[A-Za-z][A-Za-z'-]*", sentence[start:])
    verb = verb_of(quote)
    if word is None or verb is None or verb == base_verb(word.group(0)):
        return True
    # another verb earlier in the clause makes this word part of its object: in "fetch new app
    # store reviews" the action is "fetch", and "store" names the app store
    a, _ = clause_span(sentence, start)
    before = re.findall(r"[A-Za-z][A-Za-z'-]*", sentence[a:start])[-4:]  # an object is a few words long
    return not any(base_verb(w) == verb for w in before)


_BY_SERVICE = re.compile(
    r"\b(?:with|using|via|through|by calling)\s+(?:our|the|their)\s+((?:[\w-]+\s+){0,4}?)(?:api|service|endpoint|scorer|model server)\b",
    re.I,
)


_THEN = re.compile(r"\b(?:then|after that|afterwards|next|followed by|before)\b", re.I)
_THEN_OPENS = re.compile(r"^\W*(?:then|after that|afterwards|next|finally|once that'?s? done)\b", re.I)


# "look up the lift in the Lift Ops handbook (RAG)", "search our knowledge base": documents, not an API
_DOCUMENT_SOURCE = re.compile(
    r"\(\s*RAG\s*\)|\bRAG\b|\bvector (?:store|search|index|db)\b|\b(?:in|from|of|against|through|across|using|search(?:es|ing)?)\s+"
    # "in our "Controller Fault Manual"": a document's name, whatever its capitals
    # the name's own words, never across a preposition ("in IRBManager by protocol number")
    r"(?:the\s+|our\s+|its\s+)?(?:(?!(?:by|for|with|to|from|on|at)\b)[\w'\"“”&-]+\s+){0,3}?"
    r"(?P<docs>(?i:policy documents|guide excerpts|sop documents|" + DOCUMENT_NOUNS + r"))\b",
)
_GROUNDED_WRITERS = ("reply", "answer", "decide")


def _document_lookups(sentences: list[str], tasks: list[Task]) -> list[Task]:
    """A lookup in documents ("the Lift Ops handbook (RAG)") is the retrieval that grounds the
    model step writing from it next, not an HTTP GET: the writer answers from the documents,
    and its step quotes the lookup's clause too."""
    out = list(tasks)
    for task in tasks:
        if task.kind != "enrich" or task.start < 0:
            continue
        found = _DOCUMENT_SOURCE.search(quote_for(sentences[task.sentence], task.start))
        if found is None:
            continue
        writers = [
            t
            for t in tasks
            if t.kind in _GROUNDED_WRITERS
            and (task.sentence, task.start) < (t.sentence, t.start)
            and t.sentence - task.sentence <= 2
        ]
        if not writers:
            continue
        writer = min(writers, key=lambda t: (t.sentence, t.start))
        if writer.kind == "reply":
            writer.kind = "answer"
        writer.docs = writer.docs or (found.group("docs") or "documents").lower()
        writer.also.append(task)
        out.remove(task)
    return out


def _elaborated(sentences: list[str], tasks: list[Task]) -> list[Task]:
    """ "we have to close that pool: set the pool status to "closed" in our facility system": the
    action after the colon is how the one before it is done, so one step, quoting both."""
    out = list(tasks)
    acting = sorted(
        (t for t in tasks if t.kind == "act" and t.start >= 0), key=lambda t: (t.sentence, t.start)
    )
    for first, then in itertools.pairwise(acting):
        if first.sentence != then.sentence or first not in out:
            continue
        between = sentences[first.sentence][first.start : then.start]
        if ":" in between and not re.search(r"[.;]", between):
            out.remove(first)
            then.also.append(first)
    return out


_EFFECTS = ("notify", "store", "act")  # actions on the world, ordered step by step


def read_order(sentences: list[str], tasks: list[Task]) -> None:
    """The order the brief states: "enrich, then score", "translate first, then classify",
    "Then post it to Slack." Each task records the kinds the brief puts before it."""
    from copilot.draft.verbs import base_verb

    for lookup in [t for t in tasks if t.kind == "enrich" and t.start >= 0]:
        # "first check the waitlist api for the next student in line.": a read the brief puts before
        # everything it says after it
        lead = sentences[lookup.sentence][: lookup.start]
        if re.fullmatch(r"\W*(?:first(?:\s+of\s+all)?|before\s+anything\s+else)[\s,]*", lead, re.I):
            for task in tasks:
                if task.sentence > lookup.sentence and task.kind in _EFFECTS and "enrich" not in task.after:
                    task.after.append("enrich")
    for index, sentence in enumerate(sentences):
        # "First look up the physician's pager …, then page.": a bare verb naming a task said elsewhere
        bare = re.search(r",?\s+then\s+([a-z]+)\s*[.!]?\s*$", sentence, re.I)
        before = [
            t for t in tasks if t.sentence == index and t.start >= 0 and bare and t.start < bare.start()
        ]
        if bare is None or not before or any(t.sentence == index and t.start >= bare.start() for t in tasks):
            continue
        verb = base_verb(bare.group(1))
        for task in tasks:
            said = (task.quote or task.text).split()
            if task.sentence != index and said and base_verb(said[0].lower()) == verb:
                task.after = list(
                    dict.fromkeys([*task.after, *(t.kind for t in before if t.kind != task.kind)])
                )
    # every mention counts: "score each one in 300 ms. First look up the ledger, then have a
    # model score the risk" orders the second mention of the score after the lookup
    mentions = [(t, t) for t in tasks if t.start >= 0] + [
        (m, t) for t in tasks for m in t.also if m.start >= 0
    ]
    # a task said at a place wins over another's merged mention of the same place ("text the
    # first keyholder first" is that sentence's own text, not the earlier one's)
    placed_pairs = sorted(mentions, key=lambda p: (p[0].sentence, p[0].start, p[0] is not p[1]))
    seen: set[tuple[int, int]] = set()
    placed_pairs = [
        p
        for p in placed_pairs
        if not ((p[0].sentence, p[0].start) in seen or seen.add((p[0].sentence, p[0].start)))
    ]
    placed = [m for m, _ in placed_pairs]
    owner = {id(m): t for m, t in placed_pairs}
    for earlier, later in itertools.pairwise(placed):
        if earlier.kind == later.kind and earlier.kind not in _EFFECTS:
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
        first = owner[id(earlier)]
        if ordered and earlier.kind in _EFFECTS and target.kind in _EFFECTS and first is not target:
            # "first mark the printer as maintenance … Then requeue the job": that step, then this
            target.follows = target.follows or first
        elif ordered and earlier.kind not in target.after and earlier.kind != target.kind:
            target.after.append(earlier.kind)


# "Draft an SMS offer … via Twilio", "reply to the resident by email (we use Mailgun)": how the
# written text reaches someone, which the response alone does not do
_DELIVERY = re.compile(
    r"\b(?:via|through|by|over|using|with)\s+(?:an?\s+)?(?P<channel>sms|text(?:\s+message)?|e-?mail|slack|teams)\b"
    r"|\b(?P<what>sms|text message|e-?mail)\b[^.;]{0,60}?\b(?:via|through|using)\s+(?P<system>[A-Z][\w.-]+)"
    r"|\(\s*we\s+use\s+(?P<used>[A-Z][\w.-]+)\s*\)",
    re.I,
)
_CHANNEL_OF = {"sms": "sms", "text": "sms", "text message": "sms", "email": "email", "e-mail": "email",
               "slack": "slack", "teams": "teams"}  # fmt: skip


def _without_approved(sentences: list[str], tasks: list[Task]) -> list[Task]:
    """ "must be approved by the club vet before the notice goes out": an action that waits for a
    person's approval is left out (coverage says so, as a gap), never sent without it; a message
    that asks for the approval ("send it to the foreman for approval") stays."""
    from copilot.draft.prohibitions import approval_gated

    gated = {index: approval_gated(sentence) for index, sentence in enumerate(sentences)}
    return [
        t
        for t in tasks
        if not (
            t.kind in ("notify", "store", "act")
            and t.start >= 0
            and any(a <= t.start < b for a, b in gated.get(t.sentence, []))
        )
    ]


def _delivered(sentences: list[str], tasks: list[Task]) -> list[Task]:
    """A written text the brief says goes out by a channel gets the step that sends it (after
    the writer, with its text), unless the sentence already has one."""
    out = list(tasks)
    for task in tasks:
        if task.kind not in ("reply", "answer") or task.start < 0:
            continue
        clause = task.quote or quote_for(sentences[task.sentence], task.start)
        m = _DELIVERY.search(sentences[task.sentence], task.start)
        if m is None or any(
            t.kind in ("notify", "store", "act") and t.sentence == task.sentence for t in tasks
        ):
            continue
        word = (m.group("channel") or m.group("what") or "").lower()
        channel = _CHANNEL_OF.get(word) or ("email" if re.search(r"e-?mail", clause, re.I) else "sms")
        existing = next((t for t in tasks if t.kind == "notify" and t.channel == channel), None)
        if existing is not None:
            # "email the applicant a confirmation via Mailgun … The model should write the
            # confirmation email": that send carries the written text; no second email
            existing.source = existing.source or task.kind
            existing.after = list(dict.fromkeys([*existing.after, task.kind]))
            continue
        sender = Task("notify", clause, task.sentence, task.start, channel=channel)
        sender.channel_named = True
        sender.quote = clause
        sender.source = task.kind
        sender.after.append(task.kind)
        sender.condition = task.condition
        sender.unmapped_condition = task.unmapped_condition
        sender.target = (m.group("system") or m.group("used") or "").lower() or None
        out.append(sender)
    return out


# ---------------------------------------------------------------------------- event, documents, care

_PRIVACY = re.compile(
    r"\b(redact\w*|pii|personal (?:data|information)|gdpr|privacy|(?:must not|mustn'?t|shouldn'?t|should not|never)"
    r" (?:end up|appear|show up|be stored|be logged)(?: \w+){0,2} (?:in )?(?:the )?(?:logs?|traces?)(?: or (?:logs?|traces?))?)\b",
    re.I,
)
# what a grounding phrase may point at that is no document: the event itself
_FROM_THE_EVENT = re.compile(
    r"\s*(?:the\s+|its\s+|their\s+)?(?:event|message|payload|reading|record|submission|request)(?:['’]s)?"
    r"(?:\s+(?:fields?|data|details|contents?|values?))?\b|\s*(?:the\s+)?(?:fields?|data)\s+(?:it|we)\s+(?:gets?|receive)",
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
_DOCS_GLOB = re.compile(
    r"`([^`\s]*[/*][^`\s]*\.(?:md|markdown|txt|html?|rst|pdf|json))`|\b((?:[\w.-]+/)+[\w.-]*\*[\w.*-]*)|"
    r"\b((?:[\w.-]+/)+[\w.-]+\.(?:md|markdown|txt|html?|rst))\b|(?:\bin|\bunder|\bat|\bfrom)\s+`?((?:[\w.-]+/)+)(?=[`\s).,;]|$)"
)


# "Every other game needs no action", "Anything in between stays untouched": the events no
# condition selects get nothing, which is what a flow whose steps carry their conditions does
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
    # a scheduled run may take minutes ("finish within 5 minutes"); an event's answer may not
    # a queue's consumer and a schedule's run can take minutes; a webhook's caller cannot wait
    sla = read_sla(sentences, matches, limit=900.0 if trigger.kind in ("schedule", "queue") else None)
    if sla.seconds is None and trigger.kind == "schedule":
        sla = finish_by(sentences, matches, trigger.cron, 900.0) or sla  # "must finish by 19:00"
    cost = read_cost(sentences, matches)
    from copilot.draft.clauses import headings

    tasks = read_tasks(sentences, matches, headings(brief, sentences))
    tasks, forbidden = without_prohibited(sentences, tasks)
    tasks = outside_field_lists(sentences, tasks, matches)  # "with the … answers to the intake questions"
    tasks = [
        t
        for t in tasks
        if t.kind not in ("notify", "store", "answer", "reply") or _acts(sentences[t.sentence], t.start)
    ]
    tasks = read_destinations(sentences, tasks, matches)
    tasks = second_reads(
        sentences, tasks, matches
    )  # "look up the order in Shopify and the serial in Postgres"

    # "look up the serial in our Shopify orders": the system a lookup reads is no destination
    def clause_of(t: Task) -> tuple[int, str]:
        return t.sentence, t.quote or (quote_for(sentences[t.sentence], t.start) if t.start >= 0 else "")

    reads = {clause_of(t) for t in tasks if t.kind == "enrich"}
    tasks = [t for t in tasks if not (t.kind == "store" and clause_of(t) in reads)]
    options = read_response_options(sentences)
    bands, fallback = read_bands(sentences, options)
    tasks = labels_not_verbs(sentences, tasks)  # "Moderate cases create a follow-up task"
    tasks = options_are_no_actions(sentences, tasks)  # "pick a tone: gentle, firm or escalate"
    tasks = outside_field_lists(sentences, read_actions(sentences, brief, tasks, matches, options), matches)
    semicolon_leads(brief, sentences, tasks)  # "If X, don't retire anything; email compliance"
    # "it has reservation_id, room_number, guest_name, message and language": a field, no action
    tasks = [
        t
        for t in tasks
        if not (
            t.kind in ("act", "notify", "store")
            and t.start > 0
            and re.search(
                r"\b[a-z]+_[a-z0-9_]+\s*,\s*[a-z]+_[a-z0-9_]+\s*,\s*$", sentences[t.sentence][: t.start]
            )
        )
    ]
    tasks = _without_approved(sentences, tasks) + read_computations(sentences, matches)
    if options:
        # "Decision labels: approve, hold, reject": the answer's options, not a classifier
        tasks = [
            t
            for t in tasks
            if not (
                t.kind == "classify"
                and re.match(
                    r"\W*(?:decision|verdict|outcome)s?\s+(?:labels?|options?)",
                    t.quote or sentences[t.sentence],
                    re.I,
                )
            )
        ]
    carry_instead(sentences, tasks, forbidden)
    # "approve -> email the applicant": the response's options, or else the options a decision lists
    option_subjects(sentences, tasks, options or [o for t in tasks if t.kind == "decide" for o in t.labels])
    # "A model checks the justification against the policy and labels the request a, b or c":
    # one model step, the labelling; the check is how it labels
    tasks = screen_into_labels(sentences, tasks)  # "screens it for … and labels it a, b or c"
    tasks = named_kinds(sentences, tasks)  # '… - call those "checkin", "address_change", "flight_risk"'
    labelled = {t.sentence: t for t in tasks if t.kind == "classify" and t.labels}
    for task in [t for t in tasks if t.kind == "decide" and t.sentence in labelled]:
        picks = re.match(r"\W*(?:pick|choose|select|assign)\w*\b", task.quote or task.text, re.I)
        if (not task.labels or task.labels == ["pass", "fail"]) and not picks:
            labelled[task.sentence].docs = labelled[task.sentence].docs or task.docs
            tasks.remove(task)
    if options:
        # "send to review from 0.4", "answer `review`", "review or decline within 300 ms": values
        # of the answer, not work or actions
        tasks = [
            t
            for t in tasks
            if t.kind in ("classify", "score", "moderate", "extract", "summarise", "translate", "enrich")
            or not is_band(t.quote or quote_for(sentences[t.sentence], t.start), options)
            # "reject hazmat unless …": the answer's value, unless a system the brief names acts on it
            or (
                t.kind in ("notify", "store", "act")
                and t.target
                and bool(systems_named(t.quote or quote_for(sentences[t.sentence], t.start)))
            )
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
    pronoun_conditions(
        sentences, tasks, [label for t in tasks if t.kind == "classify" for label in t.labels], matches
    )
    otherwise_across(sentences, tasks)
    bare_score_leads(sentences, tasks)  # "under 3 just send a polite decline email"
    skip_conditions(sentences, tasks)
    tasks = written_for(_delivered(sentences, tasks))  # "… explanation for the Slack alert": that alert's
    tasks = _elaborated(sentences, tasks)
    lead_labels(sentences, tasks, matches)
    # "… wait actually no, scratch that, just tag it", "hold the text until the fare ends"
    tasks = deferred_actions(sentences, retracted(sentences, tasks, matches), matches)
    for_labels(sentences, tasks)
    semicolon_leads(brief, sentences, tasks)  # again: "For callouts, …; then send the aide an SMS"
    # "For at_need enquiries, text … Otherwise email the family": the label the lead just read
    otherwise_across(sentences, tasks)
    unmapped_labels(sentences, tasks, matches)
    corrected_numbers(sentences, tasks)  # "up to 8 people -- actually no make that 10"
    subject_shared(sentences, tasks)
    except_for(sentences, tasks, matches)
    never_for_label(sentences, tasks, matches)
    never_verb_for_label(sentences, tasks, matches)  # "don't page anyone for housekeeping findings"
    never_send_to_label(sentences, tasks, matches)  # "dont send deposit links to corporate bookings"
    lead_conditions(sentences, tasks, event_noun(sentences, trigger))
    scope_conditions(sentences, tasks, matches)
    apply_overrides(tasks, read_overrides(sentences, matches))
    never_when(sentences, tasks, matches)
    instead_of(sentences, tasks)
    no_reply_then(sentences, tasks, matches)
    labels_in_parts(tasks)
    for task in tasks:
        # "Look up the sailing … to see if it was cancelled": what the lookup finds out, no condition
        said = task.condition.text.strip() if task.condition is not None else ""
        at = sentences[task.sentence].find(said) if said else -1
        if at > 0 and re.search(
            r"\bto\s+(?:see|check|find\s+out|learn|confirm|verify|know|tell)\s*$",
            sentences[task.sentence][:at],
            re.I,
        ):
            task.condition = None
            matches.append(Match("purpose", said, task.sentence, at, at + len(said)))
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
    tasks = _document_lookups(sentences, tasks)
    for task in tasks:
        if task.kind != "reply" or task.docs:
            continue
        # "write the closure notice, based on the health code excerpt we keep": the writer's own
        # clause, or what follows it in its sentence up to the next task
        after = [t.start for t in tasks if t.sentence == task.sentence and t.start > task.start]
        rest = sentences[task.sentence][task.start : min(after, default=None)] if task.start >= 0 else ""
        named = WRITES_FROM.search(task.quote or "")
        if named is not None:
            # "have the model write a damage summary using our "Rental Damage Policy"": grounded
            task.kind, task.docs = "answer", named.group("docs").lower()
        elif (named := WRITES_FROM.search(rest)) is not None:
            task.docs = named.group("docs").lower()  # the reply reads the passages too
            at = task.start + named.start()
            matches.append(Match("docs", named.group(0), task.sentence, at, at + len(named.group(0))))
    read_order(sentences, tasks)
    tasks = written_from_documents(sentences, tasks)  # after the order: the writer need not wait
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
    ruled_by_documents(sentences, tasks, matches)  # once each task quotes its clause
    fetched_not_documents(tasks)  # "… using the checklist" the lookup fetched

    def bare(text: str) -> str:
        return re.sub(r"^(?:if|when|whenever)\s+", "", text.strip(" ,;").lower())

    read_late = [bare(t.condition.text) for t in tasks if t.condition is not None]
    for m in matches:
        said = bare(m.text)
        if m.kind == "unread_condition" and any(
            # read as a whole, never as one conjunct of a longer condition ("… and the amount …");
            # or the clause is that condition and its action ("if its maintenance open a task …")
            said
            and (
                (r.startswith(said) and not re.match(r"\s*,?\s*(?:and|or|but)\b", r[len(said) :]))
                or (said.startswith(r + " ") and not re.match(r"\s*(?:and|or|but)\b", said[len(r) :]))
            )
            for r in read_late
            if r
        ):
            m.kind = "condition"  # "if its maintenance": left unread at first, read later (a label)
    for index, sentence in enumerate(sentences):
        for pattern, kind in ((BACKGROUND, "background"), (_PRIVACY, "privacy"), (_GROUNDING, "grounding")):
            for m in pattern.finditer(sentence):
                if kind == "grounding" and _FROM_THE_EVENT.match(sentence, m.end()):
                    # "based only on the event fields": no documents, just what arrived
                    matches.append(Match("constraint", m.group(0), index, m.start(), m.end()))
                    continue
                matches.append(Match(kind, m.group(0), index, m.start(), m.end()))
    event_fields = read_event_fields(sentences, matches, trigger)
    event_types = read_field_types(sentences, event_fields)
    event_values = read_field_values(sentences, event_fields)
    rate = read_rate(sentences, matches)
    concurrency = read_concurrency(sentences, matches)
    docs_glob = read_docs_glob(sentences, matches)
    read_no_models(sentences, matches)
    read_nothing_else(sentences, matches)
    read_every_case(sentences, matches)
    from copilot.draft.prohibitions import HOURS_OF_DAY, constraints

    for constraint in constraints(brief):
        # "Never cancel a booking automatically": read, as what no step may do (DR007 checks it)
        at = (
            sentences[constraint.sentence].find(constraint.text)
            if constraint.sentence < len(sentences)
            else -1
        )
        # … unless it limits the action to hours of the day, which no step's `if:` can read
        hours = HOURS_OF_DAY.search(constraint.text)
        quoted = constraint.verb is None and re.search(r"[\"“”]", constraint.text)  # someone's words
        if at >= 0 and hours is None and not quoted:  # a filter too ("Readings … need nothing")
            matches.append(
                Match("constraint", constraint.text, constraint.sentence, at, at + len(constraint.text))
            )
    one_writer_for_all_branches(sentences, tasks)
    stated_before(sentences, tasks, matches)  # "the suspension must happen before the case is opened"
    non_conditions(sentences, tasks)  # "For non-concussion injuries just log the report"
    options_in_thresholds(tasks)  # "For plausible readings under 20%": that option, and the threshold
    budget_period = None
    if cost.budget is None and (spread := period_budget(sentences)) is not None:
        # "$200 a month" at the brief's rate, "about a dollar a day" for a daily run: per event
        amount, seconds, words = spread
        volume: list[Match] = []
        events = events_per(
            seconds, rate or read_rate(sentences, volume, averages=True), trigger.every, trigger.cron
        )
        # the budget and the volume it is spread over are read (never "not understood")
        matches.extend(volume)
        at = next(((i, s.find(words)) for i, s in enumerate(sentences) if words in s), None)
        if at is not None:
            matches.append(Match("budget", words, at[0], at[1], at[1] + len(words)))
        if events:
            cost.budget = float(f"{amount / events:.4g}")  # $0.01667, not $0.016666666666666666
            cost.budget_text = f"{words} (~{events:,.0f} events in that time)"
        else:
            budget_period = words
    reading = Reading(
        sentences=sentences,
        trigger=trigger,
        sla=sla.seconds,
        sla_text=sla.text,
        sla_vague=sla.vague,
        sla_too_long=sla.too_long,
        realtime=sla.realtime,
        budget=cost.budget,
        budget_text=cost.budget_text,
        budget_period=budget_period,
        cost_tier=cost.tier,
        cost_text=cost.tier_text,
        tasks=tasks,
        matches=matches,
        noun=event_noun(sentences, trigger),
        event_fields=event_fields,
        event_types=event_types,
        event_values=event_values,
        docs_glob=docs_glob,
        rate=rate,
        concurrency=concurrency,
        response_options=options,
        bands=bands,
        fallback_option=fallback,
    )
    read_content_lists(sentences, tasks, matches)
    read_option_lists(sentences, options, matches)
    settle_matches(sentences, tasks, matches)
    reading.tasks = drop_limit_words(
        sentences, reading.tasks, matches
    )  # "hold the cost at or below 0.6 cents"
    name_systems(brief, sentences, tasks)  # "pull the unit rent from appfolio": the brief's AppFolio
    reading.unmapped = list(dict.fromkeys([*unmapped(sentences, matches), *_vague(tasks, matches)]))
    if lead is not None:  # the arriving event's own words were read, as the event
        head = sentences[lead[0]][lead[1] : lead[2]]
        reading.unmapped = [u for u in reading.unmapped if u.split(" (")[0] not in head]
    return reading


def _vague(tasks: list[Task], matches: list[Match]) -> list[str]:
    """Conditions no rule could read, and notifications with no channel: drafted, but guessed."""
    timed = [(m.sentence, m.start, m.end) for m in matches if m.kind == "sla"]
    out = [
        f"{m.text}{UNMAPPED_CONDITION}"
        for m in matches
        if m.kind == "unread_condition"
        # "it's fine if it takes like 10 seconds": the SLA, read as one
        and not any(i == m.sentence and a < m.end and b > m.start for i, a, b in timed)
    ]
    for task in tasks:
        if task.kind == "notify" and not task.channel_named and not task.target:
            out.append(
                f"{task.text.strip()} (no channel named: drafted a generic webhook, ${{env:ESCALATION_WEBHOOK_URL}})"
            )
    return out


def unmapped(sentences: list[str], matches: list[Match]) -> list[str]:
    """Clauses with no recognised phrase and at least three words: what the user should check."""
    from copilot.draft.scene import people_do

    out: list[str] = []
    for index, sentence in enumerate(sentences):
        # "an immediate reply …": a vague word for speed reads no instruction around it
        # … unless the sentence gives the number too ("should feel instant, like under 2 sec")
        timed = any(m.sentence == index and m.kind == "sla" for m in matches)
        spans = [(m.start, m.end) for m in matches if m.sentence == index and (m.kind != "realtime" or timed)]
        for a, b in clauses(sentence):
            if any(s < b and e > a for s, e in spans):
                continue
            clause = sentence[a:b].strip(" ,.;:!?")
            words = re.findall(r"[A-Za-z']+", clause)
            if people_do(clause) and re.search(
                r"\b(?:through|via|using|with|in|on|from)\s+(?:our\s+|the\s+|their\s+)?[A-Z]", clause
            ):
                continue  # "Music supervisors request sync licences through our Airtable form": the scene
            if len(words) >= 3 and not _FILLER.match(clause) and clause not in out:
                out.append(clause)  # once: a pasted brief repeats itself
    return out
