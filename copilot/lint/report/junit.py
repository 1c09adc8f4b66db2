"""`--format junit`: JUnit XML, one testsuite per file and one testcase per file and rule.

A rule that reported something is a failed testcase listing its findings; CI systems that
read JUnit (GitLab, Jenkins, Azure) then show each rule as a test. A file that cannot be
read or parsed (FG001, FG002) is an `<error>`: the rules could not run on it.

Every `<testsuite>` carries `tests`, `failures`, `errors`, `skipped` and `time`, as the
Jenkins xunit plugin's junit-10.xsd and pytest's own output have them
(tests/lint/test_junit_xsd.py validates against that XSD). Lint does not time each file:
`time` is 0.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from copilot.lint.report import display_path

if TYPE_CHECKING:
    from copilot.lint.engine import FileReport, LintRun
    from copilot.lint.rule import Rule


def _rules_for(report: FileReport) -> list[Rule]:
    from copilot.lint.engine import UNREADABLE
    from copilot.lint.rules import rules_by_code

    rules = rules_by_code()
    if report.unreadable:
        return [rules[c] for c in UNREADABLE if any(f.code == c for f in report.findings)]
    return [r for code, r in sorted(rules.items()) if code not in UNREADABLE and report.config.enabled(r)]


def render(run: LintRun) -> str:
    root = ET.Element("testsuites", name="flowgen lint")
    total = failures = errors = 0
    for report in run.files:
        path = display_path(report.path)
        rules = _rules_for(report)
        suite = ET.SubElement(root, "testsuite", name=path)
        suite_failures = suite_errors = 0
        outcome = "error" if report.unreadable else "failure"
        for rule in rules:
            case = ET.SubElement(suite, "testcase", classname=path, name=f"{rule.code} {rule.name}")
            found = [f for f in report.findings if f.code == rule.code]
            if found:
                if report.unreadable:
                    suite_errors += 1
                else:
                    suite_failures += 1
                failure = ET.SubElement(
                    case,
                    outcome,
                    type=rule.code,
                    message=f"{len(found)} finding{'s' if len(found) != 1 else ''} ({found[0].severity})",
                )
                failure.text = "\n".join(
                    f"{path}:{f.line}:{f.col}: {f.message}" if f.line else f"{path}: {f.message}"
                    for f in found
                )
        suite.set("tests", str(len(rules)))
        suite.set("failures", str(suite_failures))
        suite.set("errors", str(suite_errors))
        suite.set("skipped", "0")
        suite.set("time", "0")
        total += len(rules)
        failures += suite_failures
        errors += suite_errors
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
