"""Building the steps of an offline draft from its plan, in order, each with its `why:`.

`build_steps` walks the plan's tasks: lookups (a hot-path lookup first), retrieval from
the pinned documents that ground answers, validation of the event, model steps
(`copilot.draft.model_steps`) fed by the translate/extract steps before them, side
effects (`copilot.draft.side_effects`) and async work off the hot path, and returns
them as `BuiltSteps` with what the response needs and the comments to write beside
them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.draft import blocks
from copilot.draft.blocks import dur
from copilot.draft.model_steps import model_spec, model_step
from copilot.draft.planning import DOCS_GLOB, FEEDS, HOT_KINDS, Plan, mentioned_at
from copilot.draft.prohibitions import OncePer, once_per
from copilot.draft.reader import Task
from copilot.draft.side_effects import body_fields, condition_expr, side_effect_step
from copilot.draft.tasks import quote_for
from copilot.draft.verbs import base_verb


@dataclass
class BuiltSteps:
    """The steps built from a plan, with what the response needs, who produces what, and each `why:`."""

    steps: list[dict[str, Any]]
    roles: dict[str, tuple[str, bool]]  # model step id -> (kind, hot)
    respond_needs: list[str]
    respond_body: dict[str, Any]
    producers: dict[str, str]  # kind -> validate step id
    pins: list[str]
    whys: dict[str, dict[str, Any]] = field(default_factory=dict)  # step id -> why (clause or block)


def build_steps(plan: Plan, base_dir: Path) -> BuiltSteps:
    steps: list[dict[str, Any]] = []
    roles: dict[str, tuple[str, bool]] = {}
    producers: dict[str, str] = {}
    respond_needs: list[str] = []
    body: dict[str, Any] = {}
    pins: list[str] = []
    if plan.event.id_field:  # an event with no id is answered without one, not with itself as JSON
        body["id"] = plan.shown_id
    hot_needs: list[str] = []
    whys: dict[str, dict[str, Any]] = {}
    async_checks: set[str] = set()

    fetch = next((t for t in plan.tasks if t.kind == "enrich" and plan.trigger == "schedule"), None)
    if fetch is not None:
        # On a schedule the data comes from an API: fetched on the hot path, before the models.
        named = re.search(
            r"\bfrom\s+(?:our|the|their)\s+((?:[\w-]+\s+){0,2}?[\w-]+)\s+(?:api|service)\b",
            fetch.quote or "",
            re.I,
        )  # "pull yesterday's builds from our build server API": the system the run reads
        source = named.group(1) if named else fetch.target if fetch.target not in (None, "api") else "source"
        env = blocks.env_name(source, "api", "url")
        steps.append(
            {
                "id": "fetch",
                "type": "http",
                "description": "What this run works on.",
                "request": {"method": "GET", "url": f"${{env:{env}}}"},
                "timeout": dur(blocks.HTTP_TIMEOUT),
                "retry": blocks.retry(blocks.HOT_RETRIES, 0.1, 0.5),
                "idempotency_key": f"{plan.id_ref}:fetch",
            }
        )
        plan.text_ref = "{{ steps.fetch.output | tojson }}"
        hot_needs = ["fetch"]
        plan.notes[("steps", 0, "request")] = (
            f"set {env} to the API that lists the {plan.reading.noun}s to process"
        )

    def add_model(task: Task, mode: str, needs: list[str]) -> str:
        if task.docs and "docs" not in needs:
            # "extract the terms, grounded in our SOP documents": it reads the retrieval too
            needs = [*needs, *read_docs(mode, needs, None, task)]
        spec = model_spec(task, plan)
        step_id = spec[0] if not any(s["id"] == spec[0] for s in steps) else f"{spec[0]}_{len(steps)}"
        steps.append(model_step(step_id, task, plan, spec, needs, mode))
        roles[step_id] = (task.kind, mode != "async")
        if "docs" in needs:
            served = [x for x in (whys.get("docs") or {}).get("serves", []) if x != step_id]
            whys["docs"] = {"block": "retrieval", "serves": [*served, step_id]}
        check_id = f"check_{step_id}"
        steps.append(blocks.validate_step(check_id, step_id, spec[1], spec[5], spec[4], mode))
        producers.setdefault(task.kind, check_id)
        if task.quote:
            quoted = _quoted(task)
            if task.kind == "decide" and plan.reading.response_options:
                # the step deciding the answer implements the clauses that state its values too
                extra = [
                    c
                    for c in _option_clauses(plan)
                    if c not in (quoted if isinstance(quoted, list) else [quoted])
                ]
                quoted = [*(quoted if isinstance(quoted, list) else [quoted]), *extra] if extra else quoted
            whys[step_id] = {"brief": quoted}
        whys[check_id] = {"block": "validation-gate", "serves": [step_id]}
        if mode == "async":
            async_checks.add(check_id)
        return check_id

    def add_service(task: Task, needs: list[str]) -> str:
        """A task the team's own service does ("score them with our fraud scoring API"): an http
        call with the task's output schema, behind the same validation gate as a model's."""
        spec = model_spec(task, plan)
        # added to decide a condition ("decided by our rule engine"): named after who decides it
        own = re.sub(r"[^a-z0-9]+", "_", (task.api or "").lower()).strip("_") if task.start < 0 else ""
        base = own or spec[0]
        decided = [n for n in spec[1].get("properties", {}) if n != "confidence"]
        step_id = base if not any(s["id"] == base for s in steps) else f"{base}_{len(steps)}"
        payload = plan.event.payload(whole=True)
        step: dict[str, Any] = {
            "id": step_id,
            "type": "http",
            "description": (
                f"Our {task.api} decides {', '.join(decided)}."
                if own
                else f"{task.kind.capitalize()} by our {task.api} service."
            ),
            "request": {
                "method": "POST",
                "url": f"${{env:{blocks.env_name(task.api or 'service', 'url')}}}",
                "json": payload or {"id": plan.shown_id},
            },
            "output_schema": spec[1],
            "timeout": dur(blocks.HTTP_TIMEOUT),
            "retry": blocks.retry(blocks.HOT_RETRIES, 0.05, 0.2),
            "idempotency_key": f"{plan.id_ref}:{step_id}",
        }
        if needs:
            step["needs"] = needs
        p95 = _stated_p95(plan.reading.sentences[task.sentence])
        if p95 is not None:
            step["latency"] = {"p50": dur(blocks.round_up_ms(p95 / 3, 5)), "p95": dur(p95)}
        steps.append(step)
        check_id = f"check_{step_id}"
        default = spec[4]
        if task.kind == "score" and plan.reading.fallback_option:
            # an unusable score answers the brief's fallback ("answer `review`, never approve")
            band = next((b for b in plan.reading.bands if b.option == plan.reading.fallback_option), None)
            if band is not None and band.value is not None:
                default = {**default, "score": band.value}
        steps.append(blocks.validate_step(check_id, step_id, spec[1], spec[5], default, "sync"))
        producers.setdefault(task.kind, check_id)
        whys[step_id] = {"brief": _quoted(task)}
        whys[check_id] = {"block": "validation-gate", "serves": [step_id]}
        return check_id

    def read_docs(mode: str, needs: list[str], when: str | None, task: Task) -> list[str]:
        """The one retrieval of the brief's documents, before the first step that works from them.
        A second grounded step reads the same retrieval: then it runs for every event (its `if`
        belonged to the first step only), on the hot path if either step is."""
        shared = next((s for s in steps if s["id"] == "docs"), None)
        if shared is not None:
            shared.pop("if", None)
            if mode != "async":
                shared.pop("mode", None)
            return ["docs"]
        glob = plan.reading.docs_glob or DOCS_GLOB
        pin, pin_note = _pin(base_dir, glob)
        pins.append(pin)
        query = plan.text_ref if plan.event.named_text_field or fetch else _search_words(task, plan)
        steps.append(blocks.retrieve_step("docs", query, glob, pin, needs, when))
        if mode == "async":
            steps[-1]["mode"] = "async"
        plan.pin_note = pin_note
        return ["docs"]

    def add_answer(task: Task, mode: str) -> tuple[str, bool]:
        cond = condition_expr(task.condition, producers) if task.condition else None
        needs = list(dict.fromkeys([*hot_needs, *(cond[1] if cond else [])]))
        if task.kind in ("answer", "decide") and task.docs:
            answer_needs = read_docs(mode, needs, cond[0] if cond else None, task)
            # a retrieval shared with an earlier step may not wait for what this one reads
            shared = next(s for s in steps if s["id"] == "docs").get("needs") or []
            answer_needs += [n for n in needs if n not in shared and n not in answer_needs]
        else:
            answer_needs = needs
        check = add_model(task, mode, answer_needs)
        if cond and not (task.kind in ("answer", "decide") and task.docs):
            steps[-2]["if"] = cond[0]
        return check, cond is not None

    def hot_lookup(lookup: Task) -> str:
        """A lookup on the hot path, feeding the models after it; its step id."""
        env = blocks.env_name(_system_of(lookup), "api", "url")
        lookup_id = _unique_id("lookup", lookup.target, steps)
        steps.append(
            {
                "id": lookup_id,
                "type": "http",
                "request": {"method": "GET", "url": _lookup_url(env, lookup, plan)},
                "timeout": dur(blocks.HTTP_TIMEOUT),
                "retry": blocks.retry(blocks.HOT_RETRIES, 0.05, 0.2),
                "idempotency_key": f"{plan.id_ref}:{lookup_id}",
            }
        )
        whys[lookup_id] = {"brief": _quoted(lookup)}
        _declare_returned(steps[-1], lookup)
        producers.setdefault("lookup", lookup_id)
        plan.background = [t for t in plan.background if t is not lookup]
        return lookup_id

    # "For ingredient questions, look up the product in our PIM and answer …": a lookup the brief
    # limits to a verdict runs once the verdict is known, for the model work its condition shares
    hot_lookups = _hot_lookups(plan) if fetch is None else []
    deferred = [t for t in hot_lookups if t.condition is not None and t.condition.kind in _VERDICTS]
    for lookup in hot_lookups:
        if lookup in deferred:
            continue
        # "Enrich the lead, then score it": the lookup is on the hot path and feeds the models after
        # it; a second system read ("call the NOAA storm events API for hail reports") is its own step
        lookup_id = hot_lookup(lookup)
        hot_needs = [*hot_needs, lookup_id]
        label = "Lookup" if lookup_id == "lookup" else f"Lookup ({lookup.target})"
        plan.text_ref = f"{plan.text_ref}\n\n{label}:\n{{{{ steps.{lookup_id}.output | tojson }}}}"

    # Data flows in the brief's order: a translation replaces the text every later model task
    # reads, an extraction and an explicitly earlier result ("X, then Y") are added to it.
    base_text = plan.text_ref
    upstream: list[str] = []
    ordered = sorted(plan.hot, key=lambda t: (t.sentence, t.start))
    for task in ordered:
        plan.text_ref, needs = _fed(task, base_text, producers, upstream)
        for lookup in [t for t in deferred if task.condition and t.condition.text == task.condition.text]:
            limit = condition_expr(lookup.condition, producers) if lookup.condition else None
            if limit is None or fetch is not None:
                continue
            lookup_id = hot_lookup(lookup)
            steps[-1]["if"], deferred = limit[0], [t for t in deferred if t is not lookup]
            if limit[1]:
                steps[-1]["needs"] = limit[1]
            needs = [*needs, lookup_id]
            plan.text_ref = f"{plan.text_ref}\n\nLookup:\n{{{{ steps.{lookup_id}.output | tojson }}}}"
        if task.kind in ("answer", "reply") or (task.kind == "decide" and task.docs):
            hot_needs_saved, hot_needs = hot_needs, list(dict.fromkeys([*hot_needs, *needs]))
            check, conditional = add_answer(task, "sync")
            hot_needs = hot_needs_saved
            body.update(body_fields(task.kind, check, conditional=conditional))
        elif task.api:
            check = add_service(task, list(dict.fromkeys([*hot_needs, *needs])))
            body.update(body_fields(task.kind, check, steps=steps))
        else:
            limit = condition_expr(task.condition, producers) if task.condition else None
            check = add_model(
                task, "sync", list(dict.fromkeys([*hot_needs, *needs, *(limit[1] if limit else [])]))
            )
            if limit is not None:
                steps[-2]["if"] = limit[0]  # "If page_count is over 200, skip the summary"
            body.update(body_fields(task.kind, check, conditional=limit is not None, steps=steps))
        respond_needs.append(check)
        if task.kind in FEEDS:
            upstream.append(check)
    plan.text_ref = base_text

    reading = plan.reading
    if reading.bands and "score" in producers:
        # "Decline at 0.8 and above, send to review from 0.4, approve below": the answer is a
        # band of the score, decided in-process (no model, no I/O)
        score = f"steps.{producers['score']}.output.score"
        otherwise = next(
            (b.option for b in reading.bands if b.op is None), reading.fallback_option or "review"
        )
        expr = repr(otherwise)
        for band in reversed([b for b in reading.bands if b.op is not None]):
            expr = f"{band.option!r} if {score} {band.op} {band.value:g} else ({expr})"
        options = list(dict.fromkeys([*reading.response_options, *(b.option for b in reading.bands)]))
        steps.append(
            {
                "id": "decision",
                "type": "transform",
                "needs": [producers["score"]],
                "output": {"decision": f"{{{{ {expr} }}}}"},
                "output_schema": {
                    "type": "object",
                    "required": ["decision"],
                    "properties": {"decision": {"type": "string", "enum": options}},
                },
            }
        )
        whys["decision"] = {
            "brief": list(dict.fromkeys([b.text for b in reading.bands] + _option_clauses(plan)))
        }
        producers["decision"] = "decision"
        respond_needs.append("decision")
        body["decision"] = "{{ steps.decision.output.decision }}"

    # Off the hot path: enrichment, background summaries, then side effects; in the brief's order,
    # so what it puts first ("first look up the ledger, then score") exists for what follows
    plan.background = sorted(plan.background, key=lambda t: (t.kind != "enrich", t.sentence, max(t.start, 0)))
    read_before: list[tuple[int, str]] = []  # (sentence, lookup id) of the async lookups
    for task in plan.background:
        if task.kind == "enrich" and task is not fetch:
            env = blocks.env_name(_system_of(task), "api", "url")
            lookup_url = _lookup_url(env, task, plan)
            lookup_id = _unique_id("lookup", task.target, steps)
            steps.append(
                {
                    "id": lookup_id,
                    "type": "http",
                    "mode": "async",
                    "request": {"method": "GET", "url": lookup_url},
                    "timeout": dur(blocks.HTTP_TIMEOUT),
                    "retry": blocks.retry(blocks.ASYNC_RETRIES, 0.2, 2.0),
                    "idempotency_key": f"{plan.id_ref}:{lookup_id}",
                }
            )
            _declare_returned(steps[-1], task)
            producers.setdefault("lookup", lookup_id)
            limit = condition_expr(task.condition, producers) if task.condition else None
            if limit is not None:
                # "only if there's a crash_dump_url, fetch the stack from Backtrace": only then
                steps[-1]["if"] = limit[0]
                if limit[1]:
                    steps[-1]["needs"] = limit[1]
            # What the lookup returns goes to the steps after it as it is (the side effects'
            # payloads, a condition on a returned field): no model rewrites it into a "profile"
            # the brief never asked for
            producers.setdefault("enrich", lookup_id)
            async_checks.add(lookup_id)
            if limit is None:
                read_before.append((task.sentence, lookup_id))
            if task.quote:
                whys[lookup_id] = {"brief": _quoted(task)}
        elif task.kind in HOT_KINDS and task.kind not in ("answer", "reply"):
            plan.text_ref, needs = _fed(task, base_text, producers, [])
            for sentence, lookup_id in read_before:
                if sentence <= task.sentence and lookup_id not in needs:
                    # "score how likely … taking into account the past sanctions fetched from
                    # the player history API": a model off the hot path reads the lookups said
                    # before it or with it, as a hot one does
                    needs = [*needs, lookup_id]
                    plan.text_ref += f"\n\nLookup:\n{{{{ steps.{lookup_id}.output | tojson }}}}"
            limit = condition_expr(task.condition, producers) if task.condition else None
            if limit is not None:
                needs = [*needs, *limit[1]]
            add_model(task, "async", list(dict.fromkeys([*hot_needs, *needs])))
            if limit is not None:
                # "If page_count is over 200, skip the summary": only when that is not so
                steps[-2]["if"] = limit[0]
            plan.text_ref = base_text
    for task in plan.background:
        if task.kind in ("answer", "reply"):
            # after the classifier its condition may read, and after what the brief puts first
            plan.text_ref, needs = _fed(task, base_text, producers, [])
            hot_needs_saved, hot_needs = hot_needs, list(dict.fromkeys([*hot_needs, *needs]))
            add_answer(task, "async")
            hot_needs, plan.text_ref = hot_needs_saved, base_text
    for task in [t for t in plan.tasks if t.kind == "compute" and t.target and t.action]:
        # "compute the refund as keg_count times deposit_per_keg_eur": in-process, no model, no I/O
        step_id = _unique_id(f"compute_{task.target}", None, steps)
        steps.append(
            {
                "id": step_id,
                "type": "transform",
                "output": {task.target: f"{{{{ {task.action} }}}}"},
                "output_schema": {
                    "type": "object",
                    "required": [task.target],
                    "properties": {task.target: {"type": "number"}},
                },
            }
        )
        whys[step_id] = {"brief": _quoted(task)}
        producers.setdefault(f"compute:{task.target}", step_id)
    side_effects = [t for t in plan.background if t.kind in ("notify", "store", "act")]
    once = once_per(plan.reading.sentences)
    built: dict[int, str] = {}  # each side-effect task's step, for the ones that follow it
    for task in side_effects:
        follows = built.get(id(task.follows)) if task.follows is not None else None
        steps.append(side_effect_step(task, plan, producers, respond_needs, steps, async_checks, follows))
        built[id(task)] = steps[-1]["id"]
        if task.quote:
            whys[steps[-1]["id"]] = {"brief": _quoted(task)}
            _key_once(steps[-1], task, once, plan, whys)
        elif task.text.startswith("(the response cannot wait"):
            whys[steps[-1]["id"]] = {
                "block": "acknowledgement",
                "serves": [s["id"] for s in steps if s["type"] == "model"],
            }
    if plan.acknowledge:
        # In-process and deterministic: the only thing that fits an SLA below every model's p95.
        steps.insert(
            1 if fetch is not None else 0,
            {
                "id": "accept",
                "type": "transform",
                "description": "The answer within the SLA; the models' results follow by side effect.",
                "output": {"status": "accepted"},
                "output_schema": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"type": "string", "enum": ["accepted"]}},
                },
            },
        )
        respond_needs = ["accept"]
        body["status"] = "{{ steps.accept.output.status }}"
        whys["accept"] = {
            "block": "acknowledgement",
            "serves": [s["id"] for s in steps if s["type"] == "model"],
        }
    if not respond_needs:
        respond_needs = [s["id"] for s in steps if s["type"] == "validate" and s.get("mode") != "async"][:1]
    if fetch is not None:
        whys["fetch"] = (
            {"brief": _quoted(fetch)}
            if fetch.quote
            else {"block": "enrichment", "serves": [s["id"] for s in steps if s["type"] == "model"]}
        )
    steps = [_with_why(step, whys.get(step["id"])) for step in steps]
    return BuiltSteps(steps, roles, respond_needs, body, producers, pins, whys)


def _quoted(task: Task) -> str | list[str]:
    """The clause a step quotes, or every clause when the brief states the task more than once."""
    quotes = [q for q in (task.quotes or [task.quote or ""]) if q]
    return quotes[0] if len(quotes) == 1 else quotes


def _with_why(step: dict[str, Any], why: dict[str, Any] | None) -> dict[str, Any]:
    """The step with its `why` right after id, type and description, where a reader looks first."""
    if why is None:
        return step
    head = {k: step[k] for k in ("id", "type", "description") if k in step}
    return {**head, "why": why, **{k: v for k, v in step.items() if k not in head}}


def _fed(task: Task, text: str, producers: dict[str, str], upstream: list[str]) -> tuple[str, list[str]]:
    """What a hot model task reads, and the steps that must finish first: the translation (in
    place of the original text), extracted fields, and what the brief orders before it."""
    needs: list[str] = []
    for check in upstream:
        kind = next((k for k, c in producers.items() if c == check), "")
        if kind == "translate":
            text = f"{{{{ steps.{check}.output.text }}}}"
        elif kind == "extract":
            text = f"{text}\n\nExtracted fields:\n{{{{ steps.{check}.output | tojson }}}}"
        needs.append(check)
    for kind in task.after:
        check = producers.get(kind)
        if check and check not in needs:
            text = f"{text}\n\n{kind.capitalize()} result:\n{{{{ steps.{check}.output | tojson }}}}"
            needs.append(check)
    return text, needs


def _named_by_name(thing: str, plan: Plan) -> str | None:
    """ "look up the product's label" with `product_name`: the thing looked up, by its name
    when the event carries no key for it."""
    head = re.sub(r"['’]s$", "", thing.strip().lower()).replace(" ", "_")
    named = [f for f in plan.event.fields if f.lower() in (f"{head}_name", f"{head}name")]
    return named[0] if len(named) == 1 else None


def _leaf_name(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def _lookup_url(env: str, task: Task, plan: Plan) -> str:
    """The lookup's URL: keyed by the event field its clause names ("look up the order by the
    order number"), else by the event's id, else the bare endpoint."""
    quote = task.quote or task.text
    keyed = re.search(r"\b(?:by|using|with|for|via|from|on)\s+(.*)", quote, re.I)
    looked_up = re.search(
        r"\b(?:look(?:s|ed|ing)?\s+up|fetch\w*|pull\w*|get\w*|find\w*|query\w*|retriev\w*)\s+(?:up\s+)?"
        # "the crew member's roster": the thing, up to its possessive
        r"(?:the\s+|a\s+|an\s+|our\s+|their\s+|its\s+)?((?:[\w-]+\s+){0,2}?[\w-]+(?:'s|’s)|[\w'-]+)",
        quote,
        re.I,
    )
    for by in re.finditer(r"\b(?:by|using)\s+(?=(.*))", quote, re.I):
        # "by lat/long", "using candidate_id and license_state": every key the clause names
        phrase = re.split(r"[,;:()]|\s+(?:to|for|in|from|before|then|so|by|using)\s+", by.group(1))[0]
        keys = plan.event.fields_keyed_by(phrase)
        if len(keys) > 1:
            query = "&".join(f"{_leaf_name(k)}={{{{ event.{k} | urlencode }}}}" for k in keys)
            return f"${{env:{env}}}?{query}"
    # the key the clause names ("by the order number"), else the thing it looks up ("look up the
    # policy" -> policy_number, before "on the loss date" later in the clause), else any field named
    # "by organ_id to get the pipe count": the key ends where the clause says what it gets
    by_phrase = (
        re.split(r"[,;:()]|\s+(?:to|for|in|from|before|then|so|and)\s+", keyed.group(1))[0] if keyed else ""
    )
    named = (
        (
            plan.event.field_named_in(by_phrase)
            if keyed and re.match(r"by|using", keyed.group(0), re.I)
            else None
        )
        or (plan.event.field_named_in(f"the {looked_up.group(1)}") if looked_up else None)
        or (_named_by_name(looked_up.group(1), plan) if looked_up else None)
        or (plan.event.field_named_in(keyed.group(1)) if keyed else None)
        or plan.event.field_named_in(quote)
    )
    if named is None and keyed and re.match(r"by|using", keyed.group(0), re.I):
        # "look up the customer by phone" with Twilio's `From`: the field that holds the number
        if re.search(r"\b(?:phone|mobile|cell|number)\b", by_phrase, re.I):
            named = plan.event.recipient("sms")
        elif re.search(r"\be-?mail\b", by_phrase, re.I):
            named = plan.event.recipient("email")
    if named is not None:
        return f"${{env:{env}}}/{{{{ event.{named} }}}}"
    if plan.shown_id != plan.id_ref and plan.event.listed_key:
        # the `id` is assumed and may be missing: a key the brief lists is there to look up by
        return f"${{env:{env}}}/{{{{ event.{plan.event.listed_key} }}}}"
    return f"${{env:{env}}}/{plan.shown_id}" if plan.event.id_field else f"${{env:{env}}}"


