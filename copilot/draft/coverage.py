"""Does a flow do what its brief says? Each requirement clause → the steps that implement it.

Works on any flow with a brief, drafted offline or by an LLM: every step must carry a
`why` (the quoted clause of the brief it implements, or the building block it is), every
quote must occur in the brief, and every requirement clause of the brief
(`copilot.draft.clauses`) must be implemented by some step. A clause that writes to an
outside system needs a step that calls out (http); a clause the brief limits to some
events ("for urgent tickets", "if the score is above 0.8") needs an `if:` on its side
effect. The findings use the lint finding shape, so the draft summary, the JSON output
and the LLM repair prompt treat them like lint findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from copilot.draft.clauses import Clause, locate, normalise, requirement_clauses
from copilot.draft.constraints_held import constraints_held
from copilot.draft.constraints_kept import constraints_kept, is_side_effect
from copilot.draft.findings import finding, flow_steps
from copilot.draft.kept_out import (
    asks_model_work,
    does_model_work,
    held_for_approval,
    kept_from_models,
    models_forbidden,
)
from copilot.draft.phrases import DOCUMENT_NOUNS
from copilot.draft.prohibitions import (
    DONE_ELSEWHERE,
    HOURS_OF_DAY,
    NO_MODELS,
    NOTHING_OBJECT,
    constraints,
    keeps_from_models,
)
from copilot.draft.reading import UNMAPPED_CONDITION
from copilot.draft.unaddressed import unaddressed


@dataclass
class Row:
    """One requirement clause and the steps that implement it."""

    clause: Clause
    steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)  # codes of the findings about this clause

    def to_json(self) -> dict[str, Any]:
        return {
            "clause": self.clause.text,
            "kind": self.clause.kind,
            "steps": self.steps,
            # quoted is not done: a clause with a finding is a gap even when steps quote it
            "mapped": (bool(self.steps) or self.clause.kind == "constraint") and not self.gaps,
            "gaps": self.gaps,
            "notes": self.notes,
        }


@dataclass
class Coverage:
    rows: list[Row]
    findings: list[dict[str, Any]]

    @property
    def unmapped(self) -> list[str]:
        return [r.clause.text for r in self.rows if not r.steps and r.clause.kind != "constraint"]

    @property
    def nothing_mapped(self) -> bool:
        return not any(r.steps for r in self.rows if r.clause.kind != "constraint")

    def to_json(self) -> list[dict[str, Any]]:
        return [row.to_json() for row in self.rows]


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


# Work only a model that sees images can do: "use a vision model", "look at the photos"
_SEES_IMAGES = re.compile(
    r"\b(?:vision|multi-?modal)\b|\b(?:look(?:s|ing)? at|inspect\w*|analy[sz]\w*|compar\w*|examin\w*)\s+"
    r"(?:the\s+|each\s+|every\s+|both\s+)?(?:[\w-]+\s+){0,2}?(?:photos?|images?|pictures?|screenshots?|"
    r"scans?|frames?)\b",
    re.I,
)


def check(data: dict[str, Any], brief: str) -> Coverage:
    """Coverage of `brief` by the flow `data` (a plain mapping, as loaded or drafted)."""
    findings: list[dict[str, Any]] = []
    steps = flow_steps(data)
    ids = {str(s.get("id")) for s in steps}
    quotes: dict[str, list[tuple[int, int]]] = {}  # step id -> where its quotes sit in the brief
    for index, step in enumerate(steps):
        sid = str(step.get("id"))
        why = step.get("why")
        if not isinstance(why, dict) or not (why.get("brief") or why.get("block")):
            findings.append(
                finding(
                    "DR002",
                    f"step `{sid}` says nothing of why it exists: quote the brief's clause it implements "
                    "(why.brief) or name the building block it is (why.block + why.serves)",
                    ["steps", index, "id"],
                    "a step the brief never asks for is an invention: remove it, or quote the clause",
                )
            )
            continue
        quote = why.get("brief")
        if quote:
            for n, one in enumerate(quote if isinstance(quote, list) else [quote]):
                at = locate(str(one), brief)
                if at is None:
                    findings.append(
                        finding(
                            "DR003",
                            f"step `{sid}` quotes {str(one)[:80]!r}, which is not in the brief",
                            ["steps", index, "why", "brief", *([n] if isinstance(quote, list) else [])],
                            "quote the brief word for word (case and spacing may differ)",
                        )
                    )
                else:
                    quotes.setdefault(sid, []).append(at)
        elif why.get("block"):
            serves = why.get("serves") or []
            unknown = [s for s in serves if s not in ids]
            if not serves or unknown:
                findings.append(
                    finding(
                        "DR004",
                        f"step `{sid}` is {_article(str(why.get('block')))} {why.get('block')} "
                        "that serves " + (f"unknown steps {unknown}" if unknown else "no step"),
                        ["steps", index, "why", "serves"],
                        "name the steps this building block exists for",
                    )
                )
    rows = [Row(clause) for clause in requirement_clauses(brief)]
    options = _answer_options(brief)
    by_id = {str(s.get("id")): s for s in steps}
    for row in rows:
        at = locate(row.clause.text, brief)
        if at is None:
            continue
        for sid, spans in quotes.items():
            for a, b in spans:
                overlap = min(b, at[1]) - max(a, at[0])
                if overlap > 0 and overlap >= 0.5 * min(b - a, at[1] - at[0]):
                    row.steps.append(sid)
                    break
    held = held_for_approval(brief)
    for row in rows:
        clause = row.clause
        where = ["brief"]
        if not row.steps and any(clause.text in text or text in clause.text for text in held):
            continue  # said once below, as held for approval
        if _SEES_IMAGES.search(clause.text) and not re.search(
            r"\bin person\b|\bby hand\b|\bfor\s+(?-i:[A-Z])[a-z]+\s+to\b", clause.text, re.I
        ):  # "a task for Marco to inspect the frame in person": a person's work
            # "Use a vision model to compare the two sets of photos": a model step gets text
            findings.append(
                finding(
                    "DR001",
                    f"the brief asks to {clause.text!r}, which needs a model that sees images; flowgen's "
                    "model steps send text, so the drafted steps read the event as text (image URLs as "
                    "strings)",
                    where,
                    "call a vision model through an http step, or check this step by hand",
                    clause=clause.text,
                )
            )
            continue
        if not row.steps and NO_MODELS.search(clause.text):
            continue  # "No LLM is needed to decide anything here": a rule, judged by the model steps
        if not row.steps and NOTHING_OBJECT.match(clause.text):
            continue  # "send nothing to the customer": no step is what it asks
        if not row.steps:
            findings.append(
                finding(
                    "DR001",
                    f"the brief asks to {clause.text!r} and no step implements it",
                    where,
                    "add a step whose why.brief quotes it, or say in the brief that it is out of scope",
                    clause=clause.text,
                )
            )
            continue
        if asks_model_work(clause) and not any(does_model_work(by_id[sid]) for sid in row.steps):
            # "have the model explain the likely cause" mapped to a lookup that quotes the clause
            findings.append(
                finding(
                    "DR001",
                    f"the brief asks to {clause.text!r}, and the steps that quote it "
                    f"({', '.join(row.steps)}) only read or send data: no model step writes or judges it",
                    where,
                    "add a model step whose why.brief quotes it",
                    clause=clause.text,
                )
            )
        effects = [sid for sid in row.steps if is_side_effect(by_id[sid])]
        if clause.destination and not effects and not any(by_id[s].get("type") == "http" for s in row.steps):
            findings.append(
                finding(
                    "DR006",
                    f"the brief asks to {clause.text!r}, which writes to {clause.destination}, "
                    "and no step calls it",
                    where,
                    f"add an http step that sends the result to {clause.destination}",
                    clause=clause.text,
                )
            )
        if clause.limiter:
            for sid in effects:
                if not by_id[sid].get("if"):
                    index = steps.index(by_id[sid])
                    findings.append(
                        finding(
                            "DR005",
                            f"step `{sid}` runs on every event, but the brief limits it ({clause.limiter!r} "
                            f"in {clause.text!r})",
                            ["steps", index, "id"],
                            "give it an `if:` on the output field that decides it",
                            clause=clause.text,
                        )
                    )
        decided = _decided_options(steps)
        if (
            clause.kind == "effect"
            and keeps_from_models(clause.text)
            and _names_option_anywhere(clause.text, decided)
        ):
            findings.append(
                finding(
                    "DR010",
                    f"the brief fixes the decision in a case ({clause.text!r}), and no step enforces it: "
                    "the model still decides",
                    where,
                    "add a transform after the decision that sets that option in that case",
                    clause=clause.text,
                )
            )
        elif (
            clause.kind == "effect"
            and not clause.destination
            and not _names_option(clause.text, options)
            and not any(by_id[s].get("type") == "http" for s in row.steps)
        ):
            findings.append(
                finding(
                    "DR006",
                    f"the brief asks to {clause.text!r}, which changes something outside the flow, "
                    "and no step calls out to do it",
                    where,
                    "add an http step that does it (quoting the clause), or say in the brief that it is "
                    "out of scope",
                    clause=clause.text,
                )
            )
        findings += _systems_called(row, steps, by_id)
        findings += _documents_read(row, steps)
        for sid in row.steps:
            step = by_id[sid]
            if step.get("if") and clause.kind == "effect":
                row.notes.append(f"{sid} if {str(step['if']).strip('{} ')}")
    findings += constraints_kept(data, brief, steps, quotes)
    schema = (data.get("trigger") or {}).get("event_schema") or {}
    listed = frozenset(
        str(v)
        for spec in (schema.get("properties") or {}).values()
        if isinstance(spec, dict)
        for v in spec.get("examples") or []
        if isinstance(v, str)
    )
    rules, broken = constraints_held(brief, steps, quotes, listed)
    findings += broken
    rows += [Row(Clause(r.text, r.sentence, r.verb, "constraint"), r.steps, r.notes) for r in rules]
    findings += _answer_returned(data, options)
    findings += _per_item(data, brief)
    findings += unaddressed(data)  # an email or a text with no `to`
    findings += [
        finding(
            "DR006",
            f"the brief holds {text!r} for a person's approval, which no flow step can wait for: the "
            "action is left out of the draft",
            ["brief"],
            "do it where a person approves it (a ticket or a human-task queue the flow posts to), or draft "
            "the wait by hand",
            clause=text,
        )
        for text in dict.fromkeys(t for t in held if len(t.split()) > 3)
    ]
    findings += kept_from_models(data, brief)
    from copilot.draft.sentences import split_sentences
    from copilot.draft.withheld import withheld_findings

    findings += withheld_findings(data, split_sentences(brief))
    findings += models_forbidden(data, brief)
    for row in rows:
        row.gaps = [f["code"] for f in findings if f.get("clause") == row.clause.text]
    return Coverage(rows, findings)


# Documents a clause names as the source of truth: the draft must retrieve them.
_DOCUMENT_WORDS = (
    r"(?:polic(?:y|ies)|terms|rules|catalog(?:ue)?|price ?list|procedures?|brochure|protocol|"
    + DOCUMENT_NOUNS
    + r")\b"
)
_DOCUMENTS = re.compile(
    # the name's own words ("our \"Flight Time Limitations Manual\""), never across a preposition
    rf"\b(?:our|the|their|its)\s+(?:(?!(?:the|our|their|its|with|from|and|or|to|in|of|for|against|using)\b)"
    rf"[\w\"“”'&-]+\s+){{0,4}}?[\"“]?{_DOCUMENT_WORDS}",
    re.I,
)
_GROUNDED = re.compile(
    r"\b(?:from|based on|according to|against|with|in line with|per|using|grounded in|quoting|cite|citing|"
    r"check(?:ed)? (?:it )?against|follow(?:ing)?)\b",
    re.I,
)


def _documents_read(row: Row, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A clause that answers or decides from the team's documents needs a retrieval of them."""
    text = row.clause.text
    docs = _DOCUMENTS.search(text)
    if docs is None or not _GROUNDED.search(text[: docs.start()]) or row.clause.kind == "effect":
        return []
    if any(s.get("type") == "retrieve" for s in steps):
        return []
    return [
        finding(
            "DR009",
            f"the brief asks to {text!r} from {docs.group(0)!r}, and no step retrieves them "
            "(a model would answer from memory)",
            ["brief"],
            "add a retrieve step over those documents (pinned) and let the step that answers need it",
            clause=text,
        )
    ]


