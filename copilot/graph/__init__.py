"""`flowgen graph`: the scenario as a picture, with the hints on it.

`model.py` turns the one analysed flow (`copilot.flow.load.LoadedFlow`), its lint
findings and, optionally, evidence from runs (`evidence.py`) into a `Scenario`: nodes
and edges that already say what to draw (shape, hot path, async, badges, labels). Each
output format is a small writer over that model: `mermaid.py`, `dot.py`, `svg.py`
(layout by Graphviz `dot` when installed, else `layout.py` in Python) and `html.py`
(one self-contained page). The writers decide nothing about the flow.

This package sits beside `lint` and `run` (docs/architecture.md, "Layers"): it imports
`flow`, `catalog` and `lint`, and reads what the engine wrote (traces, results) as files,
never by importing the engine.
"""
