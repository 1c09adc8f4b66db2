"""The scenario as SVG, drawn from a `Layout` (Graphviz or grandalf placed the boxes).

Every node is a `<g class="node KIND [hot] [critical] [async] [blamed]" id="node-KEY">`
with a `<title>` (what a browser shows on hover: the findings' messages and fix hints),
so the HTML page can style, link and highlight nodes by id. Colours live in `STYLE`,
inside the SVG, so the file stands alone too.
"""

from __future__ import annotations

from html import escape

from copilot.graph.layout import LINE_HEIGHT, Box, Layout, Route, compute_layout
from copilot.graph.model import Node, Scenario

STYLE = """
.node text{font:12px sans-serif;fill:#212529}
.node .title{font-weight:bold}
.node .shape{fill:#fff;stroke:#495057;stroke-width:1.5}
.node.hot .shape{stroke:#d9480f;stroke-width:3}
.node.critical .shape{fill:#fff4e6}
.node.async .shape{stroke-dasharray:6 4;fill:#f8f9fa}
.node.blamed .shape{fill:#ffe3e3;stroke:#c92a2a}
.node.focus .shape{stroke:#1971c2;stroke-width:4}
.edge path{fill:none;stroke:#868e96;stroke-width:1.5}
.edge.hot path{stroke:#d9480f;stroke-width:3}
.edge.async path{stroke-dasharray:6 4}
.edge polygon{fill:#868e96}
.edge.hot polygon{fill:#d9480f}
.edge text{font:11px sans-serif;fill:#5f3dc4}
.badge circle{stroke:#fff;stroke-width:1.5}
.badge.error circle{fill:#c92a2a}
.badge.warning circle{fill:#e67700}
.badge.info circle{fill:#1971c2}
.badge text{font:bold 11px sans-serif;fill:#fff;text-anchor:middle}
"""


def node_title(node: Node) -> str:
    """The hover text: what the step is, then each finding with its fix."""
    lines = [" · ".join(node.label_lines()[:2])]
    for badge in node.badges:
        lines.append(f"{badge.code} {badge.severity}: {badge.message}")
        if badge.fix_hint:
            lines.append(f"  Fix: {badge.fix_hint}")
    return "\n".join(lines)


def shape(kind: str, box: Box) -> str:
    """The outline of a node of `kind` filling `box`."""
    left, top = box.x - box.width / 2, box.y - box.height / 2
    right, bottom = left + box.width, top + box.height
    w, h = box.width, box.height
    if kind == "trigger":
        return f'<ellipse class="shape" cx="{box.x:.1f}" cy="{box.y:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}"/>'
    if kind == "validate":
        d = 14
        points = [
            (left + d, top),
            (right - d, top),
            (right, box.y),
            (right - d, bottom),
            (left + d, bottom),
            (left, box.y),
        ]
        return _polygon(points)
    if kind == "transform":
        d = 12
        return _polygon([(left + d, top), (right, top), (right - d, bottom), (left, bottom)])
    if kind == "respond":
        d = 14
        return _polygon([(left, top), (right - d, top), (right, box.y), (right - d, bottom), (left, bottom)])
    if kind == "retrieve":
        r = 7
        return (
            f'<path class="shape" d="M{left:.1f},{top + r:.1f} '
            f"A{w / 2:.1f},{r} 0 0 1 {right:.1f},{top + r:.1f} "
            f"V{bottom - r:.1f} A{w / 2:.1f},{r} 0 0 1 {left:.1f},{bottom - r:.1f} Z "
            f'M{left:.1f},{top + r:.1f} A{w / 2:.1f},{r} 0 0 0 {right:.1f},{top + r:.1f}"/>'
        )
    radius = 16 if kind == "model" else 2
    rect = (
        f'<rect class="shape" x="{left:.1f}" y="{top:.1f}" width="{w:.1f}" height="{h:.1f}" '
        f'rx="{radius}" ry="{radius}"/>'
    )
    if kind == "http":  # a subroutine: double bars at the sides
        rect += (
            f'<path class="shape" d="M{left + 8:.1f},{top:.1f} V{bottom:.1f} '
            f'M{right - 8:.1f},{top:.1f} V{bottom:.1f}"/>'
        )
    return rect


