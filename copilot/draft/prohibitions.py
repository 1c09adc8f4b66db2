"""What the brief keeps from the flow: prohibitions, filters, and decisions that are not the flow's.

`constraints` lists the clauses that forbid an action ("never auto-refill ...") or leave
events alone ("... should just be ignored"); `prohibits` and `negated` tell a forbidding
clause. `keeps_from_models`, `HUMANS_DECIDE` and `deciding_system` tell when a decision
belongs to people, a rule engine or another named system rather than to a model.
"""

# ruff: noqa: E501  (the vocabulary below is tables and regular expressions, easier to read whole)
from __future__ import annotations

import re
from dataclasses import dataclass

from copilot.draft.verbs import ACTION_VERBS, RECEIVED_VERBS, WORD, action_of, base_verb, clause_spans

_NEVER_RECEIVES = re.compile(
    r"\b(?:never|not|n't)\s+(?:get|gets|receive|receives|be sent|be given)\s+(?:an?\s+|any\s+)?(?:[\w-]+\s+)?"
    r"(" + "|".join([*RECEIVED_VERBS, "reply", "answer", "response"]) + r")\b",
    re.I,
)

# Not work for the flow: "DTI is computed by our underwriting engine" (another system's job) and
# the second verb of "never reject or block …" (the "never" covers both)
DONE_ELSEWHERE = re.compile(
    r"\b(?:is|are)\s+(?:already\s+|only\s+|always\s+)?(?:[a-z]+ed|done|made|set|sent|run|written)\s+(?:only\s+)?"
    r"(?:by|in)\s+(?:our|the|their|a)\b(?!\s+(?:flow|bot|automation|model|llm|ai|agent)\b)",
    re.I,
)
NOT_AN_ORDER = re.compile(
    # the verbs share the "never" when nothing stands between them ("never reject or block the
    # payee"); "do not refund anything and open a ticket" forbids one thing and orders the other
    r"\b(?:never|don'?t|do not|must not|mustn'?t|should not|shouldn'?t|cannot|can'?t)\s+"
    r"(?:(?!(?:anything|it|them|the|a|an|any|this|that|these|those|their|our|his|her|its)\b)[\w-]+\s+){1,3}?"
    r"(?:or|nor|and)\s*$",
    re.I,
)

# "send nothing to the customer", "notify no one": an action whose object is none is no action
NOTHING_OBJECT = re.compile(
    r"\W*[\w-]+\s+(?:nothing|no\s+one|nobody|none|no\s+(?:messages?|emails?|texts?|sms|replies|reply|notices?))\b",
    re.I,
)


# "must never be charged", "are never auto-approved": a forbidden action said of what it acts on
_NEVER_BE_DONE = re.compile(
    r"\b(?:must|should|may|can|will|is|are)\s+(?:never|not)\s+(?:ever\s+)?(?:be\s+)?(?:auto-?)?([a-z]+ed)\b",
    re.I,
)


def _unpast(word: str) -> str | None:
    """The action verb a past participle is of: charged -> charge, emailed -> email, denied -> deny."""
    w = word.lower()
    for base in (w[:-1], w[:-2], w[:-3], w[:-3] + "y"):
        if ACTION_VERBS.get(base) == "effect":  # a side effect, never "not recommended"
            return base
    return None


# Who decides instead of the flow: "Licensed brokers make the final classification decision",
# "Humans in T&S decide bans", "our dispatchers make the call". One vocabulary of people and
# their verbs, used alone (HUMANS_DECIDE) and as a part of NOT_THE_MODELS.
_PEOPLE_DECIDE = (
    r"^\W*(?:(?:only|but)\s+)?(?:humans?|people|staff|a\s+person|(?:our\s+|the\s+)?(?:[\w&-]+\s+){0,3}?"
    r"(?:team|analysts?|agents|reviewers?|managers?|moderators?|recruiters?|dispatchers?|clinicians?|vets?|doctors?|"
    r"nurses?|lawyers?|attorneys?|underwriters?|adjusters?|officers?|brokers?|referees?|admins?|controllers?|"
    r"committee|board|panel|clerk|editors?|curators?|dockmaster|supervisors?))\s+"
    r"(?:in\s+[\w&\s-]+?\s+)?(?:decides?|makes?\s+(?:the\s+)?(?:final\s+)?(?:[\w-]+\s+)?(?:call|decision)s?|"
    r"(?:has|have)\s+the\s+final\s+say|rule\s+on)\b"
)
HUMANS_DECIDE = re.compile(_PEOPLE_DECIDE, re.I)
"""People decide it, so no task of the flow comes from that sentence."""

