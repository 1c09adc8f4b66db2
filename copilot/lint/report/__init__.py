"""Output formats of `flowgen lint`: one small writer per format, like ruff's emitters.

See docs/architecture.md, "Reports".

`text` writes to a Rich console; every other format is a function `render(run) -> str`.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from copilot.lint.engine import LintRun

FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit")
_MODULES = {
    "text": "text",
    "json": "json_report",
    "sarif": "sarif",
    "github": "github",
    "gitlab": "gitlab",
    "junit": "junit",
}


def render(run: LintRun, fmt: str) -> str:
    """The run in a data format (json, sarif, github, gitlab, junit) as text."""
    if fmt not in FORMATS or fmt == "text":
        raise ValueError(f"not a data format: {fmt}")
    from copilot.lint.report.mask import mask_known

    module = importlib.import_module(f"{__name__}.{_MODULES[fmt]}")
    # Messages name a secret's kind, never its value; this keeps it so for any message.
    return mask_known(module.render(run))


def display_path(path: str) -> str:
    """A path as reports show it: relative to the working folder when it is inside it, POSIX style."""
    if path.startswith("<"):
        return path
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(Path.cwd())
        except ValueError:
            return p.as_posix()
    return p.as_posix()
