"""What `validate` and `lint` load on a small flow, and the plain-text output that spares Rich."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from copilot.styled import Lines, plain, wants_rich

from .conftest import EXAMPLES_DIR, ROOT

PROBE = """
import json, sys
from copilot.cli import main
sys.argv = ["flowgen", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
finally:
    loaded = [m for m in ("jinja2", "rich.console", "rich.markup") if m in sys.modules]
    sys.stderr.write("LOADED " + json.dumps(loaded) + "\\n")
"""


def loaded_by(*args: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, cwd=ROOT, env=env, timeout=60, check=False
    )
    line = [x for x in done.stderr.decode().splitlines() if x.startswith("LOADED ")][-1]
    return json.loads(line.removeprefix("LOADED "))


@pytest.mark.parametrize("command", ["validate", "lint"])
def test_a_simple_flow_is_checked_without_jinja_or_rich_off_a_terminal(command: str) -> None:
    # Jinja (~20 ms) is only needed for templates beyond `{{ a.b }}`, `a == 'x'`, `| default('')`;
    # Rich's console (~20 ms) only for a terminal. Both were most of a small file's start-up.
    assert loaded_by(command, str(EXAMPLES_DIR / "support-triage.yaml")) == []


def test_a_template_with_a_filter_still_goes_to_jinja(tmp_path) -> None:
    text = (EXAMPLES_DIR / "support-triage.yaml").read_text()
    flow = tmp_path / "f.yaml"
    flow.write_text(text.replace("{{ event.subject }}", "{{ event.subject | truncate(80) }}"))
    assert loaded_by("validate", str(flow)) == ["jinja2"]


def test_plain_lines_drop_styles_and_keep_brackets() -> None:
    buf = io.StringIO()
    Lines(None, buf).line(("✓", "green"), " [not markup] ", ("x", "bold"))
    assert buf.getvalue() == "✓ [not markup] x\n"
    assert plain(["a", ("b", "red")]) == "ab"


def test_rich_lines_render_the_same_text() -> None:
    from rich.console import Console

    buf = io.StringIO()
    Lines(Console(file=buf, color_system=None, width=100)).line(("[dim]", "dim"), " \\[y] ", ("z", "red"))
    assert buf.getvalue() == "[dim] \\[y] z\n"


def test_rich_only_on_a_terminal_or_when_colour_is_forced(monkeypatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    assert not wants_rich(io.StringIO())
    assert wants_rich(Tty())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert wants_rich(io.StringIO())


def test_validate_text_is_the_same_with_and_without_rich(capsys) -> None:
    from rich.console import Console

    from copilot.validate import render_validation, validate_files

    results = validate_files([str(EXAMPLES_DIR / "support-triage.yaml")])
    render_validation(results, "text", summary=True, out=None)
    plain_text = capsys.readouterr().out
    buf = io.StringIO()
    render_validation(results, "text", summary=True, out=Console(file=buf, color_system=None, width=300))
    assert plain_text == buf.getvalue()
    assert "p95           1,352 ms vs SLA 1,500 ms  fits\n  worst case" in plain_text
