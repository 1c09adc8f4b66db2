"""`--format json`: a stable, versioned shape (documented in the README).

    {
      "version": 1,
      "tool": {"name": "flowgen", "version": "0.1.0"},
      "summary": {"files": 1, "errors": 1, "warnings": 2, "info": 0, "fixable": 2,
                  "fail_on": "error", "exit_code": 1},
      "files": [
        {"path": "flows/a.yaml",
         "flow": {"name": …, "hot_path": […], "critical_path": {"steps", "p95_ms", "worst_ms"},
                  "worst_case": {…}, "sla_ms": 1500, "cost_per_event_usd": …, "budget_usd": …} | null,
         "fixed": ["FG101 steps[0] (classify): timeout 1.3s"],
         "findings": [{"code", "name", "severity", "message", "path", "line", "column",
                       "json_path", "fix_hint", "fixable"}]}
      ]
    }

New keys may be added; existing ones keep their meaning while `version` stays 1.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from copilot import __version__
from copilot.lint.report import display_path

if TYPE_CHECKING:
    from copilot.lint.engine import LintRun

VERSION = 1


def payload(run: LintRun) -> dict[str, Any]:
    counts = run.counts()
    files = []
    for report in run.files:
        path = display_path(report.path)
        files.append(
            {
                "path": path,
                "flow": report.summary,
                "fixed": report.fixed,
                "findings": [f.to_dict() | {"path": path} for f in report.findings],
            }
        )
    return {
        "version": VERSION,
        "tool": {"name": "flowgen", "version": __version__},
        "summary": {
            "files": len(run.files),
            "errors": counts["error"],
            "warnings": counts["warning"],
            "info": counts["info"],
            "fixable": sum(1 for f in run.findings if f.fixable),
            "fail_on": run.fail_on,
            "exit_code": run.exit_code,
        },
        "files": files,
    }


def render(run: LintRun) -> str:
    return json.dumps(payload(run), indent=2, ensure_ascii=False) + "\n"
