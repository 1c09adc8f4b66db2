"""`--format text`: findings with a code frame, then each flow's latency and cost summary.

flows/a.yaml:38:5 FG101 model step `classify` has no timeout  [call-without-timeout, fixable]
   37 │   - id: classify
   38 │     type: model
      │     ^
...
flows/a.yaml  support-triage
  hot path  classify → checked → answer
  p95       1,352 ms  vs SLA 1,500 ms   fits
  worst     13,502 ms vs SLA 1,500 ms   over, answered by respond.on_deadline
  cost      $0.00345/event vs budget $0.00400   fits
"""

from __future__ import annotations

import math
from typing import Any, TextIO

from copilot.lint.report import display_path
from copilot.styled import Lines, Part

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
CONTEXT_LINES = 1


def _frame(text: str, line: int, col: int) -> list[str]:
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return []
    first, last = max(1, line - CONTEXT_LINES), min(len(lines), line + CONTEXT_LINES)
    width = len(str(last))
    out = []
    for number in range(first, last + 1):
        source = lines[number - 1].replace("\t", " ")
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
    """(label, parts) rows of a flow's numbers: the ones behind FG103, FG105 and FG503."""
    rows: list[tuple[str, list[Part]]] = []
    critical = summary.get("critical_path")
    worst = summary.get("worst_case")
    sla = summary.get("sla_ms")
    if critical:
        rows.append(("hot path", [" → ".join(critical["steps"])]))
        verdict: list[Part] = []
        if sla is not None:
            verdict = ["  ", ("fits", "green") if critical["p95_ms"] <= sla else ("over the SLA", "red")]
        rows.append(
            ("p95", [f"{_ms(critical['p95_ms'])} vs SLA {_ms(sla) if sla is not None else 'none'}", *verdict])
        )
        if worst:
            worst_ms = worst.get("worst_ms")
            verdict = []
            if sla is not None:
                over = worst_ms is None or worst_ms > sla
                verdict = ["  ", ("over the SLA", "yellow") if over else ("fits", "green")]
                if over and has_deadline_answer:
                    verdict.append(" (respond.on_deadline answers)")
            rows.append(
                (
                    "worst case",
                    [f"{_ms(worst_ms)} vs SLA {_ms(sla) if sla is not None else 'none'}", *verdict],
                )
            )
    else:
        rows.append(("hot path", ["none (respond.needs is empty)"]))
    cost = summary.get("cost_per_event_usd") or 0.0
    budget = summary.get("budget_usd")
    parts: list[Part] = [f"${cost:.5f}/event"]
    if budget is not None:
        parts += [
            f" vs budget ${budget:.5f}  ",
            ("fits", "green") if cost <= budget else ("over budget", "red"),
        ]
    else:
        parts.append(" (no budget)")
    rows.append(("cost", parts))
    return rows


def render(run: Any, console: Any = None, *, summary: bool = True, stream: TextIO | None = None) -> None:
    """Print the run on a Rich console, or as plain text on `stream` (stdout) when `console` is None."""
    out = Lines(console, stream)
    for report in run.files:
        path = display_path(report.path)
        for f in report.findings:
            tags = f.name + (", fixable" if f.fixable else "")
            out.line(
                (f"{path}:{f.line}:{f.col}", "bold"),
                " ",
                (f.code, _STYLE[f.severity]),
                f" {f.message}  ",
                (f"[{tags}]", "dim"),
                soft_wrap=True,  # one finding, one line: CI logs and editors parse it
            )
            if report.text:
                for row in _frame(report.text, f.line, f.col):
                    out.line((row, "dim"))
        for change in report.fixed:
            out.line(("fixed", "green"), f" {path}: {change}")
        if summary and report.summary:
            s = report.summary
            out.line((path, "bold"), "  flow ", (s["name"], "bold"))
            deadline = s.get("on_deadline")
            for label, parts in summary_lines(s, deadline):
                out.line(f"  {label:<10} ", *parts)
    counts = run.counts()
    total = sum(counts.values())
    files = len(run.files)
    if total == 0:
        out.line(("✓", "green"), f" no problems in {files} file{'s' if files != 1 else ''}")
        return
    fixable = sum(1 for f in run.findings if f.fixable)
    parts = [f"{counts['error']} error{'s' if counts['error'] != 1 else ''}"]
    parts.append(f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}")
    parts.append(f"{counts['info']} info")
    line = f"Found {total} problem{'s' if total != 1 else ''} ({', '.join(parts)}) in {files} file"
    line += "s" if files != 1 else ""
    if fixable:
        line += f"; {fixable} fixable with `flowgen lint --fix`"
    out.line(line)
