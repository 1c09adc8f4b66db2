"""`flowgen init`: scaffold a flow project, by flags, with no questions asked.

What it writes (paths relative to DIR):

    brief.md                      the brief the flow was drafted from
    events/example.json           an example event (the trigger's payload)
    flows/NAME.yaml               the drafted flow (`flowgen draft`'s drafter, offline by default)
    flows/flow.schema.json        the schema the flow's modeline points at (editor completion)
    pyproject.toml                `[tool.flowgen.lint]`: the lint configuration
    .pre-commit-config.yaml       `flowgen lint` on every commit
    .github/workflows/flowgen.yml lint with SARIF upload, the load test's thresholds, the
                                  graph as an HTML artifact

A folder that is not empty is left alone unless `--force` is given (then these files,
and only these, are replaced).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from copilot import __version__
from copilot.cli.common import DataFormat, DraftProvider, DraftProviderOption, FormatOption, fail
from copilot.errors import FlowgenError

DEFAULT_BRIEF = """\
When a support ticket arrives by webhook, classify it, answer FAQ tickets from our
help-centre docs within 1.5 seconds, and page on-call for urgent ones.
"""
DEFAULT_EVENT = {
    "id": "T-1001",
    "subject": "Reset password",
    "body": "How do I reset my password?",
}

PYPROJECT = """\
# flowgen reads [tool.flowgen.lint] from the nearest pyproject.toml (or .flowgen.toml).
[project]
name = "{name}-flows"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["flowgen"]

[tool.flowgen.lint]
fail-on = "error"       # exit 1 on errors; "warning" is stricter
select = ["ALL"]
# ignore = ["FG303"]    # a rule you decided against, with the reason in a comment
"""

PRE_COMMIT = """\
# pre-commit (https://pre-commit.com): `pre-commit install` once, then every commit lints
# the flows it touches. flowgen's own hook definition (.pre-commit-hooks.yaml in the
# flowgen repository) can replace this local one: `repo: <flowgen's git URL>`, `rev: vX.Y.Z`.
repos:
  - repo: local
    hooks:
      - id: flowgen-lint
        name: flowgen lint
        entry: flowgen lint --flows-only
        language: system
        types: [yaml]
        files: ^flows/
"""

WORKFLOW = """\
# CI for the flows: lint (findings in the Security tab as SARIF), the load test's
# thresholds (tests: in each flow), and the picture of each flow as an artifact.
name: flowgen
on: [push, pull_request]
permissions:
  contents: read
  security-events: write
jobs:
  flows:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install "flowgen[run]"
      - name: lint
        run: flowgen lint flows/ --format sarif > flowgen.sarif
      - uses: github/codeql-action/upload-sarif@v3
        if: always()
        with:
          sarif_file: flowgen.sarif
      - name: load test against the thresholds
        run: flowgen test flows/{name}.yaml --virtual-time --report report.html
      - name: graph
        if: always()
        run: flowgen graph flows/{name}.yaml --format html --out graph.html
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: flowgen-report
          path: |
            report.html
            graph.html
"""


def slug(text: str) -> str:
    """A flow-file name from a folder name: lower case, dashes, never empty."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return name or "flow"


def init(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="The project folder (created when missing).")
    ] = Path("."),
    brief: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT", help="The brief, or @FILE to read it (default: a support-triage example)."
        ),
    ] = None,
    event: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Example event JSON (default: one that fits the default brief)."),
    ] = None,
    name: Annotated[
        str | None, typer.Option(metavar="NAME", help="Flow file name (default: the folder's name).")
    ] = None,
    provider: DraftProviderOption = DraftProvider.offline,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a folder that is not empty (replaces these files).")
    ] = False,
    format: FormatOption = DataFormat.text,
) -> None:
    """Scaffold a flow project: brief, example event, drafted flow, config, CI.

    Writes brief.md, events/example.json, flows/NAME.yaml (drafted from the brief, as
    `flowgen draft` does, offline unless --provider says otherwise), flows/flow.schema.json
    (the flow's modeline points at it, for editor completion), pyproject.toml with
    [tool.flowgen.lint], .pre-commit-config.yaml (flowgen lint on commit) and
    .github/workflows/flowgen.yml (lint with SARIF upload, the load test's thresholds,
    the flow's graph as an artifact).

    A folder that is not empty is left unchanged unless --force is given. Exit 0 when
    everything was written, 1 when the drafted flow has gaps or findings (still written),
    2 on bad input.

    Examples:

      flowgen init my-flows

      flowgen init fraud --brief @examples/briefs/fraud-scoring.md

      flowgen init . --force --format json
    """
    try:
        result = scaffold(
            directory, brief=brief, event=event, name=name, provider=provider.value, force=force
        )
    except FlowgenError as exc:
        fail(exc)
    if format is DataFormat.json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        for path in result["files"]:
            sys.stdout.write(f"wrote {path}\n")
        for warning in result["warnings"]:
            sys.stdout.write(f"note: {warning}\n")
        sys.stdout.write("next: " + "; ".join(result["next"]) + "\n")
    raise typer.Exit(result["exit_code"])