# "whatever the model says", "no model decides those", "not model-written": the brief keeps it
# from models
NOT_THE_MODELS = re.compile(
    r"\b(?:(?:whatever|no matter what) the (?:model|llm|ai) says|no (?:model|llm|ai)\b|"
    r"without (?:asking )?(?:a|the|any) (?:model|llm|ai)(?: call)?|not (?:by )?the (?:model|llm|ai)|"
    # "the model must not deny", "that text is fixed, not model-written", "a plain rule must reject"
    r"the (?:model|llm|ai) (?:must|should|may|can) ?not|"
    r"not (?:model|llm|ai)[- ](?:written|generated|decided)|"
    r"(?:a )?(?:plain|hard|fixed|simple) (?:rule|check|code) (?:must|should|has to)|fixed text|verbatim|"
    # "Whether to suspend an agent is a compliance-team decision only", "… is the dispatcher's call"
    r"^\W*whether\b.*\b(?:is|are|stays?|remains?)\s+(?:a|an|the|our|their)\s+(?:[\w'’-]+\s+){0,3}?"
    r"(?:decision|call|judgement|judgment|choice)s?\b)|" + _PEOPLE_DECIDE,
    re.I,
)


# A person's approval, which no call of the flow gives and no flow can wait for: "must be
# approved by the club vet before …", "need approval from the finance lead", "a manager has to
# sign off first", "only after approval, post it …". `request` is the clause that asks for it
# ("send it to the yard foreman for approval"): that message is the flow's to send.
APPROVAL = re.compile(
    r"\b(?:must|has\s+to|have\s+to|needs?\s+to|should|will)\s+(?:first\s+)?be\s+(?:approved|signed\s+off|authori[sz]ed|"
    r"ok'?e?d)\b|"
    r"\b(?:needs?|requires?|must\s+(?:get|have))\s+(?:an?\s+|the\s+)?(?:[\w'’-]+\s+){0,3}?(?:approval|sign-?off|"
    r"authori[sz]ation|ok)\b|"
    r"\b(?:has|have|needs?)\s+to\s+(?:first\s+)?(?:sign\s+off|approve|ok)\b|"
    r"\b(?:supervisor|manager|lead|officer|person|human|admin|director|owner|dispatcher|approver|controller|"
    r"clinician|doctor|partner|vet|engineer|foreman|editor)s?\s+(?:must|has\s+to|have\s+to|needs?\s+to|should|will)\s+"
    r"(?:first\s+)?(?:approve|sign\s+off|authori[sz]e|ok)\b|"
    r"\b(?:only\s+)?(?:after|once|until)\s+(?:\w+\s+){0,4}?(?:approval|approves?|approved|signs?\s+off|signed\s+off)\b|"
    # "must not be sent without the compliance officer signing off first"
    r"\bwithout\s+(?:[\w'’-]+\s+){0,4}?(?:signing\s+off|sign-?off|approval|approving\s+it|(?:an?\s+)?ok)\b|"
    r"(?P<request>\bfor\s+(?:his|her|their|an?|the\s+\w+'?s?)?\s*(?:approval|sign-?off)\b)",
    re.I,
)


