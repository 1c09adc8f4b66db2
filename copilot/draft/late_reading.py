"""Readings made once the tasks are known: what a verdict or a message is asked to carry, and a
writer said in several branches."""

from __future__ import annotations

import re

from copilot.draft.asked_outputs import ASKED
from copilot.draft.event_conditions import replaced
from copilot.draft.message_content import LISTED
from copilot.draft.option_lists import NAMED_AS
from copilot.draft.phrases import Match
from copilot.draft.reading import Condition, Task

__all__ = [
    "labels_in_parts",
    "non_conditions",
    "one_writer_for_all_branches",
    "options_in_thresholds",
    "read_content_lists",
    "read_option_lists",
    "semicolon_leads",
    "settle_matches",
    "stated_before",
]


def one_writer_for_all_branches(sentences: list[str], tasks: list[Task]) -> None:
    """A reply or answer said again in another branch runs on every branch."""
    for task in tasks:
        # "For missing_reward, … reply with the tracking link … if it has passed, reply that the
        # address is locked": one writer said in several branches runs on all of them (each message
        # that sends its text keeps its own condition)
        if task.kind in ("reply", "answer") and any(
            m.sentence != task.sentence
            and re.match(r"\W*(?:if|for|when|otherwise|unless)\b", sentences[m.sentence], re.I)
            for m in task.also
            if 0 <= m.sentence < len(sentences) and m.start >= 0
        ):
            task.condition = task.unmapped_condition = None


