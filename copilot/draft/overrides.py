"""Hard rules that settle an outcome whatever a model says: "If party_size is over 6, or pets
is more than 2, it's a violation no matter what", "thickness under 25 mm is always maintenance".

`read_overrides` finds them (the outcome's word and the event conditions that force it);
`apply_overrides` ORs those conditions into every action the brief limits to that outcome
("For violations, email the guest"), so the action runs when the event meets them even if the
model says otherwise. Called by `copilot.draft.reader` once conditions are attached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from copilot.draft.condition_names import condition_field
from copilot.draft.conditions import ACTING, read_conditions
from copilot.draft.labels import snake
from copilot.draft.phrases import Match
from copilot.draft.reading import Condition, Task

# "If A, or B, it's a violation (no matter what)", "if A treat it as mechanic_needed"
_IF_THEN_IS = re.compile(
    r"^\W*(?:if|when|whenever)\s+(?P<cond>.+?),?\s+(?:then\s+)?(?:it['’]s|it\s+is|that['’]s|that\s+is|"
    r"(?:treat|mark|count|flag|call|class|label)\s+it\s+as|it\s+counts\s+as|it\s+becomes)\s+(?:an?\s+|always\s+)*(?P<word>[\w-]+)"
    # the sentence ends there, or says the rule is hard: "…, it's a renewal, just link it" is a condition
    r"\s*(?:[,;]?\s*(?:no\s+matter\s+what|regardless|always|whatever|even\s+if)\b[^.;]*)?[.;!]?\s*$",
    re.I,
)
# "A is always maintenance", "A = red always", "A means quarantine, regardless of the model"
_IS_ALWAYS = re.compile(
    r"^\W*(?P<cond>.+?)\s+(?:is|are|=|means|counts\s+as|(?:must|should|will|shall)\s+(?:always\s+)?(?:go\s+to|be))\s+"
    r"(?:always\s+)?(?:an?\s+)?(?P<word>[\w-]+)",
    re.I,
)
# "…, treat crosswind over 15 kts as no_go no matter what the model thinks": anywhere in its
# sentence, when it says the rule is hard
_TREAT_AS = re.compile(
    r"(?:^\W*|[,;]\s*|\b(?:and|but|so)\s+)(?:always\s+)?(?:treat|mark|count|class|classify|label)\s+"
    r"(?:any(?:thing)?\s+|every\s+\w+\s+(?:with|where)\s+)?(?P<cond>[a-z][\w ]*?\s(?:over|above|under|below|"
    r"more than|less than|at least|greater than|higher than|lower than)\s[^,;.]+?)\s+as\s+(?:an?\s+)?"
    r"(?P<word>[\w-]+)",
    re.I,
)
_HARD = re.compile(r"\b(?:always|no\s+matter\s+what|regardless|even\s+if|whatever\s+the\s+model)\b", re.I)


def held_on(task: Task, cond: Condition) -> None:
    """`task` runs only on the events `cond` does not hold for, besides its own condition."""
    from copilot.draft.conditions import negate

    never = negate(cond, f"not ({cond.text})")
    if task.condition is None and task.unmapped_condition and task.kind in ("notify", "store", "act"):
        # its own test is still to be read ("If the part is still covered"): both will hold
        never.scope, task.scope = task.scope, never
    elif task.condition is None:
        task.condition = never
    else:
        add_scope(task.condition, never)


def add_scope(cond: Condition, extra: Condition) -> None:
    """`extra` must hold besides `cond` and every scope it already has."""
    while cond.scope is not None:
        cond = cond.scope
    cond.scope = extra


@dataclass
class Override:
    """An outcome (`word`) that the event conditions `when` force, said in `text`."""

    word: str
    when: list[Condition]
    text: str
    sentence: int


def read_overrides(sentences: list[str], matches: list[Match]) -> list[Override]:
    """The brief's hard rules, each read as event conditions (a rule no condition reads is left)."""
    out: list[Override] = []
    for index, sentence in enumerate(sentences):
        hard = _HARD.search(sentence)
        m = (
            _IF_THEN_IS.match(sentence)
            or (_IS_ALWAYS.match(sentence) if hard else None)
            or (_TREAT_AS.search(sentence) if hard else None)
        )
        if m is None:
            continue
        mapped, unread, _ = read_conditions(f"if {m.group('cond')}")
        when = [c for _, _, c in mapped if c.kind == "event"]
        if not when or unread:
            continue
        out.append(Override(m.group("word").lower(), when, m.group(0), index))
        # the whole sentence is the rule, or only its "treat … as" part beside other work
        span = (m.start(), m.end()) if m.re is _TREAT_AS else (0, len(sentence))
        matches.append(Match("condition", sentence, index, *span))
    return out


