"""Building the model steps of an offline draft: prompts, output schemas and token limits.

`model_spec` writes what one model task asks and returns: the prompt (fed by the
steps it reads, grounded in retrieved documents when the plan says so, with the answer
to give when the documents do not say), the output schema (labels, urgency, the fields
later conditions read, scores, decisions), the model tier and the quoted clause.
`model_step` turns that into the step, with its token limit.
"""

from __future__ import annotations

import re
from typing import Any

from copilot.draft import blocks
from copilot.draft.asked_outputs import asked_outputs
from copilot.draft.planning import Plan, display, grounded, score_scale
from copilot.draft.reader import Task
from copilot.draft.reading import Condition
from copilot.draft.score_atoms import score_subject

_MAX_TOKENS = {
    "classify": 60,
    "score": 120,
    "moderate": 80,
    "extract": 250,
    "decide": 150,
    "summarise": 300,
    "translate": 500,
    "answer": 350,
    "reply": 300,
    "enrich": 400,
}
_DEFAULT_LABELS = {
    "support": ["faq", "billing", "bug", "account", "other"],
    "email": ["question", "request", "complaint", "spam", "other"],
    "incident": ["outage", "degradation", "security", "noise", "other"],
    "review": ["praise", "complaint", "question", "other"],
}
_STOCK = ["question", "request", "complaint", "other"]  # a generic event's labels, when nothing better
_URGENCY = ["low", "normal", "high"]
_CLASSIFY_WORDS = r"clas+i?f|categor|triag|label|tag|sort|rout|detect|identif|intent|kind|type"
# What an answer says when the documents do not hold one: never the model's memory.
UNGROUNDED_ANSWER = "We could not find this in our documentation; a person will follow up."
UNSURE_REPLY = "We want to get this right, so a person will follow up."


# ---------------------------------------------------------------------------- model steps


def _labels(task: Task, noun: str, tasks: list[Task]) -> list[str]:
    labels = list(task.labels) or list(_DEFAULT_LABELS.get(noun, _STOCK))
    for other in tasks:
        cond = other.condition
        if (
            cond is not None
            and cond.kind == "label"
            and isinstance(cond.value, str)
            and cond.value not in labels
        ):
            labels.insert(0, cond.value)
    if "other" not in labels:
        labels.append("other")
    return labels


# Output fields the classifier adds when a condition reads them: (values, safe default, hint).
_CONDITION_FIELDS = {
    "sentiment": (["positive", "neutral", "negative"], "neutral", " (negative for an angry or upset writer)"),
    "severity": (["low", "medium", "high", "critical"], "medium", ""),
}


def _condition_fields(tasks: list[Task]) -> dict[str, tuple[list[Any], Any, str]]:
    """Output fields the classifier must set so each condition of the brief can be decided.

    A known field (sentiment, severity) has its labels; any other condition of the brief is a
    boolean named from its words, described to the model with the brief's own clause.
    """
    out: dict[str, tuple[list[Any], Any, str]] = {}

    def chain(cond: Condition | None) -> list[Condition]:
        """A condition, its alternatives and every scope it sits in ("Otherwise, if …")."""
        return [cond, *cond.alternatives, *chain(cond.scope)] if cond is not None else []

    parts = [
        part for task in tasks for part in chain(task.condition) if part.kind == "field" and part.output_field
    ]
    # the field says the condition itself: described by a part that holds it, not by an
    # "otherwise (not …)" branch (the step that negates it reads `not field`)
    for part in sorted(parts, key=lambda p: p.negated):
        assert part.output_field is not None
        if part.output_field in _CONDITION_FIELDS:
            out.setdefault(part.output_field, _CONDITION_FIELDS[part.output_field])
        else:
            out.setdefault(part.output_field, ([True, False], False, f" (true {_held(part)})"))
    return out


