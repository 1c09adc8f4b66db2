"""`flowgen graph`: the flow as a picture, with its findings and, optionally, run evidence."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from copilot.cli.common import ForceOption, OutOption, fail, format_option, refuse_overwrite
from copilot.errors import FlowgenError


class GraphFormat(str, Enum):
    """What `flowgen graph` draws (the same names as copilot.graph.render.FORMATS)."""

    mermaid = "mermaid"
    dot = "dot"
    svg = "svg"
    html = "html"
    json = "json"


def graph(
    flow: Annotated[Path, typer.Argument(metavar="FLOW", help="The flow file.")],
    format: Annotated[GraphFormat, format_option("mermaid, dot, svg, html or json.")] = GraphFormat.mermaid,
    out: OutOption = None,
    trace: Annotated[
        str | None,
        typer.Option(metavar="FILE", help="Overlay what a trace measured (flowgen run --trace FILE)."),
    ] = None,
    results: Annotated[
        str | None,
        typer.Option(metavar="FILE", help="Overlay load-test results (flowgen test --format json > FILE)."),
    ] = None,
    layout: Annotated[
        str,
        typer.Option(
            metavar="ENGINE",
            help="svg/html placement: graphviz, grandalf (pure Python) or auto (graphviz when "
            "`dot` is installed).",
        ),
    ] = "auto",
    force: ForceOption = False,
) -> None:
    """Draw a flow: steps, the hot path against the SLA, async branches, findings on nodes.

    Each step is a node shaped by its type (model, validate, retrieve, transform, http)
    and labelled with its model, timeout and fallback; the hot path is thick, with its
    estimated p95 against the SLA on the response node; async branches are dashed; `if`
    conditions label the edges. Lint findings sit on their nodes: a note in Mermaid, the
    message and fix hint on hover in SVG and HTML.

    With --trace or --results the nodes also show what runs measured: p50/p95, error,
    retry, fallback and hedge rates and cost, and the step that most often made the
    deadline answer happen is marked.

    The HTML page is self-contained (no network): the picture, the hot-path budget table
    and the findings list linked to the nodes. Exit 0 on success, 2 on bad input.

    Examples:

      flowgen graph examples/flows/support-triage.yaml

      flowgen graph flow.yaml --format html --out flow.html

      flowgen run flow.yaml --trace spans.jsonl

      flowgen graph flow.yaml --trace spans.jsonl --format svg -o flow.svg

      flowgen test flow.yaml --format json > results.json

      flowgen graph flow.yaml --results results.json --format html -o flow.html
    """
    from copilot.graph.render import FORMATS, LAYOUTS, render, scenario_of

    if format.value not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {format.value!r}")
    if layout not in LAYOUTS:
        fail(f"--layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    refuse_overwrite("--out", out, force)
    try:
        scenario = scenario_of(flow, trace=trace, results=results)
        text = render(scenario, format.value, layout)
    except FlowgenError as exc:
        fail(exc)
    if out is None or out == "-":
        sys.stdout.write(text)
        return
    from copilot.flow.dump import write_atomic

    try:
        write_atomic(out, text)
    except OSError as exc:
        fail(f"--out {out}: cannot write: {exc.strerror or exc}")
    sys.stderr.write(f"flowgen: wrote {out}\n")
