"""Building the side-effect steps of an offline draft: notify, store, act, and when they run.

`side_effect_step` writes the http step of a task that changes the world (a Slack or
email message, a page, a ticket, a record, an API call): its endpoint from the
environment, its body from the fields the brief names, what it refers to ("it", "the
ticket"), and its rate limit. `condition_expr` turns a task's `Condition` into the
step's `if:` over the outputs of the steps that produce what it reads.
"""

from __future__ import annotations

import re
from typing import Any

from copilot.draft import blocks
from copilot.draft.dictated import described_text, dictated_text, said_text
from copilot.draft.message_content import asked_content, set_value
from copilot.draft.planning import Plan, display
from copilot.draft.reader import Condition, Task
from copilot.draft.subjects import systems_named


def _shift(cond: Condition) -> str:
    """ " - 25" for "more than 25 degrees below" the other value; "" without a margin."""
    if not cond.offset:
        return ""
    return f" {'+' if cond.offset > 0 else '-'} {abs(cond.offset):g}"


def _test(cond: Condition, producers: dict[str, str]) -> tuple[str, str] | None:
    """(boolean expression, the validate step it reads) for one condition, without braces."""
    if cond.kind == "decision" and ("decide" in producers or "decision" in producers):
        source = producers.get("decide") or producers["decision"]
        return f"steps.{source}.output.decision {cond.op} {cond.value!r}", source
    if cond.kind == "ungrounded" and "answer" in producers:
        return f"not steps.{producers['answer']}.output.grounded", producers["answer"]
    if cond.kind == "fetched":
        return f"(steps.fetch.output | length) {cond.op} {cond.value:g}", "fetch"
    if cond.kind == "fields" and cond.output_field:
        times = f" * {cond.factor:g}" if cond.factor is not None else ""
        return f"event.{cond.output_field} {cond.op} event.{cond.value}{times}{_shift(cond)}", ""
    if cond.kind == "event" and cond.output_field and f"compute:{cond.output_field}" in producers:
        # "refunds above 500 EUR", the refund being what the flow computed
        source = producers[f"compute:{cond.output_field}"]
        return f"steps.{source}.output.{cond.output_field} {cond.op} {cond.value:g}", source
    if cond.kind == "returned" and cond.op == "truthy" and cond.output_field and "lookup" in producers:
        return f"steps.{producers['lookup']}.output.{cond.output_field} | default(false)", producers["lookup"]
    if (
        cond.kind == "returned"
        and cond.output_field
        and "lookup" in producers
        and isinstance(cond.value, str)
    ):
        # "if the plan is standard", the plan being what the lookup returned
        value = f"steps.{producers['lookup']}.output.{cond.output_field}"
        return f"{value} is defined and {value} {cond.op} {cond.value!r}", producers["lookup"]
    if cond.kind == "returned" and cond.output_field and "lookup" in producers:
        # "if the pipe count is over 2000", the pipe count being what the lookup returned
        value = f"steps.{producers['lookup']}.output.{cond.output_field}"
        if isinstance(cond.value, tuple):  # "between 2 and 8" of what the lookup returned
            low, high = cond.value
            band = (
                f"({value} < {low:g} or {value} > {high:g})"
                if cond.op == "outside"
                else f"({value} >= {low:g} and {value} <= {high:g})"
            )
            return f"{value} is defined and {band}", producers["lookup"]
        return f"{value} is defined and {value} {cond.op} {cond.value:g}", producers["lookup"]
    if cond.kind == "looked_up" and cond.output_field and "lookup" in producers:
        # what the lookup returned; a reply without the field makes the comparison false
        value = f"steps.{producers['lookup']}.output.{cond.value}"
        return f"{value} is defined and event.{cond.output_field} {cond.op} {value}{_shift(cond)}", producers[
            "lookup"
        ]
    if cond.kind == "difference" and cond.output_field and isinstance(cond.value, tuple):
        gap, other = cond.value
        return f"event.{cond.output_field} - event.{other} {cond.op} {gap:g}", ""
    if cond.kind == "present" and cond.output_field:
        # an empty string, null or a missing field are all "not given"
        return f"event.{cond.output_field} | default('')", ""
    if cond.kind == "event" and cond.output_field:
        field = f"event.{cond.output_field}"
        if isinstance(cond.value, list):
            test = f"{field} in {cond.value!r}"
        elif cond.op == "contains":
            test = f"{cond.value!r} in {field}"  # 'the event_name contains "Junior"'
        elif isinstance(cond.value, tuple):
            low, high = cond.value  # "the pH is outside 7.2-7.8", "between 2 and 8"
            test = (
                f"({field} < {low:g} or {field} > {high:g})"
                if cond.op == "outside"
                else f"({field} >= {low:g} and {field} <= {high:g})"
            )
        elif isinstance(cond.value, str):
            test = f"{field} {cond.op} {cond.value!r}"
        else:
            test = f"{field} {cond.op} {cond.value:g}"
        # an assumed field the event may not carry: without it the test is false, never an error
        return (f"{field} is defined and {test}" if cond.optional else test), ""
    if cond.kind == "score_vs_lookup" and "score" in producers and "lookup" in producers:
        # "If the yards needed are more than the yards in stock": the estimate against what was looked up
        value = f"steps.{producers['lookup']}.output.{cond.value}"
        return f"{value} is defined and steps.{producers['score']}.output.score {cond.op} {value}", producers[
            "score"
        ]
    if cond.kind == "asked" and cond.output_field and (made := producers.get(cond.made_by or "")):
        # "classify …, with a repair cost estimate in dollars. If the estimate is over $150"
        return f"steps.{made}.output.{cond.output_field} {cond.op} {cond.value:g}", made
    if cond.kind == "extracted" and cond.output_field and "extract" in producers:
        # "If there is an active leak": the yes or no the extraction was asked for
        return f"steps.{producers['extract']}.output.{cond.output_field}", producers["extract"]
    if cond.kind == "urgent" and "classify" in producers:
        return f"steps.{producers['classify']}.output.urgency == 'high'", producers["classify"]
    if cond.kind == "label" and "classify" in producers and isinstance(cond.value, list):
        among = "not in" if cond.op in ("!=", "not in") else "in"
        return f"steps.{producers['classify']}.output.label {among} {cond.value!r}", producers["classify"]
    if cond.kind == "label" and "classify" in producers:
        # "if it is not a refund": any other label
        same = "!=" if cond.op == "!=" else "=="
        return f"steps.{producers['classify']}.output.label {same} {cond.value!r}", producers["classify"]
    if cond.kind == "field" and cond.output_field and cond.value is True and "classify" in producers:
        return f"steps.{producers['classify']}.output.{cond.output_field}", producers["classify"]
    if cond.kind == "field" and cond.output_field and "classify" in producers:
        return (
            f"steps.{producers['classify']}.output.{cond.output_field} == {cond.value!r}",
            producers["classify"],
        )
    if cond.kind == "score" and "score" in producers and cond.op == "range":
        low, high = cond.value  # type: ignore[misc]
        score = f"steps.{producers['score']}.output.score"
        # "0.4 to 0.8" abuts "0.8 and above": open at the top; "between 40 and 74" on a whole-number
        # scale includes 74 (the next band says 75)
        below = "<=" if float(high) == int(high) and high >= 2 else "<"
        return f"{score} >= {low:g} and {score} {below} {high:g}", producers["score"]
    if cond.kind == "score" and "score" in producers:
        return f"steps.{producers['score']}.output.score {cond.op} {cond.value:g}", producers["score"]
    if cond.kind == "flagged" and "moderate" in producers:
        return f"not steps.{producers['moderate']}.output.allowed", producers["moderate"]
    return None


