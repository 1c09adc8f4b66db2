"""`--format sarif`: SARIF 2.1.0 for code-scanning UIs (GitHub's upload-sarif and others).

Every rule is described once in `tool.driver.rules` (id, name, short and full
description, help as text and Markdown, default level); each finding is a result
pointing at its region (start line and column, 1-based).

Artifact URIs are percent-encoded: a file under the working folder is a relative
reference with `uriBaseId: %SRCROOT%`, one outside it a `file://` URI, and standard input
is the relative reference `stdin` (no base). Rules carry no `helpUri`: flowgen has no
hosted rule pages, and the full documentation is inline in `help` (`flowgen explain CODE`
prints the same), which is what code-scanning UIs show.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from copilot import __version__
from copilot.lint.report import display_path

if TYPE_CHECKING:
    from copilot.lint.engine import LintRun
    from copilot.lint.rule import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _rule(rule: Rule) -> dict[str, Any]:
    from copilot.lint import docs

    parts = docs.sections(rule.doc)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": docs.summary(rule)},
        "fullDescription": {"text": docs.plain(parts.get("What it does", rule.summary))},
        "help": {"text": rule.doc.strip(), "markdown": docs.markdown(rule)},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": [rule.family], "fixable": rule.fix is not None},
    }


def artifact_location(path: str) -> dict[str, str]:
    """A SARIF artifactLocation for a linted path (see the module docstring)."""
    if path.startswith("<"):
        return {"uri": "stdin"}
    shown = display_path(path)
    if Path(shown).is_absolute():
        return {"uri": Path(shown).as_uri()}
    return {"uri": quote(shown, safe="/"), "uriBaseId": "%SRCROOT%"}


def payload(run: LintRun) -> dict[str, Any]:
    from copilot.lint.rules import rules_by_code

    # The rules that ran on some file, and any that reported (FG001/FG002 always may).
    reported = {f.code for f in run.findings}
    rules = [
        r
        for code, r in sorted(rules_by_code().items())
        if code in reported or any(report.config.enabled(r) for report in run.files)
    ]
    index = {r.code: i for i, r in enumerate(rules)}
    results = []
    for report in run.files:
        location = artifact_location(report.path)
        for f in report.findings:
            results.append(
                {
                    "ruleId": f.code,
                    "ruleIndex": index[f.code],
                    "level": _LEVEL[f.severity],
                    "message": {"text": f.message},
                    "locations": [
                        {
                            "physicalLocation": {"artifactLocation": location}
                            # a file that cannot be read has no region
                            | ({"region": {"startLine": f.line, "startColumn": f.col}} if f.line else {})
                        }
                    ],
                }
            )
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "flowgen",
                        "version": __version__,
                        "rules": [_rule(r) for r in rules],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render(run: LintRun) -> str:
    return json.dumps(payload(run), indent=2, ensure_ascii=False) + "\n"
