"""Reading a brief without a model: trigger, SLA, budget, tasks and conditions, by vocabulary.

Deterministic and honest: every phrase the reader acted on is recorded with the
sentence it came from, and every clause it found nothing in is reported, so the user
knows which parts of the brief the offline draft did not take into account.

`read` puts it all together in a `Reading` (`copilot.draft.reading`). The trigger is read
by `copilot.draft.triggers`; latency, money, rate and concurrency by
`copilot.draft.numbers`; tasks by `copilot.draft.tasks`, their conditions by
`copilot.draft.conditions`, label and field lists by `copilot.draft.labels`, decision
options, score bands and verb-stated model actions by `copilot.draft.decisions`. This
module holds what joins them across sentences (the order of tasks, labels and
conditions carried from one sentence to the next, "otherwise" branches, the event's
noun and fields, the docs to ground on) and the clauses nothing was read from
(`unmapped`). The names of the readers it draws on are re-exported here (`__all__`).
"""

# ruff: noqa: E501  (the vocabulary below is regular expressions, one family per line, easier to read whole)
from __future__ import annotations

import itertools
import re

from copilot.draft.clauses import ACTION_VERBS, base_verb, event_lead
from copilot.draft.conditions import ACTING, negate, read_conditions
from copilot.draft.decisions import (
    clauses_of,
    decision_options,
    is_band,
    option_of,
    read_actions,
    read_bands,
    read_response_options,
    stem,
)
from copilot.draft.labels import snake
from copilot.draft.numbers import read_concurrency, read_cost, read_rate, read_sla
from copilot.draft.phrases import Match
from copilot.draft.reading import UNMAPPED_CONDITION, Band, Condition, Reading, Task
from copilot.draft.sentences import split_sentences
from copilot.draft.subjects import systems_named
from copilot.draft.tasks import BACKGROUND, clause_span, quote_for, read_destinations, read_tasks
from copilot.draft.triggers import Trigger, read_trigger

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
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(sentence)))
    return [(a, b) for a, b in spans if sentence[a:b].strip()]


# A reply with a recipient is work even when the same clause gives the response's deadline.
_REPLY_TO = re.compile(
    r"(?:reply|respond|answer|write back)\s+(?:to\s+)?(?:the|each|every|our|their|that)\s+"
    r"(?:[\w-]+\s+)?(?:visitor|customer|user|guest|caller|sender|resident|patient|member|client|"
    r"person|parent|student|applicant|candidate|driver|passenger|traveller|traveler|buyer|seller|lead|"
    r"employee|donor|tenant|owner|requester|reporter)s?\b",
    re.I,
)


def _acts(sentence: str, start: int) -> bool:
    """A notify/store word inside a clause that instructs something ("alerts a minute" does not)."""
    from copilot.draft.clauses import base_verb, instructs, reported, verb_of
    from copilot.draft.tasks import clause_span

    quote = quote_for(sentence, start)
    if _REPLY_TO.match(sentence, start) and not reported(sentence[:start]):
        return True  # "Reply to the visitor within 10 seconds": a reply, and its deadline
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
    r"(?:the\s+|our\s+|its\s+)?(?:[\w'\"“”-]+\s+){0,3}?(?P<docs>handbook|docs|documentation|knowledge[- ]?base|kb|"
    r"wiki|manuals?|runbooks?|playbooks?|faqs?|policy documents|guidance|help[- ]?cent(?:er|re)|articles|pdfs?|"
    r"guide excerpts|sop documents|sops)\b",
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


# "Absences should be recorded in SIMS", "Complaints go to the head's inbox", "Bullying reports
# must never get an automatic reply — notify the lead": the subject names the events it is about
_LABEL_SUBJECT = re.compile(
    # "Complaints go to…", "Critical drugs that fall below 10 units must trigger…" (its relative clause skipped)
    r"[\W]*((?:[A-Za-z][\w'-]*\s+){0,3}?[A-Za-z][\w'-]*)(?:\s+(?:that|which|who|with)\b[^,;]{0,60}?)?"
    r"\s+(?=(?:get|gets|are|is|go|goes|should|must|will|can|need|needs)\b)"
)


# "… is a problem station", "… count as stale listings": the term a sentence defines, at its end
_DEFINED = re.compile(
    r"\b(?:is|are|counts?\s+as|means?|we\s+call)\s+(?:an?\s+|the\s+)?((?:[\w-]+\s+){0,2}[\w-]+)\W*$", re.I
)


