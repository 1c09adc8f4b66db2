"""Assembling an offline draft: models, deadlines from the SLA, and the flow document.

`assemble` picks the models (`ModelPicker`), gives each hot-path step a share of the
SLA and a timeout within it, and writes the flow's data: trigger, SLA and budget,
models, steps, respond, on_error, observability and the `tests:` block with its
chaos. `flow_name` and `describe` name and describe the flow from what it does.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from copilot import policy
from copilot.catalog import ModelProfile
from copilot.draft import blocks
from copilot.draft.blocks import dur
from copilot.draft.model_picker import ModelPicker
from copilot.draft.planning import Plan, display
from copilot.draft.reader import Reading
from copilot.draft.request import DraftRequest
from copilot.draft.steps import BuiltSteps, build_steps

# ---------------------------------------------------------------------------- numbers


def _choose_models(
    built: BuiltSteps, plan: Plan, picker: ModelPicker, shares: dict[str, float]
) -> dict[str, ModelProfile]:
    chosen: dict[str, ModelProfile] = {}
    for step in built.steps:
        if step["type"] != "model":
            continue
        kind, hot = built.roles[step["id"]]
        tier = picker.tier_for(kind, hot)
        share = shares.get(step["id"]) if hot else None
        if hot and tier != "fast" and not picker.fits(tier, share):
            tier = "fast"  # a better writer that misses the SLA is no better
        primary = picker.choose(tier, share)
        role = (
            "fast"
            if hot and tier == "fast"
            else "writer"
            if hot
            else "heavy"
            if tier == "heavy"
            else "worker"
        )
        step["model"] = picker.alias(primary, role)
        fallback_tiers = ("fast",) if hot else tuple(reversed(picker.allowed))
        fallback = picker.fallback_for(primary, fallback_tiers) or picker.fallback_for(
            primary, picker.allowed
        )
        if fallback is not None:
            step["fallback"] = [picker.alias(fallback, "backup" if hot else "heavy_backup")]
        chosen[step["id"]] = primary
    return chosen


def _hot_paths(steps: list[dict[str, Any]], respond_needs: list[str]) -> list[list[str]]:
    """Every chain of the hot path, from a step with no needs to one the response waits for."""
    needs = {s["id"]: [n for n in s.get("needs", [])] for s in steps}
    paths: list[list[str]] = []

    def walk(step: str, tail: list[str]) -> None:
        chain = [step, *tail]
        ups = [n for n in needs.get(step, []) if n in needs]
        if not ups:
            paths.append(chain)
        for up in ups:
            walk(up, chain)

    for end in respond_needs:
        walk(end, [])
    return paths


def _fixed_p95(step: dict[str, Any]) -> float:
    from copilot.flow.estimate import HTTP_LATENCY, LOCAL_LATENCY, RETRIEVE_LATENCY

    return {"retrieve": RETRIEVE_LATENCY[1], "http": HTTP_LATENCY[1]}.get(step["type"], LOCAL_LATENCY[1])


def _shares(built: BuiltSteps, sla: float, p95: dict[str, float], safety: float) -> dict[str, float]:
    """Each hot model step's slice of the SLA: split along every chain by model p95, tightest wins."""
    by_id = {s["id"]: s for s in built.steps}
    shares: dict[str, float] = {}
    for path in _hot_paths(built.steps, built.respond_needs):
        models = [s for s in path if by_id[s]["type"] == "model"]
        fixed = sum(_fixed_p95(by_id[s]) for s in path if by_id[s]["type"] != "model")
        available = sla * safety - fixed
        total = sum(p95.get(m, 1.0) for m in models) or 1.0
        for m in models:
            share = max(available * p95.get(m, 1.0) / total, 0.02)
            shares[m] = min(shares.get(m, math.inf), share)
    return shares


def _hot_ids(built: BuiltSteps) -> set[str]:
    return {step for chain in _hot_paths(built.steps, built.respond_needs) for step in chain}


