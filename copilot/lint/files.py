"""Lint files on disk: folders expanded to their flows, configuration found per folder,
`--fix` applied and written back.

The engine (`copilot.lint.engine`) lints one text; this module is the file-level driver
above it and above the fixer (`copilot.lint.fixes`), which re-runs the engine itself.
"""

from __future__ import annotations

from pathlib import Path

from copilot.errors import FlowgenError
from copilot.flow.files import expand_paths, looks_like_flow
from copilot.lint.config import LintConfig, LintOptions, discover
from copilot.lint.engine import FileReport, LintRun, lint_report, unreadable_finding
from copilot.lint.fixes import fix_text
from copilot.lint.rule import Finding


def read_for_lint(path: str) -> tuple[str | None, Finding | None]:
    """The text of `path` ('-' is stdin), or the FG001 finding saying why it cannot be read."""
    from copilot.flow.load import read_text

    name = "<stdin>" if path == "-" else path
    try:
        return read_text(path), None
    except FlowgenError as exc:
        return None, unreadable_finding("FG001", exc, name)


def lint_paths(
    paths: list[str],
    config: LintConfig | None = None,
    *,
    options: LintOptions | None = None,
    fix: bool = False,
    flows_only: bool = False,
) -> LintRun:
    """Lint every path; folders are searched for flow files (*.yaml / *.yml with `apiVersion: flowgen/`).

    `config` applies to every file; without it each file uses the configuration found
    by walking up from it (`.flowgen.toml` or `[tool.flowgen.lint]`). `options` are the
    command-line flags (`LintConfig.with_options` keywords) applied on top of either.
    With `fix`, safe autofixes are applied first and written back atomically (stdin: the
    fixed text is kept in the report, for the caller to print); the findings are those of
    the fixed text. With `flows_only`, files given by name that do not declare
    `apiVersion: flowgen/…` are skipped too (as in folders): for pre-commit hooks.
    """
    reports: list[FileReport] = []
    found: dict[Path, LintConfig] = {}
    for path in expand_paths(paths):
        if flows_only and path != "-" and Path(path).is_file() and not looks_like_flow(Path(path)):
            continue
        file_config = config
        if file_config is None:
            folder = Path.cwd() if path == "-" else Path(path).resolve().parent
            if folder not in found:
                found[folder] = discover(folder)
            file_config = found[folder]
        if options:
            file_config = file_config.with_options(**options)
        name = "<stdin>" if path == "-" else path
        text, unreadable = read_for_lint(path)
        if unreadable is not None:
            reports.append(FileReport(name, [unreadable], config=file_config.for_path(name)))
            continue
        text = text or ""
        changes: list[str] = []
        if fix:
            fixed, changes = fix_text(text, name, file_config)
            if changes and path != "-":
                from copilot.flow.dump import write_atomic

                write_atomic(path, fixed)
            text = fixed
        report = lint_report(text, name, file_config)
        report.fixed = changes
        reports.append(report)
    fail_on = reports[0].config.fail_on if reports else (config or LintConfig()).fail_on
    return LintRun(reports, fail_on)
