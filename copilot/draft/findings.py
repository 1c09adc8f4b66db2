"""Findings of the drafter's own checks (DR001…): their catalog and their shape.

The shape is the linter's (`Finding.to_dict`), so every consumer of findings takes both; the
coverage check and the checks of what a brief keeps out of the flow build them here.
"""

from __future__ import annotations

from typing import Any

# code -> (name, severity). Errors make an LLM answer go back for repair; the offline
# drafter must never produce them. Warnings are gaps: the draft is written, exit 1.
CHECKS: dict[str, tuple[str, str]] = {
    "DR001": ("unmapped-requirement", "warning"),
    "DR002": ("step-without-why", "error"),
    "DR003": ("quote-not-in-brief", "error"),
    "DR004": ("building-block-serves-nothing", "error"),
    "DR005": ("side-effect-on-every-event", "warning"),
    "DR006": ("destination-not-written", "warning"),
    "DR007": ("forbidden-action-taken", "warning"),
    "DR008": ("system-not-called", "warning"),
    "DR009": ("documents-not-retrieved", "warning"),
    "DR010": ("instruction-not-drafted", "warning"),
    "DR011": ("answer-not-returned", "warning"),
    "DR012": ("per-item-work-not-drafted", "warning"),
    "DR013": ("prohibition-not-held", "warning"),
    "DR014": ("message-without-recipient", "warning"),
}


def finding(
    code: str, message: str, loc: list[Any], hint: str | None = None, *, clause: str | None = None
) -> dict[str, Any]:
    """A finding in the lint finding shape (`Finding.to_dict`), so every consumer takes both;
    `clause` names the requirement it is about (the coverage row shows it as a gap)."""
    name, severity = CHECKS[code]
    json_path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
    return {
        **({"clause": clause} if clause is not None else {}),
        "code": code,
        "name": name,
        "severity": severity,
        "message": message,
        "path": "<draft>",
        "line": None,
        "column": None,
        "json_path": json_path,
        "fix_hint": hint,
        "fixable": False,
    }


def flow_steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    steps = data.get("steps")
    return [s for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []


def message_to(step: dict[str, Any]) -> str:
    """Where a step's message goes: its request body's `to` ("" when it has none)."""
    request = step.get("request")
    body = request.get("json") if isinstance(request, dict) else None
    return str(body.get("to", "")) if isinstance(body, dict) else ""