def read_content_lists(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """What a verdict is asked to list and what a message is asked to carry: read, never "not understood"."""
    for task in tasks:  # "…, listing the handbook section numbers": a field of the verdict, read
        if task.kind in ("decide", "classify", "score", "moderate") and task.start >= 0:
            for m in ASKED.finditer(sentences[task.sentence], task.start):
                matches.append(Match("fields", m.group(0), task.sentence, m.start(), m.end()))
        elif task.kind in ("notify", "act", "store") and task.start >= 0:
            # "email the family …, with the available plots": what the message carries, read
            listed = LISTED.search(sentences[task.sentence], task.start)
            if listed is not None:
                matches.append(Match("fields", listed.group(0), task.sentence, listed.start(), listed.end()))


def read_option_lists(sentences: list[str], options: list[str], matches: list[Match]) -> None:
    """ "have the AI decide go, reschedule or cancel": the answer's options where the brief lists them
    are read, never clauses of their own ("reschedule or cancel" is no action)."""
    if len(options) < 2:
        return
    one = "|".join(re.escape(o.replace("_", " ")) for o in sorted(options, key=len, reverse=True))
    run = re.compile(rf"\b(?:{one})(?:\s*(?:,|/|\bor\b|\band\b)\s*(?:or\s+|and\s+)?(?:{one})\b)+", re.I)
    for index, sentence in enumerate(sentences):
        for m in run.finditer(sentence):
            matches.append(Match("labels", m.group(0), index, m.start(), m.end()))


def semicolon_leads(brief: str, sentences: list[str], tasks: list[Task]) -> None:
    """ "If any serial fails that check, don't retire anything; email compliance@…": the part after
    the semicolon (a sentence of its own to the reader) is still under the if-clause that opened
    the sentence before it."""
    from copilot.draft.conditions import OTHER_SIDE, read_conditions
    from copilot.draft.governing import leads

    flat = " ".join(brief.split())
    for task in tasks:
        if task.condition is not None or task.unmapped_condition or task.start < 0 or task.sentence < 1:
            continue
        own = rf"\W*(?:otherwise|else|if|when|whenever|unless|for|but|except|{OTHER_SIDE})\b"
        if re.match(own, sentences[task.sentence], re.I):
            continue  # "…; otherwise submit it", "…; under that, mark it": its own case
        before = sentences[task.sentence - 1].strip()
        if not before or not re.search(re.escape(" ".join(before.split())) + r"\s*;", flat):
            continue
        led = next(
            (
                t.condition
                for t in tasks
                if t.sentence == task.sentence - 1
                and t.condition is not None
                and re.match(r"\W*for\b", before, re.I)
                and re.match(r"\W*for\b", t.condition.text, re.I)
            ),
            None,
        )
        if led is not None:
            task.condition = led  # "For callouts, … page the scheduler; then send the aide an SMS"
            continue
        mapped, unread, _ = read_conditions(before)
        lead = next(((a, b, c) for a, b, c in mapped if leads(before, a, b)), None)
        if lead is not None:
            task.condition = lead[2]
            continue
        opened = next(((a, b, t) for a, b, t in unread if leads(before, a, b)), None)
        if opened is not None:
            task.unmapped_condition = opened[2]


# words a threshold is said with, never an option it names ("high" in "high-value orders over $500")
_MEASURE_WORDS = frozenset(
    {"high", "higher", "low", "lower", "above", "below", "over", "under", "more", "less"}
)


def options_in_thresholds(tasks: list[Task]) -> None:
    """ "For plausible readings under 20%", "any urgent ticket over $500": a threshold whose subject
    is named by a verdict's option holds only for that option too (both must hold)."""
    verdicts = [
        (t.kind, o) for t in tasks if t.kind in ("decide", "classify") and t.start >= 0 for o in t.labels
    ]
    for task in tasks:
        cond = task.condition
        if (
            cond is None
            or cond.kind not in ("event", "returned", "score")
            or cond.negated
            or (cond.alternatives and not cond.all_of)
        ):
            continue
        said = " ".join(re.findall(r"[a-z0-9]+", cond.text.lower()))
        named = [
            (kind, option)
            for kind, option in verdicts
            if len(option) >= 5
            and option not in _MEASURE_WORDS
            and re.search(rf"\b{re.escape(option.replace('_', ' '))}\b", said)
        ]
        if len(named) != 1 or any(
            a.value == named[0][1] or (isinstance(a.value, list) and named[0][1] in a.value)
            for a in cond.alternatives
        ):
            continue  # none, several, or a part already tests that option ("… is not clinician_issue")
        kind, option = named[0]
        part = (
            Condition("decision", cond.text, "==", option, output_field="decision")
            if kind == "decide"
            else Condition("label", cond.text, "==", option)
        )
        cond.alternatives = [*cond.alternatives, part]
        cond.all_of = True


def labels_in_parts(tasks: list[Task]) -> None:
    """ "… AND its a blocked hydrant" after "figure out if its an unplowed street, a blocked
    hydrant, …": a part the reader took for a guess (`blocked`) names a label of several words."""
    labels = [lb for t in tasks if t.kind == "classify" for lb in t.labels if "_" in lb]
    for task in tasks:
        if task.condition is not None and labels:
            task.condition = _label_parts(task.condition, labels)


def _label_parts(cond: Condition, labels: list[str]) -> Condition:
    """`cond` with its guessed parts that name a label read as that label, its scopes too."""
    if cond.scope is not None:
        cond.scope = _label_parts(cond.scope, labels)
    whole = " ".join(re.findall(r"[a-z0-9]+", cond.text.lower()))
    out = cond
    for index, part in enumerate([cond, *cond.alternatives]):
        said = " ".join(re.findall(r"[a-z0-9]+", part.text.lower()))
        # the label's words in the part, or the part's word leading them in the if-clause
        named = next(
            (
                lb
                for lb in labels
                if f" {lb.replace('_', ' ')} " in f" {said} "
                or (
                    said
                    and lb.replace("_", " ").startswith(said + " ")
                    and f" {lb.replace('_', ' ')} " in f" {whole} "
                )
            ),
            None,
        )
        if part.kind not in ("field", "flagged") or named is None or part.output_field == named:
            continue
        # an alternative keeps its own "not"; the condition's own travels with `replaced`; "the
        # reason is not clinician_issue": any other label
        label_words = re.escape(named.replace("_", " "))
        said_not = re.search(
            rf"\b(?:not|isn\s*t|other\s+than|except)\s+(?:an?\s+|the\s+)?{label_words}\b", said
        )
        out = replaced(
            out,
            index,
            Condition(
                "label", part.text, "!=" if said_not else "==", named, negated=bool(index and part.negated)
            ),
        )
    seen: list[tuple[str, str, object, bool]] = []
    kept = []
    for alt in out.alternatives:  # one test said twice is one test
        key = (alt.kind, alt.op, alt.value, alt.negated)
        if alt.kind == "label" and key in seen:
            continue
        seen.append(key)
        kept.append(alt)
    out.alternatives = kept
    return out


# "For non-concussion injuries just log the report": the events the condition said before does not hold for
_NON = re.compile(r"\b(?:for|on|with)\s+(?:all\s+|any\s+)?non-?\s*(?P<word>[a-z]{4,})\b", re.I)


def non_conditions(sentences: list[str], tasks: list[Task]) -> None:
    """An action said for "non-<word>" events runs when the condition the brief read on <word> for
    another action does not hold."""
    from copilot.draft.conditions import negate

    for task in tasks:
        if task.condition is not None or task.start < 0 or not 0 <= task.sentence < len(sentences):
            continue
        sentence = sentences[task.sentence]
        said = next((m for m in _NON.finditer(sentence) if m.start() <= task.start), None)
        if said is None or task.kind not in ("notify", "store", "act", "answer", "reply"):
            continue
        word = said.group("word").lower()
        held = [
            t.condition
            for t in tasks
            if t is not task
            and t.condition is not None
            and not t.condition.negated
            and not t.condition.alternatives
            and word in f"{t.condition.text} {t.condition.output_field or ''} {t.condition.value}".lower()
        ]
        if held:
            task.condition = negate(held[0], said.group(0))
            task.unmapped_condition = None


# "the suspension must happen before the case is opened": an order between two actions, said apart
_BEFORE = re.compile(
    r"\b(?:the\s+)?(?P<first>[a-z][\w-]*)\s+(?:must|should|has\s+to|needs?\s+to)\s+(?:always\s+)?"
    r"(?:happen|come|go|run|be\s+done|be\s+made|be\s+placed|be\s+in\s+place|land)\s+(?:first\s+)?"
    r"(?:before|ahead\s+of)\s+(?:the\s+|any\s+)?(?P<then>[a-z][\w-]*)",
    re.I,
)


def _names(word: str, task: Task) -> bool:
    """Whether a noun of the order names the task: its verb or object shares a five-letter start
    ("suspension" and "suspend betting", "case" and "open a Salesforce case")."""
    said = re.findall(r"[a-z]+", f"{task.action or ''} {task.text}".lower())
    word = word.lower()
    return any(w == word or (len(w) >= 5 and len(word) >= 5 and w[:5] == word[:5]) for w in said)


def stated_before(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """An order the brief states in a sentence of its own: the later action waits for the first."""
    acting = [t for t in tasks if t.kind in ("notify", "store", "act") and t.start >= 0]
    for index, sentence in enumerate(sentences):
        for m in _BEFORE.finditer(sentence):
            first = [t for t in acting if _names(m.group("first"), t)]
            then = [t for t in acting if _names(m.group("then"), t)]
            if len(first) == 1 and len(then) == 1 and first[0] is not then[0]:
                then[0].follows = then[0].follows or first[0]
                matches.append(Match("order", m.group(0), index, m.start(), m.end()))


def settle_matches(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """What reading settled once every task is known, before the unread clauses are listed."""
    # "figure out if its a refill, …": the classifier's own question, no condition of anything
    matches[:] = [
        m
        for m in matches
        if not (
            m.kind == "unread_condition"
            and any(
                t.kind == "classify"
                and t.sentence == m.sentence
                and t.start <= m.start < t.start + len(t.text)
                for t in tasks
            )
        )
    ]
    # a task read by a later rule ("URGENT: reply right away …") quotes its clause: read
    matches += [
        Match("task", t.text, t.sentence, t.start, t.start + len(t.text))
        for t in tasks
        if t.start >= 0
        and t.sentence < len(sentences)
        and sentences[t.sentence][t.start : t.start + len(t.text)] == t.text
    ]


# "screens the gift message for profanity, harassment and personal data (…) and labels it ok,
# edit_needed or reject": what the screen looks for, up to the labelling
_SCREENED_FOR = re.compile(
    r"\b(?:screen|check|review|scan|vet)s?\s+(?:the\s+|each\s+|every\s+|it\s+)?(?:[\w-]+\s+){0,3}?for\s+"
    r"(?P<what>.+?)\s*,?\s+(?:and\s+)?(?:then\s+)?(?:labels?|tags?|classif\w*|marks?|sorts?)\b",
    re.I,
)


def screen_into_labels(sentences: list[str], tasks: list[Task]) -> list[Task]:
    """ "A model screens the message for profanity and personal data and labels it ok, edit_needed
    or reject": one model step, the labelling; what it screens for is how it labels (no second,
    stock moderation step with the brief's examples as its categories)."""
    out = list(tasks)
    for screen in [t for t in tasks if t.kind == "moderate" and t.start >= 0]:
        judge = next(
            (t for t in tasks if t.kind == "classify" and t.labels and t.sentence == screen.sentence), None
        )
        said = _SCREENED_FOR.search(sentences[screen.sentence]) if judge is not None else None
        if judge is None or said is None:
            continue
        judge.criteria = " ".join(said.group("what").split())
        judge.also.append(screen)
        out.remove(screen)
    return out


def labels_not_verbs(sentences: list[str], tasks: list[Task]) -> list[Task]:
    """ "Moderate cases create a follow-up task": a label of the classifier before a noun, never
    the verb "moderate" (that takes an object: "moderate the comments")."""
    labels = {label for t in tasks if t.kind == "classify" for label in t.labels}
    out = []
    for task in tasks:
        word = task.text.strip().lower()
        after = sentences[task.sentence][task.start + len(task.text) :] if task.start >= 0 else ""
        if (
            task.kind == "moderate"
            and word.startswith("moderat")
            and word in labels
            and not re.match(
                r"\s+(?:the|it|them|this|these|those|each|every|all|any|our|their)\b", after, re.I
            )
        ):
            continue
        out.append(task)
    return out


def options_are_no_actions(sentences: list[str], tasks: list[Task]) -> list[Task]:
    """ "pick a tone: gentle, firm or escalate": an option a model picks, never an action of its
    own, in its list or where a lead names it ("for escalate (…) create a task"): the step for the
    option is whatever the brief says to do for it."""
    from copilot.draft.decisions import decision_options

    listed = {(t.sentence, option) for t in tasks if t.kind in ("decide", "classify") for option in t.labels}
    listed |= {
        (index, option) for index, sentence in enumerate(sentences) for option in decision_options(sentence)
    }
    options = {option for _, option in listed}
    out = []
    for t in tasks:
        word = t.text.strip().lower()
        before = sentences[t.sentence][: t.start] if t.start >= 0 else ""
        if t.kind in ("notify", "act", "store") and (
            (t.sentence, word) in listed
            or (word in options and re.search(r"\b(?:for|if|when|on)\s+(?:an?\s+|the\s+)?$", before, re.I))
        ):
            continue
        out.append(t)
    return out


def named_kinds(sentences: list[str], tasks: list[Task]) -> list[Task]:
    """ "figure out if its a normal checkin, a change of address, or something sketchy … - call
    those "checkin", "address_change", "flight_risk"": the classifier's labels are those names
    (its own reading of the kinds, one for one, is replaced), and "call" is no phone call."""
    out = list(tasks)
    for index, sentence in enumerate(sentences):
        m = NAMED_AS.search(sentence)
        if m is None:
            continue
        names = [n.lower() for n in re.findall(r"[\"“'`]([\w-]+)[\"”'`]", m.group("names"))]
        judge = next((t for t in tasks if t.kind in ("classify", "decide") and t.sentence == index), None)
        if judge is None:
            continue
        judge.labels = names
        out = [t for t in out if not (t.sentence == index and t.kind == "act" and t.start >= m.start())]
        for task in out:
            cond = task.condition
            if (
                cond is not None
                and cond.kind == "label"
                and isinstance(cond.value, str)
                and cond.value not in names
            ):
                # a lead read against the old names: "normal checkins" is the first kind named
                task.condition = _renamed(cond, names)
    return out


def _renamed(cond: Condition, names: list[str]) -> Condition | None:
    """A label test on a name the brief replaced: the new name it shares a word with, else none."""
    words = set(str(cond.value).split("_"))
    match = next((n for n in names if words & set(n.split("_"))), None)
    if match is None:
        return None
    cond.value = match
    return cond