# "between 11pm and 6am": hours of the day, which no step's `if:` can read
HOURS_OF_DAY = re.compile(r"\b\d{1,2}(?::\d\d)?\s*(?:am|pm)\b", re.I)
# "Never dispatch anything on Saturday or Sunday", "no texts on weekends": days, read off a clock
DAYS_OF_WEEK = re.compile(
    r"\b(?:on|during|over|at)\s+(?:the\s+)?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)days?|weekends?|"
    r"public holidays?|holidays?|weekdays?)\b",
    re.I,
)


def waits_for_approval(text: str) -> bool:
    """Whether `text` holds something for a person's approval (not: asks for it)."""
    return any(not m.group("request") for m in APPROVAL.finditer(text))


def approval_gated(sentence: str) -> list[tuple[int, int]]:
    """The spans of `sentence` whose actions wait for a person's approval: the clause that says
    so (not the one that asks for it), and the clause after a leading "only after approval,"."""
    from copilot.draft.verbs import clause_spans

    spans = clause_spans(sentence) or [(0, len(sentence))]
    gated: list[tuple[int, int]] = []
    for m in APPROVAL.finditer(sentence):
        if m.group("request"):
            continue
        at = next((i for i, (a, b) in enumerate(spans) if a <= m.start() < b), None)
        if at is None:
            continue
        a, b = spans[at]
        asks = re.match(
            r"(?:\s+[\w']+){0,2}?[\s,;]+(?:so|and so|which is why)\s+(?:please\s+)?(?=[a-z])",
            sentence[m.end() :],
            re.I,
        )
        if asks is not None:
            # "parties over 12 need the warden's approval so post those to #wardens": what follows
            # "so" asks for the approval, and nothing before it waits
            continue
        gated.append((a, b))
        if re.match(r"\W*(?:but|and|though|although|however)\b", sentence[a:b], re.I) and at > 0:
            gated.append(spans[at - 1])  # "Send the payout, but a manager has to sign off first"
        if re.fullmatch(
            r"\W*(?:only\s+)?(?:after|once|until)\b.*", sentence[a:b].strip(" ,"), re.I | re.S
        ) and (at + 1 < len(spans)):
            gated.append(spans[at + 1])  # "only after approval, post it to the work queue"
    return gated


# "Do not call any language model for this one; it's pure rules", "no LLMs in this flow": the
# whole flow runs without a model call
NO_MODELS = re.compile(
    r"\b(?:do not|don'?t|never|must not|mustn'?t|should not|shouldn'?t|without)\s+(?:call|use|invoke|involve|ask|"
    r"calling|using|invoking|involving|asking)\s+(?:any\s+|an?\s+|the\s+)?(?:language\s+models?|llms?|ai|gpt|"
    r"models?)\b|\bno\s+(?:llms?|language\s+models?|ai|model\s+calls?)\s+(?:at all|here|in (?:this|the) flow|"
    r"for (?:this|it|that))\b|\bpure(?:ly)?\s+(?:rules?|logic|code)\b|"
    # "No LLM is needed to decide anything here"
    r"\bno\s+(?:llms?|language\s+models?|ai|models?)\s+(?:is\s+|are\s+)?(?:needed|required|necessary|involved)\b",
    re.I,
)


# "only the controller on shift can isolate a segment": someone else's action, kept from the flow
ONLY_THEY_CAN = re.compile(
    r"^\W*(?:and\s+|but\s+|—\s*|-\s*)?only\s+(?:the\s+|our\s+|a\s+)?(?:[\w-]+\s+){0,4}?(?:can|may|is\s+allowed\s+to|are\s+allowed\s+to)\s+([a-z]+)",
    re.I,
)


def keeps_from_models(sentence: str) -> bool:
    """Whether a sentence keeps a decision or text from models ("decided by our rule engine, not
    the model", "no model decides them", "not model-written")."""
    return bool(NOT_THE_MODELS.search(sentence) or _RULE_ENGINE.search(sentence))