def scaffold(
    directory: Path,
    *,
    brief: str | None = None,
    event: Path | None = None,
    name: str | None = None,
    provider: str = "offline",
    force: bool = False,
) -> dict:
    """Write the project into `directory`; the JSON-ready result (files, draft outcome)."""
    from copilot.draft.drafting import DraftOptions, draft
    from copilot.draft.request import make_request
    from copilot.flow.dump import refresh_schema_beside, write_atomic

    if provider not in ("offline", "auto", "openai"):
        raise FlowgenError(f"--provider must be offline, auto or openai, not {provider!r}")
    if directory.exists() and not directory.is_dir():
        raise FlowgenError(f"{directory}: not a folder")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise FlowgenError(f"{directory}: the folder is not empty; pass --force to write into it")
    name = slug(name or directory.resolve().name)

    request = make_request(DEFAULT_BRIEF if brief is None else brief)  # reads @FILE, checks it
    event_data = DEFAULT_EVENT if brief is None else None
    if event is not None:
        try:
            event_data = json.loads(event.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise FlowgenError(f"--event {event}: cannot read: {exc}") from None
        except json.JSONDecodeError as exc:
            raise FlowgenError(f"--event {event}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None

    directory.mkdir(parents=True, exist_ok=True)
    written: list[str] = []

    def put(relative: str, text: str) -> Path:
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text)
        written.append(str(target))
        return target

    brief_path = put("brief.md", request.brief.rstrip("\n") + "\n")
    event_path = None
    if event_data is not None:
        event_path = put("events/example.json", json.dumps(event_data, indent=2) + "\n")
        request = make_request(f"@{brief_path}", event=event_path)
    flow_path = directory / "flows" / f"{name}.yaml"
    flow_path.parent.mkdir(parents=True, exist_ok=True)
    outcome = draft(
        request, DraftOptions(provider=provider, out=str(flow_path), force=True, allow_findings=True)
    )
    warnings = list(getattr(outcome, "warnings", []) or [])
    if outcome.error:
        warnings.append(outcome.error)
    if outcome.written:
        written.append(str(flow_path))
        example = getattr(outcome.flow.trigger, "example", None) if outcome.flow is not None else None
        if event_path is None and example is not None:
            # No event given: the one the drafter wrote into the trigger, as a file to run with.
            event_path = put("events/example.json", json.dumps(example, indent=2) + "\n")
        schema = refresh_schema_beside(flow_path, outcome.text or "")
        schema_path = schema or flow_path.parent / "flow.schema.json"
        if schema_path.is_file():
            written.append(str(schema_path))
    put("pyproject.toml", PYPROJECT.format(name=name))
    put(".pre-commit-config.yaml", PRE_COMMIT)
    put(".github/workflows/flowgen.yml", WORKFLOW.format(name=name))
    flow_rel = f"flows/{name}.yaml"
    return {
        "version": 1,
        "tool": {"name": "flowgen", "version": __version__},
        "directory": str(directory),
        "files": written,
        "flow": str(flow_path) if outcome.written else None,
        "event": str(event_path) if event_path else None,
        "draft": {
            "provider": outcome.provider,
            "exit_code": outcome.exit_code,
            "findings": len(outcome.findings),
        },
        "warnings": warnings,
        "exit_code": 0 if outcome.written and outcome.exit_code == 0 else (1 if outcome.written else 2),
        "next": [
            f"cd {directory}",
            f"flowgen lint {flow_rel}",
            f"flowgen test {flow_rel}",
            f"flowgen graph {flow_rel} --format html --out graph.html",
        ],
    }