_VERDICTS = ("label", "decision", "urgent", "score", "field")


def _hot_lookups(plan: Plan) -> list[Task]:
    """The enrichments the brief names before a hot model task: they run first, on the hot path."""
    if not plan.hot:
        return []
    last = max(mentioned_at(t) for t in plan.hot)

    def first(task: Task) -> bool:
        # "First pull the reservation from OPERA", "look up the patient … by phone number first",
        # "… in our assets API before choosing a vendor": before the models, wherever it is said
        clause = task.quote or quote_for(plan.reading.sentences[task.sentence], task.start)
        return bool(re.search(r"\b(?:first|before)\b", clause, re.I))

    return [
        task
        for task in plan.background
        if task.kind == "enrich"
        and not task.background
        and task.start >= 0
        and ((task.sentence, task.start) < last or first(task))
    ]


def _key_once(
    step: dict[str, Any], task: Task, once: list[OncePer], plan: Plan, whys: dict[str, dict[str, Any]]
) -> None:
    """ "never charge the same loan twice": the call's key is the loan, so a second event about
    the same loan repeats the first call's result instead of charging again; the step quotes
    the rule, which is then read."""
    verb = base_verb(((task.action or task.text).split() or [""])[0])
    rule = next((r for r in once if r.verb == verb), None)
    keyed = plan.event.field_named_in(rule.noun) if rule is not None else None
    if rule is None or keyed is None:
        return
    step["idempotency_key"] = f"{{{{ event.{keyed} }}}}:{step['id']}"
    quoted = _quoted(task)
    whys[step["id"]] = {"brief": [*(quoted if isinstance(quoted, list) else [quoted]), rule.text]}
    plan.read_late.append(rule.text)  # read after all: not "not understood"