def _option_subjects(sentences: list[str], tasks: list[Task], options: list[str]) -> None:
    """ "Adjuster visits also go to the field-scheduling queue": a clause whose subject names one
    of the answer's options happens for that answer only."""
    if not options:
        return
    for task in tasks:
        if task.condition is not None or task.unmapped_condition or task.kind not in ACTING or task.start < 0:
            continue
        sentence = sentences[task.sentence]
        a, _ = clause_span(sentence, task.start)
        verb_at = task.start
        if task.action:  # an action's text is its whole clause; its verb starts the predicate
            found = re.search(rf"\b{re.escape(task.action.split()[0])}", sentence[task.start :], re.I)
            verb_at = task.start + found.start() if found else task.start
        subject = sentence[a:verb_at]
        if not subject.strip():
            named = _LABEL_SUBJECT.match(sentence, a)  # "Adjuster visits also go to …"
            subject = named.group(1) if named else ""
        words = [w for w in re.findall(r"[A-Za-z][\w-]*", subject) if w.lower() not in _SUBJECT_FILLER]
        named = [o for o in options if 1 <= len(words) <= 4 and option_of(" ".join(words), [o])]
        if len(named) == 1:
            task.condition = Condition("decision", subject.strip(" ,;"), "==", named[0], "decision")
        elif named:  # "pass and fail just update the account status": either answer
            task.condition = Condition("decision", subject.strip(" ,;"), "in", named, "decision")


_SUBJECT_FILLER = frozenset({"also", "then", "only", "all", "any", "the", "and", "just", "always", "those"})


# "Critical (CVSS 9 or above) on tier-1 services: page security": a heading that is no condition
_HEADER_WORDS = frozenset({
    "trigger", "triggers", "event", "events", "fields", "field", "input", "inputs", "output", "outputs",
    "budget", "budgets", "sla", "slas", "note", "notes", "step", "steps", "rule", "rules", "outcome",
    "outcomes", "label", "labels", "decision", "decisions", "example", "examples", "context", "goal",
    "goals", "flow", "webhook", "schedule", "data", "payload", "message", "messages", "source",
    "sources", "requirement", "requirements", "constraint", "constraints", "tone", "format", "response",
    "reply", "answer", "cost", "costs", "latency", "limit", "limits", "setup", "background", "also",
    "then", "important", "update", "ps", "todo",
})  # fmt: skip
# "Sinkholes always go to the on-call engineer", "anything about pain goes to #urgent": the subject
# limits where it goes; words for what the flow itself produces are no subset of the events
_SUBJECT_GOES = re.compile(
    r"\W*(?:(?:so|and|but|then)\s+)?((?:[A-Za-z][\w'-]*\s+){0,4}?[A-Za-z][\w'-]*)\s+"
    r"(?:always\s+|also\s+|only\s+|then\s+|just\s+|simply\s+|instead\s+)?"
    r"(?:go|goes|get\s+sent|gets\s+sent|are\s+sent|is\s+sent|are\s+routed|is\s+routed|get\s+routed|gets\s+routed)\b"
)
_PRODUCED = frozenset({
    "summary", "summaries", "reply", "replies", "answer", "answers", "result", "results", "digest",
    "digests", "report", "reports", "note", "notes", "alert", "alerts", "notification", "notifications",
    "decision", "decisions", "score", "scores", "label", "labels", "it", "they", "this", "that",
    "everything", "all", "output", "outputs", "draft", "drafts", "message", "messages", "email",
    "emails", "copy", "copies", "it's", "proposal", "proposals", "suggestion", "suggestions",
    "recommendation", "recommendations", "checklist", "commentary", "explanation", "profile",
})  # fmt: skip


