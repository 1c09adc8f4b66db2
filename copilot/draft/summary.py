"""The draft summary: steps, hot path vs SLA, cost vs budget, lint result, where it went.

Text is a Rich table plus a few lines; `--format json` gives the same facts as data.
"""

from __future__ import annotations

import json
import math
from typing import Any

from copilot.draft.blocks import money
from copilot.draft.drafting import DraftOutcome
from copilot.draft.explain import capped
from copilot.flow.units import format_duration


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None or math.isinf(seconds) else round(seconds * 1000, 3)


def step_rows(outcome: DraftOutcome) -> list[dict[str, Any]]:
    flow, analysis = outcome.flow, outcome.analysis
    rows = []
    hot = set(analysis.hot_path) if analysis else set()
    for step in flow.steps:
        estimate = analysis.estimates.get(step.id) if analysis else None
        model = None
        fallback: list[str] = []
        if step.type == "model":
            model = estimate.model if estimate and estimate.model else step.model
            fallback = list(step.fallback) or (
                [c for c in step.route.candidates if c != model] if step.route else []
            )
        rows.append(
            {
                "id": step.id,
                "type": step.type,
                "model": model,
                "mode": step.mode,
                "hot_path": step.id in hot,
                "timeout_ms": _ms(step.timeout),
                "fallback": fallback,
            }
        )
    return rows


def summary_data(outcome: DraftOutcome) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": 1,
        "provider": outcome.provider,
        "written": outcome.written,
        "out": outcome.out,
        "schema_out": outcome.schema_out,
        "exit_code": outcome.exit_code,
        "error": outcome.error,
        "flow": None,
        "steps": [],
        "hot_path": None,
        "cost": None,
        "coverage": outcome.coverage,
        "gaps": outcome.gaps,
        "lint": {**outcome.counts(), "findings": outcome.findings},
        "own_test": outcome.own_test,
        "fixes": outcome.fixes,
        "assumptions": outcome.assumptions,
        "unmapped": outcome.unmapped,
        "warnings": outcome.warnings,
        "llm": outcome.llm,
    }
    if outcome.flow is None:
        return data
    flow, analysis = outcome.flow, outcome.analysis
    data["flow"] = {"name": flow.name, "trigger": flow.trigger.type}
    data["steps"] = step_rows(outcome)
    cp = analysis.critical_path
    data["hot_path"] = {
        "steps": analysis.hot_path,
        "critical_path": cp.steps if cp else [],
        "p95_ms": _ms(cp.p95) if cp else None,
        "worst_ms": _ms(cp.worst) if cp else None,
        "sla_ms": _ms(analysis.sla),
        "fits": bool(cp is None or analysis.sla is None or cp.p95 <= analysis.sla),
    }
    data["cost"] = cost_data(analysis)
    return data


def cost_data(analysis: Any) -> dict[str, Any]:
    """The estimated cost per event, and how much of it is known (issue 17).

    A step whose model is not in the catalog, or whose alias sends a model the catalog does
    not price (a local model in a catalog entry's place) with no `price` of its own, counts 0
    in `analysis.cost_per_event`: the figure is then a lower bound, `known` is false and
    `unknown_aliases` names who is missing. `fits` is None when the known part is within the
    budget but the rest is unknown; false when the known part alone is over it.
    """
    lower = analysis.cost_per_event
    missing = [*analysis.unknown_steps, *analysis.unpriced_steps]
    aliases = sorted({analysis.estimates[sid].model or sid for sid in missing})
    budget = analysis.budget
    fits: bool | None = budget is None or lower <= budget
    if missing and budget is not None and lower <= budget:
        fits = None
    return {
        "per_event_usd": round(lower, 8),  # all of it when `known`, else what is known
        "known": not missing,
        "unknown_aliases": aliases,
        "budget_usd": budget,
        "fits": fits,
    }


def cost_line(cost: dict[str, Any]) -> str:
    """`cost_data` as the summary's line (Rich markup): never a plain figure for a partly
    unknown cost."""
    from rich.markup import escape

    figure = f"${cost['per_event_usd']:.5f}/event"
    if not cost["known"]:
        named = ", ".join(f"`{a}`" for a in cost["unknown_aliases"])
        missing = f"unknown for alias {named} (no price for the model it sends; give the alias a `price`)"
        figure = f"≥ {figure} + {missing}" if cost["per_event_usd"] > 0 else f"unknown: {missing}"
        figure = escape(figure)
    if cost["budget_usd"] is None:
        return f"cost       {figure}"
    budget = f" vs budget ${money(cost['budget_usd'])}"
    verdict = {True: " [green]fits[/]", False: " [red]over budget[/]", None: " [yellow]fit unknown[/]"}
    return f"cost       {figure}{budget}{verdict[cost['fits']]}"


def render_json(outcome: DraftOutcome) -> str:
    return json.dumps(summary_data(outcome), indent=2, default=str) + "\n"


def _d(seconds: float | None) -> str:
    return "-" if seconds is None else format_duration(seconds)