_NAMED_API = re.compile(r"\b(?:the|our|their|its)\s+((?:[a-z][\w-]*\s+){1,3}?)api\b", re.I)


def _system_of(task: Task) -> str:
    """What a lookup's URL variable is named after: its system, or the words before "API" when
    the brief names it only so ("fetched from the player history API" -> PLAYER_HISTORY_API_URL)."""
    if task.target and task.target != "api":
        return task.target
    named = _NAMED_API.search(task.quote or task.text)
    return named.group(1).strip() if named else "crm"


def _unique_id(base: str, target: str | None, steps: list[dict[str, Any]]) -> str:
    """`lookup`, then `lookup_noaa` for a second system read (the system's name, else a number)."""
    taken = {s["id"] for s in steps}
    if base not in taken:
        return base
    named = re.sub(r"[^a-z0-9]+", "_", (target or "").lower()).strip("_")
    candidate = f"{base}_{named}" if named else f"{base}_{len(steps)}"
    return candidate if candidate not in taken else f"{candidate}_{len(steps)}"


def _option_clauses(plan: Plan) -> list[str]:
    """Clauses of the brief that state the answer's values ("needs approve, review or decline",
    "answer `review`"): what the step deciding the answer implements."""
    from copilot.draft.clauses import requirement_clauses
    from copilot.draft.reader import option_of

    options = plan.reading.response_options
    return [
        c.text
        for c in requirement_clauses(plan.brief)
        if options
        and option_of(" ".join(re.findall(r"[A-Za-z][\w-]*", c.text)[:4]), options)
        and not c.destination
    ]