# Verbs a prohibition forbids the flow ("never charge…", "don't give away…"), beyond the
# requirement reader's action verbs.
_FLOW_VERBS = frozenset({
    "charge", "bill", "give", "publish", "share", "include", "expose", "mention", "promise", "confirm",
    "contact", "use", "guess", "show", "reveal", "disclose", "refill", "delete", "process", "approve",
    "reject", "send", "email", "store", "log", "reply", "answer", "call", "text", "page", "post", "create",
    "open", "close", "cancel", "refund", "notify", "escalate", "assign", "update",
})  # fmt: skip
_PROHIBITION = re.compile(
    r"\b(?:never|don'?t|do not|dont|must not|mustn'?t|should not|shouldn'?t|no need to)\s+"
    r"(?:[\w'-]+\s+){0,2}?([a-z][\w-]*)",
    re.I,
)
_FILTER_LEAD = re.compile(r"^\W*(?:ignore|skip|exclude|drop|discard|disregard)\b", re.I)
_MODAL = re.compile(r"\b(?:must|should|needs?|has to|have to|always|automatically)\b", re.I)
_IMPERATIVE = re.compile(
    r"^\W*(?:give|work out|go through|keep|make|put|take|compute|calculate|pull|validate|verify|estimate|"
    r"determine|generate|look up|fetch|check)\b",
    re.I,
)
_PURPOSE = re.compile(r"^\W*(?:so|so that|because|since|as|which|who|while)\b", re.I)
# "We run three dispensaries in Colorado", "I'm a wedding photographer": who the team is
_ABOUT_US = re.compile(
    r"^\W*(?:we|i)\s+(?:run|are|have|own|operate|manage|sell|install|recruit|make|work|use)\b|^\W*i['’]?m\s+an?\b",
    re.I,
)