def _opposites(expr: str) -> set[str]:
    """The `if` expressions that hold exactly when `expr` does not: "{{ not (X) }}" for "{{ X }}",
    and "{{ X }}" for "{{ not (X) }}"."""
    inner = expr.removeprefix("{{ ").removesuffix(" }}")
    out = {f"{{{{ not ({inner}) }}}}"}
    if inner.startswith("not (") and inner.endswith(")"):
        out.add(f"{{{{ {inner[5:-1]} }}}}")
    return out


def condition_expr(cond: Condition, producers: dict[str, str]) -> tuple[str, list[str]] | None:
    """(`if` expression, the validate steps it reads) for a condition and its alternatives."""
    tests = [
        (f"not ({t[0]})", t[1]) if part is not cond and part.negated else t
        for part in [cond, *cond.alternatives]
        # an alternative carries its own "not" ("… and the segment isn't in a maintenance window")
        if (t := _test(part, producers)) is not None
    ]
    tests = list(dict.fromkeys(tests))  # a label said twice ("For at_need enquiries …") is one test
    if not tests:
        return None
    joiner = " and " if cond.all_of else " or "
    expr = joiner.join(f"({t[0]})" if len(tests) > 1 else t[0] for t in tests)
    if cond.negated:
        expr = f"not ({expr})"
    reads = [t[1] for t in tests if t[1]]
    if cond.scope is not None and (within := condition_expr(cond.scope, producers)) is not None:
        expr = f"({within[0][3:-3]}) and ({expr})"
        reads = [*within[1], *reads]
    return f"{{{{ {expr} }}}}", list(dict.fromkeys(reads))


# words any clause may share with a writer's, naming nothing it wrote
_PLAIN_WORDS = frozenset(
    {"model", "their", "there", "which", "about", "customer", "email", "should", "would", "using"}
)


def _sentence_case(text: str) -> str:
    text = text.strip(" .")
    return (text[:1].upper() + text[1:] + ".") if text else text


