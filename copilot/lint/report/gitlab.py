"""`--format gitlab`: GitLab's code quality report (the Code Climate subset it reads).

A JSON array, one issue per finding, for `artifacts: reports: codequality:` in
`.gitlab-ci.yml` (https://docs.gitlab.com/ci/testing/code_quality/, "Code Quality report
format"):

    [{"description": "FG101 call-without-timeout: model step `x` has no timeout",
      "check_name": "FG101", "fingerprint": "0f3c…", "severity": "major",
      "location": {"path": "flows/a.yaml", "lines": {"begin": 12}}}]

Severities map error → major, warning → minor, info → info (GitLab's scale is info, minor,
major, critical, blocker; flowgen has no level above error). A file that cannot be read
has no position and is reported on line 1, the first line GitLab can show.

The fingerprint is how GitLab tells a new finding from one the target branch already has,
so it names the finding, not where it sits: the file, the rule, the node (`json_path`) and
the message, without the line (a line number in the message, as FG000's "on line 26", is
left out too), so an edit above a finding does not make it "new". Two findings that agree
on all four get an occurrence number, keeping fingerprints unique.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

from copilot.lint.report import display_path

if TYPE_CHECKING:
    from copilot.lint.engine import LintRun

SEVERITY = {"error": "major", "warning": "minor", "info": "info"}
_LINE_NUMBER = re.compile(r"\bline \d+")


def payload(run: LintRun) -> list[dict[str, Any]]:
    issues = []
    seen: dict[str, int] = {}
    for report in run.files:
        path = display_path(report.path)
        for f in report.findings:
            identity = "\0".join((path, f.code, f.json_path, _LINE_NUMBER.sub("line", f.message)))
            occurrence = seen.get(identity, 0)
            seen[identity] = occurrence + 1
            if occurrence:
                identity += f"\0{occurrence}"
            issues.append(
                {
                    "description": f"{f.code} {f.name}: {f.message}",
                    "check_name": f.code,
                    "fingerprint": hashlib.sha256(identity.encode()).hexdigest()[:32],
                    "severity": SEVERITY[f.severity],
                    "location": {"path": path, "lines": {"begin": max(f.line, 1)}},
                }
            )
    return issues


def render(run: LintRun) -> str:
    return json.dumps(payload(run), indent=2, ensure_ascii=False) + "\n"
