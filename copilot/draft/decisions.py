"""Reading decisions: the options a brief decides between and the model actions it states by verb.

`decision_options` reads the options of one clause ("approve, hold or decline") and
`option_of` which option a phrase names (`copilot.draft.response_options` reads the answers
the caller gets back and the score bands that choose them).
`read_actions` reads the model work a brief asks for by its verb ("decide whether",
"check against the policy") that the task vocabulary did not cover.
"""

# ruff: noqa: E501  (the vocabulary below is regular expressions, one family per line, easier to read whole)
from __future__ import annotations

import itertools
import re

from copilot.draft.conditions import attach_conditions, negate
from copilot.draft.event_reading import fields_listed_at
from copilot.draft.labels import listed_labels, snake
from copilot.draft.phrases import CHANNELS, DOCUMENT_NOUNS, Match
from copilot.draft.reading import Condition, Task
from copilot.draft.tasks import BACKGROUND, clause_span

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_OBJECT_STOP = re.compile(
    r"\s+(?:\w+ing|via|through|using|with|in|on|to|into|for|from|at|when|if|unless|once|after|before|so|and|or|but|because|by)\b",
    re.I,
)


# A model verb of the brief -> the task kind that does it (for restatements of a task).
_MODEL_VERBS = {
    **dict.fromkeys(("classify", "categorise", "categorize", "triage", "label", "tag", "route", "sort", "detect", "identify"), "classify"),
    **dict.fromkeys(("score", "rate", "rank", "prioritise", "prioritize", "assess", "evaluate"), "score"),
    **dict.fromkeys(("summarise", "summarize"), "summarise"),
    **dict.fromkeys(("answer", "respond"), "answer"),
    # "have the model propose up to three reserve candidates": the model writes what is asked
    **dict.fromkeys(("reply", "draft", "write", "compose", "propose", "recommend", "suggest", "generate"), "reply"),
    **dict.fromkeys(("extract", "parse"), "extract"),
    "translate": "translate",
    "moderate": "moderate",
    "screen": "moderate",
    "enrich": "enrich",
    **dict.fromkeys(("check", "verify", "decide", "determine", "compare", "validate", "judge", "review", "pick", "choose", "select"), "decide"),
}  # fmt: skip
_OPTIONS = re.compile(
    r"\b(?:decides?|determines?|chooses?|picks?|selects?|returns?|answer(?:s|ing)?|recommends?|suggests?|figures?\s+out|flag it as|mark it as|(?<=\band )says?|(?<=\bto )say|(?:give|make|return)s?\s+(?:an?|its|their)\s+(?:recommendation|verdict|decision|rating|call))\b\s*(?:between\s+|whether\s+(?:to\s+)?|"
    # "decides the bed priority as routine, expedite or isolation_critical"
    r"(?:the\s+|its\s+|their\s+)(?:[\w-]+\s+){0,2}?[\w-]+\s+as\s+|"
    # "pick a tone for outreach: gentle, firm or escalate"
    r"(?:an?\s+|the\s+)(?:[\w-]+\s+){0,3}?[\w-]+\s*:\s*|"
    # "decide a go / marginal / no_go for the day": an article before the first option
    r"an?\s+(?=[\w-]+\s*/)|"
    # "decide one of three labels: ok, needs_inspection, or quarantine"
    r"one\s+of\s*(?:(?:two|three|four|five|these|the\s+following)\s+)?(?:labels|options|values|outcomes|verdicts)?\s*:?\s*|:\s*)?"
    r"[`'\"]?([\w-]+)[`'\"]?((?:\s*(?:,\s*or\b|,|/|\bor\b)\s*[`'\"]?[\w-]+[`'\"]?)+)",
    re.I,
)
_AGAINST = re.compile(
    # "against our \"Emergency Signs Handbook v3\" PDF": a quoted title is part of the name
    r"\b(?:against|per|according to|based on|using|with)\s+(?:the\s+|our\s+|their\s+)?((?:[\w&\"“”'-]+\s+){0,5}?"
    r"(?:sop(?:-[\w-]+)?[\"”]?|procedures?|manual)\b|(?:[\w&\"“”'-]+\s+){0,5}?"
    r"(?:policy|policies|list|playbook|guidelines?|handbook|rules|docs|documents|documentation|requirements|criteria|"
    r"style guide|terms))\b",
    re.I,
)


# "decide if it's a likely leak, a meter fault, or legit usage": the options are what it is
_IS_ONE_OF = re.compile(
    # "decides if its a scoring_error, …": "its" for "it's" in a chatty brief
    r"\b(?:decides?|determines?|judges?|tells?|works? out|says?|figures? out)\s+(?:if|whether)\s+"
    r"(?:its|(?:it|this|that|the\s+\w+)\s*(?:'s|’s|is|was))\s+",
    re.I,
)
_IS_ONE_OF_END = re.compile(
    r"[.;:!?()]|\b(?:and then|then|so|because|before|after|when|unless|based on|using|from|with|and (?:send|post|open|create|notify))\b"
    # "…plausible or a sensor glitch, and if it's a glitch open a ticket": the list ends at its if
    r"|,?\s*\b(?:and\s+|but\s+)?if\b",
    re.I,
)