# "decided by our rule engine", "computed by our underwriting engine": a system, not a model
_RULE_ENGINE = re.compile(
    r"\b(?:decided|computed|calculated|determined|made)\s+by\s+(?:our|the|an?)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:rule|rules|underwriting|scoring|pricing|tax|risk)?\s*(?:engine|service|system|team|adjusters?|analysts?)\b",
    re.I,
)


# "Whether an event counts as serious is decided by our rule engine": the system that decides it
_DECIDING_SYSTEM = re.compile(
    r"\b(?:decided|computed|calculated|determined|made|set|judged|scored)\s+by\s+(?:our|the|an?)\s+"
    r"(?P<system>(?:[\w-]+\s+){0,2}?(?:engine|service|system|api|scorer|model server))\b"
    r"|\b(?:our|the)\s+(?P<subject>(?:[\w-]+\s+){0,2}?(?:engine|service|system|api|scorer))\s+decides\b",
    re.I,
)


def deciding_system(condition: str, sentences: list[str]) -> tuple[str, str] | None:
    """(the system, the sentence saying so) when the brief says a system decides a condition
    ("… serious is decided by our rule engine" for "if it's a serious event"); None otherwise."""
    words = [w for w in re.findall(r"[a-z]+", condition.lower()) if len(w) > 3 and w not in ("only", "when")]
    for sentence in sentences:
        m = _DECIDING_SYSTEM.search(sentence)
        if m is None or not words:
            continue
        if all(re.search(rf"\b{re.escape(w[:5])}", sentence, re.I) for w in words):
            return " ".join((m.group("system") or m.group("subject")).split()).lower(), sentence
    return None


# A negation right before the verb: the clause forbids the action ("never auto-refill", "don't
# email them at all", "doesnt need to block the reply").
_NEGATION = re.compile(
    r"\b(?:don'?t|do not|does not|doesn'?t|never|no need to|shouldn'?t|should not|must not|mustn'?t|"
    r"won'?t|will not|cannot|can'?t|not|"
    # "Nothing should be posted to the bill": the subject says none
    # … never across "just"/"only"/"but"/"instead": "do nothing to customers, just post the plan" asks for the post
    r"nothing|nobody|no one|none)\s+(?:(?!(?:just|only|but|instead|rather|then)\b)[\w'-]+\s+){0,3}$",
    re.I,
)


# A clause that opens with a negation: what follows is forbidden ("Don't email them").
NEGATED_LEAD = re.compile(
    r"^\W*(?:(?:and|but|so|also|please)\s+)?(?:don'?t|do not|never|no need to|we (?:don'?t|never|do not|should not|shouldn'?t|must not))"
    r"(?:\s+(?:ever|need to|want to|have to|auto-?))*\s+",
    re.I,
)


def prohibits(text: str) -> bool:
    """ "Don't message the patient at all", "never email them": the clause forbids its action."""
    return NEGATED_LEAD.match(text) is not None


def negated(text: str, verb: str) -> bool:
    """True when the clause's action verb is negated: it says what must not happen."""
    # "never post", "Nothing should be posted": the verb in any form
    forms = {
        verb,
        f"{verb}ed",
        f"{verb}d",
        f"{verb}{verb[-1:]}ed",
        f"{verb[:-1]}ied",
        f"{verb}ing",
        f"{verb[:-1]}ing",
    }
    for w in WORD.finditer(text):
        if base_verb(w.group(0)) == verb or w.group(0).lower() in forms:
            return bool(_NEGATION.search(text[: w.start()]))
    return False


# Prohibitions and filters: clauses that say what must not happen, or which events to leave alone.
_FILTER = re.compile(
    r"\b(?:ignored?|skip(?:ped)?|drop(?:ped)?|discard(?:ed)?|disregard(?:ed)?|left alone|leave (?:it|them) alone|"
    r"no action|no further action|(?:stays?|remains?|is|are|left)\s+untouched|(?:do|does)\s+nothing|nothing happens|"
    # "Readings inside the limits need nothing", "results inside the range get no note"
    r"(?:need|needs|get|gets|require|requires)\s+(?:nothing|no\s+(?:note|action|alert|message|reply|step)s?))\b",
    re.I,
)


