"""One call from a flow file to a picture: load, lint, overlay evidence, write a format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from copilot import __version__
from copilot.errors import FlowgenError
from copilot.graph.evidence import Evidence, read_results, read_trace
from copilot.graph.model import Scenario, build_scenario, findings_of

FORMATS = ("mermaid", "dot", "svg", "html", "json")
LAYOUTS = ("auto", "graphviz", "grandalf")


def scenario_of(flow_path: str | Path, *, trace: str | None = None, results: str | None = None) -> Scenario:
    """The scenario of the flow at `flow_path`, with evidence from a trace or results file."""
    from copilot.flow.load import load_flow

    if trace is not None and results is not None:
        raise FlowgenError("give --trace or --results, not both")
    loaded = load_flow(flow_path)
    evidence: Evidence | None = None
    if trace is not None:
        evidence = read_trace(trace)
    elif results is not None:
        evidence = read_results(results)
    if evidence is not None and evidence.flow not in (None, loaded.flow.name):
        option = "--trace" if trace is not None else "--results"
        raise FlowgenError(
            f"{option} {evidence.path}: measured flow `{evidence.flow}`, not `{loaded.flow.name}`"
        )
    return build_scenario(loaded, findings_of(loaded), evidence)


def test_report_svg(flow_path: str | Path, results: Any) -> str:
    """The scenario SVG with a load test's measurements on it, for `flowgen test --report`
    (`results` is what `flowgen test --format json` writes, parsed)."""
    from copilot.flow.load import load_flow
    from copilot.graph.evidence import results_evidence

    loaded = load_flow(flow_path)
    scenario = build_scenario(loaded, findings_of(loaded), results_evidence(results))
    return render(scenario, "svg")


def render(scenario: Scenario, format: str, layout: str = "auto") -> str:
    """`scenario` written in `format` (one of `FORMATS`)."""
    if format == "mermaid":
        from copilot.graph.mermaid import render_mermaid

        return render_mermaid(scenario)
    if format == "dot":
        from copilot.graph.dot import render_dot

        return render_dot(scenario)
    if format == "json":
        body = {"version": 1, "tool": {"name": "flowgen", "version": __version__}, **scenario.to_dict()}
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    from copilot.graph.layout import compute_layout

    placed = compute_layout(scenario, layout)
    if format == "svg":
        from copilot.graph.svg import render_svg

        return render_svg(scenario, placed)
    if format == "html":
        from copilot.graph.html import render_html

        return render_html(scenario, placed)
    raise FlowgenError(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")