def is_filter(text: str) -> bool:
    """ "Ignore discontinued items", "Skip drafts": the clause leaves some events alone."""
    return bool(_FILTER_LEAD.match(text))


def prohibited_verb(text: str) -> str | None:
    """The verb a prohibition forbids, singular ("never emails them" -> `email`); None if none."""
    prohibited = _PROHIBITION.search(
        re.sub(r"\b(?:ever|always|just|automatically|auto-?)\s+", "", text, flags=re.I)
    )
    return prohibited.group(1).lower().rstrip("s") if prohibited else None


def asks_something(text: str) -> bool:
    """Whether a clause the drafter could not read still asks the flow for something: a
    prohibition of something the flow does, a filter, a named system to use, a modal
    instruction or an imperative. Quoted text is what someone says, not the brief's request;
    a purpose clause ("so the customer sees…") explains, it does not ask."""
    from copilot.draft.scene import people_do
    from copilot.draft.subjects import systems_named

    plain = re.sub(r"[\"“][^\"”]*[\"”]", " ", text)
    if _PURPOSE.match(plain) or _ABOUT_US.match(plain) or people_do(plain):
        return False
    prohibited = _PROHIBITION.search(plain)
    return bool(
        (prohibited and prohibited.group(1).lower().rstrip("s") in _FLOW_VERBS)
        or _FILTER_LEAD.match(plain)
        or systems_named(plain)
        or _MODAL.search(plain)
        or _IMPERATIVE.match(plain)
    )


