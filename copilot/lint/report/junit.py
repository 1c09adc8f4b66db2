"""`--format junit`: JUnit XML, one testsuite per file and one testcase per file and rule.

A rule that reported something is a failed testcase listing its findings; CI systems that
read JUnit (GitLab, Jenkins, Azure) then show each rule as a test.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from copilot.lint.report import display_path


def _rules_for(report: Any) -> list[Any]:
    from copilot.lint.engine import UNREADABLE
    from copilot.lint.rules import rules_by_code

    rules = rules_by_code()
    if report.unreadable:
        return [rules[c] for c in UNREADABLE if any(f.code == c for f in report.findings)]
    return [r for code, r in sorted(rules.items()) if code not in UNREADABLE and report.config.enabled(r)]


def render(run: Any) -> str:
    root = ET.Element("testsuites", name="flowgen lint")
    total = failures = 0
    for report in run.files:
        path = display_path(report.path)
        rules = _rules_for(report)
        suite = ET.SubElement(root, "testsuite", name=path)
        suite_failures = 0
        for rule in rules:
            case = ET.SubElement(suite, "testcase", classname=path, name=f"{rule.code} {rule.name}")
            found = [f for f in report.findings if f.code == rule.code]
            if found:
                suite_failures += 1
                failure = ET.SubElement(
                    case,
                    "failure",
                    type=rule.code,
                    message=f"{len(found)} finding{'s' if len(found) != 1 else ''} ({found[0].severity})",
                )
                failure.text = "\n".join(
                    f"{path}:{f.line}:{f.col}: {f.message}" if f.line else f"{path}: {f.message}"
                    for f in found
                )
        suite.set("tests", str(len(rules)))
        suite.set("failures", str(suite_failures))
        total += len(rules)
        failures += suite_failures
    root.set("tests", str(total))
    root.set("failures", str(failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