def render_text(outcome: DraftOutcome, console: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    data = summary_data(outcome)
    for gap in outcome.gaps:  # first: what the draft does not do that the brief asks for
        console.print(f"[bold yellow]GAP[/]        {gap['code']} {escape(gap['message'])}")
    if outcome.flow is not None:
        flow, analysis = outcome.flow, outcome.analysis
        table = Table(title=f"{flow.name} ({flow.trigger.type} trigger, drafted by {outcome.provider})")
        for col in ("step", "type", "model", "mode", "timeout", "fallback"):
            table.add_column(col)
        for row in data["steps"]:
            mode = "async" if row["mode"] == "async" else ("sync, hot path" if row["hot_path"] else "sync")
            timeout = _d(row["timeout_ms"] / 1000) if row["timeout_ms"] is not None else "-"
            table.add_row(
                escape(row["id"]),
                row["type"],
                escape(row["model"] or "-"),
                mode,
                timeout,
                escape(", ".join(row["fallback"]) or "-"),
            )
        console.print(table)
        if outcome.coverage:
            cover = Table(title="what the brief asks → the steps that do it")
            cover.add_column("the brief says")
            cover.add_column("steps")
            for row in outcome.coverage:
                rule = row.get("kind") == "constraint"  # a prohibition: the steps that could break it
                steps = ", ".join(row["steps"]) or ("-" if rule else "[yellow]not mapped[/]")
                if row["steps"] and row.get("gaps"):
                    steps += f" [yellow](gap: {', '.join(row['gaps'])})[/]"
                notes = "".join(f"\n  {escape(n)}" for n in row["notes"])
                cover.add_row(escape(row["clause"]), steps + notes)
            console.print(cover)
        hp = data["hot_path"]
        if hp["critical_path"]:
            verdict = "[green]fits[/]" if hp["fits"] else "[red]over the SLA[/]"
            console.print(
                f"hot path   {escape(' → '.join(hp['critical_path']))}: estimated p95 "
                f"{_d(analysis.critical_path.p95)} vs SLA {_d(analysis.sla)} {verdict}"
            )
        console.print(cost_line(data["cost"]))
        _own_test_lines(outcome, console)
    counts = outcome.counts()
    if outcome.flow is not None:
        label = (
            "[green]clean[/]"
            if not any(counts.values())
            else f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info"
        )
        console.print(f"lint       {label}")
        for f in outcome.findings:
            if f["severity"] != "info":
                console.print(
                    f"  {f['severity']} {f['code']} {escape(f['json_path'])}: {escape(f['message'])}"
                )
    for fix in outcome.fixes:
        console.print(f"fixed      {escape(fix)}")
    for warning in outcome.warnings:
        console.print(f"[bold red]WARNING[/]    {escape(warning)}")
    for note in outcome.assumptions:
        console.print(f"assumed    {escape(note)}")
    shown, more = capped(outcome.unmapped)
    for phrase in shown:
        console.print(f"[yellow]not understood[/] {escape(repr(phrase))}")
    if more:
        console.print(f"[yellow]not understood[/] …and {more} more")
    if outcome.llm and outcome.llm.get("calls"):
        llm = outcome.llm
        tokens = (
            f"{llm.get('input_tokens')} in + {llm.get('output_tokens')} out tokens"
            if llm.get("input_tokens") is not None
            else "token usage not reported"
        )
        cost_usd = llm.get("cost_usd")
        price = f"${cost_usd:.4f}" if cost_usd is not None else "unknown (model not in the catalog)"
        console.print(
            f"drafting   {escape(llm['settings']['model'])}: {llm['calls']} call(s), {tokens}, cost {price}"
        )
        if llm.get("mode"):  # what the server took (issue 17): the format cascade and the schema
            schema = f", {llm['schema']} schema" if llm.get("schema") else ""
            console.print(f"format     {escape(llm['mode'])}{schema}")
        for line in llm.get("learnt", []):
            console.print(f"[dim]server     {escape(line)}[/]")
    if outcome.written and outcome.out != "-":
        console.print(f"wrote      {escape(str(outcome.out))}")
        if outcome.schema_out:
            note = "(the schema its modeline points at, for editors)"
            console.print(f"wrote      {escape(outcome.schema_out)} {note}")
    elif outcome.flow is not None and not outcome.written and outcome.error is None:
        console.print("[red]not written[/]: lint errors remain; fix them or pass --allow-findings")


def _own_test_lines(outcome: DraftOutcome, console: Any) -> None:
    """The own test's verdict (measured, worst seed), what hardening changed, and why it fails."""
    from rich.markup import escape

    own = outcome.own_test
    if own is None:
        return
    line = own["summary"].removeprefix("own test: ")
    colour = "green" if own["passed"] else "red"
    console.print(f"own test   [{colour}]{escape(line)}[/]")
    for change in own["changes"]:
        console.print(f"hardened   {escape(change)}")
    if not own["passed"] and own["reason"]:
        console.print(f"[red]own test fails[/]: {escape(own['reason'])}")