# Conditions on what the event's text says: a classifier reads those from the text itself.
_TEXT_JUDGEMENT = re.compile(
    r"\b(?:about|mentions?|mentioning|contains?|containing|talks? about|asks?|says?|wants?|refers? to|"
    r"written in|"
    r"sounds?|seems?|looks? like|angry|upset|rude|abusive|urgent|in (?:english|spanish|french|german))\b",
    re.I,
)


def _asked_of_services(data: dict[str, Any]) -> set[str]:
    """Output fields that an http step answers ("our rule engine decides serious_event"): read
    from a system the brief names, not guessed by a model."""
    return {
        str(name)
        for s in flow_steps(data)
        if s.get("type") == "http" and isinstance(s.get("output_schema"), dict)
        for name in (s["output_schema"].get("properties") or {})
    }


def _quoted_without_it(condition: str, data: dict[str, Any]) -> bool:
    """A side effect quotes the clause `condition` opens, and its `if:` reads nothing of it."""
    from copilot.draft.sentences import split_sentences

    said = normalise(condition)
    words = {w for w in re.findall(r"[a-z]{4,}", said)}
    # the sentence the condition opens: a step quoting its action is the one it limits
    sentence = next(
        (normalise(s) for s in split_sentences(str(data.get("brief") or "")) if said in normalise(s)), ""
    )
    for step in flow_steps(data):
        why = step.get("why") or {}
        quotes = why.get("brief") if isinstance(why, dict) else None
        quoted = [normalise(q) for q in (quotes if isinstance(quotes, list) else [str(quotes or "")]) if q]
        if step.get("type") == "http" and said and any(q in sentence for q in quoted):
            tested = set(re.findall(r"[a-z]{4,}", str(step.get("if", "")).lower().replace("_", " ")))
            return not words & tested
    return False