def _set_timeouts(
    built: BuiltSteps, chosen: dict[str, ModelProfile], shares: dict[str, float], plan: Plan
) -> None:
    respond_chain = _hot_ids(built)
    for step in built.steps:
        if step["type"] in ("http", "retrieve") and step["id"] in respond_chain:
            # A hot call's bound comes from the SLA too: never the 2s default under a 1s SLA.
            step["timeout"] = dur(
                policy.io_timeout(step["type"], _fixed_p95(step), plan.sla * policy.HOT_IO_SHARE)
            )
            continue
        if step["type"] != "model":
            continue
        profile = chosen[step["id"]]
        _, hot = built.roles[step["id"]]
        if not hot:
            step["timeout"] = dur(policy.background_model_timeout(profile.p95))
            continue
        # one policy for drafts and `lint --fix` (copilot.policy): cut only the stragglers,
        # inside this step's share of the SLA, leaving room for the fallback
        timeout = policy.model_timeout(
            profile.p95, shares.get(step["id"], plan.sla), fallback=bool(step.get("fallback"))
        )
        step["timeout"] = dur(timeout)
        if timeout < policy.MIN_RETRY_TIMEOUT:
            step.pop("retry", None)  # a retry cannot fit; one call, then the fallback
            step.pop("idempotency_key", None)


def assemble(
    plan: Plan, request: DraftRequest, base_dir: Path, level: int, safety: float
) -> tuple[dict[str, Any], BuiltSteps]:
    """The flow's data and its steps: models picked, hot-path timeouts cut from the SLA's shares."""
    picker = ModelPicker(request.catalog, plan.cost_tier, request.fallback_model, level)
    built = build_steps(plan, base_dir)
    # "if the magnitude is below 18.5", however it was read: that field holds a number
    plan.event.compare_as_numbers(
        [str(s["if"]) for s in built.steps if s.get("if")], given=request.event is not None
    )
    # First pass: equal shares pick the models; second: shares by the chosen models' p95.
    even = _shares(built, plan.sla, {}, safety)
    chosen = _choose_models(built, plan, picker, even)
    shares = _shares(built, plan.sla, {k: v.p95 for k, v in chosen.items()}, safety)
    _set_timeouts(built, chosen, shares, plan)
    data = _flow_data(plan, built, picker, chosen, budget=request.budget or plan.reading.budget)
    return data, built


def _trigger_block(plan: Plan, rate: int, rate_note: str) -> dict[str, Any]:
    reading = plan.reading
    trig = reading.trigger
    block: dict[str, Any] = {"type": plan.trigger}
    if plan.trigger == "webhook":
        block["path"] = f"/hooks/{reading.noun}"
        secret = blocks.env_name(reading.noun, "webhook", "secret")
        block["auth"] = {"scheme": trig.auth, "secret": f"${{env:{secret}}}"}
    elif plan.trigger == "schedule":
        if trig.cron:
            block["cron"] = trig.cron
            if trig.timezone and trig.timezone != "UTC":
                block["timezone"] = trig.timezone  # the brief's times are local times
        else:
            block["every"] = dur(trig.every or 300.0)
    else:
        broker = trig.broker or "queue"
        block["source"] = f"${{env:{blocks.env_name(broker if broker != 'queue' else 'queue', 'url')}}}"
        block["topic"] = trig.topic or f"{reading.noun}s"
        block["group"] = f"flowgen-{reading.noun}"
    block["event_schema"] = plan.event.schema
    block["example"] = plan.event.sample
    block["idempotency_key"] = plan.id_ref
    block["dedupe_window"] = blocks.DEDUPE_WINDOW
    if plan.trigger != "schedule":
        block["rate_limit"] = {"limit": rate, "period": "1s", "burst": rate * 2}
        plan.notes[("trigger", "rate_limit")] = rate_note
        if reading.concurrency is not None:
            block["concurrency"] = reading.concurrency
            stated = next((m.text for m in reading.matches if m.kind == "concurrency"), None)
            plan.notes[("trigger", "concurrency")] = f"from the brief: {stated!r}"
        else:
            block["concurrency"] = max(10, math.ceil(rate * plan.sla * 2))
            little = f"Little's law: {rate}/s × {dur(plan.sla)} SLA × 2 headroom"
            plan.notes[("trigger", "concurrency")] = little
    return block


