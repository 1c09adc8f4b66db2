"""The results of `flowgen test`: a terminal report, JSON, and a self-contained HTML page.

One list of rows (`SUMMARY_ROWS`) feeds the terminal table, the HTML table and
`--compare`'s side-by-side columns, so the three never disagree. The HTML report is
rendered from `templates/report.html.j2`; its charts are inline SVG drawn by pygal, with
pygal's script stripped: the page loads nothing from anywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from copilot.run.loadtest import TestResult, exit_code
from copilot.styled import fitted_tables

Row = tuple[str, Callable[[TestResult], str]]


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.2f} ms"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _usd(value: float | None) -> str:
    if value is None:
        return "–"
    return f"${value:.6f}" if value < 0.01 else f"${value:,.4f}"


def _latency(result: TestResult) -> str:
    s = result.to_dict()["latency_ms"]
    return " / ".join(_ms(s[k]).replace(" ms", "") for k in ("p50", "p95", "p99", "max")) + " ms"


def _sla(result: TestResult) -> str:
    rec = result.recorder
    if rec.sla is None:
        return "no sla.latency_p95"
    p95 = result.to_dict()["latency_ms"]["p95"]
    met = p95 is not None and p95 <= rec.sla * 1000
    return f"p95 {_ms(p95)} vs {_ms(rec.sla * 1000)}: {'met' if met else 'MISSED'}"


def _with_count(metric: str) -> Callable[[TestResult], str]:
    def render(result: TestResult) -> str:
        rate = result.rate(metric)
        if rate is None:
            return "–"
        count = result.recorder.counts[metric]
        return f"{_pct(rate)} ({count})"

    return render


def _retries(result: TestResult) -> str:
    rec = result.recorder
    return f"{_pct(result.rate('retries'))} of events ({rec.retry_total} retries)"


def _throughput(result: TestResult) -> str:
    t = result.throughput
    return "–" if t is None else f"{t:,.1f}/s"


def _cost(result: TestResult) -> str:
    c = result.to_dict()["cost_usd"]
    if c["unknown_events"]:  # a model with no price answered (the notes say which)
        return f"unknown ({c['unknown_events']:,} event(s) called a model with no price)"
    return f"{_usd(c['per_event_avg'])} avg, {_usd(c['per_event_p95'])} p95"


SUMMARY_ROWS: list[Row] = [
    ("events", lambda r: f"{r.recorder.events:,}"),
    ("throughput", _throughput),
    ("latency p50 / p95 / p99 / max", _latency),
    ("SLA", _sla),
    ("responded within SLA", lambda r: _pct(r.rate("sla_attainment"))),
    ("full answer within SLA", lambda r: _pct(r.rate("full_answers"))),
    ("errors", _with_count("errors")),
    ("deadline answers", _with_count("deadline_answers")),
    ("retries", _retries),
    ("fallbacks", _with_count("fallbacks")),
    ("hedges won", _with_count("hedges_won")),
    ("dead letters", _with_count("dead_letters")),
    ("cost per event", _cost),
    ("cost in total", lambda r: "unknown" if r.recorder.unpriced else _usd(r.recorder.total_cost)),
]


def _header(result: TestResult) -> list[str]:
    setup = result.setup
    clock = "virtual clock" if result.virtual_time else "real clock"
    lines = [
        f"load: {setup.shape.describe()} · seed {setup.seed} · {clock}, {result.wall_time:.2f}s",
    ]
    if setup.faults:
        parts = [f"{f.describe()} (hit {result.injected.get(f.describe(), 0)}×)" for f in setup.faults]
        lines.append("chaos: " + " · ".join(parts))
    else:
        lines.append("chaos: none")
    return lines


def _path_label(stats: Any) -> str:
    if stats.mode == "async":
        return "async"
    return "hot" if stats.hot else "off"


def _num_ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 10 else f"{value:.2f}"


def _step_rows(result: TestResult) -> list[list[str]]:
    rows = []
    for s in result.recorder.steps.values():
        d = s.to_dict()
        lat = d["latency"]
        statuses = d["statuses"]
        rows.append(
            [
                s.step_id,
                s.type,
                _path_label(s),
                f"{d['runs']}",
                f"{statuses.get('skipped', 0)}",
                _num_ms(lat["p50"]),
                _num_ms(lat["p95"]),
                _num_ms(lat["p99"]),
                _num_ms(lat["max"]),
                f"{d['retries']}",
                f"{d['fallbacks']}",
                f"{d['hedges_won']}",
                f"{statuses.get('failed', 0)}",
                ", ".join(f"{m} {n}" for m, n in d["models"].items()) or "–",
                _usd(d["cost_usd"]) if d["cost_usd"] else "–",
            ]
        )
    return rows


def _step_failures(result: TestResult) -> str:
    """`classify: expression 10; docs: source 3`: why steps failed, by error class."""
    parts = []
    for s in result.recorder.steps.values():
        if s.errors:
            parts.append(f"{s.step_id}: " + ", ".join(f"{k} {n}" for k, n in s.errors.most_common()))
    return "; ".join(parts)


STEP_COLUMNS = [
    "step",
    "type",
    "path",
    "runs",
    "skipped",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
    "retries",
    "fallbacks",
    "hedged",
    "failed",
    "models",
    "cost",
]
_TEXT_COLUMNS = ("step", "type", "path", "models")


def _measured(t: Any) -> str:
    if t.measured is None:
        return "no data"
    if t.unit == "ms":
        return _ms(t.measured)
    if t.unit == "USD":
        return _usd(t.measured)
    if t.unit == "/s":
        return f"{t.measured:,.1f}/s"
    return f"{t.measured:g}" if t.measured != int(t.measured) else f"{int(t.measured)}"


# ---------------------------------------------------------------------------- terminal


def render_text(results: list[TestResult], out: Any) -> None:
    """Rich tables on `out`: summary (side by side for --compare), thresholds, steps."""
    from rich.table import Table

    for result in results:
        out.print(f"[bold]flowgen test[/bold] {result.flow.name} ({result.setup.path})")
        for line in _header(result):
            out.print(f"  {line}", markup=False)
    out.print()
    summary = Table(title="Results", title_justify="left", show_header=len(results) > 1)
    summary.add_column("metric")
    for result in results:
        summary.add_column(result.flow.name if len(results) > 1 else "value")
    for label, fn in SUMMARY_ROWS:
        summary.add_row(label, *(fn(r) for r in results))
    out.print(summary)

    if any(r.thresholds for r in results):
        table = Table(title="Thresholds", title_justify="left")
        table.add_column("metric")
        table.add_column("threshold")
        for result in results:
            name = f" {result.flow.name}" if len(results) > 1 else ""
            table.add_column(f"measured{name}", justify="right")
            table.add_column(f"result{name}")
        for i, first in enumerate(results[0].thresholds):
            cells = [first.metric, first.threshold]
            for result in results:
                t = result.thresholds[i]
                cells += [_measured(t), "[green]pass[/green]" if t.passed else "[bold red]FAIL[/bold red]"]
            table.add_row(*cells)
        out.print(table)

    for result in results:
        columns = [(c, "left" if c in _TEXT_COLUMNS else "right") for c in STEP_COLUMNS]
        for steps in fitted_tables(out, columns, _step_rows(result), title=f"Steps of {result.flow.name}"):
            out.print(steps)
        errors = result.recorder.attempt_errors
        if errors:
            out.print(
                "  failed calls by class: " + ", ".join(f"{k} {v}" for k, v in errors.most_common()),
                markup=False,
            )
        failures = _step_failures(result)
        if failures:
            out.print(f"  failed steps by class: {failures}", markup=False)
        for note in result.notes:
            out.print(f"  note: {note}", markup=False)
    verdict = exit_code(results)
    failed = sum(1 for r in results for t in r.thresholds if not t.passed)
    if not any(r.thresholds for r in results):
        out.print("no thresholds in tests.thresholds: nothing to pass or fail")
    elif verdict == 0:
        out.print("[green]all thresholds passed[/green]")
    else:
        out.print(f"[bold red]{failed} threshold(s) failed[/bold red]")


def render_json(results: list[TestResult]) -> str:
    """`--format json`: one object for one flow, `{"compare": [...]}` for two; `version` 1."""
    body = results[0].to_dict() if len(results) == 1 else {"compare": [r.to_dict() for r in results]}
    return json.dumps({"version": 1, **body}, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------- HTML

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _svg(chart: Any) -> str:
    # pygal embeds a config <script> for its tooltip JS, which is never loaded here: drop it.
    return _SCRIPT.sub("", chart.render(is_unicode=True))


def _config(title: str, **extra: Any) -> dict[str, Any]:
    from pygal.style import Style

    style = Style(
        background="white",
        plot_background="white",
        foreground="#333",
        foreground_strong="#111",
        foreground_subtle="#999",
        colors=("#2563eb", "#ea580c", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04"),
        font_family="system-ui, sans-serif",
    )
    return {
        "title": title,
        "js": [],
        "disable_xml_declaration": True,
        "style": style,
        "width": 900,
        "height": 340,
        "legend_at_bottom": True,
        "truncate_legend": -1,
        **extra,
    }


def charts(results: list[TestResult]) -> dict[str, str]:
    """The four charts as inline SVG, each with every flow of a comparison overlaid."""
    import pygal

    out: dict[str, str] = {}
    histogram = pygal.Histogram(**_config("Latency distribution (events per bucket)", x_title="ms"))
    high = max(((r.recorder.latency.max or 0) * 1000 for r in results), default=0)
    for result in results:
        # The same buckets for every flow, so the bars of a comparison line up.
        buckets = result.latency_buckets(30, high)
        histogram.add(result.flow.name, [(n, lo, hi) for lo, hi, n in buckets])
    out["histogram"] = _svg(histogram)

    over_time = pygal.XY(
        **_config("Latency over time (by intended start)", x_title="seconds", y_title="ms", show_dots=False)
    )
    for result in results:
        series = result.series()
        label = f"{result.flow.name} " if len(results) > 1 else ""
        over_time.add(f"{label}p95", [(p["t"], p["p95"]) for p in series])
        if len(results) == 1:
            over_time.add("p50", [(p["t"], p["p50"]) for p in series])
            over_time.add("max", [(p["t"], p["max"]) for p in series], stroke_style={"dasharray": "2, 4"})
    sla = results[0].recorder.sla
    if sla is not None:
        end = max((p["t"] for r in results for p in r.series()), default=0.0) + results[0].recorder.window
        over_time.add(
            "SLA", [(0, sla * 1000), (end, sla * 1000)], stroke_style={"width": 3, "dasharray": "8, 4"}
        )
    out["over_time"] = _svg(over_time)

    steps = pygal.HorizontalBar(**_config("Per step: p50 and p95 latency (ms)"))
    labels: list[str] = []
    p50s: list[float | None] = []
    p95s: list[float | None] = []
    for result in results:
        prefix = f"{result.flow.name}/" if len(results) > 1 else ""
        for stats in result.recorder.steps.values():
            lat = stats.to_dict()["latency"]
            labels.append(f"{prefix}{stats.step_id} ({_path_label(stats)})")
            p50s.append(lat["p50"])
            p95s.append(lat["p95"])
    steps.x_labels = labels
    steps.add("p50", p50s)
    steps.add("p95", p95s)
    out["steps"] = _svg(steps)

    errors = pygal.Bar(**_config("Errors: failed calls by class, and how events ended"))
    kinds = sorted({k for r in results for k in r.recorder.attempt_errors})
    outcomes = ["deadline answer", "error"]
    errors.x_labels = [*kinds, *(f"event: {o}" for o in outcomes)]
    for result in results:
        rec = result.recorder
        errors.add(
            result.flow.name,
            [rec.attempt_errors.get(k, 0) for k in kinds] + [rec.outcomes.get(o, 0) for o in outcomes],
        )
    out["errors"] = _svg(errors)
    return out


def render_html(results: list[TestResult], graph: str | None = None) -> str:
    """The self-contained HTML report (`--report out.html`); `graph` is the scenario's SVG
    with the measurements on it (drawn by `copilot.graph`, which the command composes in)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
    from markupsafe import Markup

    from copilot import __version__
    from copilot.resources import data_dir

    # Our own shipped template (not a flow template): autoescaped, strict.
    env = Environment(
        loader=FileSystemLoader(str(data_dir("templates"))),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
    )
    template = env.get_template("report.html.j2")
    svgs = {name: Markup(svg) for name, svg in charts(results).items()}
    flows = []
    for result in results:
        flows.append(
            {
                "name": result.flow.name,
                "path": result.setup.path,
                "header": _header(result),
                "steps": _step_rows(result),
                "failures": _step_failures(result),
                "notes": result.notes,
                "data": result.to_dict(),
                "passed": result.passed,
            }
        )
    thresholds = []
    for i, first in enumerate(results[0].thresholds):
        thresholds.append(
            {
                "metric": first.metric,
                "threshold": first.threshold,
                "cells": [(_measured(r.thresholds[i]), r.thresholds[i].passed) for r in results],
            }
        )
    return template.render(
        graph=Markup(graph) if graph else None,
        version=__version__,
        flows=flows,
        summary=[(label, [fn(r) for r in results]) for label, fn in SUMMARY_ROWS],
        thresholds=thresholds,
        step_columns=STEP_COLUMNS,
        text_columns=_TEXT_COLUMNS,
        charts=svgs,
        passed=exit_code(results) == 0,
        compare=len(results) > 1,
    )


# ---------------------------------------------------------------------------- progress


@contextmanager
def live_progress(out: Any) -> Iterator[Callable[[str, int], Callable[[int, int], None] | None]]:
    """A live progress bar per flow on `out` (stderr); nothing at all when it is not a terminal."""
    if not out.is_terminal:
        yield lambda name, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=True) as bar:

        def factory(name: str, total: int) -> Callable[[int, int], None]:
            task = bar.add_task(f"testing {name}", total=total)
            return lambda done, planned: bar.update(task, completed=done, total=planned)

        yield factory
