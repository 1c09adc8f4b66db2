"""Which events a task applies to, read from the words around it rather than its own if-clause.

A lead ("For in-range results, ...", a heading before a colon), a subject that names some of
the events ("Sinkholes always go to ...") or one of the classifier's labels or the answer's
options, a pronoun ("if it's a cancel"), "otherwise" and "instead" across sentences, and
skipped work ("If page_count is over 200, skip the summary"): each limits a task the reader
found to the events it is meant for. A forbidden action is a constraint, never a task
(`without_prohibited`). `copilot.draft.reader` applies them in order.
"""

# ruff: noqa: E501  (the vocabulary below is regular expressions, one family per line, easier to read whole)
from __future__ import annotations

import re

from copilot.draft.conditions import ACTING, condition_field, negate, read_conditions
from copilot.draft.decisions import option_of, stem
from copilot.draft.event_reading import NOUNS
from copilot.draft.labels import snake
from copilot.draft.lead_rest import rest_of_lead
from copilot.draft.phrases import Match
from copilot.draft.reading import Condition, Task
from copilot.draft.score_atoms import as_share
from copilot.draft.tasks import clause_span, quote_for
from copilot.draft.verbs import ACTION_VERBS, CHANNEL_ONLY, base_verb

# "Absences should be recorded in SIMS", "Complaints go to the head's inbox", "Bullying reports
# must never get an automatic reply — notify the lead": the subject names the events it is about
_LABEL_SUBJECT = re.compile(
    # "Complaints go to…", "Critical drugs that fall below 10 units must trigger…" (its relative clause skipped)
    r"[\W]*((?:[A-Za-z][\w'-]*\s+){0,3}?[A-Za-z][\w'-]*)(?:\s+(?:that|which|who|with)\b[^,;]{0,60}?)?"
    r"\s+(?=(?:get|gets|are|is|go|goes|should|must|will|can|need|needs)\b)"
)
# "Medium ones just create a normal work order": the label, then "ones" and the action
_ONES_SUBJECT = re.compile(r"\W*((?:[A-Za-z][\w'-]*\s+){0,2}?[A-Za-z][\w'-]*)\s+ones\b", re.I)


# "… is a problem station", "… count as stale listings": the term a sentence defines, at its end
_DEFINED = re.compile(
    r"\b(?:is|are|counts?\s+as|means?|we\s+call)\s+(?:an?\s+|the\s+)?((?:[\w-]+\s+){0,2}[\w-]+)\W*$", re.I
)