def judged_from_text(unmapped: list[str], data: dict[str, Any]) -> list[tuple[str, str]]:
    """(condition, classifier field) for each unread condition that judges the event's own text
    ("If the question mentions an exceedance") and that a step's `if:` reads from the classifier:
    decided, as the draft says, never "not understood" beside a flow that uses it."""
    from copilot.draft.conditions import condition_field

    conditions = " ".join(str(s.get("if", "")) for s in flow_steps(data))
    out = []
    for phrase in unmapped:
        text = phrase.removesuffix(UNMAPPED_CONDITION)
        judged = phrase.endswith(UNMAPPED_CONDITION) and _TEXT_JUDGEMENT.search(text)
        if judged and not re.search(r"[<>=]|\d", text) and f"output.{condition_field(text)}" in conditions:
            out.append((phrase, condition_field(text)))
    return out


def unread_instructions(unmapped: list[str], data: dict[str, Any]) -> list[dict[str, Any]]:
    """What the drafter could not read that still matters: an instruction no step carries out,
    or a condition it could only hand to the classifier as a guess (a field the model must
    decide from the event's text, where the brief may mean data a system holds). Each is a gap
    (the draft says so and exits 1), never a note a reader may skim past. Prohibitions and
    filters are DR005/DR007's: they are judged by what the flow does, not by what was read."""
    from copilot.draft.conditions import condition_field
    from copilot.draft.verbs import instructs

    conditions = " ".join(str(s.get("if", "")) for s in flow_steps(data))
    out: list[dict[str, Any]] = []
    for phrase in unmapped:
        condition = phrase.endswith(UNMAPPED_CONDITION)
        text = phrase.removesuffix(UNMAPPED_CONDITION)
        if condition and any(
            (c := f.get("clause")) and (text.startswith(c) or c.startswith(text)) for f in out
        ):
            continue  # the same condition, read with and without its action: said once
        forbids = _PROHIBITION.search(text) if condition else None
        if condition and forbids is None and re.search(r"\b(?:never|don'?t|dont|do not)\s*$", text, re.I):
            # "if the student is an international student dont": the verb follows it in the brief
            brief_text = " ".join(str(data.get("brief") or "").split())
            at = brief_text.find(" ".join(text.split()))
            forbids = _PROHIBITION.search(brief_text, at) if at >= 0 else None
        if forbids is not None and forbids.group(1).lower().rstrip("s") in _FLOW_VERBS:
            # "if the student is an international student dont text them": an action kept from some
            # events the draft could not tell apart, so it may run on them
            message = (
                f"the brief keeps an action from some events ({text!r}), and the draft could not read "
                "which: the step may run on them"
            )
        elif condition:
            field_name = condition_field(text)
            threshold = re.search(
                r"[<>=]|\d|\b(?:above|below|over|under|more than|less than|at least)\b", text
            )
            left_to_model = re.search(
                re.escape(text)
                + r"\s*,?\s*\(?(?:as\s+)?(?:judged|decided|assessed|determined)\s+by\s+(?:the\s+)?"
                r"(?:model|llm|ai)\b",
                " ".join(str(data.get("brief") or "").split()),
                re.I,
            )
            dropped = f"output.{field_name}" not in conditions and _quoted_without_it(text, data)
            if dropped:
                # "Otherwise, if a copy is available at their branch, email …": the email is drafted
                # with the otherwise alone, so it runs whether or not a copy is available
                message = (
                    f"the brief makes a step conditional on {text!r}, which the draft could not read: the "
                    "step runs without it"
                )
            elif (
                f"output.{field_name}" not in conditions
                or left_to_model  # "If the company is a major brand, as judged by the model": asked
                or (_TEXT_JUDGEMENT.search(text) and not threshold)
                or field_name in _asked_of_services(data)
            ):
                # read some other way (a band, the deadline answer), or a judgement on the event's
                # own text that a classifier can make ("if the article is about elections")
                continue
            else:
                message = (
                    f"the brief makes a step conditional on {text!r}, which the draft could not read: the "
                    f"classifier guesses it as `{field_name}`; check that a model can see this in the event"
                    + (" (the brief's number is not in the guess)" if threshold else "")
                )
        elif text.endswith(")"):
            continue  # the drafter's own note on a guess it made ("(no channel named: …)"), said already
        elif held_for_approval(text):
            continue  # held for a person's approval: coverage says so (DR006)
        elif DONE_ELSEWHERE.search(text):
            continue  # "DTI is computed by our underwriting engine": another system's work, said
        elif keeps_from_models(text) and not _MODAL.search(text):
            continue  # "Humans in Trust & Safety decide bans": a decision kept from the flow; DR007
        elif re.match(r"\W*whether\b", text, re.I) and keeps_from_models(text):
            continue  # "Whether to suspend an agent is a compliance-team decision": DR007 judges steps
        elif HOURS_OF_DAY.search(text) and asks_something(text):
            # "dont send sms between 11pm and 6am": hours of the day, which no `if:` can read
            message = (
                f"the brief limits an action to hours of the day ({text!r}); a step's `if:` cannot read "
                "the clock, so the drafted step runs at any hour"
            )
        elif (verb := prohibited_verb(text)) is not None and not any(
            verb[:4] in str(s.get("id", "")).lower() for s in flow_steps(data)
        ):
            continue  # "Never cancel a citation automatically": kept, as no step cancels (else DR007)
        elif (instructs(text) and not constraints(text)) or asks_something(text):
            message = f"the brief says {text!r}, and the draft does nothing with it"
        else:
            continue
        out.append(
            finding("DR010", message, ["brief"], "draft it by hand, or reword the brief plainly", clause=text)
        )
    return out