def _subject_limits(sentence: str, task: Task, noun: str) -> str | None:
    """The subject of the task's clause when it names a subset of the events, not all of them."""
    a, _ = clause_span(sentence, task.start)
    m = _SUBJECT_GOES.match(sentence, a)
    if m is None or m.end() > task.start + len(task.text) + 40 or m.start(1) > task.start:
        return None
    words = [w.lower() for w in re.findall(r"[A-Za-z][\w'-]*", m.group(1))]
    if words[-1:] == ["else"] or words in (["the", "rest"], ["all", "others"], ["all", "other"]):
        return None  # "anything else goes to the adjuster queue": the other branch, read as such
    if not words or words[0] in (
        "we",
        "i",
        "you",
        "it",
        "they",
        "he",
        "she",
        "this",
        "that",
        "each",
        "every",
    ):
        return None
    if words[0] in ("anything", "everything", "whatever") and len(words) == 1:
        return None
    head = words[-1]
    noun_pattern = next((p for n, p in _NOUNS if n == noun), None)
    if (
        head in _PRODUCED
        or (noun_pattern and re.fullmatch(noun_pattern, head, re.I))
        or head.rstrip("s") == noun
    ):
        return None  # "Summaries go to Slack", "Tickets go to Zendesk": every event, or what the flow makes
    return m.group(1).strip()


def _lead_conditions(sentences: list[str], tasks: list[Task], noun: str = "event") -> None:
    """'For in-range results, post the explanation to MyChart': a lead that names which events
    (not "for each ticket") limits the sentence's actions, read or not; unread, the classifier
    decides it and the draft says so (DR010). So does a heading before a colon ("Critical on
    tier-1 services: page security") and a subject naming a subset ("Sinkholes always go to …")."""
    for task in tasks:
        if task.condition is not None or task.unmapped_condition or task.kind not in ACTING or task.start < 0:
            continue
        sentence = sentences[task.sentence]
        subject = _subject_limits(sentence, task, noun)
        if subject is not None:
            task.unmapped_condition = subject
            continue
        # "Emergency (gas smell, flooding, no heat): page …": an aside in parentheses is one lead
        blanked = re.sub(r"\([^()]*\)", lambda m: "_" * len(m.group(0)), sentence)
        colon = re.match(r"\W*([^:,;{}]{2,70}?):\s+", blanked)
        if (
            colon is not None
            and not re.match(r"\W*(?:never|don'?t|do not|no|always|please|note|ps)\b", colon.group(1), re.I)
            and colon.end() <= task.start <= colon.end() + 2
            and colon.group(1).split()[0].lower().strip("*_#") not in _HEADER_WORDS
            and len(colon.group(1).split()) <= 10
            and not re.search(r"\d+\s*[.)]\s*$|^\s*\d+$", colon.group(1))
        ):
            lead = sentence[colon.start(1) : colon.end(1)].strip()
            head = re.sub(r"\([^()]*\)", " ", lead)
            labels = [lb for t in tasks if t.kind == "classify" for lb in t.labels if lb != "other"]
            named = [
                lb for lb in labels if re.search(rf"\b{re.escape(lb.replace('_', ' '))}s?\b", head, re.I)
            ]
            if len(named) == 1:
                # "Emergency (gas smell, flooding, no heat): page …": one of the classifier's labels
                task.condition = Condition("label", lead, "==", named[0])
            else:
                task.unmapped_condition = lead
            continue
        lead = re.match(
            r"\W*for\s+(?!(?:every|each|all|any|the|this|that|it|them|us|now|example|instance|\d)\b)([^,]{2,60}),",
            sentence,
            re.I,
        )
        if lead is not None and lead.end() <= task.start:
            text = lead.group(0).strip(" ,")
            if re.fullmatch(r"\W*for\s+(?:those|these|them|such)(?:\s+ones)?", text, re.I) and task.sentence:
                # "Anything under 10% is a problem station. For those, …": what the pronoun stands for
                named = _DEFINED.search(sentences[task.sentence - 1])
                if named is not None:
                    text = named.group(1).strip()
            task.unmapped_condition = text


_FOR_LABELS = re.compile(
    r"\bfor\s+(?:the\s+|all\s+)?((?:[\w-]+(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)){0,5}[\w-]+)\s+"
    r"(?:requests?|tickets?|ones|cases?|calls?|messages?|orders?|items?|reports?|jobs?|claims?|issues?)\b",
    re.I,
)