def option_subjects(sentences: list[str], tasks: list[Task], options: list[str]) -> None:
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
        instead = re.search(r"\binstead\b", sentence[a:], re.I) is not None
        # "Blocked orders are not sent to the kitchen; the charge nurse gets a Teams message
        # instead": the subject of the sentence (or of the one "instead" answers) names the answer
        # the whole of it is about
        about = (
            sentence
            if a > 0 and (";" in sentence[: task.start] or instead)
            else sentences[task.sentence - 1]
            if instead and task.sentence > 0
            else ""
        )
        opening = _LABEL_SUBJECT.match(re.sub(r"\([^()]*\)", lambda p: " " * len(p.group(0)), about))
        if not named and opening is not None:
            lead = [w for w in opening.group(1).split() if w.lower() not in _SUBJECT_FILLER]
            named = [o for o in options if 1 <= len(lead) <= 4 and option_of(" ".join(lead), [o])][:1]
            subject = opening.group(1) if named else subject
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
# "applicants above the income limit get a polite email": a subject qualified by which of them
_SUBJECT_GETS = re.compile(
    r"\W*(?:(?:so|and|but|then)\s+)?([A-Za-z][\w'-]*\s+(?:above|below|over|under|with|without|who|whose|"
    r"from|not)\s+(?:[A-Za-z$][\w'$-]*\s+){0,3}?[A-Za-z][\w'-]*)\s+(?:get|gets|receive|receives)\b"
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
    m = _SUBJECT_GOES.match(sentence, a) or _SUBJECT_GETS.match(sentence, a)
    if m is None or m.end() > task.start + len(task.text) + 40 or m.start(1) > task.start:
        return None
    words = [w.lower() for w in re.findall(r"[A-Za-z][\w'-]*", m.group(1))]
    if words[-1:] == ["else"] or words in (["the", "rest"], ["all", "others"], ["all", "other"]):
        return None  # "anything else goes to the adjuster queue": the other branch, read as such
    if all(w in _SUBJECT_FILLER for w in words):
        return None  # "…, always goes to the pharmacist": no subject of its own, no subset
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
    noun_pattern = next((p for n, p in NOUNS if n == noun), None)
    if (
        head in _PRODUCED
        or (noun_pattern and re.fullmatch(noun_pattern, head, re.I))
        or head.rstrip("s") == noun
    ):
        return None  # "Summaries go to Slack", "Tickets go to Zendesk": every event, or what the flow makes
    return m.group(1).strip()


def lead_conditions(sentences: list[str], tasks: list[Task], noun: str = "event") -> None:
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
            and colon.end() <= task.start
            and colon.group(1).split()[0].lower().strip("*_#") not in _HEADER_WORDS
            and len(colon.group(1).split()) <= 10
            and not re.search(r"\d+\s*[.)]\s*$|^\s*\d+$", colon.group(1))
        ):
            lead = sentence[colon.start(1) : colon.end(1)].strip()
            head = re.sub(r"\([^()]*\)", " ", lead)
            labels = [lb for t in tasks if t.kind == "classify" for lb in t.labels if lb != "other"]
            named = [
                lb for lb in labels if re.search(rf"\b{re.escape(lb.replace('_', ' '))}s?\b", head, re.I)
            ] or [  # "URGENT: …" for `urgent_problem`: the one label a word of the heading names
                lb
                for lb in labels
                if any(len(w) >= 4 and re.search(rf"\b{w}s?\b", head, re.I) for w in lb.split("_"))
            ]
            if len(named) == 1:
                # "Emergency (gas smell, flooding, no heat): page …": one of the classifier's labels;
                # "EMERGENCY: reply right away … and also page on-call": it heads the whole sentence
                task.condition = Condition("label", lead, "==", named[0])
                continue
            if task.start <= colon.end() + 2:
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


