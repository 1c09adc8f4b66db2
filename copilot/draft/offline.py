"""The offline drafter: a brief becomes a production-ready flow with no model and no network.

It reads the brief by vocabulary (`copilot.draft.reader`), then assembles the flow from the
building blocks (`copilot.draft.blocks`): fast models with a fallback from another provider
on the hot path, heavy work async, a validate step after every model output, timeouts
cut from the SLA with the shared estimates (`copilot.flow.graph.analyze`), pinned
documents, idempotency keys, limits, observability, and a load and chaos test block.
Deterministic: the same brief and options always give the same file.

This module holds the top-level `draft_offline` (read, plan, build, assemble, then fit
the budget and say which steps the SLA starves) and its result, `OfflineDraft`. The
stages are `copilot.draft.planning` (the `Plan`), `copilot.draft.steps` (the steps, with
`copilot.draft.model_steps` and `copilot.draft.side_effects`) and
`copilot.draft.assembly` (models, deadlines, the flow document); their public names are
re-exported here (`__all__`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.catalog import Catalog
from copilot.draft import blocks
from copilot.draft.assembly import assemble, describe, flow_name
from copilot.draft.blocks import dur
from copilot.draft.brief_rules import hand_content_rules, hand_rules_to_model
from copilot.draft.conditions import condition_field
from copilot.draft.model_picker import ModelPicker
from copilot.draft.model_steps import UNGROUNDED_ANSWER
from copilot.draft.planning import (
    DEFAULT_SLA,
    DOCS_GLOB,
    FEEDS,
    HOT_KINDS,
    HTTP_P95,
    REALTIME_SLA,
    SLA_SAFETY,
    Plan,
    display,
    grounded,
    plan,
    score_scale,
)
from copilot.draft.reader import Reading, read
from copilot.draft.reading import UNMAPPED_CONDITION
from copilot.draft.request import DraftRequest
from copilot.draft.steps import BuiltSteps, build_steps
from copilot.flow.dump import Comments

__all__ = [
    "DEFAULT_SLA",
    "DOCS_GLOB",
    "FEEDS",
    "HOT_KINDS",
    "HTTP_P95",
    "REALTIME_SLA",
    "SLA_SAFETY",
    "UNGROUNDED_ANSWER",
    "ModelPicker",
    "OfflineDraft",
    "Plan",
    "build_steps",
    "condition_field",
    "describe",
    "display",
    "draft_offline",
    "flow_name",
    "grounded",
    "plan",
    "score_scale",
]


@dataclass
class OfflineDraft:
    """A drafted flow: its data, the comments that explain it, and what the reader could not map."""

    data: dict[str, Any]
    comments: Comments
    reading: Reading
    assumptions: list[str]
    unmapped: list[str]
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- the drafter


def draft_offline(request: DraftRequest, out_path: Path | None = None) -> OfflineDraft:
    """The offline draft of `request.brief`: flow data, comments, and what was not understood."""
    from copilot.flow.graph import analyze
    from copilot.flow.models import Flow

    reading = read(request.brief)
    base_dir = (out_path.parent if out_path is not None else Path.cwd()).resolve()
    budget = request.budget or reading.budget
    best: tuple[dict[str, Any], BuiltSteps, Plan, Any] | None = None
    for level in range(3):
        safety = SLA_SAFETY
        for _ in range(6):
            current = plan(request, reading)
            data, built = assemble(current, request, base_dir, level, safety)
            flow = Flow.model_validate(data)
            analysis = analyze(flow, request.catalog)
            if analysis.critical_path is None or analysis.critical_path.p95 <= current.sla:
                break
            safety *= 0.9  # the estimate came out over the SLA: plan to a tighter slice
        best = (data, built, current, analysis)
        if budget is None or analysis.cost_per_event <= budget:
            break
    assert best is not None
    data, built, current, analysis = best
    unread = [
        u
        for u in reading.unmapped
        if not any(
            u.removesuffix(UNMAPPED_CONDITION) in said or (len(said) >= 8 and said in u)
            for said in current.read_late
        )
    ]
    from copilot.draft.safe_defaults import settle_defaults
    from copilot.draft.withheld import strip_withheld

    current.assumptions.extend(settle_defaults(data))  # a broken model answer acts the least

    kept_back = strip_withheld(data, reading.sentences)
    current.assumptions.extend(kept_back)
    if kept_back:  # "Never include the patient_mrn in the Teams post": done, in the payload
        unread = [u for u in unread if not any(u in note for note in kept_back)]
    applier, handed, still_unread = hand_rules_to_model(data, built.roles, unread, reading.sentences)
    for rule in handed:
        current.assumptions.append(
            f"the rule {rule!r} is in `{applier}`'s instructions: its model applies it, no step checks it"
        )
    for rule in hand_content_rules(data, built.roles, reading.sentences):
        current.assumptions.append(
            f"the rule {rule!r} is in the instructions of every step that writes text; no step checks it"
        )
        still_unread = [u for u in still_unread if u not in rule]
    from copilot.draft.coverage import judged_from_text

    for phrase, name in judged_from_text(still_unread, data):
        # "If the question mentions an exceedance": the classifier reads it in the text, said so
        current.assumptions.append(
            f"the classifier decides {phrase.removesuffix(UNMAPPED_CONDITION)!r} from the text, as `{name}`"
        )
        still_unread = [u for u in still_unread if u != phrase]
    from copilot.draft.unsaid import keep_unsaid

    for note in keep_unsaid(data, reading.sentences):
        current.assumptions.append(note)  # "never receive anything mentioning late fees"
        still_unread = [u for u in still_unread if f"{u!r}" not in note]
    if budget is None:
        # No budget in the brief: set one with headroom over the estimate, and say so.
        chosen = _nice_budget(analysis.cost_per_event * 4)
        _set_budget(data, chosen)
        period = (
            f"the brief's {reading.budget_period!r} names no volume to spread it over, so "
            if reading.budget_period
            else ""
        )
        current.assumptions.append(
            f"{period}a budget of ${blocks.money(chosen)}/event, about 4x the estimate (room for hedges); "
            "pass --budget to set yours"
        )
        current.notes[("sla", "max_cost_per_event")] = (
            f"assumed: ~4x the estimated ${analysis.cost_per_event:.5f}/event"
        )
    else:
        source = "from --budget" if request.budget else f"from the brief: {reading.budget_text!r}"
        current.notes[("sla", "max_cost_per_event")] = (
            f"{source}; estimated ${analysis.cost_per_event:.5f}/event"
        )
        if analysis.cost_per_event > budget:
            current.assumptions.append(
                "even the cheapest models the cost tier allows are estimated at "
                f"${analysis.cost_per_event:.5f}/event, "
                f"over the ${blocks.money(budget)} budget"
            )
    binary = sorted(set(re.findall(r"[\w./-]+\.(?:pdf|docx?|xlsx?|pptx?)\b", request.brief, re.I)))
    if binary and any(s.get("type") == "retrieve" for s in data["steps"]):
        # "our reference-range sheet (docs/reference-ranges.pdf)": retrieval reads text files
        current.assumptions.append(
            f"the brief names {', '.join(binary)}; retrieval reads text files (Markdown, text, HTML), so "
            f"put a text export of it under {reading.docs_glob or DOCS_GLOB} before `flowgen pin`"
        )
    if current.pin_note:
        index = next(i for i, s in enumerate(data["steps"]) if s["id"] == "docs")
        current.notes[("steps", index, "sources")] = current.pin_note
        if "pins nothing yet" in current.pin_note:
            glob = reading.docs_glob or DOCS_GLOB
            current.assumptions.append(
                f"documents under {glob} next to the flow file; none there yet, so the pin must be updated: "
                "the own test stands the retrieval in with its on_empty value, and `flowgen test` refuses "
                "the flow until the documents are there and `flowgen pin` has pinned them"
            )
    current.notes[("respond", "on_deadline")] = (
        "answered when the SLA passes; the hot path then finishes as async work"
    )
    if current.acknowledge:
        current.notes.setdefault(
            ("respond", "status"),
            "202: no model fits the SLA, so the response acknowledges and the models run async",
        )
    current.warnings.extend(_starved(flow, analysis, request.catalog))
    return OfflineDraft(
        data=data,
        comments=dict(current.notes),
        reading=reading,
        assumptions=current.assumptions,
        unmapped=still_unread,
        warnings=current.warnings,
    )


def _starved(flow: Any, analysis: Any, catalog: Catalog) -> list[str]:
    """Hot-path model steps whose timeout is below their model's p95: most calls will not finish."""
    from copilot.flow.estimate import model_profiles

    profiles = model_profiles(flow, catalog)
    out = []
    for step in flow.steps:
        if step.type != "model" or step.id not in analysis.hot_path or step.timeout is None:
            continue
        profile = profiles.get(step.model) if step.model else None
        if profile is not None and step.timeout < profile.p95:
            out.append(
                f"step `{step.id}` gets a {dur(step.timeout)} timeout, below its model's p95 "
                f"{dur(profile.p95)} ({profile.id}): the SLA {dur(analysis.sla)} is too short for this "
                "chain, so most calls will end on the fallback or the on_deadline answer; raise --sla or "
                "drop a step from the hot path"
            )
    return out


def _nice_budget(value: float) -> float:
    """Two significant digits, rounded up: 0.0012345 -> 0.0013."""
    if value <= 0:
        return 0.001
    exponent = math.floor(math.log10(value)) - 1
    return round(math.ceil(value / 10**exponent) * 10**exponent, 10)


def _set_budget(data: dict[str, Any], budget: float) -> None:
    data["sla"]["max_cost_per_event"] = budget
    for alert in data["observability"]["alerts"]:
        if alert["metric"] == "cost_per_event":
            alert["above"] = budget
    data["tests"]["thresholds"]["cost_per_event"] = [f"avg<{blocks.money(budget)}"]
