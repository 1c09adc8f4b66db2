"""The scenario as one self-contained HTML page: the picture, the budget, the findings.

Nothing is fetched: the SVG, the style and the few lines of script are inline, so the
page opens offline, from a CI artifact or an e-mail. The script only links the findings
list to the nodes (hover or focus a finding: its node is outlined) and, for tests and
tools, writes where each node was drawn into `<body data-nodes="…">` (JSON of page
boxes by node key) once the page has laid out.
"""

from __future__ import annotations

from html import escape

from copilot import __version__
from copilot.graph.layout import Layout
from copilot.graph.model import Scenario, approx, money, percent
from copilot.graph.svg import render_svg

PAGE_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#212529;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px}
.headline{font-size:15px;margin:0 0 12px}
.over{color:#c92a2a;font-weight:bold} .within{color:#2b8a3e;font-weight:bold}
.picture{overflow:auto;border:1px solid #dee2e6;border-radius:6px;padding:8px}
table{border-collapse:collapse} td,th{border:1px solid #dee2e6;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left} tr.critical td{background:#fff4e6}
ul.findings{padding-left:0;list-style:none} ul.findings li{margin:6px 0;padding:6px 8px;border-left:4px solid}
li.error{border-color:#c92a2a} li.warning{border-color:#e67700} li.info{border-color:#1971c2}
.code{font-family:monospace;font-weight:bold} .fix{color:#495057} .where{color:#868e96;font-size:12px}
.legend span{margin-right:14px}
"""

PAGE_SCRIPT = """
(function () {
  function focus(key, on) {
    var node = document.getElementById('node-' + key);
    if (node) { node.classList.toggle('focus', on); }
  }
  document.querySelectorAll('[data-node]').forEach(function (item) {
    var key = item.getAttribute('data-node');
    function on(names, state) {
      names.forEach(function (e) { item.addEventListener(e, function () { focus(key, state); }); });
    }
    on(['mouseenter', 'focus'], true);
    on(['mouseleave', 'blur'], false);
  });
  var boxes = {};
  document.querySelectorAll('g.node').forEach(function (g) {
    var r = g.getBoundingClientRect();
    boxes[g.id.slice(5)] = [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height];
  });
  document.body.setAttribute('data-nodes', JSON.stringify(boxes));
})();
"""


def budget_table(scenario: Scenario) -> str:
    """The hot path step by step: estimated p95, running total on the critical path, SLA share."""
    measured = scenario.evidence is not None
    head = ["step", "est. p95", "critical path total", "share of SLA"] + (
        ["measured p95"] if measured else []
    )
    rows = ["<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for row in scenario.budget_rows:
        cells = [
            escape(row.step_id),
            approx(row.p95) if row.p95 is not None else "unknown",
            approx(row.cumulative) if row.cumulative is not None else "—",
            percent(row.share) if row.share is not None else "—",
        ]
        if measured:
            cells.append(approx(row.measured_p95_ms / 1000) if row.measured_p95_ms is not None else "—")
        css = ' class="critical"' if row.critical else ""
        rows.append(f"<tr{css}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    total = [
        "<b>hot path</b>",
        approx(scenario.hot_path_p95) if scenario.hot_path_p95 is not None else "unknown",
    ]
    total += [approx(scenario.sla) + " SLA" if scenario.sla else "no SLA", ""]
    if measured:
        p95 = scenario.evidence.p95_ms if scenario.evidence else None
        total.append(approx(p95 / 1000) if p95 is not None else "—")
    rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in total) + "</tr>")
    return '<table class="budget">' + "".join(rows) + "</table>"


def findings_list(scenario: Scenario) -> str:
    badges = scenario.badges
    if not badges:
        return '<p class="none">No findings.</p>'
    items = []
    for badge in badges:
        node = scenario.node(badge.node) if badge.node else None
        target = f' data-node="{badge.node}" tabindex="0"' if badge.node else ""
        on = f' on <a href="#node-{badge.node}">{escape(node.title)}</a>' if node else ""
        fix = f'<div class="fix">Fix: {escape(badge.fix_hint)}</div>' if badge.fix_hint else ""
        items.append(
            f'<li class="{badge.severity}"{target}><span class="code">{badge.code}</span> '
            f"{badge.severity}{on}: {escape(badge.message)}{fix}"
            f'<div class="where">{escape(scenario.path)}:{badge.line}:{badge.col} · '
            f"{escape(badge.json_path)}</div></li>"
        )
    return '<ul class="findings">' + "".join(items) + "</ul>"


def evidence_summary(scenario: Scenario) -> str:
    evidence = scenario.evidence
    if evidence is None:
        return ""
    what = "trace" if evidence.source == "trace" else "load-test results"
    parts = [f"Measured from the {what} <code>{escape(evidence.path)}</code>: {evidence.events} events"]
    if evidence.p95_ms is not None:
        parts.append(f"p95 {approx(evidence.p95_ms / 1000)}")
    parts.append(f"{evidence.deadline_answers} deadline answers")
    blamed = evidence.blamed_step
    if blamed:
        how = "" if evidence.blame_exact else " (inferred from aggregates: slowest tail or most cut)"
        parts.append(f"most often caused by <b>{escape(blamed)}</b>{how}")
    rates = []
    for sid, measured in evidence.steps.items():
        if measured.errors:
            rates.append(f"{escape(sid)} errors {percent(measured.rate(measured.errors))}")
    if rates:
        parts.append("; ".join(rates))
    return '<p class="evidence">' + " · ".join(parts) + ".</p>"


def render_html(scenario: Scenario, layout: Layout | None = None) -> str:
    """The page, as one string."""
    verdict = ""
    if scenario.sla is not None and scenario.hot_path_p95 is not None:
        over = scenario.hot_path_p95 > scenario.sla
        css, words = ("over", "over the SLA") if over else ("within", "within the SLA")
        verdict = f' <span class="{css}">{words}</span>'
    cost = ""
    if scenario.cost_per_event is not None:
        cost = f" · est. cost {money(scenario.cost_per_event)}/event"
        if scenario.budget is not None:
            cost += f" (budget {money(scenario.budget)})"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="flowgen {escape(__version__)}">
<title>{escape(scenario.name)} · flowgen graph</title>
<style>{PAGE_STYLE}</style>
</head>
<body>
<h1>{escape(scenario.name)}</h1>
<p class="headline">{escape(scenario.headline)}{verdict}{escape(cost)}</p>
{evidence_summary(scenario)}
<p class="legend"><span>thick orange: the hot path</span><span>dashed: async</span>
<span>shaded: the critical path</span><span>red: caused deadline answers</span>
<span>numbered dot: findings (hover)</span></p>
<div class="picture">
{render_svg(scenario, layout)}</div>
<h2>Hot-path budget</h2>
{budget_table(scenario)}
<h2>Findings ({len(scenario.badges)})</h2>
{findings_list(scenario)}
<script>{PAGE_SCRIPT}</script>
</body>
</html>
"""
