"""The HTML page in a real headless browser: nodes are drawn, and the page logs no error.

Chromium (the Debian `chromium` package; `.ci/run` installs it when missing) renders the
page twice at one window size: `--dump-dom` gives the boxes the page's script recorded
for each node (`<body data-nodes>`), `--screenshot` gives the pixels. Each node's box must
hold drawn (non-white) pixels, a strip of the page's margin must not, and the console
(`--enable-logging=stderr`) must carry no error.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from copilot.graph.evidence import read_trace
from copilot.graph.html import render_html
from copilot.graph.layout import compute_layout

from .conftest import DATA, require, scenario_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WINDOW = (1400, 2400)


def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB(A) rows of an 8-bit truecolour PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(r[i] for i in range(len(r)) if i % channels != 3) for r in rows]


def inked(rows: list[bytes], left: int, top: int, width: int, height: int) -> float:
    """The share of pixels in the rectangle that are not (near) white."""
    total = ink = 0
    for y in range(top, top + height):
        row = rows[y]
        for x in range(left, left + width):
            r, g, b = row[3 * x : 3 * x + 3]
            total += 1
            ink += min(r, g, b) < 235
    return ink / total if total else 0.0


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "CONSOLE" in line]


@pytest.mark.parametrize("engine", ["grandalf", "graphviz"])
def test_page_draws_every_node_without_console_errors(tmp_path, engine) -> None:
    require("chromium", "chromium-browser")
    if engine == "graphviz":
        require("dot")
    scenario = scenario_for("support-triage", read_trace(DATA / "trace-deadline.jsonl"))
    page = tmp_path / "graph.html"
    page.write_text(render_html(scenario, compute_layout(scenario, engine)), encoding="utf-8")

    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "p1")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert not console_errors(dom.stderr), console_errors(dom.stderr)
    match = re.search(r'data-nodes="([^"]*)"', dom.stdout)
    assert match, "the page's script did not run"
    boxes = json.loads(html.unescape(match.group(1)))
    assert set(boxes) == {n.key for n in scenario.nodes}

    shot = tmp_path / "graph.png"
    done = chromium(f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "p2")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    assert not console_errors(done.stderr), console_errors(done.stderr)
    width, height, rows = read_png(shot)
    assert (width, height) == WINDOW
    for key, (left, top, box_width, box_height) in boxes.items():
        assert left >= 0 and top + box_height <= height, (key, "outside the screenshot")
        share = inked(rows, int(left), int(top), int(box_width), int(box_height))
        assert share > 0.03, (key, share)  # outline and text
    # the page's left margin (8px wide, below the title) is blank: the check can fail
    assert inked(rows, 0, 200, 8, 400) == 0.0
