"""`--format github`: GitHub Actions workflow commands, one annotation per finding.

::error file=flows/a.yaml,line=12,col=5,title=FG101 call-without-timeout::model step `x` has no timeout
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from copilot.lint.report import display_path

if TYPE_CHECKING:
    from copilot.lint.engine import LintRun

_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(run: LintRun) -> str:
    lines = []
    for report in run.files:
        path = _property(display_path(report.path))
        for f in report.findings:
            title = _property(f"{f.code} {f.name}")
            where = (
                f"file={path},line={f.line},col={f.col},title={title}"
                if f.line
                else f"file={path},title={title}"
            )
            lines.append(f"::{_COMMAND[f.severity]} {where}::{_data(f.message)}")
    return "".join(line + "\n" for line in lines)