# "For each booking", "per crew member", "for each of our 14 restaurants": work item by item
_PER_ITEM = re.compile(
    # never "the counts per topic", "the average per region": a figure of the whole run
    r"(?<!\bcounts )(?<!\bcount )(?<!\btotals )(?<!\btotal )(?<!\baverage )(?<!\bnumber )"
    # "sms every booked customer", "score each barrel": an action's object, item by item
    r"\b(?:for\s+(?:each|every)|per|on\s+each|to\s+each|(?<=[a-z] )(?:each|every)(?=\s+(?!single\b)[a-z]))"
    r"\s+(?:(?:one\s+)?of\s+(?:the|our|their|its|these|those)\s+"
    r"(?:\d+\s+)?)?"
    # "for every 1- or 2-star review": the item after its rating
    r"(?:\d+-?\s*(?:(?:or|and|to)\s+\d+-?\s*)?star\s+|[a-z]+-star\s+)?"
    r"(?!one\b|time\b)([a-z][a-z-]+)(?:\s+([a-z][a-z-]+))?",
    re.I,
)
# what a flow's run is already one of: "per event", "per minute", "under a cent per message"
_PER_RUN = frozenset({
    "event", "events", "run", "runs", "tick", "night", "day", "days", "week", "hour", "minute", "second",
    "month", "call", "request", "message", "webhook", "delivery", "invocation", "execution", "cent", "penny",
    "morning", "evening", "afternoon", "weekday", "weekend", "year", "quarter", "other", "time", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "shift", "batch",
})  # fmt: skip