def _for_labels(sentences: list[str], tasks: list[Task]) -> None:
    """ "Create a work order in ServiceTitan for urgent and routine requests": an action limited to
    some of the classifier's labels, named after "for"."""
    labels = [lb for t in tasks if t.kind == "classify" for lb in t.labels if lb != "other"]
    if not labels:
        return
    for task in tasks:
        if task.condition is not None or task.kind not in ACTING or task.start < 0:
            continue
        a, b = clause_span(sentences[task.sentence], task.start)
        m = _FOR_LABELS.search(sentences[task.sentence], a, b)
        if m is None:
            continue
        words = [snake(w) for w in re.split(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", m.group(1)) if w]
        if words and all(w in labels for w in words):
            cond = Condition("label", m.group(0), "==", words[0])
            cond.alternatives = [Condition("label", m.group(0), "==", w) for w in words[1:]]
            task.condition, task.unmapped_condition = cond, None


def _lead_labels(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """'For cancellations within 24 hours of the slot, add the patient to the watchlist', 'For
    every new booking, send an SMS': a sentence led by one of the classifier's labels limits its
    actions to that label (and to whatever else the lead says, decided by the classifier)."""
    labels = [label for t in tasks if t.kind == "classify" for label in t.labels]
    if not labels:
        return
    for task in tasks:
        threshold = task.condition if task.condition is not None and task.condition.kind == "event" else None
        if (task.condition is not None and threshold is None) or task.kind not in ACTING or task.start < 0:
            continue
        sentence = sentences[task.sentence]
        lead = re.match(
            r"\W*(?:only\s+)?for\s+(?:every\s+|each\s+|all\s+|any\s+)?([^,]{2,80}),", sentence, re.I
        )
        # or the subject of the task's own clause ("Complaints go to…", "; low and medium ones are…")
        a, _ = clause_span(sentence, max(task.start, 0))
        subject = _LABEL_SUBJECT.match(sentence, a) if lead is None else None
        m = lead or subject
        if m is None or (lead is not None and m.end() > task.start):
            continue
        tokens = [t.lower() for t in re.findall(r"[A-Za-z][\w-]*", m.group(1))]
        words = [stem(w) for w in tokens]
        # "For main_break, open a work order": the label as written, or its words
        named = [lb for lb in labels if lb in tokens or all(stem(p) in words for p in lb.split("_"))]
        if not named:
            continue
        label = named[0]
        rest = [
            w
            for w in re.findall(r"[A-Za-z0-9][\w-]*", m.group(1))
            if stem(w) not in {stem(p) for lb in named for p in lb.split("_")}
        ]
        cond = Condition("label", m.group(0).strip(" ,;"), "==", label)
        if len(named) > 1:
            # "low and medium ones": any of the labels the subject names
            cond.alternatives = [Condition("label", m.group(0).strip(" ,;"), "==", lb) for lb in named[1:]]
        elif lead is not None and len(rest) >= 2:
            # a lead's other words are a further condition; a subject's are only its noun
            extra = " ".join(rest)
            cond.alternatives = [Condition("field", extra, "==", True, output_field=snake(extra)[:40])]
            cond.all_of = True
        if threshold is not None:
            # "Critical drugs that fall below 10 units": the label and the event's threshold, both
            cond.alternatives, cond.all_of = [*cond.alternatives, threshold], True
        task.condition = cond
        task.unmapped_condition = None
        matches.append(Match("condition", m.group(0), task.sentence, m.start(), m.end()))


def _without_prohibited(sentences: list[str], tasks: list[Task]) -> tuple[list[Task], list[Task]]:
    """ "Don't message the patient at all": a forbidden action is a constraint, never a task.
    (the tasks kept, the forbidden ones)."""
    from copilot.draft.clauses import prohibits

    kept: list[Task] = []
    dropped: list[Task] = []
    for task in tasks:
        forbidden = (
            task.start >= 0
            and (
                prohibits(quote_for(sentences[task.sentence], task.start))
                # "If it is high, don't text the owner at all": the negation right before the verb
                or bool(
                    re.search(
                        r"\b(?:don'?t|do not|never|must not|mustn'?t|should not|shouldn'?t)\s+(?:ever\s+)?$",
                        sentences[task.sentence][max(0, task.start - 30) : task.start],
                        re.I,
                    )
                )
            )
        )
        (dropped if task.kind in ACTING and forbidden else kept).append(task)
    return kept, dropped


def _instead(sentences: list[str], tasks: list[Task], forbidden: list[Task]) -> None:
    """ "If the value is out of range, don't message the patient; instead send an In Basket
    message": what the brief does instead keeps the condition the forbidden action had."""
    from copilot.draft.clauses import prohibits

    for task in tasks:
        if task.condition is not None or task.unmapped_condition or task.start < 0:
            continue
        sentence = sentences[task.sentence]
        if not re.search(
            r"\b(?:instead|rather)\W*$", sentence[max(0, task.start - 12) : task.start], re.I
        ) and not re.match(r"\W*(?:instead|rather)\b", sentence[task.start :], re.I):
            continue
        # in its sentence, or the one before it when a ";" split them
        before = [
            t
            for t in forbidden
            if (t.sentence == task.sentence and t.start < task.start) or t.sentence == task.sentence - 1
        ]
        if before:
            task.condition = before[-1].condition
            task.unmapped_condition = before[-1].unmapped_condition
            continue
        # no task was read in the forbidding clause: its own lead ("If the reading is high, don't …")
        previous = sentences[task.sentence - 1] if task.sentence > 0 else ""
        lead = re.match(r"\W*(?:if|when|whenever|unless)\b[^,;]{3,100}(?=,)", previous, re.I)
        if lead and prohibits(previous[lead.end() :].lstrip(" ,")):
            task.unmapped_condition = lead.group(0).strip()


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


# "If page_count is over 200, skip the summary and just send a notice": the summary, and what
# sends it, run only when that is not so
_SKIP = re.compile(
    r"^\W*(?:if|when|whenever)\b(?P<cond>[^,;]{3,120}),\s*(?:just\s+|then\s+)?(?:skip|omit|leave\s+out|drop|no)\s+"
    r"(?:the\s+|a\s+|any\s+)?(?P<what>[a-z]+)",
    re.I,
)
_SKIPPED_KINDS = {
    "summary": "summarise", "summarisation": "summarise", "summarization": "summarise", "reply": "reply",
    "answer": "answer", "translation": "translate", "score": "score", "scoring": "score",
    "classification": "classify", "extraction": "extract", "enrichment": "enrich", "lookup": "enrich",
}  # fmt: skip


# "If loa_feet exceeds 60, do NOT assign a slip automatically": what is not done then
_NOT_THEN = re.compile(
    r"^\W*(?:if|when|whenever)\b(?P<cond>[^,;]{3,120}),\s*(?:then\s+)?(?:do\s+not|don'?t|never|must\s+not)\s+"
    r"(?P<verb>[a-z]+)(?:\s+(?:a|an|the|any)?\s*(?:[a-z]+\s+)??(?P<what>[a-z]+))?",
    re.I,
)


def _skipped(sentences: list[str], tasks: list[Task]) -> None:
    """ "If page_count is over 200, skip the summary", "If loa_feet exceeds 60, do NOT assign a
    slip": the skipped work (a task of that kind, or one whose clause names the thing) and the
    steps that send it get the opposite condition."""
    for index, sentence in enumerate(sentences):
        refused = _NOT_THEN.match(sentence)
        if refused is not None and base_verb(refused.group("verb")) not in ACTION_VERBS:
            refused = None  # "If Slack is down, don't lose the alert": a promise, not work left undone
        if refused is not None:
            mapped, unread, _ = read_conditions(f"if{refused.group('cond')}")
            when = mapped[0][2] if mapped else None
            if when is None and unread:
                # "If the AI's level differs …, don't email": the classifier decides it (said)
                from copilot.draft.conditions import condition_field

                text = unread[0][2]
                when = Condition("field", text, "==", True, output_field=condition_field(text))
            verb = refused.group("verb").lower()
            noun = (refused.group("what") or "").lower().rstrip("s")
            for task in tasks if when is not None else []:
                said = task.quote or quote_for(sentences[task.sentence], max(task.start, 0))
                names = (noun and re.search(rf"\b{re.escape(noun)}s?\b", said, re.I)) or re.match(
                    rf"\W*{re.escape(verb)}", said, re.I
                )
                if task.sentence != index and task.condition is None and names:
                    task.condition = negate(when, f"not ({when.text})")
                    task.unmapped_condition = None
            continue
        m = _SKIP.match(sentence)
        kind = _SKIPPED_KINDS.get(m.group("what").lower()) if m else None
        if m is None or kind is None:
            continue
        mapped, _, _ = read_conditions(f"if{m.group('cond')}")
        if not mapped:
            continue
        skip_when = mapped[0][2]
        noun = m.group("what").lower()
        for task in tasks:
            if task.sentence == index and task.quote:
                # "skip the summary and just send a notice": the notice, which needs no summary
                task.quote = re.sub(
                    r"^\W*(?:skip|omit|leave\s+out|drop|no)\s+(?:the\s+|a\s+|any\s+)?\w+\s+(?:and\s+)?"
                    r"(?:just\s+|instead\s+)?",
                    "",
                    task.quote,
                    flags=re.I,
                )
        for task in tasks:
            sends = task.kind in ("notify", "store", "act") and re.search(
                rf"\b{re.escape(noun)}", task.quote or quote_for(sentences[task.sentence], task.start), re.I
            )
            if task.sentence != index and task.condition is None and (task.kind == kind or sends):
                task.condition = negate(skip_when, f"not ({skip_when.text})")


def _otherwise_across(sentences: list[str], tasks: list[Task]) -> None:
    """'If X, escalate; otherwise submit it': an "otherwise" sentence negates the condition of
    the sentence before it (the brief's ; and . split them)."""
    for task in tasks:
        if task.condition is not None or task.start < 0 or task.kind not in ACTING:
            continue
        if not re.match(
            r"\W*(?:otherwise|else|if not|if it isn'?t|if not so|(?:under|below|above|over) that|"
            r"for (?:everyone|everybody|everything|all) else|for (?:all )?(?:the )?others|for the rest|"
            r"(?:anything|everything|everyone) else|all (?:the )?others?|the rest)\b",
            sentences[task.sentence],
            re.I,
        ):
            continue
        earlier = [t for t in tasks if t.sentence == task.sentence - 1 and t.condition is not None]
        if earlier:
            cond = earlier[-1].condition
        else:
            # "If guest_count is over 180 we can't fit them, so … don't create a deal. Otherwise
            # create a deal": the sentence before has a condition and no task to carry it
            from copilot.draft.conditions import read_conditions

            read = read_conditions(sentences[task.sentence - 1]) if task.sentence > 0 else ([], [], [])
            mapped, unread = read[0], read[1]
            cond = mapped[0][2] if mapped else None
            if cond is None and unread:
                # "If the membership is expired, … don't create a job. Otherwise create a dispatch
                # job": the classifier decides the unread condition (DR010 says so), negated here
                from copilot.draft.conditions import condition_field

                text = unread[0][2]
                cond = Condition("field", text, "==", True, condition_field(text))
        if cond is not None:
            task.condition = negate(cond, f"otherwise (not {cond.text})")
            task.unmapped_condition = None


def _pronoun_conditions(sentences: list[str], tasks: list[Task], labels: list[str]) -> None:
    """'if its cancel, send it to retention' (a label); 'Check whether X. If it is, text the
    driver' (the earlier question): conditions that name their subject by a pronoun."""
    for task in tasks:
        if task.condition is not None or task.kind not in ACTING or task.start < 0:
            continue
        sentence = sentences[task.sentence]
        m = _PRONOUN_IF.search(sentence[: task.start + len(task.text)])
        if m is None:
            continue
        word = snake(m.group(1) or "")
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


# ---------------------------------------------------------------------------- the domain noun

_NOUNS = [
    ("support", r"\b(support )?tickets?\b|\bsupport\b|\bhelp ?desk\b"),
    ("transaction", r"\b(transactions?|payments?|charges?|card)\b"),
    ("lead", r"\b(leads?|sign-?ups?|prospects?)\b"),
    ("review", r"\b(reviews?|ratings?)\b"),
    # "Twilio posts to our webhook": the verb, not a post
    ("content", r"\b(comments?|posts?(?!\s+(?:to|into)\b)|user[- ]generated|uploads?|chat messages?)\b"),
    ("incident", r"\b(incidents?|alerts?|outages?|pages?)\b"),
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
KNOWN_NOUNS = frozenset(noun for noun, _ in _NOUNS)
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
    "event", "run", "night", "day", "hour", "week", "month", "year", "minute", "second", "call", "time",
    "token", "tokens", "model", "batch", "item", "one", "piece", "pop", "go", "unit", "shot", "single",
    "message",  # a transport's word, not the thing it carries
})  # fmt: skip


def _unit_noun(sentences: list[str]) -> str | None:
    """The thing the budget is counted per, when it is a noun of the brief's domain."""
    for sentence in sentences:
        for m in _COST_UNIT.finditer(sentence):
            word = m.group(1)
            lower = word.lower()
            singular = lower[:-1] if lower.endswith("s") and not lower.endswith("ss") else lower
            if singular in _NOT_UNITS or (word[0].isupper() and not word.isupper()):
                continue  # "per Slack", "per event": no domain noun
            known = read_noun(singular, generic=True)
            return known if known != "event" else (word if word.isupper() else singular)
    return None


def _event_noun(sentences: list[str], trigger: Trigger) -> str:
    """What each event is: the thing the budget is counted per ("$0.002 per photo"), else named
    where the brief says how events arrive, else anywhere."""
    unit = _unit_noun(sentences)
    if unit is not None:
        return unit
    arriving = next((s for s in sentences if trigger.text and trigger.text in s), None)
    texts = [t for t in (arriving, " ".join(sentences)) if t is not None]
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
    return "event"


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
        for noun, pattern in _NOUNS:
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
    r"\b(?:event|payload|body|input|message)s?\b[^{}\n]{0,30}?\{\s*([A-Za-z_][\w\s,.?]*)\}", re.I
)
_DOCS_GLOB = re.compile(
    r"`([^`\s]*[/*][^`\s]*\.(?:md|markdown|txt|html?|rst|pdf|json))`|\b((?:[\w.-]+/)+[\w.-]*\*[\w.*-]*)|"
    r"\b((?:[\w.-]+/)+[\w.-]+\.(?:md|markdown|txt|html?|rst))\b|(?:\bin|\bunder|\bat|\bfrom)\s+`?((?:[\w.-]+/)+)(?=[`\s).,;]|$)"
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


# "round_number (int)", "loa_feet as a number", "is_member (bool)": the type the brief states
_STATED_TYPE = re.compile(
    r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+)\s*(?:\(\s*(?:an?\s+)?|\s+as\s+an?\s+)"
    r"(int|integer|number|numeric|float|decimal|bool|boolean|true/false|yes/no|list|array)\b",
    re.I,
)
_TYPES = {
    **dict.fromkeys(("int", "integer"), "integer"),
    **dict.fromkeys(("number", "numeric", "float", "decimal"), "number"),
    **dict.fromkeys(("bool", "boolean", "true/false", "yes/no"), "boolean"),
    **dict.fromkeys(("list", "array"), "array"),
}


def read_field_types(sentences: list[str], fields: list[str]) -> dict[str, str]:
    """The JSON type the brief states for each listed field it types."""
    out: dict[str, str] = {}
    for sentence in sentences:
        for m in _STATED_TYPE.finditer(sentence):
            if m.group(1) in fields:
                out[m.group(1)] = _TYPES[m.group(2).lower()]
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
    r"\b(?:with|containing|contains|including|includes|carrying|carries|has|having)\s+(?:fields?\s+)?|"
    r"\bfields?\s*:\s*|\b(?:event|payload|body|message)s?\s*(?:fields?\s*)?:\s*",
    re.I,
)
_NOT_A_FIELD = re.compile(
    r"^(?:more|less|fewer|over|under|at|no|any|all|every|each|some|only|about|around|up|a lot|lots|"
    r"details?|info(?:rmation)?|data|stuff|things?|everything|it|them|us)\b",
    re.I,
)
_CLAUSE_WORDS = frozenset({"they're", "they", "that", "which", "who", "we", "you", "it", "is", "are", "was"})
_OWNERS = frozenset({"the", "a", "an", "its", "their", "his", "her", "our", "your"})


_IDENTIFIER = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\[\])?")
# "request_id, category, description, latitude, reporter_email (optional), photo_count": a list
# of names written as identifiers, asides allowed, however the sentence introduces it
_LISTED_NAME = (
    r"`?[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\[\])?`?(?:\s*\([^()]*\))?"
    # "loa_feet as a number": the type said inline
    r"(?:\s+as\s+an?\s+(?:number|integer|int|boolean|bool|string|text|list|array|date|datetime|timestamp))?"
    # a name ends the item: "and the list of booking refs" is prose, not a name
    r"(?=\s*(?:,|\band\b|\bor\b|[.;:!?)]|$))"
)
_IDENTIFIER_LIST = re.compile(_LISTED_NAME + r"(?:\s*(?:,|\band\b|,\s*and\b)\s*" + _LISTED_NAME + ")+")