def body_fields(
    kind: str, check: str, conditional: bool = False, steps: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The request body of a side effect: the fields of the validated output `check` it sends."""
    out = f"steps.{check}.output"
    default = " | default('')" if conditional else ""
    if kind == "classify":
        # whatever the classifier was asked to decide: label, urgency, the brief's own conditions
        gate = next((s for s in steps or [] if s["id"] == check), None)
        names = list((gate or {}).get("output_schema", {}).get("properties", {"label": 0, "urgency": 0}))
        return {n: f"{{{{ {out}.{n}{default} }}}}" for n in names if n != "confidence"}
    return {
        "classify": {
            "label": f"{{{{ {out}.label{default} }}}}",
            "urgency": f"{{{{ {out}.urgency{default} }}}}",
        },
        "score": {"score": f"{{{{ {out}.score{default} }}}}"},
        "moderate": {"allowed": f"{{{{ {out}.allowed{default} }}}}"},
        "extract": {"fields": f"{{{{ {out}{default} }}}}"},
        "summarise": {"summary": f"{{{{ {out}.summary{default} }}}}"},
        "translate": {"translation": f"{{{{ {out}.text{default} }}}}"},
        "answer": {"answer": f"{{{{ {out}.text{default} }}}}"},
        "decide": {
            "decision": f"{{{{ {out}.decision{default} }}}}",
            "reason": f"{{{{ {out}.reason{default} }}}}",
        },
        "reply": {"reply": f"{{{{ {out}.text{default} }}}}"},
    }.get(kind, {})


_CHANNEL_ENV = {
    "slack": ("SLACK_WEBHOOK_URL", "post to Slack"),
    "teams": ("TEAMS_WEBHOOK_URL", "post to Microsoft Teams"),
    "email": ("EMAIL_API_URL", "send an email through the mail API"),
    "pagerduty": ("PAGERDUTY_EVENTS_URL", "page on-call through PagerDuty"),
    "sms": ("SMS_API_URL", "send a text message"),
    "discord": ("DISCORD_WEBHOOK_URL", "post to Discord"),
    "webhook": ("ESCALATION_WEBHOOK_URL", "hand over to the escalation endpoint"),
}


# Words that end an action's object: a relative clause or a preposition starts after it.
_PRONOUNS = frozenset({
    "the", "a", "an", "our", "their", "its", "it", "them", "this", "each", "every", "those", "these",
    "ones", "just",
})  # fmt: skip
_OBJECT_ENDS = frozenset({
    "that", "which", "who", "whose", "where", "when", "to", "in", "on", "for", "with", "from", "via", "by",
    "as", "at", "into", "onto", "through", "using", "if", "unless", "since", "because", "so", "and", "or",
    "but", "then", "of",
})  # fmt: skip

# How a clause names a task's output: "post the summary", "log the decision", "send the score".
_MENTIONS = {
    "classify": r"classif|categor|label|decision|verdict|triage|urgen",
    "score": r"score|risk|decision|verdict",
    "moderate": r"moderat|verdict|decision|flag|violat",
    "extract": r"extract|fields|details|data",
    "summarise": r"summar|digest|recap|brief\b|history",
    "translate": r"translat",
    "answer": r"answer|reply|response|draft",
    "decide": r"decision|verdict|decided|outcome",
    "reply": r"reply|response|answer|e-?mail|message|note|notice|comment|draft|copy|text",
    "enrich": r"enrich|profile|research|firmographic|lookup|looked up",
}


_IT = re.compile(
    r"\W*(?:(?:otherwise|then|also|just|else)\s+)?\w+\s+(?:it|them|this|that|these|those|the results?)\b",
    re.I,
)


def _referred(task: Task, tasks: list[Task], sentences: list[str] | None = None) -> set[str]:
    """'generate a call summary and attach it to the customer record': the work an 'it' names,
    the model task just before this one (in its sentence, else in the two before). Also what
    a writer joined to it by "and" writes: 'write a damage summary … and open a ticket in
    Zendesk' opens the ticket with the summary."""
    models = [t for t in tasks if t.start >= 0 and t.kind in _MENTIONS]
    sentence = sentences[task.sentence] if sentences and 0 <= task.sentence < len(sentences) else ""
    action_words = set(re.findall(r"[a-z]+", (task.quote or task.text).lower()))
    for writer in models:
        # "page the manager, and have a model write an explanation that goes in the page"
        goes = _GOES_IN.search(sentence, writer.start) if writer.sentence == task.sentence else None
        if goes is not None and goes.group(1).lower().rstrip("s") in {w.rstrip("s") for w in action_words}:
            return {writer.kind}
    if not _IT.match(task.quote or task.text):
        joined = [
            t
            for t in models
            if t.sentence == task.sentence
            and t.end <= task.start
            # "look up the application in Salesforce … and post the status": what the read found
            and (_WRITES.search(t.quote or t.text) or t.kind == "enrich")
            and _JOINED.fullmatch(between := sentence[t.end : task.start])
            and not _JOIN_BREAKS.search(between)
        ]
        return {max(joined, key=lambda t: t.start).kind} if joined else set()
    before = [t for t in models if t.sentence == task.sentence and t.start < task.start]
    if not before:  # "Draft the evidence. If …, send it to finance; otherwise submit it"
        earlier = [t for t in models if task.sentence - 2 <= t.sentence < task.sentence]
        last = max((t.sentence for t in earlier), default=None)
        before = [t for t in earlier if t.sentence == last]
    return {max(before, key=lambda t: t.start).kind} if before else set()


# What the flow wrote, as the subject of where it goes: "the proposal goes into the queue"
_PRODUCT_GOES = re.compile(
    r"\b(?:the|this|that|our|its)\s+(?:[\w-]+\s+)?(?:summary|reply|answer|note|proposal|draft|explanation|"
    r"suggestion|recommendation|message|report|write-?up|brief)s?\s+(?:goes|go|is\s+sent|gets?\s+sent|is\s+posted|"
    r"gets?\s+posted|is\s+added|gets?\s+added)\b",
    re.I,
)

# A writer's output named as going into an action: "… an explanation that goes in the page"
_GOES_IN = re.compile(
    r"\b(?:that|which|to)\s+(?:goes|go|is\s+included|gets\s+included|is\s+put|be\s+included|include)\s+"
    r"(?:in|into|with|on)\s+(?:the|that|this|each)\s+([a-z]+)",
    re.I,
)

# Between a writer and the action after it: "… and", "…, then" and no new condition
# ("write a note and, if it is urgent, page …" is its own decision).
_JOINED = re.compile(r"[^;:]*?(?:,\s*)?\b(?:and(?:\s+then)?|then)\s*", re.I)
_JOIN_BREAKS = re.compile(r"\b(?:if|when|unless|otherwise|else|but)\b", re.I)

_WRITES = re.compile(
    r"\b(?:write|writes|draft|drafts|generate|generates|compose|composes|produce|produces|prepare|prepares|"
    r"list|lists|describe|describes|note|notes)\s+"
    r"((?:[\w-]+\s+){0,3}?[\w-]+?)(?=\s+(?:at|in|for|to|from|with|that|which|of|on|per|about|using|and|grounded)\b|"
    r"\s*[,.;(]|$)",
    re.I,
)


# What a lookup gets: "look up each object's condition and conservation notes in TMS" -> notes
_LOOKS_UP = re.compile(
    r"\b(?:look(?:s|ed)?\s+up|fetch(?:es|ed)?|pull(?:s|ed)?|retrieve[sd]?|get(?:s)?)\s+"
    r"((?:[\w'’-]+\s+){0,9}?[\w-]+?)(?=\s+(?:in|from|via|using|with|through)\b|\s*[,.;(]|$)",
    re.I,
)


def _written(kind: str, tasks: list[Task], sentences: list[str] | None = None) -> set[str]:
    """The head nouns of what the `kind` tasks write ("have an LLM write a plain-language
    explanation" -> {explanation}, "… and list any deficiencies" -> {deficiencies}) or look up
    ("look up each object's condition and conservation notes" -> {notes, condition}), so "post
    the explanation to MyChart" sends that output."""
    out: set[str] = set()
    for task in tasks:
        if task.kind != kind:
            continue
        quote = task.quote or ""
        if sentences and 0 <= task.sentence < len(sentences) and task.start >= 0:
            # the rest of its sentence: "check the report against the policy — temperature,
            # humidity — and list any deficiencies" writes the deficiencies
            quote = sentences[task.sentence][task.start :]
        verb = re.match(
            r"\W*(?:have\s+(?:the|a|an)\s+(?:[\w-]+\s+)?(?:model|llm|ai)\s+)?([a-z]{5,})", task.text, re.I
        )
        if verb and kind != "enrich":
            out.add(verb.group(1).lower())  # "have a strong model research the company" -> "the research"
        for m in (_LOOKS_UP if kind == "enrich" else _WRITES).finditer(quote):
            # each noun of "condition and conservation notes" names it
            for part in re.split(r"\s*(?:,|\band\b)\s*", m.group(1)):
                if part.split():
                    out.add(part.split()[-1].lower())
                    if kind == "enrich" and len(part.split()) >= 2 and len(part.split()[-2]) >= 5:
                        # "to get the deposit amount": "refund the deposit" sends what it found
                        out.add(part.split()[-2].lower())
                    if kind != "enrich":
                        # "write the warning text" is also "the warning": "send the skipper a warning SMS"
                        out.update(
                            w.lower()
                            for w in part.split()[:-1]
                            if len(w) >= 5 and w.lower() not in _GENERIC_WORDS
                        )
    return out


_GENERIC_WORDS = frozenset(
    {"short", "brief", "quick", "simple", "plain", "small", "first", "final", "their", "other"}
)


_AT_ONCE = re.compile(
    r"\b(?:immediately|right away|at once|straight away|before anything else|first thing|"
    r"(?:must|should|does|do)\s*(?:not|n't)\s+wait|without waiting|never waits?)\b",
    re.I,
)


# "only after the page has gone out", "once the ticket is created": the step this one follows
_AFTER_STEP = re.compile(
    r"\b(?:only\s+)?(?:after|once)\s+the\s+([a-z]+)\s+(?:has|have|is|was|are)\s+"
    r"(?:gone\s+out|been\s+(?:sent|posted|created|opened|made)|sent|posted|created|opened|out|done)\b",
    re.I,
)


def _after_step(sentence: str, task: Task, steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The side effect already drafted that the brief says this one comes after."""
    m = _AFTER_STEP.search(sentence, max(task.start, 0))
    if m is None:
        return None
    noun = m.group(1).lower().rstrip("s")
    return next(
        (
            s
            for s in steps
            if s.get("type") == "http"
            and (noun in str(s.get("id", "")).lower() or noun in str(s.get("description", "")).lower())
        ),
        None,
    )


def _passed_on(field: str) -> re.Pattern[str]:
    """ "messages are sent to …", "forward the message to …": the event's own text passed on."""
    head = re.escape(field.split("_")[-1])
    return re.compile(
        rf"\b{head}s?\s+(?:are|is|gets?|go|goes)\s+(?:\w+\s+)?(?:sent|forwarded|passed|printed|posted)\b"
        # "post the question to #front-desk": what they wrote, whatever the field is called
        rf"|\b(?:send|forward|pass|print|post)\s+(?:the|their|its|that)\s+(?:[\w-]+\s+)?(?:{head}|question|message)s?\b"
        # "make a ticket … w/ the whole text": the event's own text, whatever its field is called
        r"|\b(?:with|w/)\s+(?:the|their|its)\s+(?:whole|full|original|entire|complete)\s+(?:text|message|body|email)\b",
        re.I,
    )


def _gate_of(steps: list[dict[str, Any]], step_id: str) -> str | None:
    """The `if:` that decides whether `step_id` runs: its own, else the first of what it needs
    (depth first, over one index of the steps)."""
    by_id = {s["id"]: s for s in steps}
    todo, seen = [step_id], set()
    while todo:
        current = todo.pop(0)
        step = by_id.get(current)
        if step is None or current in seen:
            continue
        seen.add(current)
        if step.get("if"):
            return str(step["if"])
        todo[:0] = list(step.get("needs") or [])  # its needs first, in order: depth first
    return None


def _may_skip(steps: list[dict[str, Any]]) -> set[str]:
    """Steps that do not run on every event: those with an `if:`, those whose needs may all be
    skipped (the engine skips a step whose needs were all skipped), and a validation gate on any
    of them. A side effect that waits on one is skipped with it ("If damage_reported, write a
    damage summary … If days_late is more than 2, charge a late fee": the fee must not wait on
    the summary's gate)."""
    skip: set[str] = set()
    for step in steps:  # drafted steps come in dependency order
        needs = set(step.get("needs") or [])
        if step.get("if") or (needs and needs <= skip) or (step.get("type") == "validate" and needs & skip):
            skip.add(step["id"])
    return skip


def side_effect_step(
    task: Task,
    plan: Plan,
    producers: dict[str, str],
    respond_needs: list[str],
    steps: list[dict[str, Any]],
    async_checks: set[str] | None = None,
    follows: str | None = None,
) -> dict[str, Any]:
    """A notification, write or action, waiting only for the outputs it uses (and for the
    step of the action the brief puts right before it, `follows`).

    Its condition's deciding step, the task whose result it writes (`source`), outputs its
    clause names ("post the summary"), and the quick sync decisions (label, score) as
    context. Never slow async work it does not use: an urgent page must not wait for a
    background summary (FG109).
    """
    noun = display(plan.reading.noun)
    slow = async_checks or set()
    cond = condition_expr(task.condition, producers) if task.condition else None
    needs: list[str] = []
    if cond:
        needs.extend(cond[1])
    quote = (task.quote or task.text).lower()
    # what the event is about goes with every call; what the steps before produced is added below
    details: dict[str, Any] = {"event": fields} if (fields := plan.event.payload()) else {}
    # a step that runs exactly when this one does not ("do not assign a slip … just post it")
    # has no output to give it
    opposite = _opposites(cond[0]) if cond else set()
    skipped = {f"check_{s['id']}" for s in steps if s.get("type") == "model" and s.get("if") in opposite} | {
        s["id"] for s in steps if s.get("type") == "model" and s.get("if") in opposite
    }
    # a step that runs only on some events: only what names its output waits on it ("If the
    # amount is 1000 or more, have an LLM write a note … Record it in the ledger": the ledger
    # write must not be skipped with the note)
    may_skip = _may_skip(steps)
    gated = {f"check_{s['id']}" for s in steps if s.get("type") == "model" and s["id"] in may_skip}
    for read in list(cond[1]) if cond else []:
        gate = _gate_of(steps, read.removeprefix("check_")) if read in gated else None
        if cond is not None and gate and gate.strip("{} ") not in cond[0]:
            # "if the answer is not in those documents, assign it to a person", the answer being
            # written only for pricing questions: the test holds where its step ran, never on
            # the output of a skipped one
            cond = (f"{{{{ ({gate.strip('{} ')}) and ({cond[0].strip('{} ')}) }}}}", cond[1])
    sentence = (
        plan.reading.sentences[task.sentence] if 0 <= task.sentence < len(plan.reading.sentences) else ""
    )
    # "immediately create an emergency job … this must not wait on the model": only what its own
    # condition reads, nothing a model produces
    at_once = bool(_AT_ONCE.search(sentence))
    for kind, check in producers.items():
        if check in skipped or (at_once and check not in needs):
            continue
        if cond is None and check in may_skip:
            writer_if = _gate_of(steps, check.removeprefix("check_"))
            if (
                kind in ("reply", "answer", "summarise", "translate")
                and writer_if
                and re.search(r"\b(?:the|this|that|its)\s+(?:" + _MENTIONS[kind] + r")", quote)
            ):
                # "For anything except death_benefit, draft a reply … Post the draft as a private
                # note": the action sends what the writer wrote, so it runs when the writer does
                cond = (writer_if, [])
            else:
                # "In every case post a short note to Slack": an action on every event never waits
                # on a step that runs only on some (it would be skipped with it)
                continue
        if cond is not None and check in gated and check not in needs:
            # "If it's out of scope, draft a desk-rejection letter … if it's over, email the author":
            # a writer that runs on other events than this action has nothing to give it
            # (the writer's own `if:`, or the one of what it waits on: a reply behind a retrieval)
            writer_if = _gate_of(steps, check.removeprefix("check_")) or ""
            if writer_if.strip("{} ") not in cond[0]:
                continue
        if kind.startswith("compute:"):
            # "issue the refund in Stripe" sends the refund computed before it
            name = kind.split(":", 1)[1]
            if re.search(rf"\b{re.escape(name.replace('_', ' '))}", quote) or check in needs:
                details[name] = f"{{{{ steps.{check}.output.{name} }}}}"
                if check not in needs:
                    needs.append(check)
            continue
        fields = body_fields(kind, check, steps=steps) or (
            {"looked_up": f"{{{{ steps.{check}.output }}}}"} if kind in ("enrich", "lookup") else {}
        )
        mentioned = (
            bool(re.search(_MENTIONS.get(kind, r"^$"), quote))
            # "so the proposal goes into the AODB suggestions queue": what a writer wrote goes there
            or (kind in ("reply", "answer", "summarise") and bool(_PRODUCT_GOES.search(quote)))
            or kind in task.after
            or (kind == "lookup" and "enrich" in task.after)  # "First look up the pager, then page"
            or kind in _referred(task, plan.tasks, plan.reading.sentences)
            or bool(
                _written("enrich" if kind == "lookup" else kind, plan.tasks, plan.reading.sentences)
                & set(re.findall(r"[a-z]+", quote))
            )
        )
        context = check not in slow and kind in ("classify", "score", "moderate") and task.kind != "store"
        if (
            check in needs
            or task.source == kind
            or mentioned
            or (context and check not in gated)
            # a record of the event keeps the quick decisions with it, never waits for a writer
            # it does not name ("Readings above 4 degrees just get appended to BigQuery")
            or (
                task.kind == "store"
                and not task.source
                and check not in slow
                and check not in gated
                and kind not in ("answer", "reply", "summarise", "translate")
            )
        ):
            details.update(fields)
            if check not in needs:
                needs.append(check)
    # "If refractory_wear_pct is 80 or above, … page the shift metallurgist": decided by the event
    # alone, so nothing the models do holds it back
    by_event = cond is not None and not cond[1] and "steps." not in cond[0]
    if not needs and not at_once and task.kind != "store" and not by_event:
        # a message or an action goes after the first answer the flow gives, unless that step may
        # be skipped: it must not wait on a step that does not run ("If loa_feet exceeds 60, do not
        # assign a slip … just post it to Slack": the post runs exactly when the pick does not). A
        # record of the event that uses nothing waits for nothing ("Readings above 4 degrees just
        # get appended to BigQuery")
        needs = [n for n in respond_needs if n not in may_skip][:1]
    first = _after_step(sentence, task, steps)
    if first is None and follows and follows not in needs:
        needs = [*needs, follows]  # "first mark the printer as maintenance … Then requeue the job"
    if first is not None:
        # "send it to them by email only after the page has gone out": after that step, and
        # only when it went out (its condition, when this one has none of its own)
        needs = [*needs, first["id"]] if first["id"] not in needs else needs
        if cond is None and first.get("if"):
            cond = (first["if"], [])
    existing = {s["id"] for s in steps}
    if task.kind == "act":
        action = task.action or task.text
        # "the bereavement team's queue": a possessive's "s" is no word of the id
        words = [
            w for w in re.findall(r"[a-z0-9]+", re.sub(r"['’]s\b", "", action.lower())) if w not in _PRONOUNS
        ]
        # verb + the object's head noun: "block the card" -> block_card, "post a short reply" -> post_reply,
        # "flag prices that look way too low" -> flag_prices (the object ends where a relative
        # clause or a preposition starts)
        said = re.findall(r"[a-z0-9]+", (task.quote or "").lower())
        if len(words) == 1 and words[0] in said:
            # "put those in a Zendesk ticket": a pronoun object; where it goes names the step
            at = said.index(words[0])
            words += [w for w in said[at + 1 : at + 8] if w not in _PRONOUNS]
        object_end = next((i for i, w in enumerate(words) if i > 0 and w in _OBJECT_ENDS), len(words))
        # "set Background_Check__c to …": the field's words, never its one-letter tail
        head = [w for w in words[: max(object_end, 1)] if len(w) > 1] or words[:1]
        step_id = "_".join([head[0], head[-1]] if len(head) > 1 else head) or "act"
        if len(head) == 1 and words[1:2] in (["to"], ["into"], ["in"], ["on"], ["onto"]):
            # "send to visitor services team": no object, the destination names it
            dest = next((words[i:] for i in range(2, len(words)) if words[i] in _OBJECT_ENDS), None)
            dest = words[2 : len(words) - len(dest)] if dest else words[2:]
            step_id = "_".join([head[0], words[1], *dest[:3]]) if dest else step_id
        # no system named: the object names the endpoint ("link to the existing request" ->
        # existing_request), never a preposition or the next clause's words
        nouns = [w for w in words[1:] if w not in _OBJECT_ENDS][:2]
        system = task.target or "_".join(nouns) or head[0] or "action"
        env = blocks.env_name(re.sub(r"\b(api|service|system)\b", "", system).strip() or system, "api", "url")
        body = {
            "id": plan.shown_id,
            "action": " ".join(words[:4]),
            **set_value(task.quote or action),
            "details": details,
        }
        # the brief's own words say what it does; a made-up summary would only paraphrase them
        description = (task.quote or action)[:100]
    elif task.kind == "notify":
        env, description = _CHANNEL_ENV.get(task.channel or "webhook", _CHANNEL_ENV["webhook"])
        if task.channel == "pagerduty" and re.search(r"\bopsgenie\b", task.quote or task.text, re.I):
            env, description = "OPSGENIE_API_URL", "page on-call through Opsgenie"  # the pager it names
        step_id = {"pagerduty": "page_oncall", "webhook": "escalate"}.get(
            task.channel or "", f"notify_{task.channel}"
        )
        through = [
            n
            for n in systems_named(task.quote or "")
            if n.lower() not in (task.channel or "", "slack", "teams")
        ]
        if task.channel == "webhook" and task.target:
            # no channel named, but a system is: the alert goes through that system's API
            env = blocks.env_name(task.target, "api", "url")
            step_id = f"notify_{re.sub(r'[^a-z0-9]+', '_', task.target).strip('_')}"
            description = f"alert through {task.target}"
        elif through and task.channel in ("email", "sms"):
            # "Email the supplier via Outlook", "text the owner via Twilio": that system sends it
            env = blocks.env_name(through[0], "api", "url")
            description = f"{description} through {through[0]}"
        about = next((f for f in plan.event.id_fields if f != "id"), None)
        named = about.removesuffix("_id").replace("_", " ") if about else ""
        headline = (
            # what it is about ("silo {{ event.silo_id }}"), else the key as the flow reads it: an
            # assumed `id` may be missing from a real event ("Flight {{ event.flight_id }}", never
            # "Flight flight …")
            f"{noun.capitalize()} {named} {{{{ event.{about} }}}}"
            if about and named.lower() != noun.lower()
            else f"{noun.capitalize()} {{{{ event.{about} }}}}"
            if about
            else f"{noun.capitalize()} {plan.shown_id}"
            if plan.event.id_field
            else noun.capitalize()
        )
        if (
            task.condition is not None
            and not task.condition.negated
            and task.condition.kind in ("event", "fields", "looked_up", "returned", "present", "count")
        ):
            # why this alert fires, in the brief's comparison: "temp_c is above 25"
            why = re.sub(r"^\W*(?:only\s+)?(?:if|when|whenever)\s+", "", task.condition.text, flags=re.I)
            if not re.match(r"(?:it|it'?s|they|they'?re|that|this)\b", why, re.I):
                headline = f"{headline}: {why.strip(' ,.')}"  # never "…: it is yellow"
        if task.channel == "pagerduty":
            body: dict[str, Any] = {
                "summary": headline,
                "severity": "critical",
                "dedup_key": plan.shown_id,
                "details": details,
            }
        elif task.channel == "email":
            body = {"subject": headline, "text": details}
        else:
            body = {"text": headline, "details": details}
        # the text a writer of its own sentence wrote, or one the clause names ("text them the reply");
        # never a writer's text the clause does not send ("text me the address")
        here = [t.kind for t in plan.tasks if t.kind in ("answer", "reply") and t.sentence == task.sentence]
        said_here = set(re.findall(r"[a-z]{5,}", (task.quote or "").lower()))
        names = re.search(
            r"\b(?:reply|answer|response|draft|message|note|notice|text it)\b", task.quote or "", re.I
        ) or any(
            # "send the skipper a warning SMS" after "write the warning text": the warning it wrote
            said_here & (set(re.findall(r"[a-z]{5,}", (t.quote or "").lower())) - _PLAIN_WORDS)
            for t in plan.tasks
            if t.kind in ("answer", "reply")
        )
        written = next(
            (
                details[k]
                for k in dict.fromkeys([*here, "reply", "answer"])
                if isinstance(details.get(k), str) and (k in here or names)
            ),
            None,
        )
        if written is not None and task.channel != "pagerduty":
            # "draft a passenger notice with an LLM and push it through Twilio": the message is the
            # text the model wrote; the rest stays beside it
            rest = {k: v for k, v in details.items() if k not in ("reply", "answer")}
            body = {"subject": headline, "text": written} if task.channel == "email" else {"text": written}
            if rest:
                body["details"] = rest
        said = said_text(task.quote or "", headline if task.channel != "email" else None)
        sentences = plan.reading.sentences
        sentence = sentences[task.sentence] if 0 <= task.sentence < len(sentences) and task.start >= 0 else ""
        later = [t.start for t in plan.tasks if t.sentence == task.sentence and t.start > task.start]
        dictated = dictated_text(sentence, task.start, min(later, default=len(sentence)), plan.event.fields)
        # "email the customer that we'll quote on site": the clause's own words, even beside a
        # model's text, unless the clause sends what the model wrote ("email them the reply")
        own = written is None or not re.search(
            r"\b(?:reply|answer|response|draft|summary|explanation|note)\b", task.quote or "", re.I
        )
        if own and dictated and task.channel in ("email", "sms", "slack", "teams", "pagerduty"):
            # `saying "STOP LIFTING: gusts at <gust> km/h"`: the brief's words, its values filled in
            key = {"email": "text", "pagerduty": "summary"}.get(task.channel or "", "text")
            body = {**({"subject": headline} if task.channel == "email" else {}), **body, key: dictated}
        elif own and said is not None and task.channel in ("email", "sms", "slack", "teams"):
            # "email the homeowner that a roof inspection is needed before we can quote": the
            # message says that, in the brief's words; the data stays beside it
            body = {"subject": headline, "text": said} if task.channel == "email" else {"text": said}
            body["details"] = details
        elif (
            written is None
            and task.channel in ("email", "sms")
            and (described := described_text(task.quote or "")) is not None
        ):
            # "text them a 30%-off comeback offer": the customer never reads the flow's condition;
            # the brief's description stands in for the words, said as an assumption
            body = (
                {"subject": described.rstrip("."), "text": described}
                if task.channel == "email"
                else {"text": described}
            )
            body["details"] = details
            plan.assumptions.append(
                f"`{step_id}` says what the brief describes ({described.rstrip('.')!r}); write the words "
                "it sends"
            )
        where, to = task.recipient or ("", "")
        if where == "event":
            body = {"to": f"{{{{ event.{to} }}}}", **body}  # "email the applicant": their address
        elif where == "lookup" and "lookup" in producers:
            # "text the route driver", whom the lookup found
            body = {"to": f"{{{{ steps.{producers['lookup']}.output.{to} }}}}", **body}
            if producers["lookup"] not in needs:
                needs.append(producers["lookup"])
        elif where == "literal":
            body = {"to": to, **body}  # "email me (director@littlesprouts.example)": as the brief writes it
        elif where == "env":
            body = {"to": f"${{env:{to}}}", **body}  # "the on-call physio": the team's own, configured
        if task.sender and task.channel == "email":
            # "email the student from studyrooms@uni.edu": said as the sender, after the recipient
            body = {**({"to": body.pop("to")} if "to" in body else {}), "from": task.sender, **body}
    else:
        dest = task.target or "store"
        env = blocks.env_name(dest if dest not in ("database", "db") else "records", "api", "url")
        step_id = (
            "update_" + re.sub(r"[^a-z0-9]+", "_", dest.lower()).strip("_") if dest != "store" else "store"
        )
        description = f"record the result in {dest}"
        opened = re.match(
            r"\W*(?:create|open|file|raise)s?\s+(?:an?\s+|a\s+new\s+)?(?:[\w-]+\s+)?(ticket|issue|case|task|card)\b",
            task.text,
            re.I,
        )
        if opened is not None and dest != "store":
            # "create a Zendesk ticket": a new record, named as the brief says, not an update
            noun = opened.group(1).lower()
            step_id = f"create_{re.sub(r'[^a-z0-9]+', '_', dest.lower()).strip('_')}_{noun}"
            description = f"create a {noun} in {dest}"
        body = {"id": plan.shown_id, "result": details}
    # "… with the patient's name, phone and the red flags": each item the brief lists, by name
    # the clause from the action on: "open a Jira ticket … with the run_id, employee_id, score and
    # reason" lists past where its quote ends
    text_field = plan.event.named_text_field
    if text_field and isinstance(body.get("details"), dict) and _passed_on(text_field).search(quote):
        # "ok messages are sent to our print vendor": the text the event carries is what goes
        body["details"][text_field] = f"{{{{ event.{text_field} }}}}"
    listed = sentence[task.start :] if sentence and task.start >= 0 else (task.quote or "")
    asked, reads = asked_content(listed, plan.event, producers, steps)
    for key, value in asked.items():
        check = next((r for r in reads if f"steps.{r}." in value), None)
        if check is not None and check in gated and check not in needs:
            continue  # a step that may not run on this one's events has nothing to give it
        body.setdefault(key, value)
        if check is not None and check not in needs:
            needs.append(check)
    base, n = step_id, 2
    while step_id in existing:  # notify_email, notify_email_2, notify_email_3
        step_id, n = f"{base}_{n}", n + 1
    # "(PUT to the records API)": the method the brief names for this call
    named = re.search(r"\b(PUT|PATCH)\b", sentence[max(task.start, 0) :] if sentence else (task.quote or ""))
    return blocks.http_step(
        step_id,
        env,
        body,
        needs=needs,
        condition=cond[0] if cond else None,
        id_template=plan.id_ref,
        method=named.group(1) if named else "POST",
        description=_sentence_case(description),
    )