def _flow_data(
    plan: Plan, built: BuiltSteps, picker: ModelPicker, chosen: dict[str, ModelProfile], budget: float | None
) -> dict[str, Any]:
    reading = plan.reading
    # Ingress rate: at most 50/s, and below what the most limited model allows per event.
    calls: dict[str, int] = {}
    for step in built.steps:
        if step["type"] == "model":
            calls[chosen[step["id"]].id] = calls.get(chosen[step["id"]].id, 0) + 1
    if reading.rate is not None:
        rate = max(1, math.ceil(reading.rate))
        note = f"{rate}/s: the traffic the brief expects"
    else:
        rate = blocks.DEFAULT_RATE_PER_SECOND
        note = f"{rate}/s: a default for one flow; raise it with the models' limits in mind"
    for model_id, n in calls.items():
        profile = picker.catalog.models[model_id]
        if profile.rpm:
            allowed = int(profile.rpm / 60 / n)
            if allowed < rate:
                rate = max(1, allowed)
                note = f"below {profile.id}'s {profile.rpm} rpm for {n} call{'s' if n > 1 else ''} per event"
    trigger = _trigger_block(plan, rate, note)
    name = flow_name(reading, plan)
    # A personal field the brief sends to a system ("look up the pet by the owner's phone") is
    # the lookup's key: it leaves the flow by design. It stays redacted in traces and logs, and
    # the finding that it is sent out (FG713) is silenced on that line with the brief's reason.
    effects = {
        str(s["id"])
        for s in built.steps
        if s.get("type") == "http" and str((s.get("request") or {}).get("method", "POST")).upper() != "GET"
    }
    for index, step in enumerate(built.steps):
        # "put the lot on hold and then page the engineer": a side effect after another one the brief
        # orders first waits for it by design (FG109 is silenced on that line, with the reason)
        ordered = [
            n
            for n in step.get("needs") or []
            if step.get("type") == "http" and n in effects and f"steps.{n}." not in str(step.get("request"))
        ]
        if ordered:
            plan.notes[("steps", index, "needs")] = (
                f'flowgen: disable=FG109 reason="the brief puts {ordered[0]} first"'
            )
        url = str(step.get("request", {}).get("url", "")) if step.get("type") == "http" else ""
        for key in [f for f in plan.event.pii_fields if f"{{{{ event.{f} }}}}" in url]:
            plan.notes[("steps", index, "request")] = (
                f'flowgen: disable=FG713 reason="the brief looks the record up by {key}"'
            )
            plan.assumptions.append(
                f"`{step['id']}` sends the personal field `event.{key}` as its lookup key, as the brief "
                "asks (FG713 is silenced on that line); key it on an id instead if it must not leave"
            )
        # "email the customer a thank-you note": the address is where the message goes, by design;
        # "text the physio with the patient's name and phone": what the brief asks it to carry
        body = step.get("request", {}).get("json", {}) if step.get("type") == "http" else {}
        for part, value in body.items() if isinstance(body, dict) else []:
            for key in [f for f in plan.event.pii_fields if f"{{{{ event.{f} }}}}" == value]:
                reason = (
                    f"the message goes to the address in {key}"
                    if part == "to"
                    else f"the brief asks for {key.replace('_', ' ')} in this message"
                )
                plan.notes[("steps", index, "request", "json", part)] = (
                    f'flowgen: disable=FG713 reason="{reason}"'
                )
                said = (
                    f"sends the message to `event.{key}`, the recipient the brief names (FG713 is silenced "
                    "on that line); everything else personal stays out of its body"
                    if part == "to"
                    else f"carries `event.{key}`, as the brief asks (FG713 is silenced on that line)"
                )
                plan.assumptions.append(f"`{step['id']}` {said}")
    redact = [f"event.{f}" for f in plan.event.pii_fields]
    data: dict[str, Any] = {
        "apiVersion": "flowgen/v1",
        "kind": "Flow",
        "name": name,
        "description": describe(plan),
        "brief": plan.brief.strip(),
        "sla": {
            "latency_p95": dur(plan.sla),
            "max_cost_per_event": budget or 1.0,
            "cost_tier": plan.cost_tier,
        },
        "trigger": trigger,
        "models": picker.specs,
        "steps": built.steps,
        "respond": {
            "needs": built.respond_needs,
            **({"status": 202} if plan.acknowledge else {}),
            "body": built.respond_body,
            "on_deadline": {
                "status": 202,
                "body": {
                    **({"id": built.respond_body["id"]} if "id" in built.respond_body else {}),
                    "status": "queued",
                    # the brief's answer when the decision cannot be had in time ("answer `review`")
                    **(
                        {"decision": reading.fallback_option}
                        if reading.fallback_option and "decision" in built.respond_body
                        else {}
                    ),
                },
            },
        },
        "on_error": blocks.dead_letter(),
        "observability": blocks.observability(plan.sla, budget or 1.0, redact),
        "tests": blocks.tests_block(
            plan.sla, budget or 1.0, rate, _chaos_alias(built, chosen, picker), trigger=plan.trigger
        ),
    }
    return data