def _identifier_fields(sentence: str) -> tuple[list[str], int] | None:
    """Two or more names with underscores in one comma list: the event's fields, whatever words
    come before them ("w/", "contains", "webhook:")."""
    for m in _IDENTIFIER_LIST.finditer(sentence):
        # "claim_type (e.g. \"disconnect\", \"cheating\")": an aside, commas and all, is no item
        bare = re.sub(r"\s*\([^()]*\)|\s+as\s+an?\s+[a-z]+", "", m.group(0))
        items = [re.sub(r"[`\[\]]", "", i).strip() for i in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", bare)]
        items = [i for i in items if i]
        if sum("_" in i for i in items) >= 2 and len(set(items)) == len(items):
            return items[:30], m.start()
    return None


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


def _phrase_fields(sentence: str) -> tuple[list[str], int] | None:
    for m in _CARRIES.finditer(sentence):
        rest = re.sub(r"\s*\([^()]*\)", "", sentence[m.end() :])  # "(may be empty)": an aside
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


def _field_names(listed: str) -> list[str]:
    """`the order number, the visitor's email and the message text` -> order_number,
    visitor_email, message_text; [] unless it is a list of two or more short noun phrases."""
    items = [i.strip() for i in re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or|plus)\s+", listed)]
    names: list[str] = []
    for item in items:
        if re.search(r"[A-Za-z]['’](?:t|re|ve|ll|d|m)\b", item):
            return []  # "(Tripspark, don't ask)": an aside, not a list of fields
        words = [w.lower().replace("’", "'") for w in re.findall(r"[A-Za-z][\w'’-]*", item)]
        while words and words[0] in _OWNERS:
            words = words[1:]
        if words[:2] in (["list", "of"], ["array", "of"], ["set", "of"]):
            words = words[2:]  # "the list of booking refs" -> booking_refs
        cut = next((i for i, w in enumerate(words) if i and w in _CLAUSE_WORDS), len(words))
        words = words[:cut]  # "the programme they're looking at": the noun before its clause
        words = [re.sub(r"'s$|'$", "", w).replace("-", "_") for w in words]
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
    cost = read_cost(sentences, matches)
    from copilot.draft.clauses import headings

    tasks = read_tasks(sentences, matches, headings(brief, sentences))
    tasks, forbidden = _without_prohibited(sentences, tasks)
    tasks = [
        t
        for t in tasks
        if t.kind not in ("notify", "store", "answer", "reply") or _acts(sentences[t.sentence], t.start)
    ]
    tasks = read_destinations(sentences, tasks, matches)

    # "look up the serial in our Shopify orders": the system a lookup reads is no destination
    def clause_of(t: Task) -> tuple[int, str]:
        return t.sentence, t.quote or (quote_for(sentences[t.sentence], t.start) if t.start >= 0 else "")

    reads = {clause_of(t) for t in tasks if t.kind == "enrich"}
    tasks = [t for t in tasks if not (t.kind == "store" and clause_of(t) in reads)]
    options = read_response_options(sentences)
    bands, fallback = read_bands(sentences, options)
    tasks = read_actions(sentences, brief, tasks, matches, options)
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
    _instead(sentences, tasks, forbidden)
    _option_subjects(sentences, tasks, options)
    # "A model checks the justification against the policy and labels the request a, b or c":
    # one model step, the labelling; the check is how it labels
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
    _pronoun_conditions(
        sentences, tasks, [label for t in tasks if t.kind == "classify" for label in t.labels]
    )
    _otherwise_across(sentences, tasks)
    _skipped(sentences, tasks)
    tasks = _delivered(sentences, tasks)
    _lead_labels(sentences, tasks, matches)
    _for_labels(sentences, tasks)
    _lead_conditions(sentences, tasks, _event_noun(sentences, trigger))
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
        for pattern, kind in ((BACKGROUND, "background"), (_PRIVACY, "privacy"), (_GROUNDING, "grounding")):
            for m in pattern.finditer(sentence):
                matches.append(Match(kind, m.group(0), index, m.start(), m.end()))
    event_fields = read_event_fields(sentences, matches, trigger)
    event_types = read_field_types(sentences, event_fields)
    rate = read_rate(sentences, matches)
    concurrency = read_concurrency(sentences, matches)
    docs_glob = read_docs_glob(sentences, matches)
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
        cost_tier=cost.tier,
        cost_text=cost.tier_text,
        tasks=tasks,
        matches=matches,
        noun=_event_noun(sentences, trigger),
        event_fields=event_fields,
        event_types=event_types,
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
    out = [f"{m.text}{UNMAPPED_CONDITION}" for m in matches if m.kind == "unread_condition"]
    for task in tasks:
        if task.kind == "notify" and not task.channel_named and not task.target:
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
