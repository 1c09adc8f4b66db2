"""Conditions the flow's own lookup answers.

"First look up the item's availability in the Koha API … if a copy is available at their
branch, email the patron": the brief fetched the fact before it made a step depend on it, so the
lookup's answer decides the condition (a boolean the lookup declares: an answer without it fails
loudly), not the event and not a classifier guessing from the event's text.
"""

from __future__ import annotations

import re
from dataclasses import replace

from copilot.draft.conditions import condition_field
from copilot.draft.phrases import DOCUMENT_NOUNS
from copilot.draft.reading import Condition, Task
from copilot.draft.relative_conditions import SAYS
from copilot.draft.word_stems import word_stems

__all__ = [
    "fetched_thresholds",
    "looked_up_elsewhere",
    "lookup_answers",
    "returned_by_lookup",
    "valued_subjects",
]

# Words too common to tie a condition to a lookup: "if their account …" and "look up their
# account" share the account, not "their".
_COMMON = frozenset(
    {"their", "there", "which", "about", "would", "should", "could", "other", "every", "never",
     "always", "within", "after", "before", "first", "where", "while", "still", "being", "these",
     "those", "event", "events", "using", "look", "lookup", "check", "fetch", "that", "this", "with", "from",
     "have", "they", "them", "then", "when", "what", "will", "your", "also", "each", "more", "less", "only",
     "just", "into", "over", "some", "than", "been", "were", "does", "make", "send", "sent", "here",
     "whether", "right", "date", "time", "item", "name", "data", "find", "read", "pull"}
)  # fmt: skip

_DOCUMENT = re.compile(rf"\b(?:{DOCUMENT_NOUNS})\b", re.I)
_NOT = re.compile(r"\b(?:not|no|isn'?t|aren'?t|wasn'?t|doesn'?t|don'?t|never|none|unavailable)\b", re.I)


def _stems(text: str) -> set[str]:
    """Stems of the words of four letters or more ("spot", "avail" for "availability"). Field
    names and what a parenthesis lists are not what a lookup fetches ("(…, safety_observations)")."""
    return word_stems(re.sub(r"\([^()]*\)|\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", " ", text), 4, _COMMON)


def _condition_words(text: str) -> set[str]:
    """The stems of a condition without its "if", "only when", "but only if"."""
    return _stems(re.sub(r"^\W*(?:(?:but\s+)?only\s+)?(?:if|when|whenever|unless)\b", "", text, flags=re.I))


def _shared_lookup(text: str, reads: list[Task]) -> Task | None:
    """The one earlier lookup whose clause shares a word stem with the condition, if exactly one does."""
    said = _condition_words(text)
    sharing = [t for t in reads if said & _stems(t.quote or t.text)]
    return sharing[0] if len(sharing) == 1 else None


# "applicants above the income limit": which side of a value the lookup fetches
_PAST_VALUE = re.compile(
    r"\b(?P<op>above|over|more than|greater than|below|under|less than)\s+(?:the|their|its)\s+"
    r"(?P<value>(?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*)\s*$",
    re.I,
)


def _past_fetched(text: str, lookup: Task, fields: list[str]) -> Condition | None:
    """ "applicants above the income limit" after "look up the county's income limit": the event's
    own number whose name shares a word with the value (`monthly_income`) against what the lookup
    returns (`income_limit`), when exactly one field does."""
    from copilot.draft.score_atoms import OPS

    m = _PAST_VALUE.search(text)
    if m is None:
        return None
    words = [w for w in re.findall(r"[a-z]+", m.group("value").lower()) if len(w) >= 4]
    own = [f for f in fields if "." not in f and any(w in f.split("_") for w in words)]
    if len(own) != 1 or not words:
        return None
    name = "_".join(re.findall(r"[a-z0-9]+", m.group("value").lower()))
    lookup.returns[name] = "number"
    return Condition("looked_up", text, OPS[m.group("op").lower()], name, output_field=own[0])