def _chaos_alias(built: BuiltSteps, chosen: dict[str, ModelProfile], picker: ModelPicker) -> str:
    for step in built.steps:
        if step["type"] == "model" and built.roles[step["id"]][1]:
            return step["model"]
    return next(iter(picker.specs), "fast")


_TASK_WORDS = {
    "classify": "triage",
    "score": "scoring",
    "moderate": "moderation",
    "extract": "extraction",
    "summarise": "summary",
    "translate": "translation",
    "answer": "answers",
    "reply": "replies",
    "enrich": "enrichment",
    "notify": "alerts",
    "store": "sync",
}


def flow_name(reading: Reading, plan: Plan) -> str:
    main = (
        (plan.hot or plan.background or plan.tasks)[0].kind if (plan.hot or plan.background) else "classify"
    )
    if (
        any(t.kind == "enrich" and t.text != "(a schedule carries no data)" for t in plan.background)
        and main
        in (
            "classify",
            "score",
        )
        and plan.reading.noun == "lead"
    ):
        main = "enrich"
    noun = reading.noun if reading.noun != "event" else "event"
    word = _TASK_WORDS.get(main, "flow")
    if noun == "transaction" and main == "score":
        word = "scoring"
    name = re.sub(r"[^a-z0-9-]+", "-", f"{noun}-{word}".lower()).strip("-")
    return name[:60] or "drafted-flow"


_WORK = {
    "classify": "classify it",
    "decide": "check it and decide",
    "score": "score it",
    "moderate": "check it against the content policy",
    "extract": "extract its fields",
    "summarise": "summarise it",
    "translate": "translate it",
    "answer": "answer it from pinned documents",
    "reply": "draft a reply",
    "enrich": "look up more about it",
}
_CHANNEL_PHRASE = {
    "pagerduty": "page on-call",
    "slack": "post to Slack",
    "teams": "post to Teams",
    "email": "send an email",
    "sms": "send a text message",
    "discord": "post to Discord",
    "webhook": "hand over to the escalation endpoint",
}


def _system(name: str) -> str:
    """'crm' -> 'the CRM', 'bigquery' -> 'Bigquery', 'warehouse' -> 'the warehouse'."""
    if len(name) <= 3:
        return f"the {name.upper()}"
    if name in ("warehouse", "database", "sheet", "spreadsheet", "results", "records"):
        return f"the {name}"
    return name[0].upper() + name[1:]


def _joined(phrases: list[str]) -> str:
    return ", ".join(phrases[:-1]) + " and " + phrases[-1] if len(phrases) > 1 else phrases[0]


def describe(plan: Plan) -> str:
    """One sentence a person reads: the work done on each event, then what it changes outside."""
    work = list(dict.fromkeys(_WORK[t.kind] for t in plan.tasks if t.kind in _WORK and t.start >= -1))
    effects: list[str] = []
    for task in plan.tasks:
        if task.kind == "notify":
            effects.append(_CHANNEL_PHRASE.get(task.channel or "webhook", "notify someone"))
        elif task.kind == "store":
            effects.append(
                f"write the result to {_system(task.target)}" if task.target else "store the result"
            )
        elif task.kind == "act" and task.action:
            effects.append(" ".join(task.action.split()[:4]))
    effects = list(dict.fromkeys(effects))
    trig = {"webhook": "arriving by webhook", "schedule": "on a schedule", "queue": "from a queue"}[
        plan.trigger
    ]
    parts = [p for p in (_joined(work) if work else "", _joined(effects) if effects else "") if p]
    return f"For each {display(plan.reading.noun)} {trig}: {'; '.join(parts)}."
