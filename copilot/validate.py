"""`flowgen validate`: schema and graph check of flow files, with a short summary."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from copilot.errors import FlowgenError


@dataclass
class FileResult:
    path: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    exit_code: int = 0


NO_SUCH_FILE = "no-such-file"
"""The `kind` of the error for a path that names no file: no finding code (not FG001)."""


def _error(exc: FlowgenError, path: str) -> dict[str, Any]:
    from copilot.flow.document import NoSuchFile

    pos = exc.position
    if isinstance(exc, NoSuchFile):
        return {
            "kind": NO_SUCH_FILE,
            "code": None,
            "message": exc.message,
            "path": exc.path or path,
            "line": None,
            "column": None,
        }
    return {
        "code": exc.code or "FG001",
        "message": exc.message,
        "path": exc.path or path,
        "line": pos.line if pos else None,
        "column": pos.col if pos else None,
    }


def validate_file(path: str) -> FileResult:
    """Schema errors (exit 2), then structural problems (exit 1), then a summary.

    The flow is read, parsed and validated once (`analyse_document`); the structural
    problems and the summary are the analysed flow's.
    """
    from copilot.flow.check import as_dict
    from copilot.flow.load import analyse_document, load_document

    name = "<stdin>" if path == "-" else path
    result = FileResult(name)
    try:
        doc = load_document(path)
    except FlowgenError as exc:
        result.errors.append(_error(exc, name))
        result.exit_code = 2
        return result
    loaded, errors = analyse_document(doc)
    if loaded is None:
        result.errors.extend(_error(e, name) for e in errors)
        result.exit_code = 2
        return result
    problems = loaded.problems
    result.errors.extend(as_dict(p, name) for p in problems)
    if problems:
        # A template that does not parse is schema-like (FG002, exit 2, as in lint); the
        # graph problems are findings (exit 1).
        result.exit_code = 2 if any(p.code == "FG002" for p in problems) else 1
    result.summary = loaded.summary
    return result


def validate_files(paths: list[str]) -> list[FileResult]:
    """Each file; a folder stands for the flow files under it, as in `flowgen lint`."""
    from pathlib import Path

    from copilot.flow.files import expand_paths

    out: list[FileResult] = []
    for path in paths:
        files = expand_paths([path])
        if path != "-" and Path(path).is_dir() and not files:
            message = "no flow files here (*.yaml / *.yml declaring `apiVersion: flowgen/…` or `kind: Flow`)"
            out.append(
                FileResult(
                    path,
                    [{"code": "FG001", "message": message, "path": path, "line": None, "column": None}],
                    exit_code=2,
                )
            )
        out.extend(validate_file(p) for p in files)
    return out


def check_files(paths: list[str], fmt: str, *, summary: bool, out: Any = None) -> int:
    """Validate `paths`, print the report (`render_validation`) and return the exit code.

    `flowgen validate`'s body, on both of its roads (Typer's, and the plain command line
    `copilot.cli.entry` runs without Typer): 0 when every file is valid, else the worst
    file's code.
    """
    results = validate_files(paths)
    render_validation(results, fmt, summary=summary, out=out)
    return max((r.exit_code for r in results), default=0)


def render_validation(results: list[FileResult], fmt: str, *, summary: bool, out: Any = None) -> None:
    """Print `results`: on `out`, a Rich console, or as plain text on stdout when None."""
    import sys

    if fmt == "json":
        payload = {
            "version": 1,
            "files": [
                {"path": r.path, "valid": r.exit_code == 0, "errors": r.errors, "summary": r.summary}
                for r in results
            ],
        }
        out.print_json(json.dumps(payload)) if out is not None else print(json.dumps(payload, indent=2))
        return
    from copilot.styled import Lines

    lines = Lines(out)
    for r in results:
        for e in r.errors:
            where = r.path if e["line"] is None else f"{r.path}:{e['line']}:{e['column']}"
            code = f"{e['code']} " if e["code"] else ""
            sys.stderr.write(f"{where}: {code}{e['message']}\n")
        if r.exit_code == 0:
            lines.line(("✓", "green"), f" {r.path}: valid")
        if summary and r.summary and r.exit_code == 0:
            from copilot.lint.report.text import summary_lines

            s = r.summary
            lines.line("  flow ", (s["name"], "bold"), f": {s['steps']} steps, {s['trigger']} trigger")
            for label, parts in summary_lines(s, s.get("on_deadline")):
                lines.line(f"  {label:<13} ", *parts)
            if s["async_steps"]:
                lines.line(f"  {'async':<13} {', '.join(s['async_steps'])}")