def decision_options(clause: str) -> list[str]:
    """'decide approve or review' -> [approve, review]; none named -> []."""
    what = _IS_ONE_OF.search(clause)
    if what is not None:
        rest = clause[what.end() :]
        stop = _IS_ONE_OF_END.search(rest)
        items = [
            re.sub(r"^(?:an?|or)\s+", "", i.strip())
            for i in re.split(r",\s*(?:or\s+)?|\s+or\s+", rest[: stop.start() if stop else len(rest)])
        ]
        names = [snake(i) for i in items if i]
        if 2 <= len(names) <= 6 and all(len(i.split()) <= 3 for i in items) and len(set(names)) == len(names):
            return names
    m = _OPTIONS.search(clause)
    if not m:
        return []
    listed = m.group(2)
    last = re.search(r"\bor\s+[`'\"]?[\w-]+", listed)
    if last is not None:
        listed = listed[: last.end()]  # "ok, needs_inspection, or quarantine, quoting …": ends at "or X"
    rest = re.split(r"\s*(?:,|/|\bor\b)\s*", listed)
    # "accept, waitlist or reject, with a one-line reason": the list ends where prose starts
    rest = list(itertools.takewhile(lambda w: w.strip().lower() not in _NOT_OPTIONS, rest))
    words = [m.group(1), *rest]
    return list(dict.fromkeys(snake(w.strip("`'\" ")) for w in words if w.strip("`'\" ,")))[:6]


_NOT_OPTIONS = frozenset({"with", "and", "then", "so", "a", "an", "the", "for", "by", "within", "in", "to"})


def stem(word: str) -> str:
    """held -> hold, blocked -> block, approved -> approv, declines -> declin: options in any form."""
    w = word.lower().strip("`'\"")
    irregular = {
        "held": "hold",
        "sent": "send",
        "allowed": "allow",
        "approved": "approv",
        "approve": "approv",
        "denied": "deny",
        "denies": "deny",
    }
    if w in irregular:
        return irregular[w]
    if w.endswith("ss"):
        return w  # dismiss, pass: the s is the word's own
    for suffix in ("ions", "ion", "als", "al", "ing", "ed", "es", "e", "s"):  # rejections, dismissals
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


def is_band(clause: str, options: list[str]) -> bool:
    """A clause that states a value of the answer rather than an action: its verb is an option
    ("decline at 0.8 and above", "hold the post for a human"), or it answers with one
    ("answer `review`"), or it sends to one at a threshold ("send to review from 0.4").
    "Approved payouts get released" names an option as a condition, and is an action."""
    from copilot.draft.verbs import verb_of

    if re.match(r"\W*[\w-]+\s*(?:[=:]|->|→)\s*[a-z]", clause, re.I):
        return False  # "deny = email the claimant": the option leads the action done for it
    verb = verb_of(clause)
    if verb is None:
        return False
    if option_of(verb, options):
        return True
    rest = clause.lower()
    # "answer `review`": the option after the verb ("Pricing questions are answered from the docs"
    # names the events, not the answer)
    said = re.search(rf"\b{re.escape(verb)}\w*\b", rest)
    if verb in ("answer", "respond", "reply", "return") and option_of(
        rest[said.end() if said else 0 :], options
    ):
        return True
    return (
        verb in ("send", "route", "move", "put")
        and bool(option_of(rest, options))
        and bool(re.search(r"\d", rest))
    )


def option_of(text: str, options: list[str]) -> str | None:
    """The response option a phrase names, in any inflection ("Blocked posts" -> block)."""
    words = re.findall(r"[A-Za-z][\w-]*", text)
    for word in words:
        if word.lower() in options:  # "If the decision is needs_manager": the option as written
            return word.lower()
    words = re.findall(r"[A-Za-z][A-Za-z0-9]*", text)  # "break-ins" is the option `break_in`
    # a two-word option ("manual_review") is named by its words in a row
    for option in options:
        parts = option.split("_")
        if len(parts) > 1:
            for i in range(len(words) - len(parts) + 1):
                run = words[i : i + len(parts)]
                if [stem(w) for w in run] == [stem(p) for p in parts] or "_".join(run).lower() in (
                    option,
                    f"{option}s",  # "break-ins" for `break_in`
                ):
                    return option
    stems = {stem(o): o for o in options if "_" not in o}
    for word in words:
        if stem(word) in stems:
            return stems[stem(word)]
    return None


def clauses_of(sentence: str) -> list[tuple[int, int]]:
    from copilot.draft.verbs import clause_spans

    return clause_spans(sentence)


