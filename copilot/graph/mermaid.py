"""The scenario as a Mermaid flowchart (GitHub, GitLab and most wikis render it inline).

Shapes by step type (`SHAPES`), the hot path as thick arrows (`==>`) and the `hot` class,
async branches as dotted arrows (`-.->`), `if` conditions as edge labels, the response
as a node. Mermaid flowcharts have no notes, so each node with findings gets a note node
beside it (class `finding`, joined by a plain dotted link `-.-`); flow-wide findings go
in one note hanging off the response.

Every label is quoted (`["…"]`); a `"` inside one is written `#quot;`, Mermaid's entity,
and lines are joined by `<br/>`.
"""

from __future__ import annotations

from copilot.graph.model import RESPOND, Badge, Scenario

# kind -> (open, close) of the node's shape
SHAPES: dict[str, tuple[str, str]] = {
    "trigger": ("((", "))"),  # circle
    "model": ("([", "])"),  # stadium
    "validate": ("{", "}"),  # rhombus
    "retrieve": ("[(", ")]"),  # cylinder
    "transform": ("[/", "/]"),  # parallelogram
    "http": ("[[", "]]"),  # subroutine
    "respond": (">", "]"),  # flag
}

CLASSES = {
    "hot": "stroke:#d9480f,stroke-width:3px",
    "critical": "fill:#fff4e6",
    "async": "stroke-dasharray:5 5,fill:#f8f9fa",
    "blamed": "fill:#ffe3e3,stroke:#c92a2a,stroke-width:3px",
    "finding": "fill:#fff9db,stroke:#f08c00,font-size:12px",
}

ARROWS = {"hot": "==>", "async": "-.->", "plain": "-->"}
MAX_NOTE_CHARS = 160


def quote(text: str) -> str:
    """Text safe inside a quoted Mermaid label."""
    return (
        text.replace("&", "#amp;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
        .replace("\n", " ")
    )


def label(lines: list[str]) -> str:
    return '"' + "<br/>".join(quote(line) for line in lines) + '"'


def note_text(badges: list[Badge]) -> list[str]:
    out = []
    for badge in badges:
        text = f"{badge.code} {badge.severity}: {badge.message}"
        if badge.fix_hint:
            text += f" Fix: {badge.fix_hint}"
        if len(text) > MAX_NOTE_CHARS:
            text = text[: MAX_NOTE_CHARS - 1] + "…"
        out.append(text)
    return out


def render_mermaid(scenario: Scenario) -> str:
    """The flowchart, top to bottom, as Mermaid source."""
    out = [
        "---",
        f"title: {quote(scenario.name)} · {quote(scenario.headline)}",
        "---",
        "flowchart TD",
    ]
    for node in scenario.nodes:
        opening, closing = SHAPES[node.kind]
        out.append(f"    {node.key}{opening}{label(node.label_lines())}{closing}")
    for edge in scenario.edges:
        arrow = ARROWS["async" if edge.is_async else "hot" if edge.hot else "plain"]
        text = f"|{label([edge.condition])}|" if edge.condition else ""
        out.append(f"    {edge.source} {arrow}{text} {edge.target}")
    # (note key, the node it hangs off, its findings)
    notes = [(f"{n.key}_note", n.key, n.badges) for n in scenario.nodes if n.badges]
    if scenario.flow_badges:
        notes.append(("flow_note", RESPOND, scenario.flow_badges))
    for note, anchor, badges in notes:
        out.append(f"    {note}[{label(note_text(badges))}]")
        out.append(f"    {anchor} -.- {note}")
    for name, style in CLASSES.items():
        out.append(f"    classDef {name} {style}")
    for name in CLASSES:
        members = class_members(scenario, name, [note for note, _, _ in notes])
        if members:
            out.append(f"    class {','.join(members)} {name}")
    return "\n".join(out) + "\n"


def class_members(scenario: Scenario, name: str, noted: list[str]) -> list[str]:
    if name == "finding":
        return noted
    if name == "hot":
        return [n.key for n in scenario.nodes if n.hot and not n.is_async]
    if name == "critical":
        return [n.key for n in scenario.nodes if n.critical]
    if name == "async":
        return [n.key for n in scenario.nodes if n.is_async]
    if name == "blamed":
        return [n.key for n in scenario.nodes if n.blamed]
    return []
