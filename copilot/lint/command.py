"""What `flowgen lint`, `flowgen rules` and `flowgen explain` do, behind the thin CLI."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

from copilot.errors import FlowgenError, did_you_mean

if TYPE_CHECKING:
    from rich.console import Console

    from copilot.lint.rule import Rule


def run_lint(
    paths: list[str],
    *,
    fmt: str,
    select: list[str] | None,
    extend_select: list[str] | None,
    ignore: list[str] | None,
    fail_on: str | None,
    fix: bool,
    config_file: str | None,
    summary: bool,
    console: Console | None,
    flows_only: bool = False,
    k6_compatible: bool = False,
) -> int:
    """Lint, render in `fmt` on stdout, and return the exit code (0 clean, 1 findings, 2 unreadable).

    `console` is the Rich console of a text report on a terminal; None writes plain text.
    """
    from copilot.lint.config import LintConfig, LintOptions, load_config
    from copilot.lint.files import lint_paths
    from copilot.lint.report import render
    from copilot.lint.report.text import render as render_text

    if not paths:
        raise FlowgenError("give flow files or folders to lint (or - for stdin)")
    if paths.count("-") > 1:
        raise FlowgenError("stdin (-) can be linted only once")
    for path in paths:
        # A path that does not exist is a usage error (a typo), not a finding about a flow.
        if path != "-" and not os.path.lexists(path):
            from copilot.flow.document import NoSuchFile

            raise NoSuchFile(path)
    config = load_config(config_file) if config_file else None
    options: LintOptions = {}  # only the flags given
    if select:
        options["select"] = select
    if extend_select:
        options["extend_select"] = extend_select
    if ignore:
        options["ignore"] = ignore
    if fail_on:
        options["fail_on"] = fail_on
    if k6_compatible:
        options["k6_compatible"] = k6_compatible
    LintConfig().with_options(**options)  # refuse a bad flag before reading any file
    for note in unignorable(ignore or []):
        sys.stderr.write(f"flowgen: note: {note}\n")
    run = lint_paths(paths, config, options=options, fix=fix, flows_only=flows_only)
    stream = sys.stdout
    if fix and "-" in paths:
        # `--fix -` is a filter: the fixed flow goes to stdout, the findings to stderr.
        from copilot.styled import wants_rich

        report = next(r for r in run.files if r.path == "<stdin>")
        sys.stdout.write(report.text or "")
        stream, console = sys.stderr, None
        if wants_rich(sys.stderr):
            from rich.console import Console

            console = Console(stderr=True, highlight=False, soft_wrap=True)
        fmt = "text"
    if fmt == "text":
        render_text(run, console, summary=summary, stream=stream)
    else:
        sys.stdout.write(render(run, fmt))
    return run.exit_code


def unignorable(ignore: list[str]) -> list[str]:
    """Notes for `--ignore` selectors naming FG001/FG002, which always run (a file that does
    not load or match the schema cannot be linted at all)."""
    from copilot.lint.config import split_selectors
    from copilot.lint.engine import UNREADABLE
    from copilot.lint.rules import rules_by_code

    rules = rules_by_code()
    out = []
    for selector in split_selectors(ignore):
        for code in UNREADABLE:
            rule = rules[code]
            if selector.upper() == code or selector == rule.name:
                out.append(
                    f"{code} ({rule.name}) cannot be ignored: a file that does not load is always reported"
                )
    return out


def _checklist_items() -> dict[str, str]:
    """rule code -> checklist item id, from part B's checklist (empty while it is missing)."""
    try:
        from copilot.checklist import load_checklist
    except ImportError:
        return {}
    out: dict[str, str] = {}
    try:
        checklist = load_checklist()
    except FlowgenError:
        return {}
    items = getattr(checklist, "items", checklist)
    for item in items:
        for code in getattr(item, "rules", []):
            out.setdefault(code, item.id)
    return out


def rules_rows() -> list[dict[str, Any]]:
    """Every rule as a row: code, name, severity, fixable, checklist item, summary."""
    from copilot.lint import docs
    from copilot.lint.rules import all_rules

    items = _checklist_items()
    return [
        {
            "code": r.code,
            "name": r.name,
            "severity": r.severity,
            "fixable": r.fix is not None,
            "checklist": items.get(r.code),
            "family": r.family,
            "summary": docs.summary(r),
        }
        for r in all_rules()
    ]


def find(code_or_name: str) -> Rule:
    """The rule named `code_or_name`, or a FlowgenError with the closest names."""
    from copilot.lint.rules import all_rules, find_rule

    rule = find_rule(code_or_name)
    if rule is None:
        raise FlowgenError(
            f"no rule `{code_or_name}`{_suggestion(code_or_name, all_rules())} (see `flowgen rules`)"
        )
    return rule


def _suggestion(word: str, rules: list[Rule]) -> str:
    """`, did you mean ...?` by code or name: a close spelling, else the rules whose name has the word."""
    names = [r.code for r in rules] + [r.name for r in rules]
    close = did_you_mean(word, names) or did_you_mean(word.upper(), [r.code for r in rules])
    if close:
        return close
    wanted = word.lower().replace("_", "-").strip("-")
    named = [r for r in rules if wanted and wanted in r.name] if len(wanted) >= 3 else []
    if not named:
        return ""
    shown = ", ".join(f"`{r.code}` ({r.name})" for r in named[:4])
    more = f" or {len(named) - 4} more" if len(named) > 4 else ""
    return f", did you mean {shown}{more}?"


def show_rules(fmt: str, console: Console) -> None:
    rows = rules_rows()
    if fmt == "json":
        sys.stdout.write(json.dumps({"version": 1, "rules": rows}, indent=2) + "\n")
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False)
    # Codes and levels never wrap; at 80 columns the names fold instead of ending in "…".
    for column in ("code", "name", "severity", "fixable", "checklist item"):
        short = column in ("code", "severity", "fixable")
        table.add_column(column, no_wrap=short, overflow="fold", min_width=len(column) if short else None)
    for row in rows:
        table.add_row(
            row["code"],
            row["name"],
            row["severity"],
            "yes" if row["fixable"] else "",
            row["checklist"] or "-",
        )
    console.print(table)


def explain(code_or_name: str, fmt: str) -> str:
    from copilot.lint import docs

    rule = find(code_or_name)
    if fmt == "markdown":
        return docs.markdown(rule)
    if fmt == "json":
        parts = docs.sections(rule.doc)
        return (
            json.dumps(
                {
                    "version": 1,
                    "code": rule.code,
                    "name": rule.name,
                    "severity": rule.severity,
                    "fixable": rule.fix is not None,
                    "family": rule.family,
                    "sections": parts,
                    "fix_doc": (rule.fix.__doc__ or "").strip() if rule.fix is not None else None,
                },
                indent=2,
            )
            + "\n"
        )
    return docs.explain_text(rule)