def _polygon(points: list[tuple[float, float]]) -> str:
    return '<polygon class="shape" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>'


def node_svg(node: Node, box: Box) -> str:
    classes = " ".join(
        ["node", node.kind]
        + [
            name
            for name, on in (
                ("hot", node.hot and not node.is_async),
                ("critical", node.critical),
                ("async", node.is_async),
                ("blamed", node.blamed),
            )
            if on
        ]
    )
    data = f' data-step="{escape(node.step_id)}"' if node.step_id else ""
    parts = [
        f'<g class="{classes}" id="node-{node.key}"{data}>',
        f"<title>{escape(node_title(node))}</title>",
    ]
    parts.append(shape(node.kind, box))
    lines = node.label_lines()
    first = box.y - (len(lines) - 1) * LINE_HEIGHT / 2
    for index, line in enumerate(lines):
        css = ' class="title"' if index == 0 else ""
        parts.append(
            f'<text{css} x="{box.x:.1f}" y="{first + index * LINE_HEIGHT:.1f}" text-anchor="middle" '
            f'dominant-baseline="central">{escape(line)}</text>'
        )
    if node.badges:
        severity = node.worst_severity
        cx, cy = box.x + box.width / 2 - 4, box.y - box.height / 2 + 4
        parts.append(
            f'<g class="badge {severity}"><title>{escape(node_title(node))}</title>'
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="10"/>'
            f'<text x="{cx:.1f}" y="{cy + 4:.1f}">{len(node.badges)}</text></g>'
        )
    parts.append("</g>")
    return "".join(parts)


def route_path(route: Route) -> str:
    points = route.points
    d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
    if route.curved and (len(points) - 1) % 3 == 0:
        for i in range(1, len(points), 3):
            (x1, y1), (x2, y2), (x3, y3) = points[i : i + 3]
            d += f" C{x1:.1f},{y1:.1f} {x2:.1f},{y2:.1f} {x3:.1f},{y3:.1f}"
    else:
        d += "".join(f" L{x:.1f},{y:.1f}" for x, y in points[1:])
    return d


def arrow_head(route: Route) -> str:
    """A small triangle at the route's end, pointing along its last segment."""
    tip = route.arrow_tip or route.points[-1]
    base = route.points[-1] if route.arrow_tip and route.arrow_tip != route.points[-1] else route.points[-2]
    dx, dy = tip[0] - base[0], tip[1] - base[1]
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / length, dy / length
    size = 9.0
    bx, by = tip[0] - ux * size, tip[1] - uy * size
    left = (bx - uy * size / 2, by + ux * size / 2)
    right = (bx + uy * size / 2, by - ux * size / 2)
    return (
        f'<polygon points="{tip[0]:.1f},{tip[1]:.1f} {left[0]:.1f},{left[1]:.1f} '
        f'{right[0]:.1f},{right[1]:.1f}"/>'
    )


def render_svg(scenario: Scenario, layout: Layout | None = None) -> str:
    """The picture as a standalone SVG document (no external references)."""
    layout = layout or compute_layout(scenario)
    width, height = layout.width, layout.height
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="scenario" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" data-layout="{layout.engine}">',
        f"<title>{escape(scenario.name)}: {escape(scenario.headline)}</title>",
        f"<style>{STYLE}</style>",
    ]
    for edge, route in zip(scenario.edges, layout.routes, strict=True):
        classes = "edge" + (" async" if edge.is_async else " hot" if edge.hot else "")
        body = [f'<path d="{route_path(route)}"/>', arrow_head(route)]
        if edge.condition and route.label_at:
            x, y = route.label_at
            body.append(
                f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">if {escape(edge.condition)}</text>'
            )
        out.append(
            f'<g class="{classes}" id="edge-{edge.source}-{edge.target}">'
            f"<title>{escape(edge.source)} → {escape(edge.target)}</title>{''.join(body)}</g>"
        )
    for node in scenario.nodes:
        out.append(node_svg(node, layout.boxes[node.key]))
    out.append("</svg>")
    return "\n".join(out) + "\n"