def _held(part: Condition) -> str:
    """The words of the condition a field holds: "otherwise (not If X)" holds "If X"."""
    text = part.text.strip()
    if part.negated:
        m = re.match(r"^\W*(?:otherwise|else|if not)?\s*\(?\s*not\s*\(?\s*(.*?)[\s)]*$", text, re.I)
        if m and m.group(1):
            text = m.group(1)
    return text


# "max 140 chars", "under 160 characters", "at most 280 characters": a limit on what a step writes
_LENGTH_LIMIT = re.compile(
    r"\b(?:max(?:imum)?|at most|under|no (?:more|longer) than|up to|within|<=?|≤)\s*(\d{2,5})\s*"
    r"(?:chars?|characters)\b|\b(\d{2,5})\s*(?:chars?|characters)\s+(?:max(?:imum)?|or (?:less|fewer))\b",
    re.I,
)
_WRITTEN_FIELDS = {"reply": "text", "answer": "text", "summarise": "summary", "translate": "text"}


def model_spec(task: Task, plan: Plan) -> tuple[str, dict[str, Any], str, str, Any, list[dict[str, str]]]:
    """(step id, output_schema, system prompt, user prompt, on_fail default, validate rules)."""
    step_id, schema, system, user, default, rules = _model_spec(task, plan)
    if task.docs and task.kind not in ("answer", "decide", "reply"):
        # "extract the symptom terms, grounded in our SOP documents": the passages are the
        # ground, said in the prompt and put before what the model reads
        system = system.replace(
            " Answer only with the JSON object.",
            f" Go by the {task.docs} in the context passages, never by memory."
            " Answer only with the JSON object.",
        )
        heading = display(plan.reading.noun).capitalize()
        user = f"Context ({task.docs}):\n{{{{ steps.docs.output | tojson }}}}\n\n{heading}:\n{user}"
    sentence = (
        plan.reading.sentences[task.sentence] if 0 <= task.sentence < len(plan.reading.sentences) else ""
    )
    own = sentence[task.start :] if task.start >= 0 else (task.quote or "")
    if task.kind in ("decide", "classify", "score", "moderate") and isinstance(default, dict):
        # "…, listing the handbook section numbers that were violated": a field of the verdict
        properties = schema.setdefault("properties", {})
        for name, kind in asked_outputs(own.split(";")[0])[:3]:
            if name in properties:
                continue
            properties[name] = (
                {"type": "array", "items": {"type": "string"}} if kind == "list" else {"type": kind}
            )
            schema.setdefault("required", []).append(name)
            # a broken answer gives no number: 0 never passes "over $150" on its own
            default[name] = [] if kind == "list" else 0 if kind == "number" else ""
            said = name.replace("_", " ")
            how = {"list": "a list", "number": "a number"}.get(kind, "one")
            system = system.replace(
                " Answer only with the JSON object.",
                f" Also give {said} ({how}) as `{name}`. Answer only with the JSON object.",
            )
    written = _WRITTEN_FIELDS.get(step_id)
    limit = (
        _LENGTH_LIMIT.search(plan.reading.sentences[task.sentence])
        if written and 0 <= task.sentence < len(plan.reading.sentences)
        else None
    )
    if limit is not None and written in schema.get("properties", {}):
        # the brief's limit is said to the model, held by the schema, and checked by the gate
        most = int(limit.group(1) or limit.group(2))
        schema["properties"][written] = {**schema["properties"][written], "maxLength": most}
        system = system.replace(
            " Answer only with the JSON object.",
            f" The {written} is at most {most} characters. Answer only with the JSON object.",
        )
        rules = [
            *rules,
            {"expr": f"input.{written} | length <= {most}", "message": f"longer than {most} characters"},
        ]
    return step_id, schema, system, user, default, rules