# "… go to the visitor services team in Zendesk", "… is routed to billing": the destination
_ROUTED = re.compile(
    r"\b(?:go|goes|is sent|are sent|gets? sent|is routed|are routed|should go|must go)\s+(?:straight\s+)?(?:in)?to\s+"
    r"(?:the\s+|our\s+|their\s+)?((?:[\w#&'-]+\s+){0,3}?[\w#&'-]+?)(?=\s+(?:in|on|via|through|using|at|by)\b|[,.;]|$)",
    re.I,
)


# "have an LLM write …", "get the model to draft …": work the brief hands to a model
# A system named in lower case by what it is, that a check goes through: "via the identity
# service", "in our gym mgmt system (mindbody)"
_SERVICE_NAMED = re.compile(
    r"\b(?:via|through|using|in|against|with)\s+(?:the|our)\s+(?P<words>(?:[a-z][\w-]*\s+){1,3}?)"
    r"(?:service|system)\b(?:\s*\((?P<paren>[a-z][\w.-]*)\))?"
)

# What a model marks in its answer when the brief hands it the work ("… and flag the outliers")
_MODEL_MARKS = frozenset({"flag", "mark", "tag", "label", "rank", "highlight", "note", "list"})

_DELEGATED = re.compile(
    r"\b(?:have|get|let|ask|use|want|need|like)\s+(?:an?\s+|the\s+|our\s+)?(?:llm|model|ai|gpt[\w.-]*|language model)\s+"
    r"(?:to\s+)?([a-z]+)"
    # "The model should flag whether the sale breached a limit": the model's work, not an action
    r"|^\W*(?:the|an?|our)\s+(?:llm|model|ai|bot)\s+(?:should|must|will|can|needs?\s+to|has\s+to)\s+(?:also\s+)?([a-z]+)",
    re.I,
)
# "sections of our \"Flight Time Limitations Manual\"": documents named as what is read
_DOCUMENTS_READ = re.compile(
    r"\b(?:of|from|in)\s+(?:the|our|its|their)\s+((?:[\w\"“”'-]+\s+){0,5}(?:policy|rules|"
    + DOCUMENT_NOUNS
    + r")[\"”]?)",
    re.I,
)


# 'and say "slow_leak", "blowout_risk" or "sensor_fault"': the options a model is to say
_SAID_OPTIONS = re.compile(r"\b(?:says?|answer|return|output)\s+[\"“'`][\w-]+[\"”'`]\s*(?:,|\bor\b)", re.I)
_MODEL_KINDS = frozenset(
    {"classify", "score", "summarise", "answer", "reply", "extract", "translate", "moderate", "decide"}
)
# "(lockout_home, lockout_car, rekey or not_a_job)": options listed in parentheses
_LISTED_OPTIONS = re.compile(r"\(\s*[\w-]+(?:\s*,\s*[\w-]+)+\s*,?\s*(?:or|and)\s+[\w-]+\s*\)")


# systems a brief may name in lower case ("the approved vendors airtable"): where the call goes
_KNOWN_SYSTEM = re.compile(
    r"\b(?:salesforce|hubspot|zendesk|jira|linear|notion|airtable|bigquery|snowflake|shopify|stripe|github|"
    r"gitlab|confluence|workday|netsuite|quickbooks|xero|mailchimp|intercom|freshdesk|servicenow|trello|"
    r"asana|monday|clickup|pipedrive|zoho|gorgias|helpscout|front|twilio)\b",
    re.I,
)
_SOURCE = re.compile(
    r"\b([A-Z][\w.-]*[A-Za-z0-9])(?:['’]s)?\s+(?:[\w/.-]+\s+){0,1}?(?:calls|sends|posts|fires|hits|pushes|publishes|"
    r"notifies|triggers|delivers)\b"
)


def _event_source(sentences: list[str]) -> str | None:
    """The system the events come from ("Zendesk calls our webhook …", "When Shopify sends …")."""
    for sentence in sentences[:2]:
        m = _SOURCE.search(sentence)
        if m is not None and m.group(1).lower() not in ("when", "if", "our", "the", "every", "each", "it"):
            return m.group(1).lower()
    return None


def _verb_of(delegated: re.Match[str]) -> str:
    """The verb a delegation hands to the model ("have an LLM write", "the model should flag")."""
    return (delegated.group(1) or delegated.group(2) or "").lower()


# "from the lab reference guide", "Use the freeze policy PDF to decide": documents a clause works from
_FROM_DOCUMENTS = re.compile(
    r"\b(?:from|in|use|using|per|according to|based on|against)\s+(?:the|our|their)\s+((?:[\w-]+\s+){0,3}?"
    r"(?:guide|guidelines|policy|policies|handbook|playbook|manual|faq|docs|documentation|articles|"
    r"knowledge ?base|runbook|wiki|terms|rules|pdf|sheets?))\b",
    re.I,
)


