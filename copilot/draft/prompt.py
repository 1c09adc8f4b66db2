"""The drafting prompt: system, draft and repair messages rendered from `templates/`.

These are flowgen's own templates (not flow templates), rendered in a sandboxed
environment with `StrictUndefined`, so a missing variable is a bug caught by the tests
rather than an empty hole in what the model reads. `flowgen prompt` prints exactly what
`flowgen draft` sends.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from copilot.draft.request import DraftRequest

DEFAULT_COST_TIER = "standard"
Message = dict[str, str]


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from copilot.resources import data_dir

    return SandboxedEnvironment(
        loader=FileSystemLoader(str(data_dir("templates"))),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_template(name: str, **context: Any) -> str:
    return _environment().get_template(name).render(**context).strip() + "\n"


def checklist_by_area() -> list[tuple[str, list[str]]]:
    """(area title, guidance sentences) in checklist order, read from checklists/."""
    from copilot.checklist import load_areas, load_checklist

    areas = load_areas()
    grouped: dict[str, list[str]] = {}
    for item in load_checklist():
        grouped.setdefault(item.area, []).append(item.guidance)
    return [(areas.get(area, area), sentences) for area, sentences in grouped.items()]


def catalog_rows(catalog: Any, cost_tier: str) -> list[dict[str, Any]]:
    """The catalog models a cost tier may use (`COST_TIER_TIERS`), fastest tier first."""
    from copilot.catalog import COST_TIER_TIERS

    tiers = COST_TIER_TIERS[cost_tier]
    rank = {t: i for i, t in enumerate(("fast", "balanced", "heavy"))}
    rows = []
    for m in sorted(catalog.by_tier(tiers), key=lambda m: (rank.get(m.tier, 3), m.p95, m.id)):
        rows.append(
            {
                "use": f"{m.provider}/{m.snapshot}" if m.snapshot else m.id,
                "tier": m.tier,
                "p50_ms": round(m.p50 * 1000),
                "p95_ms": round(m.p95 * 1000),
                "input_per_mtok": f"{m.input_per_mtok:g}",
                "output_per_mtok": f"{m.output_per_mtok:g}",
                "context": f"{m.context_window // 1000}k" if m.context_window else "?",
                "rpm": m.rpm if m.rpm else "none",
            }
        )
    return rows


def system_message(compact: bool = False) -> str:
    """The system prompt; `compact` outlines the compact wire schema and leaves the checklist
    to flowgen's fixes (copilot.draft.wire, `COMPACT_LEAVE_OUT`)."""
    from copilot.draft.blocks import rules_of_thumb
    from copilot.draft.outline import LEGEND, schema_outline

    return render_template(
        "system.md.j2",
        outline=schema_outline(compact),
        legend=LEGEND,
        rules_of_thumb=rules_of_thumb(),
        checklist=[] if compact else checklist_by_area(),
        compact=compact,
    )


def draft_message(request: DraftRequest) -> str:
    from copilot.catalog import COST_TIER_TIERS
    from copilot.flow.units import format_duration

    cost_tier = request.cost_tier or DEFAULT_COST_TIER
    event = request.event
    return render_template(
        "draft.md.j2",
        brief=request.brief,
        event_sample=json.dumps(event.sample, indent=2) if event else None,
        event_schema=json.dumps(event.schema, indent=2) if event else None,
        event_source=event.source if event else None,
        sla=format_duration(request.sla) if request.sla is not None else None,
        cost_tier=cost_tier,
        cost_tier_given=request.cost_tier is not None,
        tiers=list(COST_TIER_TIERS[cost_tier]),
        budget=f"{request.budget:g}" if request.budget is not None else None,
        fallback_model=request.fallback_model,
        models=catalog_rows(request.catalog, cost_tier),
        as_of=request.catalog.as_of,
    )


def repair_message(
    *, flow_yaml: str | None, findings: list[dict[str, Any]], problem: str | None = None
) -> str:
    """What was wrong with the last answer: a problem sentence, or the flow and every finding.

    `findings` are lint findings and coverage findings (`copilot.draft.coverage`, DR…) alike;
    when any of the latter is there, one sentence says what they compare the flow with.
    """
    from copilot.draft.findings import CHECKS

    order = {"error": 0, "warning": 1, "info": 2}
    ranked = sorted(
        findings, key=lambda f: (order.get(f.get("severity", "error"), 3), f.get("json_path", ""))
    )
    return render_template(
        "repair.md.j2",
        flow_yaml=flow_yaml,
        findings=ranked,
        problem=problem,
        brief_findings=any(f.get("code") in CHECKS for f in findings),
    )


def draft_messages(request: DraftRequest, compact: bool = False) -> list[Message]:
    """The messages of the first drafting call (for the full or the compact wire schema)."""
    return [
        {"role": "system", "content": system_message(compact)},
        {"role": "user", "content": draft_message(request)},
    ]


def estimate_tokens(messages: list[Message]) -> int:
    """The prompt's size at about four characters a token (the catalog's own estimate)."""
    from copilot.flow.estimate import estimate_tokens as estimate

    return sum(estimate(m["content"]) for m in messages)


def render_prompt_text(messages: list[Message]) -> str:
    """`flowgen prompt`'s text form: each message under a marker line naming its role."""
    parts = []
    for message in messages:
        parts.append(f"===== {message['role']} =====\n{message['content'].rstrip()}\n")
    return "\n".join(parts)