def _model_spec(task: Task, plan: Plan) -> tuple[str, dict[str, Any], str, str, Any, list[dict[str, str]]]:
    noun = display(plan.reading.noun)
    text = plan.text_ref
    if task.kind == "classify":
        extra = _condition_fields(plan.tasks)
        kinds = {c.kind for t in plan.tasks if t.condition for c in [t.condition, *t.condition.alternatives]}
        # Labels and urgency only when the brief asks to classify (or a condition reads them):
        # a classifier added to decide "when sentiment turns negative" sets that field and no
        # invented labels (a payment is not a question, request or complaint).
        asked = bool(task.labels) or bool(re.search(_CLASSIFY_WORDS, task.text, re.I))
        use_label = asked or "label" in kinds
        use_urgency = "urgent" in kinds or bool(
            re.search(r"urgen|priorit|sever", task.quote or task.text, re.I)
        )
        if task.labels and re.search(
            r"\b(?:urgency|priority|severity)\s+(?:as|into|level|:|[a-z]{1,3}[0-9]\b)",
            task.quote or task.text,
            re.I,
        ):
            use_urgency = (
                "urgent" in kinds
            )  # "classify urgency as emergency, same-day or routine": the labels are it
        if not (use_label or use_urgency or extra):
            use_label = True
        labels = _labels(task, plan.reading.noun, plan.tasks) if use_label else []
        # no categories in the brief and none usual for this kind of event: the model names the
        # category in its own words (said as an assumption), never a stock list from elsewhere
        open_label = use_label and labels == _STOCK and plan.reading.noun not in _DEFAULT_LABELS
        properties: dict[str, Any] = {}
        default: dict[str, Any] = {}
        if open_label:
            labels = []
            properties["label"] = {"type": "string", "minLength": 1, "maxLength": 40}
            default["label"] = "other"
            note = (
                f"the brief names no categories for {(task.quote or task.text)[:60]!r}: the classifier "
                'names one in a few words; list them in the brief ("classify into a, b or c") to pin them'
            )
            if note not in plan.assumptions:
                plan.assumptions.append(note)
        elif use_label:
            properties["label"] = {"type": "string", "enum": labels}
            default["label"] = "other"
        if use_urgency:
            properties["urgency"] = {"type": "string", "enum": _URGENCY}
            default["urgency"] = "normal"
        for name, (values, fallback, _) in extra.items():
            properties[name] = (
                {"type": "boolean"} if values == [True, False] else {"type": "string", "enum": values}
            )
            default[name] = fallback
        schema = {
            "type": "object",
            "required": list(properties),
            "properties": {**properties, "confidence": {"type": "number", "minimum": 0, "maximum": 1}},
        }
        also = "".join(
            f" Set {name}{how}." if v == [True, False] else f" Set {name} to one of {', '.join(v)}{how}."
            for name, (v, _, how) in extra.items()
        )
        judged = f" Judge it for {task.criteria}." if task.criteria else ""
        what = (
            f"Classify the {noun} into exactly one label: {', '.join(labels)}.{judged}"
            if labels
            else f"Name the {noun}'s category in one to three lower-case words (label)."
            if open_label
            else f"Read the {noun}."
        )
        urgency = " Set urgency to high only when a person must act now." if use_urgency else ""
        system = f"{what}{urgency}{also} Answer only with the JSON object."
        first = next(iter(properties))
        rules = (
            [{"expr": f"input.label in {labels!r}", "message": "unknown label"}]
            if labels
            else [{"expr": f"input.{first} is defined", "message": f"missing {first}"}]
        )
        return "classify", schema, system, text, default, rules
    if task.kind == "score":
        # A score reads every field (amount, merchant, country…), not one text, plus what the
        # brief puts before it (a lookup, extracted fields)
        fed = [part for part in plan.text_ref.split("\n\n") if "steps." in part]
        text = (
            plan.text_ref
            if plan.text_ref.startswith("{{ steps.")
            else "\n\n".join(["{{ event | tojson }}", *fed])
        )
        # the brief's own words for what is scored ("its merit", "the site's solar feasibility"),
        # or what it is scored against ("against the rubric in our guidelines"); risk only by default
        said, against = score_subject(task.quote or task.text, noun)
        subject = said or task.target or ("fit" if against else "risk")
        against_text = f" against {against}" if against else ""
        end = "certain" if subject in ("risk", "fraud", "churn") or "likelihood" in subject else "highest"
        top = score_scale(plan.reading)  # "from 0 to 100" is the brief's scale, kept
        schema = {
            "type": "object",
            "required": ["score", "reasons"],
            "properties": {
                "score": {"type": "number", "minimum": 0, "maximum": top},
                "reasons": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            },
        }
        system = (
            f"Score the {subject} of this {noun}{against_text} from 0 (none) to {top} ({end}) and give at "
            "most three short reasons. Answer only with the JSON object."
        )
        rules = [{"expr": f"input.score >= 0 and input.score <= {top}", "message": f"score outside 0..{top}"}]
        # Neither approve nor block on a broken answer: a middle score goes to review.
        return "score", schema, system, text, {"score": top / 2, "reasons": ["model output invalid"]}, rules
    if task.kind == "moderate":
        categories = (
            [*dict.fromkeys([*task.labels, "none"])]
            if task.labels
            else ["harassment", "hate", "sexual", "violence", "self_harm", "spam", "none"]
        )
        policy = f"the {task.docs}" if task.docs else "a standard community policy"
        if re.search(r"violat", task.text, re.I) and not task.labels:
            # rule violations, not content to publish: no stock content categories
            categories = ["violation", "none"]
            policy = f"the {task.docs}" if task.docs else "the rules the brief names"
        schema = {
            "type": "object",
            "required": ["allowed", "categories"],
            "properties": {
                "allowed": {"type": "boolean"},
                "categories": {"type": "array", "items": {"type": "string", "enum": categories}},
            },
        }
        added = re.match(r"\(added to decide ['\"](.+)['\"]\)$", task.text)
        if added and not task.labels and not task.docs:
            # added to decide "if the price violates a state cap": that rule, not a stock policy
            policy = f'the rule the brief names ("{added.group(1)}")'
            categories = ["violation", "none"]
        system = (
            f"Decide whether this {noun} may be published under {policy}. List the "
            "violated categories (none when allowed). Answer only with the JSON object."
        )
        rules = [{"expr": "input.allowed in [true, false]", "message": "allowed must be a boolean"}]
        # Fail closed: an unreadable verdict holds the content for review.
        return "moderate", schema, system, text, {"allowed": False, "categories": ["none"]}, rules
    if task.kind == "extract":
        fields = task.fields or ["summary", "entities"]
        schema = {
            "type": "object",
            "required": fields,
            # "whether the caller reports an active leak": a yes or no, read by conditions
            "properties": {
                f: {"type": "boolean" if task.returns.get(f) == "boolean" else ["string", "null"]}
                for f in fields
            },
        }
        system = (
            f"Extract these fields from the {noun}: {', '.join(fields)}. Use null for a field that is not "
            "there; never guess. Answer only with the JSON object."
        )
        rules = [{"expr": "input is mapping", "message": "expected an object of fields"}]
        return "extract", schema, system, text, dict.fromkeys(fields), rules
    if task.kind == "summarise":
        schema = {
            "type": "object",
            "required": ["summary"],
            "properties": {
                "summary": {"type": "string"},
                "key_points": {"type": "array", "items": {"type": "string"}},
            },
        }
        system = (
            f"Summarise the {noun} in at most three sentences, then list the key points. "
            "Answer only with the JSON object."
        )
        rules = [{"expr": "input.summary | length > 0", "message": "empty summary"}]
        return "summarise", schema, system, text, {"summary": "", "key_points": []}, rules
    if task.kind == "translate":
        lang = task.target or "english"
        schema = {
            "type": "object",
            "required": ["text", "source_language"],
            "properties": {"text": {"type": "string"}, "source_language": {"type": "string"}},
        }
        system = (
            f"Translate the text into {lang.capitalize()} and name its source language. Keep names and "
            "numbers as they are. Answer only with the JSON object."
        )
        rules = [{"expr": "input.text | length > 0", "message": "empty translation"}]
        return "translate", schema, system, text, {"text": "", "source_language": "unknown"}, rules
    if task.kind == "decide" and not task.labels:
        # "pick a component", "check the filing against the local rules": the brief names no
        # options, so the model says its decision in a few words, in the brief's own terms
        asked = (task.quote or task.text).strip(" .")
        schema = {
            "type": "object",
            "required": ["decision", "reason"],
            "properties": {
                "decision": {"type": "string", "minLength": 1, "maxLength": 80},
                "reason": {"type": "string"},
            },
        }
        grounded_in = (
            f" Use only the context passages ({task.docs}); when they do not settle it, say so."
            if task.docs
            else ""
        )
        system = (
            f'Do what this asks about the {noun}: "{asked}". Give the decision in a few words and the '
            f"reason in one sentence.{grounded_in} Answer only with the JSON object."
        )
        user = (
            f"Context:\n{{{{ steps.docs.output | tojson }}}}\n\n{noun.capitalize()}:\n{text}"
            if task.docs
            else text
        )
        rules = [{"expr": "input.decision | length > 0", "message": "empty decision"}]
        return (
            "decide",
            schema,
            system,
            user,
            {"decision": "undecided", "reason": "model output invalid"},
            rules,
        )
    if task.kind == "decide":
        options = task.labels
        # the cautious answer when the model's output is unusable: a human look, else the last option
        # a human look first ("manual_review", "needs_changes"), a refusal ("reject") only when
        # the brief offers nothing gentler: a refusal fires its own side effects
        safe = next(
            (
                o
                for o in options
                if re.search(r"review|hold|manual|human|escalat|refer|pending|^needs_|more_info", o)
            ),
            next((o for o in options if o in ("fail", "reject", "decline", "deny")), options[-1]),
        )
        schema = {
            "type": "object",
            "required": ["decision", "reason"],
            "properties": {"decision": {"type": "string", "enum": options}, "reason": {"type": "string"}},
        }
        against = f" against {task.docs}" if task.docs else ""
        context = (
            " Use only the context passages; when they do not settle it, choose " + repr(safe) + "."
            if task.docs
            else ""
        )
        system = (
            f"Check the {noun}{against} and decide one of: {', '.join(options)}. Give the reason in one "
            f"sentence.{context} Answer only with the JSON object."
        )
        user = (
            f"Context:\n{{{{ steps.docs.output | tojson }}}}\n\n{noun.capitalize()}:\n{text}"
            if task.docs
            else text
        )
        rules = [{"expr": f"input.decision in {options!r}", "message": "unknown decision"}]
        return "decide", schema, system, user, {"decision": safe, "reason": "model output invalid"}, rules
    if task.kind == "answer" and task.docs:
        schema = {
            "type": "object",
            "required": ["text", "grounded"],
            "properties": {"text": {"type": "string"}, "grounded": {"type": "boolean"}},
        }
        asked = (task.quote or "").strip(" .")
        if asked and not re.match(r"\W*(?:answer|respond|reply)", asked, re.I):
            # "Have an LLM write a one-sentence status line" from the handbook: the brief's own
            # words are the instruction, grounded in the passages
            # "Then email the owner a confirmation with the prep tips from our guide": the model
            # writes that message's text; a later step sends it
            sent = re.match(r"\W*(?:then\s+)?(?:e-?mail|text|sms|send|message|post|notify|dm)\b", asked, re.I)
            what = (
                "Write the text of the message this asks for (it is sent separately)"
                if sent
                else "Do what this asks"
            )
            system = (
                f'{what}, using only the context passages: "{asked}". When they do not '
                "contain what it needs, say so briefly and set grounded to false. Answer only with the "
                "JSON object."
            )
            user = f"Context:\n{{{{ steps.docs.output | tojson }}}}\n\n{noun.capitalize()}:\n{text}"
        else:
            system = (
                "Answer the question using only the context passages. When they do not contain the answer, "
                "say so briefly and set grounded to false. Answer only with the JSON object."
            )
            user = f"Context:\n{{{{ steps.docs.output | tojson }}}}\n\nQuestion:\n{text}"
        rules = [{"expr": "input.text | length > 0", "message": "empty answer"}]
        if grounded(plan.reading) or _handed_over_when_ungrounded(plan):
            # The gate on the grounded flag: an answer the passages do not support never leaves;
            # the safe answer says so and hands over to a person (as the brief's own hand-over
            # does: "if the model isn't confident, hand it to an agent rather than replying").
            rules.append({"expr": "input.grounded", "message": "not grounded in the documents"})
            return "answer", schema, system, user, {"text": UNGROUNDED_ANSWER, "grounded": False}, rules
        return "answer", schema, system, user, {"text": "", "grounded": False}, rules
    # answer without documents, and reply: the brief's own words are the instruction ("write a
    # longer investigation note", "draft an apology email with the new ETA"), not a stock reply
    schema = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
    asked = (task.quote or "").strip(" .")
    system = (
        (
            f'The {noun} below. Do what this asks: "{asked}". '
            if asked
            else f"Write a short, polite reply to the {noun}. "
        )
        + "Use only what the input says; do not promise anything you cannot know. "
        "Answer only with the JSON object."
    )
    rules = [{"expr": "input.text | length > 0", "message": "empty reply"}]
    if _handed_over_when_ungrounded(plan):
        # "If the model is unsure, hand it to an agent instead of replying": the reply says whether
        # it is sure, and an unsure one never leaves (the hand-over reads the same flag)
        schema = {
            "type": "object",
            "required": ["text", "grounded"],
            "properties": {"text": {"type": "string"}, "grounded": {"type": "boolean"}},
        }
        system = system.replace(
            " Answer only with the JSON object.",
            " Set grounded to false when you are not sure of it. Answer only with the JSON object.",
        )
        rules.append({"expr": "input.grounded", "message": "the model is not sure of it"})
        return "reply", schema, system, text, {"text": UNSURE_REPLY, "grounded": False}, rules
    return "reply", schema, system, text, {"text": ""}, rules