def documents_named(text: str) -> re.Match[str] | None:
    """The documents a clause says it works from (group 1), or None."""
    return _FROM_DOCUMENTS.search(text)


# A first word that reads as a verb but heads a noun phrase whose own verb is a passive
# prohibition: "Schedule II substances are never auto-queued" (what must not happen, no action)
_NOUN_LEAD = re.compile(
    r"^\W*[A-Za-z]+\s+(?!(?:the|a|an|our|their|its|it|them|each|every|all|any|this|that|these|those|his|her|"
    r"your|to|in|on|by|for|with|from)\b)[\w-]+(?:\s+[\w-]+){0,3}?\s+(?:are|is|were|was)\s+(?:never|not)\s+"
    r"[\w-]*(?:ed|en)\b",
    re.I,
)
_NOUN_NEEDS = re.compile(
    r"^\W*[A-Za-z]+\s+(?:decisions?|answers?|replies|responses?|alerts?|results?|notices?|updates?)\s+"
    r"(?:need|needs|must|should|have|has)\b",
    re.I,
)
_CODE_RULE = re.compile(
    r"\b(?:a |the )?(?:plain|hard|fixed|simple|deterministic) (?:rule|check|code) (?:must|should|has to|will)\b",
    re.I,
)


def read_actions(
    sentences: list[str],
    brief: str,
    tasks: list[Task],
    matches: list[Match],
    options: list[str] | None = None,
) -> list[Task]:
    """Actions the task vocabulary has no word for ("block the card via our risk API"), read as
    verb + object + the system named, so no requirement of the brief is silently dropped."""
    from copilot.draft.clauses import requirement_clauses
    from copilot.draft.prohibitions import (
        DONE_ELSEWHERE,
        NO_MODELS,
        NOT_AN_ORDER,
        NOTHING_OBJECT,
        waits_for_approval,
    )
    from copilot.draft.record_verbs import CAUSED_DONE
    from copilot.draft.verbs import ASKED_WHETHER, CHANNEL_ONLY, received_noun

    # A clause is implemented only by a task that acts: "post a summary to Slack" needs a
    # post, even though the summary task sits in the same clause.
    taken = [
        (t.sentence, clause_span(sentences[t.sentence], t.start))
        for t in tasks
        if t.start >= 0 and t.kind in ("notify", "store", "act", "enrich")
    ]
    added: list[Task] = []
    document_reads: list[tuple[Task, str]] = []
    clauses = requirement_clauses(brief)
    for number, clause in enumerate(clauses):
        index = next((i for i, s in enumerate(sentences) if clause.text in s), None)
        if index is None:
            continue
        if NO_MODELS.search(clause.text):
            continue  # "No LLM is needed to decide anything here": the rule, not model work
        handed = _DELEGATED.search(clause.text)
        before = clauses[number - 1] if number else None
        if (
            before is not None
            and clause.effectful
            and clause.verb in _MODEL_MARKS
            and _DELEGATED.search(before.text)
            and re.search(
                re.escape(before.text) + r"\s*,?\s+and\s+(?:then\s+)?" + re.escape(clause.text),
                sentences[index],
            )
        ):
            # "Have a model compare each inverter's yield … and flag underperformers": its verdict,
            # quoted by the model step that does the comparing
            at = sentences[index].find(before.text)
            owner = next(
                (
                    t
                    for t in tasks
                    if t.sentence == index
                    and at <= t.start < at + len(before.text)
                    and t.kind not in ("notify", "store", "act", "enrich")
                ),
                None,
            )
            if owner is not None:
                owner.also.append(Task(owner.kind, clause.text, index, sentences[index].find(clause.text)))
            else:
                # "have the AI read the notes and flag anything about burns as a safety concern": the
                # model marks it (a yes/no the classifier gives), no call of its own
                marked = re.search(
                    r"\bas\s+(?:an?\s+)?([a-z][\w-]*(?:\s+[a-z][\w-]*)?)\s*$", clause.text, re.I
                )
                flag = snake(marked.group(1)) if marked else "flagged"
                judge = Task(
                    "classify", before.text, index, sentences[index].find(before.text), labels=[flag, "none"]
                )
                judge.quote = before.text
                judge.also.append(Task("classify", clause.text, index, sentences[index].find(clause.text)))
                added.append(judge)
            continue
        # "have the AI write a warm reply using ONLY our pricing sheet": the model's work, even
        # where the clause reads like an action ("write … to", "using …")
        if handed is not None and handed.group(2) and clause.effectful:
            continue  # "The model should flag whether the sale breached a limit": its judgement, no call
        # "Have an AI place the student at a level": handed to a model, with no system it changes
        handed_work = handed is not None and not clause.systems and clause.destination is None
        if (
            not clause.effectful
            or handed_work
            or (handed and _MODEL_VERBS.get(_verb_of(handed)) in ("reply", "answer"))
        ):
            taken_any = [
                (t.sentence, clause_span(sentences[t.sentence], t.start)) for t in tasks if t.start >= 0
            ]
            # "Route inbound sales emails" restates the classification: the classify step quotes it too
            kind = _MODEL_VERBS.get(clause.verb)
            delegated = _DELEGATED.search(clause.text)
            if delegated and _MODEL_VERBS.get(_verb_of(delegated)):
                # "retrieve the entry from the guide and have an LLM write an explanation": the model's work
                kind = _MODEL_VERBS[_verb_of(delegated)]
            elif delegated and kind is None and _verb_of(delegated):
                same = [t for t in [*tasks, *added] if t.sentence == index and t.kind in _MODEL_KINDS]
                listed = _LISTED_OPTIONS.search(clause.text)
                if listed and not any(t.kind == "classify" for t in same):
                    same = []  # "figure out what they want (a, b or c) and write a reply": two tasks
                if same:
                    # "Have the model read the request against our rules and answer whether …": the
                    # model step of the sentence does it, and quotes it too
                    same[0].also.append(
                        Task(same[0].kind, clause.text, index, sentences[index].index(clause.text))
                    )
                    continue
                # "have the model work out the job type (lockout_home, rekey or not_a_job)": a choice
                # among the options it lists, else the brief's own words as the instruction
                # … or 'have a model look at the reading and say "slow_leak", "blowout_risk" or
                # "sensor_fault"': the options it says
                said = _SAID_OPTIONS.search(clause.text)
                if (
                    not said
                    and _verb_of(delegated) in ("look", "read", "examine", "review", "go")
                    and len(decision_options(sentences[index])) >= 2
                ):
                    # "want the AI to look at the purpose and decide a / b / c": the decision reads it
                    kind = "decide"
                else:
                    # "figure out the reason bucket: price, too_much_coffee, …": the buckets it picks from
                    listed_out = len(decision_options(clause.text)) >= 2
                    kind = (
                        "classify" if _LISTED_OPTIONS.search(clause.text) or said or listed_out else "reply"
                    )
            if kind == "score" and re.search(
                r"\b(?:assess|evaluate|rate|judge)\w*\s+(?:whether|if)\b", clause.text, re.I
            ):
                kind = "decide"  # "assess whether the SAE was reported in time": a yes or no, not a score
            # a second clause of the same model work ("check the entry … and decide …") is the same step
            owner = next((t for t in [*tasks, *added] if t.kind == kind), None)
            at = sentences[index].index(clause.text)
            options = decision_options(clause.text) if kind in ("summarise", "reply", "extract") else []
            if len(options) >= 2 and not any(
                t.kind in ("decide", "classify") and t.labels for t in [*tasks, *added]
            ):
                # "have the AI summarise and give a recommendation approve / conditional /
                # decline": the summary, and a decision among the options the brief lists
                decider = Task("decide", clause.text, index, at, labels=options)
                decider.quote = clause.text
                attach_conditions(sentences[index], index, [decider], matches)
                added.append(decider)
                if re.match(
                    r"\W*(?:(?:an?|the)\s+(?:model|llm|ai)\s+)?(?:recommend|suggest|propose)s?\b",
                    clause.text,
                    re.I,
                ):
                    # "a model recommends renew, let_expire or buy_additional_copy": that choice is
                    # the whole of the work, no writer beside it
                    tasks[:] = [t for t in tasks if not (t.kind == "reply" and t.sentence == index)]
                    continue
            named_docs = documents_named(clause.text) or _DOCUMENTS_READ.search(clause.text)
            if clause.kind == "lookup" and not clause.systems and named_docs is not None and not delegated:
                # "pull the relevant sections of our Flight Time Limitations Manual": documents,
                # which ground the model step that works next (a retrieval, not an http call)
                document_reads.append((Task("enrich", clause.text, index, at), named_docs.group(1)))
                continue
            # "… by querying our ArcGIS service", "Match the case_number against Clio": a read
            read_within = clause.kind == "lookup" and bool(clause.systems)
            own_span = clause_span(sentences[index], at)
            if read_within and not any(
                # "pull the rent from AppFolio and run the credit check thru TransUnion": a read
                # per clause, each from its system
                t.kind == "enrich"
                and t.sentence == index
                and (t.start < 0 or clause_span(sentences[index], t.start) == own_span)
                for t in tasks
            ):
                kind = "enrich"  # "… by querying our ArcGIS feature service": a read of its own
            elif kind is None or any(i == index and a <= at < b for i, (a, b) in taken_any):
                continue
            service = _SERVICE_NAMED.search(clause.text) if kind in ("decide", "enrich") else None
            systems = list(clause.systems) or (
                [(service.group("paren") or service.group("words")).strip()] if service else []
            )
            if kind in ("moderate", "decide", "score", "enrich") and systems and not delegated:
                # "screen the name against ComplyAdvantage sanctions lists", "verify the kit belongs
                # to the requester via the identity service": the named system does the check,
                # called like any lookup (a model cannot read its lists)
                check = Task("enrich", clause.text, index, at, target=systems[0].lower())
                check.quote = clause.text
                added.append(check)
                options = decision_options(clause.text)
                if options and not any(t.kind == "decide" for t in tasks + added):
                    # "check it against the protocol in Benchling and our SOP to decide
                    # accept/quarantine": the read, then the decision it is for
                    decider = Task("decide", clause.text, index, at, labels=options)
                    decider.quote = clause.text
                    against = _AGAINST.search(clause.text)
                    decider.docs = against.group(1).strip("\"“”'") if against else None
                    attach_conditions(sentences[index], index, [decider], matches)
                    added.append(decider)
                continue
            if owner is not None:
                owner.also.append(Task(kind, clause.text, index, at))
                if kind == "decide" and not owner.labels:
                    # "check the forecast and decide on lessons … then decide go / reschedule / cancel":
                    # the options the later clause names are the decision's
                    owner.labels = decision_options(clause.text)
            else:  # a model task the vocabulary missed ("route the tech stuff"): drafted, quoting it
                missed = Task(kind, clause.text, index, at)
                missed.quote = clause.text
                source = documents_named(clause.text)
                if source and kind in ("reply", "answer"):
                    missed.docs = source.group(1).lower()  # "… from the lab reference guide"
                listed = _LISTED_OPTIONS.search(clause.text) if kind == "classify" else None
                if listed is not None:
                    # "(lockout_home, lockout_car, rekey, lock_install or not_a_job)": its labels
                    missed.labels = [
                        snake(o)
                        for o in re.split(
                            r"\s*,\s*(?:or\s+|and\s+)?|\s+(?:or|and)\s+", listed.group(0).strip("() ")
                        )
                    ]
                elif kind == "classify" and (
                    _SAID_OPTIONS.search(clause.text) or len(decision_options(clause.text)) >= 2
                ):
                    missed.labels = decision_options(clause.text)
                elif kind == "classify" and (
                    verb := re.search(
                        r"\b(?:tag|label|classif|categori[sz]|sort|triag)\w*", clause.text, re.I
                    )
                ):
                    # "tag the themes from this fixed list: compensation, manager, …": its labels
                    missed.labels = listed_labels(clause.text, verb.end())[0]
                if kind == "decide":
                    # "check each request against our sanctions list and decide approve or review"
                    # none named ("pick a component"): an open decision, never a stock pass/fail
                    missed.labels = decision_options(sentences[index])
                    against = _AGAINST.search(sentences[index])
                    missed.docs = against.group(1).strip("\"“”'") if against else None
                    judged = next(
                        (
                            t
                            for t in tasks
                            if t.kind in ("classify", "score", "moderate")
                            and any(
                                0 <= at - index <= 1 for at in [t.sentence, *(a.sentence for a in t.also)]
                            )
                            and not t.docs
                        ),
                        None,
                    )
                    if missed.docs and not decision_options(sentences[index]) and judged is not None:
                        # "check the symptoms against our handbook. The model should classify
                        # urgency …": the check is how that model judges, from the documents;
                        # no pass/fail step of its own
                        judged.docs = missed.docs
                        judged.also.append(missed)
                        continue
                attach_conditions(sentences[index], index, [missed], matches)
                added.append(missed)
            continue
        sentence = sentences[index]
        start = sentence.index(clause.text)
        span = clause_span(sentence, start)
        if any(i == index and a < span[1] and span[0] < b for i, (a, b) in taken):
            continue
        if any(m.kind == "trigger" and m.sentence == index and span[0] <= m.start < span[1] for m in matches):
            continue  # "Refill requests … land on Google Pub/Sub topic rx-refills": how events arrive
        listed = (
            fields_listed_at(sentence)
            if any(m.kind == "trigger" and m.sentence == index for m in matches)
            else None
        )
        if listed is not None and listed[0] <= start < listed[1]:
            continue  # "… posts a webhook with the seller email, book title, author": a field, not "book"
        if _NOUN_LEAD.match(clause.text) or _NOUN_NEEDS.match(clause.text):
            # "Schedule II controlled substances are never auto-queued", "Dispatch decisions need to
            # be made within 1.5 s": a noun, then its verb
            continue
        if DONE_ELSEWHERE.search(clause.text):
            continue  # "DTI and credit eligibility are computed by our underwriting engine": who does it
        if NOT_AN_ORDER.search(sentence[:start]) or re.match(r"\W*whether\b", sentence, re.I):
            # "Never reject or block the payee automatically": the "never" covers both verbs;
            # "Whether to cancel a route is the dispatcher's call": who decides, not an action
            continue
        if re.search(
            rf"\b(?:don'?t|do not|never|must not|mustn'?t|should not|shouldn'?t)\s+(?:ever\s+)?{re.escape(clause.verb)}",
            clause.text,
            re.I,
        ) or re.match(r"\W*(?:and\s+)?(?:flag|mark|note)\s+(?:if|whether)\b", clause.text, re.I):
            # "if its a cancel and … dont cancel it": forbidden inside its own clause; "flag if
            # there's anything hazardous": a judgement the condition after it reads, not a call
            continue
        if waits_for_approval(sentence[max(0, start - 60) : start + len(clause.text)]):
            # "A supervisor must approve any dispatch over 6 trucks": a person's approval, which no
            # call of the flow gives; left as a gap (DR006), never a POST "approve …"
            continue
        if re.match(
            r"\W*(?:and\s+|just\s+)?(?:hold|keep|queue|delay|defer|save)\s+(?:it|them|those|these|that|the\s+\w+)\s+"
            r"(?:until|till|til|for)\s+(?:\d|the\s+morning|morning|tomorrow)",
            clause.text,
            re.I,
        ):
            continue  # "hold those until 7am": when a message may go (the clock, DR010), no call of its own
        if _CODE_RULE.search(sentence[max(0, start - 40) : start + len(clause.text)]):
            # "a plain rule must reject any plan that …": a check the brief keeps from models, not a
            # call to the outside world; no step of the offline drafter is that check, so it stays a gap
            continue
        if options and is_band(clause.text, options) and not clause.destination:
            # "decline at 0.8 and above", "hold the post for a human": the answer's value, not an action
            matches.append(Match("band", clause.text, index, start, start + len(clause.text)))
            continue
        decided = [o for t in tasks + added if t.kind == "decide" for o in t.labels]
        if (
            decided
            and re.search(
                r"\b(?:must|should|has to|will)\s+(?:go|be|get)\s+(?:to\s+|sent\s+to\s+|put\s+(?:in|on|into)\s+)?",
                clause.text,
                re.I,
            )
            and option_of(clause.text, decided)
        ):
            # "it must go to quarantine no matter what the model says": which option the decision
            # takes then, a rule of the decision, not an action of its own
            matches.append(Match("band", clause.text, index, start, start + len(clause.text)))
            continue
        same = [
            t
            for t in tasks + added
            if t.kind in ("notify", "store", "act")
            and re.match(rf"\W*{re.escape(clause.verb)}", t.text, re.I)
            # "If in_warranty, … email the customer the label. If out_of_warranty, email the customer
            # a repair quote": an action already limited to other events is another action
            and ((t.condition is None and not t.unmapped_condition) or t.sentence == index)
        ]
        if same and clause.limiter and len(_WORD.findall(clause.text)) <= 12:
            # "Only send if the cart value is over $50": the brief limits an action it already named
            probe = Task(same[0].kind, clause.text, index, start + clause.text.lower().find(clause.verb))
            attach_conditions(sentence, index, [probe], matches)
            if probe.condition is not None or probe.unmapped_condition:
                limit, unread = probe.condition, probe.unmapped_condition
                if re.search(
                    r"\b(?:nothing|none|no\s+\w+)\s*$|^\W*(?:don'?t|do not|never)\b", clause.text, re.I
                ):
                    # "If there are no matching issues, post nothing": it runs when that is not so
                    from copilot.draft.conditions import condition_field

                    limit = (
                        negate(limit, f"not ({limit.text})")
                        if limit is not None
                        else Condition("field", unread or "", "==", True, condition_field(unread or ""), True)
                    )
                    unread = None
                for task in same:
                    task.condition = task.condition or limit
                    task.unmapped_condition = task.unmapped_condition or unread
                    task.also.append(probe)
                continue
        if ASKED_WHETHER.search(sentence[:start]):
            continue  # "check whether it changes consent, adds a vulnerable population or …": asked, not done
        if CHANNEL_ONLY.match(clause.text):
            continue  # "never text customers, only email them": which channel, not a message of its own
        if NOTHING_OBJECT.match(clause.text):
            continue  # "send nothing to the customer": no action of its own (a limit, read above)
        verb_at = (
            re.search(rf"\b{re.escape(clause.verb)}\w*", clause.text, re.I)
            # "make a work order in Fleetio": read as "create", said as "make"
            or (re.search(r"\bmak(?:e|es|ing)\b", clause.text, re.I) if clause.verb == "create" else None)
            or re.match(r"", clause.text)
        )
        rest = clause.text[verb_at.end() :]
        stop = _OBJECT_STOP.search(rest)
        obj = rest[: stop.start()] if stop else rest
        obj = re.sub(r"\(.*?\)", "", obj).strip(" ,.")
        routed = _ROUTED.search(clause.text) if not verb_at.group(0) else None
        received = received_noun(clause.text) if not verb_at.group(0) else None
        written_to = (
            re.search(
                r"\b(?:written|saved|recorded|logged|added)\s+(?:to|into|in|on)\s+(?:the\s+|our\s+)?"
                r"((?:[\w-]+\s+){0,2}?[\w-]+)(?=\s+(?:in|on|via)\b|[,.;]|$)",
                clause.text,
                re.I,
            )
            if not verb_at.group(0)
            else None
        )
        caused = CAUSED_DONE.search(clause.text)
        if caused is not None and verb_at.group(0) and caused.start("done") == verb_at.start():
            obj = caused.group("noun")  # "… get a delivery order created in Cargas": the order
        elif written_to:
            obj = "to " + written_to.group(1)  # "… get written to the race schedule in Google Sheets"
        elif routed:
            # "Complaints go to the visitor services team in Zendesk": the subject is the
            # condition, the destination is what the action names
            obj = "to " + routed.group(1)
        elif received:
            obj = received  # "Suspicious ones get a ticket in the SOC Jira queue": a ticket is made
        system = re.search(
            r"\b(?:via|through|using|in|on|to|into)\s+(?:the\s+|our\s+|their\s+)?"
            # "to the existing request": a common noun after its adjective, never the next clause
            r"((?:[a-z][\w-]*\s+(?!(?:and|or|then|but|to|for|with|if|when|in|on|via|that)\b|[a-z]+ing\b)(?=[a-z]))?[\w#-]+"
            r"(?:\s+(?:api|service|system))?)",
            rest,
            re.I,
        )
        # a channel named outright wins over "on-call" used as an adjective ("the on-call Slack channel")
        named = [name for name, p in CHANNELS if p.search(clause.text)]
        if not named and re.search(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b", clause.text):
            named = ["email"]  # "go to the finance controller at controller@acmeco.com": by email
        channel = next((n for n in named if n != "pagerduty"), named[0] if named else None)
        task = Task(
            "notify" if channel else "act", clause.text, index, start + verb_at.start(), channel=channel
        )
        task.action = " ".join(f"{clause.verb} {obj}".split()[:5])
        task.target = system.group(1).lower() if system and not channel else None
        named_in_object = re.search(r"\b([A-Z][\w.-]*[A-Za-z0-9])\b", obj)
        # "… in the "Engraving Jobs" table of our workshop Airtable base": the name outside quotes
        capital = re.search(r"\b([A-Z][a-z][\w.-]*[A-Za-z0-9])\b", re.sub(r"[\"“][^\"”]*[\"”]", " ", rest))
        if clause.systems and not channel:
            task.target = clause.systems[0].lower()  # the system the brief names is where it goes
        elif named_in_object and not channel and named_in_object.group(1).lower() not in ("i", "ai", "api"):
            task.target = named_in_object.group(1).lower()  # "create a new Jira issue": Jira's
        elif capital and not channel and task.target in (None, "the", "our", "their", "a", "an", "its"):
            task.target = capital.group(1).lower()
        if task.target in ("the", "our", "their", "a", "an", "its"):
            task.target = None  # a determiner is no system
        known = _KNOWN_SYSTEM.search(rest)
        if known is not None and not channel and not clause.systems:
            task.target = known.group(0).lower()  # "add them to the approved vendors airtable"
        generic = r"ticket|order|record|case|issue|conversation|contact|deal|booking|request|submission|lead|account"
        if task.target and re.fullmatch(generic, task.target):
            task.target = None  # "on the ticket": the record, not a system
        source = _event_source(sentences) if task.target is None and not channel else None
        if source and re.search(
            rf"\b(?:the|this|that|its|their)\s+(?:{generic})\b",
            rest,
            re.I,
        ):
            task.target = source  # "post a public reply on the ticket" after "Zendesk calls our webhook"
        twin = next((t for t in [*tasks, *added] if t.action == task.action and t.target), None)
        if task.target is None and twin is not None and not channel:
            task.target = twin.target  # "post a public reply …" said again for other events: same place
        task.quote = clause.text
        attach_conditions(sentence, index, [task], matches)
        written = re.search(
            r"\b(?:written|drafted|generated|composed)\s+by\s+(?:an?\s+|the\s+)?(?:llm|model|ai|gpt)\b",
            clause.text,
            re.I,
        )
        if written and task.kind == "act":
            # "a short note written by an LLM and attached to the case": the model writes, then the act
            writer = Task("reply", clause.text, index, start, condition=task.condition)
            writer.quote = clause.text
            writer.background = bool(BACKGROUND.search(sentence))
            task.after.append("reply")
            added.append(writer)
        added.append(task)
        matches.append(Match("task", clause.text, index, start, start + len(clause.text)))
    for read, docs in document_reads:
        writer = next(
            (
                t
                for t in sorted(tasks + added, key=lambda t: (t.sentence, t.start))
                if t.kind in ("reply", "answer", "decide", "classify", "score", "extract", "summarise")
                and t.sentence in (read.sentence, read.sentence + 1)
                and not t.docs
            ),
            None,
        )
        if writer is not None:
            writer.docs = docs.strip("\"“”' ")
            writer.also.append(read)
    return tasks + added
