"""A parser for the subset of Mermaid flowcharts `flowgen graph --format mermaid` writes.

Not a Mermaid implementation: it accepts exactly the statements the writer emits (front
matter with a title, `flowchart TD`, node definitions with quoted labels in one of the
shapes, edges `-->`, `==>`, `-.->` with an optional quoted label, the dotted link `-.-`,
`classDef` and `class`) and fails on any other line, an unbalanced shape, an unquoted
label, an edge to an undefined node or a class on an undefined node. That is what makes
"the Mermaid output parses" a test rather than a look.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ID = r"[A-Za-z_][A-Za-z0-9_]*"
LABEL = r'"(?P<label>[^"]*)"'
SHAPES = {  # opening -> (closing, shape name), as Mermaid's flowchart grammar spells them
    "((": ("))", "circle"),
    "([": ("])", "stadium"),
    "[(": (")]", "cylinder"),
    "[[": ("]]", "subroutine"),
    "[/": ("/]", "parallelogram"),
    "{": ("}", "rhombus"),
    ">": ("]", "flag"),
    "[": ("]", "rect"),
}
NODE = re.compile(
    rf"^(?P<id>{ID})(?P<open>\(\(|\(\[|\[\(|\[\[|\[/|\{{|>|\[){LABEL}(?P<close>\)\)|\]\)|\)\]|\]\]|/\]|\}}|\])$"
)
EDGE = re.compile(rf"^(?P<src>{ID}) (?P<arrow>-->|==>|-\.->|-\.-)(?:\|{LABEL}\|)? (?P<dst>{ID})$")
CLASSDEF = re.compile(rf"^classDef (?P<name>{ID}) (?P<style>[a-z-]+: ?[^,]+(,[a-z-]+: ?[^,]+)*)$")
CLASS = re.compile(rf"^class (?P<ids>{ID}(,{ID})*) (?P<name>{ID})$")


class MermaidError(ValueError):
    pass


@dataclass
class Chart:
    title: str | None = None
    direction: str = ""
    nodes: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # id -> (shape, label lines)
    edges: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # src, arrow, dst, label
    class_defs: dict[str, str] = field(default_factory=dict)
    classes: dict[str, set[str]] = field(default_factory=dict)  # class -> ids


def unescape(text: str) -> str:
    return text.replace("#quot;", '"').replace("#lt;", "<").replace("#gt;", ">").replace("#amp;", "&")


def parse(source: str) -> Chart:
    chart = Chart()
    lines = source.splitlines()
    if lines[:1] == ["---"]:
        end = lines.index("---", 1)
        for line in lines[1:end]:
            key, _, value = line.partition(": ")
            if key != "title":
                raise MermaidError(f"unknown front matter key: {line!r}")
            chart.title = value
        lines = lines[end + 1 :]
    if not lines or lines[0] not in ("flowchart TD", "flowchart LR"):
        raise MermaidError(f"expected `flowchart TD`, got {lines[:1]}")
    chart.direction = lines[0].split()[1]
    for number, raw in enumerate(lines[1:], 2):
        line = raw.strip()
        if not line or line.startswith("%%"):
            continue
        if match := NODE.match(line):
            closing, shape = SHAPES[match["open"]]
            if match["close"] != closing:
                raise MermaidError(f"line {number}: shape opened {match['open']} closed {match['close']}")
            if match["id"] in chart.nodes:
                raise MermaidError(f"line {number}: node {match['id']} defined twice")
            chart.nodes[match["id"]] = (shape, [unescape(p) for p in match["label"].split("<br/>")])
        elif match := EDGE.match(line):
            for end in (match["src"], match["dst"]):
                if end not in chart.nodes:
                    raise MermaidError(f"line {number}: edge to undefined node {end}")
            if match["arrow"] == "-.-" and match["label"] is not None:
                raise MermaidError(f"line {number}: a link without arrow carries no label here")
            label = unescape(match["label"]) if match["label"] is not None else None
            chart.edges.append((match["src"], match["arrow"], match["dst"], label))
        elif match := CLASSDEF.match(line):
            chart.class_defs[match["name"]] = match["style"]
        elif match := CLASS.match(line):
            if match["name"] not in chart.class_defs:
                raise MermaidError(f"line {number}: class {match['name']} has no classDef")
            ids = set(match["ids"].split(","))
            if missing := ids - set(chart.nodes):
                raise MermaidError(f"line {number}: class on undefined nodes {sorted(missing)}")
            chart.classes.setdefault(match["name"], set()).update(ids)
        else:
            raise MermaidError(f"line {number}: not in the subset: {raw!r}")
    return chart