def _handed_over_when_ungrounded(plan: Plan) -> bool:
    """Whether a step of the plan runs when the answer is not supported (a hand-over)."""
    return any(
        part.kind == "ungrounded"
        for task in [*plan.hot, *plan.background]
        if task.condition is not None
        for part in [task.condition, *task.condition.alternatives]
    )


def model_step(
    step_id: str, task: Task, plan: Plan, spec: tuple[Any, ...], needs: list[str], mode: str
) -> dict[str, Any]:
    """The model step of `task` from its `model_spec` (schema and prompts), with its token limit."""
    _, schema, system, user, _, _ = spec
    step: dict[str, Any] = {"id": step_id, "type": "model"}
    if mode == "async":
        step["mode"] = "async"
    if needs:
        step["needs"] = needs
    step["model"] = "?"  # filled in by _choose_models
    step["prompt"] = {"system": system, "user": user}
    step["max_tokens"] = _MAX_TOKENS.get(task.kind, 300)
    step["temperature"] = 0
    step["output_schema"] = schema
    step["timeout"] = "1s"  # set from the SLA by _set_timeouts
    attempts = blocks.HOT_RETRIES if mode != "async" else blocks.ASYNC_RETRIES
    step["retry"] = blocks.retry(attempts, 0.05, 0.2) if mode != "async" else blocks.retry(attempts, 1.0, 5.0)
    step["idempotency_key"] = f"{plan.id_ref}:{step_id}"
    return step


def _extracted_type(task: Task, name: str) -> dict[str, Any]:
    """A field's schema: a yes or no the brief asks "whether", else text that may be missing."""
    return {"type": "boolean"} if task.returns.get(name) == "boolean" else {"type": ["string", "null"]}