def lookup_answers(
    tasks: list[Task],
    read_late: list[str],
    sentences: list[str] | None = None,
    scheduled: bool = False,
    fields: list[str] | None = None,
) -> None:
    """Bind each unread condition to the earlier lookup that fetches what it names; `read_late`
    collects the conditions read. A step that already has a condition keeps it: both hold. A
    scheduled run's read fetches a list of items, not one record's answer: never bound."""
    if scheduled:
        return
    sentences = sentences or []
    reads = [
        t
        for t in tasks
        if t.kind == "enrich"
        and not t.docs
        and t.start >= 0
        # "look up the permit rules in permits-by-region.md": a document a model reads, no answer
        and not _DOCUMENT.search(t.quote or t.text)
    ]
    for task in tasks:
        text = task.unmapped_condition
        if not text or task in reads:
            continue
        earlier = [t for t in reads if (t.sentence, t.start) < (task.sentence, task.start)]
        estimate = _estimate_vs_lookup(text, tasks, earlier)
        if estimate is not None:
            _attach(task, estimate)  # "If the yards needed are more than the yards in stock"
            read_late.append(text)
            continue
        if re.search(SAYS, text, re.I):
            continue  # "if the client says theyre under 18 in the notes": what the text says, the model's
        if _judged(text, tasks, sentences):
            continue  # "If the risk is high" after "have a model assess mastitis risk": the model's
        valued = _valued(text, earlier, sentences)
        if valued is not None:
            # "If the plan is standard" after "look up the student … to get their plan": its value
            lookup, answer = valued
            _attach(task, answer)
            read_late.append(text)
            continue
        lookup = _shared_lookup(text, earlier)
        if lookup is None:
            continue
        past = _past_fetched(text, lookup, fields or [])
        if past is not None:
            _attach(task, past)  # "applicants above the income limit": their income against it
            read_late.append(text)
            continue
        # "a copy is available at their branch": `copy_available`, the fact, not where
        positive = _NOT.sub(" ", text)
        head = re.split(r"\s+(?:at|in|on|for|from|with|by|within)\s+", positive)[0]
        if not re.search(r"\b(?:is|are|was|were|be)\s*$", head, re.I):
            positive = head  # "available at their branch" -> the fact; never "the tree is" alone
        positive = re.sub(
            r"\btheres\b|\bthere['’]s\b", "there is", positive, flags=re.I
        )  # one name, typo or not
        name = condition_field(positive)
        lookup.returns[name] = "boolean"
        answer = Condition(
            "returned", text, "truthy", True, output_field=name, negated=bool(_NOT.search(text))
        )
        if task.condition is not None and task.condition.alternatives:
            continue  # already a list of alternatives: said as unread, never joined wrongly
        _attach(task, answer)
        read_late.append(text)
        _retarget(tasks, text, answer)


_JUDGES = ("classify", "score", "moderate", "decide", "extract")


def _judged(text: str, tasks: list[Task], sentences: list[str]) -> bool:
    """Whether a model step of the flow judges what the condition names: its words are the
    model's ("assess mastitis risk as low, medium or high" for "if the risk is high"; "extract …
    whether the notice has the statement of good faith" for "if the notice is complete")."""
    said = _condition_words(text)

    def own(t: Task) -> str:
        """The model task's words, up to the next task of its sentence (a quote may stop short)."""
        if not 0 <= t.sentence < len(sentences):
            return t.quote or t.text
        later = [o.start for o in tasks if o.sentence == t.sentence and o.start > t.start]
        return sentences[t.sentence][t.start : min(later, default=len(sentences[t.sentence]))]

    return any(t.kind in _JUDGES and said & _stems(own(t)) for t in tasks if t.start >= 0)


def _retarget(tasks: list[Task], text: str, answer: Condition) -> None:
    """An "otherwise" read before this condition was (a guess on its words) now negates the
    lookup's answer: "If the tree is on the heritage register, … Otherwise, if …"."""
    from copilot.draft.conditions import negate

    said = f"otherwise (not {text})"
    holders: list[Task | Condition] = [h for t in tasks for h in (t, t.condition) if h is not None]
    for holder in holders:
        scope = holder.scope
        while scope is not None:
            if scope.text == said and scope.kind == "field":
                other = negate(answer, said)
                other.scope = scope.scope
                holder.scope = other
                break
            holder, scope = scope, scope.scope


def _attach(task: Task, answer: Condition) -> None:
    """The answer's test on `task`, beside the condition it has ("Otherwise, if a copy is
    available …": the otherwise and the answer both hold)."""
    if task.condition is None:
        task.condition = answer
    elif not task.condition.alternatives:
        task.condition = _both(task.condition, answer)
    else:
        answer.scope, task.condition.scope = task.condition.scope, answer
    task.unmapped_condition = None


_VALUE_TEST = re.compile(
    r"^\W*(?:(?:but\s+)?only\s+)?(?:if|when|whenever|unless)?\s*(?:the|their|its|his|her)\s+"
    r"(?P<noun>[a-z]+(?:[ _][a-z]+)?)\s+(?:is|=|==|equals)\s+(?P<not>not\s+)?(?:the\s+|an?\s+)?[\"'“]?"
    r"(?P<value>[\w-]+)[\"'”]?\s*$",
    re.I,
)


