"""Checking a drafted flow: JSON Schema and pydantic validation, then the full linter.

One function serves both drafters and every repair round, so "valid" means the same thing
everywhere: the document matches the schema (jsonschema and the pydantic models agree on
that) and the linter could load it. Findings are plain dicts with the JSON path of the
node, which is what the repair prompt names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

UNREADABLE = ("FG001", "FG002")


@dataclass
class CheckResult:
    text: str  # the flow as YAML (what was linted, and what the repair prompt shows)
    findings: list[dict[str, Any]] = field(default_factory=list)
    valid: bool = False  # schema-valid and loadable

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["severity"] == "error"]


def yaml_of(data: dict[str, Any]) -> str:
    """Plain flow data as YAML in the flow file's key order (no comments yet)."""
    from copilot.flow.dump import dump_tree, to_tree

    return dump_tree(to_tree(data))


def _json_path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _path_in_message(message: str) -> str:
    """`steps[0].timeout`: … -> $.steps[0].timeout (the loader names the node first)."""
    match = re.match(r"^`([A-Za-z_][\w.\[\]-]*)`", message)
    return "$." + match.group(1) if match else "$"


def schema_findings(data: Any) -> list[dict[str, Any]]:
    """Every JSON Schema violation of `data` against the flow schema, with its JSON path."""
    import jsonschema

    from copilot.flow.schema import flow_schema

    validator = jsonschema.Draft202012Validator(flow_schema())
    out = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        out.append(
            {
                "code": "FG002",
                "name": "schema-violation",
                "severity": "error",
                "json_path": _json_path(error.absolute_path),
                "message": " ".join(error.message.split())[:300],
                "fix_hint": "Make the node match the flow schema (see the schema outline).",
                "line": None,
                "column": None,
            }
        )
    return out


def check_text(text: str, path: str, catalog: Any = None) -> CheckResult:
    """Lint `text` (which includes the pydantic schema check) and collect dict findings."""
    from copilot.lint.engine import lint_report

    report = lint_report(text, path, catalog=catalog)
    findings = []
    for f in report.findings:
        item = f.to_dict()
        if f.code in UNREADABLE and item["json_path"] == "$":
            item["json_path"] = _path_in_message(f.message)
        if not item.get("fix_hint"):
            item["fix_hint"] = rule_fix_hint(f.code)
        findings.append(item)
    valid = not any(f["code"] in UNREADABLE for f in findings)
    return CheckResult(text, findings, valid)


def check_data(data: dict[str, Any], path: str, catalog: Any = None, *, fixed: bool = False) -> CheckResult:
    """Schema-check and lint drafted data; JSON Schema errors the linter did not name are added.

    `fixed`: lint the flow after the safe fixes, as `drafting.finalize` will write it (a compact
    draft leaves timeouts and the like to them, so their findings are no repair's business).
    """
    text = yaml_of(data)
    if fixed:
        from copilot.lint.fixes import fix_text

        text = fix_text(text, path)[0]
    result = check_text(text, path, catalog)
    if result.valid:
        return result
    named = {f["json_path"] for f in result.findings}
    extra = [f for f in schema_findings(data) if f["json_path"] not in named]
    result.findings.extend(extra)
    return result


def rule_fix_hint(code: str) -> str | None:
    """The `Fix` part of a rule's documentation, as one line (for the repair prompt)."""
    from copilot.lint.rules import rules_by_code

    rule = rules_by_code().get(code)
    if rule is None or not rule.doc:
        return None
    match = re.search(r"\bFix\b:?\s*\n?(.*?)(?:\n\s*\n|$)", rule.doc, re.S)
    if not match:
        return None
    hint = " ".join(match.group(1).split())
    return hint[:240] if hint else None
