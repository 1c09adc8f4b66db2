"""`--format text`: findings with a code frame, then each flow's latency and cost summary.

flows/a.yaml:38:5 FG101 model step `classify` has no timeout  [call-without-timeout, fixable]
   37 │   - id: classify
   38 │     type: model
      │     ^
  = why and how to fix: flowgen explain FG101
...
flows/a.yaml  support-triage
  hot path      classify → checked → docs → answer
  critical path classify → checked → answer
  p95           1,352 ms vs SLA 1,500 ms  fits
  worst case    13,502 ms vs SLA 1,500 ms  over the SLA (respond.on_deadline answers)
  cost          $0.00345/event vs budget $0.00400  fits
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TextIO

from copilot.lint.report import display_path
from copilot.styled import Lines, Part

if TYPE_CHECKING:
    from rich.console import Console

    from copilot.lint.engine import LintRun

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
SECRET_RULE = "FG701"  # its findings' scalars are hidden in every code frame
CONTEXT_LINES = 1


def _frame(text: str, line: int, col: int, secrets: dict[int, list[int]] | None = None) -> list[str]:
    """The finding's line with its neighbours and a caret; secrets hidden (see `mask`).

    `secrets` maps a line number to the columns where an FG701 finding's scalar starts.
    """
    # Here, not at the top: `flowgen validate` imports this module for `summary_lines` only,
    # and the masks load every lint rule (about 20 ms of its start-up).
    from copilot.lint.report.mask import mask_known, mask_scalar

    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return []
    first, last = max(1, line - CONTEXT_LINES), min(len(lines), line + CONTEXT_LINES)
    width = len(str(last))
    out = []
    for number in range(first, last + 1):
        source = lines[number - 1].replace("\t", " ")
        for secret_col in (secrets or {}).get(number, ()):
            source = mask_scalar(source, secret_col)
        source = mask_known(source)
        if len(source) > 118:
            source = source[:117] + "…"
        out.append(f"  {number:>{width}} │ {source}")
        if number == line:
            out.append(f"  {'':>{width}} │ {' ' * (col - 1)}^")
    return out


def _ms(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isinf(value)):
        return "unbounded"
    return f"{value:,.0f} ms"


def summary_lines(
    summary: dict[str, Any], has_deadline_answer: bool | None = None
) -> list[tuple[str, list[Part]]]:
    """(label, parts) rows of a flow's numbers: the ones behind FG103, FG105 and FG503.

    The hot path is every step the response waits for; the critical path is its slowest
    chain, whose estimate is compared with the SLA. A step whose model is not in the catalog
    makes the estimates it belongs to "unknown" (never 0), and so does, for the cost, a step
    whose alias sends a model the catalog does not price.
    """
    rows: list[tuple[str, list[Part]]] = []
    hot = summary.get("hot_path") or []
    critical = summary.get("critical_path")
    worst = summary.get("worst_case")
    sla = summary.get("sla_ms")
    unknown = summary.get("unknown_steps") or []
    sla_text = _ms(sla) if sla is not None else "none"
    if hot:
        rows.append(("hot path", [" → ".join(hot) if len(hot) <= 12 else f"{len(hot)} steps"]))
    if critical:
        rows.append(("critical path", [" → ".join(critical["steps"])]))
        p95 = critical.get("p95_ms")
        verdict: list[Part] = []
        if p95 is None:
            rows.append(("p95", [("unknown", "yellow"), f" vs SLA {sla_text}", *_unknown(unknown)]))
        else:
            if sla is not None:
                verdict = ["  ", ("fits", "green") if p95 <= sla else ("over the SLA", "red")]
            rows.append(("p95", [f"{_ms(p95)} vs SLA {sla_text}", *verdict]))
        if worst and p95 is not None:
            worst_ms = worst.get("worst_ms")
            verdict = []
            if sla is not None:
                over = worst_ms is None or worst_ms > sla
                verdict = ["  ", ("over the SLA", "yellow") if over else ("fits", "green")]
                if over and has_deadline_answer:
                    verdict.append(" (respond.on_deadline answers)")
            rows.append(("worst case", [f"{_ms(worst_ms)} vs SLA {sla_text}", *verdict]))
    else:
        rows.append(("hot path", ["none (respond.needs is empty)"]))
    cost = summary.get("cost_per_event_usd")
    budget = summary.get("budget_usd")
    budget_text = f" vs budget ${budget:.5f}" if budget is not None else " (no budget)"
    if cost is None:
        unpriced = _unpriced(summary.get("unpriced_steps") or [])
        rows.append(("cost", [("unknown", "yellow"), budget_text, *_unknown(unknown), *unpriced]))
        return rows
    parts: list[Part] = [f"${cost:.5f}/event"]
    if budget is not None:
        parts += [f"{budget_text}  ", ("fits", "green") if cost <= budget else ("over budget", "red")]
    else:
        parts.append(budget_text)
    rows.append(("cost", parts))
    return rows


def _unknown(steps: list[str]) -> list[Part]:
    if not steps:
        return []
    return [f" (the model of {', '.join(f'`{s}`' for s in steps)} is not in the catalog)"]


def _unpriced(steps: list[str]) -> list[Part]:
    if not steps:
        return []
    verb = "sends" if len(steps) == 1 else "send"
    named = ", ".join(f"`{s}`" for s in steps)
    return [f" ({named} {verb} a model the catalog does not price: give its alias a `price`)"]


def render(
    run: LintRun, console: Console | None = None, *, summary: bool = True, stream: TextIO | None = None
) -> None:
    """Print the run on a Rich console, or as plain text on `stream` (stdout) when `console` is None."""
    out = Lines(console, stream)
    explained: set[str] = set()
    for report in run.files:
        path = display_path(report.path)
        secrets: dict[int, list[int]] = {}
        for f in report.findings:
            if f.code == SECRET_RULE and f.line:
                secrets.setdefault(f.line, []).append(f.col)
        for f in report.findings:
            tags = f.name + (", fixable" if f.fixable else "")
            out.line(
                (f"{path}:{f.line}:{f.col}" if f.line else path, "bold"),
                " ",
                (f.code, _STYLE[f.severity]),
                f" {f.message}  ",
                (f"[{tags}]", "dim"),
                soft_wrap=True,  # one finding, one line: CI logs and editors parse it
            )
            if report.text:
                for row in _frame(report.text, f.line, f.col, secrets):
                    out.line((row, "dim"))
            if f.code not in explained:
                # Once per code and run: the why and the fix are one command away.
                explained.add(f.code)
                out.line(("  = why and how to fix: ", "dim"), f"flowgen explain {f.code}")
        for change in report.fixed:
            out.line(("fixed", "green"), f" {path}: {change}")
        if summary and report.summary:
            s = report.summary
            out.line((path, "bold"), "  flow ", (s["name"], "bold"))
            deadline = s.get("on_deadline")
            for label, parts in summary_lines(s, deadline):
                out.line(f"  {label:<13} ", *parts)
    counts = run.counts()
    total = sum(counts.values())
    files = len(run.files)
    if total == 0:
        out.line(("✓", "green"), f" no problems in {files} file{'s' if files != 1 else ''}")
        return
    fixable = sum(1 for f in run.findings if f.fixable)
    tally = [f"{counts['error']} error{'s' if counts['error'] != 1 else ''}"]
    tally.append(f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}")
    tally.append(f"{counts['info']} info")
    line = f"Found {total} problem{'s' if total != 1 else ''} ({', '.join(tally)}) in {files} file"
    line += "s" if files != 1 else ""
    if fixable:
        line += f"; {fixable} fixable with `flowgen lint --fix`"
    out.line(line)