def _stated_p95(sentence: str) -> float | None:
    """'p95 about 110 ms' in the brief: the service's own latency figure."""
    m = re.search(
        r"\bp95\s*(?:of|about|around|is|~|=|:)?\s*(?:about\s+|around\s+|~\s*)?(\d+(?:\.\d+)?)\s*(ms|s)\b",
        sentence,
        re.I,
    )
    if m is None:
        return None
    return float(m.group(1)) / (1000 if m.group(2).lower() == "ms" else 1)


def _pin(base_dir: Path, glob: str) -> tuple[str, str]:
    """The pin of the docs glob today, and the honest note about it."""
    from copilot.flow.sources import pin_for, resolve

    files = resolve(glob, base_dir)
    pin = pin_for(glob, base_dir)
    if files:
        return (
            pin,
            f"{len(files)} file{'s' if len(files) != 1 else ''} matched when drafted, pinned by content",
        )
    return pin, (
        "matched no files when drafted, so this pins nothing yet: add the documents, review them, "
        "then run `flowgen pin` on this file (flowgen never invents a pin; the engine refuses a mismatch)"
    )


def _declare_returned(step: dict[str, Any], lookup: Task) -> None:
    """A lookup whose fields a condition compares ("to get its max_safe_moisture") declares them:
    a reply without them is the lookup's error, not a comparison that silently never holds."""
    if lookup.returns:
        step["output_schema"] = {
            "type": "object",
            "required": list(lookup.returns),
            "properties": {name: {"type": kind} for name, kind in lookup.returns.items()},
        }