@dataclass
class Constraint:
    """A clause that limits what the flow does: a prohibition or a filter."""

    text: str
    sentence: int
    verb: str | None  # the forbidden action ("email"), None for a filter ("…should be ignored")


@dataclass(frozen=True)
class OncePer:
    """ "never charge the same loan twice": `verb` at most once per `noun`, as the brief says it."""

    verb: str
    noun: str
    text: str


_ONCE_PER = (
    re.compile(
        r"\b(?:never|don'?t|do not|must not|should not|not)\s+(?P<verb>[a-z]+)\s+(?:[\w-]+\s+){0,3}?"
        r"(?:the\s+same|one|a)\s+(?P<noun>[a-z][\w-]*)\s+(?:twice|more than once|again)\b",
        re.I,
    ),
    re.compile(
        r"\b(?:never|don'?t|do not|must not|should not|not)\s+(?P<verb>[a-z]+)\s+(?:[\w-]+\s+){0,3}?"
        r"(?:twice|more than once|again)\s+for\s+(?:the\s+same|one|a)\s+(?P<noun>[a-z][\w-]*)",
        re.I,
    ),
    re.compile(
        r"\b(?P<verb>[a-z]+)\s+(?:[\w-]+\s+){0,3}?(?:only\s+)?once\s+per\s+(?P<noun>[a-z][\w-]*)", re.I
    ),
)


def once_per(sentences: list[str]) -> list[OncePer]:
    """What the brief allows at most once per thing ("never charge the same loan twice")."""
    out: list[OncePer] = []
    for sentence in sentences:
        for pattern in _ONCE_PER:
            for m in pattern.finditer(sentence):
                # the quote is the whole clause: "but never charge the same loan twice"
                a, b = next(
                    ((a, b) for a, b in clause_spans(sentence) if a <= m.start() < b), (m.start(), m.end())
                )
                text = sentence[a:b].strip(" ,;:.")
                out.append(OncePer(base_verb(m.group("verb")), m.group("noun").lower(), text))
    return out


def constraints(brief: str) -> list[Constraint]:
    """The brief's prohibitions ("never auto-refill controlled substances") and filters
    ("moves of 48 hours or less should just be ignored"), in brief order."""
    from copilot.draft.sentences import split_sentences

    out: list[Constraint] = []
    for index, sentence in enumerate(split_sentences(brief)):
        for a, b in clause_spans(sentence):
            text = sentence[a:b].strip(" ,;:").rstrip(".")
            found = action_of(text)
            lead = NEGATED_LEAD.match(text)
            if lead is not None:
                # "Don't email enterprise customers": read the instruction the negation opens
                found = action_of(text[lead.end() :])
                if found is not None:
                    out.append(Constraint(text, index, found[0]))
                    continue
            refused = _NEVER_RECEIVES.search(text)
            passive = _NEVER_BE_DONE.search(text)
            done = _unpast(passive.group(1)) if passive is not None else None
            if found is None and done is not None:
                # "students on the scholarship plan must never be charged": what no step may do to them
                out.append(Constraint(text, index, done))
                continue
            kept = re.match(r"\W*whether\s+to\s+([a-z]+)", text, re.I) or ONLY_THEY_CAN.match(text)
            if kept is not None and (keeps_from_models(text) or ONLY_THEY_CAN.match(text)):
                # "Whether to cancel a route is the dispatcher's call": the flow never cancels
                out.append(Constraint(text, index, base_verb(kept.group(1))))
            elif found is not None and negated(text, found[0]):
                out.append(Constraint(text, index, found[0]))
            elif refused is not None:
                # "Bullying reports must never get an automatic reply": the reply is what is forbidden
                out.append(
                    Constraint(
                        text, index, RECEIVED_VERBS.get(refused.group(1).lower(), refused.group(1).lower())
                    )
                )
            elif _FILTER.search(text):
                out.append(Constraint(text, index, None))
    return out
