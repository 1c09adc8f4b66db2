"""Each writer's output is checked by a parser, never by eye: Mermaid, DOT, SVG, HTML."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from copilot.graph.dot import render_dot
from copilot.graph.html import render_html
from copilot.graph.layout import compute_layout
from copilot.graph.mermaid import render_mermaid
from copilot.graph.svg import render_svg

from .conftest import DATA, EXAMPLES, require, scenario_for
from .mermaid_subset import MermaidError, parse

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.usefixtures("graphviz")  # fails when Graphviz is missing; .ci/run installs it


def test_mermaid_parses_with_shapes_arrows_and_classes(triage) -> None:
    chart = parse(render_mermaid(triage))
    assert chart.title == "support-triage · hot path p95 ≈ 1.35s / SLA 1.5s ✓"
    shapes = {key: shape for key, (shape, _) in chart.nodes.items()}
    assert shapes["trigger"] == "circle" and shapes["respond"] == "flag"
    assert shapes["step_classify"] == "stadium" and shapes["step_checked"] == "rhombus"
    assert shapes["step_docs"] == "cylinder" and shapes["step_page_oncall"] == "subroutine"
    arrows = {(src, dst): (arrow, label) for src, arrow, dst, label in chart.edges}
    assert arrows[("step_classify", "step_checked")] == ("==>", None)
    assert arrows[("step_checked", "step_docs")] == ("==>", "steps.checked.output.category == 'faq'")
    assert arrows[("step_checked", "step_enrich")][0] == "-.->"
    assert arrows[("step_checked", "step_page_oncall")][0] == "-->"
    assert chart.classes["async"] == {"step_enrich", "step_crm"}
    assert "step_answer" in chart.classes["hot"]
    assert chart.nodes["step_classify"][1][:2] == ["classify", "model fast"]


def test_mermaid_findings_are_notes(naive) -> None:
    chart = parse(render_mermaid(naive))
    note_shape, note = chart.nodes["step_classify_note"]
    assert note_shape == "rect"
    assert any(line.startswith("FG101 error: model step `classify` has no timeout Fix:") for line in note)
    assert ("step_classify", "-.-", "step_classify_note", None) in chart.edges
    assert "step_classify_note" in chart.classes["finding"]


def test_mermaid_quotes_what_would_break_it() -> None:
    from copilot.flow.load import load_flow_text
    from copilot.graph.model import build_scenario

    text = (EXAMPLES / "support-triage.yaml").read_text()
    text = text.replace(
        "if: \"{{ steps.checked.output.urgency == 'high' }}\"",
        "if: \"{{ steps.checked.output.urgency == 'high' and \\\"<|>\\\" != '#' }}\"",
    )
    scenario = build_scenario(load_flow_text(text, str(EXAMPLES / "x.yaml")), [])
    chart = parse(render_mermaid(scenario))
    labels = [label for *_, label in chart.edges if label and "urgency" in label]
    assert labels == ["steps.checked.output.urgency == 'high' and \"<|>\" != '#'"]


def test_the_subset_parser_rejects_what_it_does_not_know() -> None:
    for bad in (
        "flowchart TD\n    a[unquoted]\n",
        'flowchart TD\n    a(["x"]]\n',
        'flowchart TD\n    a["x"]\n    a --> b\n',
        "graph XY\n",
    ):
        with pytest.raises(MermaidError):
            parse(bad)


@needs_dot
@pytest.mark.parametrize("name", ["support-triage", "naive-support-triage"])
def test_dot_is_accepted_by_graphviz(name) -> None:
    scenario = scenario_for(name)
    done = subprocess.run(
        ["dot", "-Tsvg"], input=render_dot(scenario), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert not done.stderr.strip(), done.stderr  # no syntax warnings either
    root = ET.fromstring(done.stdout)
    ids = {g.get("id") for g in root.iter(f"{SVG}g")}
    assert {n.key for n in scenario.nodes} <= ids


def test_dot_styles(triage) -> None:
    text = render_dot(triage)
    assert 'step_enrich [id="step_enrich", shape="box"' in text
    assert 'style="rounded,dashed"' in text
    assert 'step_checked -> step_enrich [style="dashed"]' in text
    assert "label=\"if steps.checked.output.category == 'faq'\"" in text


@pytest.mark.parametrize("engine", ["grandalf", "graphviz"])
def test_svg_is_well_formed_with_every_node_inside(triage, engine) -> None:
    if engine == "graphviz":
        require("dot")
    layout = compute_layout(triage, engine)
    root = ET.fromstring(render_svg(triage, layout))
    assert root.get("data-layout") == engine
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("node")}
    assert set(groups) == {f"node-{n.key}" for n in triage.nodes}
    assert "hot" in groups["node-step_classify"].get("class").split()
    assert "async" in groups["node-step_enrich"].get("class").split()
    for key, box in layout.boxes.items():
        assert box.x - box.width / 2 >= 0 and box.x + box.width / 2 <= layout.width + 0.5, key
        assert box.y - box.height / 2 >= 0 and box.y + box.height / 2 <= layout.height + 0.5, key
    # boxes do not overlap
    boxes = list(layout.boxes.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = abs(a.x - b.x) >= (a.width + b.width) / 2 or abs(a.y - b.y) >= (a.height + b.height) / 2
            assert apart


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href") and value:
                self.refs.append(value)


def test_html_is_self_contained(naive) -> None:
    from copilot.graph.evidence import read_trace

    page = render_html(scenario_for("support-triage", read_trace(DATA / "trace-deadline.jsonl")))
    for text in (page, render_html(naive)):
        refs = _Refs()
        refs.feed(text)
        assert all(ref.startswith("#") for ref in refs.refs), refs.refs  # only links inside the page
        assert "link" not in refs.tags and "img" not in refs.tags and "iframe" not in refs.tags
        assert "@import" not in text and "url(" not in text
    assert "Hot-path budget" in page and "most often caused by <b>answer</b>" in page
    findings = render_html(naive)
    assert 'data-node="step_classify"' in findings and 'href="#node-step_classify"' in findings
