"""`flowgen lint`, `rules`, `explain` and `checklist`: production readiness, checked and explained."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from copilot.cli.common import (
    DataFormat,
    FormatOption,
    K6CompatibleOption,
    console,
    fail,
    format_option,
    print_or_fail,
)
from copilot.errors import FlowgenError


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"
    gitlab = "gitlab"
    junit = "junit"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


_Rules = Annotated[
    list[str] | None,
    typer.Option(metavar="CODES", help="Only these rules: codes, prefixes (FG1) or names; comma-separated."),
]


def lint(
    paths: Annotated[
        list[str], typer.Argument(metavar="PATH", help="Flow files or folders ('-' for stdin).")
    ],
    format: Annotated[
        LintFormat, format_option("text, json, sarif, github, gitlab or junit.")
    ] = LintFormat.text,
    select: _Rules = None,
    extend_select: Annotated[
        list[str] | None, typer.Option(metavar="CODES", help="Add rules to the selection.")
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option(metavar="CODES", help="Skip these rules: codes, prefixes or names.")
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(
            metavar="LEVEL",
            help="Exit 1 for findings at or above this level: error (default), warning or info.",
        ),
    ] = None,
    fix: Annotated[
        bool, typer.Option("--fix", help="Apply safe autofixes (comments kept), then re-lint.")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", metavar="FILE", help="pyproject.toml or .flowgen.toml to use instead of searching."
        ),
    ] = None,
    summary: Annotated[
        bool, typer.Option(help="Show each flow's hot-path p95, worst case and cost vs the SLA (text).")
    ] = True,
    flows_only: Annotated[
        bool, typer.Option("--flows-only", help="Skip named files that are not flows (for pre-commit hooks).")
    ] = False,
    k6_compatible: K6CompatibleOption = False,
) -> None:
    """Check flow files for production readiness (rules FG001-FG803; see `flowgen rules`).

    Exit 0 when clean, 1 when a finding is at or above --fail-on, 2 when a file cannot be
    read or parsed, or on a usage error. Settings come from the tool.flowgen.lint table of
    pyproject.toml or the lint table of .flowgen.toml (searched upwards from each file);
    flags win. Silence one line with `# flowgen: disable=FG201 reason="..."`.

    Examples:

      flowgen lint examples/flows/

      flowgen lint flow.yaml --fix

      flowgen lint flows/ --format sarif > flowgen.sarif
    """
    from copilot.lint.command import run_lint
    from copilot.styled import wants_rich

    # Rich only for a text report on a terminal: elsewhere it is plain text, Rich not imported.
    rich_out = console() if format is LintFormat.text and wants_rich(sys.stdout) else None
    try:
        code = run_lint(
            paths,
            fmt=format.value,
            select=select,
            extend_select=extend_select,
            ignore=ignore,
            fail_on=fail_on.value if fail_on else None,
            fix=fix,
            config_file=str(config) if config else None,
            summary=summary,
            console=rich_out,
            flows_only=flows_only,
            k6_compatible=k6_compatible,
        )
    except FlowgenError as exc:
        from copilot.flow.document import NoSuchFile

        if isinstance(exc, NoSuchFile) and format is LintFormat.json:
            sys.stdout.write(_no_such_file_json(exc))
            raise typer.Exit(2) from None
        fail(exc)
    raise typer.Exit(code)


def _no_such_file_json(exc: FlowgenError) -> str:
    """The JSON report of a run stopped by a path that names no file: no file was linted, and
    the error is of its own kind (not a finding: FG001 is a file that cannot be parsed)."""
    import json

    from copilot import __version__
    from copilot.lint.report.json_report import VERSION

    error = {"kind": "no-such-file", "code": None, "message": exc.message, "path": exc.path}
    payload = {
        "version": VERSION,
        "tool": {"name": "flowgen", "version": __version__},
        "summary": {"files": 0, "errors": 0, "warnings": 0, "info": 0, "fixable": 0, "exit_code": 2},
        "files": [],
        "errors": [error],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def rules(
    code: Annotated[
        str | None, typer.Argument(metavar="CODE", help="Show one rule's documentation (like explain).")
    ] = None,
    format: FormatOption = DataFormat.text,
) -> None:
    """The rule catalog: code, name, default severity, fixable, checklist item."""
    from copilot.lint.command import explain, show_rules

    if code is not None:
        print_or_fail(lambda: explain(code, format.value))
        return
    try:
        show_rules(format.value, console())
    except FlowgenError as exc:
        fail(exc)


class ExplainFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


def explain(
    code: Annotated[
        str, typer.Argument(metavar="CODE", help="A rule code (FG101) or name (call-without-timeout).")
    ],
    format: Annotated[ExplainFormat, format_option("text, markdown or json.")] = ExplainFormat.text,
) -> None:
    """One rule's documentation: what it does, why it matters, an example, and the fix."""
    from copilot.lint.command import explain as explain_rule

    print_or_fail(lambda: explain_rule(code, format.value))


class ChecklistFormat(str, Enum):
    markdown = "markdown"
    yaml = "yaml"
    json = "json"


def checklist(
    format: Annotated[ChecklistFormat, format_option("markdown, yaml or json.")] = ChecklistFormat.markdown,
) -> None:
    """The production-readiness checklist: each question, why it matters, what to do, which rules check it.

    The source of truth is checklists/production-readiness.yaml; `flowgen draft` puts each
    item's guidance into its prompt. Paste the Markdown into any copilot, or use the data:

      flowgen checklist > CHECKLIST.md

      flowgen checklist --format json
    """
    from copilot.checklist import render_checklist

    print_or_fail(lambda: render_checklist(format.value))