_FOLLOWERS = frozenset({
    "we", "you", "they", "it", "i", "from", "in", "on", "to", "at", "by", "with", "and", "or", "the", "a",
    "an", "that", "which", "who", "is", "are", "was", "should", "must", "will", "can", "do", "does", "then",
})  # fmt: skip


def _per_item(data: dict[str, Any], brief: str) -> list[dict[str, Any]]:
    """A flow runs its steps once per event: work the brief asks for item by item over a list
    (the event's list field, or what a scheduled run fetches) has no step that does it so."""
    trigger = data.get("trigger") if isinstance(data.get("trigger"), dict) else {}
    schema = trigger.get("event_schema") if isinstance(trigger.get("event_schema"), dict) else {}
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    # a list the event carries: an array, or a name in the plural ("booking_refs", "crew_ids")
    lists = [
        str(name).lower()
        for name, spec in properties.items()
        if (isinstance(spec, dict) and spec.get("type") == "array") or re.search(r"(?:s|\[\])$", str(name))
    ]
    scheduled = trigger.get("type") == "schedule"
    out: list[dict[str, Any]] = []
    for m in _PER_ITEM.finditer(brief):
        head = m.group(1).lower()
        item = head.rstrip("s") or head
        if head in _PER_RUN or item in _PER_RUN or (m.group(2) or "").lower().rstrip("s") in _PER_RUN:
            continue  # "every school night": a time, not an item
        # "for each booking" over `booking_refs`, "per crew member" over `crew_ids`: the list's head noun
        listed = next((name for name in lists if name.split("_")[0].rstrip("s") == item), None)
        if listed is None and not scheduled:
            continue  # "for each lead": the event itself
        phrase = m.group(0).strip()
        if m.group(2) and m.group(2).lower() in _FOLLOWERS:
            phrase = brief[m.start() : m.end(1)].strip()  # "for each booking we want …"
        where = f"the event's list `{listed}`" if listed else "what the scheduled run fetches"
        out.append(
            finding(
                "DR012",
                f"the brief asks for work {phrase!r}, item by item over {where}, and the flow runs each "
                "step once: no step works per item",
                ["steps"],
                "make one step take the whole list (a model asked about every item, an http call with "
                "all of them), or send each item as its own event upstream",
                clause=phrase,
            )
        )
    return out


def _answer_returned(data: dict[str, Any], options: list[str]) -> list[dict[str, Any]]:
    """The brief says the response is one of some values ("return a verdict (allow, hold,
    block)"): the response body must carry a step's decision, not only an acknowledgement."""
    respond = data.get("respond")
    body = respond.get("body") if isinstance(respond, dict) else None
    if not options or ("steps." in str(body) and ("decision" in str(body) or "label" in str(body))):
        return []
    if isinstance(respond, dict) and respond.get("status") == 202:
        return []  # an acknowledgement: the brief's time is the work's, whose results leave by side effects
    return [
        finding(
            "DR011",
            f"the brief asks for an answer of {', '.join(options)}, and the response carries none "
            f"(body: {str(body)[:80]})",
            ["respond", "body"],
            "return the deciding step's output in respond.body, within the SLA",
        )
    ]