def _names(text: str, word: str) -> bool:
    stem = word.rstrip("s")
    return bool(re.search(rf"\b{re.escape(stem)}(?:s|es)?\b", text.replace("_", " "), re.I)) or bool(
        re.search(rf"\b{re.escape(word)}\b", text, re.I)
    )


def _either(when: list[Condition]) -> list[Condition]:
    """The rule's conditions as a flat list of alternatives ("spo2 below 90 or gcs below 13" is
    two), each without the others hung on it."""
    import dataclasses

    out: list[Condition] = []
    for cond in when:
        if cond.all_of:
            out.append(cond)
            continue
        out += [dataclasses.replace(cond, alternatives=[]), *_either(cond.alternatives)]
    return out


def apply_overrides(tasks: list[Task], overrides: list[Override]) -> None:
    """ "For violations, email the guest" after a hard rule for violations: the email also runs when
    the event meets the rule's conditions."""
    for rule in overrides:
        # "… must always go to maintenance": a rule about the outcome, no message of its own
        tasks[:] = [t for t in tasks if not (t.sentence == rule.sentence and t.kind in ("notify", "act"))]
        for task in tasks:
            if task.kind not in ACTING:
                continue
            cond = task.condition
            if cond is None and task.unmapped_condition and _names(task.unmapped_condition, rule.word):
                # the outcome itself is still the model's to judge (a guess, said as such)
                task.condition = Condition(
                    "field", task.unmapped_condition, "==", True, output_field=re.sub(r"\W+", "_", rule.word)
                )
                task.unmapped_condition = None
                cond = task.condition
            elif cond is None or cond.all_of or cond.negated:
                continue
            parts = [cond, *cond.alternatives]
            named = any(
                # "it's a transfer" names the label transfer_to_hospital
                (isinstance(p.value, str) and (p.value.lower() == rule.word or _names(p.value, rule.word)))
                or (p.output_field and _names(p.output_field, rule.word))
                for p in parts
                if p.kind in ("label", "decision", "field")
            )
            if named:
                cond.alternatives = [*cond.alternatives, *_either(rule.when)]
                task.also.append(Task(task.kind, rule.text, rule.sentence, 0))  # its step quotes the rule
        _other_outcomes(tasks, rule)


def _other_outcomes(tasks: list[Task], rule: Override) -> None:
    """ "treat crosswind over 15 kts as no_go no matter what": the actions of the decision's other
    outcomes ("go = post the launch list") never run on those events, whatever the model says."""
    others = next(
        (
            [o for o in t.labels if o.lower() != rule.word]
            for t in tasks
            if rule.word in map(str.lower, t.labels)
        ),
        [],
    )
    for task in tasks:
        cond = task.condition
        if task.kind not in ACTING or (cond is not None and (cond.alternatives or cond.negated)):
            continue
        if cond is None:
            # "If approve, post …", still to be read as the decision's option
            said = task.unmapped_condition or ""
            named = bool(said) and any(_names(said, o) for o in others) and not _names(said, rule.word)
        else:
            value = cond.value if cond.kind in ("decision", "label") else cond.output_field
            named = cond.kind in ("decision", "label", "field") and isinstance(value, str) and value in others
        if named:
            for when in _either(rule.when):
                held_on(task, when)


# "Never void a citation for a plate with more than 3 prior citations, whatever the model says",
# "don't page for severity 1": an action the brief forbids on some events
_NEVER_WHEN = re.compile(
    # at the sentence's start, or after its action: "Email the reply to the boater, but never email
    # a boater whose vessel is over 60 feet"
    r"(?:^\W*|[,;]\s*|\s)(?:and\s+|but\s+)?(?:never|don'?t|do\s+not|dont)\s+(?:ever\s+)?(?P<verb>[a-z]+)\b[^,;.]*?\s+"
    r"(?P<word>when|whenever|if|for|while|with|where|whose|on)\s+(?P<cond>[^;.]+)",
    re.I,
)