def _valued(text: str, reads: list[Task], sentences: list[str]) -> tuple[Task, Condition] | None:
    """(the lookup, its value test) for "if the plan is standard" when exactly one earlier lookup
    says it gets the plan ("to get their plan (standard or scholarship)")."""
    m = _VALUE_TEST.match(text)
    if m is None:
        return None
    noun = m.group("noun").lower()
    said = re.compile(
        rf"\b(?:get|gets|fetch|find|read|pull|with|for|including)\b[^.;]*?\b{re.escape(noun)}\b", re.I
    )
    sharing = [
        t
        for t in reads
        if said.search(sentences[t.sentence] if 0 <= t.sentence < len(sentences) else t.quote or "")
    ]
    if len(sharing) != 1:
        return None
    name = re.sub(r"[^a-z0-9]+", "_", noun).strip("_")
    sharing[0].returns[name] = "string"
    negated = bool(m.group("not")) != text.lower().lstrip(" ,").startswith("unless")
    return sharing[0], Condition(
        "returned", text, "==", m.group("value").lower(), output_field=name, negated=negated
    )


def _both(a: Condition, b: Condition) -> Condition:
    """`a and b` as one condition: a head's "not" negates its alternatives too, so the head is
    the one said positively, and two negatives are "not (a or b)"."""
    if not a.negated:
        return replace(a, alternatives=[b], all_of=True)
    if not b.negated:
        return replace(b, alternatives=[a], all_of=True, scope=a.scope)
    return replace(a, alternatives=[replace(b, negated=False)], all_of=False)


# "to get their delivery plan (auto or will_call)": a field the lookup returns and its values
_LISTED_VALUES = re.compile(
    r"\b(?P<noun>[a-z]+(?:[ _][a-z]+)?)\s*\((?P<values>[\w-]+(?:\s*(?:,\s*or|,|/|\bor\b)\s*[\w-]+)+)\)", re.I
)
# "will-call customers get an SMS": the subject of an action said by its result
_SUBJECT = re.compile(
    r"^\W*(?:and\s+|but\s+|while\s+)?(?P<subject>(?:[\w-]+\s+){0,3}?[\w-]+)\s+"
    r"(?:get|gets|receive|receives|should\s+get|will\s+get|are\s+sent|is\s+sent|go|goes)\b",
    re.I,
)


def valued_subjects(tasks: list[Task], sentences: list[str]) -> None:
    """ "look up … their delivery plan (auto or will_call) … will-call customers get an SMS": an
    action whose subject names one value the lookup's field lists runs only for that value."""
    listed: list[tuple[Task, str, list[str]]] = []
    for t in tasks:
        if t.kind == "enrich" and not t.docs and 0 <= t.sentence < len(sentences) and t.start >= 0:
            for m in _LISTED_VALUES.finditer(sentences[t.sentence], t.start):
                values = [v for v in re.split(r"\s*(?:,\s*or|,|/|\bor\b)\s*", m.group("values")) if v]
                name = re.sub(r"[^a-z0-9]+", "_", m.group("noun").lower()).strip("_")
                listed.append((t, name, [re.sub(r"[^a-z0-9]+", "_", v.lower()) for v in values]))
    for task in tasks:
        if task.kind not in ("notify", "store", "act") or task.start < 0 or task.unmapped_condition:
            continue
        m = _SUBJECT.match(task.text)
        if m is None:
            continue
        subject = " ".join(re.findall(r"[a-z0-9]+", m.group("subject").lower()))
        named = [
            (lookup, name, value)
            for lookup, name, values in listed
            if (lookup.sentence, lookup.start) < (task.sentence, task.start)
            for value in values
            if re.search(rf"\b{re.escape(value.replace('_', ' '))}\b", subject)
        ]
        if len(named) != 1:
            continue
        lookup, name, value = named[0]
        lookup.returns[name] = "string"
        _attach(task, Condition("returned", m.group("subject"), "==", value, output_field=name))


# "the image confidence is below 0.85": a measure, its comparison and its number
_MEASURED = re.compile(
    r"\b(?:the\s+|its\s+|their\s+)?(?P<subject>(?:[a-z][\w-]*\s+){0,2}?[a-z][\w-]*)\s+(?:is\s+|are\s+|comes\s+back\s+)?"
    r"(?P<op>below|under|above|over|less than|more than|greater than|at least|at most)\s+"
    r"(?P<number>\d+(?:\.\d+)?)",
    re.I,
)
_FETCHED = r"\b(?:get|gets|getting|fetch\w*|pull\w*|including|with|read\w*|returns?)\b[^.;]*?"


