"""How `flowgen run` shows an event: the response, then a tree of steps on a timeline."""

from __future__ import annotations

import json
from typing import Any

from copilot.run.records import EventResult, StepRecord

_STYLE = {
    "ok": "green",
    "defaulted": "yellow",
    "skipped": "dim",
    "failed": "bold red",
    "cancelled": "red",
    "pending": "dim",
    "running": "cyan",
}


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    ms = seconds * 1000
    return f"{ms / 1000:.2f}s" if ms >= 1000 else f"{ms:.0f}ms" if ms >= 10 else f"{ms:.1f}ms"


def _usd(value: float) -> str:
    return f"${value:.6f}" if value else "$0"


def step_line(record: StepRecord, scrub: Any = None) -> str:
    """One step as Rich markup: offset, duration, model, attempts, tokens, cost, status."""
    style = _STYLE.get(record.status, "")
    parts = [f"[bold]{record.step_id}[/] [dim]{record.type}{' async' if record.mode == 'async' else ''}[/]"]
    if record.start is not None:
        parts.append(f"@{_ms(record.start)} +{_ms(record.duration)}")
    if record.model:
        model = record.model
        if record.hedge_won:
            model += " [magenta](hedge won)[/]"
        elif record.fallback_used:
            model += " [yellow](fallback)[/]"
        parts.append(model)
    if record.attempts:
        extra = f", {record.retries} retr{'y' if record.retries == 1 else 'ies'}" if record.retries else ""
        parts.append(f"{record.attempts} attempt{'s' if record.attempts != 1 else ''}{extra}")
    if record.input_tokens or record.output_tokens:
        parts.append(f"{record.input_tokens}→{record.output_tokens} tok")
    if not record.cost_known:
        parts.append("cost unknown")
    elif record.cost:
        parts.append(_usd(record.cost))
    if record.replayed:
        parts.append("[cyan]replayed[/]")
    parts.append(f"[{style}]{record.status}[/]" if style else record.status)
    if record.after_response and record.status not in ("skipped",):
        parts.append("[dim](after response)[/]")
    line = "  ".join(parts)
    if record.route_reason:
        line += f"\n[dim]route: {_escape(record.route_reason)}[/]"
    if record.error and record.status in ("failed", "defaulted", "cancelled"):
        error = scrub(record.error) if scrub is not None else record.error
        line += f"\n[{'red' if record.status == 'failed' else 'dim'}]{_escape(error)}[/]"
    return line


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def render_tree(flow: Any, result: EventResult, *, sla: float | None, scrub: Any = None) -> Any:
    """A Rich Tree: the event at the root, steps nested under what they need."""
    from rich.tree import Tree

    status = result.response_status
    colour = "green" if status < 400 and not result.deadline_hit else "yellow" if status < 500 else "red"
    head = f"[bold]{flow.name}[/]  [{colour}]{status}[/] after {_ms(result.latency)}"
    if sla is not None:
        head += f" (SLA {_ms(sla)})"
    if result.deadline_hit:
        head += "  [yellow]deadline answer[/]"
    if result.replayed:
        head += "  [cyan]replayed from the idempotency store[/]"
    cost = _usd(result.cost) if result.cost_known else "unknown"
    head += f"  total {_ms(result.total_time)}  cost {cost}"
    if result.dead_lettered:
        head += "  [red]dead-lettered[/]"
    tree = Tree(head)
    parents: dict[str, Any] = {}
    for step in flow.steps:
        record = result.steps.get(step.id)
        if record is None:
            continue
        # Nest a step under its last need, so chains read top to bottom like the DAG.
        parent = parents.get(step.needs[-1], tree) if step.needs else tree
        parents[step.id] = parent.add(step_line(record, scrub))
    return tree


def render_text(flow: Any, result: EventResult, out: Any, *, sla: float | None, scrub: Any = None) -> None:
    from rich.syntax import Syntax

    body = json.dumps(result.response_body, indent=2, ensure_ascii=False, default=str)
    out.print(f"[bold]response[/] {result.response_status}")
    out.print(Syntax(body, "json", theme="ansi_dark", background_color="default"))
    out.print(render_tree(flow, result, sla=sla, scrub=scrub))


def render_json(result: EventResult, *, flow: str, sla: float | None, scrub: Any = None) -> str:
    data = {
        "version": 1,
        "flow": flow,
        "sla_ms": None if sla is None else round(sla * 1000, 3),
        **result.to_dict(),
    }
    if scrub is not None:
        for step in data["steps"]:
            if step.get("error"):
                step["error"] = scrub(step["error"])
        if data.get("error"):
            data["error"] = scrub(data["error"])
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)