_STOP = frozenset({
    "a", "an", "the", "and", "or", "of", "for", "to", "in", "on", "at", "by", "with", "from", "that",
    "this", "these", "those", "it", "its", "their", "our", "your", "we", "you", "they", "them", "is",
    "are", "be", "was", "were", "use", "using", "used", "ask", "have", "has", "model", "llm", "ai",
    "write", "draft", "explain", "what", "which", "how", "why", "when", "if", "then", "also", "only",
    "each", "every", "per", "short", "brief", "grounded", "grounding", "based", "handbook", "guide",
    "document", "documents", "docs", "pdf", "manual", "sheet",
})  # fmt: skip


def _search_words(task: Task, plan: Plan) -> str:
    """What a retrieval searches for when the event has no text to search with: the words of the
    clause it grounds ("explaining what the reading means for that species") and the event's
    descriptive strings, never the whole event as JSON (its keys and ids match nothing)."""
    said = re.findall(r"[A-Za-z][A-Za-z-]{2,}", task.quote or task.text)
    words = list(dict.fromkeys(w.lower() for w in said if w.lower() not in _STOP))[:12]
    strings = [
        f
        for f in plan.event.fields
        if "." not in f
        and f not in plan.event.id_fields
        and f not in plan.event.pii_fields
        and plan.event.schema.get("properties", {}).get(f, {}).get("type") == "string"
        and not re.search(r"(?:_at|_on|date|time)$", f)
    ]
    values = " ".join(f"{{{{ event.{f} }}}}" for f in strings[:4])
    return " ".join(part for part in (" ".join(words), values) if part) or "{{ event | tojson }}"