def fetched_thresholds(tasks: list[Task], sentences: list[str]) -> None:
    """ "Pull the transaction record …, including the plate-read image confidence … If … the
    image confidence is below 0.85": a threshold on what the lookup fetched is a test of its
    answer (a number it declares), never a model's score of the event."""
    from copilot.draft.score_atoms import OPS

    reads = [t for t in tasks if t.kind == "enrich" and not t.docs and 0 <= t.sentence < len(sentences)]
    for task in tasks:
        if task.condition is None or task.start < 0:
            continue
        for part in [task.condition, *task.condition.alternatives]:
            m = _MEASURED.search(part.text) if part.kind == "score" else None
            if m is None:
                continue
            subject = re.sub(r"^(?:if|when|and|or|only|the|its|their)\s+", "", m.group("subject").lower())
            said = re.compile(_FETCHED + rf"\b{re.escape(subject)}\b", re.I)
            lookup = next(
                (
                    t
                    for t in reads
                    if (t.sentence, t.start) < (task.sentence, task.start)
                    and said.search(sentences[t.sentence])
                ),
                None,
            )
            if lookup is None or subject in ("score", "risk", "risk score"):
                continue
            name = re.sub(r"[^a-z0-9]+", "_", subject).strip("_")
            lookup.returns[name] = "number"
            part.kind, part.output_field = "returned", name
            part.op, part.value = OPS[m.group("op").lower()], float(m.group("number"))


def returned_by_lookup(name: str, tasks: list[Task]) -> Task | None:
    """The lookup whose clause says it gets `name` ("to get the pipe count" for `pipe_count`)."""
    words = name.split("_")
    said = re.compile(r"\b" + r"[\s_-]+".join(re.escape(w) for w in words) + r"\b", re.I)
    return next(
        (
            t
            for t in tasks
            if t.kind == "enrich"
            and not t.docs
            and (m := said.search(t.quote or t.text))
            and re.search(
                r"\b(?:get|gets|getting|find|fetch|pull|read|with|for|including)\b",
                (t.quote or t.text)[: m.start()],
                re.I,
            )
        ),
        None,
    )


def looked_up_elsewhere(tasks: list[Task]) -> None:
    """ "If the license is expired, email … Otherwise answer …": where one step's test was bound
    to the lookup's answer (`license_expired`), the same test said the other way round on another
    step reads that answer too, never a classifier's guess of it."""

    def parts(cond: Condition | None) -> list[Condition]:
        return [] if cond is None else [cond, *cond.alternatives, *parts(cond.scope)]

    bound = {
        p.output_field: p
        for t in tasks
        for p in parts(t.condition)
        if p.kind == "returned" and p.op == "truthy" and p.output_field
    }
    for task in tasks:
        for part in parts(task.condition) + parts(task.scope):
            same = bound.get(part.output_field or "")
            if part.kind == "field" and part.value is True and same is not None:
                part.kind, part.op = "returned", "truthy"


# "If the yards needed are more than the yards in stock": a number the model estimates against one
# a lookup returns
_ESTIMATE_VS = re.compile(
    r"\bthe\s+(?P<estimated>[a-z][\w ]{2,40}?)\s+(?:is|are)\s+(?P<op>more|greater|higher|less|fewer|lower)\s+"
    r"than\s+(?:the\s+)?(?P<looked>[a-z][\w ]{2,40}?)\s*$",
    re.I,
)


def _estimate_vs_lookup(text: str, tasks: list[Task], reads: list[Task]) -> Condition | None:
    """The estimate's number (a score task whose clause names it) against the field the one lookup
    whose clause names the other side returns; None unless both are named."""
    m = _ESTIMATE_VS.search(text)
    if m is None:
        return None

    def named(words: str, task: Task) -> bool:
        said = word_stems(words)
        return bool(said) and said <= word_stems(task.quote or task.text)

    scored = [t for t in tasks if t.kind == "score" and named(m.group("estimated"), t)]
    looked = [t for t in reads if named(m.group("looked"), t)]
    if len(scored) != 1 or len(looked) != 1:
        return None
    name = "_".join(re.findall(r"[a-z0-9]+", m.group("looked").lower()))
    looked[0].returns[name] = "number"
    op = ">" if m.group("op").lower() in ("more", "greater", "higher") else "<"
    return Condition("score_vs_lookup", text, op, name)
