"""A rule's docstring as its documentation: the four parts, Markdown, and the `explain` text."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from copilot.lint.rule import Rule

SECTIONS = ("What it does", "Why it matters", "Example", "Fix")


def sections(doc: str) -> dict[str, str]:
    """{'What it does': …, 'Why it matters': …, 'Example': …, 'Fix': …} (missing parts absent)."""
    out: dict[str, list[str]] = {}
    current: str | None = None
    for line in doc.splitlines():
        heading = line.strip().rstrip(":")
        if heading in SECTIONS and not line.startswith(" "):
            current = heading
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return {k: textwrap.dedent("\n".join(v)).strip("\n") for k, v in out.items()}


def summary(rule: Rule) -> str:
    """The first sentence of `What it does`."""
    text = " ".join(sections(rule.doc).get("What it does", rule.summary).split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def plain(text: str) -> str:
    """A section as one paragraph of prose (line breaks of the docstring removed)."""
    return " ".join(text.split())


def markdown(rule: Rule) -> str:
    """The rule's documentation as Markdown (SARIF help, `flowgen explain --format markdown`)."""
    parts = sections(rule.doc)
    lines = [f"## {rule.code} `{rule.name}`", "", f"Default severity: **{rule.severity}**."]
    if rule.fix is not None:
        lines[-1] += " Fixable with `flowgen lint --fix`."
    for title in SECTIONS:
        if title not in parts:
            continue
        lines += ["", f"### {title}", ""]
        if title == "Example":
            lines += ["```yaml", parts[title], "```"]
        else:
            lines.append(plain(parts[title]))
    return "\n".join(lines) + "\n"


def explain_text(rule: Rule) -> str:
    """What `flowgen explain CODE` prints: a header and the docstring as written."""
    fixable = "yes (flowgen lint --fix)" if rule.fix is not None else "no"
    head = (
        f"{rule.code} {rule.name}\nseverity: {rule.severity}   fixable: {fixable}   family: {rule.family}\n"
    )
    return head + "\n" + rule.doc.strip() + "\n"
