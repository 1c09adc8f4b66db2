"""`flowgen pin`: pin a flow's documents after reviewing them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from copilot.cli.common import DataFormat, fail
from copilot.errors import FlowgenError


def pin(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The flow file whose sources to pin.")],
    check: Annotated[
        bool, typer.Option("--check", help="Only report; exit 1 when a pin is out of date (for CI).")
    ] = False,
    format: Annotated[
        DataFormat, typer.Option("--format", "-f", metavar="FORMAT", help="text or json.")
    ] = DataFormat.text,
) -> None:
    """Pin each retrieve step's documents to their content as it is now.

    The engine refuses to answer from documents that differ from their pin, so an edited
    article never reaches answers unreviewed. After you review the documents, this writes
    the new `pin` of every source (comments and key order kept). A glob that matches no
    files is an error: there is nothing to review yet.

    Exit 0 pinned (or already current), 1 with --check when a pin is out of date, 2 when
    the flow cannot be read or a source matches no files.

    Examples:

      flowgen pin flows/support-triage.yaml

      flowgen pin flows/support-triage.yaml --check
    """
    from copilot import __version__
    from copilot.lint.pins import pin_flow

    try:
        result = pin_flow(str(file), check=check)
    except FlowgenError as exc:
        fail(exc)
    except OSError as exc:
        fail(FlowgenError(f"{file}: cannot write: {exc.strerror or exc}"))
    stale = check and bool(result.changed)
    if format is DataFormat.json:
        payload = {
            "version": 1,
            "tool": {"name": "flowgen", "version": __version__},
            "flow": result.flow,
            "written": result.written,
            "sources": [s.to_dict() for s in result.sources],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        for s in result.sources:
            state = ("out of date" if check else "pinned") if s.changed else "current"
            files = f"{s.files} file{'s' if s.files != 1 else ''}"
            sys.stdout.write(f"{result.flow}: {s.step} {s.path} ({files}): {state}\n")
        if not result.sources:
            sys.stdout.write(f"{result.flow}: no retrieve sources to pin\n")
    raise typer.Exit(1 if stale else 0)
