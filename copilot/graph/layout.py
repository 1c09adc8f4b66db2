"""Where each box and arrow goes: Graphviz `dot` when it is installed, grandalf otherwise.

Both engines get the same boxes, sized here from the label text (`box_size`), so the SVG
writer draws the same picture whichever placed it; only the placement differs. Graphviz
is asked for positions only (`dot -Tjson` on a graph of fixed-size blank boxes): the
drawing stays ours, with the ids, classes and hover text the HTML page needs.

grandalf (pure Python, a Sugiyama layered layout) is the fallback for machines without
Graphviz: it places boxes in layers and routes each edge through the dummy points of the
layers it crosses, as straight segments.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field

from copilot.errors import FlowgenError
from copilot.graph.model import Scenario

CHAR_WIDTH = 7.0  # px per character of the 12px sans-serif the SVG uses (a safe average)
LINE_HEIGHT = 15.0
PADDING_X, PADDING_Y = 28.0, 16.0
POINTS_PER_INCH = 72.0
MARGIN = 20.0
DOT_TIMEOUT_S = 20


@dataclass
class Box:
    x: float  # centre
    y: float
    width: float
    height: float


@dataclass
class Route:
    points: list[tuple[float, float]]
    curved: bool  # True: cubic Bézier control points (Graphviz), False: a polyline
    label_at: tuple[float, float] | None = None
    arrow_tip: tuple[float, float] | None = None


@dataclass
class Layout:
    width: float
    height: float
    engine: str  # "graphviz" or "grandalf"
    boxes: dict[str, Box] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)  # parallel to scenario.edges


def box_size(lines: list[str]) -> tuple[float, float]:
    """Width and height in px of a box holding `lines` (badge room included)."""
    widest = max((len(line) for line in lines), default=1)
    return widest * CHAR_WIDTH + PADDING_X * 2, len(lines) * LINE_HEIGHT + PADDING_Y * 2


def sizes_of(scenario: Scenario) -> dict[str, tuple[float, float]]:
    return {node.key: box_size(node.label_lines()) for node in scenario.nodes}


def has_graphviz() -> bool:
    return shutil.which("dot") is not None


def compute_layout(scenario: Scenario, engine: str = "auto") -> Layout:
    """Place `scenario`: `engine` is graphviz, grandalf, or auto (graphviz when installed)."""
    if engine == "auto":
        engine = "graphviz" if has_graphviz() else "grandalf"
    sizes = sizes_of(scenario)
    if engine == "graphviz":
        return graphviz_layout(scenario, sizes)
    return grandalf_layout(scenario, sizes)


# ---------------------------------------------------------------------------- Graphviz


def sizing_dot(scenario: Scenario, sizes: dict[str, tuple[float, float]]) -> str:
    """A DOT graph of blank fixed-size boxes, with the edge labels for their room."""
    out = [
        "digraph layout {",
        "  rankdir=TB; nodesep=0.5; ranksep=0.6;",
        '  node [shape=box, fixedsize=true, label=""];',
    ]
    for node in scenario.nodes:
        width, height = sizes[node.key]
        out.append(
            f"  {node.key} [width={width / POINTS_PER_INCH:.3f}, height={height / POINTS_PER_INCH:.3f}];"
        )
    for edge in scenario.edges:
        label = json.dumps("if " + edge.condition, ensure_ascii=False) if edge.condition else None
        attrs = f' [label={label}, fontsize=11, fontname="Helvetica"]' if label else ""
        out.append(f"  {edge.source} -> {edge.target}{attrs};")
    out.append("}")
    return "\n".join(out) + "\n"


def _point(text: str) -> tuple[float, float]:
    x, y = text.split(",")[:2]
    return float(x), float(y)


def graphviz_layout(scenario: Scenario, sizes: dict[str, tuple[float, float]]) -> Layout:
    dot = shutil.which("dot")
    if dot is None:
        raise FlowgenError(
            "Graphviz `dot` is not installed (apt-get install graphviz), or use --layout grandalf"
        )
    try:
        done = subprocess.run(
            [dot, "-Tjson"],
            input=sizing_dot(scenario, sizes),
            capture_output=True,
            text=True,
            timeout=DOT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise FlowgenError(f"Graphviz `dot` took more than {DOT_TIMEOUT_S}s; try --layout grandalf") from None
    if done.returncode != 0:
        raise FlowgenError(f"Graphviz `dot` failed: {done.stderr.strip().splitlines()[-1:]}")
    data = json.loads(done.stdout)
    _, _, right, top = (float(v) for v in data["bb"].split(","))
    height = top + 2 * MARGIN

    def flip(point: tuple[float, float]) -> tuple[float, float]:
        return point[0] + MARGIN, height - MARGIN - point[1]

    layout = Layout(right + 2 * MARGIN, height, "graphviz")
    names = {}
    for index, obj in enumerate(data.get("objects", [])):
        names[obj.get("_gvid", index)] = obj["name"]
        if "pos" in obj:
            x, y = flip(_point(obj["pos"]))
            width, height_px = sizes[obj["name"]]
            layout.boxes[obj["name"]] = Box(x, y, width, height_px)
    routes: dict[tuple[str, str], Route] = {}
    for edge in data.get("edges", []):
        parts = edge["pos"].split()
        tip = None
        points = []
        for part in parts:
            if part.startswith("e,"):
                tip = flip(_point(part[2:]))
            elif not part.startswith("s,"):
                points.append(flip(_point(part)))
        label_at = flip(_point(edge["lp"])) if "lp" in edge else None
        key = (names[edge["tail"]], names[edge["head"]])
        routes[key] = Route(points, True, label_at, tip)
    layout.routes = [routes[(e.source, e.target)] for e in scenario.edges]
    return layout


# ---------------------------------------------------------------------------- grandalf


def grandalf_layout(scenario: Scenario, sizes: dict[str, tuple[float, float]]) -> Layout:
    from grandalf.graphs import Edge as GEdge
    from grandalf.graphs import Graph, Vertex
    from grandalf.layouts import SugiyamaLayout

    class View:
        def __init__(self, width: float, height: float) -> None:
            self.w, self.h = width, height
            self.xy = (0.0, 0.0)

    class EdgeView:
        def __init__(self) -> None:
            self.points: list[tuple[float, float]] = []

        def setpath(self, points: list[tuple[float, float]]) -> None:
            self.points = [(float(x), float(y)) for x, y in points]

    vertices = {}
    for node in scenario.nodes:
        vertex = Vertex(node.key)
        vertex.view = View(*sizes[node.key])
        vertices[node.key] = vertex
    edges = []
    for edge in scenario.edges:
        gedge = GEdge(vertices[edge.source], vertices[edge.target])
        gedge.view = EdgeView()
        edges.append(gedge)
    graph = Graph(list(vertices.values()), edges)
    for component in graph.C:
        sugiyama = SugiyamaLayout(component)
        sugiyama.xspace, sugiyama.yspace = 40, 50
        sugiyama.init_all()
        sugiyama.draw()

    # Components are laid out side by side; grandalf places each around its own origin.
    layout = Layout(0.0, 0.0, "grandalf")
    offset = MARGIN
    bottom = 0.0
    for component in graph.C:
        xs = [v.view.xy[0] - v.view.w / 2 for v in component.sV]
        xe = [v.view.xy[0] + v.view.w / 2 for v in component.sV]
        ys = [v.view.xy[1] - v.view.h / 2 for v in component.sV]
        shift_x, shift_y = offset - min(xs), MARGIN - min(ys)
        for vertex in component.sV:
            x, y = vertex.view.xy
            layout.boxes[vertex.data] = Box(x + shift_x, y + shift_y, vertex.view.w, vertex.view.h)
            bottom = max(bottom, y + shift_y + vertex.view.h / 2)
        for gedge in component.sE:
            gedge.view.points = [(x + shift_x, y + shift_y) for x, y in gedge.view.points]
        offset += max(xe) - min(xs) + 40
    layout.width, layout.height = offset - 40 + MARGIN, bottom + MARGIN
    for edge, gedge in zip(scenario.edges, edges, strict=True):
        source, target = layout.boxes[edge.source], layout.boxes[edge.target]
        middle = gedge.view.points[1:-1] if len(gedge.view.points) > 2 else []
        start = (source.x, source.y + source.height / 2)
        end = (target.x, target.y - target.height / 2)
        points = [start, *middle, end]
        # The label on the last segment, nearer its target: siblings' labels fan out there.
        a, b = points[-2], points[-1]
        label_at = (a[0] + (b[0] - a[0]) * 0.6, a[1] + (b[1] - a[1]) * 0.6 - 4) if edge.condition else None
        layout.routes.append(Route(points, False, label_at, end))
    return layout
