"""The scenario as Graphviz DOT (`dot -Tsvg`, `-Tpng`, any Graphviz viewer).

The same choices as the Mermaid writer: shapes by step type (`SHAPES`), the hot path
thick and orange, async branches dashed, `if` conditions as edge labels, the response as
a node, findings as a `⚠ CODE` line in the box with the messages and fix hints as the
node's tooltip (SVG viewers show it on hover).
"""

from __future__ import annotations

from copilot.graph.model import Node, Scenario

SHAPES: dict[str, str] = {
    "trigger": "ellipse",
    "model": "box",  # rounded, below
    "validate": "hexagon",
    "retrieve": "cylinder",
    "transform": "parallelogram",
    "http": "component",
    "respond": "cds",
}
HOT = "#d9480f"
SEVERITY_COLOURS = {"error": "#c92a2a", "warning": "#e67700", "info": "#1971c2"}


def quote(text: str) -> str:
    """A DOT double-quoted string (its only escapes are `\\"` and `\\\\`; newlines as `\\n`)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def tooltip(node: Node) -> str:
    return "\n".join(
        f"{b.code} {b.severity}: {b.message}" + (f"\nFix: {b.fix_hint}" if b.fix_hint else "")
        for b in node.badges
    )


def node_attributes(node: Node) -> dict[str, str]:
    lines = node.label_lines()
    if node.badges:
        lines.append("⚠ " + ", ".join(b.code for b in node.badges))
    attrs = {"id": node.key, "shape": SHAPES[node.kind], "label": "\n".join(lines)}
    styles = []
    if node.kind == "model":
        styles.append("rounded")
    if node.is_async:
        styles.append("dashed")
    if node.critical or node.blamed:
        styles.append("filled")
        attrs["fillcolor"] = "#ffe3e3" if node.blamed else "#fff4e6"
    if styles:
        attrs["style"] = ",".join(styles)
    if node.hot and not node.is_async:
        attrs["color"] = HOT
        attrs["penwidth"] = "2.5"
    if node.badges:
        attrs["tooltip"] = tooltip(node)
        attrs["fontcolor"] = SEVERITY_COLOURS.get(node.worst_severity or "", "black")
    return attrs


def render_dot(scenario: Scenario) -> str:
    """The digraph, top to bottom."""
    out = [
        f"digraph {quote(scenario.name)} {{",
        f"  label={quote(scenario.name + ' · ' + scenario.headline)};",
        "  labelloc=t;",
        "  rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for node in scenario.nodes:
        attrs = ", ".join(f"{k}={quote(v)}" for k, v in node_attributes(node).items())
        out.append(f"  {node.key} [{attrs}];")
    for edge in scenario.edges:
        attrs = {}
        if edge.condition:
            attrs["label"] = "if " + edge.condition
        if edge.is_async:
            attrs["style"] = "dashed"
        elif edge.hot:
            attrs["color"] = HOT
            attrs["penwidth"] = "2.5"
        text = " [" + ", ".join(f"{k}={quote(v)}" for k, v in attrs.items()) + "]" if attrs else ""
        out.append(f"  {edge.source} -> {edge.target}{text};")
    if scenario.flow_badges:
        note = "\n".join(f"{b.code} {b.severity}: {b.message}" for b in scenario.flow_badges)
        out.append(f'  flow_note [shape=note, id="flow_note", label={quote(note)}, fontsize=9];')
        out.append("  respond -> flow_note [style=dotted, arrowhead=none];")
    out.append("}")
    return "\n".join(out) + "\n"