def for_labels(sentences: list[str], tasks: list[Task]) -> None:
    """ "Create a work order in ServiceTitan for urgent and routine requests": an action limited to
    some of the classifier's labels, named after "for"."""
    labels = [lb for t in tasks if t.kind == "classify" for lb in t.labels if lb != "other"]
    if not labels:
        return
    # "grade 1" or "blowout_risk": a label in words or as written
    said = "|".join(
        r"[\s_-]+".join(re.escape(w) for w in lb.split("_")) for lb in sorted(labels, key=len, reverse=True)
    )
    # "Any grade 1, … must dispatch a crew", "… the crew ETA only for grade 1": the labels named
    any_lead = re.compile(rf"^\W*(?:any|all|every)\s+({said})s?\b", re.I)
    # "…; grade 2 creates a next-day work order only": the label its clause opens with
    # "blowout_risk = page the on call manager", "slow_leak -> make a work order": the label, then
    # what it gets
    label_opens = re.compile(
        rf"\W*(?:and\s+|but\s+)?(({said}))(?:s?\s+(?:only\s+|also\s+|just\s+|then\s+)?[a-z]+s\b|\s*(?:=+>?|->|→|:)\s)",
        re.I,
    )
    only_for = re.compile(
        rf"\bonly\s+(?:for|on|if\s+it['’]?s)\s+(?:the\s+)?(?:an?\s+)?(({said})(?:\s+(?:or|and)\s+({said}))?)\b",
        re.I,
    )
    for task in tasks:
        if task.condition is not None or task.kind not in ACTING or task.start < 0:
            continue
        sentence = sentences[task.sentence]
        a, b = clause_span(sentence, task.start)
        lead = any_lead.match(sentence)
        only = only_for.search(sentence, task.start)
        opens = label_opens.match(sentence, a)
        named_by = lead if lead is not None and lead.end() <= task.start else only or opens
        if named_by is not None:
            words = [snake(w) for w in re.split(r"\s+(?:or|and)\s+", named_by.group(1)) if w]
            cond = Condition("label", named_by.group(0).strip(), "==", words[0])
            cond.alternatives = [Condition("label", named_by.group(0).strip(), "==", w) for w in words[1:]]
            more = (
                re.match(
                    r",\s*or\s+(?:any|every)\s+[a-z]+\s+((?:where|that|whose|with|who)\s+[^,;]{3,80}?)\s*,",
                    sentence[lead.end() :],
                    re.I,
                )
                if named_by is lead and lead is not None
                else None
            )
            if more is not None:
                # "Any grade 1, or any call where the caller reports symptoms, …": either one (the
                # second, the classifier's guess, said as one)
                said_more = more.group(1)
                cond.alternatives.append(
                    Condition(
                        "field",
                        said_more,
                        "==",
                        True,
                        output_field=condition_field(re.sub(r"^\w+\s+(?:the\s+)?", "", said_more)),
                    )
                )
            task.condition, task.unmapped_condition = cond, None
            continue
        m = _FOR_LABELS.search(sentences[task.sentence], a, b)
        if m is None:
            continue
        words = [snake(w) for w in re.split(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", m.group(1)) if w]
        if words and all(w in labels for w in words):
            cond = Condition("label", m.group(0), "==", words[0])
            cond.alternatives = [Condition("label", m.group(0), "==", w) for w in words[1:]]
            task.condition, task.unmapped_condition = cond, None


def unmapped_labels(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """ "If there's new damage rated moderate or major, create a claim" after "estimated severity
    (minor/moderate/major)": an unread condition that names the classifier's own labels is a
    test of the label, not a new guess."""
    labels = [lb for t in tasks if t.kind == "classify" for lb in t.labels if lb != "other"]
    if not labels:
        return
    for task in tasks:
        text = task.unmapped_condition
        if task.condition is not None or not text or task.kind not in ACTING:
            continue
        # "If the note is" cut at the verb of "… is classified as an animal welfare concern": the
        # whole if-clause the sentence has
        text = next(
            (
                sentences[m.sentence][m.start : m.end]
                for m in matches
                if m.kind == "unread_condition"
                and m.sentence == task.sentence
                and m.sentence < len(sentences)
                and sentences[m.sentence][m.start : m.end].lower().startswith(text.strip().lower())
            ),
            text,
        )
        tokens = {snake(w) for w in re.findall(r"[A-Za-z][\w-]*", text)}
        words = " ".join(re.findall(r"[a-z0-9]+", text.lower()))
        named = [lb for lb in labels if lb in tokens or f" {lb.replace('_', ' ')} " in f" {words} "]
        if not named or re.search(r"\b(?:not|no|never|except|unless)\b", text, re.I):
            continue
        cond = Condition("label", text, "==", named[0])
        cond.alternatives = [Condition("label", text, "==", lb) for lb in named[1:]]
        said = named[-1].replace("_", " ")
        rest = re.search(
            rf"\b{re.escape(said)}s?\s+(?P<rest>(?:that|which|who|where|with|and)\s+\w+(?:\s+\w+)+.*)$", words
        )
        before = re.match(
            rf"\W*(?:only\s+)?(?:if|when)\s+(?P<part>[a-z][\w ']{{3,60}}?)\s+and\s+(?:its|it's|it\s+is|it\s+was)?\s*{re.escape(said)}\b",
            words,
        )
        if (
            before is not None
            and len(named) == 1
            and not any(lb.replace("_", " ") in before.group("part") for lb in labels)
        ):
            # "if the date is free and its ready_to_book": the other half still limits the step
            # (the classifier's guess, said as one), never dropped
            part = before.group("part")
            cond.alternatives = [Condition("field", part, "==", True, output_field=condition_field(part))]
            cond.all_of = True
        if rest is not None and len(named) == 1:
            # "a side effect report that mentions severe abdominal pain …": that label, and what
            # it must also say (the classifier's guess, said as one)
            more = re.sub(r"^(?:that|which|who|where)\s+", "if it ", rest.group("rest"))
            cond.alternatives = [Condition("field", more, "==", True, output_field=condition_field(more))]
            cond.all_of = True
        task.condition, task.unmapped_condition = cond, None
        _read_after_all(matches, task.sentence, text)


def _read_after_all(matches: list[Match], sentence: int, said: str) -> None:
    """An if-clause first left unread and then read as a label ("needs_cleaning ones are added
    …", "If there's new damage rated moderate or major"): no longer "not understood"."""
    said = said.strip(" ,;").lower()
    for m in matches:
        if m.kind == "unread_condition" and m.sentence == sentence:
            text = m.text.strip().lower()
            if text and (text in said or said in text):
                m.kind = "condition"


def _label_head(label: str, labels: list[str]) -> str | None:
    """The first word of a label of several words, when it names that label alone
    (deletion_request by "deletions"): long enough, and no other label starts with it."""
    head = label.split("_")[0]
    if "_" not in label or len(head) < 5 or sum(other.startswith(head) for other in labels) != 1:
        return None
    return head


def _label_first(sentence: str, at: int, labels: list[str]) -> re.Match[str] | None:
    """ "Consent withdrawals call the research-consent API", "Verified deletions open a Jira
    ticket": a clause that opens with one of the classifier's labels, in its own words."""
    for label in labels:
        words = [w for w in label.split("_") if w]
        if not words or label == "other":
            continue
        head = _label_head(label, labels)
        forms = [words, [head]] if head else [words]  # "Verified deletions open a Jira ticket"
        for form in forms:
            pattern = (
                r"\W*((?:[A-Za-z][\w-]*\s+)?"
                + r"[\s-]+".join(re.escape(w) + r"(?:e?s)?" for w in form)
                + r")\b"
            )
            m = re.compile(pattern, re.I).match(sentence, at)
            if m is not None:
                return m
    return None


def subject_shared(sentences: list[str], tasks: list[Task]) -> None:
    """ "Damaged tools get a repair ticket in Trello and the member gets an email asking what
    happened": the sentence opens with the subset it is about, so every action joined to the
    first by "and" is limited to it too."""
    for index, sentence in enumerate(sentences):
        acting = sorted(
            (t for t in tasks if t.sentence == index and t.kind in ACTING and t.start >= 0),
            key=lambda t: t.start,
        )
        first = next((t for t in acting if t.condition is not None), None)
        if first is None or first.condition is None or first.condition.kind not in ("label", "decision"):
            continue
        if not sentence.lstrip(" -*•").lower().startswith(first.condition.text.strip().lower()[:20]):
            continue  # the label is not what the whole sentence is about
        for task in acting:
            between = sentence[first.start : task.start]
            if (
                task.start > first.start
                and task.condition is None
                and not task.unmapped_condition
                and re.search(r"\band\b", between, re.I)  # "… AND send the driver a text"
                and not re.search(r"\b(?:otherwise|else|but|always|every|regardless)\b", between, re.I)
            ):
                task.condition = first.condition


def _labels_in(text: str, labels: list[str]) -> int:
    """How many of `labels` `text` names, as written or by their words."""
    words = {stem(t.lower()) for t in re.findall(r"[A-Za-z][\w-]*", text)}
    return sum(1 for lb in labels if all(stem(p) in words for p in lb.split("_")))


# "for anything except death_benefit", "for all but spam", "other than refunds": the rest
_ALL_BUT = re.compile(
    r"\b(?:except|other\s+than|apart\s+from|besides|but\s+not|all\s+but|excluding|aside\s+from)\b", re.I
)


def lead_labels(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
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
        if task.kind in ("reply", "answer") and any(
            m.sentence != task.sentence for m in task.also if m.start >= 0
        ):
            continue  # one writer said in several branches runs on all of them
        sentence = sentences[task.sentence]
        lead = (
            re.match(r"\W*(?:only\s+)?for\s+(?:every\s+|each\s+|all\s+|any\s+)?([^,]{2,80}),", sentence, re.I)
            or re.match(  # "for minor damage only log it on the vehicle record"
                r"\W*for\s+((?:[\w-]+\s+){1,3}?)only\b", sentence, re.I
            )
            # "no_start jobs are urgent - slack #dispatch": the kind, said, then a dash and the action
            or re.match(
                r"\W*(?:(?:oh|and|also|so)\W+)*((?:[\w-]+\s+){0,2}?[\w-]+)\s+(?:are|is)\s+[\w-]+\s*[-–—:]\s",
                sentence,
                re.I,
            )
            or re.match(  # "for custom and coverup ones email the artist": no comma after the kinds
                r"\W*for\s+((?:[\w-]+\s+){1,5}?(?:ones|requests|tickets|cases|bookings|items|orders|calls|messages|claims))\b",
                sentence,
                re.I,
            )
        )
        listed = re.match(
            r"\W*(?:only\s+)?for\s+(?:every\s+|each\s+|all\s+|any\s+)?((?:[^,]{2,40},\s*){1,6}[^,]{2,80}),",
            sentence,
            re.I,
        )
        if (
            lead is not None
            and listed is not None
            and listed.end() < task.start
            and _labels_in(listed.group(1), labels) > _labels_in(lead.group(1), labels)
        ):
            lead = listed  # "For coin_mechanism, card_reader or jam faults, add a stop …": all three
        # or the subject of the task's own clause ("Complaints go to…", "; low and medium ones are…")
        a, _ = clause_span(sentence, max(task.start, 0))
        subject = (
            (
                _LABEL_SUBJECT.match(sentence, a)
                or _ONES_SUBJECT.match(sentence, a)
                or _label_first(sentence, a, labels)
            )
            if lead is None
            else None
        )
        m = lead or subject
        if m is None or (lead is not None and m.end() > task.start):
            continue
        tokens = [t.lower() for t in re.findall(r"[A-Za-z][\w-]*", m.group(1))]
        # "For break-ins": the label break_in, said with a hyphen
        words = [stem(w) for t in tokens for w in dict.fromkeys([t, *t.split("-")])]
        # "For main_break, open a work order": the label as written, or its words
        named = [lb for lb in labels if lb in tokens or all(stem(p) in words for p in lb.split("_"))] or [
            # "Verified deletions …" names deletion_request by its head word
            lb
            for lb in labels
            if (head := _label_head(lb, labels)) and stem(head) in words
        ]
        if not named:
            continue
        label = named[0]
        rest = [
            w
            for w in re.findall(r"[A-Za-z0-9][\w-]*", m.group(1))
            if stem(w) not in {stem(p) for lb in named for p in lb.split("_")}
        ]
        cond = Condition("label", m.group(0).strip(" ,;"), "==", label)
        if _ALL_BUT.search(m.group(1)):
            # "For anything except death_benefit, draft a reply": every other label
            cond.op, cond.value = ("not in", named) if len(named) > 1 else ("!=", label)
            task.condition = cond
            continue
        if len(named) > 1:
            # "low and medium ones": any of the labels the subject names
            cond.alternatives = [Condition("label", m.group(0).strip(" ,;"), "==", lb) for lb in named[1:]]
        elif lead is not None and len(rest) >= 2:
            # a lead's other words are a further condition; a subject's are only its noun
            extra = " ".join(rest)
            cond.alternatives = [Condition("field", extra, "==", True, output_field=snake(extra)[:40])]
            cond.all_of = True
        if threshold is not None:
            # "Critical drugs that fall below 10 units": the label and the event's threshold, both;
            # "Urgent cases (anything below 54 mg/dL, or urgent from the model)": either
            either = re.search(r"\([^()]*\bor\b[^()]*\)", sentence[m.start() : task.start]) is not None
            cond.alternatives, cond.all_of = [*cond.alternatives, threshold], not either
        task.condition = cond
        said = (task.unmapped_condition or "").strip(" ,").lower()
        lead_text = m.group(0).strip(" ,").lower()
        if said.startswith(lead_text) and len(said.split()) > len(lead_text.split()) + 1:
            # "if price or not using it and theyve been active more then 6 months": the rest of the
            # if-clause is read too, never dropped
            at = sentence.lower().find(said)
            # an if-clause cut at a typo's "then" ("more then 6 months") keeps its number
            tail = (
                re.match(r"\s*(?:than|then)?\s*\d+(?:\.\d+)?(?:\s*[a-z%]+)?", sentence[at + len(said) :])
                if at >= 0
                else None
            )
            rest_of_lead(said[len(lead_text) :] + (tail.group(0) if tail else ""), cond, task, labels)
            matches.append(Match("condition", m.group(0), task.sentence, m.start(), m.end()))
            _read_after_all(matches, task.sentence, m.group(0))
            continue
        if (
            not said
            or said in lead_text
            or lead_text in said
            or not re.match(r"\W*(?:but\s+)?(?:only\s+)?(?:if|when)\b", said)
        ):
            task.unmapped_condition = None  # else "…, but only if no game is in progress" holds too
        matches.append(Match("condition", m.group(0), task.sentence, m.start(), m.end()))
        _read_after_all(matches, task.sentence, m.group(0))


def without_prohibited(sentences: list[str], tasks: list[Task]) -> tuple[list[Task], list[Task]]:
    """ "Don't message the patient at all": a forbidden action is a constraint, never a task.
    (the tasks kept, the forbidden ones)."""
    from copilot.draft.prohibitions import NOT_AN_ORDER, NOTHING_OBJECT, prohibits

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
                # "Never email or message the employee": the "never" covers both verbs
                or bool(NOT_AN_ORDER.search(sentences[task.sentence][: task.start]))
                # "never text customers, only email them": the channel allowed, no message of its own
                or _channel_only(sentences[task.sentence], task.start)
                # "send nothing to the customer", "notify no one": an action with no object is none
                or (
                    bool(NOTHING_OBJECT.match(sentences[task.sentence][task.start :]))
                    # "If there are no matching issues, post nothing": a limit on the post said
                    # before (read with it), unless it names no channel at all ("send nothing")
                    and not (task.channel_named and (task.condition or task.unmapped_condition))
                )
            )
        )
        (dropped if task.kind in ACTING and forbidden else kept).append(task)
    return kept, dropped


# "text the customer, but NOT for commercial accounts (account_type=commercial) those go to the key
# accounts team email instead": an exception by an event field, named with its value
_EXCEPT_FOR = re.compile(
    r",?\s*\b(?:but\s+)?(?:not|except)\s+(?:for\s+)?(?P<subject>[^(,;.]{2,40}?)\s*"
    r"\(\s*(?P<field>[a-z][a-z0-9_]*)\s*(?:=+|is)\s*['\"]?(?P<value>[\w-]+)['\"]?\s*\)",
    re.I,
)


def except_for(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """An action limited by an exception the brief names by field and value, and the action the
    excepted events get instead: the first runs when the field is not that value, the second
    when it is, each besides the condition the first one has (its `scope`)."""
    for index, sentence in enumerate(sentences):
        m = _EXCEPT_FOR.search(sentence)
        if m is None:
            continue
        acting = sorted((t for t in tasks if t.sentence == index and t.kind in ACTING), key=lambda t: t.start)
        before = [t for t in acting if t.start < m.start()]
        after = [t for t in acting if t.start >= m.start(0)]
        if not before:
            continue
        field, value = m.group("field").lower(), m.group("value")
        kept = before[-1]
        kept.scope = Condition("event", m.group(0).strip(" ,"), "==", value, output_field=field, negated=True)
        if after and re.search(r"\binstead\b|\bgo(?:es)?\s+to\b", sentence[m.end() :], re.I):
            other = after[0]
            other.scope = Condition("event", m.group(0).strip(" ,"), "==", value, output_field=field)
            other.condition = other.condition or kept.condition
            other.unmapped_condition = kept.unmapped_condition if other.condition is None else None
        matches.append(Match("condition", m.group(0), index, m.start(), m.end()))


def carry_instead(sentences: list[str], tasks: list[Task], forbidden: list[Task]) -> None:
    """ "If the value is out of range, don't message the patient; instead send an In Basket
    message": what the brief does instead keeps the condition the forbidden action had."""
    from copilot.draft.prohibitions import prohibits

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


def skip_conditions(sentences: list[str], tasks: list[Task]) -> None:
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


# "Only act when status changes to 'submitted'", "Do nothing unless the order is paid", "Ignore
# records where stage is 'draft'": a rule over every action of the flow, said once
_SCOPE = re.compile(
    r"^\W*(?:(?:we\s+|you\s+)?only\s+(?:want\s+to\s+|need\s+to\s+)?(?:act|run|proceed|process|handle|care|fire|"
    r"trigger|do\s+(?:anything|something|this|it))\w*|(?:act|run|proceed|fire)\s+only|do\s+nothing|"
    r"(?P<ignore>ignore|skip|drop|disregard)\s+(?:everything|anything|all\s+others|the\s+rest|(?:the\s+|any\s+|all\s+)?"
    r"(?:[\w-]+\s+)?(?:events?|records?|changes?|updates?|messages?|rows?|ones|it|them)))\b"
    r"[^,;.]*?\b(?P<word>when|whenever|if|where|whose|unless|once|with)\b",
    re.I,
)


def scope_conditions(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """A sentence that limits every action ("Only act when status changes to 'submitted'") holds
    for each side effect besides its own condition; "ignore … where X" limits them to not X."""
    for index, sentence in enumerate(sentences):
        m = _SCOPE.match(sentence)
        if m is None:
            continue
        mapped = [c for start, _, c in read_conditions(sentence)[0] if start >= m.start("word")]
        if not mapped:
            continue
        scope = mapped[0]
        if m.group("ignore") and m.group("word").lower() != "unless":
            scope = negate(scope, f"not ({scope.text})")  # "ignore records where stage is 'draft'"
        matches.append(Match("condition", sentence[m.start("word") :], index, m.start("word"), len(sentence)))
        for task in tasks:
            if task.kind not in ("notify", "store", "act") or task.sentence == index:
                continue
            task.scope = scope
            if task.condition is None and not task.unmapped_condition:
                task.condition = scope
            elif task.condition is not None and task.condition is not scope:
                task.condition.scope = scope


# "under 3 just send a polite decline email", "over 80, page the lead": a threshold that leads its
# clause with no word for what it measures, in a flow that scores
_BARE_THRESHOLD = re.compile(
    r"^\W*(?:and\s+|but\s+|otherwise\s+)?(?P<op>under|below|less\s+than|over|above|more\s+than|at\s+least)\s+"
    r"(?P<n>\d+(?:\.\d+)?)(?!\s*(?:%|percent|[a-z]{2,}\b(?<!just)(?<!then)(?<!only)))",
    re.I,
)


def bare_score_leads(sentences: list[str], tasks: list[Task]) -> None:
    """An action led by a bare threshold is limited to the scores on that side of it."""
    from copilot.draft.score_atoms import OPS

    if not any(t.kind == "score" for t in tasks):
        return
    for task in tasks:
        if task.condition is not None or task.kind not in ACTING or task.start < 0:
            continue
        a, _ = clause_span(sentences[task.sentence], task.start)
        m = _BARE_THRESHOLD.match(sentences[task.sentence], a)
        if m is None or m.end() > task.start:
            continue
        op = OPS.get(" ".join(m.group("op").lower().split()), ">=")
        value = as_share(float(m.group("n")))
        task.condition, task.unmapped_condition = Condition("score", m.group(0).strip(" ,"), op, value), None


def _channel_only(sentence: str, start: int) -> bool:
    said = re.search(r"\bonly\s+$", sentence[:start], re.I)
    return said is not None and CHANNEL_ONLY.match(sentence[said.start() :]) is not None