def _answer_options(brief: str) -> list[str]:
    """The values the response is one of ("approve, review or decline")."""
    from copilot.draft.response_options import read_response_options
    from copilot.draft.sentences import split_sentences

    return read_response_options(split_sentences(brief))


def _decided_options(steps: list[dict[str, Any]]) -> list[str]:
    """The options a model step decides between (its output's `decision` enum)."""
    out: list[str] = []
    for step in steps:
        if step.get("type") == "model":
            props = ((step.get("output_schema") or {}).get("properties") or {}).get("decision") or {}
            out += [str(o) for o in props.get("enum") or []]
    return out


def _names_option_anywhere(text: str, options: list[str]) -> bool:
    from copilot.draft.decisions import option_of

    return bool(options) and option_of(text, options) is not None


def _names_option(text: str, options: list[str]) -> bool:
    """ "Decline at 0.8", "send to review from 0.4": a band of the answer, not an action on the
    outside world (the clause's first words name one of the response's values)."""
    from copilot.draft.decisions import option_of

    return bool(options) and option_of(" ".join(re.findall(r"[A-Za-z][\w-]*", text)[:4]), options) is not None


def _calls(step: dict[str, Any]) -> str:
    """What a step calls, as one lowercase run of letters and digits (never its `why`)."""
    seen = {k: v for k, v in step.items() if k not in ("why", "prompt", "system")}
    return re.sub(r"[^a-z0-9]", "", repr(seen).lower())


def _systems_called(
    row: Row, steps: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """A clause that reads or writes a named system needs a call to that system, and a lookup a
    call at all: a model asked about an order does not read Shopify."""
    clause, out = row.clause, []
    readers = list(row.steps)
    if _DOCUMENTS.search(clause.text):
        # "retrieve the entry from the lab reference guide and have an LLM write …": the
        # retrieval that serves the quoting step reads the documents
        readers += [
            str(s.get("id"))
            for s in steps
            if s.get("type") == "retrieve" and set((s.get("why") or {}).get("serves") or []) & set(row.steps)
        ]
    if clause.kind == "lookup" and not any(by_id[s].get("type") in ("http", "retrieve") for s in readers):
        out.append(
            finding(
                "DR008",
                f"the brief asks to {clause.text!r}, a read from a system of record, and no step reads it "
                "(a model cannot look it up)",
                ["brief"],
                "add an http step (GET) or a retrieve step for it, and let the steps that need it "
                "depend on it",
                clause=clause.text,
            )
        )
        return out
    if clause.kind not in ("effect", "lookup"):
        return out
    callers = [_calls(s) for s in steps if s.get("type") in ("http", "retrieve")]
    retrieved = any(by_id[s].get("type") == "retrieve" for s in readers if s in by_id)
    for system in clause.systems:
        key = re.sub(r"[^a-z0-9]", "", system.lower())
        named = clause.text[max(clause.text.find(system), 0) :]
        if retrieved and re.match(
            rf"{re.escape(system)}(?:\s+[\w&-]+){{0,3}}?\s+{_DOCUMENT_WORDS}", named, re.I
        ):
            continue  # "the Lift Ops handbook": the name of the documents a retrieve step reads
        if re.match(rf"{re.escape(system)}\s+(?:booking\s+)?(?:link|url|page|address)\b", named, re.I):
            continue  # "with our Calendly link": a link the message carries, no call to Calendly
        if key and not any(key in called for called in callers):
            out.append(
                finding(
                    "DR008",
                    f"the brief names {system} for {clause.text!r}, and no step calls {system}",
                    ["brief"],
                    f"call {system} in an http step (e.g. url: ${{env:{key.upper()}_API_URL}}/…)",
                    clause=clause.text,
                )
            )
    return out


def quote_ok(quote: str, brief: str) -> bool:
    """True when `quote` occurs in `brief` (case- and whitespace-insensitively)."""
    return locate(quote, brief) is not None


__all__ = ["Coverage", "Row", "check", "normalise", "quote_ok"]