def never_when(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """An action the brief forbids on some events runs only on the others: its step also requires
    that the events are not those ("whatever the model says" is the point: no model decides it)."""
    from copilot.draft.conditions import negate
    from copilot.draft.verbs import base_verb

    for index, sentence in enumerate(sentences):
        m = _NEVER_WHEN.search(sentence)
        if m is None:
            continue
        cond_text = re.split(
            r",\s*(?:whatever|no\s+matter|regardless|even\s+if)\b", m.group("cond"), flags=re.I
        )[0]
        mapped, unread, _ = read_conditions(f"if {cond_text}")
        if mapped and not unread:
            rule = mapped[0][2]
        elif m.group("word").lower() in ("with", "for") and len(cond_text.split()) <= 5:
            # "for an application with pyrotechnics": a yes/no of the event (or the classifier's)

            named = re.sub(
                r"^(?:an?|the)\s+[\w-]+\s+(?:with|that\s+has|having)\s+", "", cond_text.strip(), flags=re.I
            )
            listed = re.search(
                # a field the brief lists with others ("…, road_closure_needed, pyrotechnics and …")
                rf"[\w,]\s+{re.escape(named)}\s*(?:,|\band\b)",
                " ".join(sentences[:index] + sentences[index + 1 :]),
            )
            if listed is None:
                continue
            rule = Condition("field", f"if {cond_text}", "==", True, output_field=condition_field(named))
        else:
            continue
        # "Never create any ticket or text anyone when test_mode is true": every verb it names
        forbidden = sentence[m.start("verb") : m.start("word")]
        verbs = {base_verb(m.group("verb"))} | {
            base_verb(v) for v in re.findall(r"\b(?:or|and|nor)\s+([a-z]+)", forbidden, re.I)
        }
        guarded = False
        for task in tasks:
            said = (task.quote or task.text or "").split()
            if task.kind not in ("notify", "store", "act") or not said:
                continue
            first = re.sub(r"[^a-z-]", "", said[0].lower())
            if base_verb(first) not in verbs and not any(
                (task.action or "").lower().startswith(v) for v in verbs
            ):
                continue
            never = negate(rule, f"not ({rule.text})")
            if task.sentence == index:
                # the action said before the "but never" in its sentence: the clause's condition
                # was the prohibition's, so the action runs on the other events
                if task.start >= m.start() or (
                    task.condition is not None and task.condition.text.strip() not in sentence[m.start() :]
                ):
                    continue
                task.condition = never
            elif task.condition is None and task.unmapped_condition:
                # "For irrigate_now, open the valve …": its own lead is still to be read; both hold
                never.scope, task.scope = task.scope, never
            elif task.condition is None:
                task.condition = never
            else:
                add_scope(task.condition, never)
            task.also.append(Task(task.kind, m.group(0), index, 0))  # its step quotes the rule
            guarded = True
        if guarded:
            matches.append(Match("condition", sentence, index, 0, len(sentence)))


# "close the request … instead of creating any work order": the action replaces others
_INSTEAD_OF = re.compile(
    r"\binstead\s+of\s+(?P<verb>[a-z]+?)(?:ing)\s+(?:any\s+|the\s+|a\s+|an\s+)?(?P<what>[a-z][\w\s-]*?)(?=\s*[,.;]|\s*$)",
    re.I,
)


def _ing_base(word: str) -> str:
    """ "creating" -> "create", "sending" -> "send", "emailing" -> "email", "shipping" -> "ship"."""
    from copilot.draft.verbs import ACTION_VERBS

    for stem in (word, word + "e", word[:-1] if len(word) > 3 and word[-1] == word[-2] else word):
        if stem in ACTION_VERBS:
            return stem
    return word


def instead_of(sentences: list[str], tasks: list[Task]) -> None:
    """The actions an "instead of" names run only when the replacing action's condition fails."""

    for index, sentence in enumerate(sentences):
        m = _INSTEAD_OF.search(sentence)
        owner = next(
            (
                t
                for t in tasks
                if t.sentence == index
                and t.kind in ACTING
                and t.condition
                and t.start < (m.start() if m else 0)
            ),
            None,
        )
        if m is None or owner is None or owner.condition is None:
            continue
        verb, what = _ing_base(m.group("verb").lower()), set(re.findall(r"[a-z]+", m.group("what").lower()))
        for task in tasks:
            said = (task.quote or task.text).lower()
            first = said.split()[0] if said.split() else ""
            if task is owner or task.kind not in ("notify", "store", "act") or first != verb:
                continue
            if not what & set(re.findall(r"[a-z]+", said)):
                continue
            held_on(task, owner.condition)


# "if its a complaint ping the duty manager … and dont let the bot reply itself in that case"
_NO_REPLY_THEN = re.compile(
    r"\b(?:don'?t|dont|do\s+not|never)\s+(?:let\s+)?(?:the\s+)?(?:bot|model|ai|llm|assistant)?\s*"
    r"(?:reply|answer|respond|write\s+(?:a\s+|the\s+)?(?:reply|answer))\w*\b[^,;.]*?"
    r"\b(?:in\s+(?:that|this|those|these)\s+cases?|then|for\s+(?:those|these|them))\b"
    # "If the customer mentions any injury, do not reply automatically at all; instead assign …"
    r"|^\W*(?:if|when|whenever)\b[^;.]*?,\s*(?:then\s+)?(?:don'?t|dont|do\s+not|never)\s+"
    r"(?:reply|answer|respond)\w*\b(?:\s+(?:automatically|at\s+all|to\s+(?:them|it|the\s+\w+)))*(?=\s*(?:[;,.]|$))",
    re.I,
)
# a step that sends the written reply: "post a public reply on the ticket", "reply to the guest"
_SENDS_REPLY = re.compile(
    r"^\W*(?:(?:post|send|add|leave|write)\s+(?:a\s+|the\s+|an\s+)?(?:public\s+|short\s+)?"
    r"(?:reply|response|answer)|repl(?:y|ies)\b|respond)",
    re.I,
)


def no_reply_then(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """The written reply is held back on the events a sentence's condition names ("in that case"):
    its step runs only when that condition fails."""

    for index, sentence in enumerate(sentences):
        m = _NO_REPLY_THEN.search(sentence)
        owner = next(
            (
                t
                for t in sorted(tasks, key=lambda t: t.start, reverse=True)
                if m and t.sentence == index and t.condition is not None and t.start < m.start()
            ),
            None,
        )
        cond = owner.condition if owner is not None else None
        if m is not None and cond is None and m.group(0).lstrip().lower().startswith(("if", "when")):
            # the condition is the sentence's own if-clause, read (or guessed by the classifier,
            # under the same name as the action's) later
            said = re.match(r"\W*((?:if|when|whenever)\b[^,;.]*)", sentence, re.I)
            if said is not None:
                mapped, unread, _ = read_conditions(said.group(1))
                cond = (
                    mapped[0][2]
                    if mapped and not unread
                    else Condition(
                        "field", said.group(1), "==", True, output_field=condition_field(said.group(1))
                    )
                )
        if m is None or cond is None:
            continue
        for task in tasks:
            if task.kind not in ("reply", "answer") and not (
                task.kind in ("notify", "act", "store") and _SENDS_REPLY.match(task.quote or task.text)
            ):
                continue
            held_on(task, cond)
            matches.append(Match("condition", m.group(0), index, m.start(), m.end()))


# "Artifacts must never be sent to the scheduler or to Slack": a kind of event kept from places
_NEVER_TO = re.compile(
    r"^\W*(?P<subject>(?:[\w-]+\s+){0,2}?[\w-]+)\s+(?:must|should|shall|will|may|can)\s+never\s+be\s+"
    r"(?:sent|posted|forwarded|passed|routed|pushed|added)\s+(?:on\s+)?(?P<rest>(?:to|into)\s+[^.;]+)",
    re.I,
)


def never_for_label(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """ "Artifacts must never be sent to the scheduler or to Slack": every action that sends to
    one of those places also requires that the classifier's label is not that one."""
    labels = [lb for t in tasks if t.kind == "classify" for lb in t.labels if lb != "other"]
    for index, sentence in enumerate(sentences):
        m = _NEVER_TO.match(sentence)
        subject = snake(m.group("subject")) if m else ""
        label = next((lb for lb in labels if subject in (lb, lb + "s", lb + "es")), None)
        if m is None or label is None:
            continue
        places = [
            re.sub(r"^(?:to|into)\s+(?:the\s+|our\s+)?", "", p.strip(), flags=re.I).lower()
            for p in re.split(r",|\bor\b|\band\b", m.group("rest"))
        ]
        places = [p for p in places if p]
        kept_out = False
        for task in tasks:
            said = " ".join([(task.quote or task.text), task.target or "", task.channel or ""]).lower()
            if task.kind not in ("notify", "store", "act") or not any(p in said for p in places):
                continue
            cond = task.condition
            parts = (
                [cond, *cond.alternatives]
                if cond is not None and (cond.all_of or not cond.alternatives)
                else []
            )
            if any(p.kind == "label" and p.value != label and not p.negated for p in parts if p is not None):
                continue  # already only for another label
            never = Condition("label", m.group(0), "==", label, negated=True)
            if cond is None:
                task.condition = never
            elif cond.scope is None:
                cond.scope = never
            kept_out = True
        if kept_out:
            matches.append(Match("constraint", m.group(0), index, m.start(), m.end()))


# "don't page anyone for housekeeping findings", "never text for spam messages": that action, kept
# from the events of one label
_NEVER_FOR = re.compile(
    r"\b(?:don'?t|do\s+not|never)\s+(?P<verb>page|text|sms|e-?mail|post|notify|alert|call|escalate)\s+"
    r"(?:anyone\s+|anybody\s+|anything\s+|them\s+|it\s+)?(?:for|on|about)\s+(?:messages\s+classified\s+as\s+)?"
    r"(?:the\s+|any\s+)?(?P<label>[a-z][\w -]*?)"
    r"(?:\s+(?:findings|tickets|messages|requests|ones|cases|reports|calls|alerts|issues|events))?\s*(?=[.,;]|\band\b|$)",
    re.I,
)
_VERB_CHANNEL = {
    "page": "pagerduty",
    "text": "sms",
    "sms": "sms",
    "email": "email",
    "e-mail": "email",
    "post": "slack",
}


def never_verb_for_label(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """ "If the tag is red, page the manager … don't page anyone for housekeeping findings": every
    step of that kind also requires that the classifier's label is not that one."""
    labels = [lb for t in tasks if t.kind == "classify" for lb in t.labels if lb != "other"]
    for index, sentence in enumerate(sentences):
        for m in _NEVER_FOR.finditer(sentence):
            said = snake(m.group("label"))
            label = next((lb for lb in labels if said in (lb, lb + "s", lb + "es")), None)
            channel = _VERB_CHANNEL.get(m.group("verb").lower())
            if label is None or channel is None:
                continue
            for task in tasks:
                cond = task.condition
                if (
                    task.kind != "notify"
                    or task.channel != channel
                    or (cond is not None and cond.scope is not None)
                ):
                    continue
                if cond is not None and cond.kind == "label" and cond.value != label and not cond.negated:
                    continue  # already only for another label
                never = Condition("label", m.group(0), "==", label, negated=True)
                if cond is None:
                    # a rule beside whatever condition the step gets later (its own is unread yet)
                    never.scope, task.scope = task.scope, never
                else:
                    cond.scope = never
                matches.append(Match("constraint", m.group(0), index, m.start(), m.end()))


# "dont send deposit links to corporate bookings ever": what is sent, kept from one label's events
_NEVER_SEND_TO = re.compile(
    r"\b(?:don'?t|dont|do\s+not|never)\s+(?:ever\s+)?(?:send|give|email|e-mail|text|offer)\s+"
    r"(?:an?\s+|the\s+|any\s+)?(?P<what>(?:[\w-]+\s+){0,2}?[\w-]+)\s+to\s+(?:the\s+|any\s+)?(?P<label>[a-z][\w-]*)"
    r"(?:\s+(?:bookings|orders|tickets|messages|requests|ones|cases|customers|guests|clients|users|accounts))?\b",
    re.I,
)


def never_send_to_label(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """ "dont send deposit links to corporate bookings ever": every action of a sentence that
    makes or sends that thing also requires that the classifier's label is not that one."""
    from copilot.draft.decisions import stem

    labels = [lb for t in tasks if t.kind == "classify" for lb in t.labels if lb != "other"]
    for index, sentence in enumerate(sentences):
        for m in _NEVER_SEND_TO.finditer(sentence):
            said = snake(m.group("label"))
            label = next((lb for lb in labels if said in (lb, lb + "s", lb + "es")), None)
            what = {stem(w) for w in re.findall(r"[a-z]{4,}", m.group("what").lower())}
            if label is None or not what:
                continue
            for task in tasks:
                if task.kind not in ("notify", "act", "store") or task.sentence == index:
                    continue
                words = {stem(w) for w in re.findall(r"[a-z]{4,}", sentences[task.sentence].lower())}
                cond = task.condition
                if not what & words or (cond is not None and cond.kind == "label" and cond.value != label):
                    continue  # not what is sent, or already only for another label
                never = Condition("label", m.group(0), "==", label, negated=True)
                if cond is None:
                    never.scope, task.scope = task.scope, never
                else:
                    add_scope(cond, never)
                task.also.append(Task(task.kind, m.group(0), index, 0))  # its step quotes the rule
                matches.append(Match("constraint", m.group(0), index, m.start(), m.end()))
